import type { Ace, DirAcl } from "../state/schema";
import { principal, SID } from "../model/principals";
import { covers, REQUIRED, type RequiredRight } from "./rights";

/**
 * "At least these rights" for a set of principals, from explicit and inherited ACEs alike (an
 * inherited ACE is as real as an explicit one).
 *
 * - folder: OR of the allow ACEs that apply to the folder itself (not inherit-only), minus every deny
 *   ACE that applies to the folder.
 * - children: OR of the allow ACEs that reach every file and subfolder at every depth
 *   (OI and CI, not NP), minus every deny ACE that reaches *any* child (OI or CI, NP or not). Denies
 *   are subtracted whatever their position in the ACL: a lower bound, safe for non-canonical ACLs.
 *
 * A principal matches by principal() key (the SID when known). Everyone (S-1-1-0) matches everybody.
 * Other group memberships (Users, Authenticated Users …) are the caller's to list in `keys`.
 */
export interface Who {
  /** Principal keys or names (both are normalised with principal()). */
  keys: Iterable<string>;
  /** Lets `WSUS01\IUSR_WSUS01` in an ACE match `IUSR_WSUS01`. */
  computerName?: string;
}

export interface Access {
  folder: number;
  children: number;
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

  let allowFolder = 0;
  let denyFolder = 0;
  let allowChildren = 0;
  let denyChildren = 0;
  for (const ace of acl.aces) {
    // by SID, or by name where the SID of one side is not known (a local account such as IUSR_WSUS01)
    if (!keys.has(aceKey(ace, who.computerName)) && !keys.has(principal(ace.principal, who.computerName).key)) continue;
    const appliesToFolder = !ace.inheritOnly;
    if (ace.type === "allow") {
      if (appliesToFolder) allowFolder |= ace.mask;
      if (ace.objectInherit && ace.containerInherit && !ace.noPropagate) allowChildren |= ace.mask;
    } else {
      if (appliesToFolder) denyFolder |= ace.mask;
      if (ace.objectInherit || ace.containerInherit) denyChildren |= ace.mask;
    }
  }
  return { folder: (allowFolder & ~denyFolder) >>> 0, children: (allowChildren & ~denyChildren) >>> 0 };
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
