#!/usr/bin/env node
"use strict";
// `npm run build` and `prepare` (so `npm ci` in a clone and a git install have dist/):
//
//   node scripts/build.cjs [--if-stale] [--allow-type-errors] [--quiet]
//
// 1. tsc -p tsconfig.build.json                      -> dist/ (components, provider, CLI, lab, ...)
// 2. scripts/copy-build-assets.cjs                   -> dist/scripts/*.ps1, the lab's PowerShell module, dist/package.json
// 3. scripts/build-policy-pack.cjs                   -> dist/policy-pack/ (the self-contained CrossGuard pack)
// 4. dist/.build-stamp, dated with the build's START (a source saved during the build still counts as newer)
//
// --if-stale: build only when dist/ is missing or older than its sources, as provider/freshness.ts
//   judges it (the same function the provider and the test setup use); `prepare` passes it, so `npm ci`
//   in a checkout with an up-to-date dist/ costs nothing.
// --allow-type-errors: tsc errors still leave an emitted dist/ stamped (exit 0, errors printed); the
//   test setup (test/harness/build.ts) uses it so a type error elsewhere does not stop every test.
//   Without it a tsc error fails the build, and dist/ is not stamped.
const { spawnSync } = require("node:child_process");
const fs = require("node:fs");
const path = require("node:path");

const ROOT = path.resolve(__dirname, "..");
/** provider/freshness.ts, loaded through tsx (a devDependency): the one "is dist/ stale" implementation. */
let freshnessModule;
function freshness() {
  freshnessModule ??= require("tsx/cjs/api").require(path.join(ROOT, "provider", "freshness.ts"), __filename);
  return freshnessModule;
}

/** Why a build is needed (null: dist/ is up to date). */
function staleReason(root = ROOT) {
  return freshness().buildStaleReason(root);
}

/**
 * Build dist/. Returns { ok, typeErrors }: ok is false when tsc failed and allowTypeErrors is off.
 * Throws (with a one-line message) when a step other than tsc fails.
 */
async function build({ root = ROOT, allowTypeErrors = false, log = console.log } = {}) {
  const start = Date.now();
  let tsc;
  try {
    tsc = require.resolve("typescript/bin/tsc", { paths: [root] });
  } catch {
    throw new Error("typescript is not installed (a devDependency): run npm ci");
  }
  const r = spawnSync(process.execPath, [tsc, "-p", "tsconfig.build.json"], { cwd: root, encoding: "utf8", timeout: 600_000 });
  const typeErrors = r.status === 0 ? "" : `${r.stdout || ""}${r.stderr || ""}`.trim() || String(r.error && r.error.message);
  if (r.status !== 0 && !fs.existsSync(path.join(root, "dist", "provider", "runtime.js"))) {
    throw new Error(`tsc -p tsconfig.build.json failed (exit ${r.status}) and emitted nothing:\n${typeErrors}`);
  }
  const { copyBuildAssets } = require("./copy-build-assets.cjs");
  copyBuildAssets(root);
  const { buildPolicyPack } = require("./build-policy-pack.cjs");
  const pack = await buildPolicyPack({ root });
  const missing = freshness().BUILD_OUTPUTS.filter((f) => !fs.existsSync(path.join(root, f)));
  if (missing.length) throw new Error(`the build did not produce ${missing.join(", ")}`);
  const ok = !typeErrors || allowTypeErrors;
  const stamp = path.join(root, freshness().STAMP);
  if (ok) {
    fs.writeFileSync(stamp, new Date(start).toISOString() + "\n");
    fs.utimesSync(stamp, new Date(start), new Date(start));
  } else {
    fs.rmSync(stamp, { force: true });
  }
  log(`built dist/ in ${Date.now() - start} ms (policy pack: dist/policy-pack, index.js ${Math.round(pack.bytes / 1024)} KiB)${typeErrors ? ", with type errors" : ""}`);
  return { ok, typeErrors };
}

module.exports = { build, staleReason };

if (require.main === module) {
  const args = new Set(process.argv.slice(2));
  const unknown = [...args].filter((a) => !["--if-stale", "--allow-type-errors", "--quiet"].includes(a));
  if (unknown.length) {
    console.error(`build: unknown option ${unknown[0]} (options: --if-stale, --allow-type-errors, --quiet)`);
    process.exit(2);
  }
  const log = args.has("--quiet") ? () => {} : console.log;
  (async () => {
    if (args.has("--if-stale")) {
      const reason = staleReason();
      if (!reason) return log("dist/ is up to date");
      log(`building dist/: ${reason}`);
    }
    const r = await build({ allowTypeErrors: args.has("--allow-type-errors"), log });
    if (r.typeErrors) console.error(r.typeErrors);
    if (!r.ok) process.exitCode = 1;
  })().catch((e) => {
    console.error(`build: ${e && e.message ? e.message : e}`);
    process.exit(1);
  });
}
