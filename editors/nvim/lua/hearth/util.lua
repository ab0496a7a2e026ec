local M = {}

M.name = 'hearth'

--- The hearth client attached to a buffer.
---@param bufnr? integer
---@return vim.lsp.Client?
function M.client(bufnr)
  return vim.lsp.get_clients({ bufnr = bufnr or 0, name = M.name })[1]
end

---@param message string
---@param level? integer
function M.notify(message, level)
  vim.notify('hearth: ' .. message, level or vim.log.levels.INFO)
end

--- The hearth client on a buffer, or nil after telling the user it is not attached.
---@param bufnr integer
---@return vim.lsp.Client?
function M.attached_client(bufnr)
  local client = M.client(bufnr)
  if not client then
    M.notify('hearth-lsp is not attached to this buffer (see :checkhealth vim.lsp)',
      vim.log.levels.WARN)
  end
  return client
end

--- workspace/executeCommand on the server.
---@param client vim.lsp.Client
---@param bufnr integer
---@param command string
---@param arguments any[]
---@param handler fun(err?: lsp.ResponseError, result: any)
function M.execute(client, bufnr, command, arguments, handler)
  client:request('workspace/executeCommand', { command = command, arguments = arguments },
    function(err, result)
      handler(err, result)
    end, bufnr)
end

--- An LSP position from a 0-based row and a byte column.
---@param bufnr integer
---@param row integer
---@param col integer
---@param encoding string
---@return lsp.Position
function M.position(bufnr, row, col, encoding)
  local line = vim.api.nvim_buf_get_lines(bufnr, row, row + 1, false)[1] or ''
  col = math.min(col, #line)
  return { line = row, character = vim.str_utfindex(line, encoding, col, false) }
end

--- The LSP range of a user command's range: the visual selection when the command was run from
--- it (characters, not whole lines), else the given lines, else the cursor position (empty).
---@param bufnr integer
---@param client vim.lsp.Client
---@param cmd_opts? {range: integer, line1: integer, line2: integer}
---@return lsp.Range
function M.command_range(bufnr, client, cmd_opts)
  local enc = client.offset_encoding
  if cmd_opts and cmd_opts.range and cmd_opts.range > 0 then
    local vstart = vim.api.nvim_buf_get_mark(bufnr, '<')
    local vend = vim.api.nvim_buf_get_mark(bufnr, '>')
    if vstart[1] == cmd_opts.line1 and vend[1] == cmd_opts.line2 and vim.fn.visualmode() == 'v' then
      local line = vim.api.nvim_buf_get_lines(bufnr, vend[1] - 1, vend[1], false)[1] or ''
      -- '> is on the last selected character (or past the end with $): include all of it
      local after = vend[2] >= #line and #line or vend[2] + 1 + vim.str_utf_end(line, vend[2] + 1)
      return {
        start = M.position(bufnr, vstart[1] - 1, vstart[2], enc),
        ['end'] = M.position(bufnr, vend[1] - 1, after, enc),
      }
    end
    local last = vim.api.nvim_buf_get_lines(bufnr, cmd_opts.line2 - 1, cmd_opts.line2, false)[1]
    return {
      start = M.position(bufnr, cmd_opts.line1 - 1, 0, enc),
      ['end'] = M.position(bufnr, cmd_opts.line2 - 1, #(last or ''), enc),
    }
  end
  local cursor = vim.api.nvim_win_get_cursor(0)
  local here = M.position(bufnr, cursor[1] - 1, cursor[2], enc)
  return { start = here, ['end'] = here }
end

return M
