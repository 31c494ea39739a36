/**
 * Is dist/ older than the sources it was built from? The one implementation of that question, used by
 *
 *  - the serialized provider (provider/provider.ts): before it runs the runtime it loaded from a build,
 *    it loads this module from NEXT TO that runtime (dist/provider/freshness.js) and calls
 *    `assertFreshBuild()`, which refuses a dist/ older than the sources beside it;
 *  - `npm run build` / `prepare` (scripts/build.cjs --if-stale): builds only when stale;
 *  - vitest's globalSetup (test/harness/build.ts): rebuilds before the tests when stale.
 *
 * Cheap by design: one `stat` per source file (about 250), no hashing. `npm run build` stamps
 * dist/.build-stamp with the time the build STARTED, so a source saved during a build counts as newer.
 * An installed package carries no TypeScript sources (package.json "files"), so there is nothing to
 * compare and the check is skipped; npm also sets every file of a tarball to the same mtime.
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import * as path from "node:path";

/** Written by scripts/build.cjs when a build succeeds; its mtime is the build's start. */
export const STAMP = "dist/.build-stamp";

/** What `tsc -p tsconfig.build.json` and scripts/copy-build-assets.cjs build dist/ from (the provider runs this code). */
export const BUILD_SOURCES: readonly string[] = [
  "core",
  "cli",
  "lab",
  "ops",
  "components",
  "provider",
  "transports",
  "scripts",
  "index.ts",
  "api.ts",
  "package.json",
  "tsconfig.json",
  "tsconfig.build.json",
];

/** What the policy-pack bundle (dist/policy-pack, scripts/build-policy-pack.cjs) is built from, on top of BUILD_SOURCES. */
export const PACK_SOURCES: readonly string[] = ["policies"];

/**
 * What `npm run build` (scripts/build.cjs) must produce: the provider, the CLI, the components, the
 * assets copied next to them, and the policy-pack bundle.
 */
export const BUILD_OUTPUTS: readonly string[] = [
  "dist/api.js",
  "dist/cli/main.js",
  "dist/components/index.js",
  "dist/provider/index.js",
  "dist/provider/provider.js",
  "dist/provider/resource.js",
  "dist/provider/runtime.js",
  "dist/provider/undo.js",
  "dist/provider/freshness.js",
  "dist/scripts/agent.ps1",
  "dist/scripts/collect-evidence.ps1",
  "dist/package.json",
  "dist/policy-pack/index.js",
  "dist/policy-pack/package.json",
  "dist/policy-pack/PulumiPolicy.yaml",
];

/** Source files, by extension: TypeScript, manifests and configs, the PowerShell scripts and the lab's module. */
const SOURCE_FILE = /\.(?:ts|json|ps1|psm1)$/;

/** A source checkout has the TypeScript sources next to dist/; an installed package does not. */
export function isSourceCheckout(root: string): boolean {
  return existsSync(path.join(root, "provider", "runtime.ts"));
}

/** The newest source file under `root` (node_modules and dot-folders skipped), or null when there is none. */
export function newestSource(root: string, sources: readonly string[] = BUILD_SOURCES): { file: string; mtimeMs: number } | null {
  let best: { file: string; mtimeMs: number } | null = null;
  const visit = (p: string) => {
    let st;
    try {
      st = statSync(p);
    } catch {
      return;
    }
    if (st.isDirectory()) {
      for (const e of readdirSync(p)) if (e !== "node_modules" && !e.startsWith(".")) visit(path.join(p, e));
    } else if (SOURCE_FILE.test(p) && (!best || st.mtimeMs > best.mtimeMs)) best = { file: p, mtimeMs: st.mtimeMs };
  };
  for (const s of sources) visit(path.join(root, s));
  return best;
}

export interface StaleOptions {
  /** Folders and files (relative to root) dist/ is built from. Default: BUILD_SOURCES. */
  sources?: readonly string[];
  /** Outputs (relative to root) that must exist. */
  required?: readonly string[];
}

/** Why dist/ under `root` must be rebuilt (a one-line reason naming the file), or null when it is up to date. */
export function distStaleReason(root: string, opts: StaleOptions = {}): string | null {
  const missing = (opts.required ?? []).find((f) => !existsSync(path.join(root, f)));
  if (missing) return `${missing} is missing`;
  let stampMs: number;
  try {
    stampMs = statSync(path.join(root, STAMP)).mtimeMs;
  } catch {
    return `${STAMP} is missing`;
  }
  const newest = newestSource(root, opts.sources ?? BUILD_SOURCES);
  if (newest && newest.mtimeMs > stampMs) return `${path.relative(root, newest.file).split(path.sep).join("/")} changed since the last build`;
  return null;
}

/**
 * Why `npm run build` must run (null: dist/ is complete and newer than every source, the pack's
 * included). Used by `prepare` (scripts/build.cjs --if-stale) and the test setup (test/harness/build.ts).
 */
export function buildStaleReason(root: string): string | null {
  return distStaleReason(root, { sources: [...BUILD_SOURCES, ...PACK_SOURCES], required: BUILD_OUTPUTS });
}

/** The package root when `dir` is `<root>/dist/<folder>` (a build), else null (running from the sources). */
export function buildRootOf(dir: string): string | null {
  const dist = path.dirname(path.resolve(dir));
  return path.basename(dist) === "dist" ? path.dirname(dist) : null;
}

/** The message the provider fails with. */
export function staleBuildMessage(root: string, reason: string): string {
  return `wsus-iis: dist/ is older than its sources (${reason}): run npm run build in ${root}`;
}

const fresh = new Set<string>();

/**
 * Refuse to run a build older than its sources. `dir` is the folder of the module being loaded
 * (default: this module's, i.e. dist/provider). Nothing to do outside a build or without sources
 * (an installed package). A fresh result is remembered for the process; a stale one is checked again.
 * Throws an Error whose stack is its one-line message (the plugin prints `stack`).
 */
export function assertFreshBuild(dir: string = __dirname): void {
  const root = buildRootOf(dir);
  if (!root || fresh.has(root) || !isSourceCheckout(root)) return;
  const reason = distStaleReason(root);
  if (!reason) {
    fresh.add(root);
    return;
  }
  const err = new Error(staleBuildMessage(root, reason));
  err.stack = err.message;
  throw err;
}
