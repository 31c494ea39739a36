import { describe, expect, it } from "vitest";
import { rightsToMask } from "../../core/acl/rights";
import { toReport } from "../../core/rules";
import { selfUpdateAcl } from "../../core/rules/selfupdateAcl";
import type { Ace } from "../../core/state/schema";
import { healthy, run, usersGroup } from "../support/state";

const ace = (principal: string, sid: string | null, rights: string, extra: Partial<Ace> = {}): Ace => ({
  principal, sid, type: "allow", mask: rightsToMask(rights), rights, inherited: false,
  objectInherit: true, containerInherit: true, inheritOnly: false, noPropagate: false, ...extra,
});

function withAces(h: ReturnType<typeof healthy>, aces: Ace[]) {
  const key = Object.keys(h.state.acls!)[0];
  h.state.acls![key].aces = aces;
  return h;
}

const BASE = () => [
  ace("BUILTIN\\Administrators", "S-1-5-32-544", "F", { inherited: true }),
  ace("NT AUTHORITY\\SYSTEM", "S-1-5-18", "F", { inherited: true }),
  ace("BUILTIN\\Users", "S-1-5-32-545", "RX", { inherited: true }),
];

describe("selfupdate-acl (cause 1)", () => {
  it("passes with inherited ACEs when IUSR_<COMPUTER> is in Users (kb920659)", () => {
    const h = withAces(healthy(), BASE());
    h.state.groups = usersGroup("NT AUTHORITY\\Authenticated Users", "WSUS01\\IUSR_WSUS01");
    expect(run(selfUpdateAcl, h)).toEqual([]);
  });

  // KB 920659's resolution for cause 1 lists IUSR_<COMPUTERNAME>'s own Read & Execute as the alternative to
  // Users membership; the token (core/acl/anonymous.ts) reaches Users through Authenticated Users.
  it("IUSR_<COMPUTER> out of Users but Authenticated Users still in it: Users reaches the token, nothing to report", () => {
    const h = withAces(healthy(), BASE());
    h.state.groups = usersGroup("NT AUTHORITY\\Authenticated Users");
    expect(run(selfUpdateAcl, h)).toEqual([]);
  });

  it("IUSR_<COMPUTER> and Authenticated Users both out of Users: 401.3 (error, grant its own RX) and a membership warning", () => {
    const h = withAces(healthy(), BASE());
    h.state.groups = usersGroup("NT AUTHORITY\\INTERACTIVE");
    const f = run(selfUpdateAcl, h);
    expect(f.map((x) => [x.severity, x.target, x.message])).toEqual([
      ["error", "C:\\Program Files\\Update Services\\Selfupdate", expect.stringContaining("IUSR_WSUS01, IIS's anonymous user, cannot read")],
      ["warning", "BUILTIN\\Users", expect.stringContaining("IUSR_WSUS01, IIS's anonymous user, is not in BUILTIN\\Users")],
    ]);
    expect(f[0].repair).toEqual([{ kind: "grant-acl", path: "C:\\Program Files\\Update Services\\Selfupdate", principal: "IUSR_WSUS01", sid: null, rights: "RX" }]);
    expect(f[1].repair).toEqual([expect.objectContaining({ kind: "manual", text: expect.stringContaining("net localgroup Users IUSR_WSUS01 /add") })]);
    // its own ACE satisfies the KB: only the warning stays, and a warning leaves the server compliant
    withAces(h, [...BASE(), ace("WSUS01\\IUSR_WSUS01", null, "RX")]);
    const after = run(selfUpdateAcl, h);
    expect(after.map((x) => [x.severity, x.target])).toEqual([["warning", "BUILTIN\\Users"]]);
    expect(toReport(after).compliant).toBe(true);
  });

  it("with repairs.addIusrToUsers the membership is the one automatic fix", () => {
    const h = withAces(healthy({ repairs: { addIusrToUsers: true } }), BASE());
    h.state.groups = usersGroup();
    const add = { kind: "add-group-member", group: "BUILTIN\\Users", groupSid: "S-1-5-32-545", member: "IUSR_WSUS01" };
    expect(run(selfUpdateAcl, h).flatMap((x) => x.repair)).toEqual([add, add]);
  });

  it("fails per missing principal and says which part (folder / children) lacks the rights", () => {
    const h = withAces(healthy(), [
      ace("BUILTIN\\Administrators", "S-1-5-32-544", "RX"),
      ace("NT AUTHORITY\\SYSTEM", "S-1-5-18", "F", { objectInherit: false, containerInherit: false }),
    ]);
    h.state.groups = usersGroup("IUSR_WSUS01");
    const messages = run(selfUpdateAcl, h).map((f) => f.message);
    expect(messages).toEqual([
      "BUILTIN\\Administrators lacks Full Control on the folder and its contents",
      "NT AUTHORITY\\SYSTEM lacks Full Control on files and subfolders (no (OI)(CI) inheritance)",
      "BUILTIN\\Users lacks Read & Execute, Read, List Folder Contents on the folder and its contents",
      "IUSR_WSUS01, IIS's anonymous user, cannot read C:\\Program Files\\Update Services\\Selfupdate: IIS answers 401.3",
    ]);
  });

  it("modern profile: built-in IUSR reads through Users when Authenticated Users is in Users; a Deny on IUSR is a manual fix", () => {
    const h = withAces(healthy({ profile: "modern" }), BASE());
    h.state.groups = usersGroup("NT AUTHORITY\\Authenticated Users", "NT AUTHORITY\\INTERACTIVE");
    expect(run(selfUpdateAcl, h)).toEqual([]);
    withAces(h, [ace("NT AUTHORITY\\IUSR", "S-1-5-17", "RX", { type: "deny" }), ...BASE()]);
    const f = run(selfUpdateAcl, h);
    expect(f).toEqual([expect.objectContaining({ severity: "error", message: expect.stringContaining("NT AUTHORITY\\IUSR is denied read access") })]);
    expect(f[0].repair).toEqual([expect.objectContaining({ kind: "manual", text: expect.stringContaining("remove the Deny entries") })]);
  });

  it("modern, hardened (Authenticated Users taken out of Users): 401.3 and a grant to IUSR by SID, never by name", () => {
    const h = withAces(healthy({ profile: "modern" }), BASE());
    h.state.groups = usersGroup("NT AUTHORITY\\INTERACTIVE");
    const f = run(selfUpdateAcl, h);
    expect(f[0]).toMatchObject({ severity: "error", message: expect.stringContaining("not in Users, not even through Authenticated Users") });
    expect(f[0].repair).toEqual([{ kind: "grant-acl", path: "C:\\Program Files\\Update Services\\Selfupdate", principal: "NT AUTHORITY\\IUSR", sid: "S-1-5-17", rights: "RX" }]);
    expect(f[0].remediation).toContain("/grant *S-1-5-17:(OI)(CI)(RX)");
  });

  it("a Deny for Authenticated Users (in the anonymous token) is a 401.3, inherited or explicit", () => {
    const h = withAces(healthy({ profile: "modern" }), [ace("NT AUTHORITY\\Authenticated Users", "S-1-5-11", "R", { type: "deny", inherited: true }), ...BASE()]);
    h.state.groups = usersGroup("NT AUTHORITY\\Authenticated Users");
    expect(run(selfUpdateAcl, h)).toEqual([expect.objectContaining({ severity: "error", message: expect.stringContaining("denied read access") })]);
    // an explicit allow for IUSR ahead of an inherited deny wins (AccessCheck reads ACEs in order)
    withAces(h, [ace("NT AUTHORITY\\IUSR", "S-1-5-17", "RX"), ace("NT AUTHORITY\\Authenticated Users", "S-1-5-11", "R", { type: "deny", inherited: true }), ...BASE()]);
    expect(run(selfUpdateAcl, h)).toEqual([]);
  });

  it("anonymous requests as the application pool identity (userName=\"\"): unknown, never a grant", () => {
    const h = withAces(healthy({ profile: "modern" }), BASE());
    for (const site of h.state.sites) site.rootAuth.anonymousUser = "";
    const f = run(selfUpdateAcl, h);
    expect(f).toEqual([expect.objectContaining({ status: "unknown", message: expect.stringContaining("application pool identity") })]);
  });

  it("kb920659 without a computer name: the anonymous account is unknown, never a command with a placeholder", () => {
    const h = withAces(healthy({ computerName: undefined }), BASE());
    h.spec.computerName = undefined;
    h.state.computerName = null;
    h.state.groups = usersGroup();
    const f = run(selfUpdateAcl, h);
    expect(f).toEqual([expect.objectContaining({ status: "unknown", message: expect.stringContaining("computer name is not known") })]);
    expect(f.flatMap((x) => x.repair)).toEqual([]);
  });

  it("a hostile anonymous user name from the server never reaches a command line: the grant becomes a manual step", () => {
    const h = withAces(healthy({ profile: "modern" }), BASE());
    h.state.groups = usersGroup();
    for (const site of h.state.sites) site.rootAuth.anonymousUser = "WSUS01\\x&calc";
    const f = run(selfUpdateAcl, h);
    expect(f[0].repair).toEqual([expect.objectContaining({ kind: "manual", text: expect.stringMatching(/not run automatically \(refusing to put .*x&calc/) })]);
  });

  it("reports unknown without ACL evidence, or without group evidence when it matters", () => {
    const h = healthy();
    h.state.acls = null;
    expect(run(selfUpdateAcl, h)).toEqual([expect.objectContaining({ status: "unknown" })]);
    const g = withAces(healthy(), BASE());
    g.state.groups = null;
    expect(run(selfUpdateAcl, g)).toEqual([expect.objectContaining({ status: "unknown", message: expect.stringContaining("depends on its groups") })]);
    // with its own ACE the groups do not matter
    withAces(g, [...BASE(), ace("WSUS01\\IUSR_WSUS01", null, "RX")]);
    expect(run(selfUpdateAcl, g)).toEqual([]);
  });
});
