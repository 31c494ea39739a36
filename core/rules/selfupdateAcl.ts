import { anonymousIdentity, anonymousRead, anonymousToken } from "../acl/anonymous";
import { effectiveAccess, hasRights } from "../acl/effective";
import { covers, REQUIRED } from "../acl/rights";
import { pathKey } from "../model/paths";
import { principal, SID, wellKnownName } from "../model/principals";
import { commandLine, quoteArg } from "../commands/quote";
import { renderAction } from "../plan/render";
import { groupBySid, selfUpdateHolders, siteFor, vdirOf } from "./query";
import { findingsFor, manualCommand, type Rule, type RuleContext } from "./rule";
import { KB920659 } from "./sources";

const addToUsers = (group: string, member: string) => ({ kind: "add-group-member" as const, group, groupSid: SID.users, member });

const RIGHTS_TEXT = { F: "Full Control", RX: "Read & Execute, Read, List Folder Contents" } as const;

/**
 * KB 920659 cause 1: "The permissions on the … SelfUpdate directory are missing or incorrectly
 * configured, or the IUSR_ComputerName account has been removed from the Users group."
 *
 * - The KB's minimum ACL: Administrators and SYSTEM Full Control, Users Read & Execute, on the folder
 *   and below ("at least these rights", explicit and inherited, deny entries subtracted).
 * - The anonymous user must be able to read it, judged with its real token (core/acl/anonymous.ts):
 *   the account IIS runs anonymous requests as (anonymousAuthentication/@userName), its groups, and
 *   Users only when Users holds it or Authenticated Users.
 * - The KB's resolution table lists the anonymous account's own Read & Execute as the alternative to
 *   Users membership: with the folder readable, a missing membership is a warning, with an opt-in repair.
 */
export const selfUpdateAcl: Rule = {
  id: "selfupdate-acl",
  group: "kb",
  helpUri: KB920659,
  cause: 1,
  severity: "error",
  title: "SelfUpdate folder permissions",
  description:
    "The SelfUpdate folder grants Administrators and SYSTEM Full Control and Users Read & Execute, on the folder and everything below it, and IIS's anonymous user can read it with the groups its token really has.",
  evaluate({ layout, state }: RuleContext) {
    const f = findingsFor(this);
    const folder = layout.selfUpdatePath;
    const acl = state.acls?.[pathKey(folder)];
    if (!acl) {
      return [f.unknown({ target: folder, message: `no ACL evidence for ${folder}`, remediation: "collect the folder's ACL into the evidence (acls)" })];
    }
    const computer = state.computerName ?? layout.spec.computerName ?? undefined;
    const findings = layout.selfUpdateAcl.flatMap((req) => {
      const r = hasRights(acl, [req.sid ?? principal(req.principal, computer).key], req.rights, computer);
      if (r.ok) return [];
      const where = !r.folder && !r.children ? "the folder and its contents" : !r.folder ? "the folder itself" : "files and subfolders (no (OI)(CI) inheritance)";
      return [
        f.fail({
          target: folder,
          message: `${req.principal} lacks ${RIGHTS_TEXT[req.rights]} on ${where}`,
          repair: [{ kind: "grant-acl", path: folder, principal: req.principal, sid: req.sid, rights: req.rights }],
        }),
      ];
    });

    // Who IIS runs anonymous requests for SelfUpdate as: the effective userName of the vdir clients use.
    const clientSite = siteFor(layout, state, layout.clientSite);
    const vdir = (clientSite && vdirOf(clientSite, layout.selfUpdateName)) ?? selfUpdateHolders(layout, state)[0]?.vdir;
    const identity = anonymousIdentity(vdir?.auth.anonymousUser ?? clientSite?.rootAuth.anonymousUser ?? null);
    if (identity.kind === "pool") {
      findings.push(
        f.unknown({
          target: folder,
          message: 'anonymous requests run as the application pool identity (anonymousAuthentication userName=""): its access is not judged',
          remediation: `check that the pool's identity can read ${folder}, or set the anonymous user back to IUSR`,
        }),
      );
      return findings;
    }
    if (identity.sid === null && identity.name.includes("<COMPUTERNAME>")) {
      // a declaration for the KB profile without computerName: no account to judge or grant to
      findings.push(
        f.unknown({
          target: folder,
          message: `the anonymous account is IUSR_<COMPUTERNAME> and the computer name is not known`,
          remediation: "set computerName in the spec (or check a server, whose evidence names it)",
        }),
      );
      return findings;
    }
    const who = identity.sid ? (wellKnownName(identity.sid) ?? identity.name) : identity.name;
    const usersGroup = groupBySid(state, SID.users);
    const token = anonymousToken(identity, usersGroup, computer);
    const read = anonymousRead(acl, token, computer);
    // What IIS needs for SelfUpdate is the files (wuident.cab … at every depth); the folder itself is the
    // KB minimum's business above.
    const readable = read.files === true;
    if (!readable) {
      if (read.files === null) {
        findings.push(
          f.unknown({
            target: folder,
            message: `whether ${who} can read ${folder} depends on its groups, which the evidence does not list`,
            remediation: "collect the local Users group (localGroups) into the evidence",
          }),
        );
      } else {
        // Without the deny entries, would it read? Then a deny is in the way: removing an entry the spec
        // does not own is a person's job.
        const allowOnly = effectiveAccess({ ...acl, aces: acl.aces.filter((a) => a.type === "allow") }, { keys: token.keys, computerName: computer });
        const denied = covers(allowOnly.files, REQUIRED.R);
        // The KB's own Users grant fixes it when the user is in Users: then that is the one repair.
        const usersGrant = { kind: "grant-acl" as const, path: folder, principal: "BUILTIN\\Users", sid: SID.users, rights: "RX" as const };
        const viaUsers = token.users === true && findings.some((x) => x.repair.some((a) => a.kind === "grant-acl" && a.sid === SID.users));
        // Opted in to the membership repair, and the Users entry would serve it: that is the one fix.
        const usersWouldRead = () => {
          const r = anonymousRead(acl, { ...token, keys: [...token.keys, SID.users], maybe: token.maybe.filter((k) => k !== SID.users), users: true }, computer);
          return r.files === true;
        };
        const viaMembership = token.users === false && layout.spec.repairs.addIusrToUsers && usersWouldRead();
        findings.push(
          f.fail({
            target: folder,
            message: denied
              ? `${who} is denied read access to ${folder} by a Deny entry (IIS answers 401.3)`
              : `${who}, IIS's anonymous user, cannot read ${folder}${token.users === false ? " (it is not in Users, not even through Authenticated Users)" : ""}: IIS answers 401.3`,
            repair: denied
              ? [manualCommand(`remove the Deny entries that hit ${JSON.stringify(who)} (the ACL shows which): `, () => commandLine("icacls", quoteArg(folder), "/remove:d"), " <account>")]
              : viaUsers
                ? [usersGrant]
                : viaMembership
                  ? [addToUsers(usersGroup?.name ?? "BUILTIN\\Users", identity.name)]
                  : [{ kind: "grant-acl", path: folder, principal: who, sid: identity.sid, rights: "RX" }],
          }),
        );
      }
    }
    // The KB's other half: the anonymous account taken out of Users. A warning once the folder is readable
    // anyway (its own ACE is the KB's alternative); other folders IIS serves anonymously may still need Users.
    if (token.users === false) {
      const usersName = usersGroup?.name ?? "BUILTIN\\Users";
      const optIn = layout.spec.repairs.addIusrToUsers;
      findings.push(
        f.warn({
          target: usersName,
          message: `${who}, IIS's anonymous user, is not in ${usersName} (neither itself nor through Authenticated Users)${readable ? `; it reads ${folder} through its own entries` : ""}`,
          repair: optIn
            ? [addToUsers(usersName, identity.name)]
            : [manualCommand("put it back in the group: ", () => renderAction(addToUsers(usersName, identity.name))!, " (opt in with repairs.addIusrToUsers)")],
        }),
      );
    }
    return findings;
  },
};
