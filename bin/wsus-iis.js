#!/usr/bin/env node
"use strict";
// Runs the compiled CLI when a build exists, otherwise the TypeScript sources through tsx.
const path = require("node:path");
const fs = require("node:fs");
const built = path.join(__dirname, "..", "dist", "cli", "main.js");
// Sources win when present (a checkout); an installed package carries only dist/.
const source = path.join(__dirname, "..", "cli", "main.ts");
if (!fs.existsSync(source) && fs.existsSync(built)) {
  require(built).runMain();
} else {
  require("tsx/cjs");
  require(path.join(__dirname, "..", "cli", "main.ts")).runMain();
}
