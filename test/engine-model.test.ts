// The engine rules the mini engine copies (test/harness/engineModel.ts), each against the Go source's own cases.
import { describe, expect, it } from "vitest";
import { SECRET_SIG, SIG_KEY } from "./harness/analyzer";
import {
  annotateSecrets,
  applyReplaceOnChanges,
  durationSeconds,
  isReplace,
  markSecretOutputs,
  parsePropertyPath,
  processIgnoreChanges,
  scheduleDeletes,
  stripSecrets,
  type EngineDiff,
  type ResourceState,
} from "./harness/engineModel";

const secret = (value: unknown) => ({ [SIG_KEY]: SECRET_SIG, value });
const some: EngineDiff = { changes: "some", replaceKeys: [], changedKeys: [], stableKeys: [], deleteBeforeReplace: false };

describe("applyReplaceOnChanges (step_generator.go)", () => {
  it("with what cmd/dynamic-provider sends (no changed keys, no detailed diff), replaceOnChanges never replaces", () => {
    const d = applyReplaceOnChanges(some, ["spec"]);
    expect(d.replaceKeys).toEqual([]);
    expect(isReplace(d)).toBe(false);
  });
  it("a provider that reports changed keys (DiffResponse.diffs) or a detailed diff would be replaced", () => {
    expect(isReplace(applyReplaceOnChanges({ ...some, changedKeys: ["spec"] }, ["spec"]))).toBe(true);
    expect(isReplace(applyReplaceOnChanges({ ...some, changedKeys: ["target"] }, ["spec"]))).toBe(false);
    const detailed = applyReplaceOnChanges({ ...some, detailedDiff: { "spec.ssl": { kind: 4, inputDiff: true } } }, ["spec"]);
    expect(detailed.detailedDiff).toEqual({ "spec.ssl": { kind: 5, inputDiff: true } }); // UPDATE → UPDATE_REPLACE
    expect(isReplace(detailed)).toBe(true);
  });
  it("no changes: nothing to turn into a replace; the provider's own replaces stay", () => {
    expect(applyReplaceOnChanges({ ...some, changes: "none", changedKeys: ["spec"] }, ["spec"]).replaceKeys).toEqual([]);
    expect(isReplace(applyReplaceOnChanges({ ...some, replaceKeys: ["target"] }, []))).toBe(true);
  });
});

describe("processIgnoreChanges (PropertyPath.Reset)", () => {
  it("paths", () => {
    expect(parsePropertyPath("spec")).toEqual(["spec"]);
    expect(parsePropertyPath("spec.vdirs[0].name")).toEqual(["spec", "vdirs", 0, "name"]);
    expect(parsePropertyPath('spec["a.b"]')).toEqual(["spec", "a.b"]);
    expect(parsePropertyPath("a..b")).toBeUndefined();
  });
  it("resets to the old value, deletes what the old inputs lack, keeps secrets secret", () => {
    const old = { spec: { ssl: true, a: 1 }, target: "lab:x", credentials: secret({ sshIdentity: "k" }) };
    const news = { spec: { ssl: false, b: 2 }, target: "lab:y", credentials: { sshIdentity: "k2" } };
    expect(processIgnoreChanges(news, old, ["spec.ssl", "spec.b"]).inputs).toEqual({ spec: { ssl: true }, target: "lab:y", credentials: { sshIdentity: "k2" } });
    expect(processIgnoreChanges(news, old, ["credentials.sshIdentity"]).inputs.credentials).toEqual({ sshIdentity: secret("k") });
    expect(news.spec).toEqual({ ssl: false, b: 2 }); // a copy
    // Old lacks the leaf: deleted from new; new lacks a level old has: a path error ("cannot ignore changes …").
    expect(processIgnoreChanges(news, { spec: 1 }, ["spec.ssl"])).toEqual({ inputs: { ...news, spec: { b: 2 } }, invalidPaths: [] });
    expect(processIgnoreChanges({ target: "x" }, { spec: { ssl: true } }, ["spec.ssl"]).invalidPaths).toEqual(["spec.ssl"]);
  });
});

describe("secrets for a plugin with acceptSecrets=false (provider_plugin.go annotateSecrets, step_executor.go)", () => {
  it("stripped on the way out, re-marked on the way back under the same keys", () => {
    const sent = { spec: {}, credentials: secret({ sshIdentity: "k" }), nested: { a: secret(1), b: 2 } };
    const plain = stripSecrets(sent);
    expect(plain).toEqual({ spec: {}, credentials: { sshIdentity: "k" }, nested: { a: 1, b: 2 } });
    expect(annotateSecrets(structuredClone(plain), sent)).toEqual(sent);
  });
  it("additionalSecretOutputs and outputs whose input was secret become secret", () => {
    const s = { urn: "u", type: "t", custom: true, dependencies: [], inputs: { token: secret("x") }, outputs: { token: "x", credentials: { a: 1 }, other: 1 }, additionalSecretOutputs: ["credentials", "id"] } as ResourceState;
    markSecretOutputs(s);
    expect(s.outputs).toEqual({ token: secret("x"), credentials: secret({ a: 1 }), other: 1 });
  });
});

describe("ScheduleDeletes: reverse dependency order", () => {
  const r = (urn: string, parent?: string, dependencies: string[] = []): ResourceState => ({ urn, type: "t", custom: true, inputs: {}, outputs: {}, parent, dependencies });
  it("children and dependents first, the stack last", () => {
    const stack = r("stack");
    const layout = r("layout", "stack");
    const site = r("site", "layout");
    const server = r("server", "layout");
    const other = r("other", "stack", ["server"]);
    const order = [stack, layout, site, server, other];
    const chains = scheduleDeletes(order, order).map((c) => c.map((x) => x.urn).sort());
    // Go builds the antichains from the roots down (a resource once none of its dependencies is left), then reverses them.
    expect(chains).toEqual([["other"], ["server", "site"], ["layout"], ["stack"]]);
  });
});

describe("customTimeouts (source_eval.go generateTimeoutInSeconds: time.ParseDuration)", () => {
  it("Go durations in seconds", () => {
    expect(durationSeconds("1ms")).toBe(0.001);
    expect(durationSeconds("1h30m")).toBe(5400);
    expect(durationSeconds("1.5s")).toBe(1.5);
    expect(() => durationSeconds("5")).toThrow("unable to parse customTimeout Value 5");
  });
});
