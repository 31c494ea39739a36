// The real policy pack (policies/) run as the engine runs it: @pulumi/pulumi's run-policy-pack (ts-node with
// type-check, CommonJS) in the pack directory, driven over the Analyzer gRPC service (notes §4b), and fed
// with the resources the stack program registers under mocks (§4c) — an approximation of
// `pulumi preview/up --policy-pack policies`: Analyze per registered resource, AnalyzeStack on outputs.
import * as pulumi from "@pulumi/pulumi";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deployStack } from "../components/stack";
import { AnalyzerHarness, SECRET_SIG, SIG_KEY, UNKNOWN, type Diagnostic, type TestResource } from "./harness/analyzer";
import { defaultNewResource, setRecordingMocks, stubSerializeFunction, valueOf, type Registered } from "./harness/policyRecording";

const packDir = path.join(__dirname, "..", "policies");
const T = {
  layout: "wsus-iis:index:WsusIisLayout",
  vdir: "wsus-iis:index:VirtualDirectory",
  server: "pulumi-nodejs:dynamic/wsus-iis:WsusIisServer",
};

let records: Registered[];
const states = new Map<string, Record<string, unknown>>(); // mock state (outputs) of custom resources by URN name
const drifted = new Set<string>();
let analyzer: AnalyzerHarness;

beforeAll(async () => {
  stubSerializeFunction();
  records = await setRecordingMocks(
    {
      newResource: (a) => {
        const r = defaultNewResource(a);
        if (a.type === T.server && drifted.has(a.name)) {
          r.state = {
            ...r.state,
            compliant: false,
            findings: [{ rule: "selfupdate-acl", cause: 1, severity: "error", status: "fail", target: "C:\\Program Files\\Update Services\\Selfupdate", message: "BUILTIN\\Users lacks Read & Execute", remediation: "" }],
          };
        }
        states.set(a.name, r.state);
        return r;
      },
    },
    "wsus-iis",
    "lab",
  );
  analyzer = await AnalyzerHarness.start(packDir);
}, 120_000);

afterAll(async () => {
  await analyzer?.close();
});

/** Run the stack program's logic under mocks with a servers config; the resources it registered. */
async function program(servers: unknown[]): Promise<Registered[]> {
  pulumi.runtime.setAllConfig({ "wsus-iis:servers": JSON.stringify(servers) }, ["wsus-iis:servers"]);
  const from = records.length;
  const out = deployStack();
  await valueOf(out.compliant);
  await new Promise((r) => setTimeout(r, 50)); // registerOutputs of the last components
  return records.slice(from);
}

/** What the engine sends to Analyze: the resource's inputs as registered. */
const asAnalyzed = (r: Registered): TestResource => ({ type: r.type, name: r.name, urn: r.urn, parent: r.parent, props: r.wire });
/** What the engine sends to AnalyzeStack: final outputs (provider state; a component's registered outputs). */
const asStack = (r: Registered): TestResource => ({ type: r.type, name: r.name, urn: r.urn, parent: r.parent, props: r.custom ? (states.get(r.name) ?? {}) : (r.outputs ?? {}) });

async function analyzeAll(resources: Registered[]): Promise<Diagnostic[]> {
  const results = await Promise.all(resources.map((r) => analyzer.analyze(asAnalyzed(r))));
  return results.flatMap((x) => x.diagnostics);
}

const LAB = [
  { name: "wsus01", target: "lab:./.lab/wsus01", configuration: 1, profile: "kb920659", overrides: { sharePoint: { expected: "no" } } },
  { name: "wsus02", target: "lab:./.lab/wsus02", configuration: 2, profile: "modern", overrides: { sharePoint: { expected: "no" } } },
];

describe("policy pack over gRPC (real run-policy-pack)", () => {
  it("GetAnalyzerInfo: the pack, one policy per rule (both groups) plus three, enforcement levels and config schemas", async () => {
    const info = await analyzer.getAnalyzerInfo();
    expect(info).toMatchObject({ name: "wsus-iis", version: "0.1.0", supportsConfig: true });
    const by = Object.fromEntries(info.policies.map((p: { name: string }) => [p.name, p]));
    const health = [
      "wsuspool-queue-length", "wsuspool-private-memory", "wsuspool-virtual-memory", "wsuspool-periodic-restart", "wsuspool-idle-timeout", "wsuspool-ping",
      "wsus-impersonation-off", "wsus-dynamic-compression", "wsus-site-started", "wsuspool-started",
    ];
    expect(Object.keys(by)).toEqual([
      "selfupdate-acl", "selfupdate-vdir", "selfupdate-client-port", "selfupdate-anonymous", "default-site-loopback", "default-site-anonymous",
      "sharepoint-exclusions", "selfupdate-files", "layout-vdirs", "layout-windows-auth", "layout-anonymous", "layout-require-ssl",
      "profile-fits-server", ...health, "wsus-spec-valid", "wsus-unique-targets", "wsus-no-drift",
    ]);
    // the health group (issue 13): advisory, thresholds as options (KB 4490414's values by default)
    for (const n of health) expect(by[n], n).toMatchObject({ enforcementLevel: "advisory", type: "resource" });
    expect(by["wsuspool-queue-length"].configSchema).toEqual({ minQueueLength: expect.objectContaining({ type: "integer", minimum: 10, maximum: 65535, default: 2000 }) });
    expect(by["wsuspool-private-memory"].configSchema).toEqual({ privateMemoryKb: expect.objectContaining({ type: "integer", default: 0 }) });
    expect(by["wsuspool-ping"].configSchema).toEqual({ allowPinging: expect.objectContaining({ type: "boolean", default: false }) });
    expect(by["wsuspool-started"].configSchema).toBeUndefined();
    for (const n of ["selfupdate-acl", "selfupdate-vdir", "selfupdate-client-port", "selfupdate-anonymous", "default-site-loopback", "default-site-anonymous", "sharepoint-exclusions", "selfupdate-files"]) {
      expect(by[n]).toMatchObject({ enforcementLevel: "mandatory", type: "resource", displayName: expect.any(String) });
    }
    expect(by["layout-require-ssl"].enforcementLevel).toBe("advisory");
    expect(by["profile-fits-server"].enforcementLevel).toBe("advisory");
    expect(by["wsus-unique-targets"]).toMatchObject({ type: "stack", enforcementLevel: "mandatory" });
    expect(by["wsus-no-drift"]).toMatchObject({ type: "stack", configSchema: { ignoreRules: { type: "array", default: [] }, failOnUnknown: { type: "boolean", default: false } } });
    expect(by["selfupdate-client-port"].configSchema).toEqual({
      allowedClientPorts: expect.objectContaining({ type: "array", items: { type: "integer", minimum: 1, maximum: 65535 }, default: [80, 8530] }),
    });
    // building-block options on the policies that judge building blocks
    expect(Object.keys(by["selfupdate-anonymous"].configSchema).sort()).toEqual(["profile", "windowsAuthVdir"]);
    expect(Object.keys(by["layout-require-ssl"].configSchema).sort()).toEqual(["profile", "ssl", "windowsAuthVdir"]);
    expect(by["selfupdate-vdir"].configSchema).toBeUndefined();
  });

  it("compliant stack (Pulumi.lab.yaml's servers): no diagnostic on any registered resource, none on the stack", async () => {
    const resources = await program(LAB);
    expect(resources.filter((r) => r.type === T.layout)).toHaveLength(2);
    // layouts, ACLs, servers; wsus01 (kb920659, Configuration 1): 1 site, 8 vdirs; wsus02 (modern, Configuration 2): 1 site, 9 vdirs
    expect(resources.length).toBe(2 * 3 + 1 + 8 + 1 + 9);
    expect(await analyzeAll(resources)).toEqual([]);
    expect((await analyzer.analyzeStack(resources.map(asStack))).diagnostics).toEqual([]);
  });

  it("non-compliant stack: mandatory violations on the layouts (once each), and on the stack", async () => {
    drifted.add("wsus02-server");
    const resources = await program([
      ...LAB,
      // Same server as wsus01, bound to one address without 127.0.0.1.
      { name: "wsus03", target: "lab:.lab/wsus01/", overrides: { bindings: { mode: "addresses", addresses: ["10.0.0.5"] } } },
    ]);
    const diags = await analyzeAll(resources);
    // Only the wsus03 layout has diagnostics (Analyze leaves the URN to the engine: it is the analysed resource).
    const perResource = await Promise.all(resources.map(async (r) => [r.name, (await analyzer.analyze(asAnalyzed(r))).diagnostics.length] as const));
    expect(perResource.filter(([, n]) => n > 0)).toEqual([["wsus03", 2]]);
    expect(diags.map((d) => [d.policyName, d.enforcementLevel])).toEqual([
      ["default-site-loopback", "mandatory"],
      ["default-site-loopback", "mandatory"],
    ]);
    // (auto declares a default WSUS 4+ install: the binding policy is the WSUS site's, on 8530)
    expect(diags[0].message).toMatch(/\nWSUS Administration is bound on port 8530 only to specific addresses \(10\.0\.0\.5:8530:\) without 127\.0\.0\.1$/);
    // The server and the building blocks under the layout are judged through the layout.
    const server = resources.find((r) => r.name === "wsus03-server")!;
    expect((await analyzer.analyze(asAnalyzed(server))).notApplicable).toContainEqual({ policyName: "default-site-loopback", reason: "judged on its WsusIisLayout (same spec)" });
    const su = resources.find((r) => r.type === T.vdir && String(r.inputs.name).toLowerCase() === "selfupdate" && r.name.startsWith("wsus03"))!;
    expect((await analyzer.analyze(asAnalyzed(su))).notApplicable).toContainEqual({ policyName: "selfupdate-anonymous", reason: "part of a WsusIisLayout, which is judged as a whole" });

    const stack = await analyzer.analyzeStack(resources.map(asStack));
    expect(stack.diagnostics.map((d) => [d.policyName, d.enforcementLevel])).toEqual([
      ["wsus-unique-targets", "mandatory"],
      ["wsus-unique-targets", "mandatory"],
      ["wsus-no-drift", "mandatory"],
    ]);
    // (which of the two is named first follows the order the engine registered them in)
    expect(stack.diagnostics[0].message).toMatch(/(wsus03 and wsus01|wsus01 and wsus03) both target lab:\.lab\/wsus01 \("lab:(\.\/\.lab\/wsus01|\.lab\/wsus01\/)" and "lab:(\.lab\/wsus01\/|\.\/\.lab\/wsus01)"\)/);
    expect(stack.diagnostics[2]).toMatchObject({
      urn: "urn:pulumi:lab::wsus-iis::wsus-iis:index:WsusIisLayout$pulumi-nodejs:dynamic/wsus-iis:WsusIisServer::wsus02-server",
      message: expect.stringContaining("lab:./.lab/wsus02: 1 open finding\n  [selfupdate-acl cause 1]"),
    });
    drifted.delete("wsus02-server");
  });

  it("enforcement levels from config: advisory, disabled, remediate (reported as mandatory at Analyze)", async () => {
    const resources = await program([{ name: "lvl", target: "local", overrides: { bindings: { mode: "addresses", addresses: ["10.0.0.5"] } } }]);
    const lvlLayout = resources.find((r) => r.type === T.layout)!;
    const levelOf = async () => [...new Set((await analyzer.analyze(asAnalyzed(lvlLayout))).diagnostics.map((d) => `${d.policyName}:${d.enforcementLevel}`))];

    expect(await levelOf()).toEqual(["default-site-loopback:mandatory"]);
    await analyzer.configure({ "default-site-loopback": { enforcementLevel: "advisory" } });
    expect(await levelOf()).toEqual(["default-site-loopback:advisory"]);
    await analyzer.configure({ "default-site-loopback": { enforcementLevel: "disabled" } });
    expect(await levelOf()).toEqual([]);
    await analyzer.configure({ "default-site-loopback": { enforcementLevel: "remediate" } });
    expect(await levelOf()).toEqual(["default-site-loopback:mandatory"]);
    await analyzer.configure({});
  });

  it("Remediate: the server's spec gets 127.0.0.1 added to its binding addresses; __provider and secret credentials are kept", async () => {
    await program([{ name: "rem", target: "ssh://admin@wsus-rem", credentials: { sshIdentity: "/keys/rem" }, overrides: { bindings: { mode: "addresses", addresses: ["10.0.0.5"] } } }]);
    const server = records.find((r) => r.name === "rem-server")!;
    // Only policies at level `remediate` run.
    expect((await analyzer.remediate(asAnalyzed(server))).remediations).toEqual([]);
    await analyzer.configure({ "default-site-loopback": { enforcementLevel: "remediate" } });
    const { remediations } = await analyzer.remediate(asAnalyzed(server));
    expect(remediations).toHaveLength(1);
    expect(remediations[0].policyName).toBe("default-site-loopback");
    const props = remediations[0].properties!;
    // a stack entry without configuration and profile: both auto (read from the server before a repair)
    expect(props.spec).toEqual({ configuration: "auto", profile: "auto", bindings: { mode: "addresses", addresses: ["10.0.0.5", "127.0.0.1"] } });
    expect(props.__provider).toBe(server.wire.__provider);
    expect(props.credentials).toEqual({ [SIG_KEY]: SECRET_SIG, value: { sshIdentity: "/keys/rem" } });
    // The remediated inputs pass (on the layout, which carries the same spec).
    const layout = records.find((r) => r.name === "rem" && r.type === T.layout)!;
    expect((await analyzer.analyze({ ...asAnalyzed(layout), props: { ...layout.wire, spec: props.spec } })).diagnostics).toEqual([]);
    await analyzer.configure({});
  });

  it("building blocks on their own: violations, remediation, the advisory SSL policy with options", async () => {
    const su: TestResource = { type: T.vdir, name: "su", props: { site: "Default Web Site", name: "Selfupdate", kind: "vdir", physicalPath: "C:\\Program Files\\Update Services\\Selfupdate", auth: { anonymous: false } } };
    expect((await analyzer.analyze(su)).diagnostics.map((d) => [d.policyName, d.enforcementLevel])).toEqual([["selfupdate-anonymous", "mandatory"]]);
    await analyzer.configure({ "selfupdate-anonymous": { enforcementLevel: "remediate" }, "layout-require-ssl": { profile: "modern", ssl: true } });
    expect((await analyzer.remediate(su)).remediations).toEqual([{ policyName: "selfupdate-anonymous", properties: { ...su.props, auth: { anonymous: true } }, diagnostic: "" }]);
    const cws: TestResource = { type: T.vdir, name: "cws", props: { site: "Default Web Site", name: "ClientWebService", kind: "app", physicalPath: "C:\\x", auth: { anonymous: true }, requireSsl: false } };
    expect((await analyzer.analyze(cws)).diagnostics).toEqual([
      expect.objectContaining({ policyName: "layout-require-ssl", enforcementLevel: "advisory", message: expect.stringContaining("Require SSL is off for Default Web Site/ClientWebService, expected on") }),
    ]);
    await analyzer.configure({});
  });

  it("policy options through Configure: allowed client ports", async () => {
    const l: TestResource = { type: T.layout, name: "p8080", props: { spec: { configuration: 1, profile: "kb920659", defaultSite: { httpPort: 8080 } }, target: "local" } };
    expect((await analyzer.analyze(l)).diagnostics.map((d) => d.policyName)).toEqual(["selfupdate-client-port"]);
    await analyzer.configure({ "selfupdate-client-port": { allowedClientPorts: [80, 8080] } });
    expect((await analyzer.analyze(l)).diagnostics).toEqual([]);
    await analyzer.configure({});
  });

  it("the health group: a layout opting in with a laxer threshold gets an advisory diagnostic; the policy's option accepts it", async () => {
    const l: TestResource = { type: T.layout, name: "stig", props: { spec: { rules: ["kb", "health"], health: { minQueueLength: 1000 } }, target: "local" } };
    expect((await analyzer.analyze(l)).diagnostics.map((d) => [d.policyName, d.enforcementLevel])).toEqual([["wsuspool-queue-length", "advisory"]]);
    await analyzer.configure({ "wsuspool-queue-length": { minQueueLength: 1000 } });
    expect((await analyzer.analyze(l)).diagnostics).toEqual([]);
    await analyzer.configure({});
    // without the health group: not applicable, never a diagnostic
    const plain = await analyzer.analyze({ ...l, props: { spec: {}, target: "local" } });
    expect(plain.diagnostics).toEqual([]);
    expect(plain.notApplicable).toContainEqual({ policyName: "wsuspool-queue-length", reason: "the spec does not ask for the health rules (rules: [kb])" });
  });

  it("preview: an unknown spec value turns the policies into advisory can't-run diagnostics (never a false pass or block)", async () => {
    const r = await analyzer.analyze({ type: T.layout, name: "unk", props: { spec: { windowsAuthVdir: UNKNOWN }, target: "local" } });
    expect(r.diagnostics.length).toBeGreaterThan(0);
    for (const d of r.diagnostics) {
      expect(d.enforcementLevel).toBe("advisory");
      expect(d.message).toMatch(/can't run policy '[a-z-]+' .* during preview/);
    }
  });

  it("an invalid spec on a standalone WsusIisServer: one mandatory violation naming the field", async () => {
    const r = await analyzer.analyze({ type: T.server, name: "bad", props: { spec: { adminSite: { httpPort: 70000 } }, target: "local" } });
    expect(r.diagnostics.map((d) => [d.policyName, d.enforcementLevel, d.message.split("\n")[1]])).toEqual([
      ["wsus-spec-valid", "mandatory", "spec.adminSite.httpPort: expected 1..65535, got 70000"],
    ]);
  });
});
