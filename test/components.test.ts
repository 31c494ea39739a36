import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import * as c from "../components";
import { resolveLayout } from "../core/model/layout";
import { parseSpec } from "../core/model/spec";
import { SECRET_SIG, SIG_KEY } from "./harness/analyzer";
import { isSecret, setRecordingMocks, settle, stubSerializeFunction, valueOf, type Registered } from "./harness/policyRecording";

// Components are plain classes: importing them (statically) creates nothing. setMocks + the serializeFunction stub must
// be in place before the first WsusIisServer (a dynamic resource) is constructed.
let records: Registered[];

beforeAll(async () => {
  stubSerializeFunction();
  records = await setRecordingMocks();
});

const T = {
  layout: "wsus-iis:index:WsusIisLayout",
  site: "wsus-iis:index:IisSite",
  vdir: "wsus-iis:index:VirtualDirectory",
  acl: "wsus-iis:index:DirectoryAcl",
  server: "pulumi-nodejs:dynamic/wsus-iis:WsusIisServer",
};
const urn = (...types: string[]) => (name: string) => `urn:pulumi:dev::wsus-iis::${types.join("$")}::${name}`;
const under = (prefix: string) => records.filter((r) => r.name === prefix || r.name.startsWith(`${prefix}-`));

describe("WsusIisLayout: the resource tree", () => {
  it("Configuration 1, kb920659: one site with the eight KB vdirs, the SelfUpdate ACL and the server, all parented", async () => {
    const l = new c.WsusIisLayout("c1", { spec: c.presets.configuration1({ profile: "kb920659" }), target: "lab:./.lab/wsus01" });
    await settle(l, l.server, l.selfUpdateAcl, ...l.sites, ...l.virtualDirectories);
    const mine = under("c1");
    const layoutUrn = urn(T.layout)("c1");
    const siteUrn = urn(T.layout, T.site)("c1-default");

    expect(mine.find((r) => r.type === T.layout)).toMatchObject({ urn: layoutUrn, custom: false, parent: undefined });
    expect(mine.filter((r) => r.type === T.site)).toEqual([expect.objectContaining({ urn: siteUrn, name: "c1-default", parent: layoutUrn, custom: false })]);
    const vdirs = mine.filter((r) => r.type === T.vdir);
    expect(vdirs.map((v) => v.inputs.name)).toEqual([
      "SelfUpdate", "Content", "ClientWebService", "SimpleAuthWebService", "WSUSAdmin", "ReportingWebService", "DssAuthWebService", "ServerSyncWebService",
    ]);
    expect(vdirs.every((v) => v.parent === siteUrn && !v.custom)).toBe(true);
    expect(vdirs[0].urn).toBe(urn(T.layout, T.site, T.vdir)("c1-default-selfupdate"));
    expect(mine.find((r) => r.type === T.acl)).toMatchObject({ name: "c1-selfupdate-acl", parent: layoutUrn, custom: false });
    expect(mine.find((r) => r.type === T.server)).toMatchObject({ name: "c1-server", parent: layoutUrn, custom: true, urn: urn(T.layout, T.server)("c1-server") });
    expect(mine).toHaveLength(1 + 1 + 8 + 1 + 1);
  });

  // A default WSUS 4+ install (GROUND_TRUTH): the WSUS site on 8530/8531 holds all nine; nothing on the Default Web Site.
  it("Configuration 2, modern: all nine on the WSUS site, nothing on the Default Web Site (clients use 8530)", async () => {
    const l = new c.WsusIisLayout("c2", { spec: c.presets.configuration2({ profile: "modern" }), target: "lab:./.lab/wsus02" });
    await settle(l, l.server, l.selfUpdateAcl, ...l.sites, ...l.virtualDirectories);
    const sites = under("c2").filter((r) => r.type === T.site);
    expect(sites.map((s) => [s.name, s.inputs.name, s.inputs.role])).toEqual([["c2-admin", "WSUS Administration", "admin"]]);
    expect(sites[0].inputs.bindings).toEqual([
      { protocol: "http", ip: "*", port: 8530, host: "" },
      { protocol: "https", ip: "*", port: 8531, host: "" },
    ]);
    const vdirsOf = (site: string) => under("c2").filter((r) => r.type === T.vdir && r.parent === urn(T.layout, T.site)(site)).map((v) => v.inputs.name);
    expect(vdirsOf("c2-admin")).toEqual([
      "ApiRemoting30", "ClientWebService", "DssAuthWebService", "ServerSyncWebService", "SimpleAuthWebService", "ReportingWebService", "Inventory", "Content", "Selfupdate",
    ]);
    expect(await valueOf(l.layout)).toMatchObject({ profile: "modern", configuration: 2, clientPort: 8530, windowsAuthVdir: "ApiRemoting30", selfUpdateName: "Selfupdate" });
  });

  it("Configuration 2, modern, clients on port 80: SelfUpdate and ClientWebService on the Default Web Site too", async () => {
    const l = new c.WsusIisLayout("c2p80", { spec: { ...c.presets.configuration2({ profile: "modern" }), clientPort: 80 }, target: "lab:./.lab/wsus02" });
    await settle(l, ...l.sites, ...l.virtualDirectories);
    const sites = under("c2p80").filter((r) => r.type === T.site);
    expect(sites.map((s) => [s.name, s.inputs.role])).toEqual([["c2p80-default", "default"], ["c2p80-admin", "admin"]]);
    const vdirsOf = (site: string) => under("c2p80").filter((r) => r.type === T.vdir && r.parent === urn(T.layout, T.site)(site)).map((v) => v.inputs.name);
    expect(vdirsOf("c2p80-default")).toEqual(["ClientWebService", "Selfupdate"]);
  });

  it("profile auto: the declaration is a default WSUS 4+ install (modern, Configuration 2)", async () => {
    const l = new c.WsusIisLayout("auto", { spec: {}, target: "lab:./.lab/wsus03" });
    await settle(l, ...l.sites);
    expect(await valueOf(l.layout)).toMatchObject({ profile: "modern", configuration: 2, clientPort: 8530 });
  });
});

describe("WsusIisLayout: inputs and outputs", () => {
  it("children carry the declared properties as inputs and outputs (what the policy pack judges)", async () => {
    const spec = { ...c.presets.configuration1({ profile: "kb920659" }), installDir: "D:\\WSUS\\Update Services", computerName: "WSUS01" };
    const l = new c.WsusIisLayout("in", { spec, target: "ssh://admin@wsus01.corp" });
    await settle(l, l.server, l.selfUpdateAcl, ...l.sites, ...l.virtualDirectories);
    const mine = under("in");
    const vdir = (n: string) => mine.find((r) => r.type === T.vdir && r.inputs.name === n)!;
    expect(vdir("SelfUpdate").inputs).toEqual({
      site: "Default Web Site", name: "SelfUpdate", kind: "vdir", physicalPath: "D:\\WSUS\\Update Services\\Selfupdate", auth: { anonymous: true, windows: false },
    });
    expect(vdir("WSUSAdmin").inputs).toMatchObject({ kind: "app", physicalPath: "D:\\WSUS\\Update Services\\Administration", auth: { anonymous: false, windows: true } });
    expect(vdir("WSUSAdmin").outputs).toMatchObject({ name: "WSUSAdmin", auth: { anonymous: false, windows: true } });
    expect(mine.find((r) => r.type === T.acl)!.inputs).toEqual({
      path: "D:\\WSUS\\Update Services\\Selfupdate",
      purpose: "selfupdate",
      entries: [
        { principal: "BUILTIN\\Administrators", rights: "F" },
        { principal: "NT AUTHORITY\\SYSTEM", rights: "F" },
        { principal: "BUILTIN\\Users", rights: "RX" },
      ],
    });
    expect(mine.find((r) => r.type === T.site)!.inputs).toEqual({
      name: "Default Web Site", role: "default", anonymous: true, bindings: [{ protocol: "http", ip: "*", port: 80, host: "" }],
    });
    const server = mine.find((r) => r.type === T.server)!;
    expect(server.inputs).toMatchObject({ spec, target: "ssh://admin@wsus01.corp" });
    expect(typeof server.inputs.__provider).toBe("string");
    expect(mine.find((r) => r.type === T.layout)!.inputs).toEqual({ spec, target: "ssh://admin@wsus01.corp" });

    // Outputs come from WsusIisServer (the mock answers like a converged server).
    expect(await valueOf(l.compliant)).toBe(true);
    expect(await valueOf(l.findings)).toEqual([]);
    expect(await valueOf(l.target)).toBe("ssh://admin@wsus01.corp");
    expect(await valueOf(l.layout)).toMatchObject({ clientPort: 80, windowsAuthVdir: "WSUSAdmin", anonymousIdentity: { principal: "IUSR_WSUS01" } });
    expect(mine.find((r) => r.type === T.layout)!.outputs).toMatchObject({ compliant: true, findings: [], target: "ssh://admin@wsus01.corp" });
  });

  it("a binding policy with addresses shows on the bindings of the site clients use", async () => {
    const l = new c.WsusIisLayout("addr", { spec: { bindings: { mode: "addresses", addresses: ["10.0.0.5", "127.0.0.1"] } }, target: "local" });
    await settle(l, ...l.sites);
    // auto declares a default WSUS 4+ install: clients use the WSUS site on 8530
    expect(await valueOf(l.sites[0].bindings)).toEqual([
      { protocol: "http", ip: "10.0.0.5", port: 8530, host: "" },
      { protocol: "http", ip: "127.0.0.1", port: 8530, host: "" },
      { protocol: "https", ip: "*", port: 8531, host: "" },
    ]);
    const kb = new c.WsusIisLayout("addr-kb", { spec: { ...c.presets.configuration1({ profile: "kb920659" }), bindings: { mode: "addresses", addresses: ["10.0.0.5", "127.0.0.1"] } }, target: "local" });
    await settle(kb, ...kb.sites);
    expect(await valueOf(kb.sites[0].bindings)).toEqual([
      { protocol: "http", ip: "10.0.0.5", port: 80, host: "" },
      { protocol: "http", ip: "127.0.0.1", port: 80, host: "" },
    ]);
  });

  it("credentials stay secret: in the layout's inputs, in WsusIisServer's inputs and outputs", async () => {
    const credentials = { sshIdentity: "/home/ci/.ssh/wsus_ed25519", knownHostsFile: "/home/ci/.ssh/known_hosts" };
    const l = new c.WsusIisLayout("sec", { spec: {}, target: "ssh://admin@wsus03", credentials });
    await settle(l, l.server);
    const secretWire = { [SIG_KEY]: SECRET_SIG, value: credentials };
    expect(under("sec").find((r) => r.type === T.layout)!.wire.credentials).toEqual(secretWire);
    expect(under("sec").find((r) => r.type === T.server)!.wire.credentials).toEqual(secretWire);
    expect(await isSecret(l.server.credentials)).toBe(true);
    expect(await isSecret(l.compliant)).toBe(false);
    // Nothing else carries the key path in clear text.
    const clear = under("sec").filter((r) => JSON.stringify(r.wire).includes("wsus_ed25519") && r.wire.credentials?.[SIG_KEY] !== SECRET_SIG);
    expect(clear).toEqual([]);
  });

  it("an Output target is accepted (validated later by the provider's Check)", async () => {
    const l = new c.WsusIisLayout("out", { spec: {}, target: pulumi.output("lab:./.lab/x") });
    await settle(l, l.server);
    expect(under("out").find((r) => r.type === T.server)!.inputs.target).toBe("lab:./.lab/x");
  });
});

describe("WsusIisLayout: invalid arguments fail at construction, naming the field and value", () => {
  const bad = (name: string, args: any) => () => new c.WsusIisLayout(name, args);

  it("spec fields", () => {
    expect(bad("b1", { spec: { adminSite: { httpPort: 70000 } }, target: "local" })).toThrow("spec.adminSite.httpPort: expected 1..65535, got 70000");
    expect(bad("b2", { spec: { configuration: 3 }, target: "local" })).toThrow(/spec\.configuration: .*got 3/);
    expect(bad("b3", { spec: { installDir: "relative\\path" }, target: "local" })).toThrow(/spec\.installDir: expected an absolute Windows path.*got "relative\\\\path"/);
    expect(bad("b4", { spec: { bindings: { mode: "addresses", addresses: ["10.0.0.300"] } }, target: "local" })).toThrow(
      'spec.bindings.addresses.0: expected an IPv4 or IPv6 address, got "10.0.0.300"',
    );
    expect(bad("b5", { spec: { windowAuthVdir: "X" }, target: "local" })).toThrow(/spec: Unrecognized key: "windowAuthVdir"/);
    expect(bad("b6", { spec: c.presets.configuration2({ profile: "modern" }), target: "local" })).not.toThrow();
  });

  it("target", () => {
    expect(bad("t1", { spec: {}, target: "ftp://x" })).toThrow('target: expected lab:DIR, local or ssh://user@host[:port], got "ftp://x"');
    expect(bad("t2", { spec: {} })).toThrow(/target: required/);
  });

  it("the error names the component and resource; nothing is registered for it", async () => {
    expect(bad("nope", { spec: { adminSite: { httpPort: 0 } }, target: "local" })).toThrow(/^WsusIisLayout "nope": invalid arguments:\n  spec\.adminSite\.httpPort: expected 1\.\.65535, got 0$/);
    await new Promise((r) => setTimeout(r, 20));
    expect(records.filter((r) => r.name.startsWith("nope"))).toEqual([]);
  });
});

describe("building blocks on their own", () => {
  it("register their declared (defaulted) properties; no provider, no children", async () => {
    const site = new c.IisSite("dws", { name: "Default Web Site", role: "default", bindings: [{ ip: "10.0.0.5", port: 80 }] });
    const vdir = new c.VirtualDirectory("su", { site: "Default Web Site", name: "SelfUpdate", physicalPath: "C:\\Program Files\\Update Services\\Selfupdate", auth: { anonymous: true } }, { parent: site });
    const acl = new c.DirectoryAcl("su-acl", { path: "C:\\Program Files\\Update Services\\Selfupdate", entries: [{ principal: "BUILTIN\\Users", rights: "RX" }] });
    await settle(site, vdir, acl);
    expect(records.find((r) => r.name === "dws")).toMatchObject({ type: T.site, custom: false, inputs: { name: "Default Web Site", role: "default", bindings: [{ protocol: "http", ip: "10.0.0.5", port: 80, host: "" }] } });
    expect(records.find((r) => r.name === "su")).toMatchObject({
      type: T.vdir, parent: urn(T.site)("dws"), inputs: { site: "Default Web Site", name: "SelfUpdate", kind: "vdir", auth: { anonymous: true } },
    });
    expect(records.find((r) => r.name === "su-acl")?.inputs.entries).toEqual([{ principal: "BUILTIN\\Users", rights: "RX" }]);
    expect(await valueOf(vdir.kind)).toBe("vdir");
    expect(await valueOf(acl.path)).toBe("C:\\Program Files\\Update Services\\Selfupdate");
  });

  it("reject bad plain arguments with the field named", () => {
    expect(() => new c.VirtualDirectory("v1", { site: "Default Web Site", name: "Self/Update", physicalPath: "C:\\x", auth: {} })).toThrow(/name: expected one URL segment.*got "Self\/Update"/);
    expect(() => new c.VirtualDirectory("v2", { site: "Default Web Site", name: "X", physicalPath: "x", auth: {} })).toThrow(/physicalPath: expected an absolute Windows path/);
    expect(() => new c.DirectoryAcl("a1", { path: "C:\\x", entries: [{ principal: "Users", rights: "M" as any }] })).toThrow(/entries\.0\.rights: .*got "M"/);
    expect(() => new c.IisSite("s1", { name: "S", bindings: [{ port: 0 }] })).toThrow(/bindings\.0\.port: expected 1\.\.65535, got 0/);
  });

  it("accept Outputs (validated by the policy pack once resolved)", async () => {
    const v = new c.VirtualDirectory("vo", { site: "Default Web Site", name: pulumi.output("Content"), physicalPath: "C:\\WSUS\\WsusContent", auth: { anonymous: pulumi.output(true) } });
    await settle(v);
    expect(records.find((r) => r.name === "vo")?.inputs).toEqual({ site: "Default Web Site", name: "Content", kind: "vdir", physicalPath: "C:\\WSUS\\WsusContent", auth: { anonymous: true } });
  });
});

describe("presets", () => {
  const cases = [
    ["configuration1", "kb920659", { configuration: 1, clientPort: 80, windowsAuthVdir: "WSUSAdmin", sites: 1, vdirs: [8] }],
    ["configuration1", "modern", { configuration: 1, clientPort: 80, windowsAuthVdir: "ApiRemoting30", sites: 1, vdirs: [9] }],
    ["configuration2", "kb920659", { configuration: 2, clientPort: 80, windowsAuthVdir: "WSUSAdmin", sites: 2, vdirs: [2, 8] }],
    ["configuration2", "modern", { configuration: 2, clientPort: 8530, windowsAuthVdir: "ApiRemoting30", sites: 1, vdirs: [9] }],
  ] as const;

  it.each(cases)("%s({ profile: %s }) is a valid spec for its layout", async (preset, profile, want) => {
    const spec = c.presets[preset]({ profile });
    expect(spec).toMatchObject({ configuration: want.configuration, profile });
    const layout = resolveLayout(parseSpec(spec));
    expect({ clientPort: layout.clientPort, windowsAuthVdir: layout.windowsAuthVdir, sites: layout.sites.length, vdirs: layout.sites.map((s) => s.vdirs.length) }).toEqual({
      clientPort: want.clientPort, windowsAuthVdir: want.windowsAuthVdir, sites: want.sites, vdirs: want.vdirs,
    });
    const l = new c.WsusIisLayout(`p-${preset}-${profile}`, { spec, target: "local" });
    await settle(l, ...l.sites, ...l.virtualDirectories);
    expect(l.virtualDirectories).toHaveLength(want.vdirs.reduce((a, b) => a + b, 0));
  });

  it("default profile is modern (every supported Windows Server); withOverrides merges nested objects one level deep", () => {
    expect(c.presets.configuration2()).toMatchObject({ profile: "modern", adminSite: { httpPort: 8530 } });
    expect(c.presets.configuration1({ profile: "auto" })).toMatchObject({ profile: "auto", configuration: 1 });
    expect(c.withOverrides(c.presets.configuration2(), { adminSite: { httpPort: 8080 }, computerName: "WSUS02" })).toEqual({
      ...c.presets.configuration2(),
      adminSite: { name: "WSUS Administration", httpPort: 8080, httpsPort: 8531 },
      computerName: "WSUS02",
    });
  });
});

// Issue 13: the rule groups pass through the layout's spec (and the presets and the stack's overrides).
describe("rule groups in the components", () => {
  it("a layout with rules [kb, health] is accepted: the same resource tree, the spec (with its rules) goes to WsusIisServer", async () => {
    const spec = { ...c.presets.configuration2(), rules: ["kb", "health"] as ("kb" | "health")[], health: { minQueueLength: 1000 } };
    const l = new c.WsusIisLayout("rg", { spec, target: "lab:./.lab/wsus02" });
    await settle(l, l.server, l.selfUpdateAcl, ...l.sites, ...l.virtualDirectories);
    const mine = under("rg");
    expect(mine).toHaveLength(1 + 1 + 9 + 1 + 1); // as without the health group: it adds no building block
    expect(mine.find((r) => r.type === T.server)!.inputs.spec).toEqual(spec);
    expect(mine.find((r) => r.type === T.layout)!.inputs.spec).toEqual(spec);
    expect(await valueOf(l.layout)).toMatchObject({ profile: "modern", configuration: 2 });
    expect(() => new c.WsusIisLayout("rg-health", { spec: { rules: ["health"] }, target: "local" })).not.toThrow();
  });

  it("bad rules or health values fail at construction, naming the field and value", () => {
    const bad = (name: string, spec: unknown) => () => new c.WsusIisLayout(name, { spec: spec as any, target: "local" });
    expect(bad("rg1", { rules: ["kb", "helth"] })).toThrow('spec.rules.1: expected kb or health, got "helth"');
    expect(bad("rg2", { rules: "kb,health" })).toThrow(/spec\.rules: .*expected array.*got "kb,health"/);
    expect(bad("rg3", { rules: [] })).toThrow(/spec\.rules: .*got \[\]/);
    expect(bad("rg4", { health: { minQueueLength: 5 } })).toThrow(/spec\.health\.minQueueLength: .*got 5/);
    expect(bad("rg5", { health: { minQueueLenght: 2000 } })).toThrow('spec.health: Unrecognized key: "minQueueLenght"');
  });

  it("presets take rules; without it they carry no rules field (the spec's default, kb)", () => {
    expect(c.presets.configuration2({ rules: ["kb", "health"] })).toEqual({ ...c.presets.configuration2(), rules: ["kb", "health"] });
    expect(c.presets.configuration1({ profile: "kb920659", rules: ["health"] })).toMatchObject({ configuration: 1, profile: "kb920659", rules: ["health"] });
    expect("rules" in c.presets.configuration1()).toBe(false);
    expect(parseSpec(c.presets.configuration2()).rules).toEqual(["kb"]);
    expect(parseSpec(c.presets.configuration2({ rules: ["kb", "health"] })).rules).toEqual(["kb", "health"]);
    // health merges one level deep like the other nested objects; rules (a list) replaces
    const base = { ...c.presets.configuration2({ rules: ["kb"] }), health: { minQueueLength: 1000, pingingEnabled: false } };
    expect(c.withOverrides(base, { rules: ["kb", "health"], health: { minQueueLength: 3000 } })).toMatchObject({ rules: ["kb", "health"], health: { minQueueLength: 3000, pingingEnabled: false } });
  });

  it("the stack's servers take rules through overrides; a bad one names its config path", () => {
    const servers = c.parseServersConfig([{ name: "wsus01", target: "local", configuration: 2, profile: "modern", overrides: { rules: ["kb", "health"] } }]);
    expect(c.specOf(servers[0])).toMatchObject({ configuration: 2, profile: "modern", rules: ["kb", "health"] });
    expect(() => c.parseServersConfig([{ name: "wsus01", target: "local", overrides: { rules: ["kb", "helth"] } }])).toThrow(
      'wsus-iis:servers[0].overrides.rules[1]: expected kb or health, got "helth"',
    );
  });
});
