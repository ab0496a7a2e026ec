// hearth for VS Code: starts hearth-lsp, forwards settings, shows its status, and adds the
// Explain / Fix / Restart commands. Ghost text comes from vscode-languageclient's built-in
// inline completion support.
import * as path from "node:path";
import * as readline from "node:readline";
import * as vscode from "vscode";
import {
  CodeAction,
  CodeActionKind,
  CodeActionParams,
  CodeActionRequest,
  CodeActionResolveRequest,
  CodeActionTriggerKind,
  DidChangeConfigurationNotification,
  ExecuteCommandRequest,
  LanguageClient,
  LanguageClientOptions,
  ResponseError,
  ServerOptions,
  State,
} from "vscode-languageclient/node";
import { EXPLAIN_COMMAND, explanationPage, isExplanation, plainHtml } from "./explain";
import { diagnosticsOnLines, hearthFixes, preferredFix } from "./fixes";
import {
  Launch, needsRestart, resolveLaunch, restrictedKeys, SECTION, serverKeys, serverSettings, wantsMenuItem,
} from "./settings";
import { ExplainArguments } from "./contract";
import { ServerLog } from "./serverlog";
import { ClientState, describe, HearthStatus, isStatus, STATUS_COMMAND, STATUS_NOTIFICATION, summary } from "./status";

class Hearth implements vscode.Disposable {
  private client: LanguageClient | undefined;
  private clientState: ClientState = "starting";
  private status: HearthStatus | undefined;
  private startSettings: Record<string, unknown> = {};
  private explainPanel: vscode.WebviewPanel | undefined;
  private readonly item: vscode.StatusBarItem;
  private readonly log: vscode.LogOutputChannel;
  private readonly keys: string[];
  private readonly restricted: ReadonlySet<string>;

  constructor(private readonly context: vscode.ExtensionContext) {
    const packageJson: unknown = context.extension.packageJSON;
    this.keys = serverKeys(packageJson);
    this.restricted = restrictedKeys(packageJson);
    this.log = vscode.window.createOutputChannel("hearth", { log: true });
    this.item = vscode.window.createStatusBarItem("hearth.status", vscode.StatusBarAlignment.Right, 100);
    this.item.name = "hearth";
    this.item.command = "hearth.showStatus";
    this.render();
    this.item.show();
  }

  settings(): { hearth: Record<string, unknown> } {
    const config = vscode.workspace.getConfiguration(SECTION);
    return serverSettings(this.keys, (key) => config.inspect(key),
      { trusted: vscode.workspace.isTrusted, restricted: this.restricted });
  }

  private launch(): Launch {
    const config = vscode.workspace.getConfiguration(SECTION);
    return resolveLaunch({
      command: config.get<string[]>("launch.command", []),
      python: config.get<string>("launch.python", ""),
      extensionPath: this.context.extensionPath,
      pathEnv: process.env.PATH,
      platform: process.platform,
    });
  }

  async start(): Promise<void> {
    const launch = this.launch();
    this.log.info(`starting ${[launch.command, ...launch.args].join(" ")} (from ${launch.source})`);
    const serverOptions: ServerOptions = { command: launch.command, args: launch.args };
    const settings = this.settings();
    this.startSettings = settings.hearth;
    const clientOptions: LanguageClientOptions = {
      documentSelector: [{ scheme: "file" }, { scheme: "untitled" }],
      initializationOptions: settings,
      outputChannel: this.log,
      // the server's log lines at their own levels (the default shows all of stderr as errors)
      stdioOptions: {
        stdout: () => undefined, // the protocol's own stream
        stderr: (input, channel) => {
          const log = new ServerLog(channel);
          readline.createInterface({ input, crlfDelay: Infinity, terminal: false, historySize: 0 })
            .on("line", (line) => log.line(line));
        },
      },
      middleware: {
        provideCompletionItem: (document, position, context, token, next) =>
          wantsMenuItem(this.settings().hearth) ? next(document, position, context, token) : undefined,
        // "Explain with hearth" from the light bulb runs the server's command: show its answer
        executeCommand: async (command, args, next) => {
          const result: unknown = await next(command, args);
          if (command === EXPLAIN_COMMAND) {
            await this.showExplanation(result, "Explanation");
          }
          return result;
        },
        workspace: {
          configuration: async (params, token, next) => {
            if (params.items.every((item) => item.section === SECTION)) {
              return params.items.map(() => this.settings().hearth);
            }
            return next(params, token);
          },
        },
      },
    };
    const client = new LanguageClient(SECTION, "hearth", serverOptions, clientOptions);
    this.client = client;
    this.status = undefined;
    client.onNotification(STATUS_NOTIFICATION, (status: unknown) => {
      if (isStatus(status)) {
        this.status = status;
        this.render();
      }
    });
    client.onDidChangeState((event) => {
      this.clientState = event.newState === State.Running ? "running"
        : event.newState === State.Starting ? "starting" : "stopped";
      this.render();
    });
    try {
      await client.start();
    } catch (error) {
      this.clientState = "stopped";
      this.render();
      const message = `hearth: cannot start ${launch.command} (${errorText(error)}). `
        + "Set hearth.launch.command or hearth.launch.python, or put hearth-lsp on PATH.";
      void vscode.window.showErrorMessage(message, "Open settings").then((choice) => {
        if (choice) {
          void vscode.commands.executeCommand("workbench.action.openSettings", "hearth.launch");
        }
      });
    }
  }

  async restart(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    this.clientState = "starting";
    this.status = undefined;
    this.render();
    if (client) {
      try {
        await client.dispose(5000);
      } catch (error) {
        this.log.warn(`stopping the server: ${errorText(error)}`);
      }
    }
    await this.start();
  }

  async onConfigurationChanged(event: vscode.ConfigurationChangeEvent): Promise<void> {
    if (!event.affectsConfiguration(SECTION)) {
      return;
    }
    if (event.affectsConfiguration(`${SECTION}.launch`)) {
      await this.restart();
      return;
    }
    const settings = this.settings();
    const removed = needsRestart(this.startSettings, settings.hearth);
    if (removed.length) {
      this.log.info(`restarting the server: back to the default of ${removed.map((key) => `${SECTION}.${key}`).join(", ")}`);
      await this.restart();
      return;
    }
    const serverKeyChanged = this.keys.some((key) => event.affectsConfiguration(`${SECTION}.${key}`));
    if (serverKeyChanged && this.client?.isRunning()) {
      await this.client.sendNotification(DidChangeConfigurationNotification.type, { settings });
    }
  }

  private render(): void {
    const view = describe(this.status, this.clientState);
    this.item.text = view.text;
    const tooltip = new vscode.MarkdownString(view.tooltip);
    tooltip.supportThemeIcons = true;
    this.item.tooltip = tooltip;
    this.item.backgroundColor = view.severity === "error"
      ? new vscode.ThemeColor("statusBarItem.errorBackground")
      : view.severity === "warning" ? new vscode.ThemeColor("statusBarItem.warningBackground") : undefined;
  }

  private running(): LanguageClient | undefined {
    if (this.client?.isRunning()) {
      return this.client;
    }
    void vscode.window.showWarningMessage("hearth: the server is not running.", "Restart server")
      .then((choice) => choice && this.restart());
    return undefined;
  }

  async showStatus(): Promise<void> {
    const client = this.running();
    if (!client) {
      return;
    }
    try {
      const status: unknown = await client.sendRequest(ExecuteCommandRequest.type, { command: STATUS_COMMAND, arguments: [] });
      if (isStatus(status)) {
        this.status = status;
        this.render();
      }
    } catch (error) {
      this.log.warn(`status: ${errorText(error)}`);
    }
    const choice = await vscode.window.showInformationMessage(summary(this.status), "Restart server", "Show log");
    if (choice === "Restart server") {
      await this.restart();
    } else if (choice === "Show log") {
      this.log.show();
    }
  }

  async explain(): Promise<void> {
    const editor = vscode.window.activeTextEditor;
    const client = editor && this.running();
    if (!editor || !client) {
      return;
    }
    const c2p = client.code2ProtocolConverter;
    const document = editor.document;
    const selection = editor.selection;
    const title = `${path.basename(document.fileName)}, `
      + (selection.isEmpty ? `line ${selection.active.line + 1}` : `lines ${selection.start.line + 1}–${selection.end.line + 1}`);
    await vscode.window.withProgress({
      location: vscode.ProgressLocation.Notification, title: "hearth: explaining…", cancellable: true,
    }, async (_progress, token) => {
      try {
        const args: ExplainArguments = [c2p.asUri(document.uri), c2p.asRange(selection)];
        const result: unknown = await client.sendRequest(ExecuteCommandRequest.type, {
          command: EXPLAIN_COMMAND, arguments: args,
        }, token);
        await this.showExplanation(result, `Explanation: ${title}`);
      } catch (error) {
        reportFailure("explain", error, token);
      }
    });
  }

  private async showExplanation(result: unknown, title: string): Promise<void> {
    if (!isExplanation(result)) {
      void vscode.window.showWarningMessage("hearth: no explanation came back.");
      return;
    }
    let body: unknown;
    try {
      body = await vscode.commands.executeCommand("markdown.api.render", result.markdown);
    } catch {
      body = undefined; // the built-in Markdown extension is disabled
    }
    const html = typeof body === "string" ? body : plainHtml(result.markdown);
    if (!this.explainPanel) {
      this.explainPanel = vscode.window.createWebviewPanel("hearth.explanation", "hearth: Explanation",
        { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true },
        { enableScripts: false, enableFindWidget: true });
      this.explainPanel.onDidDispose(() => (this.explainPanel = undefined));
    }
    this.explainPanel.title = `hearth: ${title}`;
    this.explainPanel.webview.html = explanationPage(html, title, this.explainPanel.webview.cspSource);
    this.explainPanel.reveal(vscode.ViewColumn.Beside, true);
  }

  async fix(): Promise<void> {
    const editor = vscode.window.activeTextEditor;
    const client = editor && this.running();
    if (!editor || !client) {
      return;
    }
    const c2p = client.code2ProtocolConverter;
    const document = editor.document;
    const selection = editor.selection;
    const version = document.version;
    // diagnostics of every source (Pylance, ESLint, hearth, ...): the server can fix any of them
    const diagnostics = diagnosticsOnLines(vscode.languages.getDiagnostics(document.uri),
      selection.start.line, selection.end.line);
    const params: CodeActionParams = {
      textDocument: c2p.asTextDocumentIdentifier(document),
      range: c2p.asRange(selection),
      context: {
        diagnostics: await c2p.asDiagnostics(diagnostics),
        only: [CodeActionKind.QuickFix],
        triggerKind: CodeActionTriggerKind.Invoked,
      },
    };
    await vscode.window.withProgress({
      location: vscode.ProgressLocation.Notification, title: "hearth: fixing…", cancellable: true,
    }, async (progress, token) => {
      try {
        const actions: unknown[] | null = await client.sendRequest(CodeActionRequest.type, params, token);
        const chosen = preferredFix(hearthFixes<CodeAction>(actions));
        if (!chosen) {
          void vscode.window.showInformationMessage("hearth: no fix offered here.");
          return;
        }
        progress.report({ message: chosen.title });
        const resolved = chosen.edit ? chosen : await client.sendRequest(CodeActionResolveRequest.type, chosen, token);
        if (document.version !== version) {
          void vscode.window.showWarningMessage("hearth: the file changed while hearth was working; run Fix again.");
          return;
        }
        if (!resolved.edit) {
          if (!hasReason(resolved.data)) {
            void vscode.window.showInformationMessage("hearth: no fix for this code.");
          } // else the server said why (window/showMessage)
          return;
        }
        const edit = await client.protocol2CodeConverter.asWorkspaceEdit(resolved.edit, token);
        if (!(await vscode.workspace.applyEdit(edit))) {
          void vscode.window.showWarningMessage("hearth: VS Code did not apply the fix.");
        }
        if (resolved.command) {
          await vscode.commands.executeCommand(resolved.command.command, ...(resolved.command.arguments ?? []));
        }
      } catch (error) {
        reportFailure("fix", error, token);
      }
    });
  }

  dispose(): void {
    this.item.dispose();
    this.explainPanel?.dispose();
    this.log.dispose();
  }

  async stop(): Promise<void> {
    await this.client?.dispose(3000);
    this.client = undefined;
  }
}

function hasReason(data: unknown): boolean {
  return typeof data === "object" && data !== null && typeof (data as { reason?: unknown }).reason === "string";
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function reportFailure(what: string, error: unknown, token: vscode.CancellationToken): void {
  if (token.isCancellationRequested) {
    return; // the user cancelled: the server stopped the generation
  }
  const message = error instanceof ResponseError ? error.message : errorText(error);
  void vscode.window.showErrorMessage(`hearth: ${what} failed: ${message}`);
}

let hearth: Hearth | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const instance = new Hearth(context);
  hearth = instance;
  context.subscriptions.push(
    instance,
    vscode.commands.registerCommand("hearth.explainSelection", () => instance.explain()),
    vscode.commands.registerCommand("hearth.fixAtCursor", () => instance.fix()),
    vscode.commands.registerCommand("hearth.restart", () => instance.restart()),
    vscode.commands.registerCommand("hearth.showStatus", () => instance.showStatus()),
    vscode.workspace.onDidChangeConfiguration((event) => instance.onConfigurationChanged(event)),
    // trusting the workspace lets its restricted settings count
    vscode.workspace.onDidGrantWorkspaceTrust(() => instance.restart()),
  );
  await instance.start();
}

export async function deactivate(): Promise<void> {
  await hearth?.stop();
  hearth = undefined;
}
