import { resolveLayout, type Layout } from "../model/layout";
import type { Spec } from "../model/spec";
import type { ObservedState } from "../state/schema";
import { defaultSiteAnonymous } from "./defaultSiteAnonymous";
import { defaultSiteLoopback } from "./defaultSiteLoopback";
import type { Finding, Report } from "./finding";
import { layoutAnonymous, layoutRequireSsl, layoutWindowsAuth } from "./layoutAuth";
import { layoutVdirs } from "./layoutVdirs";
import { indexState } from "./query";
import type { Rule, RuleFinding } from "./rule";
import { selfUpdateAcl } from "./selfupdateAcl";
import { selfUpdateAnonymous } from "./selfupdateAnonymous";
import { selfUpdateClientPort } from "./selfupdateClientPort";
import { selfUpdateFiles } from "./selfupdateFiles";
import { selfUpdateVdir } from "./selfupdateVdir";
import { sharePointExclusions } from "./sharePointExclusions";

/** Every rule, KB causes 1..8 in the KB's order, then the layout rules. */
export const RULES: readonly Rule[] = [
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
];

export function ruleById(id: string): Rule | undefined {
  return RULES.find((r) => r.id === id);
}

/** Judge a state (from a server's evidence or from a declaration) against a spec. Pure. */
export function evaluate(spec: Spec, state: ObservedState, rules: readonly Rule[] = RULES, layout: Layout = resolveLayout(spec, state.computerName)): RuleFinding[] {
  indexState(state);
  const ctx = { spec, layout, state };
  return rules.flatMap((rule) => rule.evaluate(ctx));
}

/** The public report: findings without their repair actions. */
export function toReport(findings: readonly (Finding | RuleFinding)[]): Report {
  const clean = findings.map(({ rule, cause, severity, target, message, remediation, status }) => ({ rule, cause, severity, target, message, remediation, status }));
  return { compliant: !clean.some((f) => f.status === "fail"), findings: clean };
}

export type { Rule, RuleContext, RuleFinding } from "./rule";
export type { Finding, Report } from "./finding";
