import assert from "node:assert/strict";
import { test } from "node:test";
import { LogLevel, ServerLog } from "../serverlog";

function collect(): { lines: [LogLevel, string][]; log: ServerLog } {
  const lines: [LogLevel, string][] = [];
  const at = (level: LogLevel) => (message: string): void => {
    lines.push([level, message]);
  };
  const sink = { trace: at("trace"), debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
  return { lines, log: new ServerLog(sink) };
}

test("each server line goes to the channel at its own level, without Python's timestamp", () => {
  const { lines, log } = collect();
  log.line("2026-12-01 12:00:00,123 INFO lsp_server.model_host: model loaded in 512 ms (gemma)");
  log.line("2026-12-01 12:00:01,001 WARNING lsp_server.server: invalid setting maxTokens");
  log.line("2026-12-01 12:00:02,002 DEBUG lsp_server.pipeline: prompt 312 tokens");
  log.line("2026-12-01 12:00:03,003 ERROR lsp_server.worker: generation failed");
  log.line("Traceback (most recent call last):");
  log.line('  File "worker.py", line 3, in run');
  log.line("");
  log.line("2026-12-01 12:00:04,004 CRITICAL lsp_server: out of memory");
  assert.deepEqual(lines, [
    ["info", "lsp_server.model_host: model loaded in 512 ms (gemma)"],
    ["warn", "lsp_server.server: invalid setting maxTokens"],
    ["debug", "lsp_server.pipeline: prompt 312 tokens"],
    ["error", "lsp_server.worker: generation failed"],
    ["error", "Traceback (most recent call last):"],
    ["error", '  File "worker.py", line 3, in run'],
    ["error", "lsp_server: out of memory"],
  ]);
});

test("a traceback after an INFO record stays with it; stray output before any record is an error", () => {
  const { lines, log } = collect();
  log.line("python: can't open file 'serve': No such file");
  log.line("2026-12-01 12:00:00,123 INFO lsp_server.index: indexed 3 files");
  log.line("  continued");
  assert.deepEqual(lines.map(([level]) => level), ["error", "info", "info"]);
});
