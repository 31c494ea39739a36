import { readFileSync } from "node:fs";
import { decodeDataFile } from "../core/text/decode";
import { isCollection, LineCounter, parseDocument, visit } from "yaml";
import { parseSpec, RULE_GROUPS, SpecError, type RuleGroup, type Spec } from "../core/model/spec";
import { CliError } from "./errors";

export interface SpecOptions {
  config?: string;
  configuration?: string;
  profile?: string;
  computerName?: string;
  /** `--rules kb,health`: the rule groups to judge (comma-separated). */
  rules?: string;
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
  return parseDataText(text, file, what);
}

/** JSON, or YAML when the file name ends in .yaml / .yml; `what file` is not valid …: one line, never a stack trace. */
export function parseDataText(text: string, file: string, what: string): unknown {
  if (/\.ya?ml$/i.test(file)) return parseYamlStrict(text, `${what} ${file}`);
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new CliError(`${what} ${file} is not valid JSON: ${(e as Error).message.split("\n")[0]}`);
  }
}

/**
 * YAML where every warning is an error: the `yaml` package only warns about an unknown tag (`!!foo 1`
 * becomes the string "1"), an unsupported %YAML version or a map used as a key, prints the warning as
 * a multi-line Node process warning, and goes on with a guess. A spec must not be a guess, so the first
 * error or warning becomes one line naming the file, line and column.
 */
function parseYamlStrict(text: string, where: string): unknown {
  const lines = new LineCounter();
  // prettyErrors off: the messages stay one line (the pretty form appends the source line and a caret);
  // logLevel "error": nothing goes to process.emitWarning, every warning is read from doc.warnings here.
  const doc = parseDocument(text, { prettyErrors: false, lineCounter: lines, logLevel: "error" });
  const at = (offset: number) => {
    const { line, col } = lines.linePos(Math.max(0, offset));
    return `line ${line}, column ${col}`;
  };
  const fail = (offset: number, message: string): never => {
    throw new CliError(`${where} is not valid YAML at ${at(offset)}: ${message.split("\n")[0]}`);
  };
  const first = [...doc.errors, ...doc.warnings].sort((a, b) => a.pos[0] - b.pos[0])[0];
  // (the package's own words for a second document advise an API call: say what is wrong instead)
  if (first) fail(first.pos[0], first.code === "MULTIPLE_DOCS" ? "a second document (after ---); expected one" : first.message);
  // A map or list as a key (`? [a, b]`) has no plain-object form: the package would stringify it with a warning.
  visit(doc, {
    Pair(_, pair) {
      if (isCollection(pair.key)) fail(pair.key.range?.[0] ?? 0, "a map or list as a key");
    },
  });
  try {
    return doc.toJS();
  } catch (e) {
    // e.g. "Excessive alias count indicates a resource exhaustion attack" (maxAliasCount)
    throw new CliError(`${where} is not valid YAML: ${(e as Error).message.split("\n")[0]}`);
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
  if (opts.rules !== undefined) input.rules = parseRuleGroups(opts.rules);
  return input;
}

/** `--rules kb`, `health`, `kb,health` (any order, spaces around the commas allowed): the groups, each once. */
export function parseRuleGroups(value: string): RuleGroup[] {
  const items = value.split(",").map((s) => s.trim());
  if (items.some((g) => !(RULE_GROUPS as readonly string[]).includes(g))) {
    throw new CliError(`--rules: expected ${RULE_GROUPS.join(", ")} or ${RULE_GROUPS.join(",")}, got ${JSON.stringify(value)}`);
  }
  return [...new Set(items as RuleGroup[])];
}

export const RULES_HELP = "rule groups to judge, comma-separated: kb (KB 920659 and the WSUS layout; the default), health (WsusPool settings, ASP.NET impersonation, dynamic compression, sites and pool started), or kb,health";

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
  return parseSpecInput(specInputOf(opts), opts.config ? ` (config ${opts.config} and options)` : "", fieldNamer(opts));
}

const FLAGS = { configuration: "--configuration", profile: "--profile", computerName: "--computer-name", rules: "--rules" } as const;

/** Name fields the way the user typed them: the option when it was given on the command line, else the config path. */
export function fieldNamer(opts: SpecOptions): (path: string) => string {
  return (path) => {
    const flag = (FLAGS as Record<string, string>)[path];
    return flag && opts[path as keyof typeof FLAGS] !== undefined ? `${path} (${flag})` : path;
  };
}

/** Without the options at hand: every one of these fields might have come from its flag. */
function flagFor(path: string): string {
  const flag = (FLAGS as Record<string, string>)[path];
  return flag ? `${path} (${flag})` : path;
}
