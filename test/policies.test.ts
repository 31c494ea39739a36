// The policies called directly (notes §4a): one compliant and one violating declaration per policy,
// remediation, stack policies. The pack as the engine runs it is in policies-grpc.test.ts.
import { describe, expect, it } from "vitest";
import { presets } from "../components/presets";
import { RULES } from "../core/rules";
import * as P from "../policies/policies";
import { remediate, validateResource, validateStack, type DirectInput } from "./harness/policyDirect";

const { TYPES } = P;
const layout = (spec: unknown, name = "wsus01", target = "lab:./.lab/wsus01"): DirectInput => ({ type: TYPES.layout, name, props: { spec, target } });
const server = (spec: unknown, extra: Partial<DirectInput> = {}): DirectInput => ({ type: TYPES.server, name: "srv", props: { spec, target: "local", __provider: "exports.handler = () => ({})" }, ...extra });
const vdir = (props: Record<string, unknown>, config?: Record<string, unknown>): DirectInput => ({
  type: TYPES.vdir,
  name: `v-${String(props.name)}`,
  props: { site: "Default Web Site", kind: "vdir", physicalPath: "C:\\Program Files\\Update Services\\Selfupdate", ...props },
  config,
});
const site = (props: Record<string, unknown>): DirectInput => ({ type: TYPES.site, name: "s", props: { name: "Default Web Site", role: "default", ...props } });
const acl = (entries: { principal: string; rights: string }[], props: Record<string, unknown> = {}): DirectInput => ({
  type: TYPES.acl,
  name: "acl",
  props: { path: "C:\\Program Files\\Update Services\\Selfupdate", entries, ...props },
});
const FULL_ACL = [
  { principal: "BUILTIN\\Administrators", rights: "F" },
  { principal: "NT AUTHORITY\\SYSTEM", rights: "F" },
  { principal: "BUILTIN\\Users", rights: "RX" },
];

/** The KB's own layout, named: the product default is auto (a declaration resolves it to modern, Configuration 2). */
const KB1 = { profile: "kb920659", configuration: 1 } as const;

const ALL_PRESETS = [
  presets.configuration1({ profile: "kb920659" }),
  presets.configuration1(),
  presets.configuration2({ profile: "kb920659" }),
  presets.configuration2(),
  presets.configuration2({ profile: "auto" }),
];

describe("the pack covers the rule engine", () => {
  it("one resource policy per rule, named by the rule id, with the rule's title and KB cause", () => {
    expect(P.ruleIdsWithoutPolicy()).toEqual([]);
    expect(P.rulePolicies.map((p) => p.name)).toEqual(RULES.map((r) => r.id));
    expect(P.selfUpdateAnonymousPolicy).toMatchObject({ displayName: "SelfUpdate allows anonymous access", description: expect.stringContaining("(KB 920659 cause 4)") });
  });

  it("enforcement levels: mandatory for the KB causes and the layout errors, advisory for layout SSL", () => {
    const levels = Object.fromEntries(P.policies.map((p) => [p.name, p.enforcementLevel]));
    for (const r of RULES.filter((r) => r.cause !== null)) expect(levels[r.id]).toBe("mandatory");
    expect(levels).toMatchObject({ "layout-vdirs": "mandatory", "layout-windows-auth": "mandatory", "layout-anonymous": "mandatory", "layout-require-ssl": "advisory" });
    expect(levels).toMatchObject({ "wsus-spec-valid": "mandatory", "wsus-unique-targets": "mandatory", "wsus-no-drift": "mandatory" });
  });

  it("every preset (both configurations, both profiles) passes every resource policy, on a layout and on a standalone server", async () => {
    for (const spec of ALL_PRESETS) {
      for (const p of [...P.rulePolicies, P.specValidPolicy]) {
        expect((await validateResource(p, layout(spec))).violations, `${p.name} ${JSON.stringify(spec)}`).toEqual([]);
        expect((await validateResource(p, server(spec))).violations).toEqual([]);
      }
    }
  });
});

describe("resource policies on WsusIisLayout / WsusIisServer (the declared spec)", () => {
  it("selfupdate-vdir (cause 2): a vdir override that moves SelfUpdate away from the SelfUpdate folder", async () => {
    const r = await validateResource(P.selfUpdateVdirPolicy, layout({ ...KB1, vdirs: { SelfUpdate: { physicalPath: "D:\\Other" } } }));
    expect(r.violations).toEqual(["Default Web Site/SelfUpdate: SelfUpdate points to D:\\Other, expected C:\\Program Files\\Update Services\\Selfupdate"]);
    expect((await validateResource(P.selfUpdateVdirPolicy, layout({ vdirs: { SelfUpdate: { physicalPath: "C:\\Program Files\\Update Services\\Selfupdate" } } }))).violations).toEqual([]);
  });

  it("selfupdate-client-port (cause 3): SelfUpdate off the client port; the allowed client ports option", async () => {
    expect((await validateResource(P.selfUpdateClientPortPolicy, layout({ ...KB1, clientPort: 8530 }))).violations).toEqual([
      "Default Web Site/SelfUpdate: SelfUpdate is only on Default Web Site (http ports 80); no site holding it is bound to port 8530",
    ]);
    // Configuration 2 serves SelfUpdate on both sites: 8530 is fine.
    expect((await validateResource(P.selfUpdateClientPortPolicy, layout(presets.configuration2({ profile: "modern" })))).violations).toEqual([]);
    const on8080 = layout({ ...KB1, defaultSite: { httpPort: 8080 } });
    expect((await validateResource(P.selfUpdateClientPortPolicy, on8080)).violations).toEqual([
      "clients would use port 8080, which is not an allowed client port (80, 8530); SelfUpdate must be served on the client port",
    ]);
    expect((await validateResource(P.selfUpdateClientPortPolicy, { ...on8080, config: { allowedClientPorts: [80, 8080] } })).violations).toEqual([]);
  });

  // Issue 11, item 4: an anonymous WSUS vdir named as the Windows-auth vdir is no longer a spec at all.
  it("a spec naming SelfUpdate (or any anonymous WSUS vdir) as windowsAuthVdir is invalid: wsus-spec-valid names the field", async () => {
    for (const name of ["SelfUpdate", "ClientWebService", "content"]) {
      const bad = layout({ ...presets.configuration2({ profile: "kb920659" }), windowsAuthVdir: name });
      expect((await validateResource(P.specValidPolicy, bad)).violations).toEqual([
        expect.stringMatching(new RegExp(`^spec\\.windowsAuthVdir: ${name} is a WSUS client endpoint that must stay anonymous`)),
      ]);
      expect(await validateResource(P.selfUpdateAnonymousPolicy, bad)).toEqual({ violations: [], notApplicable: "the spec is invalid (see policy wsus-spec-valid)" });
    }
    // a custom console vdir is fine, and has nothing to remediate
    expect((await validateResource(P.specValidPolicy, layout({ windowsAuthVdir: "Console" }))).violations).toEqual([]);
    expect(await remediate(P.selfUpdateAnonymousPolicy, layout({ windowsAuthVdir: "Console" }))).toBeUndefined();
    expect(await remediate(P.selfUpdateAnonymousPolicy, layout(presets.configuration1()))).toBeUndefined();
  });

  it("default-site-loopback (cause 5): addresses without 127.0.0.1; remediation adds it", async () => {
    const bad = layout({ ...KB1, bindings: { mode: "addresses", addresses: ["10.0.0.5"] } });
    expect((await validateResource(P.defaultSiteLoopbackPolicy, bad)).violations).toEqual([
      expect.stringMatching(/^Default Web Site is bound .*only to specific addresses \(10\.0\.0\.5:80:\) without 127\.0\.0\.1$/),
      "Default Web Site: binding policy lists 10.0.0.5 without 127.0.0.1: the SelfUpdate tree would not answer locally",
    ]);
    const fixed = await remediate(P.defaultSiteLoopbackPolicy, bad);
    expect(fixed?.spec).toEqual({ ...KB1, bindings: { mode: "addresses", addresses: ["10.0.0.5", "127.0.0.1"] } });
    expect((await validateResource(P.defaultSiteLoopbackPolicy, { ...bad, props: fixed! })).violations).toEqual([]);
    expect((await validateResource(P.defaultSiteLoopbackPolicy, layout({ bindings: { mode: "allUnassigned" } }))).violations).toEqual([]);
    // auto (the default) declares a default WSUS 4+ install: the binding policy is the WSUS site's, on 8530
    expect((await validateResource(P.defaultSiteLoopbackPolicy, layout({ bindings: { mode: "addresses", addresses: ["10.0.0.5"] } }))).violations).toEqual([
      "WSUS Administration is bound on port 8530 only to specific addresses (10.0.0.5:8530:) without 127.0.0.1",
      "WSUS Administration: binding policy lists 10.0.0.5 without 127.0.0.1: the SelfUpdate tree would not answer locally",
    ]);
  });

  it("auto (the default): a declaration is judged as a default WSUS 4+ install and passes every policy", async () => {
    for (const p of [...P.rulePolicies, P.specValidPolicy]) {
      expect((await validateResource(p, layout({}))).violations, p.name).toEqual([]);
      expect((await validateResource(p, server({ profile: "auto", configuration: "auto" }))).violations, p.name).toEqual([]);
    }
    // the old port-80 demand of the KB is not made of a modern Configuration 2 declaration
    expect((await validateResource(P.layoutVdirsPolicy, layout({ profile: "modern", configuration: 2 }))).violations).toEqual([]);
  });

  it("sharepoint-exclusions (cause 7): SharePoint expected without the WSUS exclusions declared", async () => {
    const bad = layout({ sharePoint: { expected: "yes", excludedPaths: ["/selfupdate"] } });
    expect((await validateResource(P.sharePointExclusionsPolicy, bad)).violations).toEqual(["SharePoint is installed and does not exclude /clientwebservice"]);
    expect((await validateResource(P.sharePointExclusionsPolicy, layout({ sharePoint: { expected: "yes" } }))).violations).toEqual([]);
    // auto: only evidence can tell (unknown is not a violation of a declaration)
    expect((await validateResource(P.sharePointExclusionsPolicy, layout({ sharePoint: { expected: "auto", excludedPaths: ["/x"] } }))).violations).toEqual([]);
  });

  it("layout-vdirs: Configuration 2 with both sites under one name loses the WSUS site's vdirs", async () => {
    const r = await validateResource(P.layoutVdirsPolicy, layout({ profile: "kb920659", configuration: 2, adminSite: { name: "Default Web Site" } }));
    expect(r.violations).toHaveLength(6);
    // the message lacks the target, so the target leads
    expect(r.violations[0]).toBe("Default Web Site/Content: virtual directory /Content is missing on Default Web Site");
  });

  it("layout-windows-auth on a declaration: a custom console vdir as the Windows-auth vdir passes", async () => {
    expect((await validateResource(P.layoutWindowsAuthPolicy, layout({ windowsAuthVdir: "Console" }))).violations).toEqual([]);
    expect((await validateResource(P.layoutWindowsAuthPolicy, layout({ ...KB1 }))).violations).toEqual([]);
  });

  it("wsus-spec-valid names the bad field; the rule policies don't apply to an invalid spec", async () => {
    const bad = server({ adminSite: { httpPort: 70000 } });
    expect((await validateResource(P.specValidPolicy, bad)).violations).toEqual(["spec.adminSite.httpPort: expected 1..65535, got 70000"]);
    expect(await validateResource(P.selfUpdateAnonymousPolicy, bad)).toEqual({ violations: [], notApplicable: "the spec is invalid (see policy wsus-spec-valid)" });
  });

  it("a WsusIisServer under a layout (and the layout's children) are judged once, on the layout", async () => {
    const parent = "urn:pulumi:dev::wsus-iis::wsus-iis:index:WsusIisLayout::w";
    const noLoopback = { ...KB1, bindings: { mode: "addresses", addresses: ["10.0.0.5"] } };
    const inLayout = server(noLoopback, { urn: `urn:pulumi:dev::wsus-iis::wsus-iis:index:WsusIisLayout$${TYPES.server}::w-server`, parent });
    expect(await validateResource(P.defaultSiteLoopbackPolicy, inLayout)).toEqual({ violations: [], notApplicable: "judged on its WsusIisLayout (same spec)" });
    // ...but it is remediated: its inputs are what converges the server.
    expect((await remediate(P.defaultSiteLoopbackPolicy, inLayout))?.spec).toEqual({ ...KB1, bindings: { mode: "addresses", addresses: ["10.0.0.5", "127.0.0.1"] } });
    const child = { ...vdir({ name: "SelfUpdate", auth: { anonymous: false } }), parent: `urn:pulumi:dev::wsus-iis::wsus-iis:index:WsusIisLayout$${TYPES.site}::w-default` };
    expect((await validateResource(P.selfUpdateAnonymousPolicy, child)).notApplicable).toBe("part of a WsusIisLayout, which is judged as a whole");
    expect(await remediate(P.selfUpdateAnonymousPolicy, child)).toBeUndefined();
    // a standalone server is judged
    expect((await validateResource(P.defaultSiteLoopbackPolicy, server(noLoopback))).violations).toHaveLength(2);
  });

  it("other resource types are not applicable", async () => {
    expect(await validateResource(P.selfUpdateAclPolicy, { type: "aws:s3/bucket:Bucket", name: "b", props: {} })).toEqual({ violations: [], notApplicable: "not a wsus-iis resource" });
  });
});

describe("resource policies on the building blocks", () => {
  it("selfupdate-anonymous: a SelfUpdate/Selfupdate VirtualDirectory without anonymous access; remediation turns it on", async () => {
    for (const name of ["SelfUpdate", "Selfupdate"]) {
      const bad = vdir({ name, auth: { anonymous: false, windows: true } });
      expect((await validateResource(P.selfUpdateAnonymousPolicy, bad)).violations).toEqual([`anonymous authentication is off on Default Web Site/${name}`]);
      const fixed = await remediate(P.selfUpdateAnonymousPolicy, bad);
      expect(fixed).toEqual({ ...bad.props, auth: { anonymous: true, windows: true } });
      expect((await validateResource(P.selfUpdateAnonymousPolicy, { ...bad, props: fixed! })).violations).toEqual([]);
    }
    expect((await validateResource(P.selfUpdateAnonymousPolicy, vdir({ name: "SelfUpdate", auth: { anonymous: true } }))).violations).toEqual([]);
    // not declared: nothing to judge
    expect((await validateResource(P.selfUpdateAnonymousPolicy, vdir({ name: "SelfUpdate", auth: {} }))).violations).toEqual([]);
  });

  it("layout-windows-auth: the Windows-auth vdir with anonymous on or Windows off (profile inferred or configured)", async () => {
    const admin = vdir({ name: "WSUSAdmin", kind: "app", physicalPath: "C:\\Program Files\\Update Services\\Administration", auth: { anonymous: true, windows: true } });
    expect((await validateResource(P.layoutWindowsAuthPolicy, admin)).violations).toEqual([
      "anonymous authentication is on for Default Web Site/WSUSAdmin: the WSUS administration API must not be anonymous",
    ]);
    expect(await remediate(P.layoutWindowsAuthPolicy, admin)).toEqual({ ...admin.props, auth: { anonymous: false, windows: true } });
    const api = vdir({ name: "ApiRemoting30", kind: "app", physicalPath: "C:\\Program Files\\Update Services\\WebServices\\ApiRemoting30", auth: { anonymous: false, windows: false } });
    expect((await validateResource(P.layoutWindowsAuthPolicy, api)).violations).toEqual(["Windows authentication is off for Default Web Site/ApiRemoting30"]);
    // with profile kb920659 configured, ApiRemoting30 is an ordinary name
    expect((await validateResource(P.layoutWindowsAuthPolicy, { ...api, config: { profile: "kb920659" } })).violations).toEqual([]);
    // a custom console vdir named in the config
    const console_ = vdir({ name: "Console", kind: "app", physicalPath: "C:\\Console", auth: { anonymous: true } }, { windowsAuthVdir: "Console" });
    expect((await validateResource(P.layoutWindowsAuthPolicy, console_)).violations).toHaveLength(1);
    expect((await validateResource(P.layoutWindowsAuthPolicy, vdir({ name: "WSUSAdmin", auth: { anonymous: false, windows: true } }))).violations).toEqual([]);
  });

  it("layout-anonymous: a WSUS client vdir without anonymous access; other names are not judged", async () => {
    const cws = vdir({ name: "ClientWebService", kind: "app", physicalPath: "C:\\Program Files\\Update Services\\WebServices\\ClientWebService", auth: { anonymous: false } });
    expect((await validateResource(P.layoutAnonymousPolicy, cws)).violations).toEqual(["anonymous authentication is off on Default Web Site/ClientWebService"]);
    expect((await remediate(P.layoutAnonymousPolicy, cws))?.auth).toEqual({ anonymous: true });
    expect((await validateResource(P.layoutAnonymousPolicy, vdir({ name: "MyApp", auth: { anonymous: false } }))).violations).toEqual([]);
    expect(await remediate(P.layoutAnonymousPolicy, vdir({ name: "MyApp", auth: { anonymous: false } }))).toBeUndefined();
  });

  it("layout-require-ssl (advisory): judged when the config asks for the modern SSL split", async () => {
    const cws = vdir({ name: "ClientWebService", kind: "app", physicalPath: "C:\\x", auth: { anonymous: true }, requireSsl: false });
    expect((await validateResource(P.layoutRequireSslPolicy, cws)).violations).toEqual([]);
    expect((await validateResource(P.layoutRequireSslPolicy, { ...cws, config: { profile: "modern", ssl: true } })).violations).toEqual([
      "Require SSL is off for Default Web Site/ClientWebService, expected on",
    ]);
  });

  it("selfupdate-acl (cause 1): a SelfUpdate DirectoryAcl below the KB minimum", async () => {
    expect((await validateResource(P.selfUpdateAclPolicy, acl(FULL_ACL))).violations).toEqual([]);
    expect((await validateResource(P.selfUpdateAclPolicy, acl(FULL_ACL.slice(0, 2)))).violations).toEqual([
      "C:\\Program Files\\Update Services\\Selfupdate: BUILTIN\\Users lacks Read & Execute, Read, List Folder Contents on the folder and its contents",
      // and so IIS's anonymous user (IUSR, in Users through Authenticated Users) cannot read it
      "NT AUTHORITY\\IUSR, IIS's anonymous user, cannot read C:\\Program Files\\Update Services\\Selfupdate: IIS answers 401.3",
    ]);
    expect((await validateResource(P.selfUpdateAclPolicy, acl([{ principal: "Users", rights: "F" }, ...FULL_ACL.slice(0, 2)]))).violations).toEqual([]);
    // another folder: only with purpose selfupdate
    expect((await validateResource(P.selfUpdateAclPolicy, acl([], { path: "D:\\Data" }))).notApplicable).toBe("not the SelfUpdate folder (purpose selfupdate)");
    expect((await validateResource(P.selfUpdateAclPolicy, acl([], { path: "D:\\Mirror\\SU", purpose: "selfupdate" }))).violations).toEqual([
      expect.stringContaining("Administrators lacks"),
      expect.stringContaining("SYSTEM lacks"),
      expect.stringContaining("Users lacks"),
      expect.stringContaining("cannot read D:\\Mirror\\SU"),
    ]);
  });

  it("default-site-loopback / default-site-anonymous: an IisSite in the default role", async () => {
    const bound = site({ bindings: [{ protocol: "http", ip: "10.0.0.5", port: 80, host: "" }], anonymous: false });
    expect((await validateResource(P.defaultSiteLoopbackPolicy, bound)).violations).toEqual([
      expect.stringMatching(/^Default Web Site is bound .*only to specific addresses \(10\.0\.0\.5:80:\) without 127\.0\.0\.1$/),
    ]);
    expect((await validateResource(P.defaultSiteAnonymousPolicy, bound)).violations).toEqual(["anonymous authentication is off on Default Web Site"]);
    const ok = site({ bindings: [{ protocol: "http", ip: "10.0.0.5", port: 80, host: "" }, { protocol: "http", ip: "127.0.0.1", port: 80, host: "" }], anonymous: true });
    expect((await validateResource(P.defaultSiteLoopbackPolicy, ok)).violations).toEqual([]);
    expect((await validateResource(P.defaultSiteAnonymousPolicy, ok)).violations).toEqual([]);
    expect((await validateResource(P.defaultSiteLoopbackPolicy, site({ name: "Intranet", role: "other", bindings: [{ ip: "10.0.0.5", port: 80 }] }))).notApplicable).toBe(
      "not the Default Web Site (role default)",
    );
  });

  it("rules that need a whole spec don't apply to building blocks", async () => {
    expect((await validateResource(P.sharePointExclusionsPolicy, vdir({ name: "SelfUpdate", auth: {} }))).notApplicable).toBe(
      "sharepoint-exclusions does not apply to wsus-iis:index:VirtualDirectory on its own",
    );
  });
});

// Issue 13: the health group. Its rules judge servers (their state), never a declaration; what a declaration
// carries is the thresholds its converge would set, judged against the policy's own (KB 4490414's by default).
describe("the health group's policies", () => {
  const HEALTH_IDS = RULES.filter((r) => r.group === "health").map((r) => r.id);
  const byName = (name: string) => P.policies.find((p) => p.name === name)! as (typeof P.rulePolicies)[number];
  const healthy = (extra: Record<string, unknown> = {}) => layout({ ...presets.configuration2(), rules: ["kb", "health"], ...extra });

  it("one advisory policy per health rule, named by its id, with its article and the wsus-health tag", () => {
    expect(HEALTH_IDS).toHaveLength(10);
    expect(P.healthPolicies.map((p) => p.name)).toEqual(HEALTH_IDS);
    for (const id of HEALTH_IDS) {
      const p = byName(id);
      const rule = RULES.find((r) => r.id === id)!;
      expect(p, id).toMatchObject({ enforcementLevel: "advisory", displayName: rule.title, url: rule.helpUri, tags: ["wsus", "iis", "wsus-health"] });
      expect(p.description, id).toContain("opt-in with spec rules: [kb, health]");
    }
    expect(byName("wsuspool-private-memory").severity).toBe("medium");
    expect(byName("wsus-dynamic-compression").severity).toBe("low");
    // the KB policies keep KB 920659's page
    expect(P.selfUpdateAclPolicy.url).toBe(P.KB_URL);
    const schema = (id: string) => Object.keys(byName(id).configSchema?.properties ?? {});
    expect(Object.fromEntries(HEALTH_IDS.map((id) => [id, schema(id)]))).toEqual({
      "wsuspool-queue-length": ["minQueueLength"],
      "wsuspool-private-memory": ["privateMemoryKb"],
      "wsuspool-virtual-memory": ["virtualMemoryKb"],
      "wsuspool-periodic-restart": ["periodicRestartMinutes"],
      "wsuspool-idle-timeout": ["idleTimeoutMinutes"],
      "wsuspool-ping": ["allowPinging"],
      "wsus-impersonation-off": [],
      "wsus-dynamic-compression": ["requireCompression"],
      "wsus-site-started": [],
      "wsuspool-started": [],
    });
    expect(byName("wsuspool-queue-length").configSchema!.properties!.minQueueLength).toMatchObject({ type: "integer", default: 2000 });
  });

  it("a spec without the health group: not applicable, saying why; every preset with it passes every policy", async () => {
    for (const id of HEALTH_IDS) {
      expect(await validateResource(byName(id), layout(presets.configuration2())), id).toEqual({ violations: [], notApplicable: "the spec does not ask for the health rules (rules: [kb])" });
    }
    for (const spec of ALL_PRESETS) {
      for (const p of [...P.rulePolicies, P.specValidPolicy]) {
        expect((await validateResource(p, layout({ ...spec, rules: ["kb", "health"] }))).violations, `${p.name} ${JSON.stringify(spec)}`).toEqual([]);
        expect((await validateResource(p, server({ ...spec, rules: ["health"] }))).violations, p.name).toEqual([]);
      }
    }
    // building blocks carry no pool: not applicable
    expect((await validateResource(P.wsusPoolStartedPolicy, vdir({ name: "SelfUpdate", auth: {} }))).notApplicable).toBe("wsuspool-started does not apply to wsus-iis:index:VirtualDirectory on its own");
  });

  it("wsuspool-queue-length: a declared minimum below the policy's (2000 by default); minQueueLength option for hardening baselines", async () => {
    const stig = healthy({ health: { minQueueLength: 1000 } });
    expect((await validateResource(P.wsusPoolQueueLengthPolicy, stig)).violations).toEqual([
      "spec.health.minQueueLength is 1000: the WSUS application pool would queue fewer than the 2000 requests this policy asks for, and scan storms get 503 (KB 4490414)",
    ]);
    expect((await validateResource(P.wsusPoolQueueLengthPolicy, { ...stig, config: { minQueueLength: 1000 } })).violations).toEqual([]);
    expect((await validateResource(P.wsusPoolQueueLengthPolicy, healthy({ health: { minQueueLength: 5000 } }))).violations).toEqual([]);
  });

  it("memory limits, periodic restart and idle time-out: 0 (KB 4490414) passes; a declared value passes only when the policy accepts that much", async () => {
    const cases = [
      [P.wsusPoolPrivateMemoryPolicy, "privateMemoryKb", 1843200, "a private-memory limit of 1843200 KB", "KB"],
      [P.wsusPoolVirtualMemoryPolicy, "virtualMemoryKb", 4000000, "a virtual-memory limit of 4000000 KB", "KB"],
      [P.wsusPoolPeriodicRestartPolicy, "periodicRestartMinutes", 1740, "a periodic restart of 1740 minutes", "minutes"],
      [P.wsusPoolIdleTimeoutPolicy, "idleTimeoutMinutes", 20, "an idle time-out of 20 minutes", "minutes"],
    ] as const;
    for (const [policy, field, value, what, unit] of cases) {
      const declared = healthy({ health: { [field]: value } });
      expect((await validateResource(policy, declared)).violations, field).toEqual([`spec.health.${field} is ${value}: the WSUS application pool would keep ${what}; this policy accepts only 0 (KB 4490414)`]);
      expect((await validateResource(policy, { ...declared, config: { [field]: value } })).violations, field).toEqual([]);
      expect((await validateResource(policy, { ...declared, config: { [field]: value + 1 } })).violations, field).toEqual([
        `spec.health.${field} is ${value}: the WSUS application pool would keep ${what}; this policy accepts 0 or at least ${value + 1} ${unit} (KB 4490414)`,
      ]);
      expect((await validateResource(policy, { ...healthy(), config: { [field]: value + 1 } })).violations, field).toEqual([]);
    }
  });

  it("wsuspool-ping and wsus-dynamic-compression: their options", async () => {
    const ping = healthy({ health: { pingingEnabled: true } });
    expect((await validateResource(P.wsusPoolPingPolicy, ping)).violations).toEqual([
      "spec.health.pingingEnabled is true: WAS would keep pinging the WSUS worker process, and kill one busy building the metadata cache (KB 4490414)",
    ]);
    expect((await validateResource(P.wsusPoolPingPolicy, { ...ping, config: { allowPinging: true } })).violations).toEqual([]);
    const noCompression = healthy({ health: { compression: false } });
    // KB 4490414 calls compression optional: off is accepted unless the policy asks for it
    expect((await validateResource(P.wsusDynamicCompressionPolicy, noCompression)).violations).toEqual([]);
    expect((await validateResource(P.wsusDynamicCompressionPolicy, { ...noCompression, config: { requireCompression: true } })).violations).toEqual([
      expect.stringMatching(/^spec\.health\.compression is false: WSUS's dynamic compression \(xpress, suscomp\.dll\) would not be checked/),
    ]);
  });

  it("impersonation and runtime state: nothing a declaration can get wrong (the rules judge servers)", async () => {
    for (const p of [P.wsusImpersonationOffPolicy, P.wsusSiteStartedPolicy, P.wsusPoolStartedPolicy]) {
      expect(await validateResource(p, healthy({ health: { appPool: "OtherPool" } })), p.name).toEqual({ violations: [] });
    }
  });

  it("a spec cannot switch the mandatory KB policies off by leaving the kb group out of its rules", async () => {
    const bad = layout({ ...KB1, rules: ["health"], bindings: { mode: "addresses", addresses: ["10.0.0.5"] } });
    expect((await validateResource(P.defaultSiteLoopbackPolicy, bad)).violations).toHaveLength(2);
    expect((await validateResource(P.selfUpdateClientPortPolicy, layout({ ...KB1, rules: ["health"], defaultSite: { httpPort: 8080 } }))).violations).toHaveLength(1);
  });

  it("wsus-spec-valid names a bad rules value", async () => {
    expect((await validateResource(P.specValidPolicy, layout({ rules: ["kb", "helth"] }))).violations).toEqual(['spec.rules.1: expected kb or health, got "helth"']);
    expect((await validateResource(P.specValidPolicy, layout({ health: { minQueueLength: 5 } }))).violations).toEqual([expect.stringMatching(/^spec\.health\.minQueueLength: .*got 5$/)]);
  });

  it("wsus-no-drift reports a server's health findings with the others", async () => {
    const srv: DirectInput = {
      type: TYPES.server,
      name: "wsus01-server",
      props: { target: "lab:./.lab/wsus01", compliant: false, findings: [{ rule: "wsuspool-started", cause: null, severity: "error", status: "fail", target: "WsusPool", message: "WsusPool is Stopped", remediation: "" }] },
    };
    expect((await validateStack(P.noDriftPolicy, [srv]))[0].message).toBe("lab:./.lab/wsus01: 1 open finding\n  [wsuspool-started] WsusPool: WsusPool is Stopped");
    expect(await validateStack(P.noDriftPolicy, [srv], { ignoreRules: ["wsuspool-started"] })).toEqual([]);
    expect(P.noDriftPolicy.description).toContain("health rules when the server's spec asks for them");
  });
});

describe("stack policies", () => {
  const L = (name: string, target: string): DirectInput => ({ type: TYPES.layout, name, props: { spec: {}, target } });

  it("serverKey normalises targets", () => {
    expect(P.serverKey("lab:./.lab/wsus01/")).toBe("lab:.lab/wsus01");
    expect(P.serverKey("lab:.lab//wsus01")).toBe("lab:.lab/wsus01");
    expect(P.serverKey("ssh://admin@WSUS01.corp:22")).toBe("ssh://wsus01.corp");
    expect(P.serverKey("ssh://other@wsus01.corp")).toBe("ssh://wsus01.corp");
    expect(P.serverKey("ssh://wsus01.corp:2222")).toBe("ssh://wsus01.corp:2222");
    expect(P.serverKey("local")).toBe("local");
  });

  it("wsus-unique-targets: two layouts on one server (however the target is written)", async () => {
    expect(await validateStack(P.uniqueTargetsPolicy, [L("a", "lab:./.lab/wsus01"), L("b", "lab:./.lab/wsus02")])).toEqual([]);
    expect(await validateStack(P.uniqueTargetsPolicy, [L("a", "lab:./.lab/wsus01"), L("b", "lab:.lab/wsus01/")])).toEqual([
      { message: 'b and a both target lab:.lab/wsus01 ("lab:./.lab/wsus01" and "lab:.lab/wsus01/")', urn: "urn:pulumi:dev::wsus-iis::wsus-iis:index:WsusIisLayout::b" },
    ]);
    expect(await validateStack(P.uniqueTargetsPolicy, [L("a", "ssh://admin@WSUS01"), L("b", "ssh://ops@wsus01:22")])).toHaveLength(1);
    // A layout and its own server share the target: that is one declaration, not two.
    const layoutUrn = "urn:pulumi:dev::wsus-iis::wsus-iis:index:WsusIisLayout::a";
    expect(
      await validateStack(P.uniqueTargetsPolicy, [
        L("a", "local"),
        { type: TYPES.server, name: "a-server", urn: `urn:pulumi:dev::wsus-iis::wsus-iis:index:WsusIisLayout$${TYPES.server}::a-server`, parent: layoutUrn, props: { spec: {}, target: "local" } },
      ]),
    ).toEqual([]);
    // Servers whose outputs lack the target fall back to their layout's.
    const servers = ["a", "b"].map((n) => ({ type: TYPES.server, name: `${n}-server`, urn: `urn:pulumi:dev::wsus-iis::x$${TYPES.server}::${n}-server`, parent: `urn:pulumi:dev::wsus-iis::wsus-iis:index:WsusIisLayout::${n}`, props: {} }));
    expect(await validateStack(P.uniqueTargetsPolicy, [{ ...L("a", "local"), props: { target: "local" } }, { ...L("b", "local"), props: { target: "local" } }, ...servers])).toHaveLength(2);
  });

  it("wsus-no-drift: open fail findings on a server's findings output; ignoreRules; failOnUnknown", async () => {
    const finding = (rule: string, status: "fail" | "unknown", cause: number | null = null) => ({ rule, cause, severity: "error", status, target: "Default Web Site/SelfUpdate", message: `${rule} broken`, remediation: "" });
    const srv = (findings: unknown): DirectInput => ({ type: TYPES.server, name: "wsus01-server", props: { target: "lab:./.lab/wsus01", compliant: false, findings } });
    expect(await validateStack(P.noDriftPolicy, [srv([])])).toEqual([]);
    expect(await validateStack(P.noDriftPolicy, [srv(undefined)])).toEqual([]); // not converged yet
    const drifted = srv([finding("selfupdate-anonymous", "fail", 4), finding("sharepoint-exclusions", "unknown", 7)]);
    expect(await validateStack(P.noDriftPolicy, [drifted])).toEqual([
      {
        message: "lab:./.lab/wsus01: 1 open finding\n  [selfupdate-anonymous cause 4] Default Web Site/SelfUpdate: selfupdate-anonymous broken",
        urn: "urn:pulumi:dev::wsus-iis::pulumi-nodejs:dynamic/wsus-iis:WsusIisServer::wsus01-server",
      },
    ]);
    expect(await validateStack(P.noDriftPolicy, [drifted], { ignoreRules: ["selfupdate-anonymous"] })).toEqual([]);
    expect((await validateStack(P.noDriftPolicy, [drifted], { failOnUnknown: true }))[0].message).toMatch(/^lab:.\/.lab\/wsus01: 2 open findings\n/);
  });
});
