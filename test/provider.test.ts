import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { applyBreak, createLab, type Break, type CreateLabOptions } from "../lab/create";
import { runCommand } from "../lab/shell";
import * as rt from "../provider/runtime";
import type { ProviderOutputs } from "../provider/runtime";
import { renderUndo, undoSteps } from "../provider/undo";

/**
 * The provider's runtime (what the serialized provider loads in the plugin), called directly:
 * input checks, diff semantics, create/update/read/delete against lab servers.
 */

const roots: string[] = [];
function tempDir(prefix = "wsus-provider-"): string {
  const d = mkdtempSync(path.join(tmpdir(), prefix));
  roots.push(d);
  return d;
}
afterAll(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

const APPHOST = ["C", "Windows", "System32", "inetsrv", "config", "applicationHost.config"];
const apphost = (dir: string) => readFileSync(path.join(dir, ...APPHOST));
const labJson = (dir: string) => JSON.parse(readFileSync(path.join(dir, "lab.json"), "utf8"));

/**
 * A lab server with the KB's own layout (kb920659, Configuration 1) unless told otherwise; the specs the
 * tests send are mostly `{}` (profile and configuration auto), which the provider reads from the server.
 */
async function lab(breaks: Break[], opts: CreateLabOptions = {}): Promise<string> {
  const dir = tempDir();
  await createLab(dir, { configuration: 1, profile: "kb920659", ...opts, breaks });
  return dir;
}

describe("check: failures name the field", () => {
  it("accepts good inputs and passes them through", async () => {
    const news = { spec: { configuration: 2 }, target: "lab:/tmp/x", removeOnDelete: false };
    expect(await rt.check({}, news)).toEqual({ inputs: news, failures: [] });
  });

  it("spec errors carry the field path and the bad value", async () => {
    const r = await rt.check({}, { spec: { adminSite: { httpPort: 70000 }, profile: "x" }, target: "lab:/tmp/x" });
    expect(r.failures).toEqual([
      { property: "spec", reason: 'spec.profile: Invalid option: expected one of "auto"|"kb920659"|"modern", got "x"' },
      { property: "spec", reason: "spec.adminSite.httpPort: expected 1..65535, got 70000" },
    ]);
  });

  it("target, removeOnDelete, unknown keys and missing fields", async () => {
    const r = await rt.check({}, { target: "ftp://server", removeOnDelete: "yes", colour: 1 });
    expect(r.failures).toEqual([
      { property: "spec", reason: "spec: required (use {} for the profile's defaults)" },
      { property: "target", reason: 'target "ftp://server": expected lab:DIR, local or ssh://user@host[:port]' },
      { property: "removeOnDelete", reason: 'removeOnDelete: expected a boolean, got "yes"' },
      { property: "colour", reason: "colour: unknown input (expected spec, target, credentials, removeOnDelete)" },
    ]);
    const ssh = await rt.check({}, { spec: {}, target: "ssh://-oProxyCommand=x@host" });
    expect(ssh.failures[0]).toMatchObject({ property: "target" });
  });

  it("credential failures never show the value", async () => {
    const r = await rt.check({}, { spec: {}, target: "ssh://admin@wsus01", credentials: { sshIdentity: "", password: "hunter2-XYZ" } });
    expect(r.failures.map((f) => f.property)).toEqual(["credentials", "credentials"]);
    expect(r.failures.map((f) => f.reason).join("\n")).toMatch(/credentials\.sshIdentity: expected a non-empty string \(value not shown\)/);
    expect(r.failures.map((f) => f.reason).join("\n")).toMatch(/unknown key\(s\) "password"/);
    expect(JSON.stringify(r.failures)).not.toContain("hunter2");
  });

  it("unknown (preview) values are not judged", async () => {
    const r = await rt.check({}, { spec: { adminSite: { httpPort: rt.UNKNOWN } }, target: rt.UNKNOWN });
    expect(r.failures).toEqual([]);
  });
});

describe("diff", () => {
  const base = { spec: {}, target: "lab:/srv/a" };
  it("equivalent specs are no change ({} vs explicit defaults, key order, default port in ssh targets)", async () => {
    const explicit = { configuration: "auto", profile: "auto", adminSite: { httpsPort: 8531, httpPort: 8530 }, bindings: { mode: "kb" }, repairs: { reinstallSelfUpdate: false } };
    expect(await rt.diff("lab:/srv/a", base, { ...base, spec: explicit })).toEqual({ changes: false, replaces: [], deleteBeforeReplace: false, changed: [] });
    const d = await rt.diff("x", { spec: {}, target: "ssh://admin@wsus01:22" }, { spec: {}, target: "ssh://admin@wsus01" });
    expect(d.changes).toBe(false);
  });

  it("a spec change is an update, a target change a replacement (another server)", async () => {
    expect(await rt.diff("lab:/srv/a", base, { ...base, spec: { configuration: 2 } })).toEqual({ changes: true, replaces: [], deleteBeforeReplace: false, changed: ["spec"] });
    expect(await rt.diff("lab:/srv/a", base, { ...base, target: "lab:/srv/b" })).toEqual({ changes: true, replaces: ["target"], deleteBeforeReplace: false, changed: ["target"] });
  });

  // Issue 12: the same key at another path (a laptop, a CI runner) is no reason to converge a server.
  it("credentials alone never make a change; removeOnDelete is an update, not a replacement", async () => {
    const d = await rt.diff("x", { ...base, credentials: { sshIdentity: "/k/1" } }, { ...base, credentials: { sshIdentity: "/k/2" } });
    expect(d).toEqual({ changes: false, replaces: [], deleteBeforeReplace: false, changed: [] });
    expect((await rt.diff("x", base, { ...base, removeOnDelete: true })).changed).toEqual(["removeOnDelete"]);
    expect((await rt.diff("x", { ...base, removeOnDelete: false }, base)).changes).toBe(false);
  });

  // Issue 12: `pulumi preview --refresh --expect-no-changes` must fail on any non-compliant server, also
  // one whose problems need a person (no automatic step): an update re-checks and reports them.
  it("a non-compliant server is a change even when nothing can be repaired automatically", async () => {
    expect(await rt.diff("x", { ...base, compliant: false, pendingSteps: 0 }, base)).toMatchObject({ changes: true, changed: ["drift"] });
    expect((await rt.diff("x", { ...base, compliant: true, pendingSteps: 0 }, base)).changes).toBe(false);
  });

  it("drift found by the last read (pendingSteps > 0) makes `pulumi up` update", async () => {
    expect(await rt.diff("x", { ...base, pendingSteps: 2 }, base)).toMatchObject({ changes: true, replaces: [], changed: ["drift"] });
    expect((await rt.diff("x", { ...base, pendingSteps: 0 }, base)).changes).toBe(false);
  });

  it("an unknown target (preview) may replace", async () => {
    expect(await rt.diff("x", base, { ...base, target: rt.UNKNOWN })).toMatchObject({ changes: true, replaces: ["target"] });
  });
});

describe("create / update / read on lab servers", () => {
  it("create repairs a broken lab; a second update has nothing to do", async () => {
    const dir = await lab([4, 5]);
    const inputs = { spec: {}, target: `lab:${dir}` };
    const { id, outs } = await rt.create(inputs);
    expect(id).toBe(`lab:${dir}`);
    expect(outs).toMatchObject({ ...inputs, compliant: true, findings: [], status: "applied", roundTrips: 2, pendingSteps: 0, manualSteps: [] });
    expect(outs.appliedCommands.length).toBeGreaterThan(0);
    expect(outs.appliedCommands.join("\n")).toContain("/+bindings.[protocol='http',bindingInformation='127.0.0.1:80:']");
    expect(outs.backupName).toMatch(/^wsus-iis-[0-9A-Za-z_-]+$/);
    expect(outs.configHash).toMatch(/^[0-9a-f]{64}$/);
    expect(outs.owned).toEqual([{ kind: "binding", site: "Default Web Site", protocol: "http", ip: "127.0.0.1", port: 80 }]);
    // spec {}: profile and configuration auto, read from the server before the repair, and said
    expect(outs.layout).toEqual({ profile: "kb920659", configuration: 1, reasons: [expect.stringMatching(/^profile kb920659 detected: \/WSUSAdmin on Default Web Site/), "Configuration 1 detected: no WSUS site besides the Default Web Site"] });

    const again = await rt.update(id, outs, inputs);
    expect(again.outs).toMatchObject({ compliant: true, appliedCommands: [], status: "nothing-to-do", roundTrips: 1, backupName: null });
    // what the first create added stays recorded
    expect(again.outs.owned).toEqual(outs.owned);
  });

  it("rules: [kb, health] through the provider (issue 13): a stopped WsusPool with a private-memory limit converges; the default spec would not see it", async () => {
    const dir = await lab(["pool-private-memory", "pool-stopped"], { configuration: 2, profile: "modern" });
    const plain = await rt.read(`lab:${dir}`, { spec: {}, target: `lab:${dir}` });
    expect(plain.props).toMatchObject({ compliant: true });
    const inputs = { spec: { rules: ["kb", "health"] }, target: `lab:${dir}` };
    const diff = await rt.diff(`lab:${dir}`, plain.props, inputs);
    expect(diff.changes).toBe(true); // the spec changed
    const { outs } = await rt.update(`lab:${dir}`, plain.props as ProviderOutputs, inputs);
    expect(outs).toMatchObject({ compliant: true, findings: [], status: "applied", pendingSteps: 0 });
    expect(outs.appliedCommands).toEqual([
      "%windir%\\system32\\inetsrv\\appcmd.exe set apppool WsusPool /recycling.periodicRestart.privateMemory:0",
      "%windir%\\system32\\inetsrv\\appcmd.exe start apppool /apppool.name:WsusPool",
    ]);
    // the pool runs again (lab.json's runtime state: WAS, not applicationHost.config)
    const pools = labJson(dir).runtime?.appPools ?? {};
    expect(Object.entries(pools).find(([name]) => name.toLowerCase() === "wsuspool")?.[1] ?? "Started").toBe("Started");
  });

  it("auto on a default WSUS 4+ server (modern, Configuration 2): nothing on the Default Web Site is demanded", async () => {
    const dir = await lab([4], { configuration: 2, profile: "modern" });
    const { outs } = await rt.create({ spec: {}, target: `lab:${dir}` });
    expect(outs).toMatchObject({ compliant: true, status: "applied", layout: { profile: "modern", configuration: 2 } });
    expect(outs.appliedCommands).toEqual([expect.stringContaining('set config "WSUS Administration/Selfupdate"')]);
    // an explicit profile that does not fit the server repairs nothing and says why
    const dir2 = await lab([4], { configuration: 2, profile: "modern" });
    const { outs: kb } = await rt.create({ spec: { profile: "kb920659" }, target: `lab:${dir2}` });
    expect(kb).toMatchObject({ status: "nothing-to-do", appliedCommands: [], layout: { profile: "kb920659", configuration: 2 } });
    expect(kb.findings).toContainEqual(expect.objectContaining({ rule: "profile-fits-server", severity: "warning" }));
  });

  it("manual findings left: create succeeds with compliant false and the findings", async () => {
    const dir = await lab([8]); // SelfUpdate files deleted; reinstalling is opt-in (repairs.reinstallSelfUpdate)
    const { outs } = await rt.create({ spec: {}, target: `lab:${dir}` });
    expect(outs.compliant).toBe(false);
    expect(outs.status).toBe("nothing-to-do");
    expect(outs.findings).toEqual([expect.objectContaining({ rule: "selfupdate-files", cause: 8, status: "fail" })]);
    expect(outs.manualSteps.join("\n")).toMatch(/Selfupdate\.msi/);
    // opting in repairs it
    const fixed = await rt.update(`lab:${dir}`, outs, { spec: { repairs: { reinstallSelfUpdate: true } }, target: `lab:${dir}` });
    expect(fixed.outs).toMatchObject({ compliant: true, status: "applied" });
  });

  it("read after a manual break shows the drift; diff asks for an update; update repairs", async () => {
    const dir = await lab([]);
    const inputs = { spec: {}, target: `lab:${dir}` };
    const created = await rt.create(inputs);
    expect(created.outs).toMatchObject({ compliant: true, status: "nothing-to-do", appliedCommands: [] });

    await applyBreak(dir, 4); // someone turns anonymous off on SelfUpdate
    const r = await rt.read(created.id, created.outs);
    expect(r.id).toBe(created.id);
    expect(r.inputs).toEqual(inputs);
    expect(r.props).toMatchObject({ ...inputs, compliant: false, roundTrips: 1, status: "nothing-to-do" });
    expect(r.props.findings).toContainEqual(expect.objectContaining({ cause: 4, status: "fail", rule: "selfupdate-anonymous" }));
    expect(r.props.configHash).not.toBe(created.outs.configHash);
    expect(r.props.pendingSteps).toBeGreaterThan(0);

    expect(await rt.diff(created.id, r.props, inputs)).toMatchObject({ changes: true, replaces: [] });
    const u = await rt.update(created.id, r.props, inputs);
    expect(u.outs).toMatchObject({ compliant: true, status: "applied", pendingSteps: 0 });
    expect(u.outs.appliedCommands.join("\n")).toContain("anonymousAuthentication /enabled:True");
    expect((await rt.diff(created.id, u.outs, inputs)).changes).toBe(false);
  });

  // PULUMI_ENABLE_LEGACY_REFRESH_DIFF compares old and refreshed outputs: a read's own round-trip count
  // (1) against the converge's (2) would be a false diff.
  it("read keeps the volatile fields of the last converge (roundTrips, status, backupName)", async () => {
    const dir = await lab([4]);
    const created = await rt.create({ spec: {}, target: `lab:${dir}` });
    expect(created.outs.roundTrips).toBe(2);
    const r = await rt.read(created.id, created.outs);
    expect(r.props).toMatchObject({ roundTrips: 2, status: "applied", backupName: created.outs.backupName, compliant: true });
    expect(await rt.diff(created.id, r.props, { spec: {}, target: `lab:${dir}` })).toMatchObject({ changes: false });
  });

  // Issue 12: adoption is "declare, then up" (pulumi import cannot reach a dynamic provider's Read).
  it("adopting a compliant server: create reads once and changes nothing; delete leaves it alone", async () => {
    const dir = await lab([]);
    const [config, state] = [apphost(dir), readFileSync(path.join(dir, "lab.json"))];
    const { id, outs } = await rt.create({ spec: {}, target: `lab:${dir}` });
    expect(outs).toMatchObject({ status: "nothing-to-do", compliant: true, appliedCommands: [], roundTrips: 1, backupName: null, owned: [] });
    expect(Buffer.compare(config, apphost(dir))).toBe(0);
    expect(await rt.deleteResource(id, outs)).toEqual({ removed: [], skipped: [] });
    expect(Buffer.compare(config, apphost(dir))).toBe(0);
    expect(Buffer.compare(state, readFileSync(path.join(dir, "lab.json")))).toBe(0);
  });

  it("read without a target in the properties takes the id as the target (defensive: the engine always sends the state)", async () => {
    const dir = await lab([6]);
    const r = await rt.read(`lab:${dir}`, {});
    expect(r.id).toBe(`lab:${dir}`);
    expect(r.inputs).toEqual({ spec: {}, target: `lab:${dir}` });
    expect(r.props).toMatchObject({ spec: {}, target: `lab:${dir}`, compliant: false, status: "observed", appliedCommands: [], owned: [], backupName: null });
    expect(r.props.findings).toContainEqual(expect.objectContaining({ cause: 6 }));
    // only {target} (what some import paths send)
    expect((await rt.read("ignored-id", { target: `lab:${dir}` })).id).toBe(`lab:${dir}`);
  });

  it("a failed apply fails the resource with a clear message (ACL backup impossible: nothing changed)", async () => {
    const dir = await lab([1], { profile: "modern" }); // plan: icacls /grant, guarded by icacls /save
    // the lab refuses the save (lab.json faults apply to whichever agent runs the command)
    writeFileSync(path.join(dir, "lab.json"), JSON.stringify({ ...labJson(dir), faults: { fail: [{ match: " /save ", exitCode: 5, stderr: "Access is denied." }] } }, null, 2));
    const [config, acls] = [apphost(dir), labJson(dir).acls];
    const err = await rt.create({ spec: { profile: "modern" }, target: `lab:${dir}` }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(rt.WsusIisProviderError);
    expect((err as Error).message).toMatch(/: the safety backup before any change failed \(exit \d+\): icacls .* \/save .*; nothing was changed$/);
    expect((err as Error).message.startsWith(`lab:${dir}: `)).toBe(true);
    expect((err as Error).stack).not.toMatch(/\n\s+at /);
    expect(Buffer.compare(config, apphost(dir))).toBe(0);
    expect(labJson(dir).acls).toEqual(acls);
  });

  it("invalid inputs fail create with the field-named reasons", async () => {
    await expect(rt.create({ spec: { adminSite: { httpPort: 70000 } }, target: "lab:/nonexistent" })).rejects.toThrow(/spec\.adminSite\.httpPort: expected 1\.\.65535, got 70000/);
  });
});

describe("delete", () => {
  it("by default leaves the server exactly as it is", async () => {
    const dir = await lab([2]);
    const { id, outs } = await rt.create({ spec: {}, target: `lab:${dir}` });
    expect(outs.owned).toEqual([{ kind: "vdir", site: "Default Web Site", name: "SelfUpdate" }]);
    const [config, state] = [apphost(dir), readFileSync(path.join(dir, "lab.json"))];
    expect(await rt.deleteResource(id, outs)).toEqual({ removed: [], skipped: [] });
    expect(Buffer.compare(config, apphost(dir))).toBe(0);
    expect(Buffer.compare(state, readFileSync(path.join(dir, "lab.json")))).toBe(0);
  });

  it("removeOnDelete removes exactly the vdir it added; the rest of applicationHost.config is byte-identical", async () => {
    const dir = await lab([2]); // SelfUpdate missing
    const original = apphost(dir);
    const inputs = { spec: {}, target: `lab:${dir}`, removeOnDelete: true };
    const { id, outs } = await rt.create(inputs);
    expect(outs.compliant).toBe(true);
    expect(outs.appliedCommands[0]).toContain("add vdir");
    expect(Buffer.compare(original, apphost(dir))).not.toBe(0);

    const d = await rt.deleteResource(id, outs);
    expect(d.removed).toEqual(['%windir%\\system32\\inetsrv\\appcmd.exe delete vdir "Default Web Site/SelfUpdate"']);
    expect(Buffer.compare(original, apphost(dir))).toBe(0);
  });

  it("removeOnDelete: apps and vdirs on both sites (Configuration 2)", async () => {
    const dir = await lab(["missing-vdir", 2], { configuration: 2 });
    const original = apphost(dir);
    const { id, outs } = await rt.create({ spec: { configuration: 2 }, target: `lab:${dir}`, removeOnDelete: true });
    expect(outs.owned.map((o) => o.kind).sort()).toEqual(["app", "app", "vdir", "vdir"]);
    await rt.deleteResource(id, outs);
    expect(Buffer.compare(original, apphost(dir))).toBe(0);
  });

  it("removeOnDelete: the ACE it granted and the group member it added, nothing else", async () => {
    const modern = await lab([1], { profile: "modern" }); // BUILTIN\Users ACE missing on SelfUpdate
    const acl0 = labJson(modern).acls;
    const a = await rt.create({ spec: { profile: "modern" }, target: `lab:${modern}`, removeOnDelete: true });
    // granted by SID (the name is localised on German or French servers), and so it will be removed
    expect(a.outs.owned).toEqual([{ kind: "ace", path: "C:\\Program Files\\Update Services\\Selfupdate", principal: "BUILTIN\\Users", sid: "S-1-5-32-545", rights: "RX" }]);
    expect(labJson(modern).acls).not.toEqual(acl0);
    await rt.deleteResource(a.id, a.outs);
    expect(labJson(modern).acls).toEqual(acl0);

    const kb = await lab([1]); // IUSR_WSUS01 left Users
    const groups0 = labJson(kb).groups;
    const spec = { repairs: { addIusrToUsers: true } };
    const b = await rt.create({ spec, target: `lab:${kb}`, removeOnDelete: true });
    // the group by its name on this server (from the evidence) and its SID
    expect(b.outs.owned).toEqual([{ kind: "group-member", group: "BUILTIN\\Users", groupSid: "S-1-5-32-545", member: "IUSR_WSUS01" }]);
    await rt.deleteResource(b.id, b.outs);
    expect(labJson(kb).groups).toEqual(groups0);
  });

  it("removeOnDelete leaves what changed since alone: an ACE someone extended, a vdir someone removed", async () => {
    const dir = await lab([1, 2], { profile: "modern" });
    const { id, outs } = await rt.create({ spec: { profile: "modern" }, target: `lab:${dir}`, removeOnDelete: true });
    expect(outs.owned.map((o) => o.kind).sort()).toEqual(["ace", "vdir"]);
    // someone adds Modify for Users next to our RX (a second explicit ACE), and removes the vdir again
    expect((await runCommand(dir, 'icacls "C:\\Program Files\\Update Services\\Selfupdate" /grant "BUILTIN\\Users:(M)"')).exitCode).toBe(0);
    expect((await runCommand(dir, 'appcmd delete vdir "Default Web Site/Selfupdate"')).exitCode).toBe(0);
    const [config, acls] = [apphost(dir), labJson(dir).acls];
    const d = await rt.deleteResource(id, outs);
    expect(d.removed).toEqual([]);
    expect(d.skipped.map((s) => [s.item.kind, s.reason])).toEqual([
      ["vdir", "no longer exists"],
      ["ace", "the principal's ACEs on this folder changed since they were granted; left as is"],
    ]);
    expect(Buffer.compare(config, apphost(dir))).toBe(0);
    expect(labJson(dir).acls).toEqual(acls);
  });

  it("an ACE granted to a principal that already had one is not recorded (it is not ours to remove)", async () => {
    // kb920659 break 1: IUSR left Users; the grant goes to IUSR_WSUS01. Give IUSR an explicit read ACE first.
    const dir = await lab([1]);
    expect((await runCommand(dir, 'icacls "C:\\Program Files\\Update Services\\Selfupdate" /grant "IUSR_WSUS01:(R)"')).exitCode).toBe(0);
    const { outs } = await rt.create({ spec: {}, target: `lab:${dir}`, removeOnDelete: true });
    expect(outs.appliedCommands.join("\n")).toContain("/grant IUSR_WSUS01:(OI)(CI)(RX)");
    expect(outs.owned).toEqual([]);
  });

  it("undo commands are rendered through the quoting module", () => {
    expect(renderUndo({ kind: "binding", site: "Default Web Site", protocol: "http", ip: "::1", port: 80 })).toBe(
      `%windir%\\system32\\inetsrv\\appcmd.exe set site /site.name:"Default Web Site" /-bindings.[protocol='http',bindingInformation='[::1]:80:']`,
    );
    expect(renderUndo({ kind: "group-member", group: "Users", member: "WSUS01\\IUSR_WSUS01" })).toBe("net localgroup Users WSUS01\\IUSR_WSUS01 /delete");
    expect(() => renderUndo({ kind: "site", site: 'evil" & del' })).toThrow(/refusing to put/);
    const empty = { source: "evidence" as const, computerName: null, sites: [], acls: null, groups: null, files: null, sharePoint: null };
    expect(undoSteps([{ kind: "site", site: "Gone" }], empty)).toEqual({ steps: [], skipped: [{ item: { kind: "site", site: "Gone" }, reason: "site no longer exists" }] });
  });
});

describe("secrets stay out of errors", () => {
  const secret = "/secret/key-XYZ";
  const inputs = { spec: {}, target: "ssh://nobody@127.0.0.1:1", credentials: { sshIdentity: secret, knownHostsFile: "/secret/hosts-XYZ" } };
  const noSecret = (e: unknown) => {
    expect(e).toBeInstanceOf(Error);
    const text = `${(e as Error).message}\n${(e as Error).stack}`;
    expect(text).not.toContain("key-XYZ");
    expect(text).not.toContain("hosts-XYZ");
    expect(text).not.toMatch(/\n\s+at /);
    return (e as Error).message;
  };

  it("create / update / read against an unreachable ssh target", async () => {
    const m = noSecret(await rt.create(inputs).catch((e) => e));
    expect(m).toMatch(/^ssh:\/\/nobody@127\.0\.0\.1:1: /);
    noSecret(await rt.update("ssh://nobody@127.0.0.1:1", inputs, inputs).catch((e) => e));
    noSecret(await rt.read("ssh://nobody@127.0.0.1:1", inputs).catch((e) => e));
  });

  it("delete with removeOnDelete against an unreachable ssh target", async () => {
    const outs = { ...inputs, removeOnDelete: true, owned: [{ kind: "vdir", site: "Default Web Site", name: "SelfUpdate" }] };
    noSecret(await rt.deleteResource("ssh://nobody@127.0.0.1:1", outs).catch((e) => e));
  });

  it("secrets are redacted even when a lower layer echoes them, including Pulumi secret wrappers", async () => {
    const wrapped = { ...inputs, target: "lab:/nonexistent/key-XYZ", credentials: { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", value: { sshIdentity: "key-XYZ" } } };
    const e = await rt.create(wrapped).catch((x) => x);
    expect((e as Error).message).toContain("[secret]");
    noSecret(e);
  });
});

describe("outputs are plain data", () => {
  it("JSON round-trips (what a protobuf Struct can carry)", async () => {
    const dir = await lab([5]);
    const { outs } = await rt.create({ spec: {}, target: `lab:${dir}` });
    const copy: ProviderOutputs = JSON.parse(JSON.stringify(outs));
    expect(copy).toEqual(outs);
  });
});

describe("credentials paths are checked at check time", () => {
  it("a % in the identity path is a check failure naming the field, never the value", async () => {
    const r = await rt.check({}, { spec: {}, target: "ssh://admin@wsus01", credentials: { sshIdentity: "/keys/%SECRET%/id" } });
    expect(r.failures).toEqual([{ property: "credentials", reason: expect.stringMatching(/^credentials\.sshIdentity: /) }]);
    expect(JSON.stringify(r.failures)).not.toContain("SECRET");
  });
});
