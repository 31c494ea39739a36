import { z } from "zod";
import type { ApplyParams } from "../core/agent/protocol";
import type { LayoutChoice } from "../core/check";
import { sshFilePath, SshOptionError } from "../transports/ssh";
import { resolveLayout } from "../core/model/layout";
import { describeIssues, SpecSchema, type Spec, type SpecInput } from "../core/model/spec";
import { plan as makePlan } from "../core/plan/planner";
import type { Finding } from "../core/rules/finding";
import { stateFromEvidence } from "../core/state/fromEvidence";
import { converge, planTarget } from "../ops/converge";
import { applyRequest, backupName, collectParams } from "../ops/params";
import { formatTarget, openTransport, parseTarget, TargetError, type Transport } from "../transports";
import type { AgentAnswer, AgentRequest, CollectResponse } from "../core/agent/protocol";
import { mergeOwned, OwnedList, ownedFromSteps, undoCollectParams, undoSteps, type OwnedItem } from "./undo";

/**
 * The implementation behind the WsusIisServer dynamic provider (provider/provider.ts loads this
 * module lazily, by package self-reference `wsus-iis/provider-runtime`, inside the plugin process).
 * Plain functions over plain data: every method gets what the engine sent and returns what the
 * engine stores. Nothing here is serialized with the provider, so it may import anything.
 *
 * Secrets: `credentials` arrive as plain values (the dynamic-provider plugin does not accept secrets;
 * the engine unwraps them) and are kept secret in state by the resource's additionalSecretOutputs.
 * Every error leaving this module goes through `fail`, which removes credential values from the
 * message and drops the stack frames.
 */

/** The engine's sentinel for values not known yet (preview with computed inputs). */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
const SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
/** Keys the engine or the resource put next to the inputs that are not inputs. */
const OUTPUT_KEYS = new Set([
  "__provider",
  "compliant",
  "findings",
  "appliedCommands",
  "configHash",
  "status",
  "backupName",
  "roundTrips",
  "owned",
  "pendingSteps",
  "manualSteps",
  "layout",
]);

export interface Credentials {
  /** Path of the ssh private key (`ssh -i`). */
  sshIdentity?: string;
  /** known_hosts file to verify the host key against. */
  knownHostsFile?: string;
}

/** What the resource sends (the engine's `news` / `inputs`). */
export interface ProviderInputs {
  spec: SpecInput;
  target: string;
  credentials?: Credentials;
  removeOnDelete?: boolean;
}

export type ServerStatus = "applied" | "nothing-to-do" | "observed";

/** What the provider stores (`outs`): the inputs plus the result of the last converge / read. */
export interface ProviderOutputs extends ProviderInputs {
  /** No fail finding after the last converge / read. */
  compliant: boolean;
  /** Public findings (rule, cause, severity, target, message, remediation, status) of the last converge / read. */
  findings: Finding[];
  /** Plan commands the last create/update ran on the server (empty when nothing had to change). */
  appliedCommands: string[];
  /** sha256 of applicationHost.config as last seen. */
  configHash: string;
  /** "applied" / "nothing-to-do" (last converge), "observed" (read without a converge before). */
  status: ServerStatus | string;
  /** `appcmd add backup` name taken before the last IIS change, or null. */
  backupName: string | null;
  /** Round trips of the last operation (converge: 1 or 2; read: 1). */
  roundTrips: number;
  /** What this resource added to the server (removed again on delete when removeOnDelete is true). */
  owned: OwnedItem[];
  /**
   * The profile and configuration the server was judged and repaired against, and why: the spec's, or
   * read from the server when the spec says auto (a declaration is made concrete before any repair).
   */
  layout: LayoutChoice;
  /** Automatic repair steps the last read (or post-apply state) still plans: > 0 means drift `pulumi up` repairs. */
  pendingSteps: number;
  /** Fixes a person has to make (opt-in repairs not given, or nothing safe to automate). */
  manualSteps: string[];
}

export interface CheckFailure {
  property: string;
  reason: string;
}

// ---------------------------------------------------------------------------------------------
// errors and secrets

export class WsusIisProviderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "WsusIisProviderError";
    // One line, no frames: the plugin prints `${e}: ${e.stack}` and sends e.message to the engine.
    this.stack = `${this.name}: ${message}`;
  }
}

/** Every credential value (and nothing else) that must never appear in a message. */
function secretsOf(raw: unknown): string[] {
  const c = (unsecret(raw) as { credentials?: unknown } | undefined)?.credentials;
  if (!c || typeof c !== "object") return [];
  return Object.values(c as Record<string, unknown>).filter((v): v is string => typeof v === "string" && v.length > 0);
}

export function redact(message: string, secrets: readonly string[]): string {
  let out = message;
  for (const s of [...secrets].sort((a, b) => b.length - a.length)) out = out.split(s).join("[secret]");
  return out;
}

function fail(message: string, raw: unknown): never {
  throw new WsusIisProviderError(redact(message, secretsOf(raw)));
}

/** Run `fn`; any error becomes a WsusIisProviderError with a redacted, frame-free message. */
async function guarded<T>(raw: unknown[], fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    const secrets = raw.flatMap(secretsOf);
    if (e instanceof WsusIisProviderError) throw new WsusIisProviderError(redact(e.message, secrets));
    const msg = e instanceof Error ? e.message : String(e);
    throw new WsusIisProviderError(redact(msg, secrets));
  }
}

/** Secret values as the SDK's signature objects (direct calls, mocks) → plain values. */
export function unsecret(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(unsecret);
  if (v && typeof v === "object") {
    const o = v as Record<string, unknown>;
    if (o[SIG_KEY] === SECRET_SIG) return unsecret(o.value);
    return Object.fromEntries(Object.entries(o).filter(([, x]) => x !== undefined).map(([k, x]) => [k, unsecret(x)]));
  }
  return v;
}

const containsUnknown = (v: unknown): boolean =>
  v === UNKNOWN || (Array.isArray(v) ? v.some(containsUnknown) : !!v && typeof v === "object" && Object.values(v).some(containsUnknown));

// ---------------------------------------------------------------------------------------------
// input validation

const CredentialsSchema = z.strictObject({
  sshIdentity: z.string().min(1).optional(),
  knownHostsFile: z.string().min(1).optional(),
});

/** Field-named failures for one inputs object; values are shown except for credentials. */
export function validateInputs(raw: unknown): CheckFailure[] {
  const news = unsecret(raw) as Record<string, unknown> | undefined;
  const failures: CheckFailure[] = [];
  if (!news || typeof news !== "object" || Array.isArray(news)) return [{ property: "", reason: "inputs: expected an object" }];

  if (news.spec === undefined) failures.push({ property: "spec", reason: "spec: required (use {} for the profile's defaults)" });
  else if (!containsUnknown(news.spec)) {
    const r = SpecSchema.safeParse(news.spec);
    if (!r.success) {
      for (const i of describeIssues(r.error.issues, news.spec)) failures.push({ property: "spec", reason: `spec${i.path ? "." + i.path : ""}: ${i.message}` });
    }
  }

  if (news.target === undefined) failures.push({ property: "target", reason: "target: required (lab:DIR, local or ssh://user@host[:port])" });
  else if (news.target !== UNKNOWN) {
    if (typeof news.target !== "string") failures.push({ property: "target", reason: `target: expected a string, got ${JSON.stringify(news.target)}` });
    else {
      try {
        parseTarget(news.target);
      } catch (e) {
        if (!(e instanceof TargetError)) throw e;
        failures.push({ property: "target", reason: e.message });
      }
    }
  }

  if (news.credentials !== undefined && !containsUnknown(news.credentials)) {
    const r = CredentialsSchema.safeParse(news.credentials);
    if (r.success) {
      // the same path checks as the CLI (transports/ssh.ts): refused here, at check, not mid-operation
      for (const [key, option] of [["sshIdentity", "identityFile"], ["knownHostsFile", "knownHostsFile"]] as const) {
        const v = r.data[key];
        if (v === undefined) continue;
        try {
          sshFilePath(option, v);
        } catch (e) {
          if (!(e instanceof SshOptionError)) throw e;
          failures.push({ property: "credentials", reason: `credentials.${key}: ${e.detail}` });
        }
      }
    } else {
      // Never echo credential values: name the field and what was expected only.
      for (const i of r.error.issues) {
        const path = ["credentials", ...i.path.map(String)].join(".");
        const what = i.code === "unrecognized_keys" ? `unknown key(s) ${(i as { keys?: string[] }).keys?.map((k) => JSON.stringify(k)).join(", ")} (expected sshIdentity, knownHostsFile)` : "expected a non-empty string (value not shown)";
        failures.push({ property: "credentials", reason: `${path}: ${i.code === "invalid_type" && i.path.length === 0 ? "expected an object (value not shown)" : what}` });
      }
    }
  }

  if (news.removeOnDelete !== undefined && news.removeOnDelete !== UNKNOWN && typeof news.removeOnDelete !== "boolean") {
    failures.push({ property: "removeOnDelete", reason: `removeOnDelete: expected a boolean, got ${JSON.stringify(news.removeOnDelete)}` });
  }

  for (const k of Object.keys(news)) {
    if (!["spec", "target", "credentials", "removeOnDelete"].includes(k) && !OUTPUT_KEYS.has(k)) {
      failures.push({ property: k, reason: `${k}: unknown input (expected spec, target, credentials, removeOnDelete)` });
    }
  }
  return failures;
}

interface Parsed {
  spec: Spec;
  target: string;
  inputs: ProviderInputs;
  ssh: { identityFile?: string; knownHostsFile?: string };
  removeOnDelete: boolean;
}

/** The inputs part of an inputs/outputs object, undefined fields dropped. */
function inputsOf(raw: Record<string, unknown>): ProviderInputs {
  const out: Record<string, unknown> = { spec: raw.spec, target: raw.target };
  if (raw.credentials !== undefined) out.credentials = raw.credentials;
  if (raw.removeOnDelete !== undefined) out.removeOnDelete = raw.removeOnDelete;
  return out as unknown as ProviderInputs;
}

function parseInputs(raw: unknown): Parsed {
  const failures = validateInputs(raw);
  if (failures.length) fail(`invalid inputs:\n${failures.map((f) => `  ${f.reason}`).join("\n")}`, raw);
  const news = unsecret(raw) as Record<string, unknown>;
  const spec = SpecSchema.parse(news.spec);
  const creds = (news.credentials ?? {}) as Credentials;
  return {
    spec,
    target: formatTarget(parseTarget(news.target as string)),
    inputs: inputsOf(news),
    ssh: { identityFile: creds.sshIdentity, knownHostsFile: creds.knownHostsFile },
    removeOnDelete: news.removeOnDelete === true,
  };
}

function transportFor(p: Parsed, targetText: string): Transport {
  return openTransport(targetText, { ssh: { identityFile: p.ssh.identityFile, knownHostsFile: p.ssh.knownHostsFile } });
}

/** A transport that remembers the last collect answer (the state a plan was made from). */
function recording(t: Transport): { transport: Transport; lastCollect: () => CollectResponse | undefined } {
  let last: CollectResponse | undefined;
  const transport: Transport = {
    target: t.target,
    get roundTrips() {
      return t.roundTrips;
    },
    async request(req: AgentRequest): Promise<AgentAnswer> {
      const res = await t.request(req);
      if (res.op === "collect") last = res;
      return res;
    },
  };
  return { transport, lastCollect: () => last };
}

/** Sorted-keys JSON: equal for equal data whatever the key order. */
export function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(",")}]`;
  if (v && typeof v === "object") {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .filter((k) => o[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableJson(o[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(v) ?? "null";
}

/** JSON-clean (no undefined, no class instances): what a protobuf Struct can carry. */
const plain = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

const firstLine = (s: string) =>
  s
    .split(/\r?\n/)
    .map((l) => l.trim())
    .find((l) => l !== "") ?? "";

// ---------------------------------------------------------------------------------------------
// the provider methods

export async function check(olds: unknown, news: unknown): Promise<{ inputs: Record<string, unknown>; failures: CheckFailure[] }> {
  return guarded([olds, news], async () => {
    const failures = validateInputs(news);
    const inputs = plain((news ?? {}) as Record<string, unknown>);
    return { inputs, failures };
  });
}

function sameSpec(a: unknown, b: unknown): boolean {
  const pa = SpecSchema.safeParse(a ?? {});
  const pb = SpecSchema.safeParse(b ?? {});
  if (pa.success && pb.success) return stableJson(pa.data) === stableJson(pb.data);
  return stableJson(a) === stableJson(b);
}

function sameTarget(a: unknown, b: unknown): boolean {
  if (typeof a !== "string" || typeof b !== "string") return a === b;
  try {
    return formatTarget(parseTarget(a)) === formatTarget(parseTarget(b));
  } catch {
    return a === b;
  }
}

export interface DiffResult {
  changes: boolean;
  replaces: string[];
  deleteBeforeReplace: false;
  /** Which inputs differ (informational; the dynamic-provider plugin forwards changes/replaces only). */
  changed: string[];
}

/**
 * changes when spec (compared parsed, so `{}` equals explicit defaults), target or removeOnDelete
 * differ, or when the last converge or read left the server non-compliant or with repairable drift
 * (`compliant` false, `pendingSteps` > 0): an update then re-checks, repairs what it can and reports
 * the manual steps, and `pulumi preview --refresh --expect-no-changes` fails on any non-compliant
 * server. Only a different target replaces (another server).
 *
 * Credentials are not compared: the same key at another path (a laptop, a CI runner) is no reason to
 * converge a server. New credentials are used and stored by the next update; a refresh uses those of
 * the last update (the engine hands Read the stored outputs only: sdk/nodejs/cmd/dynamic-provider
 * index.ts `read`, and a no-change diff keeps the old outputs: pkg/resource/deploy/step.go SameStep).
 */
export async function diff(_id: string, olds: unknown, news: unknown): Promise<DiffResult> {
  return guarded([olds, news], async () => {
    const o = (unsecret(olds) ?? {}) as Record<string, unknown>;
    const n = (unsecret(news) ?? {}) as Record<string, unknown>;
    const changed: string[] = [];
    const replaces: string[] = [];
    if (n.target === UNKNOWN || !sameTarget(o.target, n.target)) {
      changed.push("target");
      replaces.push("target");
    }
    if (containsUnknown(n.spec) || !sameSpec(o.spec, n.spec)) changed.push("spec");
    if (n.removeOnDelete === UNKNOWN || (o.removeOnDelete ?? false) !== (n.removeOnDelete ?? false)) changed.push("removeOnDelete");
    const drifted = (typeof o.pendingSteps === "number" && o.pendingSteps > 0) || o.compliant === false;
    if (drifted && changed.length === 0) changed.push("drift");
    return { changes: changed.length > 0, replaces, deleteBeforeReplace: false, changed };
  });
}

async function convergeTo(raw: unknown, previous: Record<string, unknown> | undefined): Promise<ProviderOutputs> {
  const p = parseInputs(raw);
  const rec = recording(transportFor(p, p.target));
  const r = await converge(rec.transport, p.spec);
  const where = p.target;
  if (r.status === "refused-unsafe") {
    fail(`${where}: the repair plan was refused, nothing was changed: ${r.plan.refused.join("; ")}`, raw);
  }
  if (r.status === "refused-drift") {
    fail(`${where}: apply refused: applicationHost.config changed between the read and the apply (someone else is editing IIS); nothing was changed, run the update again`, raw);
  }
  if (r.status === "rolled-back") {
    const f = r.apply?.failed;
    const out = f ? firstLine(f.stderr || f.stdout) : "";
    const cmd = f ? `(exit ${f.exitCode}): ${f.command}${out ? ` -> ${out}` : ""}` : "";
    if (f && f.index === 0) fail(`${where}: the safety backup before any change failed ${cmd}; nothing was changed`, raw);
    fail(`${where}: ${f ? `step ${f.index} failed ${cmd}` : "a step failed"}; every change was rolled back, the server is as it was`, raw);
  }
  if (r.status === "rollback-failed") {
    const f = r.apply?.failed;
    const bad = r.apply?.rollback.filter((x) => x.exitCode !== 0).map((x) => x.command) ?? [];
    fail(
      `${where}: step ${f?.index ?? "?"} failed (${f?.command ?? "?"}) and restoring failed too (${bad.join("; ")}); the server needs a person: ` +
        (r.apply?.backupName ? `the IIS configuration from before is in backup "${r.apply.backupName}" (appcmd restore backup "${r.apply.backupName}")` : "no IIS backup was taken"),
      raw,
    );
  }
  const before = rec.lastCollect();
  const newlyOwned = r.apply && before ? ownedFromSteps(r.plan.steps, stateFromEvidence(before.evidence, p.spec)) : [];
  const previousOwned = OwnedList.safeParse(previous?.owned ?? []);
  let pendingSteps = 0;
  let manual = r.plan.manual.map((m) => m.text);
  if (r.apply) {
    const after = makePlan(p.spec, stateFromEvidence(r.apply.evidence, p.spec));
    pendingSteps = after.steps.length;
    manual = after.manual.map((m) => m.text);
  }
  return plain({
    ...p.inputs,
    compliant: r.after.compliant,
    findings: r.after.findings,
    appliedCommands: (r.apply?.results ?? []).filter((x) => x.index > 0).map((x) => x.command),
    configHash: r.configHash,
    status: r.status,
    backupName: r.apply?.backupName ?? null,
    roundTrips: r.roundTrips,
    owned: mergeOwned(previousOwned.success ? previousOwned.data : [], newlyOwned),
    pendingSteps,
    manualSteps: manual,
    layout: r.layout,
  });
}

/**
 * Converge the server to the spec (one read + one apply round trip). Fails (the engine reports the
 * resource failed) when the apply is refused for drift, rolled back, could not be rolled back, or the
 * server cannot be reached. Succeeds with `compliant: false` and the findings when what is left needs
 * a person (manual fixes the spec did not opt into).
 */
export async function create(inputs: unknown): Promise<{ id: string; outs: ProviderOutputs }> {
  return guarded([inputs], async () => {
    const outs = await convergeTo(inputs, undefined);
    return { id: outs.target ? formatTarget(parseTarget(outs.target)) : "", outs };
  });
}

export async function update(_id: string, olds: unknown, news: unknown): Promise<{ outs: ProviderOutputs }> {
  return guarded([olds, news], async () => ({ outs: await convergeTo(news, unsecret(olds) as Record<string, unknown>) }));
}

/**
 * Live read (one round trip, `pulumi refresh`): current compliance, findings and config hash; inputs
 * kept. `pulumi import` cannot reach here: the engine's import calls Read with no state, and the
 * dynamic-provider plugin fails on the missing `__provider` first (pkg/resource/deploy/step.go
 * ImportStep; pulumi/pulumi#3550, #16175, #17698). Adopt a server by declaring it and running `pulumi
 * up` (a compliant one gives nothing-to-do). Without a target in the properties, the id is the target.
 */
export async function read(id: string, props: unknown): Promise<{ id: string; props: ProviderOutputs; inputs: ProviderInputs }> {
  return guarded([props], async () => {
    const p0 = (unsecret(props) ?? {}) as Record<string, unknown>;
    const raw = { ...p0, target: typeof p0.target === "string" && p0.target ? p0.target : id, spec: p0.spec ?? {} };
    const p = parseInputs(Object.fromEntries(Object.entries(raw).filter(([k]) => !OUTPUT_KEYS.has(k) || k === "__provider")));
    const t = transportFor(p, p.target);
    const checked = await planTarget(t, p.spec);
    const owned = OwnedList.safeParse(p0.owned ?? []);
    const outs: ProviderOutputs = plain({
      ...p.inputs,
      compliant: checked.report.compliant,
      findings: checked.report.findings,
      appliedCommands: Array.isArray(p0.appliedCommands) ? (p0.appliedCommands as string[]) : [],
      configHash: checked.configHash,
      status: typeof p0.status === "string" ? p0.status : "observed",
      backupName: typeof p0.backupName === "string" ? p0.backupName : null,
      // volatile: the last converge's count stays (a read's own count would make a false diff under
      // PULUMI_ENABLE_LEGACY_REFRESH_DIFF, which compares outputs)
      roundTrips: typeof p0.roundTrips === "number" ? p0.roundTrips : t.roundTrips,
      owned: owned.success ? owned.data : [],
      pendingSteps: checked.plan.steps.length,
      manualSteps: checked.plan.manual.map((m) => m.text),
      layout: checked.layout,
    });
    return { id: p.target, props: outs, inputs: plain(p.inputs) };
  });
}

/**
 * Default: leave the server as it is (removing WSUS's virtual directories would break WSUS). With
 * `removeOnDelete: true`: remove exactly what this resource added (`owned`) and is still there as it
 * was added, in one read + one apply round trip under the agent's drift guard, backup and rollback.
 */
export async function deleteResource(id: string, props: unknown): Promise<{ removed: string[]; skipped: { item: OwnedItem; reason: string }[] }> {
  return guarded([props], async () => {
    const p0 = (unsecret(props) ?? {}) as Record<string, unknown>;
    if (p0.removeOnDelete !== true) return { removed: [], skipped: [] };
    const owned = OwnedList.safeParse(p0.owned ?? []);
    if (!owned.success) fail(`${id}: the resource's record of what it added (owned) is unreadable; nothing was removed`, props);
    if (owned.data.length === 0) return { removed: [], skipped: [] };
    const raw = { spec: p0.spec ?? {}, target: typeof p0.target === "string" && p0.target ? p0.target : id, credentials: p0.credentials };
    const p = parseInputs(raw);
    const layout = resolveLayout(p.spec);
    const t = transportFor(p, p.target);
    const collect = undoCollectParams(collectParams(layout), owned.data);
    const res = await t.request({ op: "collect", params: collect });
    if (res.op !== "collect") fail(`${p.target}: agent answered a collect with ${res.op}`, props);
    const undo = undoSteps(owned.data, stateFromEvidence(res.evidence, { rules: ["kb"] })); // undo touches only what the KB layout added
    if (undo.steps.length === 0) return { removed: [], skipped: undo.skipped };
    const params: ApplyParams = applyRequest({
      configHash: res.configHash,
      backupName: backupName(),
      steps: undo.steps.map((s) => ({ index: s.index, command: s.command })),
      aclPaths: [...new Set(undo.steps.flatMap((s) => (s.item.kind === "ace" ? [s.item.path] : [])))],
      // Removals are not undone by the agent's group logic (it removes added members); they run last.
      groupAdds: [],
      touchesIis: undo.steps.some((s) => ["vdir", "app", "site", "binding"].includes(s.item.kind)),
      collect,
    });
    const applied = await t.request({ op: "apply", params });
    if (applied.op !== "apply") fail(`${p.target}: agent answered an apply with ${applied.op}`, props);
    if (applied.status === "refused-drift") fail(`${p.target}: removal refused: applicationHost.config changed between the read and the apply; nothing was removed, run the delete again`, props);
    if (applied.status !== "applied") {
      const f = applied.failed;
      fail(
        `${p.target}: removing what the resource added failed at step ${f?.index ?? "?"} (${f?.command ?? "?"}${f ? ` -> ${firstLine(f.stderr || f.stdout)}` : ""}); ` +
          (applied.status === "rolled-back" ? "everything was restored" : `restoring failed too: IIS backup "${applied.backupName}" holds the configuration from before`),
        props,
      );
    }
    return { removed: undo.steps.map((s) => s.command), skipped: undo.skipped };
  });
}
