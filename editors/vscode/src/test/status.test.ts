import assert from "node:assert/strict";
import { test } from "node:test";
import { describe, HearthStatus, isStatus, summary } from "../status";

const ready: HearthStatus = {
  state: "ready", message: "ready", model: "Qwen2.5 Coder 1.5B Q4_K_M", path: "/models/qwen.gguf",
  engine: "llama_cpp", template: "qwen", loadMs: 812.4, warmUpMs: 90, lastLatencyMs: 41.6, busy: false,
  version: "0.1.0", workerRestarts: 0, lastStopLatencyMs: null, loadError: null,
  generations: { started: 12, completed: 10, cancelled: 2, dropped: 0, failed: 0 },
  index: { files: 3, symbols: 12, pending: 0, scanMs: 4.2 },
};

test("ready: model in the tooltip, last latency in the text", () => {
  const view = describe(ready, "running");
  assert.equal(view.text, "$(sparkle) hearth 42 ms");
  assert.equal(view.severity, "normal");
  assert.match(view.tooltip, /Qwen2\\\.5 Coder 1\\\.5B Q4\\_K\\_M/);
  assert.match(view.tooltip, /\| Engine \| llama\\_cpp, template qwen \|/);
  assert.match(view.tooltip, /\| Loaded in \| 812 ms \|/);
  assert.match(view.tooltip, /10 completed, 2 cancelled/);
});

test("ready after a failed reload: the previous model serves, the tooltip says why", () => {
  const view = describe({ ...ready, loadError: "model file not found: /m/new.gguf" }, "running");
  assert.match(view.tooltip, /\| Last load failed \| model file not found: \/m\/new\\\.gguf \|/);
  assert.doesNotMatch(describe(ready, "running").tooltip, /Last load failed/);
});

test("ready before any completion shows no latency", () => {
  assert.equal(describe({ ...ready, lastLatencyMs: null }, "running").text, "$(sparkle) hearth");
});

test("loading, error, unavailable, starting and stopped", () => {
  assert.equal(describe({ ...ready, state: "loading" }, "running").text, "$(loading~spin) hearth loading");
  const error = describe({ ...ready, state: "error", message: "cannot read /m.gguf" }, "running");
  assert.equal(error.severity, "error");
  assert.match(error.tooltip, /error: cannot read \/m\\\.gguf/);
  const down = describe({ ...ready, state: "unavailable", message: "connection refused" }, "running");
  assert.equal(down.text, "$(debug-disconnect) hearth unavailable");
  assert.equal(down.severity, "warning");
  assert.match(down.tooltip, /unavailable: connection refused/);
  assert.equal(describe(undefined, "starting").text, "$(loading~spin) hearth");
  assert.equal(describe(ready, "stopped").severity, "error");
});

test("isStatus accepts the server's payload only", () => {
  assert.ok(isStatus(ready));
  assert.ok(isStatus({ ...ready, state: "unavailable" }));
  assert.ok(!isStatus({ state: "bogus" }));
  assert.ok(!isStatus(null));
  assert.ok(!isStatus("ready"));
});

test("summary for the notification", () => {
  assert.equal(summary(ready), "hearth: ready — Qwen2.5 Coder 1.5B Q4_K_M (llama_cpp) — last completion 42 ms");
  assert.equal(summary({ ...ready, state: "error", message: "boom" }), "hearth: error — boom");
  assert.equal(summary({ ...ready, state: "unavailable", message: "refused" }), "hearth: unavailable — refused");
  assert.match(summary(undefined), /not reported/);
});
