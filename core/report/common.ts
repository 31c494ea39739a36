import { isProblem, isWarning, type Finding } from "../rules/finding";
import type { RuleInfo, ServerReport } from "./types";

/** KB 920659, the article whose causes the rules are numbered after. */
export const KB_URL =
  "https://learn.microsoft.com/troubleshoot/windows-server/installing-updates-features-roles/wsus-selfupdate-not-send-automatic-updates";

/** Sort key for a cause: KB causes 1..8 in KB order, layout rules (null) after them. */
export function causeRank(cause: number | null): number {
  return cause === null ? 9 : cause;
}

/** "cause 4" or "layout": how a finding's origin is named in every format. */
export function causeLabel(cause: number | null): string {
  return cause === null ? "layout" : `cause ${cause}`;
}

/**
 * The rules of one server, plus a stand-in for every rule id that a finding names but `rules` does not list,
 * so that no finding is ever dropped by a renderer that goes rule by rule.
 */
export function rulesWithFindings(report: ServerReport): RuleInfo[] {
  const out: RuleInfo[] = [];
  const seen = new Set<string>();
  for (const r of report.rules) {
    if (seen.has(r.id)) continue;
    seen.add(r.id);
    out.push(r);
  }
  for (const f of report.report.findings) {
    if (seen.has(f.rule)) continue;
    seen.add(f.rule);
    out.push({ id: f.rule, cause: f.cause, title: f.rule, description: "" });
  }
  return out;
}

/** Findings ordered by KB cause (1..8, then layout), then by the rule order given, then as they came (stable). */
export function orderFindings(findings: readonly Finding[], rules: readonly RuleInfo[]): Finding[] {
  const ruleIndex = new Map(rules.map((r, i) => [r.id, i] as const));
  const idx = (f: Finding) => ruleIndex.get(f.rule) ?? Number.MAX_SAFE_INTEGER;
  return [...findings].sort((a, b) => causeRank(a.cause) - causeRank(b.cause) || idx(a) - idx(b));
}

/** problems: failed errors (non-compliant); warnings: failed warnings; unknown: rules that could not run. */
export function countStatus(findings: readonly Finding[]): { problems: number; warnings: number; unknown: number } {
  let problems = 0;
  let warnings = 0;
  let unknown = 0;
  for (const f of findings) {
    if (isProblem(f)) problems++;
    else if (isWarning(f)) warnings++;
    else unknown++;
  }
  return { problems, warnings, unknown };
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}
