import { readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { effectiveAccess } from "../core/acl/effective";
import { FILE_ALL_ACCESS, FILE_GENERIC_EXECUTE, FILE_GENERIC_READ } from "../core/acl/rights";
import { EvidenceError } from "../core/evidence/errors";
import { parseIcaclsFor } from "../core/evidence/icacls";
import { dirAclFromSddl, parseSddl, sddlTrusteeSid } from "../core/evidence/sddl";

const FIXTURES = join(__dirname, "..", "..", "shared", "fixtures", "acl-outputs");
const fixture = (name: string) =>
  readFileSync(join(FIXTURES, name), "utf8")
    .split(/\r?\n/)
    .filter((l) => !l.startsWith("#"))
    .join("\n");

const TRUSTED_INSTALLER = "S-1-5-80-956008885-3418522649-1831038044-1853292631-2271478464";

describe("SDDL (Get-Acl .Sddl, icacls /save): identity by SID", () => {
  it("parses the real Get-Acl SDDL of C:\\inetpub (cbrt64/Reset-inetpub) with owner, aliases, generic rights and inherit-only ACEs", () => {
    const p = parseSddl(fixture("get-acl-sddl-inetpub-default.txt").trim());
    expect(p.owner).toBe("S-1-5-18");
    expect(p.protected).toBe(true);
    expect(p.aces).toHaveLength(9);
    const users = p.aces!.filter((a) => a.sid === "S-1-5-32-545");
    // (A;OICIIO;GXGR;;;BU): generic read + execute, mapped to the file rights; (A;;0x1200a9;;;BU) = RX on the folder
    expect(users.map((a) => [a.mask, a.inheritOnly, a.objectInherit, a.containerInherit])).toEqual([
      [FILE_GENERIC_READ | FILE_GENERIC_EXECUTE, true, true, true],
      [0x1200a9, false, false, false],
    ]);
    expect(p.aces!.find((a) => a.sid === TRUSTED_INSTALLER && !a.inheritOnly)?.mask).toBe(FILE_ALL_ACCESS);
    expect(p.aces!.find((a) => a.sid === "S-1-3-0")).toMatchObject({ principal: "CREATOR OWNER", inheritOnly: true, mask: FILE_ALL_ACCESS });
  });

  it("grants exactly what the icacls text of the same folder grants (same system, cbrt64/Reset-inetpub README and Reset.ps1)", () => {
    const fromSddl = dirAclFromSddl("C:\\inetpub", fixture("get-acl-sddl-inetpub-default.txt").trim(), "acls");
    const fromText = parseIcaclsFor(fixture("icacls-inetpub-default.txt"), "C:\\inetpub");
    for (const sid of ["S-1-5-32-545", "S-1-5-32-544", "S-1-5-18", "S-1-5-17", "S-1-1-0", TRUSTED_INSTALLER]) {
      expect(effectiveAccess(fromSddl, { keys: [sid] }), sid).toEqual(effectiveAccess(fromText, { keys: [sid] }));
    }
  });

  it("reads the DACL line of an icacls /save file, with its S:AINO_ACCESS_CONTROL tail", () => {
    const lines = fixture("icacls-save-inetpub-default.utf8.txt").split("\n").filter(Boolean);
    const p = parseSddl(lines[1]);
    expect(p.protected).toBe(true);
    expect(p.aces).toHaveLength(9);
  });

  it("reads a domain SID as owner group (DataDog docs' Get-Acl, its wrapped Sddl joined)", () => {
    const text = fixture("get-acl-fl-datadog-wrapped-sddl.txt");
    const sddl = /Sddl\s+:\s+([\s\S]*)$/.exec(text)![1].replace(/\s+/g, "");
    const p = parseSddl(sddl);
    expect(p.owner).toBe("S-1-5-32-544");
    expect(p.aces!.map((a) => a.sid)).toEqual(["S-1-5-18", "S-1-5-32-544", "S-1-5-21-2685101404-2783901971-939297808-1001"]);
  });

  it("aliases are SIDs from Microsoft's SID strings table: IU is INTERACTIVE and IS is IIS_IUSRS, neither is IUSR", () => {
    expect(sddlTrusteeSid("IU")).toBe("S-1-5-4");
    expect(sddlTrusteeSid("IS")).toBe("S-1-5-32-568");
    expect(sddlTrusteeSid("AU")).toBe("S-1-5-11");
    expect(sddlTrusteeSid("s-1-5-17")).toBe("S-1-5-17");
    expect(sddlTrusteeSid("LA")).toBe("SDDL:LA"); // machine-relative: never equal to a well-known SID
  });

  it("deny ACEs and inheritance flags are kept; ID marks inherited ACEs", () => {
    const p = parseSddl("D:AI(D;OICI;FR;;;AU)(A;OICIID;FA;;;BA)(A;CINP;FX;;;BU)");
    expect(p.protected).toBe(false);
    expect(p.aces!.map((a) => [a.type, a.sid, a.inherited, a.noPropagate])).toEqual([
      ["deny", "S-1-5-11", false, false],
      ["allow", "S-1-5-32-544", true, false],
      ["allow", "S-1-5-32-545", false, true],
    ]);
  });

  it("fails safe on ACEs that may not apply: conditional/object allows are dropped, their denies kept", () => {
    const p = parseSddl('D:(XA;;FA;;;WD;(@User.Title == "PM"))(XD;;FA;;;BU;(@User.x == 1))(A;;FR;;;BA)');
    expect(p.aces!.map((a) => [a.type, a.sid])).toEqual([
      ["deny", "S-1-5-32-545"],
      ["allow", "S-1-5-32-544"],
    ]);
  });

  it("a null DACL (D:NO_ACCESS_CONTROL) lets everyone in; no D: part is 'not known'", () => {
    expect(parseSddl("D:NO_ACCESS_CONTROL").aces).toEqual([expect.objectContaining({ sid: "S-1-1-0", mask: FILE_ALL_ACCESS })]);
    expect(parseSddl("O:BAG:SY").aces).toBeNull();
    expect(() => dirAclFromSddl("C:\\x", "O:BAG:SY", "acls")).toThrow(/no DACL/);
  });

  it("names the field and the bad part", () => {
    const bad = (s: string) => {
      try {
        parseSddl(s, 'acls["C:\\\\x"].sddl');
      } catch (e) {
        expect(e).toBeInstanceOf(EvidenceError);
        return (e as Error).message;
      }
      throw new Error(`accepted ${s}`);
    };
    expect(bad("")).toMatch(/^acls\["C:\\\\x"\]\.sddl: expected an SDDL/);
    expect(bad("D:P(A;;QQ;;;BU)")).toMatch(/unknown access rights "QQ"/);
    expect(bad("D:P(AU;SA;FA;;;BU)")).toMatch(/not an access ACE/);
    expect(bad("D:P(A;ZZ;FA;;;BU)")).toMatch(/unknown ACE flag "ZZ"/);
    expect(bad("D:P(A;;FA;;;BU")).toMatch(/not an SDDL security descriptor/);
    expect(bad("hello")).toMatch(/not an SDDL security descriptor/);
  });

  it("property: any string gives ACEs or an EvidenceError, never a crash", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), (s) => {
        try {
          parseSddl(s);
        } catch (e) {
          expect(e).toBeInstanceOf(EvidenceError);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
