-- :HearthFix with a diagnostic from another source (as pyflakes would report it): the server's
-- quick fix is resolved by the embedded model and applied to the buffer, through Neovim's own
-- code-action path, as one undoable change.
local H = require('hearth_test_harness')

H.run(function()
  H.step('setup')
  local settings = { threads = 1 }
  if H.model ~= '' then
    settings.modelPath = H.model
  end
  require('hearth').setup({ settings = settings })
  local path = H.workdir .. '/total.py'
  local source = { 'def total(items):', '    result = 0', '    for item in items:',
    '        result += item', '    return reslt' }
  vim.fn.writefile(source, path)
  vim.cmd.edit(path)
  local bufnr = vim.api.nvim_get_current_buf()
  H.ready_client(bufnr)
  local ns = vim.api.nvim_create_namespace('pyflakes-like')
  vim.diagnostic.set(ns, bufnr, { {
    lnum = 4, col = 11, end_lnum = 4, end_col = 16, severity = vim.diagnostic.severity.ERROR,
    message = "undefined name 'reslt'", source = 'pyflakes',
  } })
  local requests = {}
  vim.api.nvim_create_autocmd('LspRequest', { callback = function(ev)
    if ev.data.request.type == 'complete' then
      table.insert(requests, ev.data.request.method)
    end
  end })

  H.step(':HearthFix applies the fix for the diagnostic under the cursor')
  vim.api.nvim_win_set_cursor(0, { 5, 4 })
  vim.cmd('HearthFix')
  H.wait_for('the fix in the buffer', function()
    return H.lines(bufnr)[5] ~= source[5]
  end, 120000)
  H.facts.lines = H.lines(bufnr)
  H.facts.requests = requests
  H.eq('    return result', H.lines(bufnr)[5], 'the fixed line')
  assert(vim.tbl_contains(requests, 'codeAction/resolve'), 'not resolved: ' .. vim.inspect(requests))
  H.eq(vim.list_slice(source, 1, 4), vim.list_slice(H.lines(bufnr), 1, 4), 'the other lines')

  H.step('one undo restores the code')
  vim.cmd('silent undo')
  H.eq(source, H.lines(bufnr), 'the buffer after undo')
end)
