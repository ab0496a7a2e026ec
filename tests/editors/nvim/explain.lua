-- :HearthExplain (cursor and visual selection) and the "Explain with hearth" code action open the
-- server's Markdown in a floating window; the server sends no extra message popup.
local H = require('hearth_test_harness')

local function float_lines()
  local win = require('hearth.actions').explain_win
  if not (win and vim.api.nvim_win_is_valid(win)) then
    return nil
  end
  if vim.api.nvim_win_get_config(win).relative == '' then
    error('the explanation is not in a floating window')
  end
  local buf = vim.api.nvim_win_get_buf(win)
  return { win = win, lines = vim.api.nvim_buf_get_lines(buf, 0, -1, false),
    markdown = vim.bo[buf].filetype == 'markdown' or vim.bo[buf].syntax == 'markdown' }
end

local function close_float()
  local win = require('hearth.actions').explain_win
  if win and vim.api.nvim_win_is_valid(win) then
    vim.api.nvim_win_close(win, true)
  end
end

H.run(function()
  H.step('setup')
  -- the plain configuration of the README, without setup()
  vim.lsp.config('hearth', {
    settings = { hearth = { modelPath = H.model, explainMaxTokens = 24, threads = 1 } },
  })
  vim.lsp.enable('hearth')
  local path = H.workdir .. '/greet.py'
  vim.fn.writefile({ 'def greet(name):', '    message = "hello " + name', '    return message',
    '', 'print(greet("you"))' }, path)
  vim.cmd.edit(path)
  local bufnr = vim.api.nvim_get_current_buf()
  H.ready_client(bufnr)
  local explained = {}
  vim.api.nvim_create_autocmd('User', { pattern = 'HearthExplain', callback = function(ev)
    table.insert(explained, ev.data.markdown)
  end })

  H.step(':HearthExplain at the cursor opens a Markdown float')
  vim.api.nvim_win_set_cursor(0, { 2, 4 })
  vim.cmd('HearthExplain')
  local shown = H.wait_for('the explanation float', float_lines, 60000)
  assert(shown.markdown, 'the float is not highlighted as Markdown')
  H.facts.styles = { require('hearth.actions').float_style }
  H.eq(vim.split(explained[1], '\n', { trimempty = true }), shown.lines, 'the float text')
  assert(#table.concat(shown.lines) > 0, 'the float is empty')
  H.facts.explanation = shown.lines
  H.eq(bufnr, vim.api.nvim_get_current_buf(), 'the cursor stays in the code')

  H.step('from a visual selection')
  close_float()
  vim.api.nvim_win_set_cursor(0, { 5, 0 })
  H.type('v$:HearthExplain<CR>')
  H.wait_for('the second explanation float', function()
    return #explained == 2 and float_lines()
  end, 60000)

  H.step('the "Explain with hearth" code action shows it too')
  close_float()
  -- Debian's Neovim keeps its tree-sitter parsers in /usr/lib/nvim, on its runtimepath; a
  -- relocated copy (.tools/nvim-0.12) lacks them until that folder is added: then both ways of
  -- drawing the float are tested
  local usr = vim.fs.dirname(vim.fs.dirname(vim.fs.dirname(vim.env.VIMRUNTIME)))
  local debian_lib = usr .. '/lib/nvim'
  if vim.uv.fs_stat(debian_lib .. '/parser/markdown.so') then
    vim.opt.rtp:append(debian_lib)
  end
  vim.api.nvim_win_set_cursor(0, { 2, 4 })
  vim.lsp.buf.code_action({
    filter = function(action)
      return action.title == 'Explain with hearth'
    end,
    apply = true,
  })
  local last = H.wait_for('the code action explanation float', function()
    return #explained == 3 and float_lines()
  end, 60000)
  assert(last.markdown, 'the float is not highlighted as Markdown')
  table.insert(H.facts.styles, require('hearth.actions').float_style)

  H.step('no message popup from the server')
  local messages = vim.api.nvim_exec2('messages', { output = true }).output
  local first = vim.split(explained[1], '\n', { trimempty = true })[1]
  assert(not messages:find(first, 1, true), 'the explanation was also sent as a message: ' .. messages)
end)
