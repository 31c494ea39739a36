import type { Ace, DirAcl } from "../state/schema";
import { principal, SID } from "../model/principals";
import { normalizeWindowsPath, pathKey } from "../model/paths";
import { LABEL_POLICIES, rightTokenMask } from "../acl/rights";
import { EvidenceError } from "./errors";

/**
 * Parser for the text `icacls <path>` prints:
 *
 * ```
 * C:\inetpub NT SERVICE\TrustedInstaller:(F)
 *            BUILTIN\Users:(OI)(CI)(IO)(GR,GE)
 *
 * Successfully processed 1 files; Failed processing 0 files
 * ```
 *
 * The first line is `PATH PRINCIPAL:(flags)…(rights)`; the following ACEs are indented to the column
 * where the first principal starts. Several paths may follow each other (with or without a blank line
 * between them), and a summary line, localised, ends the output.
 *
 * Splitting the first line is the hard part: both the path and the principal may contain spaces
 * (`C:\Program Files (x86)\Update Services\Selfupdate NT AUTHORITY\Authenticated Users:(RX)`). In order:
 * 1. the column of the continuation lines, when there are any and it yields a valid ACE;
 * 2. the split whose path is the caller's `expectedPath` (pathKey comparison);
 * 3. a scored guess over every space: a raw SID, then a known authority (`NT AUTHORITY\`, `BUILTIN\`,
 *    `APPLICATION PACKAGE AUTHORITY\`, `IIS APPPOOL\`, the computer name …), then an unqualified
 *    well-known name (`Everyone`, `CREATOR OWNER`), then `DOMAIN\name` with a space-free domain (the
 *    name may have spaces), then a single word. A principal never contains `:` and has at most one `\`.
 */

const FLAGS = new Set(["I", "OI", "CI", "IO", "NP", "DENY"]);

/** Authorities icacls prints before a well-known account (English and common localisations). */
const KNOWN_DOMAINS = new Set([
  "nt authority",
  "builtin",
  "nt service",
  "application package authority",
  "iis apppool",
  "mandatory label",
  "nt virtual machine",
  "window manager",
  "font driver host",
  "nt-autorität",
  "autorite nt",
  "autorité nt",
  "autoridad nt",
  "autorità nt",
  "vordefiniert",
  "integrado",
  "verbindliche beschriftung",
]);

/** Well-known accounts icacls prints without a domain (besides those principal() knows). */
const KNOWN_UNQUALIFIED = new Set([
  "everyone",
  "creator owner",
  "creator group",
  "creator owner server",
  "creator group server",
  "owner rights",
  "console logon",
  "local",
  "null sid",
  "ersteller-gruppe",
  "besitzerrechte",
  "jeder",
  "ersteller-besitzer",
  "tout le monde",
  "propriétaire créateur",
  "todos",
]);

const CREATOR_OWNER = "S-1-3-0";
const RAW_SID = /^\*?S-1-\d+(?:-\d+)*$/i;
/** Characters Windows forbids in account names (the leading `*` of a raw SID is handled apart). */
const BAD_PRINCIPAL_CHARS = /["/[\]:;|=,+*?<>\t]/;
/** `…:(g)(g)…` up to the end of the text; group 1 = everything before that colon. */
const ACE_TAIL = /^(.*?):((?:\([^()]*\))+)\s*$/;
/** icacls's summary line in any language: two counts separated by a semicolon, no path or ACE. */
const SUMMARY = /^[^\\()]*\d[^\\()]*;[^\\()]*\d[^\\()]*$/;
/** `C:\x: Access is denied.` / `\\srv\share: The network path was not found.` */
const ERROR_LINE = /^((?:[A-Za-z]:\\|\\\\)[^:]*): (.*\S)\s*$/;
const ABSOLUTE = /^(?:[A-Za-z]:\\|\\\\)/;

/** The evidence field an icacls text comes from, as shown in error messages: `acls["C:\\x"]`. */
export function icaclsField(path?: string): string {
  return path === undefined ? "acls" : `acls[${JSON.stringify(path)}]`;
}

function plausiblePrincipal(p: string): boolean {
  if (p === "" || p !== p.trim()) return false;
  if (RAW_SID.test(p)) return true;
  if (BAD_PRINCIPAL_CHARS.test(p)) return false;
  const parts = p.split("\\");
  if (parts.length > 2) return false;
  return parts.every((s) => s.trim() !== "" && s === s.trim());
}

/** How likely `p` is a whole principal as icacls prints it; -1 = impossible. */
function principalScore(p: string, computerName?: string): number {
  if (!plausiblePrincipal(p)) return -1;
  if (RAW_SID.test(p)) return 90;
  const bs = p.indexOf("\\");
  if (bs >= 0) {
    const domain = p.slice(0, bs).toLowerCase();
    if (KNOWN_DOMAINS.has(domain) || (computerName !== undefined && domain === computerName.toLowerCase())) return 80;
    return /\s/.test(domain) ? 10 : 50;
  }
  // Only names icacls prints without a domain: `Administrators` alone is more likely a path's tail
  // (`C:\WSUS Files CONTOSO\WSUS Administrators`), icacls would print `BUILTIN\Administrators`.
  const sid = principal(p).sid;
  if (KNOWN_UNQUALIFIED.has(p.toLowerCase()) || sid === SID.everyone || sid === CREATOR_OWNER) return 70;
  return /\s/.test(p) ? 10 : 40;
}

type AceParse = { ok: true; ace: Ace | null } | { ok: false; reason: string };

/** Parse `PRINCIPAL:(flags)…(rights)`. `ace: null` = a mandatory-label entry (not an access ACE). */
function parseAceText(text: string, computerName?: string): AceParse {
  const m = ACE_TAIL.exec(text);
  if (!m) return { ok: false, reason: "expected PRINCIPAL:(…)" };
  return parseAceParts(m[1], m[2], computerName);
}

function parseAceParts(name: string, groupsText: string, computerName?: string): AceParse {
  if (!plausiblePrincipal(name)) return { ok: false, reason: `"${name}" is not an account name` };
  const groups = [...groupsText.matchAll(/\(([^()]*)\)/g)].map((g) => g[1].trim());
  const flags = new Set<string>();
  const rightsGroups: string[] = [];
  for (const g of groups) {
    const up = g.toUpperCase();
    if (FLAGS.has(up)) flags.add(up);
    else rightsGroups.push(g);
  }
  if (rightsGroups.length !== 1) {
    return { ok: false, reason: rightsGroups.length === 0 ? "no access rights" : "more than one rights group" };
  }
  const rights = rightsGroups[0];
  const tokens = rights.split(",").map((t) => t.trim());
  if (tokens.length > 0 && tokens.every((t) => LABEL_POLICIES.has(t.toUpperCase()))) return { ok: true, ace: null };
  let mask = 0;
  for (const t of tokens) {
    const bits = t === "" ? undefined : rightTokenMask(t);
    if (bits === undefined) return { ok: false, reason: `unknown access right "${t}"` };
    mask |= bits;
  }
  const p = principal(name, computerName);
  return {
    ok: true,
    ace: {
      principal: name,
      sid: p.sid,
      type: flags.has("DENY") ? "deny" : "allow",
      mask: mask >>> 0,
      rights,
      inherited: flags.has("I"),
      objectInherit: flags.has("OI"),
      containerInherit: flags.has("CI"),
      inheritOnly: flags.has("IO"),
      noPropagate: flags.has("NP"),
    },
  };
}

interface FirstLine {
  path: string;
  ace: Ace | null;
}

/**
 * Split the first line of a block into path and ACE. `column` is the indentation of the block's
 * continuation lines, when it has some. Returns null when no split gives a valid ACE.
 */
function splitFirstLine(line: string, column: number | undefined, computerName?: string, expectedPath?: string): FirstLine | null {
  // 1. The column icacls aligned the other ACEs to.
  if (column !== undefined && column > 1 && column < line.length && line[column - 1] === " " && line[column] !== " ") {
    const path = line.slice(0, column - 1);
    const parsed = parseAceText(line.slice(column), computerName);
    if (path.trim() !== "" && parsed.ok) return { path, ace: parsed.ace };
  }
  const m = ACE_TAIL.exec(line);
  if (!m) return null;
  const head = m[1];
  const candidates: { path: string; name: string; score: number }[] = [];
  for (let i = head.indexOf(" "); i >= 0; i = head.indexOf(" ", i + 1)) {
    const path = head.slice(0, i);
    const name = head.slice(i + 1);
    if (path.trim() === "") continue;
    const score = principalScore(name, computerName);
    if (score < 0) continue;
    // 2. The path the caller asked icacls about.
    const exact = expectedPath !== undefined && pathKey(path) === pathKey(expectedPath);
    candidates.push({ path, name, score: exact ? 100 : score });
  }
  // 3. The most plausible principal; on a tie the longer principal (earlier split).
  let best: (typeof candidates)[number] | undefined;
  for (const c of candidates) if (!best || c.score > best.score) best = c;
  if (!best) return null;
  const parsed = parseAceParts(best.name, m[2], computerName);
  return parsed.ok ? { path: best.path, ace: parsed.ace } : null;
}

/** Why a line that should be an ACE is not one (for the error message). */
function aceFailure(text: string, computerName?: string): string {
  const r = parseAceText(text, computerName);
  return r.ok ? "" : `: ${r.reason}`;
}

/**
 * Parse `icacls` output into one DirAcl per path it lists (in output order; paths normalised with
 * normalizeWindowsPath, principals as printed plus their SID via principal()).
 *
 * - An empty output gives `[]` (parseIcaclsFor turns that into an error).
 * - Summary lines (`Successfully processed 1 files; …`, localised) are skipped anywhere; other
 *   non-ACE lines are tolerated only at the end, after a blank line that follows the last ACE.
 * - `C:\x: Access is denied.` (or any `<absolute path>: <message>` line) and any line that is neither
 *   an ACE nor such a trailer throw EvidenceError naming the line.
 * - Mandatory-label entries (`Mandatory Label\High Mandatory Level:(NW)`) are not access ACEs and are
 *   left out.
 *
 * @param expectedPath the path icacls was run on; settles ambiguous path/principal splits.
 * @param field evidence field for error messages (default `acls["<expectedPath>"]`).
 */
export function parseIcacls(text: string, computerName?: string, expectedPath?: string, field = icaclsField(expectedPath)): DirAcl[] {
  if (typeof text !== "string") throw new EvidenceError(field, "expected the text printed by icacls");
  const lines = text.replace(/^\uFEFF/, "").split(/\r\n|\r|\n/);
  const fail = (i: number, detail: string): never => {
    throw new EvidenceError(field, `line ${i + 1}: ${detail}`);
  };

  const result: DirAcl[] = [];
  let current: DirAcl | null = null; // block still open (no blank line since its last ACE)
  let blankAfterAce = false;
  const trailer: number[] = []; // non-ACE lines after the last ACE and a blank line

  const addAce = (acl: DirAcl, ace: Ace | null) => {
    if (ace) acl.aces.push(ace);
  };
  const beginBlock = (i: number, first: FirstLine) => {
    if (trailer.length > 0) fail(trailer[0], `cannot parse line ${JSON.stringify(lines[trailer[0]].trim())}`);
    current = { path: normalizeWindowsPath(first.path), aces: [] };
    addAce(current, first.ace);
    result.push(current);
    blankAfterAce = false;
  };

  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i];
    if (raw.trim() === "") {
      current = null;
      if (result.length > 0) blankAfterAce = true;
      continue;
    }
    const trimmed = raw.trim();

    if (/^\s/.test(raw)) {
      // Continuation ACE of the open block.
      if (!current || trailer.length > 0) fail(i, `unexpected indented line ${JSON.stringify(trimmed)} outside a path's ACL`);
      const parsed = parseAceText(trimmed, computerName);
      if (!parsed.ok) fail(i, `cannot parse ACE ${JSON.stringify(trimmed)}: ${parsed.reason}`);
      else addAce(current!, parsed.ace);
      continue;
    }

    if (SUMMARY.test(trimmed)) continue;

    if (!ACE_TAIL.test(trimmed)) {
      const err = ERROR_LINE.exec(trimmed);
      if (err) fail(i, `icacls could not read ${err[1]}: ${err[2]}`);
      if (expectedPath !== undefined && trimmed.toLowerCase().startsWith(`${expectedPath.toLowerCase()}: `)) {
        fail(i, `icacls could not read ${expectedPath}: ${trimmed.slice(expectedPath.length + 2)}`);
      }
      if (blankAfterAce) {
        trailer.push(i);
        continue;
      }
      fail(i, `cannot parse line ${JSON.stringify(trimmed)}`);
    }

    // A path line: `PATH PRINCIPAL:(…)`. Its continuation lines tell where the principal starts.
    const next = lines[i + 1];
    const column = next !== undefined && /^ +\S/.test(next) ? /^ */.exec(next)![0].length : undefined;
    const first = splitFirstLine(raw.trimEnd(), column, computerName, expectedPath);

    if (current && (!first || !ABSOLUTE.test(first.path))) {
      // Inside an open block, a bare `PRINCIPAL:(…)` line is an ACE whose indentation a collector trimmed.
      const whole = ACE_TAIL.exec(trimmed);
      if (whole && principalScore(whole[1], computerName) >= 40) {
        const parsed = parseAceParts(whole[1], whole[2], computerName);
        if (parsed.ok) {
          addAce(current, parsed.ace);
          continue;
        }
      }
    }
    if (!first) fail(i, `cannot parse ACE line ${JSON.stringify(trimmed)}${aceFailure(trimmed, computerName)}`);
    beginBlock(i, first!);
  }
  return result;
}

/**
 * The ACL of `path` in the output of `icacls <path>`. Throws EvidenceError when the output is empty,
 * cannot be parsed, reports an error, or lists other paths only.
 */
export function parseIcaclsFor(text: string, path: string, computerName?: string, field = icaclsField(path)): DirAcl {
  const acls = parseIcacls(text, computerName, path, field);
  if (acls.length === 0) throw new EvidenceError(field, "the icacls output is empty (no ACL listed)");
  const key = pathKey(path);
  const hit = acls.find((a) => pathKey(a.path) === key);
  if (!hit) {
    throw new EvidenceError(field, `the icacls output lists ${acls.map((a) => JSON.stringify(a.path)).join(", ")}, not ${JSON.stringify(path)}`);
  }
  return hit;
}
