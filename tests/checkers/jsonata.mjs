// Evaluate JSONata expressions with the jsonata package (npm, the reference implementation),
// to compare with what the local runtime's jsonata-python computes.
//
// stdin:  {"cases": {"<name>": {"expression": "<JSONata>", "input": <any>,
//                                "bindings": {"<variable>": <any>, ...}}, ...}}
// stdout: {"jsonata": "<version>", "results": {"<name>": <value, or null if undefined>}}

import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const jsonata = require("jsonata");
const { version } = require("jsonata/package.json");

const { cases } = JSON.parse(readFileSync(0, "utf8"));
const results = {};
for (const [name, { expression, input, bindings }] of Object.entries(cases)) {
  const value = await jsonata(expression).evaluate(input ?? {}, bindings ?? {});
  results[name] = value === undefined ? null : value;
}
process.stdout.write(JSON.stringify({ jsonata: version, results }));
