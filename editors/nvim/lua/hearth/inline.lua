-- Ghost text on Neovim 0.12+ (vim.lsp.inline_completion) and the completion menu item elsewhere.
local config = require('hearth.config')

local M = {}

--- Neovim 0.12 has native inline completion; 0.11 gets the completion menu item instead.
---@return boolean
function M.native_inline()
  return vim.fn.has('nvim-0.12') == 1 and vim.lsp.inline_completion ~= nil
end

local function inline_namespace()
  return vim.api.nvim_get_namespaces()['nvim.lsp.inline_completion']
end

--- Is ghost text shown in the buffer?
---@param bufnr integer
---@return boolean
function M.visible(bufnr)
  local ns = inline_namespace()
  return ns ~= nil and #vim.api.nvim_buf_get_extmarks(bufnr, ns, 0, -1, { limit = 1 }) > 0
end

--- What the key did before hearth mapped it in this buffer: its previous mapping, or the key.
---@param key string
---@param previous table maparg() of the key before hearth's mapping
---@return string keys for an <expr> mapping
local function fallback(key, previous)
  if previous and not vim.tbl_isempty(previous) then
    if previous.callback then
      if previous.expr == 1 then
        return previous.callback() or ''
      end
      vim.schedule(previous.callback) -- outside the textlock of this <expr> mapping
      return ''
    end
    if previous.expr == 1 then
      local ok, keys = pcall(vim.api.nvim_eval, previous.rhs) -- fails on <SID> expressions
      return ok and type(keys) == 'string' and keys or key
    end
    if previous.noremap == 0 then
      vim.api.nvim_feedkeys(vim.keycode(previous.rhs), 'm', false)
      return ''
    end
    return previous.rhs
  end
  return key
end

---@param bufnr integer
---@param key string|false
---@param desc string
---@param action fun(): boolean true when it acted, false to fall back
local function map(bufnr, key, desc, action)
  if not key or key == '' then
    return
  end
  local previous = vim.fn.maparg(key, 'i', false, true)
  if previous.desc and previous.desc:find('^hearth:') then
    previous = {} -- attached again: do not fall back to ourselves
  end
  vim.keymap.set('i', key, function()
    if action() then
      return ''
    end
    return fallback(key, previous)
  end, { buffer = bufnr, expr = true, desc = 'hearth: ' .. desc })
end

--- Set up suggestions for a buffer the hearth client attached to.
---@param client vim.lsp.Client
---@param bufnr integer
function M.attach(client, bufnr)
  local opts = config.options
  local keys = opts.keys or {}
  local inline = opts.inline ~= false and M.native_inline()
    and client:supports_method('textDocument/inlineCompletion')
  if inline then
    vim.lsp.inline_completion.enable(true, { bufnr = bufnr })
    map(bufnr, keys.accept, 'accept the suggestion', function()
      return vim.lsp.inline_completion.get({ bufnr = bufnr })
    end)
    map(bufnr, keys.next, 'next suggestion', function()
      if not M.visible(bufnr) then
        return false
      end
      vim.schedule(function()
        vim.lsp.inline_completion.select({ bufnr = bufnr, count = 1 })
      end)
      return true
    end)
    map(bufnr, keys.prev, 'previous suggestion', function()
      if not M.visible(bufnr) then
        return false
      end
      vim.schedule(function()
        vim.lsp.inline_completion.select({ bufnr = bufnr, count = -1 })
      end)
      return true
    end)
    map(bufnr, keys.dismiss, 'dismiss the suggestion', function()
      if not M.visible(bufnr) then
        return false
      end
      -- accepting with a handler that returns nothing clears it without inserting
      return vim.lsp.inline_completion.get({ bufnr = bufnr, on_accept = function() end })
    end)
  end
  if client:supports_method('textDocument/completion') then
    -- the menu item: what 0.11 shows, and what the trigger key asks for explicitly on any version
    vim.lsp.completion.enable(true, client.id, bufnr, { autotrigger = false })
    map(bufnr, keys.trigger, 'ask for a suggestion in the completion menu', function()
      vim.schedule(vim.lsp.completion.get)
      return true
    end)
  end
end

--- Remove hearth's key mappings from a buffer the client left.
---@param bufnr integer
function M.detach(bufnr)
  if not vim.api.nvim_buf_is_valid(bufnr) then
    return
  end
  for _, mapping in ipairs(vim.api.nvim_buf_get_keymap(bufnr, 'i')) do
    if mapping.desc and mapping.desc:find('^hearth:') then
      vim.keymap.del('i', mapping.lhs, { buffer = bufnr })
    end
  end
end

return M
