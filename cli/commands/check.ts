import { Command, Option } from "commander";
import { checkEvidenceWithLayout } from "../../core/check";
import { EvidenceError } from "../../core/evidence/errors";
import type { RuleInfo, ServerReport } from "../../core/report";
import { checkTarget, journalNotices, type CheckResult } from "../../ops/converge";
import { CliError, EXIT } from "../errors";
import { addFleetOptions, fleetOf, specsOf, transportFor, withProgress, summaryTable, type FleetOptions } from "../fleet";
import { failsOn, isProblem } from "../../core/report/failOn";
import { emit, FAIL_ON_HELP, FORMATS, parseFailOn, parseFormat, render, ruleInfoFor } from "../output";
import { loadSpec, readDataFile, RULES_HELP, type SpecOptions } from "../spec";

interface CheckOptions extends SpecOptions, FleetOptions {
  evidence?: string;
  format: string;
  output?: string;
  color?: boolean;
  failOn?: string;
}

export function addSpecOptions(cmd: Command): Command {
  return cmd
    .option("--config <file>", "desired-state spec (JSON or YAML)")
    .addOption(new Option("--configuration <n>", "KB layout: 1 (all on Default Web Site), 2 (WSUS site on 8530/8531) or auto (read from the server; the default)"))
    .addOption(new Option("--profile <name>", "rule profile: kb920659 (the KB verbatim), modern (WSUS 3.0 SP2 / Server 2012+) or auto (detected from the server; the default)"))
    .option("--computer-name <name>", "NetBIOS name (for IUSR_<COMPUTERNAME>; default: from the evidence)")
    .option("--rules <groups>", RULES_HELP);
}

/** A server that could not be checked, as a report: not compliant, one unknown finding saying why. */
export function unreachableReport(target: string, error: Error, rules: readonly RuleInfo[] = ruleInfoFor({ rules: ["kb"] })): ServerReport {
  return {
    server: target,
    target,
    report: {
      compliant: false,
      findings: [{ rule: "target-reachable", cause: null, severity: "error", status: "unknown", target, message: error.message, remediation: "check the target, network, credentials and host key, then run again" }],
    },
    rules: [...rules],
  };
}

export function register(program: Command): void {
  const cmd = program
    .command("check")
    .description("Judge servers against KB 920659 and the WSUS layout: offline from an evidence bundle, or live (one round trip per server).")
    .option("--evidence <file>", "evidence bundle (JSON) collected with scripts/collect-evidence.ps1 or `wsus-iis lab evidence`");
  addSpecOptions(cmd);
  addFleetOptions(cmd)
    .option("--format <format>", `output format: ${FORMATS.join(", ")}`, "text")
    .option("--output <file>", "write the report to a file instead of stdout")
    .option("--no-color", "plain text even on a terminal")
    .option("--fail-on <level>", FAIL_ON_HELP, "error")
    .addHelpText("after", "\nExit codes: 0 compliant (with --fail-on unknown: and every rule could run), 1 a problem (or per --fail-on an unknown or a warning), 2 bad input, 3 a server could not be checked.\nExamples:\n  wsus-iis check --evidence wsus01.json --profile modern --format sarif --output wsus01.sarif\n  wsus-iis check --target lab:./lab1 --target ssh://admin@wsus02 --configuration 2\n  wsus-iis check --target lab:./lab1 --rules kb,health")
    .action(async (opts: CheckOptions) => {
      const format = parseFormat(opts.format);
      const failOn = parseFailOn(opts.failOn);
      const fleet = fleetOf(opts);
      const targets = fleet.map((e) => e.target);
      if (!opts.evidence && targets.length === 0) throw new CliError("check needs --evidence FILE or --target/--targets");
      if (opts.evidence && targets.length) throw new CliError("use either --evidence or --target/--targets, not both");
      const specs = specsOf(fleet, opts);
      const color = opts.color !== false && format === "text" && !opts.output && process.stdout.isTTY === true;
      let reports: ServerReport[];
      let unreachable = false;
      if (opts.evidence) {
        const evidence = readDataFile(opts.evidence, "evidence file");
        const spec = loadSpec(opts);
        let judged;
        try {
          judged = checkEvidenceWithLayout(spec, evidence);
        } catch (e) {
          if (e instanceof EvidenceError) throw new CliError(`evidence file ${opts.evidence}: ${e.message}`);
          throw e;
        }
        const server = (evidence as { computerName?: string }).computerName ?? opts.evidence;
        reports = [{ server, target: `evidence:${opts.evidence}`, report: judged.report, layout: judged.layout, rules: ruleInfoFor(spec) }];
      } else {
        const outcomes = await withProgress<CheckResult>(
          targets,
          opts,
          async (target) => checkTarget(transportFor(target, opts), specs.get(target)!),
          (o) => (!o.ok ? "unreachable" : o.value!.unreadable !== null ? "config-unreadable" : o.value!.report.compliant ? "compliant" : "drifted"),
        );
        reports = outcomes.map((o) =>
          o.ok
            ? { server: o.value!.evidence.computerName ?? o.target, target: o.target, report: o.value!.report, layout: o.value!.layout, rules: ruleInfoFor(specs.get(o.target)!), notices: [...journalNotices(o.value!.journal), ...o.value!.notes] }
            : unreachableReport(o.target, o.error!, ruleInfoFor(specs.get(o.target)!)),
        );
        unreachable = outcomes.some((o) => !o.ok);
        if (targets.length > 1 && format !== "text") {
          process.stderr.write(
            summaryTable(outcomes.map((o) => ({ target: o.target, status: !o.ok ? "unreachable" : o.value!.unreadable !== null ? "config-unreadable" : o.value!.report.compliant ? "compliant" : "drifted", detail: o.ok ? `${o.value!.report.findings.filter(isProblem).length} problems, ${o.value!.report.findings.filter((f) => f.status === "unknown").length} could not be checked` : o.error!.message })),
            ),
          );
        }
      }
      emit(render(reports, format, { color, configFile: opts.config }), opts.output);
      process.exitCode = unreachable ? EXIT.unreachable : reports.some((r) => failsOn(r.report, failOn)) ? EXIT.findings : EXIT.ok;
    });
}
