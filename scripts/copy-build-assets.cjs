#!/usr/bin/env node
"use strict";
// Part of `npm run build` (scripts/build.cjs): put the non-TypeScript files the compiled code reads at
// run time into dist/, where the compiled modules look for them:
//  - scripts/*.ps1 -> dist/scripts/ (core/agent/wire.ts reads <dir of the module>/../../scripts/agent.ps1);
//  - lab/powershell/modules/** -> dist/lab/powershell/modules/ (lab/powershell/launcher.ts sets
//    PSModulePath to <dir of the module>/modules for `wsus-iis lab login` and WSUS_IIS_LAB_AGENT=powershell);
//  - dist/package.json with the package's version: cli/main.ts and cli/output.ts read
//    require("../package.json").version, which from dist/cli/ is dist/package.json. It carries no
//    "name" (no second package to resolve by name) and no "type" (CommonJS, like the root).
const fs = require("node:fs");
const path = require("node:path");

const ROOT = path.resolve(__dirname, "..");

function copyTree(from, to, copied) {
  for (const e of fs.readdirSync(from, { withFileTypes: true })) {
    const src = path.join(from, e.name);
    const dst = path.join(to, e.name);
    if (e.isDirectory()) copyTree(src, dst, copied);
    else {
      fs.mkdirSync(to, { recursive: true });
      fs.copyFileSync(src, dst);
      copied.push(path.relative(ROOT, src));
    }
  }
}

/** Copy the assets under `root` into `root`/dist; returns the source paths copied (relative to root). */
function copyBuildAssets(root = ROOT) {
  const copied = [];
  const dist = path.join(root, "dist");
  for (const f of fs.readdirSync(path.join(root, "scripts")).filter((f) => f.endsWith(".ps1"))) {
    fs.mkdirSync(path.join(dist, "scripts"), { recursive: true });
    fs.copyFileSync(path.join(root, "scripts", f), path.join(dist, "scripts", f));
    copied.push(path.join("scripts", f));
  }
  const modules = path.join(root, "lab", "powershell", "modules");
  if (fs.existsSync(modules)) copyTree(modules, path.join(dist, "lab", "powershell", "modules"), copied);
  const pkg = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8"));
  const manifest = { version: pkg.version, private: true, description: "Written by scripts/copy-build-assets.cjs: the version the compiled CLI reports." };
  fs.writeFileSync(path.join(dist, "package.json"), JSON.stringify(manifest, null, 2) + "\n");
  copied.push("package.json (version)");
  return copied;
}

module.exports = { copyBuildAssets };

if (require.main === module) {
  const copied = copyBuildAssets();
  if (process.argv.includes("--verbose")) console.log(`copied ${copied.join(", ")} into dist/`);
}
