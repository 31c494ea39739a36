import { z } from "zod";

// Everything here ends up on a cmd.exe / PowerShell command line on a real server, so the accepted
// character sets are deliberately narrow: no quotes, no shell metacharacters (% ^ & | < > " ' ` $ ;),
// no control characters. Quoting (transports) is a second line of defence, not the only one.

const WINDOWS_PATH = /^[A-Za-z]:\\(?:[A-Za-z0-9 ._\-()+,@#\[\]{}~]+\\?)*$/;
const UNSAFE_PATH_PIECES = /(^|\\)\.\.?(\\|$)/;

/**
 * An absolute Windows path with a drive letter, safe characters only, no `.`/`..` parts. Environment
 * variables are refused on purpose: they would be expanded by cmd.exe on the server, not by us.
 */
export const WindowsPath = z
  .string()
  .min(3)
  .max(240)
  .refine((p) => WINDOWS_PATH.test(p) && !UNSAFE_PATH_PIECES.test(p) && !p.includes("\\\\"), {
    message:
      "expected an absolute Windows path such as C:\\Program Files\\Update Services (drive letter; letters, digits, space and . _ - ( ) + , @ # [ ] { } ~ only; no quotes, %VARS%, .. or \\\\)",
  });

/** IIS site name: what `appcmd` and `<location path=…>` accept, minus anything a shell would interpret. */
export const SiteName = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[\p{L}\p{N} ._\-()]+$/u, {
    message: "expected a site name of letters, digits, space and . _ - ( ) only",
  })
  .refine((s) => s.trim() === s, { message: "must not start or end with a space" });

/** A virtual directory / application name: one URL segment. */
export const VdirName = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._\-]*$/, { message: "expected one URL segment of letters, digits and . _ - (no slashes)" });

/** NetBIOS computer name (what IUSR_<COMPUTERNAME> is built from). */
export const ComputerName = z
  .string()
  .min(1)
  .max(15)
  .regex(/^[A-Za-z0-9][A-Za-z0-9\-_]*$/, { message: "expected a NetBIOS computer name (1-15 letters, digits, - _)" });

/** An IPv4 or IPv6 literal as IIS writes it in a binding (IPv6 with or without brackets). */
export const IpAddress = z
  .string()
  .refine((s) => isIpv4(s) || isIpv6(s.replace(/^\[(.*)\]$/, "$1")), { message: "expected an IPv4 or IPv6 address" });

export const Port = z.number().int().min(1, { message: "expected 1..65535" }).max(65535, { message: "expected 1..65535" });

/** A URL path prefix SharePoint is told to leave alone (e.g. /selfupdate). */
export const UrlPathPrefix = z.string().regex(/^\/[A-Za-z0-9._\-\/]*$/, { message: "expected a URL path such as /selfupdate" });

/** A relative file path below a directory, Windows separators, no traversal. */
export const RelativeFile = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[A-Za-z0-9 ._\-()]+(\\[A-Za-z0-9 ._\-()]+)*$/, { message: "expected a relative path such as wuident.cab or AU\\x86\\wuaucomp.cab" })
  .refine((p) => !UNSAFE_PATH_PIECES.test(p), { message: "must not contain . or .. segments" });

export function isIpv4(s: string): boolean {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  return !!m && m.slice(1).every((o) => Number(o) <= 255 && String(Number(o)) === o);
}

export function isIpv6(s: string): boolean {
  if (!/^[0-9A-Fa-f:.]+$/.test(s) || !s.includes(":")) return false;
  const parts = s.split("::");
  if (parts.length > 2) return false;
  const groups = parts.flatMap((p) => (p === "" ? [] : p.split(":")));
  const tailV4 = groups.length > 0 && groups[groups.length - 1].includes(".");
  if (tailV4 && !isIpv4(groups[groups.length - 1])) return false;
  const hexGroups = tailV4 ? groups.slice(0, -1) : groups;
  if (!hexGroups.every((g) => /^[0-9A-Fa-f]{1,4}$/.test(g))) return false;
  const count = hexGroups.length + (tailV4 ? 2 : 0);
  return parts.length === 2 ? count < 8 : count === 8;
}
