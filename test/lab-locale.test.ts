import { execFile, execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import * as path from "node:path";
import { Command, CommanderError } from "commander";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { register } from "../cli/commands/lab";
import { CliError } from "../cli/errors";
import { createLab } from "../lab/create";
import { consoleBytes, decodeOem, encodeOem, LOCALES, localAccountName, localGroupName, msg, oemCodePage } from "../lab/locale";
import { runCommand } from "../lab/shell";
import { readLabState, resolveAccount } from "../lab/state";

/**
 * Localized labs (lab/locale.ts): account names and messages as a German / French Windows Server
 * prints them, sources cited in lab/locale.ts. lab.json stays canonical English.
 */

const roots: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(path.join(tmpdir(), "wsus-lab-locale-"));
  roots.push(d);
  return d;
}
afterAll(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

const SU = "C:\\Program Files\\Update Services\\Selfupdate";
const PAD = " ".repeat(SU.length + 1);

describe("de-DE lab", () => {
  let dir: string;
  beforeAll(async () => {
    dir = tempDir();
    await createLab(dir, { configuration: 2, profile: "kb920659", locale: "de-DE" });
  });

  it("lab.json records the locale and keeps canonical English names", async () => {
    const state = await readLabState(dir);
    expect(state.locale).toBe("de-DE");
    expect(Object.keys(state.groups)).toContain("Users");
    expect(state.groups.Users.members).toContain("NT AUTHORITY\\Authenticated Users");
    expect(state.acls[SU].map((a) => a.principal)).toEqual(["BUILTIN\\Administrators", "NT AUTHORITY\\SYSTEM", "BUILTIN\\Users"]);
  });

  it("icacls prints VORDEFINIERT\\Benutzer, NT-AUTORITÄT\\SYSTEM and the German summary (windowsserverdocs#6185)", async () => {
    const r = await runCommand(dir, `icacls "${SU}"`);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe(
      [
        `${SU} VORDEFINIERT\\Administratoren:(OI)(CI)(F)`,
        `${PAD}NT-AUTORITÄT\\SYSTEM:(OI)(CI)(F)`,
        `${PAD}VORDEFINIERT\\Benutzer:(OI)(CI)(RX)`,
        "",
        "1 Dateien erfolgreich verarbeitet, bei 0 Dateien ist ein Verarbeitungsfehler aufgetreten.",
        "",
      ].join("\r\n"),
    );
  });

  it("inherited and special principals: ERSTELLER-BESITZER, NT SERVICE\\TrustedInstaller, IIS_IUSRS untranslated", async () => {
    const win = (await runCommand(dir, "icacls C:\\Windows")).stdout;
    expect(win).toContain("C:\\Windows NT SERVICE\\TrustedInstaller:(F)");
    expect(win).toContain("ERSTELLER-BESITZER:(OI)(CI)(IO)(F)");
    expect(win).toContain("VORDEFINIERT\\Benutzer:(OI)(CI)(IO)(GR,GE)");
    // an untranslated name keeps the localized domain
    expect(win).toContain("APPLICATION PACKAGE AUTHORITY\\ALL APPLICATION PACKAGES:(RX)");
    const root = (await runCommand(dir, "icacls C:\\inetpub\\wwwroot")).stdout;
    expect(root).toContain("VORDEFINIERT\\IIS_IUSRS:(OI)(CI)(RX)");
    expect(root).toContain("NT-AUTORITÄT\\SYSTEM:(I)(F)");
    expect(root).toContain("ERSTELLER-BESITZER:(I)(OI)(CI)(IO)(F)");
  });

  it('icacls /grant "BUILTIN\\Users:…" fails with 1332 in German and changes nothing (windowsserverdocs#6185)', async () => {
    const before = readFileSync(path.join(dir, "lab.json"), "utf8");
    const r = await runCommand(dir, `icacls "${SU}" /grant "BUILTIN\\Users:(OI)(CI)(RX)"`);
    expect(r.exitCode).toBe(1332);
    expect(r.stderr).toBe("BUILTIN\\Users: Zuordnungen von Kontennamen und Sicherheitskennungen wurden nicht durchgeführt.\r\n");
    expect(r.stdout).toBe("0 Dateien erfolgreich verarbeitet, bei 1 Dateien ist ein Verarbeitungsfehler aufgetreten.\r\n");
    expect(readFileSync(path.join(dir, "lab.json"), "utf8")).toBe(before);
    for (const english of ["Users:(RX)", "NT AUTHORITY\\SYSTEM:(F)", "Authenticated Users:(R)", "BUILTIN\\IIS_IUSRS:(R)", "Everyone:(R)"]) {
      expect((await runCommand(dir, `icacls "${SU}" /grant "${english}"`)).exitCode).toBe(1332);
    }
  });

  it("icacls /grant *S-1-5-32-545 works; stored as BUILTIN\\Users, printed VORDEFINIERT\\Benutzer", async () => {
    const d = tempDir();
    await createLab(d, { configuration: 1, profile: "modern", locale: "de-DE" });
    await runCommand(d, "icacls C:\\Windows\\Temp /inheritance:r");
    const r = await runCommand(d, "icacls C:\\Windows\\Temp /grant *S-1-5-32-545:(OI)(CI)(RX)");
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe("processed file: C:\\Windows\\Temp\r\n1 Dateien erfolgreich verarbeitet, bei 0 Dateien ist ein Verarbeitungsfehler aufgetreten.\r\n");
    const state = await readLabState(d);
    expect(state.acls["C:\\Windows\\Temp"]).toEqual([expect.objectContaining({ principal: "BUILTIN\\Users", rights: "RX", oi: true, ci: true })]);
    expect((await runCommand(d, "icacls C:\\Windows\\Temp")).stdout.split("\r\n")[0]).toBe("C:\\Windows\\Temp VORDEFINIERT\\Benutzer:(OI)(CI)(RX)");
    // the German names resolve, with or without domain, case-insensitively; SYSTEM is the same word
    for (const g of ["VORDEFINIERT\\Benutzer:(R)", "benutzer:(R)", ".\\Benutzer:(R)", "NT-AUTORITÄT\\SYSTEM:(F)", "SYSTEM:(F)", "nt-autorität\\authentifizierte benutzer:(R)", "Jeder:(R)", "IIS_IUSRS:(R)", "IUSR:(R)", "Administrator:(F)", "WSUS01\\Administrator:(F)"]) {
      expect((await runCommand(d, `icacls C:\\Windows\\Temp /grant "${g}"`)).exitCode, g).toBe(0);
    }
    const shown = (await runCommand(d, "icacls C:\\Windows\\Temp")).stdout;
    for (const p of ["Jeder:(R)", "NT-AUTORITÄT\\IUSR:(R)", "NT-AUTORITÄT\\Authentifizierte Benutzer:(R)", "WSUS01\\Administrator:(F)", "NT-AUTORITÄT\\SYSTEM:(F)"]) expect(shown).toContain(p);
    // /remove:g with the German name removes the stored English principal
    expect((await runCommand(d, 'icacls C:\\Windows\\Temp /remove:g "VORDEFINIERT\\Benutzer"')).exitCode).toBe(0);
    expect((await readLabState(d)).acls["C:\\Windows\\Temp"].some((a) => a.principal === "BUILTIN\\Users")).toBe(false);
  });

  it("icacls file not found in German (docker on German Windows)", async () => {
    const r = await runCommand(dir, "icacls C:\\nope.txt");
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toBe("C:\\nope.txt: Das System kann die angegebene Datei nicht finden.\r\n");
    expect(r.stdout).toBe("0 Dateien erfolgreich verarbeitet, bei 1 Dateien ist ein Verarbeitungsfehler aufgetreten.\r\n");
  });

  it("/save stays SID based, whatever the locale", async () => {
    await runCommand(dir, "icacls C:\\inetpub /save C:\\Users\\Administrator\\inetpub.acl");
    const saved = readFileSync(path.join(dir, "C/Users/Administrator/inetpub.acl")).toString("utf16le");
    expect(saved).toContain("(A;;FA;;;SY)(A;OICIIO;GA;;;SY)(A;;FA;;;BA)(A;OICIIO;GA;;;BA)(A;;0x1200a9;;;BU)(A;OICIIO;GXGR;;;BU)(A;OICIIO;GA;;;CO)");
  });

  it("net localgroup Users fails with 1376: the group is Benutzer there (windows-powershell-docs#925 shows the same on Finnish Windows)", async () => {
    const r = await runCommand(dir, "net localgroup Users");
    expect(r.exitCode).toBe(2);
    // "System error N has occurred." has no German source: English line, German message
    expect(r.stderr).toBe("System error 1376 has occurred.\r\n\r\nDie angegebene lokale Gruppe ist nicht vorhanden.\r\n\r\n");
  });

  it("net localgroup Benutzer lists NT-AUTORITÄT\\Authentifizierte Benutzer", async () => {
    const r = await runCommand(dir, "net localgroup Benutzer");
    expect(r.exitCode).toBe(0);
    const ls = r.stdout.split("\r\n");
    expect(ls[0]).toBe("Alias name     Benutzer");
    expect(ls.slice(6)).toEqual(["NT-AUTORITÄT\\Authentifizierte Benutzer", "NT-AUTORITÄT\\INTERAKTIV", "IUSR_WSUS01", "Der Befehl wurde erfolgreich ausgeführt.", "", ""]);
    const all = (await runCommand(dir, "net localgroup")).stdout;
    for (const g of ["*Administratoren", "*Benutzer", "*Gäste", "*IIS_IUSRS", "*WSUS Administrators"]) expect(all).toContain(`${g}\r\n`);
    expect(all).not.toContain("*Users");
    expect((await runCommand(dir, "net localgroup IIS_IUSRS")).stdout).toContain("\r\nNT-AUTORITÄT\\IUSR\r\n");
  });

  it("net localgroup add/delete with German names stores English ones; English member names fail with 1332", async () => {
    const d = tempDir();
    await createLab(d, { configuration: 1, profile: "modern", locale: "de-DE" });
    let r = await runCommand(d, 'net localgroup Benutzer "NT-AUTORITÄT\\INTERAKTIV" /delete');
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe("Der Befehl wurde erfolgreich ausgeführt.\r\n\r\n");
    expect((await readLabState(d)).groups.Users.members).toEqual(["NT AUTHORITY\\Authenticated Users"]);
    r = await runCommand(d, 'net localgroup Benutzer "NT AUTHORITY\\INTERACTIVE" /add');
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toBe("System error 1332 has occurred.\r\n\r\nZuordnungen von Kontennamen und Sicherheitskennungen wurden nicht durchgeführt.\r\n\r\n");
    expect((await runCommand(d, "net localgroup benutzer INTERAKTIV /add")).exitCode).toBe(0);
    expect((await readLabState(d)).groups.Users.members).toEqual(["NT AUTHORITY\\Authenticated Users", "NT AUTHORITY\\INTERACTIVE"]);
    // 1378 has no German source: English text
    r = await runCommand(d, "net localgroup Benutzer INTERAKTIV /add");
    expect(r.stderr).toBe("System error 1378 has occurred.\r\n\r\nThe specified account name is already a member of the group.\r\n\r\n");
    // a new group may not reuse the internal English key of a builtin group
    expect((await runCommand(d, "net localgroup Users /add")).exitCode).toBe(2);
  });

  it("breaks go through the German names (break 1 in both profiles)", async () => {
    const kb = tempDir();
    await createLab(kb, { configuration: 2, profile: "kb920659", locale: "de-DE", breaks: [1] });
    expect((await readLabState(kb)).groups.Users.members).not.toContain("IUSR_WSUS01");
    const modern = tempDir();
    await createLab(modern, { configuration: 2, profile: "modern", locale: "de-DE", breaks: [1] });
    expect((await readLabState(modern)).acls[SU].map((a) => a.principal)).toEqual(["BUILTIN\\Administrators", "NT AUTHORITY\\SYSTEM"]);
  });
});

describe("fr-FR lab", () => {
  let dir: string;
  beforeAll(async () => {
    dir = tempDir();
    await createLab(dir, { configuration: 1, profile: "kb920659", locale: "fr-FR" });
  });

  it("icacls prints AUTORITE NT\\Système, BUILTIN\\Utilisateurs and the French summary (malekal.com)", async () => {
    const r = await runCommand(dir, `icacls "${SU}"`);
    expect(r.stdout).toBe(
      [
        `${SU} BUILTIN\\Administrateurs:(OI)(CI)(F)`,
        `${PAD}AUTORITE NT\\Système:(OI)(CI)(F)`,
        `${PAD}BUILTIN\\Utilisateurs:(OI)(CI)(RX)`,
        "",
        "1 fichiers correctement traités ; échec du traitement de 0 fichiers",
        "",
      ].join("\r\n"),
    );
    expect((await runCommand(dir, "icacls C:\\Windows")).stdout).toContain("CREATEUR PROPRIETAIRE:(OI)(CI)(IO)(F)");
  });

  it("English names fail with the French 1332 text (HardenAD#113); Tout le monde, SERVICE RÉSEAU resolve", async () => {
    const r = await runCommand(dir, `icacls "${SU}" /grant "BUILTIN\\Users:(RX)"`);
    expect(r.exitCode).toBe(1332);
    expect(r.stderr).toBe("BUILTIN\\Users: Le mappage entre les noms de compte et les ID de sécurité n\u2019a pas été effectué.\r\n");
    expect(r.stdout).toBe("0 fichiers correctement traités ; échec du traitement de 1 fichiers\r\n");
    expect((await runCommand(dir, `icacls "${SU}" /grant "SYSTEM:(F)"`)).exitCode).toBe(1332);
    for (const g of ["Tout le monde:(R)", "AUTORITE NT\\SERVICE RÉSEAU:(R)", "autorite nt\\système:(F)", "*S-1-5-11:(R)"]) {
      expect((await runCommand(dir, `icacls "${SU}" /grant "${g}"`)).exitCode, g).toBe(0);
    }
    const shown = (await runCommand(dir, `icacls "${SU}"`)).stdout;
    for (const p of ["Tout le monde:(R)", "AUTORITE NT\\SERVICE RÉSEAU:(R)", "AUTORITE NT\\Utilisateurs authentifiés:(R)"]) expect(shown).toContain(p);
  });

  it("net localgroup: Utilisateurs, French errors and success line; Guests keeps its English name (no source)", async () => {
    let r = await runCommand(dir, "net localgroup Users");
    expect(r.stderr).toBe("L'erreur système 1376 s'est produite.\r\n\r\nLe groupe local spécifié n\u2019existe pas.\r\n\r\n");
    r = await runCommand(dir, "net localgroup Utilisateurs");
    expect(r.stdout.split("\r\n").slice(6)).toEqual(["AUTORITE NT\\Utilisateurs authentifiés", "AUTORITE NT\\INTERACTIF", "IUSR_WSUS01", "La commande s'est terminée correctement.", "", ""]);
    expect((await runCommand(dir, "net localgroup Guests")).exitCode).toBe(0);
  });
});

describe("en-US and lab.json", () => {
  it("en-US is the default and prints English; an older lab.json without locale reads as en-US", async () => {
    const dir = tempDir();
    await createLab(dir, { configuration: 1, profile: "modern" });
    const state = await readLabState(dir);
    expect(state.locale).toBe("en-US");
    expect((await runCommand(dir, `icacls "${SU}" /grant "BUILTIN\\Users:(OI)(CI)(RX)"`)).exitCode).toBe(0);
    expect((await runCommand(dir, "net localgroup Users")).stdout).toContain("NT AUTHORITY\\Authenticated Users\r\nNT AUTHORITY\\INTERACTIVE\r\nThe command completed successfully.");
    const raw = JSON.parse(readFileSync(path.join(dir, "lab.json"), "utf8"));
    delete raw.locale;
    writeFileSync(path.join(dir, "lab.json"), JSON.stringify(raw));
    expect((await readLabState(dir)).locale).toBe("en-US");
    expect(resolveAccount(await readLabState(dir), "local system")?.sid).toBe("S-1-5-18");
  });

  it("an unknown locale is refused", async () => {
    await expect(createLab(tempDir(), { locale: "xx-XX" as never })).rejects.toThrow(/unknown locale "xx-XX": expected en-US, de-DE, fr-FR/);
  });

  it("name tables", () => {
    expect(localAccountName("de-DE", "S-1-5-17", "NT AUTHORITY\\IUSR")).toBe("NT-AUTORITÄT\\IUSR");
    expect(localAccountName("fr-FR", "S-1-5-17", "NT AUTHORITY\\IUSR")).toBe("AUTORITE NT\\IUSR");
    expect(localAccountName("de-DE", "S-1-5-21-1-2-3-500", "WSUS01\\Administrator")).toBe("WSUS01\\Administrator");
    expect(localAccountName("de-DE", "S-1-5-20", "NT AUTHORITY\\NETWORK SERVICE")).toBe("NT-AUTORITÄT\\NETZWERKDIENST");
    expect(localAccountName("fr-FR", "S-1-5-2", "NT AUTHORITY\\NETWORK")).toBe("AUTORITE NT\\NETWORK");
    expect(localGroupName("de-DE", "Guests")).toBe("Gäste");
    expect(localGroupName("fr-FR", "Guests")).toBe("Guests");
    expect(localGroupName("fr-FR", "IIS_IUSRS")).toBe("IIS_IUSRS");
    expect(localGroupName("de-DE", "WSUS Reporters")).toBe("WSUS Reporters");
    expect(msg("de-DE", "icaclsProcessed", "C:\\x")).toBe("processed file: C:\\x");
    expect(msg("fr-FR", "systemError", 5)).toBe("L'erreur système 5 s'est produite.");
    expect(LOCALES.map(oemCodePage)).toEqual([437, 850, 850]);
  });
});

describe("OEM code pages", () => {
  it("cp850: ä = 0x84, Ä = 0x8E, è = 0x8A, é = 0x82; round trip of all 256 bytes", () => {
    expect([...encodeOem("äÄèé", 850)]).toEqual([0x84, 0x8e, 0x8a, 0x82]);
    const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    for (const cp of [437, 850]) expect(encodeOem(decodeOem(all, cp), cp).equals(all)).toBe(true);
    expect(decodeOem(encodeOem("NT-AUTORITÄT\\Authentifizierte Benutzer", 850), 850)).toBe("NT-AUTORITÄT\\Authentifizierte Benutzer");
  });

  it("unmappable characters become '?', U+2019 best-fits to an apostrophe", () => {
    expect(encodeOem("€\uFEFFБ", 850).toString("latin1")).toBe("???");
    expect(encodeOem("n\u2019a", 850).toString("latin1")).toBe("n'a");
    expect(encodeOem("ø", 437).toString("latin1")).toBe("?");
    expect([...encodeOem("ø", 850)]).toEqual([0x9b]);
  });

  it("consoleBytes: OEM code page when redirected, UTF-8 on a console", () => {
    expect([...consoleBytes({ locale: "de-DE" }, "Gäste", true)]).toEqual([0x47, 0x84, 0x73, 0x74, 0x65]);
    expect(consoleBytes({ locale: "de-DE" }, "Gäste", false).toString("utf8")).toBe("Gäste");
    expect(consoleBytes({ locale: "en-US" }, "plain ASCII\r\n", true).toString("latin1")).toBe("plain ASCII\r\n");
  });

  const pwsh = ["/root/.dotnet/tools/pwsh", path.join(homedir(), ".dotnet", "tools", "pwsh")].find((p) => existsSync(p));
  it.skipIf(!pwsh)("437 and 850 tables equal .NET's [Text.Encoding]::GetEncoding(N), as is its best fit for U+2019", () => {
    const script = [
      "[Text.Encoding]::RegisterProvider([Text.CodePagesEncodingProvider]::Instance)",
      "foreach ($cp in 437, 850) {",
      "  $e = [Text.Encoding]::GetEncoding($cp)",
      "  ($e.GetString([byte[]](0..255)).ToCharArray() | ForEach-Object { '{0:X4}' -f [int]$_ }) -join ' '",
      "  ($e.GetBytes([string]::new([char[]](0x2019, 0x20AC, 0xFEFF))) | ForEach-Object { '{0:X2}' -f $_ }) -join ' '",
      "}",
    ].join("\n");
    const out = execFileSync(pwsh!, ["-NoProfile", "-NonInteractive", "-Command", script], { encoding: "utf8", timeout: 60_000 }).trim().split(/\r?\n/);
    const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    for (const [i, cp] of [437, 850].entries()) {
      const ours = [...decodeOem(all, cp)].map((c) => c.charCodeAt(0).toString(16).toUpperCase().padStart(4, "0")).join(" ");
      expect(ours, `code page ${cp}`).toBe(out[i * 2]);
      expect([...encodeOem("\u2019\u20AC\uFEFF", cp)].map((b) => b.toString(16).toUpperCase().padStart(2, "0")).join(" ")).toBe(out[i * 2 + 1]);
    }
  }, 60_000);
});

describe("wsus-iis lab create --locale / lab exec bytes", () => {
  let chunks: { out: Buffer[]; err: Buffer[] };
  const toBuf = (c: string | Uint8Array) => (typeof c === "string" ? Buffer.from(c, "utf8") : Buffer.from(c));
  const cli = async (...args: string[]) => {
    chunks = { out: [], err: [] };
    process.exitCode = undefined;
    vi.spyOn(process.stdout, "write").mockImplementation((c: string | Uint8Array) => (chunks.out.push(toBuf(c)), true));
    vi.spyOn(process.stderr, "write").mockImplementation((c: string | Uint8Array) => (chunks.err.push(toBuf(c)), true));
    const program = new Command("wsus-iis").exitOverride();
    register(program);
    try {
      await program.parseAsync(args, { from: "user" });
    } catch (e) {
      if (e instanceof CliError) {
        chunks.err.push(Buffer.from(`wsus-iis: ${e.message}\n`));
        process.exitCode = e.exitCode;
      } else if (e instanceof CommanderError) process.exitCode = e.exitCode === 0 ? 0 : 2;
      else throw e;
    } finally {
      vi.restoreAllMocks();
    }
    return { out: Buffer.concat(chunks.out), err: Buffer.concat(chunks.err), code: process.exitCode ?? 0 };
  };
  const isTTY = { out: process.stdout.isTTY, err: process.stderr.isTTY };
  const setTTY = (v: boolean | undefined) => {
    (process.stdout as { isTTY?: boolean }).isTTY = v;
    (process.stderr as { isTTY?: boolean }).isTTY = v;
  };
  afterEach(() => {
    setTTY(isTTY.out);
    (process.stderr as { isTTY?: boolean }).isTTY = isTTY.err;
    process.exitCode = undefined;
  });

  it("--locale de-DE; redirected output of lab exec is cp850 (Ä = 0x8E, ä = 0x84), stderr too", async () => {
    const dir = tempDir();
    expect((await cli("lab", "create", dir, "--locale", "de-DE")).code).toBe(0);
    expect((await readLabState(dir)).locale).toBe("de-DE");
    setTTY(false);
    let r = await cli("lab", "exec", dir, "--", "icacls", SU);
    expect(r.out.includes(Buffer.from("NT-AUTORIT\x8eT\\SYSTEM", "latin1"))).toBe(true);
    expect(r.out.includes(Buffer.from("NT-AUTORITÄT", "utf8"))).toBe(false);
    expect(decodeOem(r.out, 850)).toContain("VORDEFINIERT\\Benutzer:(OI)(CI)(RX)");
    r = await cli("lab", "exec", dir, "--", "net", "localgroup");
    expect(r.out.includes(Buffer.from("*G\x84ste\r\n", "latin1"))).toBe(true);
    r = await cli("lab", "exec", dir, "--", "icacls", SU, "/grant", "Users:(R)");
    expect(r.code).toBe(1332 & 0xff);
    expect(r.err.toString("latin1")).toBe("Users: Zuordnungen von Kontennamen und Sicherheitskennungen wurden nicht durchgef\x81hrt.\r\n");
  });

  it("fr-FR: è = 0x8A in cp850; on a terminal the same output is UTF-8", async () => {
    const dir = tempDir();
    expect((await cli("lab", "create", dir, "--locale", "fr-FR")).code).toBe(0);
    setTTY(false);
    let r = await cli("lab", "exec", dir, "--", "icacls", SU);
    expect(r.out.includes(Buffer.from("AUTORITE NT\\Syst\x8ame:(OI)(CI)(F)", "latin1"))).toBe(true);
    setTTY(true);
    r = await cli("lab", "exec", dir, "--", "icacls", SU);
    expect(r.out.toString("utf8")).toContain("AUTORITE NT\\Système:(OI)(CI)(F)");
  });

  it("--locale with an unknown value fails naming the option and the allowed values", async () => {
    const r = await cli("lab", "create", tempDir(), "--locale", "de-AT");
    expect(r.code).toBe(2);
    expect(r.err.toString()).toBe('wsus-iis: --locale: expected en-US, de-DE, fr-FR, got "de-AT"\n');
  });

  it("end to end through bin/wsus-iis.js: piped stdout is cp850", async () => {
    const dir = tempDir();
    const bin = path.join(__dirname, "..", "bin", "wsus-iis.js");
    const run = (args: string[]) =>
      new Promise<{ code: number; stdout: Buffer }>((resolve) => {
        execFile(process.execPath, [bin, ...args], { timeout: 60_000, encoding: "buffer" }, (e, stdout) =>
          resolve({ code: e ? ((e as { code?: number }).code ?? -1) : 0, stdout }),
        );
      });
    expect((await run(["lab", "create", dir, "--locale", "de-DE"])).code).toBe(0);
    const r = await run(["lab", "exec", dir, "--", "net", "localgroup", "Benutzer"]);
    expect(r.code).toBe(0);
    expect(decodeOem(r.stdout, 850)).toContain("NT-AUTORITÄT\\Authentifizierte Benutzer\r\n");
    expect(r.stdout.includes(Buffer.from("Der Befehl wurde erfolgreich ausgef\x81hrt.", "latin1"))).toBe(true);
  }, 120_000);
});
