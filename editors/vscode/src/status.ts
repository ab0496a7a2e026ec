// The status bar item's text and tooltip from the server's `hearth/status`. No `vscode` import.

export const STATUS_NOTIFICATION = "hearth/status";
export const STATUS_COMMAND = "hearth.status";

export interface HearthStatus {
  state: "unloaded" | "loading" | "ready" | "error";
  message?: string;
  model?: string;
  path?: string;
  engine?: string;
  template?: string;
  loadMs?: number;
  lastLatencyMs?: number | null;
  busy?: boolean;
  version?: string;
  generations?: { started?: number; completed?: number; cancelled?: number; dropped?: number; failed?: number };
}

/** What the extension knows besides the server's own report. */
export type ClientState = "starting" | "running" | "stopped";

export interface StatusView {
  /** status bar text, with codicons */
  text: string;
  /** Markdown */
  tooltip: string;
  severity: "normal" | "warning" | "error";
}

function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>]/g, (c) => `\\${c}`);
}

function ms(value: number | null | undefined): string | undefined {
  return typeof value === "number" && Number.isFinite(value) ? `${Math.round(value)} ms` : undefined;
}

export function isStatus(value: unknown): value is HearthStatus {
  return typeof value === "object" && value !== null
    && ["unloaded", "loading", "ready", "error"].includes((value as { state?: unknown }).state as string);
}

/** The status bar item for a status (or for a server that is starting or gone). */
export function describe(status: HearthStatus | undefined, client: ClientState): StatusView {
  if (client === "stopped") {
    return {
      text: "$(circle-slash) hearth",
      tooltip: "**hearth** — the server is not running. Run *hearth: Restart server*.",
      severity: "error",
    };
  }
  if (!status || client === "starting") {
    return { text: "$(loading~spin) hearth", tooltip: "**hearth** — starting the server…", severity: "normal" };
  }
  const rows: [string, string | undefined][] = [
    ["Model", status.model],
    ["File", status.path],
    ["Engine", status.engine && (status.template ? `${status.engine}, template ${status.template}` : status.engine)],
    ["Loaded in", status.state === "ready" ? ms(status.loadMs) : undefined],
    ["Last completion", ms(status.lastLatencyMs)],
  ];
  const g = status.generations;
  if (g) {
    rows.push(["Requests", `${g.completed ?? 0} completed, ${g.cancelled ?? 0} cancelled, `
      + `${g.dropped ?? 0} dropped, ${g.failed ?? 0} failed`]);
  }
  if (status.version) {
    rows.push(["Server", `hearth-lsp ${status.version}`]);
  }
  const table = rows.filter(([, value]) => value)
    .map(([name, value]) => `| ${name} | ${escapeMarkdown(String(value))} |`);
  const heading = `**hearth** — ${status.state}`
    + (status.state === "error" && status.message ? `: ${escapeMarkdown(status.message)}` : "");
  const tooltip = [heading, "", ...(table.length ? ["| | |", "|---|---|", ...table] : [])].join("\n");

  switch (status.state) {
    case "ready": {
      const latency = ms(status.lastLatencyMs);
      return { text: `$(sparkle) hearth${latency ? ` ${latency}` : ""}`, tooltip, severity: "normal" };
    }
    case "loading":
      return { text: "$(loading~spin) hearth loading", tooltip, severity: "normal" };
    case "error":
      return { text: "$(error) hearth", tooltip, severity: "error" };
    default:
      return { text: "$(circle-outline) hearth", tooltip, severity: "warning" };
  }
}

/** One line for a notification: state, model, engine and the last latency. */
export function summary(status: HearthStatus | undefined): string {
  if (!status) {
    return "hearth: the server has not reported its state yet.";
  }
  if (status.state === "error") {
    return `hearth: error — ${status.message ?? "unknown"}`;
  }
  const parts = [`hearth: ${status.state}`];
  if (status.model) {
    parts.push(`${status.model}${status.engine ? ` (${status.engine})` : ""}`);
  }
  const latency = ms(status.lastLatencyMs);
  parts.push(latency ? `last completion ${latency}` : "no completion yet");
  return parts.join(" — ");
}
