import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyBreak, createLab } from "../lab/create";
import { buildStaleReason, ROOT } from "./harness/build";
import { measureProvider } from "./harness/measure";
import { captureProvider, ProviderHost, type Captured } from "./harness/providerChild";

/**
 * §2 of notes/pulumi-testing.md: the provider as the engine gets it. A child process (plain Node on
 * dist/, no vitest transform) runs the real `new WsusIisServer(...)` under setMocks and hands back
 * the serialized `__provider`; a FRESH process loads that text exactly like cmd/dynamic-provider
 * (require-from-string, `.handler()`), with the project as cwd, and runs the whole lifecycle on a lab.
 */

const SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
const APPHOST = ["C", "Windows", "System32", "inetsrv", "config", "applicationHost.config"];
const apphost = (dir: string) => readFileSync(path.join(dir, ...APPHOST));

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
async function host(text: string, cwd = ROOT): Promise<ProviderHost> {
  const h = await ProviderHost.start(text, { cwd });
  hosts.push(h);
  return h;
}

let cap: Captured;
beforeAll(() => {
  // vitest's globalSetup (test/harness/globalSetup.ts) built dist/ if it was missing or stale.
  expect(buildStaleReason()).toBeNull();
  cap = captureProvider({
    spec: { configuration: 1 },
    target: "lab:/tmp/unused",
    credentials: { $secret: { sshIdentity: "/secret/key-XYZ" } },
    removeOnDelete: true,
  });
}, 120_000);

describe("serialized WsusIisServer provider", () => {
  it("registers the type token with the inputs; credentials are a secret; the text captures only the runtime loader", () => {
    expect(cap.type).toBe("pulumi-nodejs:dynamic/wsus-iis:WsusIisServer");
    expect(cap.inputs).toMatchObject({ spec: { configuration: 1 }, target: "lab:/tmp/unused", removeOnDelete: true });
    expect(cap.inputs.credentials).toEqual({ [SIG_KEY]: SECRET_SIG, value: { sshIdentity: "/secret/key-XYZ" } });
    const text: string = cap.inputs.__provider;
    expect(text.startsWith("exports.handler = __f0;")).toBe(true);
    expect(text).toContain('"wsus-iis/provider-runtime"');
    expect(text).not.toMatch(/\bzod\b|\bexeca\b|require\(/);
    expect(text).not.toContain("key-XYZ");
    expect(Buffer.byteLength(text)).toBeLessThan(8 * 1024);
  });

  it("fresh process, cwd = project root: check → create → read → diff → update → delete on a lab", async () => {
    const dir = tempDir("wsus-provider-ser-");
    await createLab(dir, { configuration: 1, profile: "kb920659", breaks: [2] }); // SelfUpdate vdir missing
    const original = apphost(dir);
    const p = await host(cap.inputs.__provider);
    const inputs = { ...cap.inputs, target: `lab:${dir}` }; // what the engine passes: __provider included

    const bad = await p.invoke("check", {}, { ...inputs, spec: { adminSite: { httpPort: 70000 } }, target: "nowhere" });
    expect(bad.failures).toEqual([
      { property: "spec", reason: "spec.adminSite.httpPort: expected 1..65535, got 70000" },
      { property: "target", reason: 'target "nowhere": expected lab:DIR, local or ssh://user@host[:port]' },
    ]);
    const checked = await p.invoke("check", {}, inputs);
    expect(checked.failures).toEqual([]);

    const created = await p.invoke("create", checked.inputs);
    expect(created.id).toBe(`lab:${dir}`);
    expect(created.outs).toMatchObject({ compliant: true, status: "applied", owned: [{ kind: "vdir", site: "Default Web Site", name: "SelfUpdate" }] });
    expect(created.outs.appliedCommands[0]).toContain("add vdir");
    expect(created.outs.credentials).toEqual({ sshIdentity: "/secret/key-XYZ" }); // kept (secret by additionalSecretOutputs)
    const state = { ...created.outs, __provider: cap.inputs.__provider };

    await applyBreak(dir, 4);
    const read = await p.invoke("read", created.id, state);
    expect(read.props.compliant).toBe(false);
    expect(read.props.findings).toContainEqual(expect.objectContaining({ cause: 4, status: "fail" }));
    expect(read.inputs).toMatchObject({ spec: { configuration: 1 }, target: `lab:${dir}`, removeOnDelete: true });

    expect(await p.invoke("diff", created.id, state, { ...inputs, spec: { configuration: 1, profile: "auto" } })).toEqual({ changes: false, replaces: [], deleteBeforeReplace: false });
    expect(await p.invoke("diff", created.id, { ...read.props, __provider: cap.inputs.__provider }, inputs)).toEqual({ changes: true, replaces: [], deleteBeforeReplace: false });
    expect((await p.invoke("diff", created.id, state, { ...inputs, target: `lab:${dir}-other` })).replaces).toEqual(["target"]);

    const updated = await p.invoke("update", created.id, { ...read.props, __provider: cap.inputs.__provider }, inputs);
    expect(updated.outs).toMatchObject({ compliant: true, status: "applied" });
    expect(updated.outs.owned).toEqual(created.outs.owned);

    // removeOnDelete: the vdir the create added goes again. (applyBreak 4 and the update's repair set
    // the existing <location>'s anonymous flag off and on again: same bytes as before.)
    expect(await p.invoke("delete", created.id, { ...updated.outs, __provider: cap.inputs.__provider })).toBeNull();
    expect(Buffer.compare(original, apphost(dir))).toBe(0);
    expect(p.stderr).toBe("");
  });

  it("errors cross the process boundary without secrets or stack frames", async () => {
    const p = await host(cap.inputs.__provider);
    const r = await p.call("create", { ...cap.inputs, target: "ssh://nobody@127.0.0.1:1" });
    expect(r.ok).toBe(false);
    expect(r.error!.message).toMatch(/^ssh:\/\/nobody@127\.0\.0\.1:1: /);
    expect(`${r.error!.message}${r.error!.stack}`).not.toContain("key-XYZ");
    expect(r.error!.stack).not.toMatch(/\n\s+at /);
  });

  it("a user project that depends on wsus-iis loads the runtime from its node_modules", async () => {
    const project = tempDir("wsus-user-project-");
    writeFileSync(path.join(project, "package.json"), JSON.stringify({ name: "my-infra", private: true, dependencies: { "wsus-iis": "*" } }));
    mkdirSync(path.join(project, "node_modules"));
    symlinkSync(ROOT, path.join(project, "node_modules", "wsus-iis"), "dir"); // like `npm install ../wsus-iis` / npm link
    const dir = tempDir("wsus-provider-user-");
    await createLab(dir, { configuration: 1, profile: "kb920659", breaks: [5] });
    const p = await host(cap.inputs.__provider, project);
    const created = await p.invoke("create", { ...cap.inputs, target: `lab:${dir}` });
    expect(created.outs).toMatchObject({ compliant: true, status: "applied" });
  });

  it("outside a project that has wsus-iis, the provider says what is missing", async () => {
    const empty = tempDir("wsus-no-project-");
    const p = await host(cap.inputs.__provider, empty);
    const r = await p.call("check", {}, { spec: {}, target: "lab:/x" });
    expect(r.ok).toBe(false);
    expect(r.error!.message).toMatch(/wsus-iis: cannot load the provider runtime "wsus-iis\/provider-runtime" from .*add wsus-iis to the project's dependencies/);
    // ... and WSUS_IIS_PROVIDER_RUNTIME (an absolute path) points it at a build elsewhere
    const withEnv = await ProviderHost.start(cap.inputs.__provider, { cwd: empty, env: { WSUS_IIS_PROVIDER_RUNTIME: path.join(ROOT, "dist", "provider", "runtime.js") } });
    hosts.push(withEnv);
    expect(await withEnv.invoke("check", {}, { spec: {}, target: "lab:/x" })).toEqual({ inputs: { spec: {}, target: "lab:/x" }, failures: [] });
  });

  it("serialized from the TypeScript sources (node --import tsx) it works the same", async () => {
    const fromTs = captureProvider({ spec: {}, target: "lab:/tmp/unused" }, { tsx: true, module: "./provider/index.ts" });
    expect(fromTs.type).toBe(cap.type);
    expect(fromTs.inputs.__provider).toContain("wsus-iis/provider-runtime");
    const p = await host(fromTs.inputs.__provider);
    expect((await p.invoke("check", {}, { spec: { profile: "nope" }, target: "local" })).failures).toEqual([
      { property: "spec", reason: 'spec.profile: Invalid option: expected one of "auto"|"kb920659"|"modern", got "nope"' },
    ]);
  }, 60_000);

  it("serialized from the TypeScript sources by the language host's ts-node (Pulumi.yaml typescript: true) it works the same", async () => {
    const fromTs = captureProvider({ spec: {}, target: "lab:/tmp/unused" }, { tsNode: true, module: "./provider/index.ts" });
    expect(fromTs.type).toBe(cap.type);
    const dir = tempDir("wsus-provider-tsnode-");
    await createLab(dir, { configuration: 1, profile: "kb920659", breaks: [6] });
    const p = await host(fromTs.inputs.__provider);
    expect((await p.invoke("create", { spec: {}, target: `lab:${dir}` })).outs).toMatchObject({ compliant: true, status: "applied" });
  }, 60_000);

  it("measureProvider(): size and cold-load time of the serialized provider", async () => {
    const m = await measureProvider({ runs: 3 });
    console.log(`[provider] serialized ${m.bytes} bytes; serialize ${m.serializeMs} ms; load ${m.loadMs} ms; first call ${m.firstCallMs} ms (cold ${m.coldMs} ms); warm call ${m.warmCallMs} ms`);
    expect(m.bytes).toBe(Buffer.byteLength(cap.inputs.__provider));
    expect(m.loadMs).toBeLessThan(1_000);
    expect(m.coldMs).toBeLessThan(10_000);
    expect(m.warmCallMs).toBeLessThan(m.firstCallMs);
  }, 120_000);
});
