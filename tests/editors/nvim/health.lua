-- :checkhealth hearth with the server running: Neovim's version and features, the server
-- command and version, and the running server's state, model and engine.
local H = require('hearth_test_harness')

H.run(function()
  H.step('setup')
  require('hearth').setup({ settings = { modelPath = H.model, threads = 1 } })
  local path = H.workdir .. '/greet.py'
  vim.fn.writefile({ 'def greet(name):', '    return name' }, path)
  vim.cmd.edit(path)
  H.ready_client(vim.api.nvim_get_current_buf())

  H.step(':checkhealth hearth')
  vim.cmd('checkhealth hearth')
  local report = table.concat(vim.api.nvim_buf_get_lines(0, 0, -1, false), '\n')
  H.facts.report = report
end)
