import { Command, Option } from "commander";
import { checkEvidence } from "../../core/check";
import { EvidenceError } from "../../core/evidence/errors";
import { CliError, EXIT } from "../errors";
import { emit, FORMATS, parseFormat, render, RULE_INFO } from "../output";
import { loadSpec, readDataFile, type SpecOptions } from "../spec";

interface CheckOptions extends SpecOptions {
  evidence?: string;
  format: string;
  output?: string;
  color?: boolean;
}

export function register(program: Command): void {
  program
    .command("check")
    .description("Judge a server against KB 920659 and the WSUS layout: offline from an evidence bundle (wsus-iis/evidence@1).")
    .option("--evidence <file>", "evidence bundle (JSON) collected with scripts/collect-evidence.ps1 or `wsus-iis lab evidence`")
    .option("--config <file>", "desired-state spec (JSON or YAML)")
    .addOption(new Option("--configuration <n>", "KB layout: 1 (all on Default Web Site) or 2 (WSUS site on 8530)"))
    .addOption(new Option("--profile <name>", "rule profile: kb920659 (the KB verbatim) or modern (WSUS 3.0 SP2 / Server 2012+)"))
    .option("--computer-name <name>", "NetBIOS name (for IUSR_<COMPUTERNAME>; default: from the evidence)")
    .option("--format <format>", `output format: ${FORMATS.join(", ")}`, "text")
    .option("--output <file>", "write the report to a file instead of stdout")
    .option("--no-color", "plain text even on a terminal")
    .addHelpText("after", "\nExit codes: 0 compliant, 1 findings with status fail, 2 bad input.")
    .action((opts: CheckOptions) => {
      const format = parseFormat(opts.format);
      if (!opts.evidence) throw new CliError("check needs --evidence FILE (live checks: --target, see `wsus-iis check --help`)");
      const spec = loadSpec(opts);
      const evidence = readDataFile(opts.evidence, "evidence file");
      let report;
      try {
        report = checkEvidence(spec, evidence);
      } catch (e) {
        if (e instanceof EvidenceError) throw new CliError(`evidence file ${opts.evidence}: ${e.message}`);
        throw e;
      }
      const server = (evidence as { computerName?: string }).computerName ?? opts.evidence;
      const color = opts.color !== false && format === "text" && !opts.output && process.stdout.isTTY === true;
      emit(render([{ server, target: `evidence:${opts.evidence}`, report, rules: RULE_INFO }], format, { color }), opts.output);
      if (!report.compliant) process.exitCode = EXIT.findings;
    });
}
