/**
 * cmd.exe command-line processing, as far as the lab needs it:
 *
 * 1. `%VAR%` expansion (case-insensitive; undefined variables stay as written, like the interactive
 *    command line does);
 * 2. splitting at `&`, `&&`, `||`, `|` and taking redirections (`>`, `>>`, `2>`, `2>&1`, `<`) outside
 *    double quotes, removing `^` escapes outside quotes;
 * 3. for each command, CommandLineToArgvW: whitespace separates arguments outside quotes, `"` toggles
 *    quoting, `""` inside quotes is a literal quote, 2n backslashes + `"` give n backslashes and a
 *    quote toggle, 2n+1 backslashes + `"` give n backslashes and a literal quote, other backslashes
 *    are literal; the program name (argv[0]) only knows quotes.
 */

export function expandVariables(line: string, lookup: (name: string) => string | undefined): string {
  let out = "";
  let i = 0;
  while (i < line.length) {
    const c = line[i];
    if (c !== "%") {
      out += c;
      i++;
      continue;
    }
    const close = line.indexOf("%", i + 1);
    if (close < 0) {
      out += line.slice(i);
      break;
    }
    const name = line.slice(i + 1, close);
    const value = name.length > 0 ? lookup(name) : undefined;
    if (value !== undefined) {
      out += value;
      i = close + 1;
    } else {
      out += "%";
      i++;
    }
  }
  return out;
}

export type Operator = "&" | "&&" | "||" | "|";

export interface Redirect {
  fd: 1 | 2 | 0;
  /** Target file, or "&1"/"&2" for a handle duplication. */
  target: string;
  append: boolean;
}

export interface SimpleCommand {
  /** The command text as the program receives it (carets removed, quotes kept). */
  text: string;
  redirects: Redirect[];
  /** Operator that joins this command to the next one (null for the last). */
  next: Operator | null;
}

export class CmdSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CmdSyntaxError";
  }
}

/** Split an (expanded) command line into commands and redirections, the way cmd.exe's parser does. */
export function splitCommandLine(line: string): SimpleCommand[] {
  const commands: SimpleCommand[] = [];
  let text = "";
  let redirects: Redirect[] = [];
  let inQuotes = false;
  let i = 0;
  const finish = (next: Operator | null) => {
    // leading blanks go; trailing ones stay (`echo hi & …` prints "hi ", like cmd)
    commands.push({ text: text.replace(/^[ \t]+/, ""), redirects, next });
    text = "";
    redirects = [];
  };
  const readTarget = (): string => {
    while (line[i] === " " || line[i] === "\t") i++;
    let t = "";
    let q = false;
    while (i < line.length) {
      const c = line[i];
      if (c === '"') {
        q = !q;
        i++;
        continue;
      }
      if (!q && (c === " " || c === "\t" || c === "&" || c === "|" || c === "<" || c === ">")) break;
      if (!q && c === "^" && i + 1 < line.length) {
        t += line[i + 1];
        i += 2;
        continue;
      }
      t += c;
      i++;
    }
    if (t === "") throw new CmdSyntaxError("The syntax of the command is incorrect.");
    return t;
  };
  while (i < line.length) {
    const c = line[i];
    if (c === '"') {
      inQuotes = !inQuotes;
      text += c;
      i++;
      continue;
    }
    if (inQuotes) {
      text += c;
      i++;
      continue;
    }
    if (c === "^") {
      if (i + 1 < line.length) text += line[i + 1];
      i += 2;
      continue;
    }
    if (c === "&" || c === "|") {
      const doubled = line[i + 1] === c;
      const op = (doubled ? c + c : c) as Operator;
      i += doubled ? 2 : 1;
      if (text.trim() === "") throw new CmdSyntaxError(`${op} was unexpected at this time.`);
      finish(op);
      continue;
    }
    if (c === ">" || c === "<" || ((c === "1" || c === "2") && line[i + 1] === ">" && /(^|[\s])$/.test(text))) {
      let fd: 0 | 1 | 2 = c === "<" ? 0 : 1;
      if (c === "1" || c === "2") {
        fd = c === "2" ? 2 : 1;
        i++;
      }
      i++;
      let append = false;
      if (fd !== 0 && line[i] === ">") {
        append = true;
        i++;
      }
      if (fd !== 0 && line[i] === "&" && /[012]/.test(line[i + 1] ?? "")) {
        redirects.push({ fd, target: "&" + line[i + 1], append });
        i += 2;
        continue;
      }
      redirects.push({ fd, target: readTarget(), append });
      continue;
    }
    text += c;
    i++;
  }
  if (text.trim() === "" && commands.length > 0) throw new CmdSyntaxError("The syntax of the command is incorrect.");
  finish(null);
  return commands;
}

/** CommandLineToArgvW: one implementation for the product and the lab (core/commands/argv.ts). */
export { parseWindowsCommandLine as commandLineToArgv } from "../core/commands/argv";

/** Quote one argument so CommandLineToArgvW gives it back unchanged (for building command lines). */
export function quoteArg(arg: string): string {
  if (arg !== "" && !/[\s"]/.test(arg)) return arg;
  let out = '"';
  let backslashes = 0;
  for (const c of arg) {
    if (c === "\\") {
      backslashes++;
      continue;
    }
    if (c === '"') {
      out += "\\".repeat(backslashes * 2 + 1) + '"';
    } else {
      out += "\\".repeat(backslashes) + c;
    }
    backslashes = 0;
  }
  return out + "\\".repeat(backslashes * 2) + '"';
}
