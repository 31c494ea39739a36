// A mini Pulumi engine for tests (notes/pulumi-testing.md §5, notes/PULUMI_ENGINE.md): it serves
// pulumirpc.ResourceMonitor + pulumirpc.Engine, runs the stack program through @pulumi/pulumi's real
// language-host entry (cmd/run), sends dynamic resources to the real dynamic-provider plugin
// (cmd/dynamic-provider, over gRPC) and asks the real policy pack (cmd/run-policy-pack, over gRPC). It keeps
// the stack's state between runs in a checkpoint (engineModel.ts `Checkpoint`, optionally a JSON file like the
// diy backend's) and follows the Pulumi 3.248 engine (pulumi/pulumi v3.248.0, pkg/resource/deploy):
//
// `up` / `preview` (runEngine; deployment_executor.go `Execute`, step_generator.go):
//   - per registration (`generateSteps` → `continueStepsFromImport`): ignoreChanges paths reset to the old
//     inputs (`processIgnoreChanges`); Check with the OLD inputs as `olds` when the resource is in the state
//     ({} for a new one); Remediate, then Analyze — for custom AND component resources (the step generator runs
//     the analyzers on every RegisterResourceEvent, source_eval.go sends local components through the same
//     path; only Check needs a provider); then
//   - no old state: Create (`CreateStep.Apply`; in preview the plugin is not called: it never reports
//     supportsPreview, so provider_plugin.go `Create` hands the inputs back as the state);
//   - old state (`generateStepsFromDiff` → `sg.diff`): components compare inputs (`oldInputs.DeepEquals`),
//     custom resources get the provider's Diff (olds = old OUTPUTS, news = checked inputs; an "unknown" answer
//     falls back to comparing inputs, `diffResource`), then `applyReplaceOnChanges`; none → Same (old id and
//     outputs kept, `SameStep.Apply`), some → Update (`UpdateStep.Apply`; not called in preview), a replace →
//     Check again without olds, Create, and the old one deleted after the program (create-before-delete) or
//     first (deleteBeforeReplace); protect blocks a replace;
//   - when the program has finished without error: Delete for every resource of the state the program did not
//     register (and replaced ones), in reverse dependency order (`GenerateDeletes`, `ScheduleDeletes`), the
//     provider not called for retainOnDelete resources, components, or in preview (`DeleteStep.Apply`);
//   - stack outputs finalized (on error the old ones stay, overwritten by the new: `executeRegisterResourceOutputs`);
//     AnalyzeStack on the final outputs of every resource of the run (`AnalyzeResources`);
//   - with `refresh: true` (`up --refresh`, `preview --refresh`): a refresh of the whole state first, in memory
//     (`deploymentExecutor.refresh` → `rebuildBaseState`), the rest then diffs against the refreshed state.
//   - the checkpoint: unchanged after a preview (the diy/httpstate backends create no SnapshotManager for a
//     dry run); otherwise the run's resources in completion order, then the old ones not replaced or deleted
//     (backend/snapshot.go `SnapshotManager.Snap`), also after a failed run.
// `refresh` (runRefresh; engine/refresh.go `Refresh`: the program does NOT run, `newRefreshSource` returns an
//   error source): `RefreshStep.Apply` for every resource of the state: components (and the stack) are returned
//   as they were; a custom resource is Read (inputs = old inputs, properties = old outputs), the state takes the
//   read's outputs and inputs, and the drift is the provider's Diff of the REFRESHED outputs (olds) against the
//   OLD inputs (news), inverted (`diff.Invert()`, which keeps `Changes`), so `ResultOp` is update when that Diff
//   reports changes and same otherwise (`legacyRefreshDiff`: PULUMI_ENABLE_LEGACY_REFRESH_DIFF, outputs compared
//   instead). `previewOnly` (`pulumi refresh --preview-only`, a dry run) reads and diffs but keeps the checkpoint.
// `destroy` (runDestroy; engine/destroy.go `Destroy`: `NewNullSource`, no program): Delete for every resource in
//   reverse dependency order, with the same DeleteStep rules.
//
// What the dynamic-provider plugin forwards (sdk/nodejs/cmd/dynamic-provider/index.ts): from a diff only
// `changes`, `replaces` and `deleteBeforeReplace` — no `diffs`, `stables` or `detailedDiff` — so
// `replaceOnChanges` can never match a key (the harness applies the engine's rule to what the plugin sends,
// see engineModel.ts `applyReplaceOnChanges`). customTimeouts: the engine passes a timeout with every
// Create/Update/Delete/Read, the plugin never reads it; the harness ignores customTimeouts too. Cancel: the
// plugin answers it with an empty reply and stops nothing; the harness never sends it.
//
// Not modelled: aliases, imports (`import` option / `pulumi import`: Read without state, which the dynamic
// plugin cannot serve), `--target` / `--exclude`, `refresh --run-program`, `destroy --run-program`, init
// errors (partial failures), dependents of a deleteBeforeReplace resource, `deletedWith` / `replaceWith` /
// replacement triggers, invokes, transforms, hooks, explicit provider resources, secret encryption, parallel
// step scheduling (steps run as registrations arrive), `--expect-no-changes` as an exit code (`hasChanges` is
// returned instead).
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import * as path from "node:path";
import { AnalyzerHarness, grpc, type Diagnostic, type TestResource } from "./analyzer";
import { DynamicProviderHarness, type ProviderDiff } from "./dynamicProvider";
import {
  annotateSecrets,
  applyReplaceOnChanges,
  clone,
  deepEquals,
  durationSeconds,
  emptyCheckpoint,
  isReplace,
  markSecretOutputs,
  processIgnoreChanges,
  resourcesOf,
  scheduleDeletes,
  stripSecrets,
  withoutInternalKeys,
  type Checkpoint,
  type EngineDiff,
  type Props,
  type ResourceState,
} from "./engineModel";

export type { Checkpoint, EngineDiff, ResourceState } from "./engineModel";

/* eslint-disable @typescript-eslint/no-explicit-any */
const req = createRequire(__filename);
const pulumiRequire = createRequire(req.resolve("@pulumi/pulumi/package.json"));
const resrpc = pulumiRequire("./proto/resource_grpc_pb");
const resproto = pulumiRequire("./proto/resource_pb");
const engrpc = pulumiRequire("./proto/engine_grpc_pb");
const engproto = pulumiRequire("./proto/engine_pb");
const structproto = pulumiRequire("google-protobuf/google/protobuf/struct_pb");
const emptyproto = pulumiRequire("google-protobuf/google/protobuf/empty_pb");
const runProgramEntry = req.resolve("@pulumi/pulumi/cmd/run/index.js");

const STACK_TYPE = "pulumi:pulumi:Stack";
const isDynamic = (type: string) => type.startsWith("pulumi-nodejs:dynamic");

// ---------------------------------------------------------------------------------------------
// options and results

export interface EngineOptions {
  projectRoot: string;
  /** As Pulumi.yaml `main` passes it (e.g. "index.ts"), relative to projectRoot. */
  program: string;
  project: string;
  stack: string;
  preview?: boolean;
  /** "<project>:<key>" -> value (strings, as the CLI passes them). */
  config?: Record<string, string>;
  secretKeys?: string[];
  policyPackDir?: string;
  /** Policy config sent with Configure (the CLI's --policy-pack-config, defaults applied). */
  policyConfig?: Record<string, { enforcementLevel?: "advisory" | "mandatory" | "remediate" | "disabled"; [k: string]: unknown }>;
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
  /** The stack's checkpoint before this run; none = a new stack. */
  state?: Checkpoint;
  /** `pulumi up --refresh` / `pulumi preview --refresh`: refresh the whole state (in memory) first. */
  refresh?: boolean;
  /** PULUMI_ENABLE_LEGACY_REFRESH_DIFF=true (refresh compares outputs instead of diffing against the inputs). */
  legacyRefreshDiff?: boolean;
}

/** display.StepOp names. */
export type StepOp = "create" | "same" | "update" | "replace" | "delete" | "delete-replaced";

export interface Step {
  urn: string;
  type: string;
  name: string;
  custom: boolean;
  parent?: string;
  id?: string;
  inputs: Record<string, any>;
  outputs: Record<string, any>;
  /** What the engine did (display.StepOp). */
  stepOp: StepOp;
  /**
   * The harness's first vocabulary, kept for existing tests: "component" for every component step, "preview" for
   * a create in a preview, otherwise `stepOp`.
   */
  op: "create" | "preview" | "component" | StepOp;
  /** The engine's diff (after applyReplaceOnChanges) for a resource that was in the state. */
  diff?: EngineDiff;
  /** The state it had before this run. */
  old?: ResourceState;
}

/** One RPC the harness sent to the dynamic-provider plugin, as sent (secrets already stripped). */
export interface ProviderCall {
  method: "check" | "diff" | "create" | "read" | "update" | "delete";
  urn: string;
  request: Record<string, any>;
  response?: Record<string, any>;
}

export interface RefreshStep {
  urn: string;
  type: string;
  custom: boolean;
  /** `RefreshStep.ResultOp`: update = drift, delete = the provider says it is gone. */
  resultOp: "same" | "update" | "delete";
  /** The provider's diff of the refreshed outputs against the old inputs (custom resources, non-legacy mode). */
  diff?: ProviderDiff;
  old: ResourceState;
  /** The refreshed state (undefined when deleted). */
  new?: ResourceState;
}

export type Changes = Partial<Record<StepOp, number>>;

interface Common {
  /** Failures as the engine reports them (policy violations, Check failures, provider errors). */
  errors: string[];
  /** The checkpoint the backend holds after the run (unchanged by a preview). */
  state: Checkpoint;
  /** What the CLI's summary counts (engine/update.go: logical steps, refreshes by ResultOp). */
  changes: Changes;
  /** engine.HasChanges: anything but same — what `--expect-no-changes` fails on. */
  hasChanges: boolean;
  providerCalls: ProviderCall[];
  /** What `pulumi` would print last. */
  result: "succeeded" | "failed";
}

export interface EngineResult extends Common {
  exitCode: number | null;
  /** One step per registration, then the deletes. */
  steps: Step[];
  /** With `refresh: true`: the refresh that ran first. */
  refreshSteps: RefreshStep[];
  stackOutputs: Record<string, any>;
  /** Every diagnostic of the pack: Analyze per resource, then AnalyzeStack. */
  policyViolations: (Diagnostic & { stage: "resource" | "stack" })[];
  remediations: { urn: string; policyName: string }[];
  /** Every Analyze request (custom and component resources, in the order they were analyzed). */
  analyzed: TestResource[];
  logs: { severity: number; message: string; urn: string }[];
  stdout: string;
  stderr: string;
}

export interface RefreshResult extends Common {
  steps: RefreshStep[];
}

export interface DestroyResult extends Common {
  steps: Step[];
}

// ---------------------------------------------------------------------------------------------
// the dynamic-provider plugin, started on first use (one per deployment), every call recorded

class Provider {
  private harness?: Promise<DynamicProviderHarness>;
  readonly calls: ProviderCall[] = [];
  constructor(
    private readonly projectRoot: string,
    private readonly env?: NodeJS.ProcessEnv,
  ) {}

  private get h(): Promise<DynamicProviderHarness> {
    this.harness ??= (async () => {
      // cwd = the project directory, as the engine starts plugins; Configure with the (empty) provider config.
      const h = await DynamicProviderHarness.start(this.projectRoot, this.env);
      await h.configure({});
      return h;
    })();
    return this.harness;
  }

  private async call<T>(method: ProviderCall["method"], urn: string, request: Props, run: (h: DynamicProviderHarness) => Promise<T>): Promise<T> {
    const entry: ProviderCall = { method, urn, request: clone(request) };
    this.calls.push(entry);
    const r = await run(await this.h);
    entry.response = clone(r as any);
    return r;
  }

  // acceptSecrets=false (the plugin's Configure answer): every property map goes out without secrets.
  check(urn: string, olds: Props, news: Props) {
    const o = stripSecrets(olds);
    const n = stripSecrets(news);
    return this.call("check", urn, { olds: o, news: n }, (h) => h.check(urn, o, n));
  }
  diff(urn: string, id: string, olds: Props, news: Props, oldInputs: Props) {
    const [o, n, i] = [stripSecrets(olds), stripSecrets(news), stripSecrets(oldInputs)];
    return this.call("diff", urn, { id, olds: o, news: n, oldInputs: i }, (h) => h.diffFull(urn, id, o, n, i));
  }
  // `timeout`: the resource's customTimeouts for the operation, in seconds, as the engine sends it (step.go:
  // `Timeout: s.new.CustomTimeouts.Create` …); the plugin never reads it.
  create(urn: string, properties: Props, timeout?: number) {
    const p = stripSecrets(properties);
    return this.call("create", urn, { properties: p, timeout }, (h) => h.create(urn, p, false, timeout));
  }
  read(urn: string, id: string, properties: Props, inputs: Props, timeout?: number) {
    const [p, i] = [stripSecrets(properties), stripSecrets(inputs)];
    return this.call("read", urn, { id, properties: p, inputs: i, timeout }, (h) => h.read(urn, id, p, i, timeout));
  }
  update(urn: string, id: string, olds: Props, news: Props, oldInputs: Props, timeout?: number) {
    const [o, n, i] = [stripSecrets(olds), stripSecrets(news), stripSecrets(oldInputs)];
    return this.call("update", urn, { id, olds: o, news: n, oldInputs: i, timeout }, (h) => h.update(urn, id, o, n, i, timeout));
  }
  delete(urn: string, id: string, properties: Props, oldInputs: Props, timeout?: number) {
    const [p, i] = [stripSecrets(properties), stripSecrets(oldInputs)];
    return this.call("delete", urn, { id, properties: p, oldInputs: i, timeout }, (h) => h.delete(urn, id, p, i, timeout));
  }

  async close(): Promise<void> {
    if (this.harness) await (await this.harness).close();
  }
}

/** RegisterResourceRequest.CustomTimeouts → seconds (source_eval.go: `generateTimeoutInSeconds` per non-empty field). */
function timeoutsOf(ct: any): ResourceState["customTimeouts"] {
  if (!ct) return undefined;
  const out: NonNullable<ResourceState["customTimeouts"]> = {};
  for (const k of ["create", "update", "delete", "read"] as const) {
    const text: string = ct[`get${k[0].toUpperCase()}${k.slice(1)}`]();
    if (text) out[k] = durationSeconds(text);
  }
  return Object.keys(out).length ? out : undefined;
}

const message = (e: unknown): string => String((e as any)?.details ?? (e as any)?.message ?? e);

/** diffResource (step_generator.go): the provider's Diff; an "unknown" answer falls back to comparing inputs. */
async function diffResource(p: Provider, s: ResourceState, oldInputs: Props, oldOutputs: Props, newInputs: Props, ignoreChanges: string[]): Promise<{ diff: EngineDiff; raw: ProviderDiff }> {
  const raw = await p.diff(s.urn, s.id ?? "", oldOutputs, newInputs, oldInputs);
  let changes: EngineDiff["changes"];
  if (raw.changes === "unknown") changes = deepEquals(oldInputs, processIgnoreChanges(newInputs, oldInputs, ignoreChanges).inputs) ? "none" : "some";
  else changes = raw.changes;
  const detailed = raw.hasDetailedDiff ? raw.detailedDiff : undefined;
  return { diff: { changes, replaceKeys: raw.replaces, changedKeys: raw.diffs, stableKeys: raw.stables, detailedDiff: detailed, deleteBeforeReplace: raw.deleteBeforeReplace }, raw };
}

/**
 * `RefreshStep.Apply` for every resource of `resources`, then `rebuildBaseState` (resources the provider
 * reports gone are dropped, parents of the survivors repaired is not needed here).
 */
async function refreshAll(p: Provider, resources: ResourceState[], legacy: boolean, errors: string[]): Promise<{ steps: RefreshStep[]; rebuilt: ResourceState[] }> {
  const steps: RefreshStep[] = [];
  const rebuilt: ResourceState[] = [];
  for (const old of resources) {
    // "Component, provider, and pending-replace resources never change with a refresh."
    if (!old.custom) {
      steps.push({ urn: old.urn, type: old.type, custom: false, resultOp: "same", old, new: old });
      rebuilt.push(old);
      continue;
    }
    try {
      const r = await p.read(old.urn, old.id ?? "", old.outputs, old.inputs, old.customTimeouts?.read);
      if (!r.id) {
        steps.push({ urn: old.urn, type: old.type, custom: true, resultOp: "delete", old });
        continue; // "If the ID is blank treat this as a delete"
      }
      const outputs = annotateSecrets(r.properties ?? {}, old.outputs)!;
      const inputs = r.inputs ? annotateSecrets(r.inputs, old.inputs)! : old.inputs;
      const next: ResourceState = { ...clone(old), id: r.id, inputs, outputs };
      markSecretOutputs(next);
      let resultOp: RefreshStep["resultOp"];
      let diff: ProviderDiff | undefined;
      if (legacy) {
        resultOp = deepEquals(old.outputs, next.outputs) ? "same" : "update";
      } else {
        // diffResource(new inputs/outputs as the OLD ones, the old inputs as the NEW ones), then Invert().
        const d = await diffResource(p, next, next.inputs, next.outputs, old.inputs, old.ignoreChanges ?? []);
        diff = d.raw;
        resultOp = d.diff.changes === "none" ? "same" : "update";
      }
      steps.push({ urn: old.urn, type: old.type, custom: true, resultOp, diff, old, new: next });
      rebuilt.push(next);
    } catch (e) {
      errors.push(`${old.urn}: refreshing failed: ${message(e)}`);
      rebuilt.push(old); // a failed refresh step leaves the resource as it was
    }
  }
  return { steps, rebuilt };
}

const count = (ops: string[]): Changes => {
  const c: Changes = {};
  for (const op of ops) c[op as StepOp] = (c[op as StepOp] ?? 0) + 1;
  return c;
};
const anyChange = (c: Changes) => Object.entries(c).some(([op, n]) => op !== "same" && (n ?? 0) > 0);

/**
 * Delete the condemned resources in ScheduleDeletes order (`DeleteStep.Apply`): nothing is deleted in a preview;
 * protected resources fail; retainOnDelete and component resources are only dropped from the state.
 */
async function deleteAll(
  p: Provider,
  condemned: ResourceState[],
  order: ResourceState[],
  preview: boolean,
  errors: string[],
  replaced: Set<ResourceState> = new Set(),
): Promise<{ steps: Step[]; deleted: Set<ResourceState> }> {
  const steps: Step[] = [];
  const deleted = new Set<ResourceState>();
  for (const chain of scheduleDeletes(condemned, order)) {
    for (const old of chain) {
      try {
        if (old.protect) throw new Error(`unable to delete resource "${old.urn}" as it is currently marked for protection`);
        if (!preview && !old.retainOnDelete && old.custom) {
          if (!isDynamic(old.type)) throw new Error(`${old.type}: only dynamic resources have a provider in this engine`);
          await p.delete(old.urn, old.id ?? "", old.outputs, old.inputs, old.customTimeouts?.delete);
        }
        deleted.add(old);
        const name = old.urn.split("::").pop()!;
        // The old half of a replacement is a DeleteReplaced step (not logical: not in the summary).
        const stepOp: StepOp = replaced.has(old) ? "delete-replaced" : "delete";
        steps.push({ urn: old.urn, type: old.type, name, custom: old.custom, parent: old.parent, id: old.id, inputs: old.inputs, outputs: old.outputs, stepOp, op: stepOp, old });
      } catch (e) {
        errors.push(`${old.urn}: deleting failed: ${message(e)}`);
      }
    }
  }
  return { steps, deleted };
}

// ---------------------------------------------------------------------------------------------
// up / preview

export async function runEngine(o: EngineOptions): Promise<EngineResult> {
  const preview = o.preview ?? false;
  const steps: Step[] = [];
  const logs: EngineResult["logs"] = [];
  const policyViolations: EngineResult["policyViolations"] = [];
  const remediations: EngineResult["remediations"] = [];
  const analyzed: TestResource[] = [];
  const errors: string[] = [];
  let sawError = false;
  /** A step failed (not in preview): the deployment is cancelled, later registrations get UNAVAILABLE. */
  let cancelled = false;
  let stackOutputsEvent: Props | undefined;
  let rootUrn = "";
  const provider = new Provider(o.projectRoot);
  const analyzer = o.policyPackDir ? await AnalyzerHarness.start(o.policyPackDir) : undefined;
  if (analyzer && o.policyConfig) await analyzer.configure(o.policyConfig);

  // The base state: the checkpoint, refreshed first with `refresh`.
  let base = clone(resourcesOf(o.state));
  let refreshSteps: RefreshStep[] = [];
  if (o.refresh && base.length) {
    const r = await refreshAll(provider, base, o.legacyRefreshDiff ?? false, errors);
    refreshSteps = r.steps;
    base = r.rebuilt;
  }
  const olds = new Map(base.filter((r) => !r.delete).map((r) => [r.urn, r]));
  /** The states this run produced, in completion order (SnapshotManager: markNew). */
  const news: ResourceState[] = [];
  /** Base resources this run replaced with a new state or deleted (SnapshotManager: markDone). */
  const done = new Set<ResourceState>();
  const registered = new Set<string>();
  /** Old halves of create-before-delete replacements: deleted with the other deletes. */
  const replacedOlds: ResourceState[] = [];

  // Like the engine: a failed step is reported by the ENGINE, and the program is told the monitor is going
  // away (UNAVAILABLE) so it stops quietly; anything else leaves the program hanging (notes §5).
  const fail = (cb: any, e: unknown) => {
    errors.push(message(e));
    sawError = true;
    if (!preview) cancelled = true;
    cb({ code: grpc.status.UNAVAILABLE, details: "resource monitor shut down while waiting on step's done channel" });
  };

  const monitor = {
    supportsFeature(call: any, cb: any) {
      const r = new resproto.SupportsFeatureResponse();
      r.setHassupport(["secrets", "resourceReferences"].includes(call.request.getId()));
      cb(null, r);
    },
    async registerResource(call: any, cb: any) {
      if (cancelled) return cb({ code: grpc.status.UNAVAILABLE, details: "resource monitor shut down while sending resource registration" });
      try {
        const q = call.request;
        const type: string = q.getType();
        const name: string = q.getName();
        const parent: string = q.getParent();
        const custom: boolean = q.getCustom();
        const parentQualified = parent ? parent.split("::")[2] : "";
        const qualified = parentQualified && parentQualified !== STACK_TYPE ? `${parentQualified}$${type}` : type;
        const urn = `urn:pulumi:${o.stack}::${o.project}::${qualified}::${name}`;
        if (registered.has(urn)) throw new Error(`Duplicate resource URN '${urn}'; try giving it a unique name`);
        registered.add(urn);
        const ignoreChanges: string[] = q.getIgnorechangesList();
        const replaceOnChanges: string[] = q.getReplaceonchangesList();
        const deleteBeforeReplace: boolean | undefined = q.getDeletebeforereplacedefined() ? q.getDeletebeforereplace() : undefined;
        const old = olds.get(urn);
        const goal: ResourceState = {
          urn,
          type,
          custom,
          inputs: q.getObject()?.toJavaScript() ?? {},
          outputs: {},
          parent: parent || undefined,
          dependencies: q.getDependenciesList(),
          protect: q.getProtect() || undefined,
          retainOnDelete: (q.hasRetainondelete() && q.getRetainondelete()) || undefined,
          ignoreChanges: ignoreChanges.length ? ignoreChanges : undefined,
          replaceOnChanges: replaceOnChanges.length ? replaceOnChanges : undefined,
          additionalSecretOutputs: q.getAdditionalsecretoutputsList().length ? q.getAdditionalsecretoutputsList() : undefined,
          customTimeouts: timeoutsOf(q.getCustomtimeouts()),
        };
        const goalProps = clone(goal.inputs);
        let inputs = goal.inputs;
        if (old) inputs = processIgnoreChanges(inputs, old.inputs, ignoreChanges).inputs;

        if (custom && !isDynamic(type)) throw new Error(`${type}: only dynamic resources have a provider in this engine`);
        if (custom) {
          const c = await provider.check(urn, old ? old.inputs : {}, inputs);
          if (c.failures.length) throw new Error(`${urn}: ${c.failures.map((f) => `${f.property}: ${f.reason}`).join("; ")}`);
          inputs = annotateSecrets(c.inputs, inputs)!;
        }
        if (analyzer) {
          const r: TestResource = { type, name, urn, props: inputs, parent: parent || undefined };
          for (const rem of (await analyzer.remediate(r)).remediations) {
            if (rem.properties) {
              inputs = rem.properties;
              remediations.push({ urn, policyName: rem.policyName });
            }
          }
          const request = { ...r, props: withoutInternalKeys(inputs) };
          analyzed.push(request);
          const a = await analyzer.analyze(request);
          policyViolations.push(...a.diagnostics.map((d) => ({ ...d, urn, stage: "resource" as const })));
          const mandatory = a.diagnostics.filter((d) => d.enforcementLevel === "mandatory" || d.enforcementLevel === "remediate");
          if (mandatory.length) {
            sawError = true;
            if (!preview) throw new Error(`policy violation: ${mandatory.map((d) => `[${d.policyName}] ${d.message}`).join("; ")}`);
          }
        }

        const next: ResourceState = { ...goal, inputs };
        let stepOp: StepOp = "create";
        let diff: EngineDiff | undefined;
        if (old) {
          if (!custom) {
            diff = { changes: deepEquals(old.inputs, inputs) ? "none" : "some", replaceKeys: [], changedKeys: [], stableKeys: [], deleteBeforeReplace: false };
          } else {
            diff = (await diffResource(provider, old, old.inputs, old.outputs, inputs, ignoreChanges)).diff;
          }
          diff = applyReplaceOnChanges(diff, replaceOnChanges);
          stepOp = diff.changes === "none" ? "same" : isReplace(diff) ? "replace" : "update";
        }

        if (stepOp === "same") {
          next.id = old!.id;
          next.outputs = clone(old!.outputs);
        } else if (stepOp === "update") {
          next.id = old!.id;
          if (custom) {
            next.outputs = preview ? inputs : annotateSecrets((await provider.update(urn, old!.id ?? "", old!.outputs, inputs, old!.inputs, next.customTimeouts?.update)).properties, inputs)!;
          }
        } else {
          if (stepOp === "replace") {
            if (old!.protect && goal.protect) throw new Error(`unable to replace resource "${urn}" as it is currently marked for protection`);
            // "If we are going to perform a replacement, we need to recompute the default values": Check without olds.
            const c = await provider.check(urn, {}, goalProps);
            if (c.failures.length) throw new Error(`${urn}: ${c.failures.map((f) => `${f.property}: ${f.reason}`).join("; ")}`);
            inputs = next.inputs = annotateSecrets(c.inputs, goalProps)!;
            if (deleteBeforeReplace ?? diff!.deleteBeforeReplace) {
              if (!preview && !old!.retainOnDelete) await provider.delete(urn, old!.id ?? "", old!.outputs, old!.inputs, old!.customTimeouts?.delete);
              done.add(old!);
            } else replacedOlds.push(old!);
          }
          if (custom) {
            if (preview) next.outputs = inputs;
            else {
              const c = await provider.create(urn, inputs, next.customTimeouts?.create);
              next.id = c.id;
              next.outputs = annotateSecrets(c.properties, inputs)!;
            }
          }
        }
        markSecretOutputs(next);
        if (old && stepOp !== "replace") done.add(old);
        news.push(next);
        const op: Step["op"] = !custom ? "component" : preview && stepOp === "create" ? "preview" : stepOp;
        steps.push({ urn, type, name, custom, parent: next.parent, id: next.id ?? "", inputs, outputs: next.outputs, stepOp, op, diff, old });

        const resp = new resproto.RegisterResourceResponse();
        resp.setUrn(urn);
        resp.setId(next.id ?? "");
        // source_eval.go RegisterResource: a local component's outputs are not sent back (they come from registerOutputs).
        resp.setObject(structproto.Struct.fromJavaScript(custom ? next.outputs : {}));
        cb(null, resp);
      } catch (e) {
        if (process.env.MINI_DEBUG) console.error("[engine] registerResource failed:", e);
        fail(cb, e);
      }
    },
    registerResourceOutputs(call: any, cb: any) {
      const urn = call.request.getUrn();
      const outs = call.request.getOutputs()?.toJavaScript() ?? {};
      // The stack's outputs are finalized at the end of the deployment (executeRegisterResourceOutputs).
      if (urn === rootUrn || urn.includes(`::${STACK_TYPE}::`)) stackOutputsEvent = outs;
      else {
        const s = news.find((x) => x.urn === urn);
        if (s) s.outputs = outs; // "Unconditionally set the resource's outputs to what was provided."
      }
      const st = steps.find((x) => x.urn === urn);
      if (st) st.outputs = outs;
      cb(null, new emptyproto.Empty());
    },
    registerPackage(call: any, cb: any) {
      const r = new resproto.RegisterPackageResponse();
      r.setRef(`pkg-${call.request.getName()}`);
      cb(null, r);
    },
    signalAndWaitForShutdown(_call: any, cb: any) {
      cb(null, new emptyproto.Empty());
    },
  };
  const engine = {
    log(call: any, cb: any) {
      logs.push({ severity: call.request.getSeverity(), message: call.request.getMessage(), urn: call.request.getUrn() });
      cb(null, new emptyproto.Empty());
    },
    getRootResource(_c: any, cb: any) {
      const r = new engproto.GetRootResourceResponse();
      r.setUrn(rootUrn);
      cb(null, r);
    },
    setRootResource(c: any, cb: any) {
      rootUrn = c.request.getUrn();
      cb(null, new engproto.SetRootResourceResponse());
    },
  };

  const server = new grpc.Server();
  server.addService(resrpc.ResourceMonitorService, monitor as any);
  server.addService(engrpc.EngineService, engine as any);
  const port: number = await new Promise((res, rej) => server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (e, p) => (e ? rej(e) : res(p))));
  const addr = `127.0.0.1:${port}`;

  let exitCode: number | null = null;
  let stdout = "";
  let stderr = "";
  if (!errors.length) {
    const args = [runProgramEntry, `--monitor=${addr}`, `--engine=${addr}`, `--project=${o.project}`, `--stack=${o.stack}`, `--pwd=${o.projectRoot}`, ...(preview ? ["--dry-run"] : []), o.program];
    const child = spawn(process.execPath, args, {
      cwd: o.projectRoot,
      env: { ...process.env, PULUMI_CONFIG: JSON.stringify(o.config ?? {}), PULUMI_CONFIG_SECRET_KEYS: JSON.stringify(o.secretKeys ?? []), ...o.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const killer = setTimeout(() => {
      stderr += "\n[engine] program timed out; killing";
      child.kill("SIGKILL");
    }, o.timeoutMs ?? 120_000);
    exitCode = await new Promise((res) => child.on("exit", (c) => res(c)));
    clearTimeout(killer);
  } else sawError = true; // the refresh before the update failed: the update does not start

  // performPostSteps: only when the program finished and no step failed.
  if (exitCode === 0 && !cancelled) {
    const orphans = base.filter((r) => !r.delete && !registered.has(r.urn));
    const pending = base.filter((r) => r.delete);
    const order = [...base];
    const d = await deleteAll(provider, [...orphans, ...pending, ...replacedOlds], order, preview, errors, new Set([...pending, ...replacedOlds]));
    steps.push(...d.steps);
    for (const r of d.deleted) done.add(r);
    for (const r of replacedOlds) if (!d.deleted.has(r)) r.delete = true;
    if (d.steps.length < orphans.length + pending.length + replacedOlds.length) sawError = true;
  } else sawError = true;

  // Stack outputs: the new ones; after a failure, the old ones overwritten by the new ones.
  const stackState = news.find((r) => r.type === STACK_TYPE);
  const oldStack = base.find((r) => r.type === STACK_TYPE);
  let stackOutputs: Props = stackOutputsEvent ?? {};
  if (stackOutputsEvent && (sawError || exitCode !== 0)) stackOutputs = { ...(oldStack?.outputs ?? {}), ...stackOutputsEvent };
  if (stackState) stackState.outputs = stackOutputs;

  if (analyzer && exitCode === 0 && errors.length === 0) {
    const s = await analyzer.analyzeStack(news.map((x) => ({ type: x.type, name: x.urn.split("::").pop()!, urn: x.urn, props: withoutInternalKeys(x.outputs), parent: x.parent, dependencies: x.dependencies })));
    policyViolations.push(...s.diagnostics.map((d) => ({ ...d, stage: "stack" as const })));
    if (s.diagnostics.some((d) => d.enforcementLevel === "mandatory")) sawError = true;
  }
  await Promise.all([provider.close(), analyzer?.close(), new Promise<void>((r) => server.tryShutdown(() => r()))]);

  const state: Checkpoint = preview
    ? (o.state ?? emptyCheckpoint(o.stack))
    : { version: 3, checkpoint: { stack: o.stack, latest: { resources: [...news, ...base.filter((r) => !done.has(r))] } } };
  // engine/update.go: logical steps only; an `up --refresh`'s refresh steps are not logical (not counted).
  const changes = count(steps.filter((s) => s.stepOp !== "delete-replaced").map((s) => s.stepOp));
  const result = exitCode === 0 && !sawError ? "succeeded" : "failed";
  return {
    exitCode,
    errors,
    steps,
    refreshSteps,
    stackOutputs,
    policyViolations,
    remediations,
    analyzed,
    logs,
    stdout,
    stderr,
    result,
    state,
    changes,
    hasChanges: anyChange(changes),
    providerCalls: provider.calls,
  };
}

// ---------------------------------------------------------------------------------------------
// refresh and destroy (no program)

export interface StateOptions {
  /** The project directory: the plugin's cwd (the serialized provider resolves its modules from there). */
  projectRoot: string;
  state: Checkpoint;
  env?: NodeJS.ProcessEnv;
}

/** `pulumi refresh` (`--preview-only`: a dry run, the checkpoint is kept). */
export async function runRefresh(o: StateOptions & { previewOnly?: boolean; legacyRefreshDiff?: boolean }): Promise<RefreshResult> {
  const provider = new Provider(o.projectRoot, o.env);
  const errors: string[] = [];
  try {
    const { steps, rebuilt } = await refreshAll(provider, clone(resourcesOf(o.state)), o.legacyRefreshDiff ?? false, errors);
    const state: Checkpoint = o.previewOnly ? o.state : { version: 3, checkpoint: { stack: o.state.checkpoint.stack, latest: { resources: rebuilt } } };
    // engine/update.go: every refresh step counts under its ResultOp (components: same).
    const changes = count(steps.map((s) => s.resultOp));
    return { steps, state, changes, hasChanges: anyChange(changes), errors, providerCalls: provider.calls, result: errors.length ? "failed" : "succeeded" };
  } finally {
    await provider.close();
  }
}

/** `pulumi destroy` (without --run-program). */
export async function runDestroy(o: StateOptions & { previewOnly?: boolean }): Promise<DestroyResult> {
  const provider = new Provider(o.projectRoot, o.env);
  const errors: string[] = [];
  try {
    const all = clone(resourcesOf(o.state));
    const { steps, deleted } = await deleteAll(provider, all, all, o.previewOnly ?? false, errors);
    const state: Checkpoint = o.previewOnly ? o.state : { version: 3, checkpoint: { stack: o.state.checkpoint.stack, latest: { resources: all.filter((r) => !deleted.has(r)) } } };
    const changes = count(steps.map((s) => s.stepOp));
    return { steps, state, changes, hasChanges: anyChange(changes), errors, providerCalls: provider.calls, result: errors.length ? "failed" : "succeeded" };
  } finally {
    await provider.close();
  }
}

// ---------------------------------------------------------------------------------------------
// a stack whose checkpoint lives in a file (like `pulumi login file://…`)

export function readCheckpoint(file: string): Checkpoint | undefined {
  return existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as Checkpoint) : undefined;
}

export function writeCheckpoint(file: string, c: Checkpoint): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, JSON.stringify(c, null, 2) + "\n");
  renameSync(tmp, file);
}

/** The CLI's operations on one stack, its checkpoint in `stateFile` (written after every run but a preview). */
export class FileStack {
  constructor(
    readonly stateFile: string,
    readonly options: Omit<EngineOptions, "state" | "preview" | "refresh">,
  ) {}

  get state(): Checkpoint {
    return readCheckpoint(this.stateFile) ?? emptyCheckpoint(this.options.stack);
  }

  /** `pulumi up` (`refresh`: `pulumi up --refresh`). */
  async up(extra: Partial<EngineOptions> = {}): Promise<EngineResult> {
    const r = await runEngine({ ...this.options, ...extra, state: readCheckpoint(this.stateFile), preview: false });
    writeCheckpoint(this.stateFile, r.state);
    return r;
  }

  /** `pulumi preview` (`refresh`: `pulumi preview --refresh`). */
  preview(extra: Partial<EngineOptions> = {}): Promise<EngineResult> {
    return runEngine({ ...this.options, ...extra, state: readCheckpoint(this.stateFile), preview: true });
  }

  /** `pulumi refresh` / `pulumi refresh --preview-only`. */
  async refresh(extra: { previewOnly?: boolean; legacyRefreshDiff?: boolean } = {}): Promise<RefreshResult> {
    const r = await runRefresh({ projectRoot: this.options.projectRoot, env: this.options.env, state: this.state, ...extra });
    if (!extra.previewOnly) writeCheckpoint(this.stateFile, r.state);
    return r;
  }

  /** `pulumi destroy` / `pulumi destroy --preview-only`. */
  async destroy(extra: { previewOnly?: boolean } = {}): Promise<DestroyResult> {
    const r = await runDestroy({ projectRoot: this.options.projectRoot, env: this.options.env, state: this.state, ...extra });
    if (!extra.previewOnly) writeCheckpoint(this.stateFile, r.state);
    return r;
  }
}
