// Make sure dist/ (the compiled package, which the serialized provider loads through the package
// self-reference "wsus-iis/provider-runtime") exists and is not older than the sources.
// Used by vitest's globalSetup (test/harness/globalSetup.ts), once per run, before any test file.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import * as path from "node:path";

export const ROOT = path.resolve(__dirname, "..", "..");
const SOURCE_DIRS = ["core", "cli", "lab", "ops", "components", "provider", "transports", "scripts"];
const CONFIG_FILES = ["package.json", "tsconfig.json", "tsconfig.build.json", "index.ts"];
/** What the provider tests need from dist/. */
export const REQUIRED_OUTPUTS = [
  "dist/provider/index.js",
  "dist/provider/provider.js",
  "dist/provider/resource.js",
  "dist/provider/runtime.js",
  "dist/provider/undo.js",
  "dist/scripts/agent.ps1",
];
const STAMP = "dist/.build-stamp";

function newestSource(root: string): { file: string; mtimeMs: number } {
  let best = { file: "", mtimeMs: 0 };
  const visit = (p: string) => {
    let st;
    try {
      st = statSync(p);
    } catch {
      return;
    }
    if (st.isDirectory()) {
      for (const e of readdirSync(p)) if (e !== "node_modules" && !e.startsWith(".")) visit(path.join(p, e));
    } else if (/\.(ts|json|ps1)$/.test(p) && st.mtimeMs > best.mtimeMs) best = { file: p, mtimeMs: st.mtimeMs };
  };
  for (const d of [...SOURCE_DIRS, ...CONFIG_FILES]) visit(path.join(root, d));
  return best;
}

/** Why dist/ must be rebuilt, or null when it is up to date. */
export function buildStaleReason(root = ROOT): string | null {
  const missing = REQUIRED_OUTPUTS.find((f) => !existsSync(path.join(root, f)));
  if (missing) return `${missing} is missing`;
  const stamp = path.join(root, STAMP);
  if (!existsSync(stamp)) return `${STAMP} is missing`;
  const newest = newestSource(root);
  if (newest.mtimeMs > statSync(stamp).mtimeMs) return `${path.relative(root, newest.file)} changed since the last build`;
  return null;
}

export interface BuildResult {
  built: boolean;
  reason: string | null;
  ms: number;
  /** tsc's diagnostics when it exited non-zero but still emitted the provider (errors elsewhere). */
  warnings: string;
}

/**
 * `npm run build` (tsc -p tsconfig.build.json, then scripts/copy-build-assets.cjs) when dist/ is missing
 * or stale. tsc errors elsewhere in the project (it still emits) are returned as warnings; throws when
 * the provider was not emitted.
 */
export function ensureBuilt(root = ROOT): BuildResult {
  const reason = buildStaleReason(root);
  if (!reason) return { built: false, reason: null, ms: 0, warnings: "" };
  const start = Date.now();
  const tsc = createRequire(path.join(root, "package.json")).resolve("typescript/bin/tsc");
  const r = spawnSync(process.execPath, [tsc, "-p", "tsconfig.build.json"], { cwd: root, encoding: "utf8", timeout: 300_000 });
  const out = `${r.stdout ?? ""}${r.stderr ?? ""}`.trim();
  const assets = spawnSync(process.execPath, [path.join(root, "scripts", "copy-build-assets.cjs")], { cwd: root, encoding: "utf8" });
  if (assets.status !== 0) throw new Error(`scripts/copy-build-assets.cjs failed:\n${assets.stderr}`);
  const emitted = REQUIRED_OUTPUTS.every((f) => existsSync(path.join(root, f)) && statSync(path.join(root, f)).mtimeMs >= start - 1000);
  if (!emitted) throw new Error(`npm run build failed (exit ${r.status}) and did not emit the provider:\n${out || r.error?.message}`);
  // Stamp with the build's START time: a source saved during the build still counts as newer.
  const stamp = path.join(root, STAMP);
  writeFileSync(stamp, new Date(start).toISOString() + "\n");
  utimesSync(stamp, new Date(start), new Date(start));
  return { built: true, reason, ms: Date.now() - start, warnings: r.status === 0 ? "" : out };
}
