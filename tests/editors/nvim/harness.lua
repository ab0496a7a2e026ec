-- A tiny test driver for headless Neovim: steps run in a coroutine, keys are typed through the
-- real input queue (nvim_feedkeys), and the result is written as JSON for the pytest wrapper.
local H = {}

local out = assert(os.getenv('HEARTH_TEST_OUT'), 'HEARTH_TEST_OUT is not set')
H.plugin = assert(os.getenv('HEARTH_PLUGIN'), 'HEARTH_PLUGIN is not set')
H.model = assert(os.getenv('HEARTH_MODEL'), 'HEARTH_MODEL is not set')
H.workdir = assert(os.getenv('HEARTH_WORKDIR'), 'HEARTH_WORKDIR is not set')
H.facts = {} -- what the test saw, reported to pytest
H.steps = {}

local finished = false
local function finish(ok, err)
  if finished then
    return
  end
  finished = true
  local f = assert(io.open(out, 'w'))
  f:write(vim.json.encode({ ok = ok, error = err, steps = H.steps, facts = H.facts,
    messages = vim.api.nvim_exec2('messages', { output = true }).output }))
  f:close()
  vim.schedule(function()
    vim.cmd(ok and 'qall!' or 'cquit! 1')
  end)
end

local co
local function resume(...)
  local ok, err = coroutine.resume(co, ...)
  if not ok then
    finish(false, debug.traceback(co, err))
  end
end

--- Run the test body; fail after `timeout_ms`.
---@param body fun()
---@param timeout_ms? integer
function H.run(body, timeout_ms)
  vim.opt.rtp:prepend(H.plugin)
  vim.cmd.runtime('plugin/hearth.lua')
  co = coroutine.create(function()
    body()
    finish(true, nil)
  end)
  vim.defer_fn(function()
    finish(false, 'the test did not finish in time; last step: ' .. (H.steps[#H.steps] or '-'))
  end, timeout_ms or 120000)
  vim.schedule(resume)
end

---@param name string
function H.step(name)
  table.insert(H.steps, name)
end

---@param ms integer
function H.sleep(ms)
  vim.defer_fn(resume, ms)
  coroutine.yield()
end

--- Wait until `cond()` returns a truthy value, and return it.
---@generic T
---@param what string
---@param cond fun(): T
---@param timeout_ms? integer
---@return T
function H.wait_for(what, cond, timeout_ms)
  local deadline = vim.uv.now() + (timeout_ms or 30000)
  while true do
    local ok, value = pcall(cond)
    if ok and value then
      return value
    end
    if vim.uv.now() > deadline then
      error(('timed out waiting for %s%s'):format(what, ok and '' or (': ' .. tostring(value))), 2)
    end
    H.sleep(20)
  end
end

--- Type keys as a user would (mappings apply); returns once Neovim has read them.
---@param keys string
function H.type(keys)
  vim.api.nvim_feedkeys(vim.keycode(keys), 'mt', false)
  H.sleep(1)
end

function H.eq(expected, actual, what)
  if not vim.deep_equal(expected, actual) then
    error(('%s: expected %s, got %s'):format(what or 'value', vim.inspect(expected),
      vim.inspect(actual)), 2)
  end
end

--- The hearth client of a buffer once it is attached and its model is ready.
---@param bufnr integer
---@return vim.lsp.Client
function H.ready_client(bufnr)
  local client = H.wait_for('the hearth client to attach', function()
    return vim.lsp.get_clients({ bufnr = bufnr, name = 'hearth' })[1]
  end)
  H.wait_for('the model to load (hearth/status ready)', function()
    local status = require('hearth.status').by_client[client.id]
    if status and status.state == 'error' then
      error('model failed to load: ' .. status.message)
    end
    return status and status.state == 'ready'
  end, 60000)
  return client
end

--- The lines of the buffer.
---@param bufnr integer
---@return string[]
function H.lines(bufnr)
  return vim.api.nvim_buf_get_lines(bufnr, 0, -1, false)
end

return H
