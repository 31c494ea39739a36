// Resource options on a WsusIisServer as the Pulumi 3.248 engine and the dynamic-provider plugin treat them,
// through the mini engine (test/harness/engine.ts) and a one-server program (test/harness/programs/server.ts):
//   - replaceOnChanges: ["spec"] does not replace on a spec change: the engine turns a change into a replace
//     only through the diff's detailedDiff or changed keys (step_generator.go `applyReplaceOnChanges`), and
//     cmd/dynamic-provider forwards neither (only changes, replaces, deleteBeforeReplace);
//   - customTimeouts: the engine sends the timeout with Create/Update; the plugin never reads it (a 1 ms
//     timeout does not stop a converge that takes far longer);
//   - ignoreChanges: ["spec"]: the engine resets spec to the old inputs before Check and Diff: a same;
//   - retainOnDelete: the engine never calls Delete (step.go `DeleteStep.Apply`), so even removeOnDelete: true
//     removes nothing.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLab } from "../lab/create";
import { FileStack, type EngineResult } from "./harness/engine";
import { resourcesOf } from "./harness/engineModel";

const root = path.join(__dirname, "..");
const base = mkdtempSync(path.join(tmpdir(), "wsus-engine-options-"));
afterAll(() => rmSync(base, { recursive: true, force: true }));

const URN = "urn:pulumi:opts::wsus-iis::pulumi-nodejs:dynamic/wsus-iis:WsusIisServer::srv";
const URN2 = "urn:pulumi:opts::wsus-iis::pulumi-nodejs:dynamic/wsus-iis:WsusIisServer::srv2";
const APPHOST = ["C", "Windows", "System32", "inetsrv", "config", "applicationHost.config"];
const stateFile = path.join(base, "state.json");
const SPEC = { configuration: 1, profile: "kb920659", sharePoint: { expected: "no" } };
const SPEC2 = { ...SPEC, acceptKbPathTypo: true };
let lab: string;
let lab2: string;

const stackWith = (spec: Record<string, unknown>, options: Record<string, unknown>, server: { name?: string; target?: string } = {}) =>
  new FileStack(stateFile, {
    projectRoot: root,
    program: "test/harness/programs/server.ts",
    project: "wsus-iis",
    stack: "opts",
    config: { "wsus-iis-test:server": JSON.stringify({ name: server.name ?? "srv", spec, target: server.target ?? `lab:${lab}`, removeOnDelete: true, options }) },
    env: { PULUMI_NODEJS_TYPESCRIPT: "true" },
  });
const calls = (r: { providerCalls: EngineResult["providerCalls"] }, method: string, urn = URN) => r.providerCalls.filter((c) => c.method === method && c.urn === urn);
const server = (r: EngineResult, urn = URN) => r.steps.find((s) => s.urn === urn && s.stepOp !== "delete-replaced" && s.stepOp !== "delete")!;
const apphost = (dir = lab) => readFileSync(path.join(dir, ...APPHOST));

beforeAll(async () => {
  lab = path.join(base, "lab");
  await createLab(lab, { configuration: 1, profile: "kb920659", breaks: [5] });
  lab2 = path.join(base, "lab2");
  await createLab(lab2, { configuration: 1, profile: "kb920659" });
}, 60_000);

describe("resource options the engine and the dynamic-provider plugin honour, or not", () => {
  const options = { replaceOnChanges: ["spec"], retainOnDelete: true, customTimeouts: { create: "1ms", update: "1ms", delete: "1ms" } };

  it("customTimeouts reach the plugin as seconds and are ignored: a 1 ms create converges", async () => {
    const r = await stackWith(SPEC, options).up();
    expect(r.errors, r.stderr).toEqual([]);
    expect(server(r).stepOp).toBe("create");
    expect(calls(r, "create").map((c) => c.request.timeout)).toEqual([0.001]);
    expect(server(r).outputs).toMatchObject({ compliant: true, status: "applied", owned: [{ kind: "binding", ip: "127.0.0.1", port: 80 }] });
    expect(resourcesOf(r.state).find((x) => x.urn === URN)).toMatchObject({ retainOnDelete: true, replaceOnChanges: ["spec"], customTimeouts: { create: 0.001, update: 0.001, delete: 0.001 } });
  }, 180_000);

  it("replaceOnChanges: ['spec'] — a spec change is an update, not a replace (the plugin sends no changed keys)", async () => {
    const r = await stackWith({ ...SPEC, acceptKbPathTypo: true }, options).up();
    expect(r.errors, r.stderr).toEqual([]);
    const diff = calls(r, "diff")[0].response!;
    expect(diff).toMatchObject({ changes: "some", replaces: [], diffs: [], stables: [], hasDetailedDiff: false });
    expect(server(r).stepOp).toBe("update");
    expect(server(r).diff).toMatchObject({ changes: "some", replaceKeys: [], changedKeys: [] });
    expect(calls(r, "create")).toEqual([]);
    expect(calls(r, "delete")).toEqual([]);
    expect(calls(r, "update").map((c) => c.request.timeout)).toEqual([0.001]);
    expect(server(r).id).toBe(`lab:${lab}`);
  }, 180_000);

  it("ignoreChanges: ['spec'] — the old spec goes to Check and Diff: a same, the checkpoint keeps the old spec", async () => {
    const r = await stackWith(SPEC, { ...options, ignoreChanges: ["spec"] }).up();
    expect(r.errors, r.stderr).toEqual([]);
    expect(calls(r, "check")[0].request.news.spec).toMatchObject({ acceptKbPathTypo: true });
    expect(server(r).stepOp).toBe("same");
    expect(resourcesOf(r.state).find((x) => x.urn === URN)?.inputs.spec).toMatchObject({ acceptKbPathTypo: true });
  }, 180_000);

  it("another target is a replace (the provider's replaces): Check without olds, Create, the old one deleted last — retained here", async () => {
    const before = apphost();
    const r = await stackWith(SPEC2, options, { target: `lab:${lab2}` }).up();
    expect(r.errors, r.stderr).toEqual([]);
    expect(server(r)).toMatchObject({ stepOp: "replace", id: `lab:${lab2}`, diff: { replaceKeys: ["target"] } });
    // step_generator.go: Check with the old inputs, Diff, then for the replacement Check again without olds.
    expect(calls(r, "check").map((c) => Object.keys(c.request.olds).length > 0)).toEqual([true, false]);
    expect(calls(r, "create").map((c) => c.request.properties.target)).toEqual([`lab:${lab2}`]);
    // The old half is a DeleteReplaced step after the create (create-before-delete); retainOnDelete: no Delete call.
    expect(r.steps.map((s) => s.stepOp)).toEqual(["same", "replace", "delete-replaced"]);
    expect(calls(r, "delete")).toEqual([]);
    expect(r.changes).toEqual({ same: 1, replace: 1 });
    expect(resourcesOf(r.state).filter((x) => x.urn === URN).map((x) => x.id)).toEqual([`lab:${lab2}`]);
    expect(Buffer.compare(apphost(), before)).toBe(0);
  }, 180_000);

  it("a resource gone from the program is deleted after the program ran; a new name is a create (Check without olds)", async () => {
    const r = await stackWith(SPEC2, options, { name: "srv2", target: `lab:${lab2}` }).up();
    expect(r.errors, r.stderr).toEqual([]);
    expect(r.steps.map((s) => [s.urn.split("::").pop(), s.stepOp])).toEqual([
      ["wsus-iis-opts", "same"],
      ["srv2", "create"],
      ["srv", "delete"],
    ]);
    expect(calls(r, "check", URN2)[0].request.olds).toEqual({});
    expect(calls(r, "delete")).toEqual([]); // retained
    expect(resourcesOf(r.state).map((x) => x.urn.split("::").pop())).toEqual(["wsus-iis-opts", "srv2"]);
  }, 180_000);

  it("retainOnDelete — destroy never calls Delete, so removeOnDelete: true removes nothing", async () => {
    const before = apphost();
    const stack = stackWith(SPEC2, options, { name: "srv2", target: `lab:${lab2}` });
    const d = await stack.destroy();
    expect(d.errors).toEqual([]);
    expect(d.steps.map((s) => [s.urn.split("::").pop(), s.stepOp])).toEqual([
      ["srv2", "delete"],
      ["wsus-iis-opts", "delete"],
    ]);
    expect(d.providerCalls.filter((c) => c.method === "delete")).toEqual([]);
    expect(resourcesOf(stack.state)).toEqual([]);
    expect(Buffer.compare(apphost(), before)).toBe(0);
    expect(apphost().toString("utf8")).toMatch(/bindingInformation="127\.0\.0\.1:80:"/);
  }, 180_000);
});
