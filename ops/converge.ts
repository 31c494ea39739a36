import type { ApplyResponse, JournalEntry } from "../core/agent/protocol";
import { resolveLayout } from "../core/model/layout";
import type { Spec } from "../core/model/spec";
import { plan as makePlan, type Plan } from "../core/plan/planner";
import { evaluate, layoutFor, RULES, toReport, type Report } from "../core/rules";
import { stateFromEvidence } from "../core/state/fromEvidence";
import type { Evidence } from "../core/evidence/schema";
import type { Transport } from "../transports/transport";
import { judge, type LayoutChoice } from "../core/check";
import { EvidenceError } from "../core/evidence/errors";
import { detect } from "../core/model/detect";
import { applyParams, backupName, collectParams } from "./params";

export interface CheckResult {
  report: Report;
  /** The layout the server was judged against (profile and configuration, detected when auto). */
  layout: LayoutChoice;
  evidence: Evidence;
  configHash: string;
  /** The server's latest applies, newest first (an interrupted one, or one nobody received the answer of). */
  journal: JournalEntry[];
  /**
   * The server answered, but its applicationHost.config could not be read (not well-formed XML …): the
   * parser's message. The report then holds one `config-readable` failure and nothing is planned.
   */
  unreadable: string | null;
  /** What the agent could not read (its parts' rules say unknown): the collect answer's notes. */
  notes: string[];
}

/** The report of a server whose applicationHost.config does not parse: one failure naming the parser's message. */
function unreadableReport(message: string): Report {
  return {
    compliant: false,
    findings: [
      {
        rule: "config-readable",
        cause: null,
        severity: "error",
        status: "fail",
        target: "applicationHost.config",
        message: `the server answered, but its applicationHost.config cannot be read: ${message}`,
        remediation: "repair the file (IIS keeps automatic backups in %SystemDrive%\\inetpub\\history) or restore it with appcmd restore backup, then run again",
      },
    ],
  };
}

/**
 * What the server's journal says a person should know: the newest apply, when it was interrupted (its
 * process died after `stepsRun` steps: the server may be half repaired; the IIS backup is kept) or is
 * running right now (another writer).
 */
export function journalNotices(journal: readonly JournalEntry[]): string[] {
  const last = journal[0];
  if (!last) return [];
  if (last.state === "interrupted") {
    return [`an earlier apply (backup ${last.backupName}, started ${last.startedAt}) was interrupted after ${last.stepsRun} of ${last.stepsTotal} step(s): the server may be half repaired; its IIS backup is kept`];
  }
  if (last.state === "running") return [`an apply is running on this server right now (backup ${last.backupName}, started ${last.startedAt})`];
  return [];
}

/** Live check: one round trip (collect), then the rules. */
export async function checkTarget(transport: Transport, spec: Spec): Promise<CheckResult> {
  const layout = resolveLayout(spec);
  const res = await transport.request({ op: "collect", params: collectParams(layout) });
  if (res.op !== "collect") throw new Error("agent answered a collect with " + res.op);
  let judged: ReturnType<typeof judge>;
  try {
    judged = judge(spec, stateFromEvidence(res.evidence, spec));
  } catch (e) {
    // a reachable server with a corrupt config is a result of its own, not "unreachable"
    if (!(e instanceof EvidenceError)) throw e;
    const d = detect(spec, null);
    return {
      report: unreadableReport(e.message),
      layout: { profile: d.profile, configuration: d.configuration, reasons: ["not detected: the server's applicationHost.config could not be read"] },
      evidence: res.evidence,
      configHash: res.configHash,
      journal: res.journal,
      unreadable: e.message,
      notes: res.notes ?? [],
    };
  }
  return { ...judged, evidence: res.evidence, configHash: res.configHash, journal: res.journal, unreadable: null, notes: res.notes ?? [] };
}

/** Plan from a live read (one round trip). */
export async function planTarget(transport: Transport, spec: Spec): Promise<CheckResult & { plan: Plan }> {
  const checked = await checkTarget(transport, spec);
  if (checked.unreadable !== null) {
    const none: Plan = { steps: [], manual: [{ rule: "config-readable", cause: null, text: checked.report.findings[0].remediation }], unresolved: checked.report.findings, touches: [], refused: [] };
    return { ...checked, plan: none };
  }
  const state = stateFromEvidence(checked.evidence, spec);
  return { ...checked, plan: makePlan(spec, state) };
}

export interface ConvergeResult {
  /** The layout the server was judged and repaired against (detected when the spec says auto). */
  layout: LayoutChoice;
  before: Report;
  plan: Plan;
  apply: ApplyResponse | null;
  after: Report;
  /**
   * applied, nothing-to-do, refused-drift, rolled-back, rollback-failed; refused-unsafe: the plan failed
   * its safety checks (plan.refused says why) and nothing was sent.
   */
  status: "nothing-to-do" | "refused-unsafe" | "config-unreadable" | ApplyResponse["status"];
  roundTrips: number;
  configHash: string;
  /** The server's applies before this one, as the read found them (newest first). */
  journal: JournalEntry[];
}

/**
 * Converge a server: read (1 round trip), plan, and when there is anything to do, apply under the
 * read's config hash with backup and rollback, reading back in the same trip (2 round trips).
 */
export async function converge(
  transport: Transport,
  spec: Spec,
  opts: {
    backupName?: string;
    /**
     * Apply exactly this plan, made from this read (what a person was shown and approved), instead of
     * reading again: the apply carries the read's config hash, so a server that changed in between is
     * `refused-drift` and nothing is re-planned behind the person's back.
     */
    read?: CheckResult & { plan: Plan };
    /** How long the agent waits for another apply on the same server (its named mutex / the lab's lock). */
    lockTimeoutMs?: number;
  } = {},
): Promise<ConvergeResult> {
  const start = transport.roundTrips - (opts.read ? 1 : 0);
  const layout = resolveLayout(spec);
  const read = opts.read ?? (await planTarget(transport, spec));
  if (read.plan.steps.length === 0) {
    const status = read.unreadable !== null ? "config-unreadable" : read.plan.refused.length ? "refused-unsafe" : "nothing-to-do";
    return { layout: read.layout, before: read.report, plan: read.plan, apply: null, after: read.report, status, roundTrips: transport.roundTrips - start, configHash: read.configHash, journal: read.journal };
  }
  const res = await transport.request({ op: "apply", params: applyParams(read.plan, read.configHash, layout, opts.backupName ?? backupName(), opts.lockTimeoutMs) });
  if (res.op !== "apply") throw new Error("agent answered an apply with " + res.op);
  // judged against the layout the plan was made for (a repair does not change which WSUS this is)
  const afterState = stateFromEvidence(res.evidence, spec);
  const after = toReport(evaluate(spec, afterState, RULES, layoutFor(spec, stateFromEvidence(read.evidence, spec))));
  return { layout: read.layout, before: read.report, plan: read.plan, apply: res, after, status: res.status, roundTrips: transport.roundTrips - start, configHash: res.configHash, journal: read.journal };
}
