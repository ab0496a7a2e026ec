-- :HearthExplain (Markdown in a floating window) and :HearthFix (resolve and apply a quick fix).
local config = require('hearth.config')
local util = require('hearth.util')

local M = {}

M.EXPLAIN = 'hearth.explain'

---@type integer? the explanation window, closed when a new explanation arrives
M.explain_win = nil

--- Show Markdown in a floating window by the cursor.
---@param markdown string
---@return integer bufnr, integer winid
function M.show_markdown(markdown)
  if M.explain_win and vim.api.nvim_win_is_valid(M.explain_win) then
    vim.api.nvim_win_close(M.explain_win, true)
  end
  local float = config.options.float or {}
  local lines = vim.split(markdown, '\n', { plain = true, trimempty = true })
  -- Markdown is drawn by tree-sitter when Neovim has the parser; some packagings ship without
  -- it (where even LSP hover fails), so fall back to the regex syntax then.
  local ok, loaded = pcall(vim.treesitter.language.add, 'markdown')
  local treesitter = ok and loaded == true
  M.float_style = treesitter and 'treesitter' or 'syntax'
  local bufnr, winid = vim.lsp.util.open_floating_preview(lines, treesitter and 'markdown' or 'text', {
    border = float.border,
    max_width = math.min(float.max_width or 100, math.max(20, vim.o.columns - 4)),
    max_height = float.max_height,
    title = ' hearth ',
    focus_id = 'hearth-explain',
    focus = false,
    wrap = true,
  })
  if not treesitter then
    vim.bo[bufnr].syntax = 'markdown'
    vim.wo[winid].conceallevel = 2
  end
  M.explain_win = winid
  return bufnr, winid
end

---@param client vim.lsp.Client
---@param bufnr integer
---@param arguments any[]
local function request_explanation(client, bufnr, arguments)
  vim.api.nvim_echo({ { 'hearth: explaining…', 'Comment' } }, false, {})
  util.execute(client, bufnr, M.EXPLAIN, arguments, function(err, result)
    vim.api.nvim_echo({ { '' } }, false, {})
    if err then
      util.notify('explain failed: ' .. err.message, vim.log.levels.ERROR)
    elseif type(result) ~= 'table' or type(result.markdown) ~= 'string' or result.markdown == '' then
      util.notify('no explanation', vim.log.levels.WARN)
    else
      M.show_markdown(result.markdown)
      vim.api.nvim_exec_autocmds('User', { pattern = 'HearthExplain', modeline = false,
        data = { bufnr = bufnr, markdown = result.markdown } })
    end
  end)
end

--- :HearthExplain — the selection, the given lines, or the function under the cursor.
---@param cmd_opts? {range: integer, line1: integer, line2: integer}
function M.explain(cmd_opts)
  local bufnr = vim.api.nvim_get_current_buf()
  local client = util.attached_client(bufnr)
  if not client then
    return
  end
  local range = util.command_range(bufnr, client, cmd_opts)
  request_explanation(client, bufnr, { vim.uri_from_bufnr(bufnr), range })
end

--- The "Explain with hearth" code action runs the `hearth.explain` command: show its answer
--- here instead of dropping it.
---@param command lsp.Command
---@param ctx {bufnr: integer, client_id: integer}
function M.explain_command(command, ctx)
  local client = vim.lsp.get_client_by_id(ctx.client_id)
  if client then
    request_explanation(client, ctx.bufnr, command.arguments or {})
  end
end

local SEVERITY = {
  [vim.diagnostic.severity.ERROR] = 1,
  [vim.diagnostic.severity.WARN] = 2,
  [vim.diagnostic.severity.INFO] = 3,
  [vim.diagnostic.severity.HINT] = 4,
}

--- Diagnostics of every source (pyright, ruff, hearth...) on the given lines, as LSP sends them.
---@param bufnr integer
---@param client vim.lsp.Client
---@param first integer 0-based line
---@param last integer 0-based line
---@return lsp.Diagnostic[]
local function diagnostics_on(bufnr, client, first, last)
  local found = {}
  for _, d in ipairs(vim.diagnostic.get(bufnr)) do
    local end_lnum = d.end_lnum or d.lnum
    if d.lnum <= last and end_lnum >= first then
      local enc = client.offset_encoding
      table.insert(found, {
        range = {
          start = util.position(bufnr, d.lnum, d.col, enc),
          ['end'] = util.position(bufnr, end_lnum, d.end_col or d.col, enc),
        },
        severity = SEVERITY[d.severity],
        message = d.message,
        source = d.source,
        code = d.code,
      })
    end
  end
  -- the most severe first: the fix for it is the one to apply
  table.sort(found, function(a, b)
    return (a.severity or 5) < (b.severity or 5)
  end)
  return found
end

---@param action lsp.CodeAction
local function is_fix(action)
  return type(action.title) == 'string' and action.title:find('^Fix') ~= nil
end

---@param client vim.lsp.Client
---@param bufnr integer
---@param tick integer the buffer's changedtick when the fix was asked for
---@param action lsp.CodeAction
local function apply(client, bufnr, tick, action)
  if vim.api.nvim_buf_get_changedtick(bufnr) ~= tick then
    return util.notify('the buffer changed while hearth was working; run :HearthFix again',
      vim.log.levels.WARN)
  end
  if not action.edit and not action.command then
    if not (type(action.data) == 'table' and action.data.reason) then
      util.notify('no fix for this code', vim.log.levels.WARN)
    end -- else the server said why (window/showMessage)
    return
  end
  if action.edit then
    vim.lsp.util.apply_workspace_edit(action.edit, client.offset_encoding)
  end
  if action.command then
    local command = type(action.command) == 'table' and action.command or action
    client:exec_cmd(command --[[@as lsp.Command]], { bufnr = bufnr })
  end
  vim.api.nvim_exec_autocmds('User', { pattern = 'HearthFix', modeline = false,
    data = { bufnr = bufnr, title = action.title } })
end

---@param client vim.lsp.Client
---@param bufnr integer
---@param tick integer
---@param action lsp.CodeAction
local function resolve_and_apply(client, bufnr, tick, action)
  if action.edit or not client:supports_method('codeAction/resolve') then
    return apply(client, bufnr, tick, action)
  end
  vim.api.nvim_echo({ { 'hearth: ' .. action.title .. '…', 'Comment' } }, false, {})
  client:request('codeAction/resolve', action, function(err, resolved)
    vim.api.nvim_echo({ { '' } }, false, {})
    if err then
      return util.notify('fix failed: ' .. err.message, vim.log.levels.ERROR)
    end
    apply(client, bufnr, tick, resolved or action)
  end, bufnr)
end

--- :HearthFix — fix the diagnostic under the cursor (from any server), or the bugs of the
--- enclosing function when there is none. With a bang, choose among hearth's fixes.
---@param cmd_opts? {range: integer, line1: integer, line2: integer, bang: boolean}
function M.fix(cmd_opts)
  local bufnr = vim.api.nvim_get_current_buf()
  local client = util.attached_client(bufnr)
  if not client then
    return
  end
  local range = util.command_range(bufnr, client, cmd_opts)
  local diagnostics = diagnostics_on(bufnr, client, range.start.line, range['end'].line)
  local params = {
    textDocument = { uri = vim.uri_from_bufnr(bufnr) },
    range = range,
    context = { diagnostics = diagnostics, only = { 'quickfix' }, triggerKind = 1 },
  }
  local tick = vim.api.nvim_buf_get_changedtick(bufnr)
  client:request('textDocument/codeAction', params, function(err, result)
    if err then
      return util.notify('code actions failed: ' .. err.message, vim.log.levels.ERROR)
    end
    local fixes = vim.tbl_filter(is_fix, result or {})
    if #fixes == 0 then
      return util.notify('no fix offered here', vim.log.levels.WARN)
    end
    if cmd_opts and cmd_opts.bang and #fixes > 1 then
      vim.ui.select(fixes, {
        prompt = 'hearth fix',
        format_item = function(action)
          return action.title
        end,
      }, function(choice)
        if choice then
          resolve_and_apply(client, bufnr, tick, choice)
        end
      end)
      return
    end
    -- the fix tied to a diagnostic beats the whole-function one; the server lists them in
    -- the order of the diagnostics it was given (most severe first)
    local chosen = fixes[1]
    for _, action in ipairs(fixes) do
      if (action.diagnostics and #action.diagnostics > 0) or action.title:find('^Fix with hearth:') then
        chosen = action
        break
      end
    end
    resolve_and_apply(client, bufnr, tick, chosen)
  end, bufnr)
end

return M
