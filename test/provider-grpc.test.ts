import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyBreak, createLab } from "../lab/create";
import { ROOT } from "./harness/build";
import { DynamicProviderHarness } from "./harness/dynamicProvider";
import { UNKNOWN } from "./harness/grpcDeps";
import { captureProvider } from "./harness/providerChild";

/**
 * §3 of notes/pulumi-testing.md: the real `@pulumi/pulumi/cmd/dynamic-provider` plugin (what
 * `pulumi-resource-pulumi-nodejs` runs), cwd = project root, driven over gRPC the way the engine
 * drives it, with the `__provider` text the real WsusIisServer constructor serialized.
 */

const URN = "urn:pulumi:dev::proj::pulumi-nodejs:dynamic/wsus-iis:WsusIisServer::wsus01";
const APPHOST = ["C", "Windows", "System32", "inetsrv", "config", "applicationHost.config"];
const apphost = (dir: string) => readFileSync(path.join(dir, ...APPHOST));

const roots: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(path.join(tmpdir(), "wsus-provider-grpc-"));
  roots.push(d);
  return d;
}

let h: DynamicProviderHarness;
let provider: string;
let dir: string;

beforeAll(async () => {
  provider = captureProvider({ spec: {}, target: "lab:/tmp/unused" }).inputs.__provider;
  h = await DynamicProviderHarness.start(ROOT);
  dir = tempDir();
  await createLab(dir, { configuration: 1, profile: "kb920659", breaks: [4, 5] });
}, 120_000);

afterAll(async () => {
  await h?.close();
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

describe("WsusIisServer through the real dynamic-provider plugin (gRPC)", () => {
  const news = () => ({ __provider: provider, spec: {}, target: `lab:${dir}` });
  let created: { id: string; properties: Record<string, any> };

  it("GetPluginInfo and Configure (with args)", async () => {
    expect(await h.getPluginInfo()).toMatch(/^\d+\.\d+\.\d+/);
    expect(await h.configure({})).toEqual({ acceptSecrets: false }); // the engine unwraps secrets for it
  });

  it("Check: bad inputs come back as failures naming the field; good ones carry __provider", async () => {
    const bad = await h.check(URN, {}, { ...news(), spec: { adminSite: { httpPort: 70000 } }, target: "ftp://x" });
    expect(bad.failures).toEqual([
      { property: "spec", reason: "spec.adminSite.httpPort: expected 1..65535, got 70000" },
      { property: "target", reason: 'target "ftp://x": expected lab:DIR, local or ssh://user@host[:port]' },
    ]);
    const good = await h.check(URN, {}, news());
    expect(good.failures).toEqual([]);
    expect(good.inputs).toEqual(news());
    // preview: unknown values are not judged
    expect((await h.check(URN, {}, { ...news(), target: UNKNOWN })).failures).toEqual([]);
  });

  it("Create on a broken lab converges it (compliant) and keeps __provider in state", async () => {
    created = await h.create(URN, news());
    expect(created.id).toBe(`lab:${dir}`);
    expect(created.properties).toMatchObject({ ...news(), compliant: true, findings: [], status: "applied", roundTrips: 2 });
    expect(created.properties.appliedCommands.length).toBeGreaterThan(0);
  });

  it("Diff: none for an equivalent spec, some for a spec change, replace for another target", async () => {
    expect(await h.diff(URN, created.id, created.properties, { ...news(), spec: { profile: "auto", configuration: "auto" } })).toEqual({
      changes: "none",
      replaces: [],
      deleteBeforeReplace: false,
    });
    expect(await h.diff(URN, created.id, created.properties, { ...news(), spec: { ssl: true } })).toEqual({ changes: "some", replaces: [], deleteBeforeReplace: false });
    expect(await h.diff(URN, created.id, created.properties, { ...news(), target: `lab:${dir}-2` })).toEqual({ changes: "some", replaces: ["target"], deleteBeforeReplace: false });
  });

  it("Read (refresh) after a manual break shows the drift; Diff then asks for an update; Update repairs", async () => {
    await applyBreak(dir, 6); // anonymous off on the Default Web Site
    const read = await h.read(URN, created.id, created.properties);
    expect(read.id).toBe(created.id);
    expect(read.properties).toMatchObject({ compliant: false, __provider: provider, target: `lab:${dir}` });
    expect(read.properties.findings).toContainEqual(expect.objectContaining({ cause: 6, status: "fail" }));
    expect(read.properties.pendingSteps).toBeGreaterThan(0);
    expect(read.inputs).toEqual(news());

    expect((await h.diff(URN, created.id, read.properties, news())).changes).toBe("some");
    const updated = await h.update(URN, created.id, read.properties, news());
    expect(updated.properties).toMatchObject({ compliant: true, status: "applied", pendingSteps: 0, __provider: provider });
    expect(updated.properties.appliedCommands.join("\n")).toContain('set config "Default Web Site"');
    expect((await h.diff(URN, created.id, updated.properties, news())).changes).toBe("none");
  });

  it("Read for import: only the id", async () => {
    const r = await h.read(URN, `lab:${dir}`, { __provider: provider });
    expect(r.id).toBe(`lab:${dir}`);
    expect(r.inputs).toEqual({ __provider: provider, spec: {}, target: `lab:${dir}` });
    expect(r.properties).toMatchObject({ compliant: true, status: "observed" });
  });

  it("Delete (default) leaves the server as it is", async () => {
    const before = apphost(dir);
    await h.delete(URN, created.id, { ...created.properties });
    expect(Buffer.compare(before, apphost(dir))).toBe(0);
  });

  it("Delete with removeOnDelete takes away what Create added (here: the 127.0.0.1:80 binding)", async () => {
    const lab2 = tempDir();
    await createLab(lab2, { configuration: 1, profile: "kb920659", breaks: [5] });
    const original = apphost(lab2);
    const c = await h.create(URN, { __provider: provider, spec: {}, target: `lab:${lab2}`, removeOnDelete: true });
    expect(c.properties.owned).toEqual([{ kind: "binding", site: "Default Web Site", protocol: "http", ip: "127.0.0.1", port: 80 }]);
    await h.delete(URN, c.id, c.properties);
    expect(Buffer.compare(original, apphost(lab2))).toBe(0);
  });

  it("a failing Create is a gRPC error with a clean message and no secrets", async () => {
    const err = await h
      .create(URN, { __provider: provider, spec: {}, target: "ssh://nobody@127.0.0.1:1", credentials: { sshIdentity: "/secret/key-XYZ" } })
      .catch((e: Error & { code?: number; details?: string }) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as { code?: number }).code).toBe(2); // UNKNOWN, as the plugin maps provider errors
    expect((err as { details?: string }).details).toMatch(/^ssh:\/\/nobody@127\.0\.0\.1:1: /);
    expect((err as Error).message).not.toContain("key-XYZ");
    expect(h.stderr).not.toContain("key-XYZ");
  });
});
