// The status bar item's text and tooltip from the server's `hearth/status`. No `vscode` import.
// The payload's type and its states come from editors/contract.schema.json (src/contract.ts).
import { HearthStatus, State, STATE_SEVERITY, STATES } from "./contract";

export { HearthStatus, State } from "./contract";

export const STATUS_NOTIFICATION = "hearth/status";
export const STATUS_COMMAND = "hearth.status";

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

/** A `hearth/status` payload: an object in one of the contract's states. Fields a newer server
 * adds are kept and ignored. */
export function isStatus(value: unknown): value is HearthStatus {
  const state = typeof value === "object" && value !== null ? (value as { state?: unknown }).state : undefined;
  return typeof state === "string" && (STATES as readonly string[]).includes(state);
}

/** The status bar text of each state (every state of the contract: tsc checks). */
const TEXT: Readonly<Record<State, (status: HearthStatus) => string>> = {
  ready: (status) => {
    const latency = ms(status.lastLatencyMs);
    return `$(sparkle) hearth${latency ? ` ${latency}` : ""}`;
  },
  loading: () => "$(loading~spin) hearth loading",
  unavailable: () => "$(debug-disconnect) hearth unavailable",
  error: () => "$(error) hearth error",
  unloaded: () => "$(circle-outline) hearth not loaded",
};

/** States whose message says what is wrong. */
const EXPLAINED: ReadonlySet<State> = new Set(["error", "unavailable"]);

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
    ["Last load failed", status.loadError ?? undefined],
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
    + (EXPLAINED.has(status.state) && status.message ? `: ${escapeMarkdown(status.message)}` : "");
  const tooltip = [heading, "", ...(table.length ? ["| | |", "|---|---|", ...table] : [])].join("\n");
  return { text: TEXT[status.state](status), tooltip, severity: STATE_SEVERITY[status.state] };
}

/** One line for a notification: state, model, engine and the last latency. */
export function summary(status: HearthStatus | undefined): string {
  if (!status) {
    return "hearth: the server has not reported its state yet.";
  }
  if (EXPLAINED.has(status.state)) {
    return `hearth: ${status.state} — ${status.message || "no reason given"}`;
  }
  const parts = [`hearth: ${status.state}`];
  if (status.model) {
    parts.push(`${status.model}${status.engine ? ` (${status.engine})` : ""}`);
  }
  const latency = ms(status.lastLatencyMs);
  parts.push(latency ? `last completion ${latency}` : "no completion yet");
  return parts.join(" — ");
}
