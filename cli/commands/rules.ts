import type { Command } from "commander";
import { RULE_GROUPS, type RuleGroup } from "../../core/model/spec";
import { articleName, causeLabel, GROUP_TITLES, KB_URL, ruleInfoOf } from "../../core/report";
import { rulesFor } from "../../core/rules";
import { CliError } from "../errors";
import { emit } from "../output";
import { parseRuleGroups } from "../spec";

interface RulesOptions {
  rules?: string;
  format: string;
  output?: string;
}

/** One rule as `wsus-iis rules --format json` lists it. */
export interface RuleListing {
  id: string;
  group: RuleGroup;
  cause: number | null;
  severity: "error" | "warning";
  title: string;
  description: string;
  helpUri: string;
  remediation?: string;
}

export function ruleListing(groups: readonly RuleGroup[] = RULE_GROUPS): RuleListing[] {
  return rulesFor({ rules: [...groups] }).map((r) => {
    const info = ruleInfoOf(r);
    return { id: r.id, group: r.group, cause: r.cause, severity: r.severity, title: r.title, description: r.description, helpUri: r.helpUri, ...(info.remediation ? { remediation: info.remediation } : {}) };
  });
}

/** Per group a heading, then one line per rule: id, origin, severity, title and the article behind it; the articles' URLs last. */
export function formatRulesText(rules: readonly RuleListing[]): string {
  const width = Math.max(...rules.map((r) => r.id.length));
  const out: string[] = [];
  const articles: string[] = [];
  for (const g of RULE_GROUPS) {
    const mine = rules.filter((r) => r.group === g);
    if (mine.length === 0) continue;
    if (out.length > 0) out.push("");
    out.push(`${GROUP_TITLES[g]} (${g === "kb" ? "--rules kb, the default" : `--rules kb,${g} or ${g}`}): ${mine.length} rules`);
    for (const r of mine) {
      const uri = r.helpUri || KB_URL;
      if (!articles.includes(uri)) articles.push(uri);
      out.push(`  ${r.id.padEnd(width)}  ${`[${causeLabel(r.cause, r.group)}]`.padEnd(9)}  ${r.severity.padEnd(7)}  ${r.title} (${articleName(uri)})`);
    }
  }
  out.push("", ...articles.map((u) => `${articleName(u)}: ${u}`));
  return out.join("\n") + "\n";
}

export function register(program: Command): void {
  program
    .command("rules")
    .description("List the rules of each group (kb: KB 920659 and the WSUS layout; health: WsusPool, impersonation, compression, runtime state), with the article behind each.")
    .option("--rules <groups>", "the groups to list, comma-separated: kb, health or kb,health (default: every group)")
    .option("--format <format>", "text or json", "text")
    .option("--output <file>", "write the list to a file instead of stdout")
    .action((opts: RulesOptions) => {
      if (opts.format !== "text" && opts.format !== "json") throw new CliError(`--format: expected text or json, got ${JSON.stringify(opts.format)}`);
      const rules = ruleListing(opts.rules === undefined ? RULE_GROUPS : parseRuleGroups(opts.rules));
      emit(opts.format === "json" ? JSON.stringify(rules, null, 2) + "\n" : formatRulesText(rules), opts.output);
    });
}
