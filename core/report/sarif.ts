import { createHash } from "node:crypto";
import type * as Sarif from "sarif";
import type { Finding } from "../rules/finding";
import { GROUP_TITLES, KB_URL, articleName, groupOf, judgedGroups, judgesBeyondKb, rulesWithFindings } from "./common";
import type { RuleInfo, ServerReport } from "./types";

export const SARIF_SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json";

export interface SarifOptions {
  /** wsus-iis version (package.json "version"). */
  toolVersion: string;
  /** Where the tool is documented; defaults to KB 920659, which every rule is about. */
  informationUri?: string;
  /**
   * Repository-relative file each server's results are filed under (GitHub code scanning rejects
   * results without a physical location). Default: the config file given, else `wsus-iis/<server>`.
   */
  artifactUri?: (report: ServerReport) => string;
}

/** `wsus-iis/<server>` with anything but a safe path character replaced. */
export function defaultArtifactUri(r: ServerReport): string {
  return `wsus-iis/${r.server.replace(/[^A-Za-z0-9._-]+/g, "_")}`;
}

/** Stable across runs for the same problem on the same server, whatever the message wording. */
function fingerprint(r: ServerReport, f: Finding): string {
  return createHash("sha256").update(`${r.server}\0${f.rule}\0${f.target}`).digest("hex").slice(0, 32);
}

/** "selfupdate-anonymous" → "SelfupdateAnonymous": SARIF wants a readable identifier-like rule name. */
function ruleName(id: string): string {
  const name = id
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w[0].toUpperCase() + w.slice(1))
    .join("");
  return name || id;
}

function descriptor(rule: RuleInfo): Sarif.ReportingDescriptor {
  const text = (s: string, fallback: string) => ({ text: s.trim() !== "" ? s : fallback });
  const group = groupOf(rule);
  const helpUri = rule.helpUri ?? KB_URL;
  return {
    id: rule.id,
    name: ruleName(rule.id),
    shortDescription: text(rule.title, rule.id),
    fullDescription: text(rule.description, rule.title.trim() !== "" ? rule.title : rule.id),
    helpUri,
    help: help(rule, helpUri),
    properties: {
      kbCause: rule.cause,
      group,
      tags: ["wsus", "iis", rule.cause !== null ? `kb920659-cause-${rule.cause}` : group === "health" ? "wsus-health" : "layout"],
    },
  };
}

/**
 * What a SARIF viewer (GitHub code scanning's rule help) shows: what the rule requires, the idea of the
 * repair, and the article. Each result's message holds the exact fix for its server.
 */
function help(rule: RuleInfo, helpUri: string): Sarif.MultiformatMessageString {
  const origin = rule.cause !== null ? `KB 920659 cause ${rule.cause}` : groupOf(rule) === "health" ? GROUP_TITLES.health : "WSUS layout";
  const what = rule.description.trim() || rule.title.trim() || rule.id;
  const fix = rule.remediation?.trim();
  const tool = "Each result names the exact fix for its server; `wsus-iis plan` lists the commands and `wsus-iis apply` runs them (IIS backup, rollback).";
  const article = articleName(helpUri);
  return {
    text: [`${origin}: ${what}`, ...(fix ? [`Fix: ${fix}`] : []), tool, `${article === helpUri ? "See" : `${article}:`} ${helpUri}`].join("\n\n"),
    markdown: [`${md(origin)}: ${md(what)}`, ...(fix ? [`**Fix:** ${md(fix)}`] : []), tool, `[${md(article)}](${encodeURI(helpUri).replace(/[()]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)})`].join("\n\n"),
  };
}

/** Plain text as CommonMark text: every ASCII punctuation character that could start markup is escaped (`<install folder>` is no HTML tag, `C:\\x` keeps its backslash). */
function md(s: string): string {
  return s.replace(/[\\`*_[\]<>#|~&]/g, (c) => `\\${c}`).replace(/\s*\n\s*/g, " ");
}

function level(f: Finding): Sarif.Result.level {
  if (f.status === "unknown") return "note";
  return f.severity === "warning" ? "warning" : "error";
}

function result(r: ServerReport, f: Finding, ruleIndex: number, artifactUri: string): Sarif.Result {
  const prefix = f.status === "unknown" ? "Could not check (evidence missing): " : "";
  return {
    ruleId: f.rule,
    ruleIndex,
    level: level(f),
    message: { text: `${prefix}${f.message}\nFix: ${f.remediation}` },
    locations: [
      {
        // Targets are IIS objects ("Default Web Site/Selfupdate"), groups or Windows folders on the server:
        // the logical location says which; the physical one is where code scanning files the alert.
        physicalLocation: { artifactLocation: { uri: artifactUri }, region: { startLine: 1 } },
        logicalLocations: [{ name: f.target, fullyQualifiedName: `${r.server}/${f.target}`, kind: "resource" }],
      },
    ],
    partialFingerprints: { "wsusIisFinding/v1": fingerprint(r, f) },
    properties: {
      status: f.status,
      cause: f.cause,
      server: r.server,
      ...(r.target !== undefined ? { target: r.target } : {}),
    },
  };
}

/**
 * SARIF 2.1.0 log: one run of the "wsus-iis" driver, whose rules are all rules evaluated on any of the
 * servers (first description wins for a rule id seen twice), and one result per finding of every server.
 * Fails are "error"/"warning" by severity, findings that could not be checked are "note".
 */
export function renderSarif(reports: readonly ServerReport[], options: SarifOptions): Sarif.Log {
  const rules: Sarif.ReportingDescriptor[] = [];
  const index = new Map<string, number>();
  for (const r of reports) {
    for (const rule of rulesWithFindings(r)) {
      if (index.has(rule.id)) continue;
      index.set(rule.id, rules.length);
      rules.push(descriptor(rule));
    }
  }
  const results: Sarif.Result[] = [];
  for (const r of reports) {
    for (const f of r.report.findings) results.push(result(r, f, index.get(f.rule)!, (options.artifactUri ?? defaultArtifactUri)(r)));
  }
  return {
    $schema: SARIF_SCHEMA_URI,
    version: "2.1.0",
    runs: [
      {
        tool: {
          driver: {
            name: "wsus-iis",
            informationUri: options.informationUri ?? KB_URL,
            version: options.toolVersion,
            rules,
          },
        },
        results,
        // which layout each server was judged against, and why
        // (and, when more than the default KB group was judged, which groups)
        ...(reports.some((r) => r.layout || r.notices?.length || judgesBeyondKb(r))
          ? {
              properties: {
                servers: reports.map((r) => ({
                  server: r.server,
                  ...(r.layout ? { layout: r.layout } : {}),
                  ...(r.notices?.length ? { notices: r.notices } : {}),
                  ...(judgesBeyondKb(r) ? { ruleGroups: judgedGroups(r) } : {}),
                })),
              },
            }
          : {}),
      },
    ],
  };
}
