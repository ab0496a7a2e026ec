// Which settings go to the server, and how the server is started. No `vscode` import: this is
// unit-tested with plain objects.
import * as fs from "node:fs";
import * as path from "node:path";

export const SECTION = "hearth";

/** Settings the extension itself uses; every other contributed `hearth.*` setting is the server's. */
export const CLIENT_ONLY: ReadonlySet<string> = new Set(["launch.command", "launch.python", "trace.server"]);

/** What `WorkspaceConfiguration.inspect()` tells about one key. */
export interface Inspected {
  defaultValue?: unknown;
  globalValue?: unknown;
  workspaceValue?: unknown;
  workspaceFolderValue?: unknown;
}

export type Inspect = (key: string) => Inspected | undefined;

/** The server's setting keys (`modelPath`, `maxTokens`, ...) from the extension's package.json. */
export function serverKeys(packageJson: unknown): string[] {
  const properties = (packageJson as {
    contributes?: { configuration?: { properties?: Record<string, unknown> } };
  }).contributes?.configuration?.properties ?? {};
  return Object.keys(properties)
    .filter((key) => key.startsWith(`${SECTION}.`))
    .map((key) => key.slice(SECTION.length + 1))
    .filter((key) => !CLIENT_ONLY.has(key));
}

/** Settings whose workspace values count only in a trusted workspace (package.json's
 * capabilities.untrustedWorkspaces.restrictedConfigurations), without "hearth.". */
export function restrictedKeys(packageJson: unknown): ReadonlySet<string> {
  const keys = (packageJson as {
    capabilities?: { untrustedWorkspaces?: { restrictedConfigurations?: string[] } };
  }).capabilities?.untrustedWorkspaces?.restrictedConfigurations ?? [];
  return new Set(keys.filter((key) => key.startsWith(`${SECTION}.`)).map((key) => key.slice(SECTION.length + 1)));
}

/** Server settings this client always sets: it shows explanations itself, so the server need
 * not also send them as a window/showMessage popup. */
export const CLIENT_MANAGED: Readonly<Record<string, unknown>> = { explainShowMessage: false };

export interface Trust {
  /** vscode.workspace.isTrusted */
  trusted: boolean;
  /** keys (without "hearth.") whose workspace values count only in a trusted workspace */
  restricted: ReadonlySet<string>;
}

/**
 * The settings the user set explicitly, in the most specific scope, as the server reads them
 * (`{hearth: {...}}`), plus CLIENT_MANAGED. Values left at their default are not sent, so the
 * server's own defaults and its config file (~/.config/hearth-lsp/config.toml) apply.
 */
export function serverSettings(keys: readonly string[], inspect: Inspect, trust: Trust):
  { hearth: Record<string, unknown> } {
  const hearth: Record<string, unknown> = { ...CLIENT_MANAGED };
  for (const key of keys) {
    const info = inspect(key);
    if (!info) {
      continue;
    }
    const workspaceCounts = trust.trusted || !trust.restricted.has(key);
    const value = (workspaceCounts ? info.workspaceFolderValue ?? info.workspaceValue : undefined)
      ?? info.globalValue;
    if (value !== undefined && value !== null) {
      hearth[key] = value;
    }
  }
  return { hearth };
}

/**
 * Settings sent at start-up stay in force until the server restarts: a key the user removed
 * since then needs a restart to fall back to its default; anything else is sent as a change.
 */
export function needsRestart(atStart: Record<string, unknown>, now: Record<string, unknown>): string[] {
  return Object.keys(atStart).filter((key) => !(key in now));
}

/** VS Code cannot tell an explicit Ctrl+Space from typing, so the completion menu item (the
 * same model run a second time) is only asked for when ghost text is off. */
export function wantsMenuItem(settings: Record<string, unknown>): boolean {
  return settings.inlineCompletion === false;
}

export interface Launch {
  command: string;
  args: string[];
  /** where the command came from, for the log */
  source: "setting" | "python" | "path" | "checkout";
}

export interface LaunchInputs {
  command: readonly string[];
  python: string;
  /** the extension's folder: editors/vscode in a checkout */
  extensionPath: string;
  pathEnv: string | undefined;
  platform: NodeJS.Platform;
  isFile?: (file: string) => boolean;
}

function isExecutableFile(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/** `name` in one of the PATH folders, as a shell would find it. */
export function findOnPath(name: string, pathEnv: string | undefined, platform: NodeJS.Platform,
  isFile: (file: string) => boolean = isExecutableFile): string | undefined {
  const sep = platform === "win32" ? ";" : ":";
  const suffixes = platform === "win32" ? [".exe", ".cmd", ".bat", ""] : [""];
  for (const dir of (pathEnv ?? "").split(sep)) {
    if (!dir) {
      continue;
    }
    for (const suffix of suffixes) {
      const candidate = path.join(dir, name + suffix);
      if (isFile(candidate)) {
        return candidate;
      }
    }
  }
  return undefined;
}

/**
 * How to start the server, in order of preference: the `hearth.launch.command` setting, then
 * `hearth.launch.python`, then `hearth-lsp` on PATH, then the virtualenv of the checkout the
 * extension was built from (editors/vscode → ../../.venv).
 */
export function resolveLaunch(inputs: LaunchInputs): Launch {
  const isFile = inputs.isFile ?? isExecutableFile;
  const [command, ...args] = inputs.command.filter((part) => part.length > 0);
  if (command) {
    return { command, args, source: "setting" };
  }
  if (inputs.python.trim()) {
    return { command: inputs.python.trim(), args: ["-m", "lsp_server", "serve"], source: "python" };
  }
  const onPath = findOnPath("hearth-lsp", inputs.pathEnv, inputs.platform, isFile);
  if (onPath) {
    return { command: onPath, args: ["serve"], source: "path" };
  }
  const windows = inputs.platform === "win32";
  const venv = path.join(inputs.extensionPath, "..", "..", ".venv", windows ? "Scripts" : "bin",
    windows ? "hearth-lsp.exe" : "hearth-lsp");
  if (isFile(venv)) {
    return { command: path.normalize(venv), args: ["serve"], source: "checkout" };
  }
  return { command: "hearth-lsp", args: ["serve"], source: "path" }; // fails with a clear error
}
