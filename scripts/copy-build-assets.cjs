#!/usr/bin/env node
"use strict";
// Part of `npm run build`: copy the non-TypeScript files the compiled code reads at run time into
// dist/, where the compiled modules look for them (core/agent/envelope.ts reads
// <dir of the module>/../../scripts/agent.ps1, i.e. dist/scripts/agent.ps1 once compiled).
const fs = require("node:fs");
const path = require("node:path");

const root = path.resolve(__dirname, "..");
const assets = fs.readdirSync(path.join(root, "scripts")).filter((f) => f.endsWith(".ps1")).map((f) => path.join("scripts", f));
for (const rel of assets) {
  const to = path.join(root, "dist", rel);
  fs.mkdirSync(path.dirname(to), { recursive: true });
  fs.copyFileSync(path.join(root, rel), to);
}
if (process.argv.includes("--verbose")) console.log(`copied ${assets.join(", ")} into dist/`);
