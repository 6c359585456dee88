// Validate Amazon States Language definitions with asl-validator (npm, 4.x), which checks a
// definition against its JSON schemas of the language (JSONPath and JSONata states), parses
// every "{% ... %}" expression with the jsonata package, and checks transitions, terminal
// states, state names and Task resource ARNs.
//
// stdin:  {"definitions": {"<name>": <definition object>, ...}}
// stdout: {"validator": "<asl-validator version>",
//          "results": {"<name>": ["<error code>: <message>", ...], ...}}  ([] means valid)
// Many definitions per run: one Node.js start for a whole test module.

import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const validate = require("asl-validator");
const { version } = require("asl-validator/package.json");

// Every check on: JSONPath syntax (asl-path-validator) and the ARN format of Task resources.
const OPTIONS = { checkPaths: true, checkArn: true };

const { definitions } = JSON.parse(readFileSync(0, "utf8"));
const results = {};
for (const [name, definition] of Object.entries(definitions)) {
  // The validator writes QueryLanguage into every state it reads: give it a copy.
  const { errors } = validate(structuredClone(definition), OPTIONS);
  results[name] = errors.map((error) => `${error["Error code"]}: ${error.Message}`);
}
process.stdout.write(JSON.stringify({ validator: version, results }));
