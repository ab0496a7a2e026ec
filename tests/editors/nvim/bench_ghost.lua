-- Benchmark (scripts/bench_editors.py, not a test): milliseconds from entering Insert mode to
-- ghost text on screen in Neovim 0.12 with the model given (Neovim's 200 ms debounce included).
local H = require('hearth_test_harness')
H.run(function()
  local settings = { threads = tonumber(os.getenv('HEARTH_THREADS') or '1') }
  if H.model ~= '' then
    settings.modelPath = H.model
  end
  require('hearth').setup({ settings = settings })
  local path = H.workdir .. '/shapes.py'
  vim.fn.writefile({ 'def area(width, height):', '    return width *', '',
    'def perimeter(width, height):', '    return 2 *', '', 'def mean(values):',
    '    return sum(values) /', '', 'def clamp(x, low, high):', '    return max(low,', '',
    'def square(x):', '    return x *' }, path)
  vim.cmd.edit(path)
  local bufnr = vim.api.nvim_get_current_buf()
  H.ready_client(bufnr)
  local inline = require('hearth.inline')
  local times = {}
  local rows = { 2, 5, 8, 11, 14 }
  for i = 1, tonumber(os.getenv('HEARTH_ROUNDS') or '4') * #rows do
    local row = rows[(i - 1) % #rows + 1]
    vim.api.nvim_win_set_cursor(0, { row, 0 })
    local t0 = vim.uv.hrtime()
    H.type('A')
    H.wait_for('ghost text', function()
      return inline.visible(bufnr)
    end, 20000)
    table.insert(times, (vim.uv.hrtime() - t0) / 1e6)
    H.type('<Esc>')
    H.sleep(300)
  end
  H.facts.times = times
end, 300000)
