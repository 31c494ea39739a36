import type { Finding } from "../rules/finding";
import { KB_URL, causeLabel, countStatus, orderFindings, plural, rulesWithFindings } from "./common";
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

function findingLines(f: Finding, p: Palette): string[] {
  const label = `[${causeLabel(f.cause)}]`;
  const status =
    f.status === "unknown"
      ? p.magenta("UNKNOWN")
      : f.severity === "warning"
        ? p.yellow("WARNING")
        : p.red("FAIL");
  const head = `  ${p.bold(label)} ${status} ${sanitizeForTerminal(f.target).replace(/\n/g, " ")}  ${p.dim(`(rule ${sanitizeForTerminal(f.rule)})`)}`;
  return [
    head,
    ...block(f.message, "      ", "      "),
    ...block(f.remediation, `      ${p.cyan("fix:")} `, "           "),
  ];
}

/**
 * "COMPLIANT (9 rules checked, 2 warnings, 0 could not be checked)": the count of rules that could not
 * run is always there, so a report built from thin evidence never reads like a healthy server.
 */
function verdict(r: ServerReport, p: Palette): string {
  const { problems, warnings, unknown } = countStatus(r.report.findings);
  const details: string[] = [];
  if (problems > 0) details.push(plural(problems, "problem"));
  else details.push(`${plural(rulesWithFindings(r).length, "rule")} checked`);
  if (warnings > 0) details.push(plural(warnings, "warning"));
  details.push(`${unknown} could not be checked`);
  const word = r.report.compliant ? p.green(p.bold("COMPLIANT")) : p.red(p.bold("NOT COMPLIANT"));
  return `${word} (${details.join(", ")})`;
}

function serverBlock(r: ServerReport, p: Palette): string[] {
  const name = p.bold(sanitizeForTerminal(r.server));
  const target = r.target !== undefined ? ` ${p.dim(`[${sanitizeForTerminal(r.target)}]`)}` : "";
  const lines = [`${name}${target}: ${verdict(r, p)}`];
  if (r.layout) lines.push(`  ${p.dim(`layout: profile ${r.layout.profile}, Configuration ${r.layout.configuration} (${sanitizeForTerminal(r.layout.reasons.join("; "))})`)}`);
  for (const n of r.notices ?? []) lines.push(`  ${p.yellow("note:")} ${sanitizeForTerminal(n)}`);
  const ordered = orderFindings(r.report.findings, rulesWithFindings(r));
  const fails = ordered.filter((f) => f.status === "fail");
  const unknowns = ordered.filter((f) => f.status === "unknown");
  for (const f of fails) lines.push(...findingLines(f, p));
  if (unknowns.length > 0) {
    lines.push(`  ${p.yellow("Could not check (evidence missing):")}`);
    for (const f of unknowns) lines.push(...findingLines(f, p));
  }
  return lines;
}

/**
 * Human-readable report: per server a verdict line, then its findings in KB cause order (layout rules last),
 * each with its message and the fix; findings that could not be checked follow under their own heading.
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
  if (reports.some((r) => r.report.findings.some((f) => f.cause !== null))) {
    out.push("", p.dim(`Causes are those of KB 920659: ${KB_URL}`));
  }
  return out.join("\n") + "\n";
}
