// Choosing among the server's quick fixes. No `vscode` import.
import { FixData } from "./contract";

export const FIX_COMMAND = "hearth.fix";

export interface ActionLike {
  title: string;
  kind?: string;
  diagnostics?: readonly unknown[];
  data?: unknown;
  command?: unknown;
}

/** Is this one of hearth's fixes? By the contract (editors/contract.schema.json, FixAction): a
 * `quickfix` whose data says `hearth: "fix"`, or that runs `hearth.fix` (for clients that cannot
 * resolve edits). Never by its title, which is for people and may be in any language. */
export function isHearthFix(action: unknown): action is ActionLike {
  if (typeof action !== "object" || action === null) {
    return false;
  }
  const { title, kind, data, command } = action as ActionLike;
  if (typeof title !== "string" || kind !== "quickfix") {
    return false;
  }
  const marked = typeof data === "object" && data !== null && (data as Partial<FixData>).hearth === "fix";
  const runsFix = typeof command === "object" && command !== null
    && (command as { command?: unknown }).command === FIX_COMMAND;
  return marked || runsFix;
}

/** hearth's fixes among the code actions and commands of every server. */
export function hearthFixes<T extends ActionLike>(actions: readonly unknown[] | null | undefined): T[] {
  return (actions ?? []).filter((action): action is T => isHearthFix(action));
}

/** The fix tied to a diagnostic beats the whole-function one (the server lists diagnostic
 * fixes in the order of the diagnostics it was given: the most severe first). */
export function preferredFix<T extends ActionLike>(fixes: readonly T[]): T | undefined {
  return fixes.find((fix) => (fix.diagnostics?.length ?? 0) > 0) ?? fixes[0];
}

interface LineRanged {
  range: { start: { line: number }; end: { line: number } };
  severity?: number;
}

/** Diagnostics (from any source) touching lines first..last, the most severe first. Works with
 * both VS Code's and LSP's severities: both count up from the most severe. */
export function diagnosticsOnLines<T extends LineRanged>(diagnostics: readonly T[], first: number, last: number): T[] {
  return diagnostics
    .filter((d) => d.range.start.line <= last && d.range.end.line >= first)
    .map((d, index) => ({ d, index }))
    .sort((a, b) => (a.d.severity ?? 9) - (b.d.severity ?? 9) || a.index - b.index)
    .map(({ d }) => d);
}
