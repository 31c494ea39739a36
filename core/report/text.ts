import type { RuleGroup } from "../model/spec";
import type { Finding } from "../rules/finding";
import { GROUP_TITLES, KB_URL, articleName, causeLabel, countStatus, groupOf, groupsByRule, judgedGroups, judgesBeyondKb, orderFindings, plural, rulesWithFindings } from "./common";
import type { ServerReport } from "./types";

export interface TextOptions {
  /** ANSI colours; off unless asked for (the CLI decides from TTY / NO_COLOR / --color). */
  color?: boolean;
}

type Paint = (s: string) => string;
interface Palette {
  bold: Paint;
  dim: Paint;
  red: Paint;
  green: Paint;
  yellow: Paint;
  magenta: Paint;
  cyan: Paint;
}

const sgr =
  (open: number, close: number): Paint =>
  (s) =>
    `\u001b[${open}m${s}\u001b[${close}m`;
const COLOR: Palette = {
  bold: sgr(1, 22),
  dim: sgr(2, 22),
  red: sgr(31, 39),
  green: sgr(32, 39),
  yellow: sgr(33, 39),
  magenta: sgr(35, 39),
  cyan: sgr(36, 39),
};
const id: Paint = (s) => s;
const PLAIN: Palette = { bold: id, dim: id, red: id, green: id, yellow: id, magenta: id, cyan: id };

/**
 * Finding text comes from the server (site names, paths, error text): never let it drive the terminal.
 * Control characters other than tab and newline are shown escaped (ESC becomes "\u001b"), CRLF becomes LF.
 */
export function sanitizeForTerminal(s: string): string {
  return s
    .replace(/\r\n/g, "\n")
    .replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** Indent every line of a possibly multi-line text; the first line gets `first`, the rest `rest`. */
function block(text: string, first: string, rest: string): string[] {
  return sanitizeForTerminal(text)
    .split("\n")
    .map((line, i) => (i === 0 ? first : rest) + line);
}

function findingLines(f: Finding, p: Palette, group: RuleGroup = "kb", indent = ""): string[] {
  const label = `[${causeLabel(f.cause, group)}]`;
  const status =
    f.status === "unknown"
      ? p.magenta("UNKNOWN")
      : f.severity === "warning"
        ? p.yellow("WARNING")
        : p.red("FAIL");
  const head = `${indent}  ${p.bold(label)} ${status} ${sanitizeForTerminal(f.target).replace(/\n/g, " ")}  ${p.dim(`(rule ${sanitizeForTerminal(f.rule)})`)}`;
  return [
    head,
    ...block(f.message, `${indent}      `, `${indent}      `),
    ...block(f.remediation, `${indent}      ${p.cyan("fix:")} `, `${indent}           `),
  ];
}

/** Failed findings first, then the ones that could not be checked under their own heading. */
function findingsBlock(ordered: readonly Finding[], p: Palette, groupOfFinding: (f: Finding) => RuleGroup, indent = ""): string[] {
  const lines: string[] = [];
  const fails = ordered.filter((f) => f.status === "fail");
  const unknowns = ordered.filter((f) => f.status === "unknown");
  for (const f of fails) lines.push(...findingLines(f, p, groupOfFinding(f), indent));
  if (unknowns.length > 0) {
    lines.push(`${indent}  ${p.yellow("Could not check (evidence missing):")}`);
    for (const f of unknowns) lines.push(...findingLines(f, p, groupOfFinding(f), indent));
  }
  return lines;
}

/**
 * "COMPLIANT (9 rules checked, 2 warnings, 0 could not be checked)": the count of rules that could not
 * run is always there, so a report built from thin evidence never reads like a healthy server.
 */
function verdict(r: ServerReport, p: Palette): string {
  const word = r.report.compliant ? p.green(p.bold("COMPLIANT")) : p.red(p.bold("NOT COMPLIANT"));
  return `${word} (${counts(r.report.findings, rulesWithFindings(r).length)})`;
}

/** "2 problems, 1 warning, 0 could not be checked" or "13 rules checked, 0 could not be checked". */
function counts(findings: readonly Finding[], rules: number): string {
  const { problems, warnings, unknown } = countStatus(findings);
  const details: string[] = [];
  if (problems > 0) details.push(plural(problems, "problem"));
  else details.push(`${plural(rules, "rule")} checked`);
  if (warnings > 0) details.push(plural(warnings, "warning"));
  details.push(`${unknown} could not be checked`);
  return details.join(", ");
}

function serverBlock(r: ServerReport, p: Palette): string[] {
  const name = p.bold(sanitizeForTerminal(r.server));
  const target = r.target !== undefined ? ` ${p.dim(`[${sanitizeForTerminal(r.target)}]`)}` : "";
  const lines = [`${name}${target}: ${verdict(r, p)}`];
  if (r.layout) lines.push(`  ${p.dim(`layout: profile ${r.layout.profile}, Configuration ${r.layout.configuration} (${sanitizeForTerminal(r.layout.reasons.join("; "))})`)}`);
  for (const n of r.notices ?? []) lines.push(`  ${p.yellow("note:")} ${sanitizeForTerminal(n)}`);
  const ordered = orderFindings(r.report.findings, rulesWithFindings(r));
  const byRule = groupsByRule(r);
  const groupOfFinding = (f: Finding) => byRule.get(f.rule) ?? "kb";
  // The default (KB 920659 only) report reads as it always has: no group headings.
  if (!judgesBeyondKb(r)) return [...lines, ...findingsBlock(ordered, p, groupOfFinding)];
  // Findings of no listed rule (a server that could not be reached) come first, then one heading per group judged.
  lines.push(...findingsBlock(ordered.filter((f) => !byRule.has(f.rule)), p, groupOfFinding));
  for (const g of judgedGroups(r)) {
    const mine = ordered.filter((f) => byRule.get(f.rule) === g);
    const rules = [...byRule.values()].filter((x) => x === g).length;
    lines.push(`  ${p.bold(GROUP_TITLES[g])}: ${counts(mine, rules)}`);
    lines.push(...findingsBlock(mine, p, groupOfFinding, "  "));
  }
  return lines;
}

/** The articles behind the health rules that have findings, once each: "KB 4490414 https://…". */
function healthArticles(reports: readonly ServerReport[]): string[] {
  const out: string[] = [];
  for (const r of reports) {
    const withFindings = new Set(r.report.findings.map((f) => f.rule));
    for (const rule of r.rules) {
      if (groupOf(rule) !== "health" || !withFindings.has(rule.id)) continue;
      const uri = rule.helpUri ?? KB_URL;
      if (!out.includes(uri)) out.push(uri);
    }
  }
  return out.map((uri) => `${articleName(uri)} ${uri}`);
}

/**
 * Human-readable report: per server a verdict line, then its findings in KB cause order (layout rules last),
 * each with its message and the fix; findings that could not be checked follow under their own heading.
 * A report that judged more than the default KB group (`--rules kb,health`) puts them under one heading
 * per group judged ("KB 920659", "WSUS IIS health"), each with its own counts.
 */
export function renderText(reports: readonly ServerReport[], options: TextOptions = {}): string {
  const p = options.color ? COLOR : PLAIN;
  const out: string[] = [];
  reports.forEach((r, i) => {
    if (i > 0) out.push("");
    out.push(...serverBlock(r, p));
  });
  if (reports.length > 1) {
    const ok = reports.filter((r) => r.report.compliant).length;
    const unchecked = reports.filter((r) => r.report.findings.some((f) => f.status === "unknown")).length;
    out.push("", p.bold(`${ok} of ${plural(reports.length, "server")} compliant, ${unchecked} with checks that could not run`));
  }
  const sources: string[] = [];
  if (reports.some((r) => r.report.findings.some((f) => f.cause !== null))) sources.push(`Causes are those of KB 920659: ${KB_URL}`);
  const articles = healthArticles(reports);
  const lead = `${GROUP_TITLES.health} rules: `;
  articles.forEach((a, i) => sources.push(`${i === 0 ? lead : " ".repeat(lead.length)}${a}`));
  if (sources.length > 0) out.push("", ...sources.map((s) => p.dim(s)));
  return out.join("\n") + "\n";
}
