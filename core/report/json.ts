import { Report, type Finding } from "../rules/finding";
import { groupsByRule, judgedGroups, judgesBeyondKb } from "./common";
import type { ServerReport } from "./types";

/**
 * Machine-readable report, pretty-printed with a trailing newline.
 * One server: the `Report` schema `{ compliant, findings }`, plus `layout` (the profile and configuration
 * judged against, and why) and `notices` when there are any.
 * Several (or zero) servers: `{ compliant, servers: [{ server, target?, compliant, findings }] }`, where the
 * top-level `compliant` is true only if every server is compliant and there is at least one server.
 *
 * Rule groups: a report that judged more than the default `kb` group (`--rules kb,health`) also says which
 * (`ruleGroups: ["kb", "health"]`), and each of its findings carries its rule's `group` (after `status`).
 * A default report is unchanged: all its findings are `kb`. Fields are only ever added, never renamed.
 */
export function renderJson(reports: readonly ServerReport[]): string {
  let doc: unknown;
  const extra = (r: ServerReport) => ({
    ...(r.layout ? { layout: r.layout } : {}),
    ...(r.notices?.length ? { notices: r.notices } : {}),
    ...(judgesBeyondKb(r) ? { ruleGroups: judgedGroups(r) } : {}),
  });
  if (reports.length === 1) {
    const { compliant, findings } = Report.parse(reports[0].report);
    doc = { compliant, findings: withGroups(reports[0], findings), ...extra(reports[0]) };
  } else {
    doc = {
      compliant: reports.length > 0 && reports.every((r) => r.report.compliant),
      servers: reports.map((r) => {
        const { compliant, findings } = Report.parse(r.report);
        return { server: r.server, ...(r.target !== undefined ? { target: r.target } : {}), compliant, findings: withGroups(r, findings), ...extra(r) };
      }),
    };
  }
  return JSON.stringify(doc, null, 2) + "\n";
}

/** The findings with their rule's group, when the report judged more than `kb` (a finding of no listed rule has none). */
function withGroups(r: ServerReport, findings: Finding[]): (Finding & { group?: string })[] {
  if (!judgesBeyondKb(r)) return findings;
  const byRule = groupsByRule(r);
  return findings.map((f) => {
    const group = byRule.get(f.rule);
    return group ? { ...f, group } : f;
  });
}
