-- Entry point: `nvim --headless --clean -c 'luafile run.lua'` with HEARTH_TEST naming the test
-- file next to this one. A test that fails to load still ends Neovim with an error.
local dir = vim.fs.dirname(debug.getinfo(1, 'S').source:sub(2))
package.path = dir .. '/?.lua;' .. package.path
package.loaded['hearth_test_harness'] = dofile(dir .. '/harness.lua')
local ok, err = pcall(dofile, dir .. '/' .. assert(os.getenv('HEARTH_TEST')) .. '.lua')
if not ok then
  local f = io.open(assert(os.getenv('HEARTH_TEST_OUT')), 'w')
  if f then
    f:write(vim.json.encode({ ok = false, error = 'the test did not load: ' .. tostring(err) }))
    f:close()
  end
  vim.cmd('cquit! 2')
end
