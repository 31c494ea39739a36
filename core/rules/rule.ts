import type { Layout } from "../model/layout";
import type { RuleGroup, Spec } from "../model/spec";
import type { ObservedState } from "../state/schema";
import type { RepairAction } from "../plan/actions";
import { UnsafeArgumentError } from "../commands/quote";
import { describeActions, renderAction } from "../plan/render";
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
  /** `kb`: KB 920659's causes and the layout they imply; `health`: the rest of the IIS state WSUS needs (core/rules/health/). */
  group: RuleGroup;
  /** The Microsoft article behind the rule (SARIF helpUri, report links). */
  helpUri: string;
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
  const build = (status: Finding["status"], a: FindingArgs, severity: Finding["severity"] = rule.severity): RuleFinding => {
    const safe = a.repair ? safeRepairs(a.repair) : undefined;
    const repair = status === "fail" ? (safe ?? []) : [];
    const commands = safe?.length ? describeActions(safe) : "";
    const remediation = [commands, a.remediation].filter(Boolean).join("\n");
    return {
      rule: rule.id,
      cause: rule.cause,
      severity: status === "fail" ? severity : "warning",
      status,
      target: a.target,
      message: a.message,
      remediation,
      repair,
    };
  };
  return {
    fail: (a: FindingArgs) => build("fail", a),
    /** A problem that does not make the server non-compliant (its repair is still planned or shown). */
    warn: (a: FindingArgs) => build("fail", a, "warning"),
    unknown: (a: FindingArgs) => build("unknown", a),
  };
}

/** Manual step helper: shown to the user, never sent to a server. */
export const manual = (text: string): RepairAction => ({ kind: "manual", text });

/**
 * A manual step that shows a command for a person to run. The command is built with the quoting module
 * like every command we send, so a hostile name read from the server (a computer name `X&calc&REM`, a
 * site name with `"`) is never printed as something to paste: the step then says why it is not shown.
 */
export function manualCommand(before: string, build: () => string, after = ""): RepairAction {
  try {
    return manual(`${before}${build()}${after}`);
  } catch (e) {
    if (!(e instanceof UnsafeArgumentError)) throw e;
    return manual(`${before}(no command shown: ${e.message})${after}`);
  }
}

/**
 * Names in repairs come from the spec and from the server (site names, accounts, paths): hostile until
 * the command renderer accepts them. An action it refuses (a quote, `&`, `%`, `<`, a control character
 * … core/commands/quote.ts) becomes a manual step that says why, so a finding never crashes a check and
 * nothing unsafe reaches the planner.
 */
export function safeRepairs(actions: readonly RepairAction[]): RepairAction[] {
  return actions.map((action) => {
    try {
      renderAction(action);
      return action;
    } catch (e) {
      return manual(`not run automatically (${(e as Error).message}); do this ${action.kind} by hand`);
    }
  });
}
