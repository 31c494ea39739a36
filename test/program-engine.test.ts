// End to end without the Pulumi CLI (notes §5 "mini engine", test/harness/policyEngine.ts): the stack program
// (index.ts, compiled by the language host's ts-node as Pulumi.yaml's `main: index.ts` + `typescript: true`
// runs it) through @pulumi/pulumi's real cmd/run, the real WsusIisServer dynamic provider plugin converging
// lab servers, and the real policy pack (Remediate + Analyze per resource, AnalyzeStack at the end).
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { checkEvidence } from "../core/check";
import { createLab, type Break } from "../lab/create";
import { collectEvidence } from "../lab/evidence";
import { runEngine, type EngineOptions } from "./harness/policyEngine";

const root = path.join(__dirname, "..");
const base = mkdtempSync(path.join(tmpdir(), "wsus-engine-"));
afterAll(() => rmSync(base, { recursive: true, force: true }));

const APPHOST = ["C", "Windows", "System32", "inetsrv", "config", "applicationHost.config"];
const snapshot = (dir: string) => ({ apphost: readFileSync(path.join(dir, ...APPHOST), "utf8"), lab: readFileSync(path.join(dir, "lab.json"), "utf8") });

interface Server {
  name: string;
  target: string;
  configuration?: 1 | 2;
  profile?: "kb920659" | "modern";
  overrides?: Record<string, unknown>;
}

async function lab(name: string, configuration: 1 | 2, profile: "kb920659" | "modern", breaks: Break[]): Promise<string> {
  const dir = path.join(base, name);
  await createLab(dir, { configuration, profile, breaks });
  return dir;
}

/** The lab judged by the same rules `wsus-iis check` uses. */
async function compliance(dir: string, spec: Record<string, unknown>) {
  return checkEvidence(spec, await collectEvidence(dir));
}

const up = (servers: Server[], extra: Partial<EngineOptions> = {}) =>
  runEngine({
    projectRoot: root,
    program: "index.ts",
    project: "wsus-iis",
    stack: "lab",
    config: { "wsus-iis:servers": JSON.stringify(servers) },
    secretKeys: ["wsus-iis:servers"],
    policyPackDir: path.join(root, "policies"),
    env: { PULUMI_NODEJS_TYPESCRIPT: "true" },
    ...extra,
  });

const mandatory = (r: Awaited<ReturnType<typeof up>>) => r.policyViolations.filter((d) => d.enforcementLevel === "mandatory");
// The engine creates independent servers concurrently: their steps complete in any order, so sort by name.
const servers = (r: Awaited<ReturnType<typeof up>>) =>
  r.steps.filter((s) => s.type === "pulumi-nodejs:dynamic/wsus-iis:WsusIisServer").sort((a, b) => String(a.name).localeCompare(String(b.name)));

describe("pulumi up --policy-pack policies, without the CLI", () => {
  it("a compliant stack passes every policy and converges both lab servers (Configuration 1 and 2)", async () => {
    const one = await lab("up-wsus01", 1, "kb920659", [4]);
    const two = await lab("up-wsus02", 2, "modern", [1, 6]);
    const stack: Server[] = [
      { name: "wsus01", target: `lab:${one}`, configuration: 1, profile: "kb920659", overrides: { sharePoint: { expected: "no" } } },
      { name: "wsus02", target: `lab:${two}`, configuration: 2, profile: "modern", overrides: { sharePoint: { expected: "no" } } },
    ];
    const spec1 = { configuration: 1, profile: "kb920659", sharePoint: { expected: "no" } };
    const spec2 = { configuration: 2, profile: "modern", sharePoint: { expected: "no" } };
    expect((await compliance(one, spec1)).compliant).toBe(false);
    expect((await compliance(two, spec2)).compliant).toBe(false);

    const r = await up(stack);
    expect(r.errors, r.stderr).toEqual([]);
    expect(r.exitCode).toBe(0);
    expect(r.result).toBe("succeeded");
    expect(r.policyViolations).toEqual([]);
    expect(r.steps.filter((s) => s.type === "wsus-iis:index:WsusIisLayout").map((s) => s.urn)).toEqual([
      "urn:pulumi:lab::wsus-iis::wsus-iis:index:WsusIisLayout::wsus01",
      "urn:pulumi:lab::wsus-iis::wsus-iis:index:WsusIisLayout::wsus02",
    ]);
    expect(servers(r).map((s) => [s.name, s.op, s.id])).toEqual([
      ["wsus01-server", "create", `lab:${one}`],
      ["wsus02-server", "create", `lab:${two}`],
    ]);
    for (const s of servers(r)) expect(s.outputs).toMatchObject({ compliant: true, findings: [], status: "applied" });
    expect(r.stackOutputs).toMatchObject({ compliant: true, drifted: [], servers: { wsus01: { compliant: true, failing: 0 }, wsus02: { compliant: true, failing: 0 } } });

    expect(await compliance(one, spec1)).toEqual({ compliant: true, findings: [] });
    expect(await compliance(two, spec2)).toEqual({ compliant: true, findings: [] });
  }, 180_000);

  it("a non-compliant declaration is blocked by a mandatory policy before anything changes", async () => {
    const dir = await lab("blocked", 1, "kb920659", [4]);
    const before = snapshot(dir);
    const r = await up([{ name: "wsus03", target: `lab:${dir}`, configuration: 1, profile: "kb920659", overrides: { sharePoint: { expected: "no" }, bindings: { mode: "addresses", addresses: ["10.0.0.5"] } } }]);
    expect(r.result).toBe("failed");
    expect(r.errors).toEqual([expect.stringMatching(/^policy violation: \[default-site-loopback\] .*Default Web Site is bound on port 80 only to specific addresses \(10\.0\.0\.5:80:\) without 127\.0\.0\.1/s)]);
    expect([...new Set(mandatory(r).map((d) => `${d.policyName} ${d.urn}`))]).toEqual(["default-site-loopback urn:pulumi:lab::wsus-iis::wsus-iis:index:WsusIisLayout::wsus03"]);
    // The layout is the first resource the program registers: the engine stopped it there.
    expect(servers(r)).toEqual([]);
    expect(snapshot(dir)).toEqual(before);
  }, 180_000);

  it("preview reports every violation (resources and stack) and changes nothing", async () => {
    const a = await lab("preview-a", 1, "kb920659", [4]);
    const before = snapshot(a);
    const r = await up(
      [
        { name: "pa", target: `lab:${a}`, overrides: { sharePoint: { expected: "no" }, bindings: { mode: "addresses", addresses: ["10.0.0.5"] } } },
        { name: "pb", target: `lab:${a}/`, overrides: { sharePoint: { expected: "yes", excludedPaths: ["/selfupdate"] } } },
      ],
      { preview: true },
    );
    expect(r.result).toBe("failed");
    expect(r.errors).toEqual([]); // preview goes on and fails at the end, like the CLI
    expect(mandatory(r).map((d) => `${d.stage}:${d.policyName}`).sort()).toEqual([
      "resource:default-site-loopback",
      "resource:default-site-loopback",
      "resource:sharepoint-exclusions",
      "stack:wsus-unique-targets",
      "stack:wsus-unique-targets",
    ]);
    expect(servers(r).map((s) => s.op)).toEqual(["preview", "preview"]);
    expect(snapshot(a)).toEqual(before);
  }, 180_000);

  it("at enforcement level remediate, the spec is fixed (127.0.0.1 added to the binding addresses) and the server converges", async () => {
    const dir = await lab("remediate", 1, "kb920659", [4]);
    const bindings = { mode: "addresses", addresses: ["10.0.0.5"] };
    const r = await up([{ name: "wsus04", target: `lab:${dir}`, configuration: 1, profile: "kb920659", overrides: { sharePoint: { expected: "no" }, bindings } }], {
      policyConfig: { "default-site-loopback": { enforcementLevel: "remediate" } },
    });
    expect(r.errors, r.stderr).toEqual([]);
    expect(r.result).toBe("succeeded");
    expect(r.remediations.map((x) => x.urn.split("::").pop())).toEqual(["wsus04", "wsus04-server"]);
    const [server] = servers(r);
    expect(server.inputs.spec).toMatchObject({ bindings: { mode: "addresses", addresses: ["10.0.0.5", "127.0.0.1"] } });
    expect(server.outputs).toMatchObject({ compliant: true });
    expect((await compliance(dir, { configuration: 1, profile: "kb920659", sharePoint: { expected: "no" }, bindings: { mode: "addresses", addresses: ["10.0.0.5", "127.0.0.1"] } })).compliant).toBe(true);
  }, 180_000);
});
