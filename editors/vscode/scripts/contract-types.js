// Generates src/contract.ts from ../contract.schema.json (the one definition of what hearth-lsp
// adds to LSP), before every build: the extension's types are the schema's, and a state or
// field the server may send that the extension does not handle fails `tsc`.
const fs = require("node:fs");
const path = require("node:path");
const { compile } = require("json-schema-to-typescript");

const root = path.resolve(__dirname, "..");
const schemaFile = path.resolve(root, "..", "contract.schema.json");
const out = path.join(root, "src", "contract.ts");

async function main() {
  const schema = JSON.parse(fs.readFileSync(schemaFile, "utf8"));
  const types = await compile(schema, "HearthContract", {
    bannerComment: "", additionalProperties: false, unreachableDefinitions: true, format: true,
  });
  const state = schema.definitions.State;
  const severity = Object.fromEntries(state.enum.map((name) => [name, state["x-states"][name].severity]));
  const text = [
    "// Generated from editors/contract.schema.json by scripts/contract-types.js: do not edit.",
    "/* eslint-disable */",
    types,
    "/** Every state the server may report. */",
    `export const STATES: readonly State[] = ${JSON.stringify(state.enum)};`,
    "/** How loudly each state is shown. */",
    `export const STATE_SEVERITY: Readonly<Record<State, "normal" | "warning" | "error">> = ${JSON.stringify(severity)};`,
    "/** The workspace commands the server offers. */",
    `export const COMMANDS = ${JSON.stringify(Object.keys(schema.properties.commands.properties))} as const;`,
    "",
  ].join("\n");
  if (!fs.existsSync(out) || fs.readFileSync(out, "utf8") !== text) {
    fs.writeFileSync(out, text);
  }
}

main().catch((error) => {
  console.error(`cannot generate ${out} from ${schemaFile}: ${error}`);
  process.exit(1);
});
