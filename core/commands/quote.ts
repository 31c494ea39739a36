import { parseWindowsCommandLine } from "./argv";

/**
 * The one place that puts values on a Windows command line. Values have already passed the model's
 * safe-character validation; this is the second wall: anything cmd.exe would interpret (% ^ & | < > !
 * quotes, line breaks, NUL) is refused outright instead of escaped, because cmd.exe's escaping rules
 * differ inside and outside quotes and between interactive and batch use.
 */
const CMD_SPECIAL = /["%^&|<>!\r\n\0`]/;

export class UnsafeArgumentError extends Error {
  constructor(readonly value: string, readonly reason: string) {
    super(`refusing to put ${JSON.stringify(value)} on a command line: ${reason}`);
    this.name = "UnsafeArgumentError";
  }
}

export function assertSafe(value: string): string {
  const m = CMD_SPECIAL.exec(value);
  if (m) throw new UnsafeArgumentError(value, `contains ${JSON.stringify(m[0])}`);
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f]/.test(value)) throw new UnsafeArgumentError(value, "contains a control character");
  return value;
}

/** One argument, quoted when it has spaces (or is empty); a trailing backslash is doubled inside quotes. */
export function quoteArg(value: string): string {
  assertSafe(value);
  if (value !== "" && !/[ \t]/.test(value)) return value;
  return `"${value.replace(/(\\+)$/, "$1$1")}"`;
}

/** `/name:value` with the value quoted as appcmd and icacls expect (`/physicalPath:"C:\Program Files\x"`). */
export function switchArg(name: string, value: string): string {
  assertSafe(name);
  if (!/^[+-]?[A-Za-z.]+$/.test(name)) throw new UnsafeArgumentError(name, "not a switch name");
  return `/${name}:${quoteArg(value)}`;
}

/**
 * Build a command line from a program (a constant of ours, e.g. `%windir%\system32\inetsrv\appcmd.exe`,
 * never user data) and arguments that were each built with quoteArg / switchArg or are literals.
 */
export function commandLine(exe: string, ...args: string[]): string {
  if (!/^[%A-Za-z0-9\\._]+$/.test(exe)) throw new UnsafeArgumentError(exe, "not a program name");
  return [exe, ...args].join(" ");
}

/** Round-trip guard used in tests and before sending: the line parses back to the intended argv. */
export function parsesTo(line: string, argv: string[]): boolean {
  const got = parseWindowsCommandLine(line);
  return got.length === argv.length && got.every((a, i) => a === argv[i]);
}

/**
 * A path under one of the server's own folders, left for cmd.exe to expand (`"%ProgramData%\wsus-iis\x.txt"`):
 * the variable comes from a fixed list and the rest passes assertSafe, so no user data carries a `%`.
 */
const SERVER_FOLDERS = new Set(["ProgramData", "windir", "SystemRoot", "SystemDrive"]);
export function serverPathArg(variable: string, rest: string): string {
  if (!SERVER_FOLDERS.has(variable)) throw new UnsafeArgumentError(variable, "not one of the server folders this module may reference");
  assertSafe(rest);
  if (!rest.startsWith("\\")) throw new UnsafeArgumentError(rest, "expected a path starting with a backslash");
  return `"%${variable}%${rest.replace(/(\\+)$/, "$1$1")}"`;
}
