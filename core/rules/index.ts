import { detect } from "../model/detect";
import { resolveLayout, type Layout } from "../model/layout";
import type { Spec } from "../model/spec";
import type { ObservedState } from "../state/schema";
import { defaultSiteAnonymous } from "./defaultSiteAnonymous";
import { defaultSiteLoopback } from "./defaultSiteLoopback";
import { isProblem, type Finding, type Report } from "./finding";
import { layoutAnonymous, layoutRequireSsl, layoutWindowsAuth } from "./layoutAuth";
import { layoutVdirs } from "./layoutVdirs";
import { profileFits } from "./profileFits";
import { indexState } from "./query";
import type { Rule, RuleFinding } from "./rule";
import { selfUpdateAcl } from "./selfupdateAcl";
import { selfUpdateAnonymous } from "./selfupdateAnonymous";
import { selfUpdateClientPort } from "./selfupdateClientPort";
import { selfUpdateFiles } from "./selfupdateFiles";
import { selfUpdateVdir } from "./selfupdateVdir";
import { sharePointExclusions } from "./sharePointExclusions";
import { HEALTH_RULES } from "./health";

/** The KB group: KB causes 1..8 in the KB's order, then the layout rules. */
export const KB_RULES: readonly Rule[] = [
  selfUpdateAcl,
  selfUpdateVdir,
  selfUpdateClientPort,
  selfUpdateAnonymous,
  defaultSiteLoopback,
  defaultSiteAnonymous,
  sharePointExclusions,
  selfUpdateFiles,
  layoutVdirs,
  layoutWindowsAuth,
  layoutAnonymous,
  layoutRequireSsl,
  profileFits,
];

/** Every rule of every group: the KB group, then the health group (core/rules/health/). */
export const RULES: readonly Rule[] = [...KB_RULES, ...HEALTH_RULES];

/** The rules of the groups a spec asks for (`rules`, default `[kb]`). */
export function rulesFor(spec: Pick<Spec, "rules">, rules: readonly Rule[] = RULES): readonly Rule[] {
  const groups = new Set(spec.rules ?? ["kb"]);
  return rules.filter((r) => groups.has(r.group));
}

export function ruleById(id: string): Rule | undefined {
  return RULES.find((r) => r.id === id);
}

/**
 * The layout a spec asks of a state: `auto` profile and configuration read from the server
 * (core/model/detect.ts), or the declaration defaults when the state is a declaration.
 */
export function layoutFor(spec: Spec, state: ObservedState): Layout {
  return resolveLayout(spec, state.computerName, detect(spec, state.source === "declaration" ? null : state));
}

/** Judge a state (from a server's evidence or from a declaration) against a spec. Pure. */
export function evaluate(spec: Spec, state: ObservedState, rules: readonly Rule[] = RULES, layout: Layout = layoutFor(spec, state)): RuleFinding[] {
  indexState(state);
  const ctx = { spec, layout, state };
  // only the groups the spec asks for (`rules`): the default `[kb]` judges exactly as before issue 13
  return rulesFor(spec, rules).flatMap((rule) => rule.evaluate(ctx));
}

export { isProblem, isWarning } from "./finding";

/** The public report: findings without their repair actions. */
export function toReport(findings: readonly (Finding | RuleFinding)[]): Report {
  const clean = findings.map(({ rule, cause, severity, target, message, remediation, status }) => ({ rule, cause, severity, target, message, remediation, status }));
  // Warnings are reported and repaired where a repair exists, but do not make a server non-compliant.
  return { compliant: !clean.some(isProblem), findings: clean };
}

export type { Rule, RuleContext, RuleFinding } from "./rule";
export type { Finding, Report } from "./finding";
