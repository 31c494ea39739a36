import { z } from "zod";

import type { Spec } from "../model/spec";
import { evaluate, layoutFor, RULES, toReport } from "../rules";
import { profileFits } from "../rules/profileFits";
import type { RuleFinding } from "../rules/rule";
import { Finding } from "../rules/finding";
import type { ObservedState } from "../state/schema";
import { ACTION_ORDER, actionTouches, RepairAction } from "./actions";
import { renderAction } from "./render";
import { pinInherited, planViolations, simulateAll } from "./safety";
import { simulate } from "./simulate";

export const PlanStep = z.object({
  /** 1-based position: the index reported when a step fails. */
  index: z.number().int(),
  rule: z.string(),
  cause: z.number().int().nullable(),
  action: RepairAction,
  command: z.string(),
});
export type PlanStep = z.infer<typeof PlanStep>;

export const Plan = z.object({
  steps: z.array(PlanStep),
  /** Fixes a person has to make (opt-in not given, or nothing safe to automate). */
  manual: z.array(z.object({ rule: z.string(), cause: z.number().int().nullable(), text: z.string() })),
  /** fail findings the plan does not fix (explained by `manual`), as predicted by the model. */
  unresolved: z.array(Finding),
  /** What the plan changes, so apply backs up only that (IIS config, ACLs …). */
  touches: z.array(z.enum(["iis", "acl", "group", "files", "runtime"])),
  /**
   * Why the plan was refused (core/plan/safety.ts): simulated on the server's state it would leave the
   * Windows-auth vdir open, change what the spec does not own, or break what passed. Then `steps` is
   * empty: nothing is sent.
   */
  refused: z.array(z.string()).default([]),
});
export type Plan = z.infer<typeof Plan>;

const MAX_ROUNDS = 5;
const keyOf = (a: RepairAction) => JSON.stringify(a);

/**
 * The ordered commands that bring `state` to `spec`: pure. Nothing for what complies (an empty plan
 * for a compliant server); only adds and sets, never deletes. Repairs can uncover more work (a
 * recreated site needs its vdirs), so planning runs in rounds over the simulated result until no
 * rule asks for anything new.
 */
export function plan(spec: Spec, state: ObservedState): Plan {
  // One layout for every round: the profile and configuration read from the server as it is now.
  const layout = layoutFor(spec, state);
  const first = evaluate(spec, state, RULES, layout);
  // A profile that does not fit the server repairs nothing (profile-fits-server): every fix is shown only.
  if (first.some((f) => f.rule === profileFits.id && f.status === "fail")) {
    const manual = first.flatMap((f) =>
      f.status === "fail" ? (f.repair.length ? f.repair : [{ kind: "manual" as const, text: f.remediation }]).map((a) => ({ rule: f.rule, cause: f.cause, text: a.kind === "manual" ? a.text : `(not applied: the profile does not fit) ${renderAction(a)}` })) : [],
    );
    return { steps: [], manual, unresolved: toReport(first.filter((f) => f.status === "fail")).findings, touches: [], refused: [] };
  }
  const chosen: { finding: RuleFinding; action: RepairAction }[] = [];
  const seen = new Set<string>();
  let current = state;
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const fresh = evaluate(spec, current, RULES, layout)
      .filter((f) => f.status === "fail")
      .flatMap((finding) => finding.repair.map((action) => ({ finding, action })))
      .filter(({ action }) => !seen.has(keyOf(action)) && (seen.add(keyOf(action)), true));
    if (fresh.length === 0) break;
    fresh.sort((x, y) => ACTION_ORDER[x.action.kind] - ACTION_ORDER[y.action.kind]);
    // Children that inherit a setting this round changes at their parent keep theirs (pinned first).
    const pinned = pinInherited(layout, current, fresh, layout.selfUpdateFiles);
    for (const c of pinned) seen.add(keyOf(c.action));
    chosen.push(...pinned);
    current = pinned.reduce((st, { action }) => simulate(st, action, layout.selfUpdateFiles), current);
  }

  const automatic = chosen.filter((c) => c.action.kind !== "manual");
  const final = simulateAll(state, automatic.map((c) => c.action), layout.selfUpdateFiles);
  const manual = chosen.flatMap(({ finding, action }) => (action.kind === "manual" ? [{ rule: finding.rule, cause: finding.cause, text: action.text }] : []));
  const refused = automatic.length > 0 ? planViolations(spec, layout, state, final) : [];
  if (refused.length > 0) {
    return {
      steps: [],
      manual: [...manual, ...refused.map((r) => ({ rule: "plan-safety", cause: null, text: `plan refused, nothing sent: ${r}` }))],
      unresolved: toReport(first.filter((f) => f.status === "fail")).findings,
      touches: [],
      refused,
    };
  }
  const steps = automatic.map(({ finding, action }, i) => ({
    index: i + 1,
    rule: finding.rule,
    cause: finding.cause,
    action,
    command: renderAction(action)!,
  }));
  const unresolved = toReport(evaluate(spec, final, RULES, layout).filter((f) => f.status === "fail")).findings;
  const touches = [...new Set(steps.map((s) => actionTouches(s.action)))].filter((t): t is Plan["touches"][number] => t !== "none");
  return { steps, manual, unresolved, touches, refused: [] };
}
