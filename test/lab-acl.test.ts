import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { parseIcaclsFor } from "../core/evidence/icacls";
import { parseNetLocalGroup } from "../core/evidence/netLocalGroup";
import { formatRights, inheritFrom, parseRights } from "../lab/acl";
import { createLab } from "../lab/create";
import { runCommand } from "../lab/shell";

const ACL_FIXTURES = "/work/shared/fixtures/acl-outputs";
const fixtureLines = (name: string) =>
  readFileSync(`${ACL_FIXTURES}/${name}`, "utf8")
    .split(/\r?\n/)
    .filter((l) => !l.startsWith("#"));

const roots: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(path.join(tmpdir(), "wsus-lab-acl-"));
  roots.push(d);
  return d;
}
afterAll(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

const SU = "C:\\Program Files\\Update Services\\Selfupdate";

/** Layout of an icacls block: every continuation line starts in the column of the first principal. */
function expectIcaclsLayout(text: string, shownPath: string): void {
  const ls = text.split("\r\n");
  const blank = ls.indexOf("");
  const block = ls.slice(0, blank);
  expect(block[0].startsWith(shownPath + " ")).toBe(true);
  const col = shownPath.length + 1;
  for (const l of block.slice(1)) {
    expect(l.slice(0, col)).toBe(" ".repeat(col));
    expect(l[col]).not.toBe(" ");
  }
  for (const l of block) expect(l.slice(l.startsWith(shownPath) ? col : 0).trimStart()).toMatch(/^[^:]+:(\((I|OI|CI|NP|IO|DENY)\))*\([A-Z,]+\)$/);
  expect(ls.slice(blank)).toEqual(["", "Successfully processed 1 files; Failed processing 0 files", ""]);
}

describe("icacls display matches the real samples", () => {
  let dir: string;
  beforeEach(async () => {
    dir = tempDir();
    await createLab(dir, { configuration: 2, profile: "modern" });
  });

  it("C:\\inetpub prints exactly icacls-inetpub-default.txt", async () => {
    const r = await runCommand(dir, "icacls C:\\inetpub");
    const want = fixtureLines("icacls-inetpub-default.txt").filter((l) => l !== "");
    expect(r.stdout).toBe([...want, "", "Successfully processed 1 files; Failed processing 0 files", ""].join("\r\n"));
  });

  it("c:\\windows prints exactly icacls-windows-dir.txt (path as typed)", async () => {
    const r = await runCommand(dir, "icacls c:\\windows");
    const want = fixtureLines("icacls-windows-dir.txt");
    while (want.at(-1) === "") want.pop();
    expect(r.stdout).toBe([...want, ""].join("\r\n"));
  });

  it("/save of C:\\inetpub writes exactly the real icacls-save file (UTF-16LE, no BOM, CRLF)", async () => {
    const r = await runCommand(dir, "icacls C:\\inetpub /save C:\\Users\\Administrator\\inetpub.acl");
    expect(r.stdout).toBe("processed file: C:\\inetpub\r\nSuccessfully processed 1 files; Failed processing 0 files\r\n");
    const ours = readFileSync(path.join(dir, "C/Users/Administrator/inetpub.acl"));
    expect(ours.equals(readFileSync(`${ACL_FIXTURES}/icacls-save-inetpub-default.utf16le.txt`))).toBe(true);
  });

  it("SelfUpdate folder, a folder that only inherits, and a file: real layout, (I) for inherited", async () => {
    const su = await runCommand(dir, `icacls "${SU}"`);
    expect(su.stdout.split("\r\n").slice(0, 3)).toEqual([
      `${SU} BUILTIN\\Administrators:(OI)(CI)(F)`,
      `${" ".repeat(SU.length + 1)}NT AUTHORITY\\SYSTEM:(OI)(CI)(F)`,
      `${" ".repeat(SU.length + 1)}BUILTIN\\Users:(OI)(CI)(RX)`,
    ]);
    expectIcaclsLayout(su.stdout, SU);
    const us = await runCommand(dir, 'icacls "C:\\Program Files\\Update Services"');
    expectIcaclsLayout(us.stdout, "C:\\Program Files\\Update Services");
    expect(us.stdout).toContain("BUILTIN\\Users:(I)(RX)\r\n");
    expect(us.stdout).toContain("BUILTIN\\Users:(I)(OI)(CI)(IO)(GR,GE)\r\n");
    const f = await runCommand(dir, `icacls "${SU}\\wuident.cab"`);
    expectIcaclsLayout(f.stdout, `${SU}\\wuident.cab`);
    expect(f.stdout).toContain("BUILTIN\\Users:(I)(RX)");
    // the product's parser reads it back
    const acl = parseIcaclsFor(su.stdout, SU, "WSUS01");
    expect(acl.aces.map((a) => [a.sid, a.rights, a.objectInherit, a.containerInherit, a.inherited])).toEqual([
      ["S-1-5-32-544", "F", true, true, false],
      ["S-1-5-18", "F", true, true, false],
      ["S-1-5-32-545", "RX", true, true, false],
    ]);
  });

  it("rights masks print like icacls", () => {
    expect(formatRights(parseRights("GR,GE")!)).toBe("GR,GE");
    expect(formatRights(parseRights("GA")!)).toBe("F");
    expect(formatRights(parseRights("R")! | parseRights("W")!)).toBe("R,W");
    expect(formatRights(parseRights("RX")! | parseRights("W")!)).toBe("RX,W");
    expect(formatRights(parseRights("W,D,DC")!)).toBe("W,D,DC");
    expect(formatRights(parseRights("DE,DC")!)).toBe("DE,DC");
    expect(formatRights(parseRights("WD,AD,WEA,WA")!)).toBe("WD,AD,WEA,WA");
    expect(formatRights(0x1301bf)).toBe("M");
    expect(
      inheritFrom([{ principal: "BUILTIN\\Users", type: "allow", rights: "GR,GE", inherited: false, oi: true, ci: true, io: true, np: false }], true).map((a) => `${a.rights}${a.io ? " IO" : ""}`),
    ).toEqual(["RX", "GR,GE IO"]);
  });
});

describe("icacls changes", () => {
  let dir: string;
  beforeEach(async () => {
    dir = tempDir();
    await createLab(dir, { configuration: 1, profile: "kb920659" });
  });

  it("grant adds an explicit ACE that children inherit; remove takes it away again", async () => {
    const before = (await runCommand(dir, `icacls "${SU}"`)).stdout;
    const g = await runCommand(dir, `icacls "${SU}" /grant "IUSR_WSUS01:(OI)(CI)(RX)"`);
    expect(g).toEqual({ stdout: `processed file: ${SU}\r\nSuccessfully processed 1 files; Failed processing 0 files\r\n`, stderr: "", exitCode: 0 });
    const after = (await runCommand(dir, `icacls "${SU}"`)).stdout;
    expect(after).toContain(`${" ".repeat(SU.length + 1)}WSUS01\\IUSR_WSUS01:(OI)(CI)(RX)\r\n`);
    expect((await runCommand(dir, `icacls "${SU}\\AU\\x86"`)).stdout).toContain("WSUS01\\IUSR_WSUS01:(I)(OI)(CI)(RX)");
    expect((await runCommand(dir, `icacls "${SU}\\iuident.cab"`)).stdout).toContain("WSUS01\\IUSR_WSUS01:(I)(RX)");
    // granting more to the same principal with the same flags merges the rights
    await runCommand(dir, `icacls "${SU}" /grant IUSR_WSUS01:(OI)(CI)W`);
    expect((await runCommand(dir, `icacls "${SU}"`)).stdout).toContain("WSUS01\\IUSR_WSUS01:(OI)(CI)(RX,W)");
    // :r replaces
    await runCommand(dir, `icacls "${SU}" /grant:r "WSUS01\\IUSR_WSUS01:(OI)(CI)(R)"`);
    expect((await runCommand(dir, `icacls "${SU}"`)).stdout).toContain("WSUS01\\IUSR_WSUS01:(OI)(CI)(R)\r\n");
    expect((await runCommand(dir, `icacls "${SU}" /remove IUSR_WSUS01`)).exitCode).toBe(0);
    expect((await runCommand(dir, `icacls "${SU}"`)).stdout).toBe(before);
  });

  it("deny ACEs come first and /remove:d removes only them", async () => {
    await runCommand(dir, `icacls "${SU}" /deny Everyone:(OI)(CI)(W)`);
    const out = (await runCommand(dir, `icacls "${SU}"`)).stdout;
    expect(out.split("\r\n")[0]).toBe(`${SU} Everyone:(OI)(CI)(DENY)(W)`);
    await runCommand(dir, `icacls "${SU}" /remove:g Everyone`);
    expect((await runCommand(dir, `icacls "${SU}"`)).stdout).toContain("Everyone:(OI)(CI)(DENY)(W)");
    await runCommand(dir, `icacls "${SU}" /remove:d Everyone`);
    expect((await runCommand(dir, `icacls "${SU}"`)).stdout).not.toContain("Everyone");
  });

  it("save / restore round trip (restore runs on the parent folder)", async () => {
    const before = (await runCommand(dir, `icacls "${SU}"`)).stdout;
    expect((await runCommand(dir, `icacls "${SU}" /save su.acl`)).exitCode).toBe(0);
    const raw = readFileSync(path.join(dir, "C/Users/Administrator/su.acl"));
    expect(raw[0]).not.toBe(0xff); // no BOM, like icacls
    expect(raw.toString("utf16le")).toBe("Selfupdate\r\nD:PAI(A;OICI;FA;;;BA)(A;OICI;FA;;;SY)(A;OICI;0x1200a9;;;BU)S:AINO_ACCESS_CONTROL\r\n");
    await runCommand(dir, `icacls "${SU}" /remove:g Users`);
    await runCommand(dir, `icacls "${SU}" /inheritance:e`);
    expect((await runCommand(dir, `icacls "${SU}"`)).stdout).not.toBe(before);
    const r = await runCommand(dir, 'icacls "C:\\Program Files\\Update Services" /restore su.acl');
    expect(r).toEqual({ stdout: `processed file: C:\\Program Files\\Update Services\\Selfupdate\r\nSuccessfully processed 1 files; Failed processing 0 files\r\n`, stderr: "", exitCode: 0 });
    expect((await runCommand(dir, `icacls "${SU}"`)).stdout).toBe(before);
  });

  it("/inheritance:d keeps the inherited ACEs as explicit ones; /inheritance:r drops them", async () => {
    const p = "C:\\Program Files\\Update Services\\WebServices";
    const inherited = (await runCommand(dir, `icacls "${p}"`)).stdout;
    expect(inherited).toContain("(I)");
    await runCommand(dir, `icacls "${p}" /inheritance:d`);
    const copied = (await runCommand(dir, `icacls "${p}"`)).stdout;
    expect(copied).not.toContain("(I)");
    expect(copied.replace(/\r\n/g, "\n").split("\n").length).toBe(inherited.replace(/\r\n/g, "\n").split("\n").length);
    await runCommand(dir, `icacls "${p}" /reset`);
    expect((await runCommand(dir, `icacls "${p}"`)).stdout).toBe(inherited);
  });

  it("errors: missing file (2), missing path (3), unknown account (1332), bad switch (87)", async () => {
    expect(await runCommand(dir, "icacls C:\\nope")).toEqual({
      stdout: "Successfully processed 0 files; Failed processing 1 files\r\n",
      stderr: "C:\\nope: The system cannot find the file specified.\r\n",
      exitCode: 2,
    });
    expect((await runCommand(dir, "icacls C:\\nope\\deeper")).exitCode).toBe(3);
    expect(await runCommand(dir, `icacls "${SU}" /grant CONTOSO\\nobody:F`)).toEqual({
      stdout: "Successfully processed 0 files; Failed processing 1 files\r\n",
      stderr: "CONTOSO\\nobody: No mapping between account names and security IDs was done.\r\n",
      exitCode: 1332,
    });
    expect(await runCommand(dir, `icacls "${SU}" /frobnicate`)).toEqual({ stdout: "", stderr: 'Invalid parameter "/frobnicate"\r\n', exitCode: 87 });
    expect((await runCommand(dir, `icacls "${SU}" /grant Users:(XX)`)).exitCode).toBe(87);
    // /save does not create folders
    expect(await runCommand(dir, `icacls "${SU}" /save C:\\NoSuchDir\\su.acl`)).toEqual({
      stdout: "Successfully processed 0 files; Failed processing 1 files\r\n",
      stderr: "C:\\NoSuchDir\\su.acl: The system cannot find the path specified.\r\n",
      exitCode: 3,
    });
    expect((await runCommand(dir, `icacls "${SU}" /save "%windir%\\Temp\\su.acl"`)).exitCode).toBe(0);
  });
});

describe("net localgroup", () => {
  let dir: string;
  beforeEach(async () => {
    dir = tempDir();
    await createLab(dir, { configuration: 1, profile: "kb920659" });
  });

  it("prints the real layout", async () => {
    const r = await runCommand(dir, "net localgroup Users");
    expect(r.stdout).toBe(
      [
        "Alias name     Users",
        "Comment        Users are prevented from making accidental or intentional system-wide changes and can run most applications",
        "",
        "Members",
        "",
        "-".repeat(79),
        "NT AUTHORITY\\Authenticated Users",
        "NT AUTHORITY\\INTERACTIVE",
        "IUSR_WSUS01",
        "The command completed successfully.",
        "",
        "",
      ].join("\r\n"),
    );
    expect(parseNetLocalGroup(r.stdout, "Users").members).toEqual(["NT AUTHORITY\\Authenticated Users", "NT AUTHORITY\\INTERACTIVE", "IUSR_WSUS01"]);
    expect((await runCommand(dir, "net localgroup users")).stdout).toBe(r.stdout);
  });

  it("add / delete with net's messages and exit codes", async () => {
    expect(await runCommand(dir, "net localgroup Users IUSR_WSUS01 /add")).toEqual({
      stdout: "",
      stderr: "System error 1378 has occurred.\r\n\r\nThe specified account name is already a member of the group.\r\n\r\n",
      exitCode: 2,
    });
    expect(await runCommand(dir, "net localgroup Users IUSR_WSUS01 /delete")).toEqual({ stdout: "The command completed successfully.\r\n\r\n", stderr: "", exitCode: 0 });
    expect((await runCommand(dir, "net localgroup Users IUSR_WSUS01 /delete")).stderr).toContain("System error 1377 has occurred.");
    expect((await runCommand(dir, "net localgroup Users WSUS01\\IUSR_WSUS01 /add")).exitCode).toBe(0);
    expect((await runCommand(dir, "net localgroup Users")).stdout).toContain("IUSR_WSUS01\r\nThe command completed successfully.");
    expect((await runCommand(dir, "net localgroup Users nobody /add")).stderr).toContain("System error 1332 has occurred.");
    expect((await runCommand(dir, "net localgroup NoSuchGroup")).stderr).toBe("System error 1376 has occurred.\r\n\r\nThe specified local group does not exist.\r\n\r\n");
    expect((await runCommand(dir, "net frob")).exitCode).toBe(1);
  });
});

describe("msiexec and the SelfUpdate package", () => {
  // ../shared/notes/REAL_WINDOWS.md "MSI repair": /i on an installed product does not restore missing files;
  // /f repairs it (Microsoft Learn, "msiexec"), and /f on a product not installed is 1605.
  it("repairs deleted SelfUpdate files with /fa (not /i on the installed product); a missing package is 1619", async () => {
    const dir = tempDir();
    await createLab(dir, { configuration: 1, profile: "kb920659", breaks: [8] });
    const listing = 'dir /s /b /a-d "C:\\Program Files\\Update Services\\Selfupdate"';
    expect(await runCommand(dir, listing)).toEqual({ stdout: "", stderr: "File Not Found\r\n", exitCode: 1 });
    expect((await runCommand(dir, 'msiexec /i "C:\\Program Files\\Update Services\\Setup\\Nope.msi" /qn')).exitCode).toBe(1619);
    expect((await runCommand(dir, "msiexec /bogus")).exitCode).toBe(1639);
    expect(await runCommand(dir, 'msiexec /i "%ProgramFiles%\\Update Services\\Setup\\Selfupdate.msi" /qn')).toEqual({ stdout: "", stderr: "", exitCode: 0 });
    expect((await runCommand(dir, listing)).exitCode).toBe(1); // still nothing: /i found the product installed
    expect(await runCommand(dir, 'msiexec /fa "%ProgramFiles%\\Update Services\\Setup\\Selfupdate.msi" /qn')).toEqual({ stdout: "", stderr: "", exitCode: 0 });
    expect((await runCommand(dir, listing)).stdout.split("\r\n").filter(Boolean)).toEqual([
      "C:\\Program Files\\Update Services\\Selfupdate\\iuident.cab",
      "C:\\Program Files\\Update Services\\Selfupdate\\wuident.cab",
      "C:\\Program Files\\Update Services\\Selfupdate\\AU\\x64\\NetServer\\en\\wuaucomp.cab",
      "C:\\Program Files\\Update Services\\Selfupdate\\AU\\x86\\NetServer\\en\\wuaucomp.cab",
    ]);
    expect((await runCommand(dir, 'start /wait msiexec /i "C:\\nope.msi" /qn')).exitCode).toBe(1619);
  });
});
