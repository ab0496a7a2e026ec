-- :checkhealth hearth — the server command and its version, the running server's model and
-- state, and what this Neovim gets (ghost text needs 0.12).
local config = require('hearth.config')
local util = require('hearth.util')

local M = {}

local health = vim.health

--- `hearth-lsp --version` of the configured command (python -m lsp_server answers it too).
---@param cmd string[]
---@return string? version, string? error
local function server_version(cmd)
  local args = vim.list_slice(cmd, 1, #cmd)
  if args[#args] == 'serve' then
    table.remove(args) -- `hearth-lsp serve` → `hearth-lsp --version`
  end
  table.insert(args, '--version')
  local ok, result = pcall(function()
    return vim.system(args, { text = true }):wait(10000)
  end)
  if not ok then
    return nil, tostring(result)
  end
  if result.code ~= 0 then
    return nil, ('exit %s: %s'):format(tostring(result.code), vim.trim(result.stderr or ''))
  end
  return vim.trim(result.stdout or ''), nil
end

--- The command the hearth client uses (vim.lsp.config) or would use.
---@return string[]
local function configured_cmd()
  local ok, cfg = pcall(function()
    return vim.lsp.config[util.name]
  end)
  if ok and type(cfg) == 'table' and type(cfg.cmd) == 'table' then
    return cfg.cmd
  end
  return config.server_cmd()
end

local function check_server()
  health.start('hearth: server')
  local cmd = configured_cmd()
  local exe = cmd[1]
  if vim.fn.executable(exe) ~= 1 then
    health.error(('server command not found: %s'):format(exe), {
      'Run `make install` in the hearth-lsp checkout, put hearth-lsp on $PATH,',
      "or set `cmd` (or `python`) in require('hearth').setup({...}).",
    })
    return
  end
  health.ok(('server command: %s'):format(table.concat(cmd, ' ')))
  local version, err = server_version(cmd)
  if version then
    health.ok(('version: %s'):format(version))
  else
    health.error(('the server does not start: %s'):format(err or '?'))
  end
end

local function check_running()
  health.start('hearth: running server')
  local clients = vim.lsp.get_clients({ name = util.name })
  if #clients == 0 then
    health.info("not running: open a file with vim.lsp.enable('hearth') (or setup()) to start it")
    return
  end
  local status = require('hearth.status')
  for _, client in ipairs(clients) do
    local reply = client:request_sync('workspace/executeCommand',
      { command = 'hearth.status', arguments = {} }, 5000)
    local result = reply and reply.result or status.by_client[client.id]
    if type(result) ~= 'table' then
      health.warn(('client %d: no answer to hearth.status (%s)'):format(client.id,
        reply and reply.err and reply.err.message or 'timed out'))
    else
      local lines = status.format(result)
      local severity = (status.states[result.state] or status.states.unloaded).severity
      local report = severity == 'error' and health.error
        or severity == 'warning' and health.warn or health.ok
      report(table.concat(lines, '\n'))
    end
  end
end

local function check_neovim()
  health.start('hearth: Neovim')
  local v = vim.version()
  local version = ('%d.%d.%d'):format(v.major, v.minor, v.patch)
  if vim.fn.has('nvim-0.11') == 0 then
    health.error(('Neovim %s: hearth needs 0.11 or newer'):format(version))
    return
  end
  health.ok(('Neovim %s'):format(version))
  if require('hearth.inline').native_inline() then
    health.ok('ghost text as you type (vim.lsp.inline_completion)')
  else
    health.info('no ghost text before Neovim 0.12: the suggestion is a completion menu item '
      .. '(<C-x><C-o>, or the trigger key)')
  end
  health.ok(':HearthExplain, :HearthFix, :HearthStatus and the code actions')
  local ok, loaded = pcall(vim.treesitter.language.add, 'markdown')
  if ok and loaded == true then
    health.ok('explanations drawn with the Markdown tree-sitter parser')
  else
    health.info('no Markdown tree-sitter parser: explanations use the regex syntax')
  end
end

function M.check()
  check_neovim()
  check_server()
  check_running()
end

return M
