-- The server's state (loading / ready / error), model and latency: pushed by the server as
-- `hearth/status`, asked for with the `hearth.status` command.
local util = require('hearth.util')

local M = {}

---@class hearth.Status
---@field state 'unloaded'|'loading'|'ready'|'error'
---@field message string
---@field model string
---@field path string
---@field engine string
---@field template string
---@field loadMs number
---@field lastLatencyMs number|vim.NIL|nil
---@field busy boolean
---@field generations table<string, integer>

--- The last status each client pushed, by client id.
---@type table<integer, hearth.Status>
M.by_client = {}

---@param err? lsp.ResponseError
---@param result hearth.Status
---@param ctx lsp.HandlerContext
function M.on_notification(err, result, ctx)
  if err or type(result) ~= 'table' then
    return
  end
  M.by_client[ctx.client_id] = result
  vim.api.nvim_exec_autocmds('User', { pattern = 'HearthStatus', data = result, modeline = false })
  vim.cmd.redrawstatus({ bang = true, mods = { emsg_silent = true } })
end

local function number(value)
  return type(value) == 'number' and value or nil
end

--- A short text for the statusline, e.g. "hearth 42ms", "hearth loading…", "hearth error".
---@param bufnr? integer
---@return string
function M.statusline(bufnr)
  local client = util.client(bufnr or 0)
  local status = client and M.by_client[client.id]
  if not status then
    return ''
  end
  if status.state == 'ready' then
    local latency = number(status.lastLatencyMs)
    return latency and ('hearth %dms'):format(latency) or 'hearth ready'
  elseif status.state == 'loading' then
    return 'hearth loading…'
  elseif status.state == 'error' then
    return 'hearth error'
  end
  return 'hearth'
end

--- Lines describing a status, for :HearthStatus.
---@param status hearth.Status
---@return string[]
function M.format(status)
  local lines = { ('hearth: %s%s'):format(status.state,
    status.state == 'error' and (' — ' .. (status.message or '')) or '') }
  if status.model and status.model ~= '' then
    table.insert(lines, ('  model     %s'):format(status.model))
  end
  if status.path and status.path ~= '' then
    table.insert(lines, ('  file      %s'):format(status.path))
  end
  if status.engine and status.engine ~= '' then
    local engine = status.engine
    if status.template and status.template ~= '' then
      engine = engine .. ', template ' .. status.template
    end
    if number(status.loadMs) and status.state == 'ready' then
      engine = engine .. (', loaded in %d ms'):format(status.loadMs)
    end
    table.insert(lines, ('  engine    %s'):format(engine))
  end
  local latency = number(status.lastLatencyMs)
  table.insert(lines, ('  latency   %s'):format(
    latency and ('%d ms (last completion)'):format(latency) or 'no completion yet'))
  local g = status.generations
  if type(g) == 'table' then
    table.insert(lines, ('  requests  %d completed, %d cancelled, %d dropped, %d failed%s'):format(
      g.completed or 0, g.cancelled or 0, g.dropped or 0, g.failed or 0,
      status.busy and ' (busy)' or ''))
  end
  return lines
end

--- :HearthStatus — ask the server and echo the answer.
---@param bufnr? integer
function M.show(bufnr)
  bufnr = vim._resolve_bufnr(bufnr or 0)
  local client = util.attached_client(bufnr)
  if not client then
    return
  end
  util.execute(client, bufnr, 'hearth.status', {}, function(err, result)
    if err or type(result) ~= 'table' then
      util.notify('status request failed: ' .. (err and err.message or 'no answer'),
        vim.log.levels.ERROR)
      return
    end
    M.by_client[client.id] = result
    local chunks = {}
    for i, line in ipairs(M.format(result)) do
      local hl = i == 1 and (result.state == 'error' and 'ErrorMsg' or 'Title') or 'Normal'
      table.insert(chunks, { line .. '\n', hl })
    end
    chunks[#chunks][1] = chunks[#chunks][1]:gsub('\n$', '')
    vim.api.nvim_echo(chunks, true, {})
  end)
end

return M
