// Issue 12, item 2: a self-contained policy pack. `pulumi policy publish` runs `npm pack` on the pack
// folder ALONE (pulumi/pulumi pkg/v3.248.0, pkg/backend/httpstate/policypack.go, cloudPolicyPack.Publish),
// and a pack that Pulumi Cloud requires is unpacked and `npm install`ed on its own before it runs
// (installRequiredPolicy: ExtractTGZ, then the language host's InstallDependencies in that folder). The
// CLI then starts it through the Node.js language host's RunPlugin, which resolves
// `@pulumi/pulumi/cmd/run-policy-pack` FROM THE PACK FOLDER and runs it there with the folder as the
// last argument (sdk/v3.248.0, sdk/nodejs/cmd/pulumi-language-nodejs/main.go: RunPlugin, locateModule;
// the `pulumi-analyzer-policy` shim is gone since v3.221.0).
//
// This test does that: it copies the pack folder alone into a temporary directory that has no
// node_modules above it, installs the folder's own dependencies there with npm, resolves the runner the
// way locateModule does, starts it, and drives it over the Analyzer gRPC service like
// test/policies-grpc.test.ts drives the in-place pack: the same verdicts as policies/ run in place.
import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TYPES } from "../components/tokens";
import { AnalyzerHarness, grpc, type TestResource } from "./harness/analyzer";
import { ROOT } from "./harness/build";
import { startPlugin, type PluginProcess } from "./harness/plugin";

const BUILT_PACK = path.join(ROOT, "dist", "policy-pack");
const IN_PLACE_PACK = path.join(ROOT, "policies");
const pulumiRequire = createRequire(createRequire(__filename).resolve("@pulumi/pulumi/package.json"));
const analyzerrpc = pulumiRequire("./proto/analyzer_grpc_pb");

const temps: string[] = [];
const harnesses: AnalyzerHarness[] = [];
afterAll(async () => {
  await Promise.all(harnesses.map((h) => h.close()));
  for (const t of temps) rmSync(t, { recursive: true, force: true });
});

/** A fresh folder under the OS temp dir with no node_modules in any ancestor (so nothing resolves from outside). */
function isolatedDir(prefix: string): string {
  const dir = mkdtempSync(path.join(realpathSync(tmpdir()), prefix));
  temps.push(dir);
  for (let d = path.dirname(dir); ; d = path.dirname(d)) {
    if (existsSync(path.join(d, "node_modules"))) throw new Error(`${d}/node_modules exists: the pack would resolve modules from outside its folder; pick another TMPDIR`);
    if (path.dirname(d) === d) break;
  }
  return dir;
}

/** `npm install` in the pack folder alone, as installRequiredPolicy does (warm npm cache: --prefer-offline). */
function npmInstall(dir: string, packages: string[] = []): void {
  const npm = process.platform === "win32" ? "npm.cmd" : "npm";
  const r = spawnSync(npm, ["install", "--no-audit", "--no-fund", "--prefer-offline", "--no-save", "--loglevel=error", ...packages], {
    cwd: dir,
    encoding: "utf8",
    timeout: 240_000,
    env: { ...process.env, NODE_PATH: "", npm_config_package_lock: "false" },
  });
  if (r.status !== 0) throw new Error(`npm install in ${dir} failed (exit ${r.status}; it needs the npm registry or a warm npm cache):\n${r.stderr || r.error?.message}`);
}

/** locateModule (pulumi-language-nodejs): `node -e "require.resolve(MOD)"` with the pack folder as cwd. */
function locateModule(mod: string, dir: string): string {
  return execFileSync(process.execPath, ["-e", `console.log(require.resolve(${JSON.stringify(mod)}))`], { cwd: dir, encoding: "utf8", env: { ...process.env, NODE_PATH: "" } }).trim();
}

/** The pack's runner as RunPlugin starts it: `node <run-policy-pack> <engine> <pack dir>` (here ".", cwd = the pack). */
async function startAnalyzer(entry: string, dir: string): Promise<AnalyzerHarness> {
  const plugin: PluginProcess = await startPlugin([entry, "127.0.0.1:1", "."], { cwd: dir, timeoutMs: 90_000, env: { NODE_PATH: "" } });
  const client = new analyzerrpc.AnalyzerClient(`127.0.0.1:${plugin.port}`, grpc.credentials.createInsecure());
  // AnalyzerHarness.start always runs this repository's run-policy-pack; the copy under test must run its own.
  const Harness = AnalyzerHarness as unknown as new (p: PluginProcess, c: unknown) => AnalyzerHarness;
  const h = new Harness(plugin, client);
  harnesses.push(h);
  return h;
}

const layout = (name: string, spec: unknown, target: string): TestResource => ({ type: TYPES.layout, name, props: { spec, target } });
const selfUpdateVdir = (anonymous: boolean): TestResource => ({
  type: TYPES.vdir,
  name: `su-${anonymous}`,
  props: { site: "Default Web Site", name: "Selfupdate", kind: "vdir", physicalPath: "C:\\Program Files\\Update Services\\Selfupdate", auth: { anonymous } },
});
const COMPLIANT: TestResource[] = [
  layout("wsus01", { configuration: 1, profile: "kb920659", sharePoint: { expected: "no" } }, "lab:./.lab/wsus01"),
  layout("wsus02", {}, "ssh://admin@wsus02.corp"),
  selfUpdateVdir(true),
];
const NON_COMPLIANT: TestResource[] = [
  layout("wsus03", { bindings: { mode: "addresses", addresses: ["10.0.0.5"] } }, "lab:.lab/wsus01/"), // no 127.0.0.1; same server as wsus01
  selfUpdateVdir(false),
  { type: TYPES.server, name: "bad", props: { spec: { adminSite: { httpPort: 70000 } }, target: "local" } },
];

let standalone: AnalyzerHarness;
let inPlace: AnalyzerHarness;
let packDir: string;
let runner: string;

beforeAll(async () => {
  // vitest's globalSetup ran `npm run build` (scripts/build.cjs) when dist/ was stale; it builds the pack.
  expect(existsSync(path.join(BUILT_PACK, "index.js")), `${BUILT_PACK} is missing: run npm run build`).toBe(true);
  packDir = path.join(isolatedDir("wsus-pack-alone-"), "policy-pack");
  cpSync(BUILT_PACK, packDir, { recursive: true });
  npmInstall(packDir);
  runner = locateModule("@pulumi/pulumi/cmd/run-policy-pack", packDir);
  [standalone, inPlace] = await Promise.all([startAnalyzer(runner, packDir), AnalyzerHarness.start(IN_PLACE_PACK)]);
  harnesses.push(inPlace); // closed in afterAll like the standalone one (a runner left behind outlives the test run)
}, 300_000);

describe("the built policy pack, copied alone and installed on its own (what `pulumi policy publish` ships)", () => {
  it("holds only the bundle, its manifest and PulumiPolicy.yaml; depends only on @pulumi/policy and @pulumi/pulumi, at the pinned versions", () => {
    expect(readdirSync(BUILT_PACK).sort()).toEqual(["PulumiPolicy.yaml", "index.js", "index.js.map", "package.json"]);
    const manifest = JSON.parse(readFileSync(path.join(packDir, "package.json"), "utf8"));
    const inPlaceManifest = JSON.parse(readFileSync(path.join(IN_PLACE_PACK, "package.json"), "utf8"));
    const root = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8"));
    expect(manifest).toMatchObject({ name: inPlaceManifest.name, version: root.version, main: "index.js" });
    expect(Object.keys(manifest.dependencies).sort()).toEqual(["@pulumi/policy", "@pulumi/pulumi"]);
    for (const [name, version] of Object.entries(manifest.dependencies)) {
      expect(version, name).toBe(root.devDependencies[name]); // exact, as built and tested here
      // (@pulumi/policy 1.21.0's own package.json says "v1.21.0")
      expect(String(JSON.parse(readFileSync(path.join(packDir, "node_modules", name, "package.json"), "utf8")).version).replace(/^v/, ""), `installed ${name}`).toBe(version);
    }
    expect(readFileSync(path.join(packDir, "PulumiPolicy.yaml"), "utf8")).toBe(readFileSync(path.join(IN_PLACE_PACK, "PulumiPolicy.yaml"), "utf8"));
    // nothing of this repository is reached from the bundle: no relative require, no other bare package
    const requires = [...readFileSync(path.join(packDir, "index.js"), "utf8").matchAll(/\brequire\("([^"]+)"\)/g)].map((m) => m[1]);
    expect(requires.filter((r) => !r.startsWith("node:") && !createRequire(__filename)("node:module").isBuiltin(r))).toEqual(["@pulumi/policy"]);
  });

  it("the language host's locateModule finds run-policy-pack inside the pack folder, and the pack's @pulumi/policy uses that same SDK", () => {
    expect(runner).toBe(path.join(packDir, "node_modules", "@pulumi", "pulumi", "cmd", "run-policy-pack", "index.js"));
    const script = 'const p = require("path"); console.log(require.resolve("@pulumi/pulumi", { paths: [p.dirname(require.resolve("@pulumi/policy"))] }))';
    const fromPolicy = execFileSync(process.execPath, ["-e", script], { cwd: packDir, encoding: "utf8", env: { ...process.env, NODE_PATH: "" } }).trim();
    expect(fromPolicy.startsWith(path.join(packDir, "node_modules", "@pulumi", "pulumi") + path.sep)).toBe(true);
  });

  it("GetAnalyzerInfo: the same pack as in place (name, version, every policy with its level and config schema)", async () => {
    const [a, b] = await Promise.all([standalone.getAnalyzerInfo(), inPlace.getAnalyzerInfo()]);
    expect(a.policies.length).toBeGreaterThan(0);
    expect(a).toEqual(b);
  });

  it("Analyze: no diagnostic on compliant resources, the same mandatory violations as in place on non-compliant ones", async () => {
    for (const r of COMPLIANT) {
      const [a, b] = await Promise.all([standalone.analyze(r), inPlace.analyze(r)]);
      expect(a.diagnostics, r.name).toEqual([]);
      expect(a, r.name).toEqual(b);
    }
    for (const r of NON_COMPLIANT) {
      const [a, b] = await Promise.all([standalone.analyze(r), inPlace.analyze(r)]);
      expect(a.diagnostics.length, r.name).toBeGreaterThan(0);
      expect(a.diagnostics.every((d) => d.enforcementLevel === "mandatory"), r.name).toBe(true);
      expect(a, r.name).toEqual(b);
    }
  });

  it("AnalyzeStack: a clean stack passes; two layouts for one server fail wsus-unique-targets, as in place", async () => {
    const clean = await Promise.all([standalone.analyzeStack(COMPLIANT), inPlace.analyzeStack(COMPLIANT)]);
    expect(clean[0].diagnostics).toEqual([]);
    expect(clean[0]).toEqual(clean[1]);
    const both = [...COMPLIANT, ...NON_COMPLIANT];
    const [a, b] = await Promise.all([standalone.analyzeStack(both), inPlace.analyzeStack(both)]);
    expect(a.diagnostics.map((d) => d.policyName)).toContain("wsus-unique-targets");
    expect(a).toEqual(b);
  });

  it("Configure + Remediate: the same remediation as in place", async () => {
    const config = { "selfupdate-anonymous": { enforcementLevel: "remediate" as const } };
    await Promise.all([standalone.configure(config), inPlace.configure(config)]);
    const [a, b] = await Promise.all([standalone.remediate(selfUpdateVdir(false)), inPlace.remediate(selfUpdateVdir(false))]);
    expect(a.remediations.map((x: { policyName: string }) => x.policyName)).toEqual(["selfupdate-anonymous"]);
    expect(a).toEqual(b);
    await Promise.all([standalone.configure({}), inPlace.configure({})]);
  });

  it("the runner's stderr stays clean (no ts-node or module errors)", () => {
    expect(standalone.stderr).toBe("");
  });
});

describe("why the bundle: policies/ itself, copied alone, does not load (what a publish of policies/ would ship)", () => {
  it("the runner falls back to its vendored TypeScript 3.8.3, which rejects policies/tsconfig.json; with TypeScript installed, ../core, ../components and ../transports are missing", async () => {
    const dir = path.join(isolatedDir("wsus-pack-src-alone-"), "policies");
    cpSync(IN_PLACE_PACK, dir, { recursive: true, filter: (src) => !src.includes(`${path.sep}node_modules`) });
    npmInstall(dir);
    const entry = locateModule("@pulumi/pulumi/cmd/run-policy-pack", dir);
    expect(entry.startsWith(dir + path.sep)).toBe(true);
    const start = () => startPlugin([entry, "127.0.0.1:1", "."], { cwd: dir, timeoutMs: 90_000, env: { NODE_PATH: "" } });
    // run-policy-pack registers ts-node with the folder's typescript, else @pulumi/pulumi's vendored 3.8.3 (tsutils.js)
    await expect(start()).rejects.toThrow(/Unable to compile TypeScript:\s+error TS6046: Argument for '--lib' option/);
    const root = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8"));
    npmInstall(dir, [`typescript@${root.devDependencies.typescript}`]);
    await expect(start()).rejects.toThrow(/Cannot find module '\.\.\/(components|core|transports)\//);
  }, 300_000);
});

describe("scripts/build-policy-pack.cjs: the pack's manifest agrees with the package, or the build stops with one line naming the field", () => {
  const { packManifest } = createRequire(__filename)(path.join(ROOT, "scripts", "build-policy-pack.cjs")) as { packManifest: (root: string) => Record<string, unknown> };
  const rootPkg = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8"));
  const packPkg = JSON.parse(readFileSync(path.join(IN_PLACE_PACK, "package.json"), "utf8"));
  function fakeRoot(root: object, pack: object): string {
    const dir = isolatedDir("wsus-pack-manifest-");
    mkdirSync(path.join(dir, "policies"));
    writeFileSync(path.join(dir, "package.json"), JSON.stringify(root));
    writeFileSync(path.join(dir, "policies", "package.json"), JSON.stringify(pack));
    return dir;
  }

  it("this repository's manifests build", () => {
    expect(packManifest(ROOT)).toMatchObject({ name: packPkg.name, version: rootPkg.version, main: "index.js" });
  });

  it("a pack version other than the package's", () => {
    const dir = fakeRoot(rootPkg, { ...packPkg, version: "9.9.9" });
    expect(() => packManifest(dir)).toThrow(`policies/package.json "version" is "9.9.9" but package.json "version" is "${rootPkg.version}": keep them equal (the pack is released with the package)`);
  });

  it("a pinned SDK other than the one the package is built and tested with", () => {
    const dir = fakeRoot(rootPkg, { ...packPkg, dependencies: { ...packPkg.dependencies, "@pulumi/pulumi": "3.1.0" } });
    expect(() => packManifest(dir)).toThrow(`policies/package.json "dependencies.@pulumi/pulumi" is 3.1.0 but package.json pins ${rootPkg.devDependencies["@pulumi/pulumi"]}`);
  });

  it("a pack that does not declare @pulumi/policy", () => {
    const { ["@pulumi/policy"]: _dropped, ...rest } = packPkg.dependencies;
    const dir = fakeRoot(rootPkg, { ...packPkg, dependencies: rest });
    expect(() => packManifest(dir)).toThrow('policies/package.json "dependencies" has no @pulumi/policy: the pack loads it at run time');
  });
});
