import { parseSpec, type Spec, type SpecInput } from "./model/spec";
import { evaluate, toReport, type Report } from "./rules";
import { stateFromEvidence } from "./state/fromEvidence";

/** Check a server's evidence bundle against a spec: validate, normalise, judge. Pure (no I/O). */
export function checkEvidence(spec: Spec | SpecInput, evidence: unknown): Report {
  // parseSpec is idempotent, so an already-parsed spec passes through unchanged.
  return toReport(evaluate(parseSpec(spec), stateFromEvidence(evidence)));
}
