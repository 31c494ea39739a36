import type { LocalGroup } from "../state/schema";
import { principal } from "../model/principals";

/** What `net localgroup <name>` lists: the group's name and its members as printed. */
export interface NetLocalGroupText {
  name: string;
  members: string[];
}
import { EvidenceError } from "./errors";

/**
 * Parser for `net localgroup <name>`, in any language:
 *
 * ```
 * Alias name     Users
 * Comment        Users are prevented from making accidental or intentional system-wide changes …
 *
 * Members
 *
 * -------------------------------------------------------------------------------
 * NT AUTHORITY\Authenticated Users
 * NT AUTHORITY\INTERACTIVE
 * The command completed successfully.
 * ```
 *
 * Only the layout is relied on, never the words: the group name is what follows the run of 2+ spaces
 * on the first line; the members are the lines after the dashes line, the last non-empty line (the
 * "completed successfully" message) excluded.
 */

/** The evidence field a `net localgroup` text comes from: `localGroups["Users"]`. */
export function netLocalGroupField(name?: string): string {
  return name === undefined ? "localGroups" : `localGroups[${JSON.stringify(name)}]`;
}

/**
 * @param expectedName the group the command was run for; used in error messages and as the name when
 *   the first line has no `label  value` layout.
 */
export function parseNetLocalGroup(text: string, expectedName?: string, field = netLocalGroupField(expectedName)): NetLocalGroupText {
  if (typeof text !== "string") throw new EvidenceError(field, "expected the text printed by net localgroup");
  const lines = text
    .replace(/^\uFEFF/, "")
    .split(/\r\n|\r|\n/)
    .map((l) => l.trimEnd());
  const nonEmpty = lines.filter((l) => l.trim() !== "");
  if (nonEmpty.length === 0) throw new EvidenceError(field, "the net localgroup output is empty");

  const dashes = lines.findIndex((l) => /^-{10,}$/.test(l.trim()));
  if (dashes < 0) {
    // `System error 1376 has occurred.` / `The specified local group does not exist.` …
    throw new EvidenceError(field, `net localgroup failed: ${nonEmpty.map((l) => l.trim()).join(" ")}`);
  }

  const head = /^\S.*?\s{2,}(\S.*)$/.exec(nonEmpty[0]);
  const name = head ? head[1].trim() : expectedName;
  if (!name) throw new EvidenceError(field, `line 1: cannot find the group name in ${JSON.stringify(nonEmpty[0].trim())}`);

  const after = lines.slice(dashes + 1);
  let last = after.length - 1;
  while (last >= 0 && after[last].trim() === "") last--;
  if (last < 0) throw new EvidenceError(field, "the output ends at the dashes line (truncated? no completion message)");
  const members = after
    .slice(0, last)
    .map((l) => l.trim())
    .filter((l) => l !== "");
  return { name, members };
}

/** The listing as a LocalGroup: members' SIDs where the name is a well-known one (principal()). */
export function localGroupFromText(g: NetLocalGroupText, computerName?: string): LocalGroup {
  return {
    name: g.name,
    sid: principal(g.name, computerName).sid,
    members: g.members.map((m) => ({ name: m, sid: principal(m, computerName).sid })),
  };
}

/** Whether `principalName` is a member, comparing SIDs when both are known, else principal() keys. */
export function isMember(group: LocalGroup, principalName: string, computerName?: string): boolean {
  const key = principal(principalName, computerName).key;
  return group.members.some((m) => m.sid === key || principal(m.name, computerName).key === key);
}
