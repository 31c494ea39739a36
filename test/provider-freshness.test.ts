// Issue 12, item 6: "the provider refuses a dist/ older than its sources with a clear message".
// The serialized provider loads its implementation from a build (`wsus-iis/provider-runtime` ->
// dist/provider/runtime.js, package.json "exports"). In a source checkout (or `npm link` / a `file:`
// dependency on one), a dist/ older than the sources beside it used to run silently; now the provider
// loads provider/freshness.ts's compiled copy from next to that runtime and refuses. An installed
// package carries no sources, so nothing is compared there.
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  assertFreshBuild,
  BUILD_SOURCES,
  buildRootOf,
  buildStaleReason,
  distStaleReason,
  isSourceCheckout,
  newestSource,
  STAMP,
  staleBuildMessage,
} from "../provider/freshness";
import { ROOT } from "./harness/build";
import { captureProvider, ProviderHost, type Captured } from "./harness/providerChild";

const roots: string[] = [];
const hosts: ProviderHost[] = [];
function tempDir(prefix: string): string {
  const d = mkdtempSync(path.join(tmpdir(), prefix));
  roots.push(d);
  return d;
}
afterAll(async () => {
  await Promise.all(hosts.map((h) => h.close()));
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

const HOUR = 3600_000;
function touch(file: string, ms: number): void {
  utimesSync(file, new Date(ms), new Date(ms));
}
function write(root: string, rel: string, text: string, ms: number): string {
  const f = path.join(root, rel);
  mkdirSync(path.dirname(f), { recursive: true });
  writeFileSync(f, text);
  touch(f, ms);
  return f;
}

/** A source checkout in miniature: sources, a dist/ with the runtime and the stamp, all dated. */
function miniCheckout(opts: { stampMs: number; sourceMs: number }): string {
  const root = tempDir("wsus-fresh-");
  write(root, "provider/runtime.ts", "export {};\n", opts.sourceMs - HOUR);
  write(root, "core/rules/x.ts", "export const x = 1;\n", opts.sourceMs);
  write(root, "lab/powershell/modules/M/M.psm1", "# module\n", opts.sourceMs - 2 * HOUR);
  write(root, "package.json", "{}\n", opts.sourceMs - 2 * HOUR);
  write(root, "dist/provider/runtime.js", "", opts.stampMs);
  write(root, STAMP, "", opts.stampMs);
  return root;
}

describe("provider/freshness.ts: is dist/ older than its sources (mtimes)", () => {
  it("names the newest source that changed since the stamp; null when the stamp is newer", () => {
    const now = Date.now();
    const stale = miniCheckout({ stampMs: now - HOUR, sourceMs: now });
    expect(distStaleReason(stale)).toBe("core/rules/x.ts changed since the last build");
    expect(newestSource(stale)?.file).toBe(path.join(stale, "core", "rules", "x.ts"));
    const fresh = miniCheckout({ stampMs: now, sourceMs: now - HOUR });
    expect(distStaleReason(fresh)).toBeNull();
    // the lab's PowerShell module is a source too (copied into dist/ by the build)
    touch(path.join(fresh, "lab/powershell/modules/M/M.psm1"), now + 1000);
    expect(distStaleReason(fresh)).toBe("lab/powershell/modules/M/M.psm1 changed since the last build");
  });

  it("a missing stamp or a missing output is stale; node_modules and dot-folders are not sources", () => {
    const now = Date.now();
    const root = miniCheckout({ stampMs: now, sourceMs: now - HOUR });
    write(root, "core/node_modules/dep/index.ts", "", now + HOUR);
    write(root, "core/.cache/x.ts", "", now + HOUR);
    expect(distStaleReason(root)).toBeNull();
    expect(distStaleReason(root, { required: ["dist/provider/runtime.js", "dist/policy-pack/index.js"] })).toBe("dist/policy-pack/index.js is missing");
    rmSync(path.join(root, STAMP));
    expect(distStaleReason(root)).toBe(`${STAMP} is missing`);
  });

  it("the pack's sources count for the whole build (buildStaleReason), not for the provider's check", () => {
    const now = Date.now();
    const root = miniCheckout({ stampMs: now, sourceMs: now - HOUR });
    write(root, "policies/policies.ts", "", now + HOUR);
    expect(distStaleReason(root)).toBeNull();
    expect(BUILD_SOURCES).not.toContain("policies");
    expect(buildStaleReason(root)).toMatch(/^dist\/api\.js is missing$/); // a mini checkout has no full build
  });

  it("assertFreshBuild: throws the one-line message in a stale checkout; nothing to do without sources or outside dist/", () => {
    const now = Date.now();
    const stale = miniCheckout({ stampMs: now - HOUR, sourceMs: now });
    const dir = path.join(stale, "dist", "provider");
    expect(buildRootOf(dir)).toBe(stale);
    expect(isSourceCheckout(stale)).toBe(true);
    let err: Error | undefined;
    try {
      assertFreshBuild(dir);
    } catch (e) {
      err = e as Error;
    }
    expect(err?.message).toBe(`wsus-iis: dist/ is older than its sources (core/rules/x.ts changed since the last build): run npm run build in ${stale}`);
    expect(err?.stack).toBe(err?.message); // the plugin prints `stack`: no frames
    // rebuilt (stamp newer): passes, and the result is remembered
    touch(path.join(stale, STAMP), now + 1000);
    expect(() => assertFreshBuild(dir)).not.toThrow();
    // an installed package: no TypeScript sources next to dist/
    const installed = miniCheckout({ stampMs: now - HOUR, sourceMs: now });
    rmSync(path.join(installed, "provider"), { recursive: true });
    expect(isSourceCheckout(installed)).toBe(false);
    expect(() => assertFreshBuild(path.join(installed, "dist", "provider"))).not.toThrow();
    // running from the sources (not a build)
    expect(buildRootOf(path.join(stale, "provider"))).toBeNull();
    expect(() => assertFreshBuild(path.join(stale, "provider"))).not.toThrow();
  });
});

describe("the serialized provider refuses a stale dist/ (loaded like cmd/dynamic-provider, cwd = the project)", () => {
  let cap: Captured;
  beforeAll(() => {
    cap = captureProvider({ spec: {}, target: "lab:/tmp/unused" });
  }, 120_000);

  /**
   * A copy of this checkout's package: package.json (the "exports" the provider resolves through the
   * package self-reference), dist/ as built, node_modules linked; with or without the TypeScript sources.
   */
  function checkoutCopy(withSources: boolean): string {
    const root = tempDir("wsus-fresh-pkg-");
    cpSync(path.join(ROOT, "package.json"), path.join(root, "package.json"));
    cpSync(path.join(ROOT, "dist"), path.join(root, "dist"), { recursive: true });
    symlinkSync(path.join(ROOT, "node_modules"), path.join(root, "node_modules"), "dir");
    const t = Date.now() - HOUR;
    touch(path.join(root, "package.json"), t - HOUR);
    touch(path.join(root, STAMP), t);
    if (withSources) for (const rel of ["provider/runtime.ts", "core/rules/index.ts"]) write(root, rel, readFileSync(path.join(ROOT, rel), "utf8"), t - HOUR);
    return root;
  }
  async function host(cwd: string): Promise<ProviderHost> {
    const h = await ProviderHost.start(cap.inputs.__provider, { cwd });
    hosts.push(h);
    return h;
  }
  const checkArgs = [{}, { spec: {}, target: "lab:/x" }];

  it("a source newer than dist/.build-stamp: every call fails with one line naming the file; rebuilt, it runs", async () => {
    const root = checkoutCopy(true);
    const p = await host(root);
    expect(await p.invoke("check", ...checkArgs)).toEqual({ inputs: { spec: {}, target: "lab:/x" }, failures: [] });
    touch(path.join(root, "core", "rules", "index.ts"), Date.now());
    // (a fresh result is remembered per process: a new plugin process, as the engine starts per deployment)
    const q = await host(root);
    for (const method of ["check", "diff", "create"]) {
      const r = await q.call(method, ...(method === "diff" ? ["id", { spec: {}, target: "lab:/x" }, { spec: {}, target: "lab:/x" }] : method === "create" ? [{ spec: {}, target: "lab:/x" }] : checkArgs));
      expect(r.ok, method).toBe(false);
      expect(r.error!.message).toBe(staleBuildMessage(root, "core/rules/index.ts changed since the last build"));
      expect(r.error!.stack).not.toMatch(/\n\s+at /);
    }
    touch(path.join(root, STAMP), Date.now() + 1000); // what `npm run build` does last
    expect((await q.invoke("check", ...checkArgs)).failures).toEqual([]);
  });

  it("a dist/ built before the check existed (no dist/provider/freshness.js) is refused too", async () => {
    const root = checkoutCopy(true);
    rmSync(path.join(root, "dist", "provider", "freshness.js"));
    const r = await (await host(root)).call("check", ...checkArgs);
    expect(r.ok).toBe(false);
    expect(r.error!.message).toBe(
      `wsus-iis: dist/ is older than its sources (${path.join(root, "dist", "provider", "freshness.js")} is missing: the build predates this provider): run npm run build in ${root}`,
    );
  });

  it("an installed package (no sources next to dist/) is never refused, whatever the mtimes", async () => {
    const root = checkoutCopy(false);
    touch(path.join(root, "package.json"), Date.now() + HOUR);
    const project = tempDir("wsus-fresh-user-");
    writeFileSync(path.join(project, "package.json"), JSON.stringify({ name: "my-infra", private: true, dependencies: { "wsus-iis": "*" } }));
    mkdirSync(path.join(project, "node_modules"));
    symlinkSync(root, path.join(project, "node_modules", "wsus-iis"), "dir");
    expect((await (await host(project)).invoke("check", ...checkArgs)).failures).toEqual([]);
  });

  it("WSUS_IIS_PROVIDER_RUNTIME pointing at a stale checkout's dist/ is refused the same way", async () => {
    const root = checkoutCopy(true);
    touch(path.join(root, "provider", "runtime.ts"), Date.now());
    const empty = tempDir("wsus-fresh-env-");
    const h = await ProviderHost.start(cap.inputs.__provider, { cwd: empty, env: { WSUS_IIS_PROVIDER_RUNTIME: path.join(root, "dist", "provider", "runtime.js") } });
    hosts.push(h);
    const r = await h.call("check", ...checkArgs);
    expect(r.error?.message).toBe(staleBuildMessage(root, "provider/runtime.ts changed since the last build"));
  });
});
