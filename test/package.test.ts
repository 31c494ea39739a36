// Issue 12, item 6: a package others can install. What `npm pack` ships (package.json "files"), what
// its manifest asks of the installing project (dependencies, a peer @pulumi/pulumi), and that the
// packed tarball, installed into a fresh project, runs: the CLI, the lab, the provider runtime and the
// components, with no TypeScript sources and no build step.
import { execFileSync, spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT } from "./harness/build";

const npm = process.platform === "win32" ? "npm.cmd" : "npm";
const pkg = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8"));
const semver = createRequire(createRequire(__filename).resolve("@pulumi/pulumi/package.json"))("semver") as typeof import("semver");
const isBuiltin = (m: string) => (createRequire(__filename)("node:module") as typeof import("node:module")).isBuiltin(m);

const temps: string[] = [];
afterAll(() => {
  for (const t of temps) rmSync(t, { recursive: true, force: true });
});
function tempDir(prefix: string): string {
  const d = mkdtempSync(path.join(realpathSync(tmpdir()), prefix));
  temps.push(d);
  return d;
}

/**
 * `npm pack` on this checkout. --ignore-scripts: npm pack runs `prepare` first (npm docs, "Life Cycle
 * Scripts"); vitest's globalSetup has already built dist/, and a second build racing the other test
 * files would rewrite dist/ under them.
 */
function npmPack(args: string[]): string {
  const r = spawnSync(npm, ["pack", "--json", "--ignore-scripts", "--loglevel=error", ...args], { cwd: ROOT, encoding: "utf8", timeout: 120_000 });
  if (r.status !== 0) throw new Error(`npm pack failed (exit ${r.status}):\n${r.stderr}`);
  return r.stdout;
}

/** The package's own files that a module may name: package name, or the first segment(s) of a bare specifier. */
const packageOf = (spec: string) => (spec.startsWith("@") ? spec.split("/").slice(0, 2).join("/") : spec.split("/")[0]);

let files: string[];
beforeAll(() => {
  const [report] = JSON.parse(npmPack(["--dry-run"]));
  files = report.files.map((f: { path: string }) => f.path).sort();
}, 120_000);

describe("package.json: what the package asks of a project that installs it", () => {
  it("is publishable (not private), with prepare building dist/ when stale and build building it always", () => {
    expect(pkg.private).toBeUndefined();
    expect(pkg.scripts.prepare).toBe("node scripts/build.cjs --if-stale");
    expect(pkg.scripts.build).toBe("node scripts/build.cjs");
  });

  it("@pulumi/pulumi is a peer (one SDK: the project's), pinned only for development, and the pin satisfies the peer range", () => {
    expect(pkg.dependencies["@pulumi/pulumi"]).toBeUndefined();
    const peer = pkg.peerDependencies["@pulumi/pulumi"];
    const dev = pkg.devDependencies["@pulumi/pulumi"];
    expect(semver.valid(dev), "devDependencies pins an exact version").toBe(dev);
    expect(semver.satisfies(dev, peer), `${dev} satisfies ${peer}`).toBe(true);
    expect(semver.minVersion(peer)!.version, "no older SDK than the one tested").toBe(dev);
  });

  it("@pulumi/policy is needed only by the policy pack (its own package.json): an optional peer, pinned for development", () => {
    expect(pkg.dependencies["@pulumi/policy"]).toBeUndefined();
    expect(pkg.peerDependenciesMeta["@pulumi/policy"]).toEqual({ optional: true });
    expect(semver.satisfies(pkg.devDependencies["@pulumi/policy"], pkg.peerDependencies["@pulumi/policy"])).toBe(true);
  });

  it("dependencies are exactly the packages the shipped JavaScript requires at run time (the rest is dev or peer)", () => {
    const required = new Set<string>();
    for (const f of files.filter((f) => f.endsWith(".js") && !f.startsWith("dist/policy-pack/"))) {
      const text = readFileSync(path.join(ROOT, f), "utf8");
      for (const m of text.matchAll(/\brequire\("([^"./][^"]*)"\)|\bimport\("([^"./][^"]*)"\)/g)) {
        const spec = m[1] ?? m[2];
        if (!spec.startsWith("node:") && !isBuiltin(spec)) required.add(packageOf(spec));
      }
    }
    required.delete(pkg.name); // the provider's runtime specifier ("wsus-iis/provider-runtime"): the package itself
    // tsx (bin/wsus-iis.js) and esbuild (lab/powershell/shimBuild.ts) run only from the TypeScript sources, which do not ship
    const sourceOnly = ["tsx", "esbuild"].filter((d) => required.has(d));
    for (const d of sourceOnly) required.delete(d);
    expect(sourceOnly.every((d) => pkg.devDependencies[d])).toBe(true);
    const declared = new Set([...Object.keys(pkg.dependencies), ...Object.keys(pkg.peerDependencies)]);
    expect([...required].filter((r) => !declared.has(r)), "required but not declared").toEqual([]);
    expect(Object.keys(pkg.dependencies).filter((d) => !required.has(d)), "declared but never required").toEqual([]);
  });
});

describe("npm pack --dry-run: what ships", () => {
  it("every entry point of the manifest: exports (types and code), main, types, bin", () => {
    const targets: string[] = [];
    const walk = (v: unknown) => (typeof v === "string" ? targets.push(v) : v && typeof v === "object" ? Object.values(v).forEach(walk) : undefined);
    walk(pkg.exports);
    const concrete = targets.filter((t) => !t.includes("*")).map((t) => t.replace(/^\.\//, ""));
    expect(concrete.length).toBeGreaterThan(4);
    for (const t of [...concrete, pkg.main, pkg.types, ...Object.values(pkg.bin as Record<string, string>)]) expect(files, t).toContain(t);
  });

  it("the provider runtime and its freshness check, the components, the policy-pack build, the PowerShell scripts, the CLI's version file", () => {
    for (const f of [
      "dist/provider/runtime.js",
      "dist/provider/provider.js",
      "dist/provider/freshness.js",
      "dist/components/index.js",
      "dist/components/index.d.ts",
      "dist/policy-pack/index.js",
      "dist/policy-pack/package.json",
      "dist/policy-pack/PulumiPolicy.yaml",
      "scripts/agent.ps1",
      "scripts/collect-evidence.ps1",
      "dist/scripts/agent.ps1",
      "dist/scripts/collect-evidence.ps1",
      "dist/package.json",
    ]) {
      expect(files, f).toContain(f);
    }
  });

  it("every compiled module of the shipped source folders, the lab whole (the CLI's lab and demo commands) with its PowerShell module", () => {
    const tracked = execFileSync("git", ["ls-files", "core", "cli", "lab", "ops", "components", "provider", "transports"], { cwd: ROOT, encoding: "utf8" }).split("\n").filter(Boolean);
    const modules = tracked.filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts"));
    expect(modules.some((f) => f.startsWith("lab/"))).toBe(true);
    for (const f of modules) expect(files, f).toContain(`dist/${f.replace(/\.ts$/, ".js")}`);
    for (const f of tracked.filter((f) => f.endsWith(".psm1"))) expect(files, f).toContain(`dist/${f}`);
  });

  it("no tests, no TypeScript sources, no test-only or build-only scripts, no stack program, no build stamp, no node_modules", () => {
    const offenders = files.filter(
      (f) =>
        /^(test|bench|examples|policies|docs|\.ci)\//.test(f) ||
        (f.endsWith(".ts") && !f.endsWith(".d.ts")) ||
        /\.test\.|\/node_modules\//.test(f) ||
        (f.startsWith("scripts/") && !f.endsWith(".ps1")) ||
        /^dist\/index\.|^dist\/\.build-stamp$|^Pulumi.*\.yaml$/.test(f),
    );
    expect(offenders).toEqual([]);
    // the scripts the tests run (test/harness/providerChild.ts) exist, and stay out
    for (const s of ["scripts/capture-provider.cjs", "scripts/provider-host.cjs"]) {
      expect(existsSync(path.join(ROOT, s)), s).toBe(true);
      expect(files).not.toContain(s);
    }
  });
});

describe("the packed tarball installed into a fresh project (no sources, no build step)", () => {
  let project: string;
  let installed: string;
  beforeAll(() => {
    const out = tempDir("wsus-pack-tgz-");
    const [report] = JSON.parse(npmPack(["--pack-destination", out]));
    project = tempDir("wsus-user-project-");
    writeFileSync(
      path.join(project, "package.json"),
      JSON.stringify({ name: "my-infra", private: true, dependencies: { "@pulumi/pulumi": pkg.devDependencies["@pulumi/pulumi"], [pkg.name]: `file:${path.join(out, report.filename)}` } }, null, 2),
    );
    const r = spawnSync(npm, ["install", "--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error"], { cwd: project, encoding: "utf8", timeout: 240_000 });
    if (r.status !== 0) throw new Error(`npm install of the tarball failed (exit ${r.status}; it needs the npm registry or a warm npm cache):\n${r.stderr}`);
    installed = path.join(project, "node_modules", pkg.name);
  }, 300_000);

  const run = (args: string[]) => spawnSync(process.execPath, [path.join(installed, pkg.bin["wsus-iis"]), ...args], { cwd: project, encoding: "utf8", timeout: 60_000 });

  it("has no TypeScript sources and one @pulumi/pulumi: the project's", () => {
    expect(existsSync(path.join(installed, "provider", "runtime.ts"))).toBe(false);
    expect(existsSync(path.join(installed, "node_modules", "@pulumi", "pulumi"))).toBe(false);
    const fromPackage = createRequire(path.join(installed, "dist", "api.js")).resolve("@pulumi/pulumi");
    expect(fromPackage.startsWith(path.join(project, "node_modules", "@pulumi", "pulumi") + path.sep)).toBe(true);
  });

  it("the CLI runs from dist/: --version reports the package's version", () => {
    const r = run(["--version"]);
    expect(r.stderr).toBe("");
    expect(r.stdout.trim()).toBe(pkg.version);
  });

  it("the CLI's demo runs on a lab (the lab ships)", () => {
    const r = run(["demo"]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/after: 0 problems/);
  }, 60_000);

  it("the provider runtime loads from the project as the serialized provider resolves it (wsus-iis/provider-runtime), and its check runs", () => {
    const script = `import(${JSON.stringify(`${pkg.name}/provider-runtime`)}).then((m) => m.check({}, { spec: {}, target: "lab:/x" })).then((r) => console.log(JSON.stringify(r)))`;
    const out = execFileSync(process.execPath, ["-e", script], { cwd: project, encoding: "utf8" });
    expect(JSON.parse(out)).toEqual({ inputs: { spec: {}, target: "lab:/x" }, failures: [] });
  });

  it("the components and the provider resource load through the package entry", () => {
    const script = `const m = require(${JSON.stringify(pkg.name)}); console.log(JSON.stringify(Object.keys(m).filter((k) => /^WsusIis/.test(k)).sort()))`;
    const names = JSON.parse(execFileSync(process.execPath, ["-e", script], { cwd: project, encoding: "utf8" }));
    expect(names).toEqual(expect.arrayContaining(["WsusIisLayout", "WsusIisServer"]));
  });

  it("the shipped policy pack is the self-contained build (only @pulumi/* left outside)", () => {
    const pack = path.join(installed, "dist", "policy-pack");
    expect(readdirSync(pack).sort()).toEqual(["PulumiPolicy.yaml", "index.js", "index.js.map", "package.json"]);
    expect(Object.keys(JSON.parse(readFileSync(path.join(pack, "package.json"), "utf8")).dependencies).sort()).toEqual(["@pulumi/policy", "@pulumi/pulumi"]);
  });
});

describe("prepare in a fresh checkout (what `npm ci` in a clone and a git install run)", () => {
  // npm runs `prepare` after installing a clone's dependencies and when it installs a git dependency
  // (npm docs, "Life Cycle Scripts": prepare runs on local `npm install` and for git dependencies).
  // Here: the checkout's files (tracked and new, never dist/ or node_modules) copied to a temporary
  // folder, the dependencies linked in (no registry), then `npm run prepare` as npm would run it.
  let clone: string;
  beforeAll(() => {
    clone = tempDir("wsus-clone-");
    const list = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], { cwd: ROOT, encoding: "utf8" }).split("\0").filter(Boolean);
    for (const f of list) {
      if (!existsSync(path.join(ROOT, f))) continue; // deleted in the work tree, not yet committed
      mkdirSync(path.dirname(path.join(clone, f)), { recursive: true });
      copyFileSync(path.join(ROOT, f), path.join(clone, f));
    }
    symlinkSync(path.join(ROOT, "node_modules"), path.join(clone, "node_modules"), "dir");
  });

  it("has no dist/ until prepare builds it; a second prepare finds it up to date and builds nothing", () => {
    expect(existsSync(path.join(clone, "dist"))).toBe(false);
    const first = spawnSync(npm, ["run", "prepare", "--silent"], { cwd: clone, encoding: "utf8", timeout: 300_000 });
    expect(first.status, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/^building dist\/: \S+ is missing$/m);
    for (const f of ["dist/provider/runtime.js", "dist/components/index.js", "dist/policy-pack/index.js", "dist/scripts/agent.ps1", "dist/.build-stamp"]) {
      expect(existsSync(path.join(clone, f)), f).toBe(true);
    }
    const second = spawnSync(npm, ["run", "prepare", "--silent"], { cwd: clone, encoding: "utf8", timeout: 120_000 });
    expect(second.status, second.stderr).toBe(0);
    expect(second.stdout.trim()).toBe("dist/ is up to date");
  }, 400_000);
});
