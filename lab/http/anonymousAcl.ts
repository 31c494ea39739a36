import { effectiveAccess } from "../../core/acl/effective";
import { covers, REQUIRED, rightsToMask } from "../../core/acl/rights";
import { principal, SID } from "../../core/model/principals";
import type { DirAcl } from "../../core/state/schema";
import { effectiveAcl, readLabState } from "../state";
import type { AnonymousReadRequest } from "./server";

/**
 * The NTFS side of anonymous requests, like IIS: the anonymous identity (IUSR_<COMPUTERNAME> in the
 * KB's IIS 6 world, built-in IUSR on IIS 7+) must be able to read the file, through its own ACEs, the
 * Users group (when it is a member; built-in IUSR always is), or Everyone. Otherwise IIS answers 401.3.
 */
export async function labAnonymousCanRead(req: AnonymousReadRequest): Promise<boolean> {
  const state = await readLabState(req.labDir);
  const computer = state.computerName;
  const aces = await effectiveAcl(req.labDir, state, req.windowsPath);
  // A lab folder written by hand without any ACLs does not model NTFS: serve it.
  if (aces.length === 0) return true;
  const acl: DirAcl = {
    path: req.windowsPath,
    aces: aces.map((a) => {
      const p = principal(a.principal, computer);
      return {
        principal: a.principal,
        sid: p.sid,
        type: a.type,
        mask: rightsToMask(a.rights),
        rights: a.rights,
        inherited: a.inherited,
        objectInherit: a.oi,
        containerInherit: a.ci,
        inheritOnly: a.io,
        noPropagate: a.np,
      };
    }),
  };
  const modern = state.profile === "modern";
  const anon = modern ? SID.iusr : principal(`IUSR_${computer}`, computer).key;
  const users = state.groups["Users"]?.members ?? [];
  const inUsers = modern || users.some((m) => principal(m, computer).key === anon);
  const keys = [anon, ...(inUsers ? [SID.users, SID.authenticatedUsers] : [])];
  return covers(effectiveAccess(acl, { keys, computerName: computer }).folder, REQUIRED.R);
}
