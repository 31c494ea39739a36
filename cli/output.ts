import { writeFileSync } from "node:fs";
import { relative, sep } from "node:path";
import { ALL_RULE_INFO, FailOn, renderJson, renderJunit, renderSarif, renderText, ruleInfoFor, type RuleInfo, type ServerReport } from "../core/report";
import { CliError } from "./errors";

export const FORMATS = ["text", "json", "sarif", "junit"] as const;
export type Format = (typeof FORMATS)[number];

export function parseFormat(value: string): Format {
  if (!(FORMATS as readonly string[]).includes(value)) throw new CliError(`--format: expected one of ${FORMATS.join(", ")}, got ${JSON.stringify(value)}`);
  return value as Format;
}

/** `--fail-on error|unknown|warning` (core/report/failOn.ts). */
export function parseFailOn(value: string | undefined): FailOn {
  const v = value ?? "error";
  if (!(FailOn.options as readonly string[]).includes(v)) throw new CliError(`--fail-on: expected one of ${FailOn.options.join(", ")}, got ${JSON.stringify(value)}`);
  return v as FailOn;
}

export const FAIL_ON_HELP =
  "what makes the exit code 1: error (a failed requirement; the default), unknown (also any rule that could not run for lack of evidence), warning (also warnings)";

/** Every rule of every group, with its group, help URL and repair idea (core/report/ruleInfo.ts). */
export const RULE_INFO: readonly RuleInfo[] = ALL_RULE_INFO;

/** The rules a report lists: those of the groups the server's spec judges (`rules`, `--rules`; default kb). */
export { ruleInfoFor };

export function render(reports: ServerReport[], format: Format, opts: { color?: boolean; configFile?: string } = {}): string {
  switch (format) {
    case "json":
      return renderJson(reports);
    case "sarif":
      return (
        JSON.stringify(
          renderSarif(reports, {
            toolVersion: require("../package.json").version,
            // code scanning files each alert under a repository path: the spec file when there is one
            ...(opts.configFile ? { artifactUri: () => relative(process.cwd(), opts.configFile!).split(sep).join("/") } : {}),
          }),
          null,
          2,
        ) + "\n"
      );
    case "junit":
      return renderJunit(reports);
    default:
      return renderText(reports, { color: opts.color });
  }
}

/** Write to --output FILE or stdout. */
export function emit(text: string, output?: string): void {
  if (output) {
    try {
      writeFileSync(output, text);
    } catch (e) {
      throw new CliError(`cannot write ${output}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  } else process.stdout.write(text);
}
