import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { effectiveAccess, hasRights } from "../core/acl/effective";
import { parseIcacls, parseIcaclsFor } from "../core/evidence/icacls";
import { SID } from "../core/model/principals";
import type { DirAcl } from "../core/state/schema";

const F = 0x1f01ff;
const RX = 0x1200a9;
const R = 0x120089;

const inetpub = parseIcaclsFor(readFileSync("/work/shared/fixtures/acl-outputs/icacls-inetpub-default.txt", "utf8"), "C:\\inetpub");

/** A one-path ACL from icacls-style ACE lines. */
function acl(...aces: string[]): DirAcl {
  return parseIcacls(aces.map((a, i) => (i === 0 ? "C:\\d " : "     ") + a).join("\n"))[0];
}

describe("effectiveAccess / hasRights on the real C:\\inetpub ACL", () => {
  it("Users: RX on the folder via (RX), on children via (OI)(CI)(IO)(GR,GE)", () => {
    expect(effectiveAccess(inetpub, { keys: [SID.users] })).toEqual({ folder: RX, children: RX, files: RX });
    expect(hasRights(inetpub, ["BUILTIN\\Users"], "RX")).toEqual({ ok: true, folder: true, children: true });
    expect(hasRights(inetpub, [SID.users], "F").ok).toBe(false);
  });

  it("SYSTEM and Administrators: full control on folder and children", () => {
    expect(hasRights(inetpub, [SID.system], "F")).toEqual({ ok: true, folder: true, children: true });
    expect(hasRights(inetpub, ["Administrators"], "F").ok).toBe(true);
    expect(hasRights(inetpub, ["NT SERVICE\\TrustedInstaller"], "F").ok).toBe(true);
  });

  it("IUSR alone has nothing; IUSR with its Users membership has RX", () => {
    expect(effectiveAccess(inetpub, { keys: [SID.iusr] })).toEqual({ folder: 0, children: 0, files: 0 });
    expect(hasRights(inetpub, [SID.iusr, SID.users], "RX").ok).toBe(true);
  });

  it("CREATOR OWNER is inherit-only: nothing on the folder", () => {
    expect(effectiveAccess(inetpub, { keys: ["CREATOR OWNER"] })).toEqual({ folder: 0, children: F, files: F });
  });
});

describe("effectiveAccess rules", () => {
  it("inherited ACEs count like explicit ones", () => {
    const a = acl("NT AUTHORITY\\SYSTEM:(I)(OI)(CI)(F)", "BUILTIN\\Users:(I)(OI)(CI)(RX)");
    expect(hasRights(a, [SID.users], "RX")).toEqual({ ok: true, folder: true, children: true });
    expect(hasRights(a, [SID.system], "F").ok).toBe(true);
  });

  it("IO does not apply to the folder", () => {
    const a = acl("BUILTIN\\Users:(OI)(CI)(IO)(RX)");
    expect(hasRights(a, [SID.users], "RX")).toEqual({ ok: false, folder: false, children: true });
  });

  it("a folder-only ACE gives no children", () => {
    const a = acl("BUILTIN\\Users:(RX)");
    expect(hasRights(a, [SID.users], "RX")).toEqual({ ok: false, folder: true, children: false });
  });

  it("NP, OI only or CI only do not reach every child", () => {
    expect(hasRights(acl("BUILTIN\\Users:(OI)(CI)(NP)(RX)"), [SID.users], "RX")).toEqual({ ok: false, folder: true, children: false });
    expect(hasRights(acl("BUILTIN\\Users:(OI)(RX)"), [SID.users], "RX").children).toBe(false);
    expect(hasRights(acl("BUILTIN\\Users:(CI)(RX)"), [SID.users], "RX").children).toBe(false);
  });

  it("rights add up across ACEs and groups", () => {
    const a = acl("BUILTIN\\Users:(OI)(CI)(R)", "Everyone:(OI)(CI)(X)");
    expect(effectiveAccess(a, { keys: [SID.users] })).toEqual({ folder: R | 0x20, children: R | 0x20, files: R | 0x20 });
    expect(hasRights(a, [SID.users], "RX").ok).toBe(true);
    expect(hasRights(a, [SID.users], "R").ok).toBe(true);
  });

  // learn.microsoft.com/windows/win32/secauthz/how-dacls-control-access-to-an-object: "The system examines
  // each ACE in sequence until … an access-denied ACE explicitly denies any of the requested access rights".
  it("AccessCheck: the first matching ACE in DACL order decides each right; a deny ahead of an allow wins", () => {
    // canonical order (icacls writes explicit denies first): the deny wins
    const canonical = acl("NT AUTHORITY\\IUSR:(OI)(CI)(DENY)(X)", "BUILTIN\\Users:(OI)(CI)(RX)");
    expect(hasRights(canonical, [SID.iusr, SID.users], "RX")).toEqual({ ok: false, folder: false, children: false });
    expect(hasRights(canonical, [SID.users], "RX").ok).toBe(true); // the deny is IUSR's only
    // An inherit-only deny spares the folder; a deny reaching some children (NP, OI only) spoils them.
    expect(hasRights(acl("NT AUTHORITY\\IUSR:(OI)(IO)(NP)(DENY)(RD)", "BUILTIN\\Users:(OI)(CI)(RX)"), [SID.iusr, SID.users], "RX")).toEqual({
      ok: false,
      folder: true,
      children: false,
    });
    // A folder-only deny spares the children.
    expect(hasRights(acl("BUILTIN\\Users:(DENY)(RD)", "BUILTIN\\Users:(OI)(CI)(RX)"), [SID.users], "RX")).toEqual({ ok: false, folder: false, children: true });
  });

  it("AccessCheck: an explicit allow ahead of an inherited deny wins (canonical order: explicit before inherited)", () => {
    const a = acl("NT AUTHORITY\\IUSR:(OI)(CI)(RX)", "BUILTIN\\Users:(I)(OI)(CI)(DENY)(RX)");
    expect(hasRights(a, [SID.iusr, SID.users], "RX")).toEqual({ ok: true, folder: true, children: true });
    // Rights the allow did not grant stay open for the later deny
    expect(hasRights(a, [SID.iusr, SID.users], "F").ok).toBe(false);
    // and in a non-canonical ACL the order is still what counts: an allow ahead of a deny grants first
    expect(hasRights(acl("BUILTIN\\Users:(OI)(CI)(RX)", "NT AUTHORITY\\IUSR:(OI)(CI)(DENY)(X)"), [SID.iusr, SID.users], "RX").ok).toBe(true);
  });

  it("files: a CI-only deny reaches subfolders, never files; an OI deny with NP still reaches the files right below", () => {
    const ciDeny = acl("BUILTIN\\Users:(CI)(DENY)(R)", "BUILTIN\\Users:(OI)(CI)(RX)");
    expect(effectiveAccess(ciDeny, { keys: [SID.users] })).toMatchObject({ files: RX });
    expect(effectiveAccess(ciDeny, { keys: [SID.users] }).children & 0x1).toBe(0);
    const oiNpDeny = acl("BUILTIN\\Users:(OI)(NP)(DENY)(R)", "BUILTIN\\Users:(OI)(CI)(RX)");
    expect(effectiveAccess(oiNpDeny, { keys: [SID.users] }).files & 0x1).toBe(0);
    // an allow that stops one level down (NP) does not reach the files deeper down
    expect(effectiveAccess(acl("BUILTIN\\Users:(OI)(CI)(NP)(RX)"), { keys: [SID.users] }).files).toBe(0);
  });

  it("a right denied by an earlier ACE stays denied, even if a later allow names it", () => {
    const a = acl("Everyone:(OI)(CI)(DENY)(RD)", "BUILTIN\\Users:(OI)(CI)(F)");
    expect(effectiveAccess(a, { keys: [SID.users] }).folder & 0x1).toBe(0);
    expect(hasRights(a, [SID.users], "RX").ok).toBe(false);
  });

  it("(N) grants nothing and denies nothing", () => {
    const a = acl("NT AUTHORITY\\IUSR:(OI)(CI)(N)", "BUILTIN\\Users:(OI)(CI)(RX)");
    expect(hasRights(a, [SID.iusr, SID.users], "RX").ok).toBe(true);
    expect(hasRights(a, [SID.iusr], "RX").ok).toBe(false);
  });

  it("local accounts match with or without the computer name", () => {
    const a = acl("WSUS01\\IUSR_WSUS01:(OI)(CI)(RX)");
    expect(hasRights(a, ["IUSR_WSUS01"], "RX", "WSUS01").ok).toBe(true);
    expect(hasRights(a, ["iusr_wsus01"], "RX", "WSUS01").ok).toBe(true);
    expect(hasRights(a, ["IUSR_WSUS01"], "RX").ok).toBe(false);
    expect(effectiveAccess(a, { keys: new Set(["WSUS01\\IUSR_WSUS01"]) }).folder).toBe(RX);
  });

  it("RX without SYNCHRONIZE (specific list) still counts as RX", () => {
    const a = acl("BUILTIN\\Users:(OI)(CI)(Rc,RD,REA,X,RA)");
    expect(hasRights(a, [SID.users], "RX").ok).toBe(true);
    expect(hasRights(acl("BUILTIN\\Users:(OI)(CI)(RD,X,RA)"), [SID.users], "RX").ok).toBe(false);
  });
});
