// Make sure dist/ (the compiled package, which the serialized provider loads through the package
// self-reference "wsus-iis/provider-runtime", plus the policy-pack bundle) exists and is not older than
// the sources. Used by vitest's globalSetup (test/harness/globalSetup.ts), once per run, before any test file.
// "Is dist/ stale" has one implementation, provider/freshness.ts (shipped: the provider refuses a stale
// build with it); "build" has one too, scripts/build.cjs (`npm run build`, `prepare`).
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { BUILD_OUTPUTS, buildStaleReason as staleReasonOf } from "../../provider/freshness";

export const ROOT = path.resolve(__dirname, "..", "..");
/** What the tests need from dist/ (what a build produces). */
export const REQUIRED_OUTPUTS = BUILD_OUTPUTS;

/** Why dist/ must be rebuilt, or null when it is up to date. */
export function buildStaleReason(root = ROOT): string | null {
  return staleReasonOf(root);
}

export interface BuildResult {
  built: boolean;
  reason: string | null;
  ms: number;
  /** tsc's diagnostics when it exited non-zero but still emitted dist/ (errors elsewhere). */
  warnings: string;
}

/**
 * `node scripts/build.cjs --allow-type-errors` (what `npm run build` runs, tolerating tsc errors: tsc
 * still emits) when dist/ is missing or stale. tsc errors are returned as warnings; throws when the
 * build failed otherwise.
 */
export function ensureBuilt(root = ROOT): BuildResult {
  const reason = buildStaleReason(root);
  if (!reason) return { built: false, reason: null, ms: 0, warnings: "" };
  const start = Date.now();
  const r = spawnSync(process.execPath, [path.join(root, "scripts", "build.cjs"), "--allow-type-errors", "--quiet"], { cwd: root, encoding: "utf8", timeout: 600_000 });
  if (r.status !== 0) throw new Error(`npm run build failed (exit ${r.status}):\n${`${r.stdout ?? ""}${r.stderr ?? ""}`.trim() || r.error?.message}`);
  return { built: true, reason, ms: Date.now() - start, warnings: (r.stderr ?? "").trim() };
}
