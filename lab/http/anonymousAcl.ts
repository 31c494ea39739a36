import { anonymousIdentity, anonymousRead, anonymousToken } from "../../core/acl/anonymous";
import { dirAclFromSddl } from "../../core/evidence/sddl";
import { SID } from "../../core/model/principals";
import type { LocalGroup } from "../../core/state/schema";
import { readLabState, resolveAccount } from "../state";
import { labAclSddl, labLocalGroup } from "../windowsApi";
import type { AnonymousReadRequest } from "./server";

/**
 * The NTFS side of anonymous requests, like IIS: the anonymous user (anonymousAuthentication/@userName
 * for the URL; IUSR by default) must be able to read the file, judged with the token it really has
 * (core/acl/anonymous.ts, the same function the selfupdate-acl rule asks), from the ACL and the Users
 * group as the agent reads them on this lab (lab/windowsApi.ts). Otherwise IIS answers 401.3.
 * userName="" (the application pool identity) is not modelled: served.
 */
export async function labAnonymousCanRead(req: AnonymousReadRequest): Promise<boolean> {
  const state = await readLabState(req.labDir);
  // A lab folder written by hand without any ACLs does not model NTFS: serve it. (An empty DACL in a lab
  // that has ACLs is what it is on Windows: nobody may read.)
  if (Object.keys(state.acls).length === 0) return true;
  const sddl = await labAclSddl(req.labDir, req.windowsPath);
  if (sddl === null) return true;
  const named = anonymousIdentity(req.anonymousUser);
  if (named.kind === "pool") return true;
  // Windows logs the account on and its token carries its SID; the ACL names trustees by SID
  const identity = named.sid ? named : { ...named, sid: resolveAccount(state, named.name)?.sid ?? null };
  const group = await labLocalGroup(req.labDir, SID.users);
  const users: LocalGroup | null = group ? { name: group.name, sid: group.sid, members: group.members.map((m) => ({ name: m.name ?? m.sid ?? "?", sid: m.sid })) } : null;
  const acl = dirAclFromSddl(req.windowsPath, sddl, "acl");
  const read = anonymousRead(acl, anonymousToken(identity, users, state.computerName), state.computerName);
  // a file is read through its own ACL (folder); what the evidence cannot tell the lab knows: never null here
  return read.folder === true;
}
