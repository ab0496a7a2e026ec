-- Commands and the LspAttach hook of hearth-lsp. Starting the server is up to the user:
-- `vim.lsp.enable('hearth')` or `require('hearth').setup({...})`.
if vim.g.loaded_hearth then
  return
end
vim.g.loaded_hearth = true

if vim.fn.has('nvim-0.11') == 0 then
  vim.notify('hearth: Neovim 0.11 or newer is needed', vim.log.levels.ERROR)
  return
end

local command = vim.api.nvim_create_user_command

command('HearthExplain', function(opts)
  require('hearth.actions').explain(opts)
end, { range = true, desc = 'hearth: explain the selection or the function under the cursor' })

command('HearthFix', function(opts)
  require('hearth.actions').fix(opts)
end, { range = true, bang = true,
  desc = 'hearth: fix the diagnostic under the cursor, or the bugs of this function (! to choose)' })

command('HearthStatus', function()
  require('hearth.status').show()
end, { desc = 'hearth: model, engine, load state and last latency' })

-- The "Explain with hearth" code action runs this command: show its answer in a float.
vim.lsp.commands['hearth.explain'] = function(cmd, ctx)
  require('hearth.actions').explain_command(cmd, ctx)
end

local group = vim.api.nvim_create_augroup('hearth', { clear = true })
vim.api.nvim_create_autocmd('LspAttach', {
  group = group,
  callback = function(args)
    local client = vim.lsp.get_client_by_id(args.data.client_id)
    if client and client.name == 'hearth' then
      require('hearth').attach(client, args.buf)
    end
  end,
})
vim.api.nvim_create_autocmd('LspDetach', {
  group = group,
  callback = function(args)
    local client = vim.lsp.get_client_by_id(args.data.client_id)
    if client and client.name == 'hearth' then
      require('hearth.inline').detach(args.buf)
    end
  end,
})
