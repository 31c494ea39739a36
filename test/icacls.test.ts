import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { parseIcacls, parseIcaclsFor } from "../core/evidence/icacls";
import { EvidenceError } from "../core/evidence/errors";
import { covers, REQUIRED, rightsToMask, SYNCHRONIZE } from "../core/acl/rights";
import type { Ace } from "../core/state/schema";
import { evidenceError } from "./support/errors";

const FIXTURES = "/work/shared/fixtures/acl-outputs";

/** A fixture without our `#` header lines. */
function fixture(name: string): string {
  return readFileSync(`${FIXTURES}/${name}`, "utf8")
    .split(/\r?\n/)
    .filter((l) => !l.startsWith("#"))
    .join("\n");
}

/** icacls-small-examples.txt split at its `### (x)` headers, shell prompt lines removed. */
function smallExamples(): Record<string, string> {
  const out: Record<string, string> = {};
  let key = "";
  for (const line of readFileSync(`${FIXTURES}/icacls-small-examples.txt`, "utf8").split(/\r?\n/)) {
    const h = /^### \((\w)\)/.exec(line);
    if (h) {
      key = h[1];
      out[key] = "";
      continue;
    }
    if (/^(PS .*>|\$) icacls /.test(line)) continue;
    out[key] += line + "\n";
  }
  return out;
}

const F = 0x1f01ff;
const M = 0x1301bf;
const RX = 0x1200a9;
const R = 0x120089;

/** Compact view of an ACE: principal, flags string, mask. */
function brief(a: Ace): [string, string, number] {
  const flags =
    (a.inherited ? "I " : "") +
    (a.objectInherit ? "OI " : "") +
    (a.containerInherit ? "CI " : "") +
    (a.inheritOnly ? "IO " : "") +
    (a.noPropagate ? "NP " : "") +
    (a.type === "deny" ? "DENY" : "");
  return [a.principal, flags.trim(), a.mask];
}


describe("rightsToMask / covers", () => {
  it("maps simple rights", () => {
    expect(rightsToMask("F")).toBe(F);
    expect(rightsToMask("M")).toBe(M);
    expect(rightsToMask("RX")).toBe(RX);
    expect(rightsToMask("R")).toBe(R);
    expect(rightsToMask("W")).toBe(0x100116);
    expect(rightsToMask("D")).toBe(0x110000);
    expect(rightsToMask("N")).toBe(0);
    expect(rightsToMask("RX,W")).toBe(0x1201bf);
  });
  it("maps generic and specific rights, case-insensitively", () => {
    expect(rightsToMask("GR,GE")).toBe(RX);
    expect(rightsToMask("GA")).toBe(F);
    expect(rightsToMask("(RD,X,RA)")).toBe(0xa1);
    expect(rightsToMask("rd,x,ra")).toBe(0xa1);
    expect(rightsToMask("(DE,Rc,WDAC,WO,S,AS,MA,RD,WD,AD,REA,WEA,X,DC,RA,WA)")).toBe(F | 0x1000000 | 0x2000000);
    expect(rightsToMask("Rc,RD,REA,X,RA")).toBe(RX & ~SYNCHRONIZE);
    expect(() => rightsToMask("ZZ")).toThrow(/ZZ/);
    expect(() => rightsToMask("RX,")).toThrow();
  });
  it("covers ignores SYNCHRONIZE only", () => {
    expect(covers(F, REQUIRED.F)).toBe(true);
    expect(covers(F, REQUIRED.RX)).toBe(true);
    expect(covers(M, REQUIRED.F)).toBe(false);
    expect(covers(rightsToMask("Rc,RD,REA,X,RA"), REQUIRED.RX)).toBe(true);
    expect(covers(rightsToMask("RD,X,RA"), REQUIRED.RX)).toBe(false); // no REA, no Rc
    expect(covers(R, REQUIRED.RX)).toBe(false); // no traverse
    expect(covers(rightsToMask("GR,GE"), REQUIRED.RX)).toBe(true);
  });
});

describe("parseIcacls: real samples", () => {
  it("icacls C:\\inetpub (clean system)", () => {
    const acls = parseIcacls(fixture("icacls-inetpub-default.txt"));
    expect(acls).toHaveLength(1);
    expect(acls[0].path).toBe("C:\\inetpub");
    expect(acls[0].aces.map(brief)).toEqual([
      ["NT SERVICE\\TrustedInstaller", "", F],
      ["NT SERVICE\\TrustedInstaller", "OI CI IO", F],
      ["NT AUTHORITY\\SYSTEM", "", F],
      ["NT AUTHORITY\\SYSTEM", "OI CI IO", F],
      ["BUILTIN\\Administrators", "", F],
      ["BUILTIN\\Administrators", "OI CI IO", F],
      ["BUILTIN\\Users", "", RX],
      ["BUILTIN\\Users", "OI CI IO", RX],
      ["CREATOR OWNER", "OI CI IO", F],
    ]);
    // TrustedInstaller's service SID is the same on every machine (the Get-Acl SDDL of the same folder names it)
    const ti = "S-1-5-80-956008885-3418522649-1831038044-1853292631-2271478464";
    expect(acls[0].aces.map((a) => a.sid)).toEqual([
      ti,
      ti,
      "S-1-5-18",
      "S-1-5-18",
      "S-1-5-32-544",
      "S-1-5-32-544",
      "S-1-5-32-545",
      "S-1-5-32-545",
      "S-1-3-0",
    ]);
    expect(acls[0].aces[7].rights).toBe("GR,GE");
    expect(acls[0].aces.every((a) => a.type === "allow" && !a.inherited && !a.noPropagate)).toBe(true);
  });

  it("agrees with the SDDL of the same folder", () => {
    // get-acl-sddl-inetpub-default.txt: (A;;0x1200a9;;;BU)(A;OICIIO;GXGR;;;BU)(A;;FA;;;SY)(A;OICIIO;GA;;;CO)
    const acl = parseIcaclsFor(fixture("icacls-inetpub-default.txt"), "C:\\inetpub\\");
    const users = acl.aces.filter((a) => a.sid === "S-1-5-32-545");
    expect(users.map((a) => a.mask)).toEqual([0x1200a9, 0x1200a9]);
  });

  it("icacls c:\\windows (M, CI IO, long APPLICATION PACKAGE AUTHORITY names, summary)", () => {
    const acls = parseIcacls(fixture("icacls-windows-dir.txt"));
    expect(acls).toHaveLength(1);
    expect(acls[0].path).toBe("C:\\windows");
    expect(acls[0].aces.map(brief)).toEqual([
      ["NT SERVICE\\TrustedInstaller", "", F],
      ["NT SERVICE\\TrustedInstaller", "CI IO", F],
      ["NT AUTHORITY\\SYSTEM", "", M],
      ["NT AUTHORITY\\SYSTEM", "OI CI IO", F],
      ["BUILTIN\\Administrators", "", M],
      ["BUILTIN\\Administrators", "OI CI IO", F],
      ["BUILTIN\\Users", "", RX],
      ["BUILTIN\\Users", "OI CI IO", RX],
      ["CREATOR OWNER", "OI CI IO", F],
      ["APPLICATION PACKAGE AUTHORITY\\ALL APPLICATION PACKAGES", "", RX],
      ["APPLICATION PACKAGE AUTHORITY\\ALL APPLICATION PACKAGES", "OI CI IO", RX],
      ["APPLICATION PACKAGE AUTHORITY\\ALL RESTRICTED APPLICATION PACKAGES", "", RX],
      ["APPLICATION PACKAGE AUTHORITY\\ALL RESTRICTED APPLICATION PACKAGES", "OI CI IO", RX],
    ]);
    expect(parseIcaclsFor(fixture("icacls-windows-dir.txt"), "C:\\Windows").aces).toHaveLength(13);
  });

  it("(a) relative path, explicit OI CI", () => {
    const acls = parseIcacls(smallExamples().a);
    expect(acls).toEqual([
      {
        path: "gtlssh",
        aces: [
          expect.objectContaining({ principal: "NT AUTHORITY\\SYSTEM", sid: "S-1-5-18", mask: F, rights: "F", objectInherit: true, containerInherit: true, inheritOnly: false, inherited: false }),
          expect.objectContaining({ principal: "BUILTIN\\Administrators", sid: "S-1-5-32-544", mask: F, objectInherit: true, containerInherit: true }),
        ],
      },
    ]);
  });

  it("(b) directory then file, inherited ACEs, domain account", () => {
    const acls = parseIcacls(smallExamples().b);
    expect(acls.map((a) => a.path)).toEqual(["crazy", "keys.txt"]);
    expect(acls[0].aces.map(brief)).toEqual([
      ["NT AUTHORITY\\SYSTEM", "I OI CI", F],
      ["BUILTIN\\Administrators", "I OI CI", F],
      ["DI\\thogarth", "I OI CI", F],
    ]);
    expect(acls[1].aces.map(brief)).toEqual([
      ["NT AUTHORITY\\SYSTEM", "I", F],
      ["BUILTIN\\Administrators", "I", F],
      ["DI\\thogarth", "I", F],
    ]);
    expect(acls[0].aces[2].sid).toBeNull();
    expect(parseIcaclsFor(smallExamples().b, "keys.txt").aces).toHaveLength(3);
  });

  it("(c) trailing-backslash path and summary line", () => {
    const text = smallExamples().c;
    const acls = parseIcacls(text);
    expect(acls).toHaveLength(1);
    expect(acls[0].path).toBe("C:\\Windows\\THMSVC");
    expect(acls[0].aces.map(brief)).toEqual([
      ["PRIVESC\\notadmin", "OI CI", F],
      ["BUILTIN\\Administrators", "OI CI", F],
      ["NT AUTHORITY\\SYSTEM", "OI CI", F],
    ]);
    expect(parseIcaclsFor(text, "c:\\windows\\thmsvc").path).toBe("C:\\Windows\\THMSVC");
  });
});

describe("parseIcacls: hard cases", () => {
  const one = (text: string, expectedPath?: string) => {
    const acls = parseIcacls(text, undefined, expectedPath);
    expect(acls).toHaveLength(1);
    return acls[0];
  };

  it("paths with spaces and parentheses, single ACE (no column to go by)", () => {
    const cases: [string, string, string][] = [
      ["C:\\Program Files (x86)\\Update Services\\Selfupdate BUILTIN\\Users:(RX)", "C:\\Program Files (x86)\\Update Services\\Selfupdate", "BUILTIN\\Users"],
      ["C:\\Program Files\\Update Services\\Selfupdate BUILTIN\\Users:(RX)", "C:\\Program Files\\Update Services\\Selfupdate", "BUILTIN\\Users"],
      ["C:\\Program Files\\Update Services NT AUTHORITY\\Authenticated Users:(OI)(CI)(R)", "C:\\Program Files\\Update Services", "NT AUTHORITY\\Authenticated Users"],
      ["C:\\Program Files\\Update Services\\Selfupdate CREATOR OWNER:(OI)(CI)(IO)(F)", "C:\\Program Files\\Update Services\\Selfupdate", "CREATOR OWNER"],
      ["C:\\My Data Everyone:(F)", "C:\\My Data", "Everyone"],
      ["C:\\Windows APPLICATION PACKAGE AUTHORITY\\ALL APPLICATION PACKAGES:(RX)", "C:\\Windows", "APPLICATION PACKAGE AUTHORITY\\ALL APPLICATION PACKAGES"],
      ["C:\\WSUS Files CONTOSO\\WSUS Administrators:(OI)(CI)(M)", "C:\\WSUS Files", "CONTOSO\\WSUS Administrators"],
      ["C:\\inetpub\\wwwroot IIS APPPOOL\\WsusPool:(OI)(CI)(RX)", "C:\\inetpub\\wwwroot", "IIS APPPOOL\\WsusPool"],
      ["D:\\WSUS\\WsusContent NT AUTHORITY\\NETWORK SERVICE:(OI)(CI)(F)", "D:\\WSUS\\WsusContent", "NT AUTHORITY\\NETWORK SERVICE"],
      ["\\\\srv\\share (old)\\x y BUILTIN\\Users:(R)", "\\srv\\share (old)\\x y", "BUILTIN\\Users"],
    ];
    for (const [line, path, who] of cases) {
      const acl = one(line);
      expect([acl.path, acl.aces[0].principal], line).toEqual([path, who]);
    }
  });

  it("the column of continuation lines wins over guessing", () => {
    // Unknown domain with a space: only the column (or the expected path) can tell.
    const path = "C:\\Program Files (x86)\\Update Services\\Selfupdate";
    const pad = " ".repeat(path.length + 1);
    const text = `${path} ACME CORP\\wsus admins:(OI)(CI)(F)\n${pad}BUILTIN\\Users:(OI)(CI)(RX)\n`;
    const acl = one(text);
    expect(acl.path).toBe(path);
    expect(acl.aces.map((a) => a.principal)).toEqual(["ACME CORP\\wsus admins", "BUILTIN\\Users"]);
  });

  it("an ambiguous single ACE is settled by expectedPath", () => {
    const text = "C:\\x\\Data ACME CORP\\bob:(F)\n";
    expect(one(text).path).toBe("C:\\x\\Data ACME"); // best guess without help
    const acl = parseIcaclsFor(text, "C:\\x\\Data");
    expect(acl.aces[0].principal).toBe("ACME CORP\\bob");
  });

  it("computer-name accounts and the computerName hint", () => {
    const acls = parseIcacls("C:\\Program Files\\Update Services\\Selfupdate WSUS01\\IUSR_WSUS01:(OI)(CI)(RX)\n", "WSUS01");
    expect(acls[0].path).toBe("C:\\Program Files\\Update Services\\Selfupdate");
    expect(acls[0].aces[0]).toMatchObject({ principal: "WSUS01\\IUSR_WSUS01", sid: null, mask: RX });
  });

  it("deny ACEs, (N), combined rights (real outputs)", () => {
    const text = [
      "C:\\share\\scripts BUILTIN\\IIS_IUSRS:(OI)(CI)(DENY)(RX)",
      "                 NT AUTHORITY\\IUSR:(OI)(CI)(DENY)(RX)",
      "                 WINDCORP\\web:(OI)(CI)(N)",
      "                 CREATOR OWNER:(OI)(CI)(IO)(M,WO,DC)",
      "                 WINDCORP\\ITDep:(OI)(IO)(RX,DC)",
      "                 BUILTIN\\Users:(RX,W)",
      "                 S-1-5-21-2908765920-875073000-2352713335-4168283502:(OI)(CI)(IO)(DENY)(W,D,Rc,GW,DC)",
      "                 Everyone:(DENY)(S,RD)",
      "                 ",
      "Successfully processed 1 files; Failed processing 0 files",
    ].join("\r\n");
    const acl = parseIcaclsFor(text, "C:\\share\\scripts");
    expect(acl.aces.map(brief)).toEqual([
      ["BUILTIN\\IIS_IUSRS", "OI CI DENY", RX],
      ["NT AUTHORITY\\IUSR", "OI CI DENY", RX],
      ["WINDCORP\\web", "OI CI", 0],
      ["CREATOR OWNER", "OI CI IO", M | 0x80000 | 0x40],
      ["WINDCORP\\ITDep", "OI IO", RX | 0x40],
      ["BUILTIN\\Users", "", 0x1201bf],
      ["S-1-5-21-2908765920-875073000-2352713335-4168283502", "OI CI IO DENY", 0x100116 | 0x110000 | 0x20000 | 0x120116 | 0x40],
      ["Everyone", "DENY", 0x100001],
    ]);
    expect(acl.aces[0].sid).toBe("S-1-5-32-568");
    expect(acl.aces[1].sid).toBe("S-1-5-17");
    expect(acl.aces[6].sid).toBe("S-1-5-21-2908765920-875073000-2352713335-4168283502");
    expect(acl.aces[7].sid).toBe("S-1-1-0");
  });

  it("DENY may come first (icacls prints the flags in ACE order)", () => {
    const acl = one("C:\\x DESKTOP-X\\CodexSandboxUsers:(DENY)(OI)(CI)(R)\n     DESKTOP-X\\Usman:(I)(OI)(CI)(F)\n");
    expect(acl.aces.map(brief)).toEqual([
      ["DESKTOP-X\\CodexSandboxUsers", "OI CI DENY", R],
      ["DESKTOP-X\\Usman", "I OI CI", F],
    ]);
  });

  it("raw SIDs, with and without *", () => {
    const acl = one("C:\\Program Files\\x y *S-1-5-21-1-2-3-1001:(F)\n                    S-1-5-32-545:(RX)\n");
    expect(acl.path).toBe("C:\\Program Files\\x y");
    expect(acl.aces.map((a) => [a.principal, a.sid])).toEqual([
      ["*S-1-5-21-1-2-3-1001", "S-1-5-21-1-2-3-1001"],
      ["S-1-5-32-545", "S-1-5-32-545"],
    ]);
    expect(one("C:\\a b S-1-5-80-956008885-3418522649:(F)").path).toBe("C:\\a b");
  });

  it("mandatory-label entries are not access ACEs", () => {
    const acl = one("C:\\x NT AUTHORITY\\SYSTEM:(F)\n     Mandatory Label\\High Mandatory Level:(OI)(NP)(IO)(NW)\n");
    expect(acl.aces.map((a) => a.principal)).toEqual(["NT AUTHORITY\\SYSTEM"]);
  });

  it("localised summary lines, BOM and CRLF", () => {
    const de = "\uFEFFC:\\inetpub VORDEFINIERT\\Benutzer:(RX)\r\n           NT-AUTORITÄT\\SYSTEM:(OI)(CI)(F)\r\n\r\nErfolgreich verarbeitet: 1 Dateien; Fehler bei 0 Dateien\r\n";
    const acl = parseIcaclsFor(de, "C:\\inetpub");
    expect(acl.aces.map((a) => [a.principal, a.sid])).toEqual([
      ["VORDEFINIERT\\Benutzer", "S-1-5-32-545"],
      ["NT-AUTORITÄT\\SYSTEM", "S-1-5-18"],
    ]);
    // Single ACE with a localised authority, and a trailing message in no known pattern after a blank line.
    const single = "C:\\Programme\\Update Services VORDEFINIERT\\Benutzer:(RX)\n\nVorgang abgeschlossen.\n";
    expect(parseIcaclsFor(single, "C:\\Programme\\Update Services").aces).toHaveLength(1);
    expect(parseIcacls(single)[0].path).toBe("C:\\Programme\\Update Services");
  });

  it("several invocations concatenated, blocks not separated by blank lines", () => {
    const text = [
      "C:\\share NT AUTHORITY\\SYSTEM:(OI)(CI)(F)",
      "         BUILTIN\\Users:(RX,W)",
      "",
      "Successfully processed 1 files; Failed processing 0 files",
      "C:\\share\\AutoIt3_x64.exe NT AUTHORITY\\IUSR:(N)",
      "                         NT AUTHORITY\\SYSTEM:(F)",
      "C:\\share\\Bginfo64.exe NT AUTHORITY\\IUSR:(I)(N)",
      "                      BUILTIN\\Users:(I)(RX)",
      "Successfully processed 2 files; Failed processing 0 files",
    ].join("\n");
    const acls = parseIcacls(text);
    expect(acls.map((a) => [a.path, a.aces.length])).toEqual([
      ["C:\\share", 2],
      ["C:\\share\\AutoIt3_x64.exe", 2],
      ["C:\\share\\Bginfo64.exe", 2],
    ]);
  });

  it("tolerates continuation lines whose indentation a collector trimmed or changed", () => {
    const trimmed = "C:\\inetpub NT AUTHORITY\\SYSTEM:(F)\nBUILTIN\\Users:(RX)\nCREATOR OWNER:(OI)(CI)(IO)(F)\n";
    expect(parseIcaclsFor(trimmed, "C:\\inetpub").aces.map((a) => a.principal)).toEqual(["NT AUTHORITY\\SYSTEM", "BUILTIN\\Users", "CREATOR OWNER"]);
    const shifted = "C:\\Program Files\\Update Services BUILTIN\\Users:(RX)\n    NT AUTHORITY\\SYSTEM:(F)\n";
    const acl = one(shifted);
    expect(acl.path).toBe("C:\\Program Files\\Update Services");
    expect(acl.aces).toHaveLength(2);
  });

  it("empty output", () => {
    expect(parseIcacls("")).toEqual([]);
    expect(parseIcacls("\r\n  \n")).toEqual([]);
    const e = evidenceError(() => parseIcaclsFor("", "C:\\x"));
    expect(e.field).toBe('acls["C:\\\\x"]');
    expect(e.message).toMatch(/empty/);
  });

  it("access denied and missing paths", () => {
    const denied = "C:\\x: Access is denied.\nSuccessfully processed 0 files; Failed processing 1 files\n";
    const e = evidenceError(() => parseIcaclsFor(denied, "C:\\x"));
    expect(e.message).toBe('acls["C:\\\\x"]: line 1: icacls could not read C:\\x: Access is denied.');
    expect(e.field).toBe('acls["C:\\\\x"]');
    const de = evidenceError(() => parseIcacls("C:\\Program Files\\Update Services\\Selfupdate: Zugriff verweigert\n"));
    expect(de.message).toMatch(/line 1: icacls could not read C:\\Program Files\\Update Services\\Selfupdate: Zugriff verweigert/);
    const missing = "C:\\a ok BUILTIN\\Users:(RX)\n\nC:\\nope: The system cannot find the file specified.\nSuccessfully processed 1 files; Failed processing 1 files\n";
    expect(evidenceError(() => parseIcacls(missing)).message).toMatch(/line 3: .*cannot find the file/);
  });

  it("garbage lines are errors naming the line", () => {
    const base = "C:\\inetpub NT AUTHORITY\\SYSTEM:(F)\n           BUILTIN\\Users:(RX)\n";
    expect(evidenceError(() => parseIcacls(base + "           what is this\n", undefined, "C:\\inetpub")).message).toBe(
      'acls["C:\\\\inetpub"]: line 3: cannot parse ACE "what is this": expected PRINCIPAL:(…)',
    );
    expect(evidenceError(() => parseIcacls(base + "           BUILTIN\\Users:(ZZ)\n")).message).toMatch(/line 3: cannot parse ACE "BUILTIN\\\\Users:\(ZZ\)": unknown access right "ZZ"/);
    expect(evidenceError(() => parseIcacls(base + "           BUILTIN\\Users:(OI)(CI)\n")).message).toMatch(/line 3: .*no access rights/);
    expect(evidenceError(() => parseIcacls("hello world\n" + base)).message).toMatch(/line 1: cannot parse line "hello world"/);
    // Garbage between two blocks is not a trailer.
    expect(evidenceError(() => parseIcacls(base + "\nrandom words\n\n" + base)).message).toMatch(/line 4: cannot parse line "random words"/);
    // Indented line after a blank line.
    expect(evidenceError(() => parseIcacls(base + "\n           BUILTIN\\Users:(RX)\n")).message).toMatch(/line 4: unexpected indented line/);
    // A principal with forbidden characters.
    expect(evidenceError(() => parseIcacls(base + "           a;b:(RX)\n")).message).toMatch(/line 3/);
  });

  it("parseIcaclsFor rejects output for another path", () => {
    const e = evidenceError(() => parseIcaclsFor(fixture("icacls-inetpub-default.txt"), "C:\\inetpub\\wwwroot"));
    expect(e.message).toMatch(/lists "C:\\\\inetpub", not "C:\\\\inetpub\\\\wwwroot"/);
  });
});

describe("parseIcacls: format → parse round trip (property)", () => {
  const principalArb = fc.constantFrom(
    "NT AUTHORITY\\SYSTEM",
    "NT AUTHORITY\\Authenticated Users",
    "NT AUTHORITY\\NETWORK SERVICE",
    "BUILTIN\\Users",
    "BUILTIN\\Administrators",
    "BUILTIN\\IIS_IUSRS",
    "NT SERVICE\\TrustedInstaller",
    "APPLICATION PACKAGE AUTHORITY\\ALL APPLICATION PACKAGES",
    "IIS APPPOOL\\WsusPool",
    "CREATOR OWNER",
    "Everyone",
    "WSUS01\\IUSR_WSUS01",
    "CONTOSO\\WSUS Administrators",
    "S-1-5-21-1004336348-1177238915-682003330-512",
    "*S-1-5-32-545",
  );
  const pathArb = fc.constantFrom(
    "C:\\inetpub",
    "C:\\Program Files\\Update Services\\Selfupdate",
    "C:\\Program Files (x86)\\Update Services\\Selfupdate",
    "C:\\Program Files\\Update Services\\WebServices\\Root",
    "D:\\WSUS\\WsusContent",
    "E:\\a b (c)\\d e",
  );
  const rightsArb = fc.oneof(
    fc.constantFrom("F", "M", "RX", "R", "W", "N", "GR,GE", "RX,W", "M,WO,DC", "W,D,Rc,DC", "S,RD"),
    fc
      .subarray(["DE", "Rc", "WDAC", "WO", "S", "AS", "MA", "GR", "GW", "GE", "GA", "RD", "WD", "AD", "REA", "WEA", "X", "DC", "RA", "WA"], { minLength: 1 })
      .map((t) => t.join(",")),
  );
  const aceArb = fc.record({
    principal: principalArb,
    rights: rightsArb,
    deny: fc.boolean(),
    inherited: fc.boolean(),
    objectInherit: fc.boolean(),
    containerInherit: fc.boolean(),
    inheritOnly: fc.boolean(),
    noPropagate: fc.boolean(),
  });
  type GenAce = typeof aceArb extends fc.Arbitrary<infer T> ? T : never;

  const format = (a: GenAce) =>
    `${a.principal}:` +
    (a.inherited ? "(I)" : "") +
    (a.deny ? "(DENY)" : "") +
    (a.objectInherit ? "(OI)" : "") +
    (a.containerInherit ? "(CI)" : "") +
    (a.inheritOnly ? "(IO)" : "") +
    (a.noPropagate ? "(NP)" : "") +
    `(${a.rights})`;

  const blocksArb = fc.array(fc.record({ path: pathArb, aces: fc.array(aceArb, { minLength: 1, maxLength: 6 }) }), { minLength: 1, maxLength: 3 });

  it("parses back what was formatted, in icacls layout", () => {
    fc.assert(
      fc.property(blocksArb, fc.boolean(), fc.constantFrom("\n", "\r\n"), (blocks, summary, eol) => {
        const text =
          blocks
            .map((b) => b.aces.map((a, i) => (i === 0 ? `${b.path} ` : " ".repeat(b.path.length + 1)) + format(a)).join(eol) + eol)
            .join(eol) + (summary ? `${eol}Successfully processed ${blocks.length} files; Failed processing 0 files${eol}` : "");
        const parsed = parseIcacls(text, "WSUS01");
        expect(parsed.map((p) => p.path)).toEqual(blocks.map((b) => b.path));
        parsed.forEach((acl, i) => {
          expect(acl.aces).toHaveLength(blocks[i].aces.length);
          acl.aces.forEach((ace, j) => {
            const g = blocks[i].aces[j];
            expect(ace).toMatchObject({
              principal: g.principal,
              rights: g.rights,
              mask: rightsToMask(g.rights),
              type: g.deny ? "deny" : "allow",
              inherited: g.inherited,
              objectInherit: g.objectInherit,
              containerInherit: g.containerInherit,
              inheritOnly: g.inheritOnly,
              noPropagate: g.noPropagate,
            });
          });
        });
      }),
      { numRuns: 300 },
    );
  });
});
