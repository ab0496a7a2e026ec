-- The Neovim client against the contract (editors/contract.schema.json), without a server: every
-- status the server may send (samples made from the schema) goes through the notification
-- handler, the statusline and :HearthStatus's lines; hearth's fixes are told from other actions;
-- the arguments the client sends are reported for the schema to check.
local H = require('hearth_test_harness')

H.run(function()
  H.step('read the samples')
  local file = assert(io.open(assert(os.getenv('HEARTH_CONTRACT_SAMPLES')), 'r'))
  local raw = file:read('*a')
  file:close()
  local samples = vim.json.decode(raw)
  local status = require('hearth.status')
  local actions = require('hearth.actions')

  H.facts.states = {}
  for state, info in pairs(status.states) do
    H.facts.states[state] = info.severity
  end

  H.step('every status, decoded as 0.11 (null → nil) and as 0.12 (null → vim.NIL) do')
  local shown = {}
  for _, opts in ipairs({ { luanil = { object = true, array = true } }, {} }) do
    local decoded = vim.json.decode(raw, opts)
    for i, sample in ipairs(decoded.statuses) do
      local where = ('status #%d (%s)'):format(i, vim.inspect(opts))
      local ok, err = pcall(status.on_notification, nil, sample, { client_id = 4242, method = 'hearth/status' })
      assert(ok, where .. ': the notification handler failed: ' .. tostring(err))
      assert(status.by_client[4242] == sample, where .. ': the notification was dropped')
      local ok_text, text = pcall(status.text, sample)
      assert(ok_text, where .. ': statusline: ' .. tostring(text))
      local ok_lines, lines = pcall(status.format, sample)
      assert(ok_lines, where .. ': :HearthStatus: ' .. tostring(lines))
      table.insert(shown, { state = sample.state, text = text, first = lines[1],
        message = samples.statuses[i].message })
    end
  end
  H.facts.shown = shown

  H.step('hearth fixes by kind and data')
  H.facts.fixes = vim.tbl_map(actions.is_fix, samples.fixActions)
  H.facts.others = vim.tbl_map(actions.is_fix, samples.otherActions)

  H.step('the arguments of hearth.explain')
  local bufnr = vim.api.nvim_create_buf(true, false)
  vim.api.nvim_buf_set_name(bufnr, H.workdir .. '/grüße.py')
  vim.api.nvim_set_current_buf(bufnr)
  vim.api.nvim_buf_set_lines(bufnr, 0, -1, false, { 'def grüße(name):', '    return "héllo " + name' })
  vim.api.nvim_win_set_cursor(0, { 2, 12 })
  H.facts.explain = {
    actions.explain_arguments(bufnr, { offset_encoding = 'utf-16' }),
    actions.explain_arguments(bufnr, { offset_encoding = 'utf-8' }, { range = 2, line1 = 1, line2 = 2 }),
  }
end)
