// The real server, driven over stdio with VS Code's own protocol library (the one
// vscode-languageclient is built on), with VS Code's capabilities and the settings this extension
// would send. Needs the checkout's .venv (`make install`); the model is the tiny test GGUF.
import assert from "node:assert/strict";
import { ChildProcessWithoutNullStreams, spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import {
  ClientCapabilities,
  CodeAction,
  CodeActionRequest,
  CodeActionResolveRequest,
  CodeActionTriggerKind,
  CompletionList,
  CompletionRequest,
  CompletionTriggerKind,
  ConfigurationRequest,
  Diagnostic,
  DiagnosticSeverity,
  createProtocolConnection,
  DidChangeConfigurationNotification,
  DidOpenTextDocumentNotification,
  ExecuteCommandRequest,
  ExitNotification,
  InitializedNotification,
  InitializeRequest,
  InitializeResult,
  InlineCompletionList,
  InlineCompletionRequest,
  InlineCompletionTriggerKind,
  ProtocolConnection,
  RegistrationRequest,
  ShowMessageNotification,
  ShowMessageParams,
  ShutdownRequest,
  StreamMessageReader,
  StreamMessageWriter,
  TextDocumentEdit,
  TextEdit,
  WorkDoneProgressCreateRequest,
} from "vscode-languageserver-protocol/node";
import { EXPLAIN_COMMAND, explanationPage, isExplanation, plainHtml } from "../explain";
import { hearthFixes, preferredFix } from "../fixes";
import { Inspected, resolveLaunch, serverKeys, serverSettings } from "../settings";
import { describe as describeStatus, HearthStatus, isStatus, STATUS_COMMAND, STATUS_NOTIFICATION } from "../status";

const extensionRoot = path.resolve(__dirname, "..", "..");
const repoRoot = path.resolve(extensionRoot, "..", "..");
const python = process.env.HEARTH_PYTHON ?? path.join(repoRoot, ".venv", "bin", "python");
const packageJson: unknown = JSON.parse(fs.readFileSync(path.join(extensionRoot, "package.json"), "utf8"));

/** What VS Code 1.9x announces through vscode-languageclient 10 (the parts the server reads). */
const VSCODE_CAPABILITIES: ClientCapabilities = {
  general: { positionEncodings: ["utf-16"] },
  window: { workDoneProgress: true, showMessage: { messageActionItem: { additionalPropertiesSupport: true } } },
  workspace: {
    applyEdit: true,
    configuration: true,
    workspaceFolders: true,
    didChangeConfiguration: { dynamicRegistration: true },
    executeCommand: { dynamicRegistration: true },
    workspaceEdit: { documentChanges: true, resourceOperations: ["create", "rename", "delete"] },
  },
  textDocument: {
    synchronization: { dynamicRegistration: true, willSave: true, willSaveWaitUntil: true, didSave: true },
    completion: {
      dynamicRegistration: true,
      contextSupport: true,
      completionItem: {
        snippetSupport: true, insertReplaceSupport: true, labelDetailsSupport: true,
        documentationFormat: ["markdown", "plaintext"],
      },
    },
    inlineCompletion: { dynamicRegistration: true },
    codeAction: {
      dynamicRegistration: true, isPreferredSupport: true, disabledSupport: true, dataSupport: true,
      honorsChangeAnnotations: true, resolveSupport: { properties: ["edit"] },
      codeActionLiteralSupport: { codeActionKind: { valueSet: ["", "quickfix", "refactor", "source"] } },
    },
    hover: { dynamicRegistration: true, contentFormat: ["markdown", "plaintext"] },
    publishDiagnostics: { relatedInformation: true, tagSupport: { valueSet: [1, 2] }, dataSupport: true },
  },
};

function tinyModel(dir: string): string {
  if (process.env.HEARTH_TEST_MODEL) {
    return process.env.HEARTH_TEST_MODEL;
  }
  const file = path.join(dir, "tiny.gguf");
  const made = spawnSync(python, ["-c",
    "import sys; from pathlib import Path; from tests.tiny_gguf import write_tiny_gguf; "
    + "write_tiny_gguf(Path(sys.argv[1]))", file], { cwd: repoRoot, encoding: "utf8" });
  assert.equal(made.status, 0, `cannot write the tiny model with ${python}: ${made.stderr}`);
  return file;
}

/** The settings the extension sends for a user who set these in their settings.json. */
function userSettings(values: Record<string, unknown>): { hearth: Record<string, unknown> } {
  const keys = serverKeys(packageJson);
  for (const key of Object.keys(values)) {
    assert.ok(keys.includes(key), `${key} is not a contributed setting`);
  }
  const inspect = (key: string): Inspected => ({ globalValue: values[key] });
  return serverSettings([...keys, "launch.python"], inspect, { trusted: true, restricted: new Set() });
}

/** A running server and what it sent. */
class Server {
  readonly statuses: HearthStatus[] = [];
  readonly messages: ShowMessageParams[] = [];
  stderr = "";
  private constructor(readonly child: ChildProcessWithoutNullStreams, readonly connection: ProtocolConnection,
    public settings: { hearth: Record<string, unknown> }) {}

  static start(settings: { hearth: Record<string, unknown> }, configHome: string): Server {
    const launch = resolveLaunch({
      command: [], python: "", extensionPath: extensionRoot, pathEnv: process.env.PATH, platform: process.platform,
    });
    assert.ok(["path", "checkout"].includes(launch.source), `server not found: ${JSON.stringify(launch)}`);
    const child = spawn(launch.command, launch.args, { env: { ...process.env, XDG_CONFIG_HOME: configHome } });
    const connection = createProtocolConnection(new StreamMessageReader(child.stdout), new StreamMessageWriter(child.stdin));
    const server = new Server(child, connection, settings);
    child.stderr.on("data", (chunk: Buffer) => (server.stderr += chunk.toString()));
    connection.onNotification(STATUS_NOTIFICATION, (status: unknown) => {
      if (isStatus(status)) {
        server.statuses.push(status);
      }
    });
    connection.onNotification(ShowMessageNotification.type, (params) => {
      server.messages.push(params);
    });
    connection.onRequest(WorkDoneProgressCreateRequest.type, () => undefined);
    connection.onRequest(RegistrationRequest.type, () => undefined);
    connection.onRequest(ConfigurationRequest.type, (params) => params.items.map(() => server.settings.hearth));
    connection.listen();
    return server;
  }

  async initialize(): Promise<InitializeResult> {
    const result = await this.connection.sendRequest(InitializeRequest.type, {
      processId: process.pid,
      clientInfo: { name: "Visual Studio Code", version: "1.99.0" },
      rootUri: null,
      capabilities: VSCODE_CAPABILITIES,
      initializationOptions: this.settings,
      workspaceFolders: null,
    });
    await this.connection.sendNotification(InitializedNotification.type, {});
    return result;
  }

  async until<T>(what: string, probe: () => T | undefined, timeoutMs = 60000): Promise<T> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const value = probe();
      if (value !== undefined) {
        return value;
      }
      if (Date.now() > end || this.child.exitCode !== null) {
        throw new Error(`no ${what} (server exit ${this.child.exitCode}); stderr:\n${this.stderr.slice(-2000)}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  async ready(): Promise<HearthStatus> {
    const status = await this.until("ready status", () => this.statuses.find((s) => s.state === "ready"
      || s.state === "error"));
    assert.equal(status.state, "ready", status.message);
    return status;
  }

  async open(uri: string, text: string): Promise<void> {
    await this.connection.sendNotification(DidOpenTextDocumentNotification.type, {
      textDocument: { uri, languageId: "python", version: 1, text },
    });
  }

  async stop(): Promise<number | null> {
    if (this.child.exitCode !== null) {
      return this.child.exitCode;
    }
    await this.connection.sendRequest(ShutdownRequest.type);
    const exited = new Promise<number | null>((resolve) => this.child.once("exit", (code) => resolve(code)));
    await this.connection.sendNotification(ExitNotification.type);
    return exited;
  }

  kill(): void {
    if (this.child.exitCode === null) {
      this.child.kill();
    }
    this.connection.dispose();
  }
}

/** Apply LSP text edits to a text (what VS Code's applyEdit does with them). */
function applyEdits(text: string, edits: readonly TextEdit[]): string {
  const lines = text.split("\n");
  const offset = (line: number, character: number) =>
    lines.slice(0, line).reduce((sum, l) => sum + l.length + 1, 0) + character;
  const sorted = [...edits].sort((a, b) => offset(b.range.start.line, b.range.start.character)
    - offset(a.range.start.line, a.range.start.character));
  let result = text;
  for (const edit of sorted) {
    result = result.slice(0, offset(edit.range.start.line, edit.range.start.character)) + edit.newText
      + result.slice(offset(edit.range.end.line, edit.range.end.character));
  }
  return result;
}

describe("hearth-lsp through VS Code's protocol library", () => {
  let dir: string;
  let server: Server;
  let model: string;
  const uri = "file:///work/greet.py";
  const source = 'def greet(name):\n    message = "hello " + name\n    return ';

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "hearth-vscode-"));
    model = tinyModel(dir);
    server = Server.start(userSettings({ modelPath: model, maxTokens: 8, explainMaxTokens: 16, threads: 1 }),
      path.join(dir, "config"));
  });

  after(() => {
    server.kill();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("initializes with the extension's settings as initializationOptions", async () => {
    assert.deepEqual(Object.keys(server.settings.hearth).sort(),
      ["explainMaxTokens", "explainShowMessage", "maxTokens", "modelPath", "threads"]);
    const init = await server.initialize();
    assert.equal(init.serverInfo?.name, "hearth-lsp");
    assert.ok(init.capabilities.inlineCompletionProvider, "no inline completion provider");
    assert.ok(init.capabilities.executeCommandProvider?.commands.includes(STATUS_COMMAND));
    assert.ok(init.capabilities.executeCommandProvider?.commands.includes(EXPLAIN_COMMAND));
    assert.ok([undefined, "utf-16"].includes(init.capabilities.positionEncoding));
    // vscode-languageclient registers a VS Code command for each of the server's commands: the
    // extension's own commands must not take those ids (activation would fail)
    const contributed = (packageJson as { contributes: { commands: { command: string }[] } })
      .contributes.commands.map((c) => c.command);
    const clashes = contributed.filter((id) => init.capabilities.executeCommandProvider?.commands.includes(id));
    assert.deepEqual(clashes, []);
  });

  it("pushes hearth/status until the model is ready; the status bar shows it", async () => {
    const ready = await server.ready();
    assert.equal(ready.model, "hearth tiny test model");
    assert.ok(server.statuses.some((s) => s.state === "loading"), "no loading status before ready");
    assert.equal(describeStatus(ready, "running").text.startsWith("$(sparkle) hearth"), true);
    const complaints = server.messages.filter((m) => /setting/i.test(m.message));
    assert.deepEqual(complaints, [], "the server rejected the forwarded settings");
  });

  it("answers textDocument/inlineCompletion with ghost text at the cursor", async () => {
    await server.open(uri, source);
    const position = { line: 2, character: 11 };
    const result = await server.connection.sendRequest(InlineCompletionRequest.type, {
      textDocument: { uri }, position, context: { triggerKind: InlineCompletionTriggerKind.Automatic },
    });
    assert.ok(result, "no inline completion");
    const items = Array.isArray(result) ? result : (result as InlineCompletionList).items;
    assert.equal(items.length, 1);
    assert.equal(typeof items[0].insertText, "string");
    assert.ok((items[0].insertText as string).length > 0);
    assert.deepEqual(items[0].range, { start: position, end: position });
  });

  it("hearth.status reports the model, engine and the last latency", async () => {
    const status: unknown = await server.connection.sendRequest(ExecuteCommandRequest.type,
      { command: STATUS_COMMAND, arguments: [] });
    assert.ok(isStatus(status));
    assert.equal(status.state, "ready");
    assert.equal(status.engine, "llama_cpp");
    assert.equal(typeof status.lastLatencyMs, "number");
    assert.ok((status.generations?.completed ?? 0) >= 2, JSON.stringify(status.generations));
    assert.match(describeStatus(status, "running").text, /^\$\(sparkle\) hearth \d+ ms$/);
  });

  it("pushes the last latency in hearth/status after completions", async () => {
    const withLatency = await server.until("status with a latency", () =>
      server.statuses.find((s) => typeof s.lastLatencyMs === "number"), 5000);
    assert.ok((withLatency.lastLatencyMs ?? -1) >= 0);
  });

  it("hearth.explain returns Markdown for the page, and no message popup", async () => {
    const result: unknown = await server.connection.sendRequest(ExecuteCommandRequest.type, {
      command: EXPLAIN_COMMAND, arguments: [uri, { start: { line: 1, character: 4 }, end: { line: 1, character: 4 } }],
    });
    assert.ok(isExplanation(result), JSON.stringify(result));
    const page = explanationPage(plainHtml(result.markdown), "Explanation", "vscode-webview://x");
    assert.ok(page.includes("greet"), page);
    assert.deepEqual(server.messages.filter((m) => m.message.includes(result.markdown.slice(0, 20))), []);
  });

  it("lists quick fixes for any diagnostic at once; the light bulb gets only those", async () => {
    const pylance: Diagnostic = {
      range: { start: { line: 1, character: 4 }, end: { line: 1, character: 11 } },
      message: '"message" is not accessed', severity: DiagnosticSeverity.Hint, source: "Pylance",
    };
    const range = { start: { line: 1, character: 4 }, end: { line: 1, character: 4 } };
    const started = Date.now();
    const invoked = await server.connection.sendRequest(CodeActionRequest.type, {
      textDocument: { uri }, range, context: { diagnostics: [pylance], triggerKind: CodeActionTriggerKind.Invoked },
    });
    assert.ok(Date.now() - started < 5000, "listing actions must not wait for the model");
    const titles = (invoked ?? []).map((a) => a.title);
    assert.deepEqual(titles, ['Fix with hearth: "message" is not accessed', "Fix bugs in this function",
      "Explain with hearth"]);
    const fixes = hearthFixes<CodeAction>(invoked);
    assert.equal(fixes.length, 2);
    assert.equal(preferredFix(fixes)?.title, 'Fix with hearth: "message" is not accessed');
    const explain = (invoked ?? []).find((a) => a.title === "Explain with hearth") as CodeAction;
    assert.equal(explain.command?.command, EXPLAIN_COMMAND);
    assert.deepEqual(explain.command?.arguments, [uri, range]);
    const lightBulb = await server.connection.sendRequest(CodeActionRequest.type, {
      textDocument: { uri }, range, context: { diagnostics: [pylance], triggerKind: CodeActionTriggerKind.Automatic },
    });
    assert.deepEqual((lightBulb ?? []).map((a) => a.title), ['Fix with hearth: "message" is not accessed']);
  });

  it("takes settings changes: with ghost text off, the menu item comes instead", async () => {
    server.settings = userSettings({
      modelPath: model, maxTokens: 8, explainMaxTokens: 16, threads: 1, inlineCompletion: false,
    });
    await server.connection.sendNotification(DidChangeConfigurationNotification.type, { settings: server.settings });
    const position = { line: 2, character: 11 };
    const inline = await server.connection.sendRequest(InlineCompletionRequest.type, {
      textDocument: { uri }, position, context: { triggerKind: InlineCompletionTriggerKind.Invoked },
    });
    assert.equal(inline, null);
    const completion = await server.connection.sendRequest(CompletionRequest.type, {
      textDocument: { uri }, position, context: { triggerKind: CompletionTriggerKind.Invoked },
    });
    assert.ok(completion, "no completion list");
    const items = Array.isArray(completion) ? completion : (completion as CompletionList).items;
    assert.equal(items.length, 1);
    assert.equal(items[0].labelDetails?.description, "hearth AI");
    assert.deepEqual(server.messages.filter((m) => /setting/i.test(m.message)), []);
  });

  it("shuts down and exits cleanly", async () => {
    assert.equal(await server.stop(), 0);
  });
});

describe("a quick fix from the embedded model, as the Fix command runs it", () => {
  let dir: string;
  let server: Server;
  const uri = "file:///work/total.py";
  const source = "def total(items):\n    result = 0\n    for item in items:\n        result += item\n    return reslt\n";

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "hearth-vscode-fix-"));
    server = Server.start(userSettings({ threads: 1 }), path.join(dir, "config"));
  });

  after(() => {
    server.kill();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("resolves the diagnostic's fix into a versioned edit of the one line", async () => {
    await server.initialize();
    await server.ready();
    await server.open(uri, source);
    const diagnostic: Diagnostic = {
      range: { start: { line: 4, character: 11 }, end: { line: 4, character: 16 } },
      message: '"reslt" is not defined', severity: DiagnosticSeverity.Error, source: "Pylance",
    };
    const actions = await server.connection.sendRequest(CodeActionRequest.type, {
      textDocument: { uri }, range: { start: { line: 4, character: 4 }, end: { line: 4, character: 4 } },
      context: { diagnostics: [diagnostic], only: ["quickfix"], triggerKind: CodeActionTriggerKind.Invoked },
    });
    const chosen = preferredFix(hearthFixes<CodeAction>(actions));
    assert.equal(chosen?.title, 'Fix with hearth: "reslt" is not defined');
    assert.equal(chosen?.edit, undefined, "the edit is computed on resolve, not when listing");
    const resolved = await server.connection.sendRequest(CodeActionResolveRequest.type, chosen!);
    assert.ok(resolved.edit?.documentChanges, JSON.stringify(resolved.data));
    const change = resolved.edit.documentChanges[0] as TextDocumentEdit;
    assert.deepEqual(change.textDocument, { uri, version: 1 });
    const fixed = applyEdits(source, change.edits as TextEdit[]);
    assert.equal(fixed, source.replace("return reslt", "return result"));
    assert.equal(await server.stop(), 0);
  });
});
