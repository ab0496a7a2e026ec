// Choosing among the server's quick fixes. No `vscode` import.

export interface ActionLike {
  title: string;
  diagnostics?: readonly unknown[];
}

/** hearth's fixes among code actions and commands: "Fix with hearth: …", "Fix bugs in this function". */
export function hearthFixes<T extends ActionLike>(actions: readonly unknown[] | null | undefined): T[] {
  return (actions ?? []).filter((action): action is T => {
    const title = (action as { title?: unknown })?.title;
    // a Command (title + command string) is not a fix: only CodeAction literals are
    return typeof title === "string" && /^Fix\b/.test(title)
      && typeof (action as { command?: unknown }).command !== "string";
  });
}

/** The fix tied to a diagnostic beats the whole-function one (the server lists diagnostic
 * fixes in the order of the diagnostics it was given: the most severe first). */
export function preferredFix<T extends ActionLike>(fixes: readonly T[]): T | undefined {
  return fixes.find((fix) => (fix.diagnostics?.length ?? 0) > 0 || fix.title.startsWith("Fix with hearth:"))
    ?? fixes[0];
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
