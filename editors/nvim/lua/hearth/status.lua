-- The server's state, model and latency: pushed by the server as `hearth/status`, asked for
-- with the `hearth.status` command. The payload is defined in editors/contract.schema.json.
local util = require('hearth.util')

local M = {}

---@alias hearth.State 'unloaded'|'loading'|'ready'|'unavailable'|'error'

---@class hearth.Status
---@field state hearth.State
---@field message string
---@field model string
---@field path string
---@field engine string
---@field template string
---@field loadMs number
---@field warmUpMs number
---@field lastLatencyMs number|vim.NIL|nil
---@field version string
---@field busy boolean
---@field generations table<string, integer>
---@field workerRestarts integer
---@field lastStopLatencyMs number|vim.NIL|nil
---@field loadError string|vim.NIL|nil
---@field index {files: integer, symbols: integer, pending: integer, scanMs: number|vim.NIL|nil}

--- How each state the server may report is shown: every state of the contract
--- (tests/editors/test_contract.py checks), with how loudly.
---@type table<hearth.State, {text: string, severity: 'normal'|'warning'|'error'}>
M.states = {
  unloaded = { text = 'hearth not loaded', severity = 'warning' },
  loading = { text = 'hearth loading…', severity = 'normal' },
  ready = { text = 'hearth ready', severity = 'normal' },
  unavailable = { text = 'hearth unavailable', severity = 'warning' },
  error = { text = 'hearth error', severity = 'error' },
}

--- States whose message says what is wrong.
local EXPLAINED = { error = true, unavailable = true }

local HIGHLIGHT = { normal = 'Title', warning = 'WarningMsg', error = 'ErrorMsg' }

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

--- A finite number, rounded for display; nil for null, absent or anything else.
local function number(value)
  if type(value) ~= 'number' or value ~= value or value == math.huge or value == -math.huge then
    return nil
  end
  return math.floor(value + 0.5)
end

local function text(value)
  return type(value) == 'string' and value or ''
end

--- The statusline text of a status, e.g. "hearth 42ms", "hearth loading…", "hearth unavailable".
---@param status hearth.Status
---@return string
function M.text(status)
  if status.state == 'ready' then
    local latency = number(status.lastLatencyMs)
    return latency and ('hearth %dms'):format(latency) or M.states.ready.text
  end
  local known = M.states[status.state]
  return known and known.text or ('hearth ' .. tostring(status.state)) -- a newer server's state
end

--- A short text for the statusline: see M.text(); empty without a hearth client.
---@param bufnr? integer
---@return string
function M.statusline(bufnr)
  local client = util.client(bufnr or 0)
  local status = client and M.by_client[client.id]
  return status and M.text(status) or ''
end

--- Lines describing a status, for :HearthStatus.
---@param status hearth.Status
---@return string[]
function M.format(status)
  local message = text(status.message)
  local lines = { ('hearth: %s%s'):format(status.state,
    EXPLAINED[status.state] and message ~= '' and (' — ' .. message) or '') }
  if text(status.model) ~= '' then
    table.insert(lines, ('  model     %s'):format(status.model))
  end
  if text(status.path) ~= '' then
    table.insert(lines, ('  file      %s'):format(status.path))
  end
  if text(status.engine) ~= '' then
    local engine = status.engine
    if text(status.template) ~= '' then
      engine = engine .. ', template ' .. status.template
    end
    if number(status.loadMs) and status.state == 'ready' then
      engine = engine .. (', loaded in %d ms'):format(number(status.loadMs))
    end
    table.insert(lines, ('  engine    %s'):format(engine))
  end
  local latency = number(status.lastLatencyMs)
  table.insert(lines, ('  latency   %s'):format(
    latency and ('%d ms (last completion)'):format(latency) or 'no completion yet'))
  local g = status.generations
  if type(g) == 'table' then
    table.insert(lines, ('  requests  %d completed, %d cancelled, %d dropped, %d failed%s'):format(
      number(g.completed) or 0, number(g.cancelled) or 0, number(g.dropped) or 0,
      number(g.failed) or 0, status.busy == true and ' (busy)' or ''))
  end
  if text(status.loadError) ~= '' then
    table.insert(lines, ('  reload    failed: %s'):format(status.loadError))
  end
  if text(status.version) ~= '' then
    table.insert(lines, ('  server    hearth-lsp %s'):format(status.version))
  end
  return lines
end

--- :HearthStatus — ask the server and echo the answer.
---@param bufnr? integer
function M.show(bufnr)
  bufnr = (bufnr == nil or bufnr == 0) and vim.api.nvim_get_current_buf() or bufnr
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
      local severity = (M.states[result.state] or M.states.unloaded).severity
      local hl = i == 1 and HIGHLIGHT[severity] or 'Normal'
      table.insert(chunks, { line .. '\n', hl })
    end
    chunks[#chunks][1] = chunks[#chunks][1]:gsub('\n$', '')
    vim.api.nvim_echo(chunks, true, {})
  end)
end

return M
