import { principal, SID } from "../model/principals";
import type { DirAcl, LocalGroup } from "../state/schema";
import { effectiveAccess } from "./effective";
import { covers, REQUIRED } from "./rights";

/**
 * Whether IIS's anonymous user can read a folder, judged the way Windows grants access: the ACL's
 * allow and deny entries, explicit and inherited, against the groups in that user's token. The rule
 * (selfupdate-acl, KB cause 1) and the lab's HTTP front (lab/http/anonymousAcl.ts, 401.3) both ask
 * this one function (docs/research/iis-anonymous.md has the sources).
 *
 * Who the anonymous user is: anonymousAuthentication/@userName, effective for the URL. The default is
 * IUSR; `userName=""` runs anonymous requests as the application pool identity (IIS configuration
 * reference, anonymousAuthentication).
 *
 * Its token: real `whoami /all` dumps of processes running as NT AUTHORITY\IUSR under IIS show the
 * account's own SID, Everyone, Authenticated Users, This Organization, LOCAL, CONSOLE LOGON, SERVICE
 * (deny only), BUILTIN\Users, and sometimes IIS_IUSRS; never NETWORK, INTERACTIVE or BATCH. Users comes
 * in because Authenticated Users is a member of Users ("the IUSR account is put in the users group by
 * virtue of the NT Authority\Authenticated Users group", ServerFault 708178; Microsoft: "After the
 * initial installation of the OS, the only member is the Authenticated Users group"). So Users is in
 * the token when the group holds the account itself or one of the token's groups; a server that took
 * Authenticated Users out of Users serves 401.3 for a folder only Users may read.
 *
 * Fail-safe where the token is not certain: groups that may or may not be in it (IIS_IUSRS, which the
 * evidence does not list; Users when its members were not read) count for their deny entries, never
 * for their allow entries, and a verdict that depends on them is "unknown".
 */

export const TOKEN_SIDS = {
  thisOrganization: "S-1-5-15",
  local: "S-1-2-0",
  consoleLogon: "S-1-2-1",
  service: "S-1-5-6",
  iisIusrs: "S-1-5-32-568",
} as const;

export type AnonymousIdentity =
  /** A Windows account: built-in IUSR (S-1-5-17) or a named one such as IUSR_WSUS01. */
  | { kind: "account"; name: string; sid: string | null }
  /** userName="": the application pool identity, which the evidence does not resolve. */
  | { kind: "pool" };

/** The anonymous identity from the effective anonymousAuthentication/@userName (null = set nowhere = IUSR). */
export function anonymousIdentity(userName: string | null): AnonymousIdentity {
  if (userName === "") return { kind: "pool" };
  const name = userName ?? "IUSR";
  const p = principal(name);
  return { kind: "account", name, sid: p.sid };
}

export interface AnonymousToken {
  /** Principal keys whose allow and deny entries apply. */
  keys: string[];
  /** Keys whose deny entries apply, and whose allow entries may or may not (fail-safe). */
  maybe: string[];
  /** Keys whose deny entries apply, never their allow entries (deny-only groups). */
  denyOnly: string[];
  /** Users in the token: true, false, or null when its members were not read. */
  users: boolean | null;
}

export function anonymousToken(identity: Extract<AnonymousIdentity, { kind: "account" }>, usersGroup: LocalGroup | null | undefined, computerName?: string): AnonymousToken {
  const own = identity.sid ?? principal(identity.name, computerName).key;
  const keys = [own, SID.everyone, SID.authenticatedUsers, TOKEN_SIDS.thisOrganization, TOKEN_SIDS.local, TOKEN_SIDS.consoleLogon];
  let users: boolean | null = null;
  if (usersGroup) {
    // By SID, and by name: an account without a well-known SID (IUSR_<COMPUTERNAME>) is known to the
    // token by its name, and the group lists it as `WSUS01\IUSR_WSUS01` with its machine SID.
    const memberKeys = new Set(usersGroup.members.flatMap((m) => [...(m.sid ? [m.sid] : []), principal(m.name, computerName).key]));
    users = keys.some((k) => memberKeys.has(k));
  }
  if (users === true) keys.push(SID.users);
  const maybe = [TOKEN_SIDS.iisIusrs, ...(users === null ? [SID.users] : [])];
  return { keys, maybe, denyOnly: [TOKEN_SIDS.service], users };
}

export interface AnonymousRead {
  /** true: readable for sure; false: not readable; null: depends on what the evidence does not say. */
  folder: boolean | null;
  /** Files and subfolders at every depth (what (OI)(CI) inheritance gives). */
  children: boolean | null;
  /** Every file at every depth: what IIS serves (core/acl/effective.ts). */
  files: boolean | null;
}

/** Read access (FILE_GENERIC_READ: what serving a file needs) of the anonymous token on a folder. */
export function anonymousRead(acl: DirAcl, token: AnonymousToken, computerName?: string): AnonymousRead {
  const need = REQUIRED.R;
  // Optimistic: the uncertain groups' allows count too. Pessimistic: they only deny.
  const optimistic = effectiveAccess(acl, { keys: [...token.keys, ...token.maybe], denyOnly: token.denyOnly, computerName });
  const pessimistic = effectiveAccess(acl, { keys: token.keys, denyOnly: [...token.maybe, ...token.denyOnly], computerName });
  const verdict = (opt: number, pes: number): boolean | null => {
    const o = covers(opt, need);
    const p = covers(pes, need);
    return o === p ? p : null;
  };
  return {
    folder: verdict(optimistic.folder, pessimistic.folder),
    children: verdict(optimistic.children, pessimistic.children),
    files: verdict(optimistic.files, pessimistic.files),
  };
}
