import { parseSpec, type Spec, type SpecInput } from "./model/spec";
import { evaluate, layoutFor, RULES, toReport, type Report } from "./rules";
import type { ObservedState } from "./state/schema";
import { stateFromEvidence } from "./state/fromEvidence";

/** Which layout a server was judged against, and why (every report format shows it). */
export interface LayoutChoice {
  profile: "kb920659" | "modern";
  configuration: 1 | 2;
  /** From the spec, detected on the server, or the default for a declaration: one sentence each. */
  reasons: string[];
}

/** Judge a state against a spec: the report and the layout chosen for it. Pure. */
export function judge(spec: Spec, state: ObservedState): { report: Report; layout: LayoutChoice } {
  const layout = layoutFor(spec, state);
  return {
    report: toReport(evaluate(spec, state, RULES, layout)),
    layout: { profile: layout.profile, configuration: layout.configuration, reasons: layout.detection.reasons },
  };
}

/** Check a server's evidence bundle against a spec: validate, normalise, judge. Pure (no I/O). */
export function checkEvidence(spec: Spec | SpecInput, evidence: unknown): Report {
  return checkEvidenceWithLayout(spec, evidence).report;
}

export function checkEvidenceWithLayout(spec: Spec | SpecInput, evidence: unknown): { report: Report; layout: LayoutChoice } {
  // parseSpec is idempotent, so an already-parsed spec passes through unchanged.
  const parsed = parseSpec(spec);
  return judge(parsed, stateFromEvidence(evidence, parsed));
}
