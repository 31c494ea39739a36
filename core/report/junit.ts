import { isProblem, isWarning, type Finding } from "../rules/finding";
import type { RuleGroup } from "../model/spec";
import { causeLabel, causeRank, groupOf, judgedGroups, judgesBeyondKb, plural, rulesWithFindings } from "./common";
import type { RuleInfo, ServerReport } from "./types";
import { escapeXmlAttr as attr, escapeXmlText as text } from "./xml";

const UNKNOWN_HEADING = "Could not check (evidence missing)";

interface Case {
  rule: RuleInfo;
  fails: Finding[];
  warnings: Finding[];
  unknowns: Finding[];
}

function findingBody(f: Finding, group: RuleGroup): string {
  const status = f.status === "unknown" ? "UNKNOWN" : f.severity === "warning" ? "WARNING" : "FAIL";
  return `[${causeLabel(f.cause, group)}] ${status} ${f.target}\n  ${f.message}\n  fix: ${f.remediation}`;
}

function summary(findings: Finding[]): string {
  if (findings.length === 1) return `${findings[0].target}: ${findings[0].message}`;
  return `${plural(findings.length, "target")}: ${findings.map((f) => f.target).join("; ")}`;
}

function testcase(server: string, c: Case): string[] {
  // The KB group keeps the classname it always had; the health group's rules are a class of their own.
  const group = groupOf(c.rule);
  const classname = group === "kb" ? `wsus-iis.${server}` : `wsus-iis.${server}.${group}`;
  const open = `    <testcase classname="${attr(classname)}" name="${attr(`${c.rule.id}: ${c.rule.title}`)}"`;
  const all = [...c.fails, ...c.unknowns];
  const bodyOf = (f: Finding) => findingBody(f, group);
  // A warning does not make the server non-compliant, so it is no <failure>: it is shown as output.
  const out = c.warnings.length > 0 ? [`      <system-out>${text(c.warnings.map(bodyOf).join("\n\n"))}</system-out>`] : [];
  if (all.length === 0) return out.length === 0 ? [`${open}/>`] : [`${open}>`, ...out, "    </testcase>"];
  const body = text(all.map(bodyOf).join("\n\n"));
  const child =
    c.fails.length > 0
      ? `      <failure message="${attr(summary(c.fails))}" type="${attr(causeLabel(c.rule.cause, group))}">${body}</failure>`
      : `      <skipped message="${attr(`${UNKNOWN_HEADING}: ${summary(c.unknowns)}`)}">${body}</skipped>`;
  return [`${open}>`, child, ...out, "    </testcase>"];
}

/**
 * JUnit XML for CI dashboards: one <testsuite> per server, one <testcase> per evaluated rule (KB cause order,
 * layout rules last, then the health rules, whose classname ends in `.health`; the suite's `rule-groups`
 * property says which groups were judged when that is more than the default `kb`). A rule with any failed error finding gets one <failure> listing its problems and
 * unknowns; a rule whose findings are all "unknown" is <skipped> with the reason; warnings (which leave
 * the server compliant) go to the testcase's <system-out>. Every string is XML-escaped and stripped of characters
 * XML 1.0 forbids.
 */
export function renderJunit(reports: readonly ServerReport[]): string {
  const suites: string[] = [];
  let tests = 0;
  let failures = 0;
  let skipped = 0;
  for (const r of reports) {
    const cases: Case[] = rulesWithFindings(r)
      .map((rule, i) => ({ rule, i }))
      .sort((a, b) => causeRank(a.rule.cause) - causeRank(b.rule.cause) || a.i - b.i)
      .map(({ rule }) => {
        const mine = r.report.findings.filter((f) => f.rule === rule.id);
        return {
          rule,
          fails: mine.filter(isProblem),
          warnings: mine.filter(isWarning),
          unknowns: mine.filter((f) => f.status === "unknown"),
        };
      });
    const nFail = cases.filter((c) => c.fails.length > 0).length;
    const nSkip = cases.filter((c) => c.fails.length === 0 && c.unknowns.length > 0).length;
    tests += cases.length;
    failures += nFail;
    skipped += nSkip;
    const props = [
      ...(r.target !== undefined ? [["target", r.target]] : []),
      ["compliant", String(r.report.compliant)],
      ...(r.layout ? [["profile", r.layout.profile], ["configuration", String(r.layout.configuration)], ["layout-reasons", r.layout.reasons.join("; ")]] : []),
      ...(r.notices ?? []).map((n, i) => [`notice-${i + 1}`, n]),
      ...(judgesBeyondKb(r) ? [["rule-groups", judgedGroups(r).join(",")]] : []),
    ].map(([name, value]) => `      <property name="${attr(name)}" value="${attr(value)}"/>`);
    suites.push(
      `  <testsuite name="${attr(r.server)}" hostname="${attr(r.server)}" tests="${cases.length}" failures="${nFail}" errors="0" skipped="${nSkip}">`,
      "    <properties>",
      ...props,
      "    </properties>",
      ...cases.flatMap((c) => testcase(r.server, c)),
      "  </testsuite>",
    );
  }
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="wsus-iis" tests="${tests}" failures="${failures}" errors="0" skipped="${skipped}">`,
    ...suites,
    "</testsuites>",
    "",
  ].join("\n");
}
