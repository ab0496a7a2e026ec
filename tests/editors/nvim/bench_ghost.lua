-- Benchmark (scripts/bench_editors.py, not a test): last keystroke → ghost text in the buffer, in
-- Neovim 0.12 with the plugin and the real server (Neovim's own 200 ms debounce included), and
-- where the time goes: Neovim's debounce (key → request sent), the request (sent → answer
-- handled), and inside the server (hearth.status and hearth.lastCompletion after each sample).
local H = require('hearth_test_harness')

local function now_ms()
  return vim.uv.hrtime() / 1e6
end

H.run(function()
  local settings = { threads = tonumber(os.getenv('HEARTH_THREADS') or '1') }
  if H.model ~= '' then
    settings.modelPath = H.model
  end
  require('hearth').setup({ settings = settings })
  local cases = vim.json.decode(assert(os.getenv('HEARTH_BENCH_CASES')))
  local path = H.workdir .. '/' .. cases.file
  vim.fn.writefile(vim.split(cases.text, '\n', { plain = true }), path)
  vim.cmd.edit(path)
  local bufnr = vim.api.nvim_get_current_buf()
  local client = H.ready_client(bufnr)
  local inline = require('hearth.inline')

  local last_key, sent, answered = 0, {}, {}
  vim.api.nvim_create_autocmd('InsertCharPre', { buffer = bufnr, callback = function()
    last_key = now_ms()
  end })
  vim.api.nvim_create_autocmd('LspRequest', { callback = function(ev)
    local request = ev.data.request
    if request.method == 'textDocument/inlineCompletion' then
      if request.type == 'pending' then
        table.insert(sent, now_ms())
      elseif request.type == 'complete' then
        table.insert(answered, now_ms())
      end
    end
  end })

  local samples = {}
  for i = 1, tonumber(os.getenv('HEARTH_SAMPLES') or '25') do
    local case = cases.cases[(i - 1) % #cases.cases + 1]
    vim.api.nvim_win_set_cursor(0, { case.line, 0 })
    H.sleep(300)
    sent, answered = {}, {}
    H.type('A' .. case.keys)
    -- the extmark, checked every millisecond
    local drawn
    local deadline = now_ms() + 20000
    while not drawn and now_ms() < deadline do
      if inline.visible(bufnr) then
        drawn = now_ms()
      else
        H.sleep(1)
      end
    end
    assert(drawn, 'no ghost text for sample ' .. i)
    local request_at = sent[#sent]
    local answer_at = answered[#answered]
    local status = client:request_sync('workspace/executeCommand',
      { command = 'hearth.status', arguments = {} }, 5000).result
    local last = client:request_sync('workspace/executeCommand',
      { command = 'hearth.lastCompletion', arguments = {} }, 5000).result
    local generation = type(last) == 'table' and last.generation or {}
    table.insert(samples, {
      ms = drawn - last_key,
      debounce = request_at and request_at - last_key or vim.NIL,
      request = (request_at and answer_at) and answer_at - request_at or vim.NIL,
      drawing = answer_at and drawn - answer_at or vim.NIL,
      server = status and status.lastLatencyMs or vim.NIL,
      pipeline = type(last) == 'table' and last.totalMs or vim.NIL,
      context = type(last) == 'table' and last.contextMs or vim.NIL,
      model = generation.total_ms or vim.NIL,
      first_token = generation.first_token_ms or vim.NIL,
      prompt_tokens = generation.prompt_tokens or vim.NIL,
      reused_tokens = generation.reused_tokens or vim.NIL,
      generated_tokens = generation.generated_tokens or vim.NIL,
      requests = #sent,
      ghost = type(last) == 'table' and last.suggestion or vim.NIL,
    })
    H.type('<Esc>u')
    H.wait_for('the line back as it was', function()
      return vim.api.nvim_buf_get_lines(bufnr, case.line - 1, case.line, false)[1] == case.original
    end, 5000)
  end
  H.facts.samples = samples
end, 900000)
