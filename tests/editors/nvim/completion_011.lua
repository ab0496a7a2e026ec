-- Neovim 0.11 (no inline completion): the server's "hearth AI" item comes into the completion
-- menu, from the trigger key and from <C-x><C-o>; the chosen item stays in the buffer.
local H = require('hearth_test_harness')

local function hearth_items()
  local items = vim.fn.complete_info({ 'items' }).items or {}
  return vim.tbl_filter(function(item)
    return item.menu == 'hearth AI' or (item.info or ''):find('```', 1, true) ~= nil
  end, items)
end

H.run(function()
  H.step('setup')
  require('hearth').setup({ settings = { modelPath = H.model, maxTokens = 8, threads = 1 } })
  local path = H.workdir .. '/greet.py'
  vim.fn.writefile({ 'def greet(name):', '    message = "hello " + name', '    return ' }, path)
  vim.cmd.edit(path)
  local bufnr = vim.api.nvim_get_current_buf()
  local client = H.ready_client(bufnr)
  H.facts.version = tostring(vim.version())
  H.facts.inline_capability = vim.tbl_get(client.capabilities, 'textDocument', 'inlineCompletion')
    ~= nil

  H.step('the trigger key opens the menu with the hearth item')
  vim.api.nvim_win_set_cursor(0, { 3, 0 })
  H.type('A<M-\\>')
  local items = H.wait_for('the hearth completion item', function()
    local found = hearth_items()
    return #found > 0 and found
  end)
  H.facts.item = items[1]
  local word = items[1].word
  assert(word and word ~= '', 'the item has no text')

  H.step('the item is in the buffer and stays when completion ends')
  -- with the default 'completeopt' the first item is inserted as it is selected; headless
  -- Neovim shows no menu, so <C-y> would not act on it: leaving insert mode ends completion
  H.eq(0, vim.fn.complete_info({ 'selected' }).selected, 'the selected item')
  H.eq('    return ' .. word, H.lines(bufnr)[3], 'line 3 with the item selected')
  H.type('<Esc>')
  H.wait_for('normal mode', function()
    return vim.api.nvim_get_mode().mode == 'n'
  end, 5000)
  H.eq('    return ' .. word, H.lines(bufnr)[3], 'line 3 after completion')

  H.step('<C-x><C-o> asks the server too')
  vim.api.nvim_buf_set_lines(bufnr, 2, 3, false, { '    return ' })
  vim.api.nvim_win_set_cursor(0, { 3, 0 })
  H.type('A<C-x><C-o>')
  H.wait_for('the hearth item from omnifunc', function()
    return #hearth_items() > 0
  end)
  H.type('<C-e><Esc>')

  H.step('the statusline gets the last latency pushed by the server')
  H.facts.statusline = H.wait_for('a latency in the statusline', function()
    local text = require('hearth').statusline()
    return text:match('^hearth %d+ms$') and text
  end, 10000)

  H.step('settings changed at run time reach the server, which accepts them')
  require('hearth').update_settings({ maxTokens = 4 })
  H.sleep(300)
  local said = vim.api.nvim_exec2('messages', { output = true }).output
  assert(not said:find('invalid settings', 1, true), said)

  H.step('a setting turned off, then set to vim.NIL, is back at its default (on)')
  require('hearth').update_settings({ completionItem = false })
  H.sleep(300)
  vim.api.nvim_buf_set_lines(bufnr, 2, 3, false, { '    return ' })
  vim.api.nvim_win_set_cursor(0, { 3, 0 })
  H.type('A<C-x><C-o>')
  H.sleep(1000)
  H.eq(0, #hearth_items(), 'hearth items while completionItem is off')
  H.type('<C-e><Esc>')
  require('hearth').update_settings({ completionItem = vim.NIL })
  H.sleep(300)
  vim.api.nvim_buf_set_lines(bufnr, 2, 3, false, { '    return ' })
  vim.api.nvim_win_set_cursor(0, { 3, 0 })
  H.type('A<C-x><C-o>')
  H.wait_for('the hearth item again', function()
    return #hearth_items() > 0
  end)
  H.type('<C-e><Esc>')

  H.step('a file of another project shares the same server')
  vim.fn.mkdir(H.workdir .. '/project/.git', 'p')
  vim.fn.writefile({ 'x = 1' }, H.workdir .. '/project/other.py')
  vim.cmd.edit(H.workdir .. '/project/other.py')
  H.wait_for('the client on the second buffer', function()
    return vim.lsp.get_clients({ bufnr = 0, name = 'hearth' })[1]
  end)
  H.eq(1, #vim.lsp.get_clients({ name = 'hearth' }), 'hearth servers running')
  vim.cmd.buffer(bufnr)

  H.step(':HearthStatus shows model, engine, state and latency')
  vim.cmd('messages clear')
  vim.cmd('HearthStatus')
  local shown = H.wait_for('the status message', function()
    local text = vim.api.nvim_exec2('messages', { output = true }).output
    return text:find('hearth: ready', 1, true) and text
  end, 10000)
  H.facts.status_message = shown
  for _, expected in ipairs({ 'hearth tiny test model', 'llama_cpp', 'ms (last completion)' }) do
    assert(shown:find(expected, 1, true), ('%q is not in %q'):format(expected, shown))
  end
end)
