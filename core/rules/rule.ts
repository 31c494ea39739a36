import type { Layout } from "../model/layout";
import type { Spec } from "../model/spec";
import type { ObservedState } from "../state/schema";
import type { RepairAction } from "../plan/actions";
import { describeActions } from "../plan/render";
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
  evaluate(ctx: RuleContext): RuleFinding[];
}

/** A finding plus the repair actions that fix it (the planner's input; stripped from reports). */
export type RuleFinding = Finding & { repair: RepairAction[] };

/** Remediation text defaults to the repair commands; `remediation` adds context or replaces it. */
type FindingArgs = { target: string; message: string; repair?: RepairAction[]; remediation?: string };

/** Finding builders bound to a rule, so rule files stay short and consistent. */
export function findingsFor(rule: Pick<Rule, "id" | "cause" | "severity">) {
  const build = (status: Finding["status"], a: FindingArgs): RuleFinding => {
    const repair = status === "fail" ? (a.repair ?? []) : [];
    const commands = a.repair?.length ? describeActions(a.repair) : "";
    const remediation = [commands, a.remediation].filter(Boolean).join("\n");
    return {
      rule: rule.id,
      cause: rule.cause,
      severity: status === "fail" ? rule.severity : "warning",
      status,
      target: a.target,
      message: a.message,
      remediation,
      repair,
    };
  };
  return {
    fail: (a: FindingArgs) => build("fail", a),
    unknown: (a: FindingArgs) => build("unknown", a),
  };
}

/** Manual step helper: shown to the user, never sent to a server. */
export const manual = (text: string): RepairAction => ({ kind: "manual", text });
