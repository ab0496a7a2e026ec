-- hearth-lsp: local AI completions, quick fixes and explanations.
-- `vim.lsp.enable('hearth')` starts it; change anything with `vim.lsp.config('hearth', {...})`,
-- e.g. `settings = { hearth = { modelPath = '~/models/qwen2.5-coder-1.5b-q4_k_m.gguf' } }`.
local config = require('hearth.config')

---@type vim.lsp.Config
return {
  cmd = config.server_cmd(),
  root_markers = { '.git' },
  settings = { hearth = config.server_settings(config.options.settings) },
  -- One warm model per editor: every buffer and project shares the same server.
  reuse_client = function(client, cfg)
    return client.name == cfg.name
  end,
  -- The settings also go in initializationOptions, so the model loads once with them
  -- instead of loading the default first and reloading on didChangeConfiguration.
  before_init = function(params, cfg)
    params.initializationOptions =
      vim.tbl_deep_extend('force', cfg.init_options or {}, cfg.settings or {})
  end,
  handlers = {
    ['hearth/status'] = function(err, result, ctx)
      require('hearth.status').on_notification(err, result, ctx)
    end,
  },
}
