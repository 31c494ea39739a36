import { hasRights } from "../acl/effective";
import { pathKey } from "../model/paths";
import { principal, SID } from "../model/principals";
import { isMember } from "../evidence/netLocalGroup";
import { netGroupName } from "../plan/render";
import { groupBySid } from "./query";
import { findingsFor, manual, type Rule, type RuleContext } from "./rule";

const RIGHTS_TEXT = { F: "Full Control", RX: "Read & Execute, Read, List Folder Contents" } as const;

/** KB 920659 cause 1: the SelfUpdate folder's minimum ACL, and the anonymous user's access through Users. */
export const selfUpdateAcl: Rule = {
  id: "selfupdate-acl",
  cause: 1,
  severity: "error",
  title: "SelfUpdate folder permissions",
  description:
    "The SelfUpdate folder grants Administrators and SYSTEM Full Control and Users (and so the anonymous IIS user) Read & Execute, on the folder and everything below it.",
  evaluate({ layout, state }: RuleContext) {
    const f = findingsFor(this);
    const folder = layout.selfUpdatePath;
    const acl = state.acls?.[pathKey(folder)];
    if (!acl) {
      return [f.unknown({ target: folder, message: `no ACL evidence for ${folder}`, remediation: `collect \`icacls "${folder}"\` into the evidence (acls)` })];
    }
    const computer = state.computerName ?? layout.spec.computerName ?? undefined;
    const findings = layout.selfUpdateAcl.flatMap((req) => {
      const keys = new Set([req.sid ?? principal(req.principal, computer).key, SID.everyone]);
      const r = hasRights(acl, keys, req.rights, computer);
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

    // The anonymous identity: served through Users when it is a member, else it needs its own ACE.
    const anon = layout.anonymousIdentity;
    if (!anon.sid && !computer) {
      findings.push(
        f.unknown({
          target: folder,
          message: "the anonymous account IUSR_<COMPUTERNAME> cannot be named: the computer name is not known",
          remediation: "set computerName in the spec, or collect evidence with its computerName",
        }),
      );
      return findings;
    }
    const anonKey = anon.sid ?? principal(anon.principal, computer).key;
    const usersGroup = groupBySid(state, SID.users);
    const member = anon.implicitUsersMember || (usersGroup ? isMember(usersGroup, anon.sid ?? anon.principal, computer) : null);
    // `net localgroup` takes the group's name on this server (`Benutzer` on a German one), never `Users`.
    const usersName = usersGroup?.name ?? "Users";
    // KB 920659 cause 1 names both: the folder's permissions, and the anonymous account removed from
    // Users (which also locks it out of every other folder IIS serves anonymously). Re-adding a group
    // member is opt-in; until then an explicit ACE keeps at least SelfUpdate readable.
    const optIn = layout.spec.repairs.addIusrToUsers;
    if (member === false) {
      findings.push(
        f.fail({
          target: "Users",
          message: `${anon.principal} is not a member of the local Users group`,
          repair: optIn
            ? [{ kind: "add-group-member", group: usersName, groupSid: SID.users, member: anon.principal }]
            : [manual(`re-add the anonymous account to Users: net localgroup ${netGroupName(usersName)} ${anon.principal} /add (opt in with repairs.addIusrToUsers)`)],
        }),
      );
    }
    const keys = new Set([anonKey, SID.everyone, ...(member ? [SID.users] : [])]);
    const direct = hasRights(acl, keys, "RX", computer);
    if (!direct.ok) {
      if (member === null) {
        findings.push(
          f.unknown({
            target: folder,
            message: `${anon.principal} has no Read & Execute of its own and Users membership is unknown`,
            remediation: "collect `net localgroup Users` into the evidence (localGroups.Users)",
          }),
        );
      } else if (!member && !optIn) {
        findings.push(
          f.fail({
            target: folder,
            message: `${anon.principal} has no Read & Execute on ${folder} (not through Users, not of its own)`,
            repair: [{ kind: "grant-acl", path: folder, principal: anon.principal, sid: anon.sid, rights: "RX" }],
          }),
        );
      } else if (member && !findings.length) {
        findings.push(
          f.fail({
            target: folder,
            message: `${anon.principal} is denied Read & Execute on ${folder}`,
            // Removing an ACE the spec does not own is never automatic.
            repair: [manual(`remove the Deny entry for ${anon.principal}: icacls "${folder}" /remove:d "${anon.principal}"`)],
          }),
        );
      }
    }
    return findings;
  },
};
