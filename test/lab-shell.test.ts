import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { commandLineToArgv, expandVariables, quoteArg, splitCommandLine } from "../lab/cmdline";
import { createLab } from "../lab/create";
import { mkdirWindows, resolveHostPath } from "../lab/fs";
import { LabServer, runCommand, runScript, TransportDropError } from "../lab/shell";
import { readLabState } from "../lab/state";

const APPHOST = "C/Windows/System32/inetsrv/config/applicationHost.config";
const roots: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(path.join(tmpdir(), "wsus-lab-shell-"));
  roots.push(d);
  return d;
}
afterAll(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

describe("CommandLineToArgvW", () => {
  it.each([
    ['x a "b c" d', ["x", "a", "b c", "d"]],
    ['x "C:\\Program Files\\"', ["x", 'C:\\Program Files"']],
    ['x "C:\\Program Files\\\\"', ["x", "C:\\Program Files\\"]],
    ['x "a""b"', ["x", 'a"b']],
    ['x a\\\\\\\\"b c"', ["x", "a\\\\b c"]],
    ['x a\\\\\\"b', ["x", 'a\\"b']],
    ["x C:\\dir\\", ["x", "C:\\dir\\"]],
    ['"C:\\Program Files\\x.exe" y', ["C:\\Program Files\\x.exe", "y"]],
    // argv[0] ends at the first blank and knows no backslash rules; the rest does
    ['C:\\a\\"b c" d', ['C:\\a\\"b', "c d"]],
    ['x /app.name:"Default Web Site/" /path:/Selfupdate', ["x", "/app.name:Default Web Site/", "/path:/Selfupdate"]],
    ["x  \t a", ["x", "a"]],
  ])("%s", (line, argv) => {
    expect(commandLineToArgv(line)).toEqual(argv);
  });

  it("quoteArg round-trips any argument through CommandLineToArgvW", () => {
    fc.assert(
      fc.property(fc.array(fc.string({ minLength: 0, maxLength: 12 }).filter((s) => !s.includes("\0"))), (args) => {
        const line = ["prog", ...args.map(quoteArg)].join(" ");
        expect(commandLineToArgv(line)).toEqual(["prog", ...args]);
      }),
      { numRuns: 300 },
    );
  });
});

describe("cmd.exe line processing", () => {
  const env = new Map([
    ["windir", "C:\\Windows"],
    ["programfiles", "C:\\Program Files"],
  ]);
  const lookup = (n: string) => env.get(n.toLowerCase());

  it("expands %VAR% case-insensitively and leaves unknown variables and lone % as written", () => {
    expect(expandVariables("%WINDIR%\\system32 %ProgramFiles%", lookup)).toBe("C:\\Windows\\system32 C:\\Program Files");
    expect(expandVariables("%nope% 100% sure %windir%", lookup)).toBe("%nope% 100% sure C:\\Windows");
  });

  it("splits at & && || | outside quotes, honours ^ escapes, and takes redirections", () => {
    expect(splitCommandLine("a ^& b & c").map((c) => [c.text.trim(), c.next])).toEqual([
      ["a & b", "&"],
      ["c", null],
    ]);
    expect(splitCommandLine('echo "a & b" && x || y').map((c) => c.next)).toEqual(["&&", "||", null]);
    const [r] = splitCommandLine('icacls "C:\\x" > "C:\\out file.txt" 2>&1');
    expect(r.text.trim()).toBe('icacls "C:\\x"');
    expect(r.redirects).toEqual([
      { fd: 1, target: "C:\\out file.txt", append: false },
      { fd: 2, target: "&1", append: false },
    ]);
    expect(() => splitCommandLine("& x")).toThrow(/unexpected/);
  });
});

describe("running commands on a lab", () => {
  let dir: string;
  beforeAll(async () => {
    dir = tempDir();
    await createLab(dir, { configuration: 2, profile: "kb920659" });
  });

  it("fails an unknown command like cmd.exe (9009)", async () => {
    const r = await runCommand(dir, "foo /bar");
    expect(r).toEqual({ stdout: "", stderr: "'foo' is not recognized as an internal or external command,\r\noperable program or batch file.\r\n", exitCode: 9009 });
    expect((await runCommand(dir, "C:\\nope\\appcmd.exe list site")).exitCode).toBe(3);
    expect((await runCommand(dir, "C:\\Windows\\nope.exe")).exitCode).toBe(9009);
  });

  it("finds appcmd on Path, by full path with %windir%, quoted, and with another case", async () => {
    const want = (await runCommand(dir, "appcmd list site")).stdout;
    expect(want).toMatch(/^SITE "Default Web Site"/);
    for (const line of [
      "%windir%\\system32\\inetsrv\\appcmd.exe list site",
      '"%windir%\\System32\\inetsrv\\appcmd.exe" list sites',
      "%systemroot%\\system32\\inetsrv\\APPCMD list sites",
      "C:\\WINDOWS\\SYSTEM32\\INETSRV\\APPCMD.EXE LIST SITE",
      'cmd /c "appcmd list site"',
    ]) {
      expect((await runCommand(dir, line)).stdout, line).toBe(want);
    }
  });

  it("looks paths up case-insensitively like NTFS", async () => {
    const a = await runCommand(dir, 'type "c:\\windows\\system32\\INETSRV\\config\\APPLICATIONHOST.CONFIG"');
    expect(a.exitCode).toBe(0);
    expect(a.stdout).toBe(readFileSync(path.join(dir, APPHOST), "utf8"));
    expect((await runCommand(dir, 'type "C:\\nope.txt"')).stderr).toBe("The system cannot find the file specified.\r\n");
  });

  it("keeps paths with spaces and parentheses intact through quoting", async () => {
    await mkdirWindows(dir, "C:\\Program Files (x86)\\My Tools (2)");
    const add = await runCommand(dir, 'appcmd add vdir /app.name:"Default Web Site/" /path:/Tools /physicalPath:"C:\\Program Files (x86)\\My Tools (2)"');
    expect(add.stdout).toBe('VDIR object "Default Web Site/Tools" added\r\n');
    expect((await runCommand(dir, 'appcmd list vdir "Default Web Site/Tools"')).stdout).toBe('VDIR "Default Web Site/Tools" (physicalPath:C:\\Program Files (x86)\\My Tools (2))\r\n');
    const ic = await runCommand(dir, 'icacls "C:\\Program Files (x86)\\My Tools (2)"');
    expect(ic.exitCode).toBe(0);
    expect(ic.stdout.split("\r\n")[0]).toMatch(/^C:\\Program Files \(x86\)\\My Tools \(2\) \S/);
    // the classic trailing-backslash trap: "C:\dir\" swallows the closing quote
    const trap = await runCommand(dir, 'icacls "C:\\Program Files (x86)\\My Tools (2)\\" /grant Users:RX');
    expect(trap).toMatchObject({ exitCode: 123, stderr: "The filename, directory name, or volume label syntax is incorrect.\r\n" });
    expect((await runCommand(dir, 'appcmd delete vdir "Default Web Site/Tools"')).exitCode).toBe(0);
  });

  it("runs && || & and redirections like cmd", async () => {
    expect((await runCommand(dir, "hostname >nul && echo ok || echo bad")).stdout).toBe("ok \r\n");
    expect((await runCommand(dir, "nothere 2>nul || echo fallback")).stdout).toBe("fallback\r\n");
    const both = await runCommand(dir, "nothere 2>&1");
    expect(both.stdout).toMatch(/^'nothere' is not recognized/);
    expect(both.stderr).toBe("");
    expect((await runCommand(dir, "echo a & echo b")).stdout).toBe("a \r\nb\r\n");
    expect((await runCommand(dir, "echo x ^& y")).stdout).toBe("x & y\r\n");
    await runCommand(dir, 'appcmd list site > "C:\\Users\\Administrator\\sites.txt"');
    expect((await runCommand(dir, "type sites.txt")).stdout).toMatch(/^SITE "Default Web Site"/);
    expect((await runCommand(dir, "hostname")).stdout).toBe("WSUS01\r\n");
    expect(await runCommand(dir, "hostname > C:\\NoSuchDir\\out.txt")).toEqual({ stdout: "", stderr: "The system cannot find the path specified.\r\n", exitCode: 1 });
  });

  it("runScript stops at the first failure unless told not to", async () => {
    const s = await runScript(dir, ["hostname", "appcmd list site Nope", "hostname"]);
    expect(s.failedAt).toBe(1);
    expect(s.results.map((r) => r.exitCode)).toEqual([0, 1168]);
    const all = await runScript(dir, ["hostname", "appcmd list site Nope", "hostname"], { stopOnError: false });
    expect(all.failedAt).toBe(1);
    expect(all.results).toHaveLength(3);
  });

  it("serialises concurrent commands on one lab", async () => {
    const d = tempDir();
    await createLab(d, { configuration: 1 });
    const lines = Array.from({ length: 12 }, (_, i) => `appcmd add vdir /app.name:"Default Web Site/" /path:/c${i} /physicalPath:C:\\c${i}`);
    const results = await Promise.all(lines.map((l) => runCommand(d, l)));
    expect(results.every((r) => r.exitCode === 0)).toBe(true);
    const list = (await runCommand(d, 'appcmd list vdir /app.name:"Default Web Site/"')).stdout;
    for (let i = 0; i < 12; i++) expect(list).toContain(`"Default Web Site/c${i}"`);
  });
});

describe("fault injection (LabServer)", () => {
  let dir: string;
  beforeAll(async () => {
    dir = tempDir();
    await createLab(dir, { configuration: 1, profile: "kb920659" });
  });

  it("drops before a command: nothing runs, TransportDropError says which", async () => {
    const server = new LabServer(dir, { dropBeforeCommand: 2 });
    await server.run("hostname");
    const err = await server.run("net localgroup Users IUSR_WSUS01 /delete").catch((e) => e);
    expect(err).toBeInstanceOf(TransportDropError);
    expect(err).toMatchObject({ commandIndex: 2, when: "before" });
    expect((await readLabState(dir)).groups.Users.members).toContain("IUSR_WSUS01");
    expect(server.commandsExecuted).toBe(1);
    expect(server.commandsRequested).toBe(2);
    // the connection is back for the next command
    expect((await server.run("hostname")).exitCode).toBe(0);
  });

  it("drops after a command: the change is made, the reply is lost", async () => {
    const server = new LabServer(dir, { dropAfterCommand: 1 });
    await expect(server.run("net localgroup Users IUSR_WSUS01 /delete")).rejects.toMatchObject({ name: "TransportDropError", when: "after", commandIndex: 1 });
    expect((await readLabState(dir)).groups.Users.members).not.toContain("IUSR_WSUS01");
    expect(server.commandsExecuted).toBe(1);
    // a retry sees the already-applied change (what an idempotent planner must handle)
    const retry = await server.run("net localgroup Users IUSR_WSUS01 /delete");
    expect(retry.exitCode).toBe(2);
    expect(retry.stderr).toContain("System error 1377 has occurred.");
    expect((await server.run("net localgroup Users IUSR_WSUS01 /add")).exitCode).toBe(0);
  });

  it("adds latency per command and counts round trips", async () => {
    const server = new LabServer(dir, { latencyMs: 25 });
    const t0 = Date.now();
    await server.runScript(["hostname", "hostname", "hostname"]);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(70);
    expect(server.commandsExecuted).toBe(3);
    server.resetCounters();
    expect(server.commandsExecuted).toBe(0);
  });

  it("beforeCommand lets a test edit applicationHost.config between a read and a write; the write keeps the edit", async () => {
    const seen: [number, string][] = [];
    const hostFile = path.join(dir, APPHOST);
    const server = new LabServer(dir, {
      beforeCommand: async (index, line) => {
        seen.push([index, line]);
        if (index === 2) {
          // someone else changes the file (adds a site-level comment) after our read
          const t = readFileSync(hostFile, "utf8").replace("<sites>", "<sites>\r\n            <!-- added concurrently -->");
          writeFileSync(hostFile, t);
        }
      },
    });
    const before = (await server.run('type "%windir%\\System32\\inetsrv\\config\\applicationHost.config"')).stdout;
    expect(before).not.toContain("added concurrently");
    const w = await server.run('appcmd set config "Default Web Site/SelfUpdate" -section:anonymousAuthentication /enabled:false /commit:apphost');
    expect(w.exitCode).toBe(0);
    const after = readFileSync(hostFile, "utf8");
    expect(after).toContain("<!-- added concurrently -->");
    expect(seen.map((s) => s[0])).toEqual([1, 2]);
    await server.run('appcmd set config "Default Web Site/SelfUpdate" -section:anonymousAuthentication /enabled:true /commit:apphost');
  });

  it("rejects a folder that is not a lab with a clear message", async () => {
    const d = tempDir();
    await expect(runCommand(d, "hostname")).rejects.toThrow(/not a lab/);
    const h = await resolveHostPath(dir, "c:\\PROGRAM FILES\\update services");
    expect(h.exists).toBe(true);
    expect(h.windowsPath).toBe("C:\\Program Files\\Update Services");
  });
});
