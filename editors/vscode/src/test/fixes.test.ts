import assert from "node:assert/strict";
import { test } from "node:test";
import { diagnosticsOnLines, hearthFixes, preferredFix } from "../fixes";

const functionFix = { title: "Fix bugs in this function", kind: "quickfix", data: { id: 1 } };
const diagnosticFix = { title: "Fix with hearth: undefined name 'x'", kind: "quickfix", diagnostics: [{}], data: { id: 2 } };
const explain = { title: "Explain with hearth", command: { title: "Explain", command: "hearth.explain" } };
const bareCommand = { title: "Fix everything", command: "other.fix" };

test("hearth's fixes are the CodeActions titled Fix", () => {
  assert.deepEqual(hearthFixes([functionFix, explain, diagnosticFix, bareCommand]), [functionFix, diagnosticFix]);
  assert.deepEqual(hearthFixes(null), []);
});

test("the diagnostic's fix is preferred over the whole function's", () => {
  assert.equal(preferredFix([functionFix, diagnosticFix]), diagnosticFix);
  assert.equal(preferredFix([functionFix]), functionFix);
  assert.equal(preferredFix([]), undefined);
  const titled = { title: "Fix with hearth: E501 line too long" };
  assert.equal(preferredFix([functionFix, titled]), titled);
});

test("diagnostics on the lines, most severe first, stable otherwise", () => {
  const at = (line: number, severity: number, name: string) =>
    ({ range: { start: { line }, end: { line } }, severity, name });
  const found = diagnosticsOnLines([at(1, 2, "warn"), at(5, 1, "far"), at(2, 1, "err"), at(2, 2, "warn2")], 1, 2);
  assert.deepEqual(found.map((d) => d.name), ["err", "warn", "warn2"]);
  const spanning = { range: { start: { line: 0 }, end: { line: 9 } }, severity: 3, name: "span" };
  assert.deepEqual(diagnosticsOnLines([spanning], 4, 4).map((d) => d.name), ["span"]);
});
