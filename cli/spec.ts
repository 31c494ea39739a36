import { readFileSync } from "node:fs";
import { decodeDataFile } from "../core/text/decode";
import { parse as parseYaml } from "yaml";
import { parseSpec, SpecError, type Spec } from "../core/model/spec";
import { CliError } from "./errors";

export interface SpecOptions {
  config?: string;
  configuration?: string;
  profile?: string;
  computerName?: string;
}

/** Read a JSON or YAML file into plain data, with errors that name the file. */
export function readDataFile(file: string, what: string): unknown {
  let text: string;
  try {
    // UTF-8 with or without a BOM, or UTF-16 (Windows PowerShell 5.1's `>` and Out-File)
    text = decodeDataFile(readFileSync(file));
  } catch (e) {
    throw new CliError(`cannot read ${what} ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  try {
    return /\.ya?ml$/i.test(file) ? parseYaml(text) : JSON.parse(text);
  } catch (e) {
    throw new CliError(`${what} ${file} is not valid ${/\.ya?ml$/i.test(file) ? "YAML" : "JSON"}: ${(e as Error).message.split("\n")[0]}`);
  }
}

/** The spec input from --config plus the command-line overrides (not validated yet). */
export function specInputOf(opts: SpecOptions): Record<string, unknown> {
  const base = opts.config ? readDataFile(opts.config, "config file") : {};
  if (base !== null && (typeof base !== "object" || Array.isArray(base))) {
    throw new CliError(`config file ${opts.config}: expected an object with the spec's fields`);
  }
  const input: Record<string, unknown> = { ...((base as Record<string, unknown>) ?? {}) };
  if (opts.configuration !== undefined) {
    if (!["1", "2", "auto"].includes(opts.configuration)) throw new CliError(`--configuration: expected 1, 2 or auto, got ${JSON.stringify(opts.configuration)}`);
    input.configuration = opts.configuration === "auto" ? "auto" : Number(opts.configuration);
  }
  if (opts.profile !== undefined) input.profile = opts.profile;
  if (opts.computerName !== undefined) input.computerName = opts.computerName;
  return input;
}

/** Validate a spec input; `where` says where it came from, each bad field is named. */
export function parseSpecInput(input: unknown, where: string, name: (path: string) => string = flagFor): Spec {
  try {
    return parseSpec(input);
  } catch (e) {
    if (e instanceof SpecError) throw new CliError(`invalid spec${where}:\n${e.issues.map((i) => `  ${name(i.path)}: ${i.message}`).join("\n")}`);
    throw e;
  }
}

/** The spec from --config plus the command-line overrides; bad values are named, never a stack trace. */
export function loadSpec(opts: SpecOptions): Spec {
  return parseSpecInput(specInputOf(opts), opts.config ? ` (config ${opts.config} and options)` : "");
}

/** Name fields the way the user typed them: CLI options as flags, the rest as config paths. */
function flagFor(path: string): string {
  return { configuration: "configuration (--configuration)", profile: "profile (--profile)", computerName: "computerName (--computer-name)" }[path] ?? path;
}
