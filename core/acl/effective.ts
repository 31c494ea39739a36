import type { Ace, DirAcl } from "../state/schema";
import { principal, SID } from "../model/principals";
import { covers, REQUIRED, type RequiredRight } from "./rights";

/**
 * "At least these rights" for a set of principals, from explicit and inherited ACEs alike (an
 * inherited ACE is as real as an explicit one), evaluated the way AccessCheck does: "The system
 * examines each ACE in sequence until … an access-denied ACE explicitly denies any of the requested
 * access rights … [or] access-allowed ACEs … explicitly grant all the requested access rights"
 * (learn.microsoft.com/windows/win32/secauthz/how-dacls-control-access-to-an-object). For a mask that
 * is: each right is decided by the first matching ACE, in DACL order, that names it. So an explicit
 * allow ahead of an inherited deny wins (the canonical order puts explicit entries first; "order of
 * ACEs in a DACL"), and a deny ahead of an allow wins.
 *
 * - folder: the ACEs that apply to the folder itself (not inherit-only), in order.
 * - children: every file and subfolder at every depth. A child's DACL is its own explicit entries
 *   (not in the evidence: taken as none) followed by what it inherits, in the parent's order. As a lower
 *   bound over all children: an allow counts only if it reaches every child (OI and CI, not NP), a deny
 *   if it reaches any (OI or CI). Dropping allows and adding denies only ever removes rights, so
 *   whatever this grants every child has.
 * - files: every file at every depth (what a web server reads; subfolders are passed by "Bypass traverse
 *   checking", which Everyone holds). "ObjectInherit: target folder, child object (file), grandchild object
 *   (file)"; with NoPropagateInherit only the child files; a CONTAINER_INHERIT_ACE alone has "no effect"
 *   on files (learn.microsoft.com "ACL Propagation Rules" and "ACE Inheritance Rules": a subfolder keeps an
 *   OI entry as inherit-only and passes it on). So an allow reaches every file when OI and not NP, a deny
 *   reaches some file when OI.
 *
 * A principal matches by principal() key (the SID when known). Everyone (S-1-1-0) matches everybody.
 * Other group memberships (Users, Authenticated Users …) are the caller's to list in `keys`.
 */
export interface Who {
  /** Principal keys or names (both are normalised with principal()). */
  keys: Iterable<string>;
  /** Groups in the token for deny only (a deny-only SID, or one that may or may not be there): their deny entries count, never their allows. */
  denyOnly?: Iterable<string>;
  /** Lets `WSUS01\IUSR_WSUS01` in an ACE match `IUSR_WSUS01`. */
  computerName?: string;
}

export interface Access {
  folder: number;
  children: number;
  files: number;
}

/** The principal() key of an ACE's trustee. */
export function aceKey(ace: Ace, computerName?: string): string {
  return ace.sid ?? principal(ace.principal, computerName).key;
}

/**
 * Whether an ACE's trustee is the principal with comparison key `key` (principal().key): by SID, or by
 * name where one side's SID is not known (a local account such as IUSR_WSUS01 read from SDDL with the
 * server's name for it).
 */
export function aceIs(ace: Ace, key: string, computerName?: string): boolean {
  return aceKey(ace, computerName) === key || principal(ace.principal, computerName).key === key;
}

export function effectiveAccess(acl: DirAcl, who: Who): Access {
  const keys = new Set<string>([SID.everyone]);
  for (const k of who.keys) keys.add(principal(k, who.computerName).key);
  const denyKeys = new Set<string>(keys);
  for (const k of who.denyOnly ?? []) denyKeys.add(principal(k, who.computerName).key);

  const folder = { granted: 0, denied: 0 };
  const children = { granted: 0, denied: 0 };
  const files = { granted: 0, denied: 0 };
  // Rights already decided stay decided: the first ACE that names a right wins it.
  const decide = (d: { granted: number; denied: number }, type: Ace["type"], mask: number) => {
    const open = mask & ~(d.granted | d.denied);
    if (type === "allow") d.granted |= open;
    else d.denied |= open;
  };
  for (const ace of acl.aces) {
    // by SID, or by name where the SID of one side is not known (a local account such as IUSR_WSUS01)
    const set = ace.type === "allow" ? keys : denyKeys;
    if (!set.has(aceKey(ace, who.computerName)) && !set.has(principal(ace.principal, who.computerName).key)) continue;
    if (!ace.inheritOnly) decide(folder, ace.type, ace.mask);
    const everywhere = ace.objectInherit && ace.containerInherit && !ace.noPropagate;
    const reachesChildren = ace.type === "allow" ? everywhere : ace.objectInherit || ace.containerInherit;
    if (reachesChildren) decide(children, ace.type, ace.mask);
    const reachesFiles = ace.type === "allow" ? ace.objectInherit && !ace.noPropagate : ace.objectInherit;
    if (reachesFiles) decide(files, ace.type, ace.mask);
  }
  return { folder: folder.granted >>> 0, children: children.granted >>> 0, files: files.granted >>> 0 };
}

export interface RightsCheck {
  /** folder && children. */
  ok: boolean;
  folder: boolean;
  children: boolean;
}

/**
 * Whether the principals (with Everyone) hold `required` (REQUIRED[…], SYNCHRONIZE ignored, see
 * covers()) on the folder itself and on everything below it.
 */
export function hasRights(acl: DirAcl, principalKeys: Iterable<string>, required: RequiredRight, computerName?: string): RightsCheck {
  const { folder, children } = effectiveAccess(acl, { keys: principalKeys, computerName });
  const need = REQUIRED[required];
  const f = covers(folder, need);
  const c = covers(children, need);
  return { ok: f && c, folder: f, children: c };
}
