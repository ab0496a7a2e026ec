// The extension against the contract (editors/contract.schema.json): every state and field the
// server may send, as sample payloads made from the schema by tests/editors/contract.py, is
// accepted and shown; hearth's fixes are found by kind and data, whatever their titles.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { test } from "node:test";
import { COMMANDS, STATES } from "../contract";
import { EXPLAIN_COMMAND } from "../explain";
import { FIX_COMMAND, isHearthFix } from "../fixes";
import { describe, isStatus, STATUS_COMMAND, summary } from "../status";

const repoRoot = path.resolve(__dirname, "..", "..", "..", "..");
const python = process.env.HEARTH_PYTHON ?? path.join(repoRoot, ".venv", "bin", "python");

interface Samples {
  states: Record<string, "normal" | "warning" | "error">;
  commands: string[];
  statuses: Record<string, unknown>[];
  fixActions: unknown[];
  otherActions: unknown[];
}

function samples(): Samples {
  const made = spawnSync(python, ["-m", "tests.editors.contract", "samples"],
    { cwd: repoRoot, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  assert.equal(made.status, 0, `cannot make the contract's samples with ${python}: ${made.stderr}`);
  return JSON.parse(made.stdout) as Samples;
}

const contract = samples();

test("the generated types know exactly the schema's states and commands", () => {
  assert.deepEqual([...STATES].sort(), Object.keys(contract.states).sort());
  assert.deepEqual([...COMMANDS].sort(), [...contract.commands].sort());
  for (const used of [STATUS_COMMAND, EXPLAIN_COMMAND, FIX_COMMAND]) {
    assert.ok((COMMANDS as readonly string[]).includes(used), `${used} is not in the contract`);
  }
});

test("every status the server may send is accepted and shown in its own way", () => {
  assert.ok(contract.statuses.length >= 2 * STATES.length);
  const seen = new Set<string>();
  for (const sample of contract.statuses) {
    const shown = JSON.stringify(sample).slice(0, 300);
    assert.ok(isStatus(sample), `rejected: ${shown}`);
    const state = sample.state as string;
    seen.add(state);
    const view = describe(sample, "running");
    assert.equal(view.severity, contract.states[state], `severity of ${shown}`);
    assert.ok(view.text.includes("hearth"), view.text);
    if (state !== "ready") {
      // the word a person reads: "hearth loading", "hearth unavailable", "hearth not loaded"...
      assert.ok(view.text.includes(state === "unloaded" ? "not loaded" : state), `${view.text} for ${shown}`);
    }
    assert.ok(view.tooltip.startsWith(`**hearth** — ${state}`), view.tooltip);
    assert.ok(summary(sample).startsWith(`hearth: ${state}`), summary(sample));
    if ((state === "error" || state === "unavailable") && (sample.message as string).trim()) {
      assert.ok(summary(sample).endsWith(sample.message as string), `the reason is not shown: ${summary(sample)}`);
    }
  }
  assert.deepEqual([...seen].sort(), [...STATES].sort());
});

test("hearth's fixes are recognised by kind and data, never by title", () => {
  for (const action of contract.fixActions) {
    assert.ok(isHearthFix(action), `not recognised: ${JSON.stringify(action)}`);
  }
  for (const action of contract.otherActions) {
    assert.ok(!isHearthFix(action), `taken for a hearth fix: ${JSON.stringify(action)}`);
  }
});
