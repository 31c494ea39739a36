// The parts of the Pulumi 3.248 engine the mini engine (engine.ts) copies, as plain functions over JSON
// property maps (secrets as `{ [SIG_KEY]: SECRET_SIG, value }`, unknowns as the UNKNOWN sentinel), each with
// the Go source it follows (pulumi/pulumi at v3.248.0 / pkg/v3.248.0 / sdk/v3.248.0).
import { SECRET_SIG, SIG_KEY } from "./analyzer";

/* eslint-disable @typescript-eslint/no-explicit-any */
export type Props = Record<string, any>;

// ---------------------------------------------------------------------------------------------
// state (pkg/resource/deploy/snapshot.go, sdk/go/common/apitype ResourceV3: the fields modelled)

/** One resource in the checkpoint (apitype.ResourceV3, the fields the mini engine uses). */
export interface ResourceState {
  urn: string;
  type: string;
  custom: boolean;
  /** Custom resources only. */
  id?: string;
  /** The inputs after Check (custom) or as registered (component). Secrets stay wrapped. */
  inputs: Props;
  /** Provider state (custom), registerOutputs (component, stack). Secrets stay wrapped. */
  outputs: Props;
  parent?: string;
  dependencies: string[];
  protect?: boolean;
  retainOnDelete?: boolean;
  ignoreChanges?: string[];
  replaceOnChanges?: string[];
  additionalSecretOutputs?: string[];
  /** Seconds (source_eval.go `generateTimeoutInSeconds`); sent with Create/Update/Delete/Read, ignored by the plugin. */
  customTimeouts?: { create?: number; update?: number; delete?: number; read?: number };
  /** Marked for deletion (the old half of a create-before-delete replacement whose delete has not run). */
  delete?: boolean;
}

/**
 * The stack's checkpoint as the diy backend keeps it between runs (`.pulumi/stacks/<project>/<stack>.json`:
 * `{ version: 3, checkpoint: { stack, latest: { resources } } }`). Secrets are NOT encrypted here (the real
 * backend stores ciphertext); the resource order is the engine's (SnapshotManager.Snap: resources of the
 * current run in completion order, then the base resources not replaced or deleted).
 */
export interface Checkpoint {
  version: 3;
  checkpoint: { stack: string; latest: { resources: ResourceState[] } };
}

export function emptyCheckpoint(stack: string): Checkpoint {
  return { version: 3, checkpoint: { stack, latest: { resources: [] } } };
}

export const resourcesOf = (c: Checkpoint | undefined): ResourceState[] => c?.checkpoint.latest.resources ?? [];

// ---------------------------------------------------------------------------------------------
// property values

export const isSecretValue = (v: unknown): v is { value: unknown } => !!v && typeof v === "object" && (v as Props)[SIG_KEY] === SECRET_SIG;
export const makeSecret = (v: unknown): Props => (isSecretValue(v) ? (v as Props) : { [SIG_KEY]: SECRET_SIG, value: v });

/** Secrets replaced by their values: what a plugin that answered Configure with acceptSecrets=false receives
 *  (provider_plugin.go: every Marshal uses `KeepSecrets: protocol.acceptSecrets`). */
export function stripSecrets<T>(v: T): T {
  if (Array.isArray(v)) return v.map(stripSecrets) as T;
  if (v && typeof v === "object") {
    if (isSecretValue(v)) return stripSecrets((v as Props).value) as T;
    return Object.fromEntries(Object.entries(v as Props).map(([k, x]) => [k, stripSecrets(x)])) as T;
  }
  return v;
}

export function containsSecrets(v: unknown): boolean {
  if (isSecretValue(v)) return true;
  if (Array.isArray(v)) return v.some(containsSecrets);
  if (v && typeof v === "object") return Object.values(v).some(containsSecrets);
  return false;
}

const isObject = (v: unknown): v is Props => !!v && typeof v === "object" && !Array.isArray(v) && !isSecretValue(v);

/**
 * provider_plugin.go `annotateSecrets(outs, ins)`: a plugin that does not accept secrets gets plain values, so the
 * engine marks a returned property secret when the property it sent under the same key held a secret (Check:
 * inputs ← news; Create: outs ← properties; Read: inputs ← inputs, state ← state; Update: outs ← news).
 */
export function annotateSecrets(outs: Props | undefined, ins: Props | undefined): Props | undefined {
  if (!outs || !ins) return outs;
  for (const [key, inValue] of Object.entries(ins)) {
    if (!(key in outs)) continue;
    const outValue = outs[key];
    if (isObject(outValue) && isObject(inValue)) annotateSecrets(outValue, inValue);
    else if (!isSecretValue(outValue) && containsSecrets(inValue)) outs[key] = makeSecret(outValue);
  }
  return outs;
}

/** Sorted-keys JSON (undefined dropped): PropertyMap.DeepEquals for JSON-shaped values. */
export function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  if (v && typeof v === "object") {
    const o = v as Props;
    return `{${Object.keys(o)
      .filter((k) => o[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(v) ?? "null";
}
export const deepEquals = (a: unknown, b: unknown): boolean => canonical(a ?? {}) === canonical(b ?? {});

export const clone = <T>(v: T): T => (v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T));

/** Top-level keys starting with "__" are dropped for Analyze and AnalyzeStack (analyzer_plugin.go:
 *  `MarshalOptions{SkipInternalKeys: true}`; nested keys are kept, rpc.go); Remediate keeps them. */
export const withoutInternalKeys = (p: Props): Props => Object.fromEntries(Object.entries(p).filter(([k]) => !k.startsWith("__")));

// ---------------------------------------------------------------------------------------------
// ignoreChanges: step_generator.go `processIgnoreChanges` → properties_path.go `PropertyPath.Reset`

/** `a.b[0]["c.d"]` → ["a", "b", 0, "c.d"]; undefined when it does not parse (the engine skips those). */
export function parsePropertyPath(path: string): (string | number)[] | undefined {
  const out: (string | number)[] = [];
  const re = /([^.[\]]+)|\[(\d+)\]|\["((?:[^"\\]|\\.)*)"\]|(\.)/gy;
  let m: RegExpExecArray | null;
  let expectKey = true;
  while (re.lastIndex < path.length && (m = re.exec(path))) {
    if (m[4]) {
      if (expectKey) return undefined;
      expectKey = true;
      continue;
    }
    if (m[1] !== undefined) {
      if (!expectKey) return undefined;
      out.push(m[1]);
    } else if (m[2] !== undefined) out.push(Number(m[2]));
    else out.push(JSON.parse(`"${m[3]}"`));
    expectKey = false;
  }
  return re.lastIndex === path.length || path.length === 0 ? out : undefined;
}

function reset(p: (string | number)[], oldV: unknown, newV: unknown, oldSecret: boolean, newSecret: boolean): boolean {
  if (p.length === 0) return false;
  if (isSecretValue(oldV)) ((oldSecret = true), (oldV = oldV.value));
  if (isSecretValue(newV)) ((newSecret = true), (newV = newV.value));
  const [key, ...rest] = p;
  const wrap = (v: unknown) => (oldSecret && !newSecret ? makeSecret(v) : v);
  if (typeof key === "number") {
    const oa = Array.isArray(oldV) ? oldV : undefined;
    const na = Array.isArray(newV) ? newV : undefined;
    if (rest.length === 0) {
      if (!oa && !na) return true;
      if (!oa || !na) return false;
      if (key >= oa.length && key >= na.length) return true;
      if (key >= oa.length || key >= na.length) return false;
      na[key] = wrap(oa[key]);
      return true;
    }
    if (!oa || !na) return !oa && !na;
    if (key >= oa.length || key >= na.length) return false;
    return reset(rest, oa[key], na[key], oldSecret, newSecret);
  }
  if (key === "*") return false; // wildcards: not modelled (the harness's programs do not use them)
  if (rest.length === 0) {
    const has = isObject(oldV) && key in oldV;
    if (has) {
      if (!isObject(newV)) return false;
      newV[key] = wrap(clone((oldV as Props)[key]));
    } else if (isObject(newV)) delete newV[key];
    return true;
  }
  if (!isObject(oldV) || !isObject(newV)) return !isObject(oldV) && !isObject(newV);
  const hasOld = key in oldV;
  const hasNew = key in newV;
  if (hasOld && !hasNew) return false;
  if (!hasOld && !hasNew) return true;
  return reset(rest, oldV[key], newV[key], oldSecret, newSecret);
}

/** The inputs with every ignoreChanges path reset to its old value (a copy); paths that fail are reported. */
export function processIgnoreChanges(inputs: Props, oldInputs: Props, ignoreChanges: string[]): { inputs: Props; invalidPaths: string[] } {
  const ignored = clone(inputs);
  const invalidPaths: string[] = [];
  for (const path of ignoreChanges) {
    const p = parsePropertyPath(path);
    if (!p) continue;
    if (!reset(p, oldInputs, ignored, false, false)) invalidPaths.push(path);
  }
  return { inputs: ignored, invalidPaths };
}

// ---------------------------------------------------------------------------------------------
// diffs

/** The engine's plugin.DiffResult (sdk/go/common/resource/plugin/provider.go), from a DiffResponse. */
export interface EngineDiff {
  changes: "none" | "some";
  replaceKeys: string[];
  /** DiffResponse.diffs (provider_plugin.go `provider.Diff`: `ChangedKeys: diffs`). */
  changedKeys: string[];
  stableKeys: string[];
  /** DiffResponse.detailedDiff, when the provider sent one (`decodeDetailedDiff`). */
  detailedDiff?: Record<string, { kind: number; inputDiff: boolean }>;
  deleteBeforeReplace: boolean;
}

/** PropertyDiff kinds (proto PropertyDiff.Kind): ADD=0 ADD_REPLACE=1 DELETE=2 DELETE_REPLACE=3 UPDATE=4 UPDATE_REPLACE=5. */
const isReplaceKind = (k: number) => k === 1 || k === 3 || k === 5;
const toReplaceKind = (k: number) => (k === 0 ? 1 : k === 2 ? 3 : k === 4 ? 5 : k);

/** `DiffResult.Replace()` (provider.go): a replace kind in the detailed diff, or any replace key. */
export const isReplace = (d: EngineDiff): boolean => Object.values(d.detailedDiff ?? {}).some((v) => isReplaceKind(v.kind)) || d.replaceKeys.length > 0;

/** `PropertyPath.Contains`: `path` is `prefix` or below it. */
function pathContains(prefix: (string | number)[], path: (string | number)[]): boolean {
  if (path.length < prefix.length) return false;
  return prefix.every((c, i) => c === "*" || c === path[i]);
}

/**
 * step_generator.go `applyReplaceOnChanges` (no init errors): a replaceOnChanges path turns into a replacement
 * only through the diff's DetailedDiff entries or its ChangedKeys. cmd/dynamic-provider sends neither (its Diff
 * sets changes, replaces and deleteBeforeReplace only), so for a dynamic resource replaceOnChanges never replaces.
 */
export function applyReplaceOnChanges(diff: EngineDiff, replaceOnChanges: string[]): EngineDiff {
  if (diff.changes !== "some") return diff;
  const paths = replaceOnChanges.map(parsePropertyPath).filter((p): p is (string | number)[] => !!p);
  let detailedDiff = diff.detailedDiff;
  if (detailedDiff) {
    detailedDiff = Object.fromEntries(
      Object.entries(detailedDiff).map(([k, v]) => {
        const kp = parsePropertyPath(k);
        return [k, kp && paths.some((p) => pathContains(p, kp)) ? { ...v, kind: toReplaceKind(v.kind) } : v];
      }),
    );
  }
  const replaceKeys = new Set(diff.replaceKeys);
  for (const k of diff.changedKeys) {
    const kp = parsePropertyPath(k);
    if (kp && paths.some((p) => pathContains(p, kp))) replaceKeys.add(k);
  }
  return { ...diff, detailedDiff, replaceKeys: [...replaceKeys] };
}

// ---------------------------------------------------------------------------------------------
// deletes: step_generator.go `ScheduleDeletes` over graph.DependencyGraph `DependenciesOf`

/** What `res` depends on among `all`: its dependencies and its parent (dependency_graph.go `DependenciesOf`). */
function dependenciesOf(res: ResourceState, all: ResourceState[]): ResourceState[] {
  const urns = new Set(res.dependencies);
  const index = all.indexOf(res);
  return all.filter((c, i) => i < index && (urns.has(c.urn) || c.urn === res.parent));
}

/**
 * Antichains of resources to delete, in the order they may be deleted: a resource only after every condemned
 * resource that depends on it (children before parents, dependents before dependencies). `order` is the
 * checkpoint's resource list (a topological sort).
 */
export function scheduleDeletes(condemned: ResourceState[], order: ResourceState[]): ResourceState[][] {
  const left = new Set(condemned);
  const chains: ResourceState[][] = [];
  while (left.size > 0) {
    const chain = [...left].filter((r) => !dependenciesOf(r, order).some((d) => left.has(d)));
    if (chain.length === 0) throw new Error("scheduleDeletes: dependency cycle in the checkpoint");
    for (const r of chain) left.delete(r);
    chains.push(chain);
  }
  return chains.reverse();
}

/** step_executor.go `continueExecuteStep`: additionalSecretOutputs, and outputs whose input was secret, become secret. */
export function markSecretOutputs(state: ResourceState): void {
  for (const k of state.additionalSecretOutputs ?? []) {
    if (k !== "id" && k in state.outputs && !isSecretValue(state.outputs[k])) state.outputs[k] = makeSecret(state.outputs[k]);
  }
  for (const [k, out] of Object.entries(state.outputs)) {
    if (!isSecretValue(out) && isSecretValue(state.inputs[k])) state.outputs[k] = makeSecret(out);
  }
}

/** Go's time.ParseDuration in seconds ("1h30m", "1.5s", "300ms"); throws like `generateTimeoutInSeconds`. */
export function durationSeconds(text: string): number {
  const unit: Record<string, number> = { ns: 1e-9, us: 1e-6, "µs": 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600 };
  const m = /^([-+]?)((?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|ms|s|m|h))+$/.exec(text);
  if (text === "0") return 0;
  if (!m) throw new Error(`unable to parse customTimeout Value ${text}`);
  let total = 0;
  for (const part of text.replace(/^[-+]/, "").matchAll(/(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/g)) total += Number(part[1]) * unit[part[2]];
  return m[1] === "-" ? -total : total;
}
