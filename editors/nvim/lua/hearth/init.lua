-- hearth-lsp for Neovim 0.11+: ghost text (0.12+), the completion menu item (0.11),
-- :HearthExplain, :HearthFix and :HearthStatus. The server config is lsp/hearth.lua.
local config = require('hearth.config')
local util = require('hearth.util')

local M = {}

--- Optional: configure and enable in one call (lazy.nvim calls it with `opts`).
---@param opts? hearth.Options
function M.setup(opts)
  local options = config.set(opts)
  local override = { settings = { hearth = config.server_settings(options.settings) } }
  if options.cmd or options.python then
    override.cmd = config.server_cmd(options)
  end
  vim.lsp.config(util.name, override)
  if options.enable ~= false then
    vim.lsp.enable(util.name)
  end
end

--- Called for each buffer the hearth client attaches to (see plugin/hearth.lua).
---@param client vim.lsp.Client
---@param bufnr integer
function M.attach(client, bufnr)
  require('hearth.inline').attach(client, bufnr)
end

--- Change server settings at run time, e.g. `require('hearth').update_settings({ maxTokens = 32 })`.
---@param settings table
function M.update_settings(settings)
  for _, client in ipairs(vim.lsp.get_clients({ name = util.name })) do
    client.settings = vim.tbl_deep_extend('force', client.settings or {}, { hearth = settings })
    client:notify('workspace/didChangeConfiguration', { settings = client.settings })
  end
end

--- For the statusline: `%{v:lua.require'hearth'.statusline()}`.
---@return string
function M.statusline()
  return require('hearth.status').statusline()
end

return M
