import type { Layout } from "../model/layout";
import type { Spec } from "../model/spec";
import type { ObservedState } from "../state/schema";
import type { Finding } from "./finding";

/** What every rule sees: the spec, the layout it resolves to, and the state to judge (server or declaration). */
export interface RuleContext {
  spec: Spec;
  layout: Layout;
  state: ObservedState;
}

/**
 * One rule = one KB 920659 cause or one layout requirement, with its own remediation text. The same
 * rule objects judge evidence (check), declarations (policy pack) and select repairs (planner).
 */
export interface Rule {
  id: string;
  cause: number | null;
  title: string;
  description: string;
  severity: Finding["severity"];
  evaluate(ctx: RuleContext): Finding[];
}

type FindingArgs = { target: string; message: string; remediation: string };

/** Finding builders bound to a rule, so rule files stay short and consistent. */
export function findingsFor(rule: Pick<Rule, "id" | "cause" | "severity">) {
  return {
    fail: (a: FindingArgs): Finding => ({ rule: rule.id, cause: rule.cause, severity: rule.severity, status: "fail", ...a }),
    unknown: (a: FindingArgs): Finding => ({ rule: rule.id, cause: rule.cause, severity: "warning", status: "unknown", ...a }),
  };
}
