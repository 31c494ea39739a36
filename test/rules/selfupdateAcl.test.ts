import { describe, expect, it } from "vitest";
import { rightsToMask } from "../../core/acl/rights";
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

  it("fails when IUSR_<COMPUTER> left Users (membership is an opt-in repair) and grants it RX meanwhile", () => {
    const h = withAces(healthy(), BASE());
    h.state.groups = usersGroup("NT AUTHORITY\\Authenticated Users");
    const f = run(selfUpdateAcl, h);
    expect(f.map((x) => [x.target, x.message])).toEqual([
      ["Users", "IUSR_WSUS01 is not a member of the local Users group"],
      ["C:\\Program Files\\Update Services\\Selfupdate", expect.stringContaining("IUSR_WSUS01 has no Read & Execute")],
    ]);
    expect(f[0].repair).toEqual([expect.objectContaining({ kind: "manual", text: expect.stringContaining("net localgroup Users IUSR_WSUS01 /add") })]);
    expect(f[1].repair).toEqual([{ kind: "grant-acl", path: "C:\\Program Files\\Update Services\\Selfupdate", principal: "IUSR_WSUS01", sid: null, rights: "RX" }]);
    // an explicit ACE serves SelfUpdate; the membership finding stays (KB: "removed from the Users group")
    withAces(h, [...BASE(), ace("WSUS01\\IUSR_WSUS01", null, "RX")]);
    expect(run(selfUpdateAcl, h).map((x) => x.target)).toEqual(["Users"]);
  });

  it("with repairs.addIusrToUsers the membership is the one automatic fix", () => {
    const h = withAces(healthy({ repairs: { addIusrToUsers: true } }), BASE());
    h.state.groups = usersGroup();
    expect(run(selfUpdateAcl, h).flatMap((x) => x.repair)).toEqual([{ kind: "add-group-member", group: "BUILTIN\\Users", groupSid: "S-1-5-32-545", member: "IUSR_WSUS01" }]);
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
    ]);
  });

  it("modern profile: built-in IUSR is served through Users; a Deny on IUSR fails", () => {
    const h = withAces(healthy({ profile: "modern" }), BASE());
    h.state.groups = null;
    expect(run(selfUpdateAcl, h)).toEqual([]);
    withAces(h, [...BASE(), ace("NT AUTHORITY\\IUSR", "S-1-5-17", "RX", { type: "deny" })]);
    expect(run(selfUpdateAcl, h)).toEqual([expect.objectContaining({ message: expect.stringContaining("IUSR is denied") })]);
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

  it("reports unknown without ACL evidence, or without group evidence when it matters", () => {
    const h = healthy();
    h.state.acls = null;
    expect(run(selfUpdateAcl, h)).toEqual([expect.objectContaining({ status: "unknown" })]);
    const g = withAces(healthy(), BASE());
    g.state.groups = null;
    expect(run(selfUpdateAcl, g)).toEqual([expect.objectContaining({ status: "unknown", message: expect.stringContaining("membership is unknown") })]);
  });
});
