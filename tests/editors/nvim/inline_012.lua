-- Neovim 0.12: ghost text from the real server is shown, cycled, dismissed and accepted with <Tab>;
-- <Tab> without ghost text is an ordinary Tab.
local H = require('hearth_test_harness')

H.run(function()
  H.step('setup')
  require('hearth').setup({ settings = { modelPath = H.model, maxTokens = 8, threads = 1 } })
  local path = H.workdir .. '/greet.py'
  vim.fn.writefile({ 'def greet(name):', '    message = "hello " + name', '    return ' }, path)
  vim.cmd.edit(path)
  local bufnr = vim.api.nvim_get_current_buf()
  local client = H.ready_client(bufnr)
  H.facts.cmd = client.config.cmd
  H.facts.statusline = require('hearth').statusline()
  H.facts.inline_capability = client:supports_method('textDocument/inlineCompletion')

  H.step('ghost text appears in insert mode')
  vim.api.nvim_win_set_cursor(0, { 3, 0 })
  H.type('A')
  local inline = require('hearth.inline')
  H.wait_for('ghost text', function()
    return inline.visible(bufnr)
  end)
  local ns = vim.api.nvim_get_namespaces()['nvim.lsp.inline_completion']
  local function ghost()
    local marks = vim.api.nvim_buf_get_extmarks(bufnr, ns, 0, -1, { details = true })
    local chunks = {}
    for _, mark in ipairs(marks) do
      for _, chunk in ipairs(mark[4].virt_text or {}) do
        table.insert(chunks, chunk[1])
      end
    end
    return table.concat(chunks)
  end
  local shown = ghost()
  H.facts.ghost = shown
  assert(shown ~= '', 'the ghost text is empty')
  H.eq('    return ', H.lines(bufnr)[3], 'line 3 while the ghost text is shown')

  H.step('cycling keeps the suggestion and numbers it')
  H.type('<M-]>')
  H.wait_for('the (1/1) hint', function()
    return ghost():find('(1/1)', 1, true)
  end, 5000)

  H.step('dismiss hides it without inserting')
  H.type('<C-]>')
  H.wait_for('the ghost text to go', function()
    return not inline.visible(bufnr)
  end, 5000)
  H.eq('    return ', H.lines(bufnr)[3], 'line 3 after dismissing')

  H.step('a new suggestion comes after typing')
  H.type('x<BS>')
  local again = H.wait_for('ghost text again', function()
    return inline.visible(bufnr) and ghost()
  end)

  H.step('<Tab> accepts it into the buffer')
  H.type('<Tab>')
  H.wait_for('the suggestion in the buffer', function()
    return H.lines(bufnr)[3] ~= '    return '
  end, 5000)
  H.facts.accepted_line = H.lines(bufnr)[3]
  -- virtual text shows control characters as ^X, as strtrans() does
  H.eq('    return ' .. again, vim.fn.strtrans(H.lines(bufnr)[3]), 'line 3 after <Tab>')
  H.eq(#H.lines(bufnr)[3], vim.api.nvim_win_get_cursor(0)[2], 'cursor column after accepting')

  H.step('<Tab> with nothing shown is a Tab')
  vim.bo[bufnr].expandtab = false
  -- typed in one go: suggestions are debounced by 200 ms, so none is shown at the <Tab>
  H.type('<Esc>o#<Tab>')
  local line = H.lines(bufnr)[4]
  H.facts.tab_line = line
  assert(line:match('#\t$'), ('expected a Tab after "#", got %q'):format(line))

  H.step('stopping the server gives <Tab> back')
  H.type('<Esc>')
  H.eq('hearth: accept the suggestion', vim.fn.maparg('<Tab>', 'i', false, true).desc, 'the <Tab> mapping')
  vim.lsp.enable('hearth', false)
  H.wait_for('the mapping to go', function()
    -- what is left is Neovim's own (vim.snippet's <Tab>), which hearth fell back to
    return (vim.fn.maparg('<Tab>', 'i', false, true).desc or ''):find('^hearth:') == nil
  end, 10000)
end)
