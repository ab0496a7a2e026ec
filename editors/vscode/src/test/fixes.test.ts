import assert from "node:assert/strict";
import { test } from "node:test";
import { diagnosticsOnLines, hearthFixes, isHearthFix, preferredFix } from "../fixes";

const data = (id: number) => ({ hearth: "fix", uri: "file:///a.py", version: id, problems: [] });
const functionFix = { title: "Fix bugs in this function", kind: "quickfix", data: data(1) };
const diagnosticFix = { title: "hearth で修正: 未定義の名前 'x'", kind: "quickfix", diagnostics: [{}], data: data(2) };
const explain = { title: "Explain with hearth", kind: "", command: { title: "Explain", command: "hearth.explain" } };
const bareCommand = { title: "Fix everything", command: "other.fix" };
const othersFix = { title: "Fix: add import", kind: "quickfix", data: { fixId: 3 } };
const commandFix = { title: "Repair", kind: "quickfix", command: { title: "x", command: "hearth.fix", arguments: [data(4)] } };

test("hearth's fixes are known by kind and data, whatever their titles", () => {
  assert.deepEqual(hearthFixes([functionFix, explain, diagnosticFix, bareCommand, othersFix, commandFix]),
    [functionFix, diagnosticFix, commandFix]);
  assert.deepEqual(hearthFixes(null), []);
  assert.ok(!isHearthFix({ ...functionFix, kind: "refactor" }));
  assert.ok(!isHearthFix(undefined));
});

test("the diagnostic's fix is preferred over the whole function's", () => {
  assert.equal(preferredFix([functionFix, diagnosticFix]), diagnosticFix);
  assert.equal(preferredFix([functionFix]), functionFix);
  assert.equal(preferredFix([]), undefined);
});

test("diagnostics on the lines, most severe first, stable otherwise", () => {
  const at = (line: number, severity: number, name: string) =>
    ({ range: { start: { line }, end: { line } }, severity, name });
  const found = diagnosticsOnLines([at(1, 2, "warn"), at(5, 1, "far"), at(2, 1, "err"), at(2, 2, "warn2")], 1, 2);
  assert.deepEqual(found.map((d) => d.name), ["err", "warn", "warn2"]);
  const spanning = { range: { start: { line: 0 }, end: { line: 9 } }, severity: 3, name: "span" };
  assert.deepEqual(diagnosticsOnLines([spanning], 4, 4).map((d) => d.name), ["span"]);
});
