-- :HearthExplain (Markdown in a floating window) and :HearthFix (the quick fix, resolved and
-- applied by Neovim's own code-action path).
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
  request_explanation(client, bufnr, M.explain_arguments(bufnr, client, cmd_opts))
end

--- The arguments of `hearth.explain`: [uri, range] (editors/contract.schema.json).
---@param bufnr integer
---@param client {offset_encoding: string}
---@param cmd_opts? {range: integer, line1: integer, line2: integer}
---@return [string, lsp.Range]
function M.explain_arguments(bufnr, client, cmd_opts)
  return { vim.uri_from_bufnr(bufnr), util.command_range(bufnr, client, cmd_opts) }
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

--- Is this one of hearth's fixes? By the contract (editors/contract.schema.json, FixAction): a
--- `quickfix` whose data says `hearth = 'fix'`, or that runs `hearth.fix`. Never by its title,
--- which is for people and may be in any language.
---@param action lsp.CodeAction|lsp.Command
---@return boolean
function M.is_fix(action)
  if type(action) ~= 'table' or action.kind ~= 'quickfix' or type(action.title) ~= 'string' then
    return false
  end
  local data, command = action.data, action.command
  return (type(data) == 'table' and data.hearth == 'fix')
    or (type(command) == 'table' and command.command == 'hearth.fix')
end

--- The range of a user command as vim.lsp.buf.code_action() takes it: (1,0)-indexed, inclusive
--- positions of the visual selection or the lines; nil for the cursor.
---@param bufnr integer
---@param cmd_opts? {range: integer, line1: integer, line2: integer}
---@return {start: [integer, integer], end: [integer, integer]}?
local function command_marks(bufnr, cmd_opts)
  if not (cmd_opts and cmd_opts.range and cmd_opts.range > 0) then
    return nil
  end
  local vstart = vim.api.nvim_buf_get_mark(bufnr, '<')
  local vend = vim.api.nvim_buf_get_mark(bufnr, '>')
  if vstart[1] == cmd_opts.line1 and vend[1] == cmd_opts.line2 and vim.fn.visualmode() == 'v' then
    return { start = vstart, ['end'] = vend }
  end
  local last = vim.api.nvim_buf_get_lines(bufnr, cmd_opts.line2 - 1, cmd_opts.line2, false)[1]
  return { start = { cmd_opts.line1, 0 }, ['end'] = { cmd_opts.line2, math.max(0, #(last or '') - 1) } }
end

--- :HearthFix — fix the diagnostic under the cursor (from any server), or the bugs of the
--- enclosing function when there is none. With a bang, choose among hearth's fixes. Neovim's
--- own code-action path resolves the edit, applies it (one undo reverts it) and refuses an
--- edit made for an older version of the buffer.
---@param cmd_opts? {range: integer, line1: integer, line2: integer, bang: boolean}
function M.fix(cmd_opts)
  local bufnr = vim.api.nvim_get_current_buf()
  local client = util.attached_client(bufnr)
  if not client then
    return
  end
  local range = util.command_range(bufnr, client, cmd_opts)
  local diagnostics = diagnostics_on(bufnr, client, range.start.line, range['end'].line)
  local choose = cmd_opts ~= nil and cmd_opts.bang == true
  -- the server answers one fix per diagnostic sent, and the whole function's: send the most
  -- severe diagnostic only, and keep its fix (or, without one, the function's)
  local sent = choose and diagnostics or { diagnostics[1] }
  vim.lsp.buf.code_action({
    context = { diagnostics = sent, only = { 'quickfix' }, triggerKind = 1 },
    range = command_marks(bufnr, cmd_opts),
    filter = function(action)
      if not M.is_fix(action) then
        return false
      end
      return choose or #sent == 0 or (action.diagnostics ~= nil and #action.diagnostics > 0)
    end,
    apply = not choose,
  })
end

return M
