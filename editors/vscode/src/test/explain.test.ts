import assert from "node:assert/strict";
import { test } from "node:test";
import { escapeHtml, explanationPage, isExplanation, plainHtml } from "../explain";

test("an explanation is non-empty Markdown", () => {
  assert.ok(isExplanation({ markdown: "**adds** two numbers" }));
  assert.ok(!isExplanation({ markdown: "  \n" }));
  assert.ok(!isExplanation({ text: "x" }));
  assert.ok(!isExplanation(null));
});

test("the page runs no script and loads nothing", () => {
  const page = explanationPage("<p>hello</p>", "greet.py <lines 1–3>", "vscode-webview://abc");
  assert.match(page, /default-src 'none'/);
  assert.doesNotMatch(page, /script-src/);
  assert.match(page, /<p>hello<\/p>/);
  assert.match(page, /greet\.py &lt;lines 1–3&gt;/);
});

test("without the Markdown engine the text is escaped, not interpreted", () => {
  assert.equal(plainHtml("<script>x</script>"), '<pre style="white-space: pre-wrap">&lt;script&gt;x&lt;/script&gt;</pre>');
  assert.equal(escapeHtml(`a&b"'`), "a&amp;b&quot;&#39;");
});
