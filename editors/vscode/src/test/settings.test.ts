import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import {
  findOnPath, Inspected, needsRestart, resolveLaunch, restrictedKeys, serverKeys, serverSettings, wantsMenuItem,
} from "../settings";

const packageJson: unknown = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "..", "package.json"), "utf8"));

test("server keys are the contributed settings minus the client's own", () => {
  const keys = serverKeys(packageJson);
  assert.ok(keys.includes("modelPath"));
  assert.ok(keys.includes("maxTokens"));
  assert.ok(!keys.includes("launch.command"));
  assert.ok(!keys.includes("launch.python"));
  assert.ok(!keys.includes("trace.server"));
  assert.ok(keys.every((key) => !key.includes(".")), keys.join(", "));
});

test("only explicitly set values are sent, the most specific scope winning", () => {
  const values: Record<string, Inspected> = {
    modelPath: { defaultValue: "", globalValue: "/models/a.gguf", workspaceValue: "/models/b.gguf" },
    maxTokens: { defaultValue: 64 },
    threads: { defaultValue: null, globalValue: 2 },
    inlineCompletion: { defaultValue: true, globalValue: false, workspaceFolderValue: true },
  };
  const settings = serverSettings(Object.keys(values), (key) => values[key],
    { trusted: true, restricted: new Set() });
  assert.deepEqual(settings, {
    hearth: { explainShowMessage: false, modelPath: "/models/b.gguf", threads: 2, inlineCompletion: true },
  });
});

test("an untrusted workspace cannot choose the model file", () => {
  const values: Record<string, Inspected> = {
    modelPath: { globalValue: "/models/mine.gguf", workspaceValue: "/tmp/evil.gguf" },
    promptsDir: { workspaceValue: "./prompts" },
    maxTokens: { workspaceValue: 16 },
  };
  const restricted = restrictedKeys(packageJson);
  assert.ok(restricted.has("modelPath") && restricted.has("promptsDir"));
  const untrusted = serverSettings(Object.keys(values), (key) => values[key], { trusted: false, restricted });
  assert.deepEqual(untrusted.hearth, { explainShowMessage: false, modelPath: "/models/mine.gguf", maxTokens: 16 });
  const trusted = serverSettings(Object.keys(values), (key) => values[key], { trusted: true, restricted });
  assert.deepEqual(trusted.hearth,
    { explainShowMessage: false, modelPath: "/tmp/evil.gguf", promptsDir: "./prompts", maxTokens: 16 });
});

test("a removed setting needs a restart, a changed one does not", () => {
  assert.deepEqual(needsRestart({ maxTokens: 8 }, { maxTokens: 16 }), []);
  assert.deepEqual(needsRestart({ maxTokens: 8 }, { maxTokens: 8, threads: 1 }), []);
  assert.deepEqual(needsRestart({ maxTokens: 8, threads: 1 }, { maxTokens: 8 }), ["threads"]);
});

test("the completion menu item is asked for only without ghost text", () => {
  assert.equal(wantsMenuItem({}), false);
  assert.equal(wantsMenuItem({ inlineCompletion: true }), false);
  assert.equal(wantsMenuItem({ inlineCompletion: false }), true);
});

test("launch: the command setting, then python, then PATH, then the checkout's venv", () => {
  const files = new Set(["/usr/local/bin/hearth-lsp", "/src/hearth/.venv/bin/hearth-lsp"]);
  const isFile = (file: string) => files.has(file);
  const base = {
    command: [] as string[], python: "", extensionPath: "/src/hearth/editors/vscode",
    pathEnv: "/usr/bin:/usr/local/bin", platform: "linux" as const, isFile,
  };
  assert.deepEqual(resolveLaunch({ ...base, command: ["/opt/h/hearth-lsp", "serve", "--log-level", "debug"] }),
    { command: "/opt/h/hearth-lsp", args: ["serve", "--log-level", "debug"], source: "setting" });
  assert.deepEqual(resolveLaunch({ ...base, python: " /usr/bin/python3 " }),
    { command: "/usr/bin/python3", args: ["-m", "lsp_server", "serve"], source: "python" });
  assert.deepEqual(resolveLaunch(base),
    { command: "/usr/local/bin/hearth-lsp", args: ["serve"], source: "path" });
  assert.deepEqual(resolveLaunch({ ...base, pathEnv: "/usr/bin" }),
    { command: "/src/hearth/.venv/bin/hearth-lsp", args: ["serve"], source: "checkout" });
  assert.equal(resolveLaunch({ ...base, pathEnv: "", extensionPath: "/elsewhere/ext" }).command, "hearth-lsp");
});

test("findOnPath finds real executables and skips plain files", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hearth-path-"));
  const plain = path.join(dir, "plain");
  const tool = path.join(dir, "tool");
  fs.writeFileSync(plain, "");
  fs.writeFileSync(tool, "#!/bin/sh\n");
  fs.chmodSync(tool, 0o755);
  assert.equal(findOnPath("tool", `/nonexistent:${dir}`, "linux"), tool);
  assert.equal(findOnPath("plain", dir, "linux"), undefined);
  assert.equal(findOnPath("tool", undefined, "linux"), undefined);
  fs.rmSync(dir, { recursive: true });
});
