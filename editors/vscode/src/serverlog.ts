// The server's stderr, line by line, into the output channel at each line's own level. hearth-lsp
// writes `2026-12-01 12:00:00,123 LEVEL logger: message` (Python logging); a traceback's lines
// belong to the line that started it. No `vscode` import.

export type LogLevel = "trace" | "debug" | "info" | "warn" | "error";

/** What LogOutputChannel offers (its own timestamp and level go in front of each line). */
export type LogSink = Record<LogLevel, (message: string) => void>;

const LINE = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d[,.]\d+ (DEBUG|INFO|WARNING|ERROR|CRITICAL) (.*)$/;

const LEVELS: Readonly<Record<string, LogLevel>> = {
  DEBUG: "debug", INFO: "info", WARNING: "warn", ERROR: "error", CRITICAL: "error",
};

/** Reads lines and remembers the level of the last log record, for continuation lines. */
export class ServerLog {
  // before any record, a line on stderr is the interpreter's own complaint: an error
  private level: LogLevel = "error";

  constructor(private readonly sink: LogSink) {}

  line(text: string): void {
    const match = LINE.exec(text);
    if (match) {
      this.level = LEVELS[match[1]] ?? "info";
      this.sink[this.level](match[2]);
    } else if (text.trim()) {
      this.sink[this.level](text);
    }
  }
}
