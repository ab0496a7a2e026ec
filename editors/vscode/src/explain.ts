// The explanation page: Markdown rendered by VS Code's own Markdown engine, shown in a webview
// that runs no scripts. No `vscode` import.

export const EXPLAIN_COMMAND = "hearth.explain";

export interface Explanation {
  markdown: string;
}

export function isExplanation(value: unknown): value is Explanation {
  return typeof value === "object" && value !== null
    && typeof (value as { markdown?: unknown }).markdown === "string"
    && (value as Explanation).markdown.trim().length > 0;
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

/** The page around rendered HTML. Nothing is loaded from anywhere and no script runs. */
export function explanationPage(bodyHtml: string, title: string, cspSource: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src ${cspSource} 'unsafe-inline'; img-src ${cspSource} data:;">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>${escapeHtml(title)}</title>
<style>
  body { font-family: var(--vscode-font-family); font-size: var(--vscode-font-size); color: var(--vscode-foreground); padding: 0 1.5em; line-height: 1.5; max-width: 60em; }
  h1 { font-size: 1.3em; border-bottom: 1px solid var(--vscode-panel-border); padding-bottom: .3em; }
  code, pre { font-family: var(--vscode-editor-font-family); font-size: var(--vscode-editor-font-size); }
  pre { background: var(--vscode-textCodeBlock-background); padding: .7em 1em; overflow-x: auto; border-radius: 4px; }
  :not(pre) > code { background: var(--vscode-textCodeBlock-background); padding: .1em .3em; border-radius: 3px; }
</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
${bodyHtml}
</body>
</html>`;
}

/** When VS Code's Markdown engine is not available: the text as it is. */
export function plainHtml(markdown: string): string {
  return `<pre style="white-space: pre-wrap">${escapeHtml(markdown)}</pre>`;
}
