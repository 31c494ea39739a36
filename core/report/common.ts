import { isProblem, isWarning, type Finding } from "../rules/finding";
import { RULE_GROUPS, type RuleGroup } from "../model/spec";
import { KB2737219, KB4490414, KB920659 } from "../rules/sources";
import type { RuleInfo, ServerReport } from "./types";

/** KB 920659, the article whose causes the rules are numbered after. */
export const KB_URL =
  "https://learn.microsoft.com/troubleshoot/windows-server/installing-updates-features-roles/wsus-selfupdate-not-send-automatic-updates";

/** How each group is headed in the text report (and named in SARIF help and the docs). */
export const GROUP_TITLES: Record<RuleGroup, string> = {
  kb: "KB 920659",
  health: "WSUS IIS health",
};

/** The group of a rule as a report lists it: a RuleInfo from before the groups is `kb`. */
export const groupOf = (rule: Pick<RuleInfo, "group">): RuleGroup => rule.group ?? "kb";

/** "KB 4490414" for the Microsoft articles the rules cite (core/rules/sources.ts); else the URL itself. */
export function articleName(uri: string): string {
  const known: Record<string, string> = { [KB920659]: "KB 920659", [KB4490414]: "KB 4490414", [KB2737219]: "KB 2737219" };
  return known[uri] ?? uri;
}

/** Sort key for a cause: KB causes 1..8 in KB order, layout rules (null) after them. */
export function causeRank(cause: number | null): number {
  return cause === null ? 9 : cause;
}

/**
 * "cause 4", "layout" or "health": how a finding's origin is named in every format. The health group's
 * rules have no KB cause either; they are not layout rules.
 */
export function causeLabel(cause: number | null, group: RuleGroup = "kb"): string {
  if (cause !== null) return `cause ${cause}`;
  return group === "health" ? "health" : "layout";
}

/** The groups a report judged, in the order of RULE_GROUPS (a RuleInfo without a group is `kb`). */
export function judgedGroups(report: Pick<ServerReport, "rules">): RuleGroup[] {
  const seen = new Set(report.rules.map(groupOf));
  return RULE_GROUPS.filter((g) => seen.has(g));
}

/** Whether a report judged anything but the default `kb` group (then the reports name the groups). */
export function judgesBeyondKb(report: Pick<ServerReport, "rules">): boolean {
  return judgedGroups(report).some((g) => g !== "kb");
}

/** Rule id → group, for the rules a report lists (a finding of an unlisted rule has none). */
export function groupsByRule(report: Pick<ServerReport, "rules">): Map<string, RuleGroup> {
  const out = new Map<string, RuleGroup>();
  for (const r of report.rules) if (!out.has(r.id)) out.set(r.id, groupOf(r));
  return out;
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
