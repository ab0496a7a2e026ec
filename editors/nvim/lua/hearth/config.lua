-- Options of the Neovim client and how the server command is found.
local M = {}

---@class hearth.Keys
---@field accept string|false   accept the ghost text; falls back to the key's usual action
---@field next string|false     next suggestion
---@field prev string|false     previous suggestion
---@field dismiss string|false  hide the ghost text
---@field trigger string|false  ask hearth explicitly (completion menu item)

---@class hearth.Options
---@field cmd? string[]              server command (default: found on PATH or in the checkout)
---@field python? string             run `python -m lsp_server serve` with this interpreter
---@field settings? table            server settings (modelPath, threads, maxTokens, ...)
---@field inline? boolean            ghost text on Neovim 0.12+ (default true)
---@field keys? hearth.Keys
---@field float? table               options for the explanation window
---@field enable? boolean            call vim.lsp.enable('hearth') in setup() (default true)

---@type hearth.Options
M.defaults = {
  cmd = nil,
  python = nil,
  settings = {},
  inline = true,
  keys = {
    accept = '<Tab>',
    next = '<M-]>',
    prev = '<M-[>',
    dismiss = '<C-]>',
    trigger = '<M-\\>',
  },
  float = { border = 'rounded', max_width = 100, max_height = 40 },
  enable = true,
}

---@type hearth.Options
M.options = vim.deepcopy(M.defaults)

--- Server settings this client always sets: it shows explanations in a float itself, so the
--- server need not also send them as a message.
M.client_managed = { explainShowMessage = false }

--- The settings sent to the server: the user's, plus the client-managed ones.
---@param user? table
---@return table
function M.server_settings(user)
  return vim.tbl_extend('force', vim.deepcopy(user or {}), M.client_managed)
end

---@param opts? hearth.Options
function M.set(opts)
  M.options = vim.tbl_deep_extend('force', vim.deepcopy(M.defaults), opts or {})
  return M.options
end

--- The root of this checkout when the plugin runs from it (editors/nvim/lua/hearth/config.lua).
---@return string?
local function checkout_root()
  local source = debug.getinfo(1, 'S').source
  if source:sub(1, 1) ~= '@' then
    return nil
  end
  local root = vim.fs.normalize(vim.fn.fnamemodify(source:sub(2), ':p:h:h:h:h:h'))
  if vim.uv.fs_stat(root .. '/lsp_server/server.py') then
    return root
  end
  return nil
end

--- The command that starts the server, in order of preference: `cmd` or `python` from the
--- options, `hearth-lsp` on PATH, then the virtualenv of the checkout this plugin lives in.
---@param opts? hearth.Options
---@return string[]
function M.server_cmd(opts)
  opts = opts or M.options
  if opts.cmd then
    return opts.cmd
  end
  if opts.python then
    return { opts.python, '-m', 'lsp_server', 'serve' }
  end
  if vim.fn.executable('hearth-lsp') == 1 then
    return { vim.fn.exepath('hearth-lsp'), 'serve' }
  end
  local root = checkout_root()
  if root then
    local venv = root .. '/.venv/bin/hearth-lsp'
    if vim.fn.executable(venv) == 1 then
      return { venv, 'serve' }
    end
  end
  return { 'hearth-lsp', 'serve' } -- Neovim reports that it cannot be started
end

return M
