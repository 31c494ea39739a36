import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { execFile } from "node:child_process";
import { Command, CommanderError } from "commander";
import { register } from "../cli/commands/lab";
import { CliError } from "../cli/errors";
import { readLabState } from "../lab/state";

const roots: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(path.join(tmpdir(), "wsus-lab-cli-"));
  roots.push(d);
  return d;
}
afterAll(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

let out = "";
let err = "";
beforeEach(() => {
  out = "";
  err = "";
  process.exitCode = undefined;
  vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  vi.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => {
    err += String(chunk);
    return true;
  });
});
afterEach(() => {
  vi.restoreAllMocks();
  process.exitCode = undefined;
});

/** The lab command group on a fresh program, with cli/main.ts's error handling. */
const cli = async (...args: string[]) => {
  process.exitCode = undefined;
  const program = new Command("wsus-iis").exitOverride();
  register(program);
  try {
    await program.parseAsync(args, { from: "user" });
  } catch (e) {
    if (e instanceof CliError) {
      err += `wsus-iis: ${e.message}\n`;
      process.exitCode = e.exitCode;
    } else if (e instanceof CommanderError) process.exitCode = e.exitCode === 0 ? 0 : 2;
    else throw e;
  }
  return { out, err, code: process.exitCode ?? 0 };
};

describe("wsus-iis lab", () => {
  it("create builds a broken lab and says what it did", async () => {
    const dir = tempDir();
    const r = await cli("lab", "create", dir, "--configuration", "2", "--profile", "modern", "--computer-name", "UPD01", "--break", "4,wrong-path", "--break", "8");
    expect(r.code).toBe(0);
    expect(r.out).toContain("created lab");
    expect(r.out).toContain("UPD01, Configuration 2, profile modern");
    expect(r.out).toContain("4 (anonymous access off on SelfUpdate)");
    const state = await readLabState(dir);
    expect(state.breaks).toEqual([4, "wrong-path", 8]);
    expect(state.computerName).toBe("UPD01");
  });

  it.each([
    [["--configuration", "3"], '--configuration: expected 1 or 2, got "3"'],
    [["--profile", "legacy"], '--profile: expected kb920659 or modern, got "legacy"'],
    [["--break", "4,9"], '--break: unknown break "9": expected 1..8, missing-vdir, windows-auth-anonymous, wrong-path, users-hardened, pool-private-memory, pool-queue-length, pool-stopped, site-stopped, impersonation, impersonation-webconfig or compression'],
    [["--computer-name", "bad name!"], '--computer-name: expected a NetBIOS computer name (1-15 letters, digits, - _), got "bad name!"'],
  ])("create %j fails naming the option", async (args, message) => {
    const r = await cli("lab", "create", tempDir(), ...args);
    expect(r.code).toBe(2);
    expect(r.err).toBe(`wsus-iis: ${message}\n`);
  });

  it("create refuses a non-empty folder; --force replaces only a lab", async () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, "notes.txt"), "x");
    let r = await cli("lab", "create", dir);
    expect(r.code).toBe(2);
    expect(r.err).toBe(`wsus-iis: ${dir} is not empty and is not a lab (no lab.json with schema wsus-iis/lab@1); lab create never replaces it\n`);
    err = "";
    r = await cli("lab", "create", dir, "--force");
    expect(r.code).toBe(2);
    expect(r.err).toBe(`wsus-iis: ${dir} is not a lab (no lab.json with schema wsus-iis/lab@1): --force replaces only a lab; empty the folder or choose another one\n`);
    expect(readFileSync(path.join(dir, "notes.txt"), "utf8")).toBe("x");

    const labDir = tempDir();
    expect((await cli("lab", "create", labDir, "--computer-name", "FIRST")).code).toBe(0);
    err = "";
    r = await cli("lab", "create", labDir, "--computer-name", "SECOND");
    expect(r.code).toBe(2);
    expect(r.err).toBe(`wsus-iis: ${labDir} is already a lab: use --force to recreate it (what was changed in it is lost)\n`);
    expect((await readLabState(labDir)).computerName).toBe("FIRST");
    expect((await cli("lab", "create", labDir, "--computer-name", "SECOND", "--force")).code).toBe(0);
    expect((await readLabState(labDir)).computerName).toBe("SECOND");
  });

  it.each([
    ["9", 'CAUSES: unknown break "9": expected 1..8, missing-vdir, windows-auth-anonymous, wrong-path, users-hardened, pool-private-memory, pool-queue-length, pool-stopped, site-stopped, impersonation, impersonation-webconfig or compression'],
    ["4,selfupdate", 'CAUSES: unknown break "selfupdate": expected 1..8, missing-vdir, windows-auth-anonymous, wrong-path, users-hardened, pool-private-memory, pool-queue-length, pool-stopped, site-stopped, impersonation, impersonation-webconfig or compression'],
    [",", 'CAUSES: expected at least one cause (1..8, missing-vdir, windows-auth-anonymous, wrong-path, users-hardened, pool-private-memory, pool-queue-length, pool-stopped, site-stopped, impersonation, impersonation-webconfig or compression), got ","'],
  ])("break DIR %j fails naming CAUSES (the argument), not --break", async (causes, message) => {
    const dir = tempDir();
    await cli("lab", "create", dir);
    const config = path.join(dir, "C", "Windows", "System32", "inetsrv", "config", "applicationHost.config");
    const before = readFileSync(config, "utf8");
    err = "";
    const r = await cli("lab", "break", dir, causes);
    expect(r.code).toBe(2);
    expect(r.err).toBe(`wsus-iis: ${message}\n`);
    expect(readFileSync(config, "utf8")).toBe(before); // nothing applied: every cause is checked first
  });

  it("break DIR CAUSES is what the help shows", async () => {
    const program = new Command("wsus-iis").exitOverride();
    register(program);
    const breakCmd = program.commands.find((c) => c.name() === "lab")!.commands.find((c) => c.name() === "break")!;
    expect(breakCmd.usage()).toBe("[options] <dir> <causes>");
  });

  it("exec prints the command's output and exits with its code", async () => {
    const dir = tempDir();
    await cli("lab", "create", dir);
    out = "";
    let r = await cli("lab", "exec", dir, "--", "appcmd", "list", "site");
    // a default WSUS 4+ install (the lab's default): the untouched Default Web Site and the WSUS site
    expect(r.out).toBe('SITE "Default Web Site" (id:1,bindings:http/*:80:,state:Started)\r\nSITE "WSUS Administration" (id:1572271583,bindings:http/*:8530:,https/*:8531:,state:Started)\r\n');
    expect(r.code).toBe(0);
    out = "";
    r = await cli("lab", "exec", dir, "--", "icacls", "C:\\Program Files\\Update Services\\Selfupdate");
    expect(r.out.startsWith("C:\\Program Files\\Update Services\\Selfupdate BUILTIN\\Administrators:(OI)(CI)(F)\r\n")).toBe(true);
    out = "";
    r = await cli("lab", "exec", dir, 'appcmd list vdir "Default Web Site/Nope"');
    expect(r.out).toBe('ERROR ( message:Cannot find VDIR object with identifier "Default Web Site/Nope". )\r\n');
    expect(r.code).toBe(1168 & 0xff);
    err = "";
    r = await cli("lab", "exec", dir, "--", "frobnicate");
    expect(r.err).toContain("'frobnicate' is not recognized");
    expect(r.code).toBe(9009 & 0xff);
  });

  it("evidence writes the bundle; lab errors are one clear line", async () => {
    const dir = tempDir();
    await cli("lab", "create", dir, "--break", "7");
    const file = path.join(dir, "..", path.basename(dir) + "-evidence.json");
    roots.push(file);
    expect((await cli("lab", "evidence", dir, "--out", file)).code).toBe(0);
    const ev = JSON.parse(readFileSync(file, "utf8"));
    expect(ev.schema).toBe("wsus-iis/evidence@2");
    // the agent sees that SharePoint is installed, but cannot read its exclusions (no command does, across versions)
    expect(ev.sharePoint).toEqual({ installed: true });
    err = "";
    const r = await cli("lab", "evidence", tempDir());
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^wsus-iis: .* is not a lab \(no lab\.json\)/);
  });
});

describe("bin/wsus-iis.js lab (end to end)", () => {
  it("is registered and passes exit codes through (truncated to 8 bits by the OS)", async () => {
    const dir = tempDir();
    const bin = path.join(__dirname, "..", "bin", "wsus-iis.js");
    const run = (args: string[]) =>
      new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
        execFile(process.execPath, [bin, ...args], { timeout: 60_000 }, (e, stdout, stderr) =>
          resolve({ code: e ? ((e as { code?: number }).code ?? -1) : 0, stdout, stderr }),
        );
      });
    expect((await run(["lab", "create", dir, "--break", "2"])).code).toBe(0);
    const r = await run(["lab", "exec", dir, "--", "appcmd", "list", "vdir", "Default Web Site/SelfUpdate"]);
    expect(r.stdout).toBe('ERROR ( message:Cannot find VDIR object with identifier "Default Web Site/SelfUpdate". )\r\n');
    expect(r.code).toBe(1168 & 0xff);
    const help = await run(["lab", "--help"]);
    for (const c of ["create", "exec", "evidence", "break"]) expect(help.stdout).toContain(c);
  });
});
