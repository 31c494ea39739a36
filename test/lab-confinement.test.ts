import { spawn, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { LabAgentHost } from "../lab/agentHost";
import { applyBreak, createLab } from "../lab/create";
import { resolveHostPath } from "../lab/fs";
import { runCommand } from "../lab/shell";
import { LabError, readLabState } from "../lab/state";

/**
 * Issue 11, item 7: the lab stays in its folder. A symlink inside the lab that leads out of it must
 * not let a command (or the lab's own code) read or write outside; a process killed mid-write must
 * not leave its temp files behind for good.
 */

const ROOT = path.join(__dirname, "..");
const roots: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(path.join(tmpdir(), "wsus-lab-confine-"));
  roots.push(d);
  return d;
}
afterAll(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

const SELFUPDATE = "C/Program Files/Update Services/Selfupdate";
const CONFIG_DIR = "C/Windows/System32/inetsrv/config";

/** A fresh lab, and beside it (outside the lab) a folder holding a user's file. */
async function labBesideUserFolder(): Promise<{ dir: string; outside: string }> {
  const root = tempDir();
  const dir = path.join(root, "lab");
  const outside = path.join(root, "outside");
  mkdirSync(outside);
  writeFileSync(path.join(outside, "keep.txt"), "the user's file\n");
  await createLab(dir, { configuration: 2, profile: "modern" });
  return { dir, outside };
}

/** Every entry below `dir` with its content: what nothing the lab does may change. */
function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string, rel: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) {
        out[r + "/"] = "";
        walk(path.join(d, e.name), r);
      } else out[r] = readFileSync(path.join(d, e.name), "latin1");
    }
  };
  walk(dir, "");
  return out;
}

/** Replace the lab entry at `rel` (below DIR) by a symlink to `target`. */
function linkOut(dir: string, rel: string, target: string): void {
  rmSync(path.join(dir, rel), { recursive: true, force: true });
  symlinkSync(target, path.join(dir, rel));
}

const ACCESS_DENIED = "Access is denied.\r\n";

describe("lab commands through a symlink that leads out of the lab", () => {
  it("a redirection to a file there is refused before the command runs, as cmd refuses it", async () => {
    const { dir, outside } = await labBesideUserFolder();
    linkOut(dir, "C/Windows/Temp", outside);
    const before = tree(outside);
    expect(await runCommand(dir, "echo x > C:\\Windows\\Temp\\f.txt")).toEqual({ stdout: "", stderr: ACCESS_DENIED, exitCode: 1 });
    expect(await runCommand(dir, "echo x >> C:\\Windows\\Temp\\keep.txt")).toEqual({ stdout: "", stderr: ACCESS_DENIED, exitCode: 1 });
    // the command does not run either: its output went nowhere, its effects did not happen
    expect(await runCommand(dir, 'net localgroup Users Guest /add 2> C:\\Windows\\Temp\\err.txt')).toEqual({ stdout: "", stderr: ACCESS_DENIED, exitCode: 1 });
    expect((await readLabState(dir)).groups.Users.members).not.toContain("Guest");
    expect(tree(outside)).toEqual(before);
  });

  it("reading a file there is refused too (type, dir: cmd's own commands, errorlevel 1)", async () => {
    const { dir, outside } = await labBesideUserFolder();
    linkOut(dir, "C/Windows/Temp", outside);
    expect(await runCommand(dir, "type C:\\Windows\\Temp\\keep.txt")).toEqual({ stdout: "", stderr: ACCESS_DENIED, exitCode: 1 });
    expect(await runCommand(dir, "dir /b C:\\Windows\\Temp")).toEqual({ stdout: "", stderr: ACCESS_DENIED, exitCode: 1 });
  });

  it("icacls /save does not write there", async () => {
    const { dir, outside } = await labBesideUserFolder();
    linkOut(dir, "C/Windows/Temp", outside);
    const before = tree(outside);
    const r = await runCommand(dir, 'icacls "C:\\Program Files\\Update Services\\Selfupdate" /save C:\\Windows\\Temp\\acl.txt');
    expect(r.exitCode).toBe(5);
    expect(r.stderr).toBe(ACCESS_DENIED);
    expect(tree(outside)).toEqual(before);
  });

  it("an msiexec reinstall into a SelfUpdate folder that leads out writes nothing there, nor its log", async () => {
    const { dir, outside } = await labBesideUserFolder();
    linkOut(dir, SELFUPDATE, outside);
    const before = tree(outside);
    const r = await runCommand(dir, 'msiexec /fa "C:\\Program Files\\Update Services\\Setup\\Selfupdate.msi" /qn');
    expect(r).toEqual({ stdout: "", stderr: ACCESS_DENIED, exitCode: 5 });
    expect(tree(outside)).toEqual(before);

    const { dir: dir2, outside: outside2 } = await labBesideUserFolder();
    linkOut(dir2, "C/Windows/Temp", outside2);
    const before2 = tree(outside2);
    const r2 = await runCommand(dir2, 'msiexec /fa "C:\\Program Files\\Update Services\\Setup\\Selfupdate.msi" /qn /l*v C:\\Windows\\Temp\\msi.log');
    expect(r2.exitCode).toBe(5);
    expect(tree(outside2)).toEqual(before2);
  });

  it("appcmd edits and backups do not change a config folder that leads out", async () => {
    const { dir, outside } = await labBesideUserFolder();
    cpSync(path.join(dir, CONFIG_DIR), path.join(outside, "config"), { recursive: true });
    linkOut(dir, CONFIG_DIR, path.join(outside, "config"));
    const before = tree(outside);
    const set = await runCommand(
      dir,
      '%windir%\\system32\\inetsrv\\appcmd.exe set config "Default Web Site" -section:system.webServer/security/authentication/anonymousAuthentication /enabled:"False" /commit:apphost',
    );
    expect(set).toEqual({ stdout: "", stderr: ACCESS_DENIED, exitCode: 5 });
    expect(tree(outside)).toEqual(before);

    const { dir: dir2, outside: outside2 } = await labBesideUserFolder();
    linkOut(dir2, "C/Windows/System32/inetsrv/backup", outside2);
    const before2 = tree(outside2);
    expect((await runCommand(dir2, "%windir%\\system32\\inetsrv\\appcmd.exe add backup b1")).exitCode).toBe(5);
    expect(tree(outside2)).toEqual(before2);
  });

  it("a symlink that stays inside the lab, and a lab reached through a symlink, still work", async () => {
    const { dir } = await labBesideUserFolder();
    linkOut(dir, "C/Windows/Temp", path.join(dir, "C", "Users"));
    expect(await runCommand(dir, "echo x > C:\\Windows\\Temp\\f.txt")).toEqual({ stdout: "", stderr: "", exitCode: 0 });
    expect(readFileSync(path.join(dir, "C", "Users", "f.txt"), "utf8")).toBe("x \r\n"); // cmd keeps the blank before `>`
    const via = path.join(path.dirname(dir), "via-link");
    symlinkSync(dir, via);
    expect(await runCommand(via, "echo y > C:\\Users\\g.txt")).toEqual({ stdout: "", stderr: "", exitCode: 0 });
    expect(readFileSync(path.join(dir, "C", "Users", "g.txt"), "utf8")).toBe("y \r\n");
  });
});

describe("the lab's own code through a symlink that leads out of the lab", () => {
  it("break 8 does not delete the files of a SelfUpdate folder that leads out", async () => {
    const { dir, outside } = await labBesideUserFolder();
    linkOut(dir, SELFUPDATE, outside);
    const before = tree(outside);
    const e = await applyBreak(dir, 8).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(LabError);
    expect((e as Error).message).toContain("C:\\Program Files\\Update Services\\Selfupdate");
    expect((e as Error).message).toMatch(/outside the lab folder/);
    expect(tree(outside)).toEqual(before);
  });

  it("the agent host neither writes nor removes there", async () => {
    const { dir, outside } = await labBesideUserFolder();
    linkOut(dir, "C/Windows/Temp", outside);
    const before = tree(outside);
    const host = new LabAgentHost(dir);
    await expect(host.writeFile("C:\\Windows\\Temp\\journal.json", "{}")).rejects.toThrow(LabError);
    await expect(host.mkdir("C:\\Windows\\Temp\\sub")).rejects.toThrow(LabError);
    await expect(host.remove("C:\\Windows\\Temp\\keep.txt")).rejects.toThrow(LabError);
    await expect(host.readFile("%windir%\\Temp\\keep.txt")).rejects.toThrow(/C:\\Windows\\Temp\\keep\.txt.*outside the lab folder/);
    expect(tree(outside)).toEqual(before);
  });

  it("a lab.json that leads out is refused, naming it", async () => {
    const { dir, outside } = await labBesideUserFolder();
    cpSync(path.join(dir, "lab.json"), path.join(outside, "lab.json"));
    linkOut(dir, "lab.json", path.join(outside, "lab.json"));
    await expect(readLabState(dir)).rejects.toThrow(LabError);
    await expect(readLabState(dir)).rejects.toThrow(/lab\.json.*outside the lab folder/);
  });

  it("a folder whose lab.json is a symlink to another lab's is not a lab: create --force leaves it alone", async () => {
    const { dir, outside } = await labBesideUserFolder();
    const folder = path.join(outside, "mine");
    mkdirSync(folder);
    writeFileSync(path.join(folder, "notes.txt"), "keep me");
    symlinkSync(path.join(dir, "lab.json"), path.join(folder, "lab.json"));
    await expect(createLab(folder, { force: true })).rejects.toThrow(`${folder} is not a lab`);
    expect(readFileSync(path.join(folder, "notes.txt"), "utf8")).toBe("keep me");
  });

  it("a dangling symlink is judged by where it points", async () => {
    const { dir, outside } = await labBesideUserFolder();
    linkOut(dir, "C/Windows/Temp", path.join(outside, "not-yet"));
    await expect(resolveHostPath(dir, "C:\\Windows\\Temp\\f.txt")).rejects.toThrow(/outside the lab folder/);
    linkOut(dir, "C/Windows/Temp", path.join(dir, "C", "not-yet"));
    expect((await resolveHostPath(dir, "C:\\Windows\\Temp\\f.txt")).exists).toBe(false);
  });
});

// ---- temp files of interrupted writes ----

/** Temp files an atomic write of the lab leaves while it runs (`<name>.wsus-iis-<pid>-<16 hex>.tmp`). */
const LAB_TEMP = /\.wsus-iis-\d+-[0-9a-f]{16}\.tmp$/;

function filesBelow(dir: string): string[] {
  return (readdirSync(dir, { recursive: true, withFileTypes: true }) as { name: string; parentPath: string; isFile(): boolean }[])
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)));
}

/** `wsus-iis lab exec DIR -- hostname` in a new process: the next program to open the lab. */
function labExecHostname(dir: string): void {
  const r = spawnSync(process.execPath, [path.join(ROOT, "bin", "wsus-iis.js"), "lab", "exec", dir, "--", "hostname"], { encoding: "utf8", timeout: 60_000 });
  expect(r.stderr).toBe("");
  expect(r.stdout).toBe("WSUS01\r\n");
}

describe("temp files of interrupted writes", () => {
  // A pid above Linux's pid_max limit (2^22): no process has it, so a file naming it is stale.
  const DEAD_PID = 4_194_304 + 12_345;

  it("the next process to open the lab removes its own stale temp files and nothing else", async () => {
    const { dir } = await labBesideUserFolder();
    const config = path.join(dir, CONFIG_DIR);
    const stale = [
      path.join(config, `applicationHost.config.wsus-iis-${DEAD_PID}-0123456789abcdef.tmp`),
      path.join(dir, `lab.json.wsus-iis-${DEAD_PID}-fedcba9876543210.tmp`),
      path.join(dir, "C", "Windows", "Temp", `out.txt.wsus-iis-${DEAD_PID}-00000000000000ff.tmp`),
    ];
    const kept = [
      // a writer that is still running (this test process) owns its temp file
      path.join(config, `applicationHost.config.wsus-iis-${process.pid}-0123456789abcdef.tmp`),
      // names that only look like the lab's
      path.join(config, "applicationHost.config.1234.tmp"),
      path.join(config, `applicationHost.config.wsus-iis-${DEAD_PID}-xyz.tmp`),
      path.join(config, `applicationHost.config.wsus-iis-${DEAD_PID}-0123456789abcdef.tmp.bak`),
      path.join(dir, "C", "Windows", "Temp", "backup.json.tmp"),
    ];
    for (const f of [...stale, ...kept]) writeFileSync(f, "half a file");
    labExecHostname(dir);
    for (const f of stale) expect(existsSync(f), f).toBe(false);
    for (const f of kept) expect(readFileSync(f, "utf8"), f).toBe("half a file");
  });

  it("a write that fails leaves no temp file behind (a redirection onto a folder)", async () => {
    const { dir } = await labBesideUserFolder();
    const r = await runCommand(dir, "echo x > C:\\Windows");
    expect(r.exitCode).toBe(1);
    expect(filesBelow(path.join(dir, "C")).filter((f) => /\.tmp$/.test(f))).toEqual([]);
  });

  it("appcmd restore backup brings back the backup's .config files, not a temp file of one cut short", async () => {
    const { dir } = await labBesideUserFolder();
    const appcmd = "%windir%\\system32\\inetsrv\\appcmd.exe";
    expect((await runCommand(dir, `${appcmd} add backup b1`)).exitCode).toBe(0);
    const backup = path.join(dir, "C", "Windows", "System32", "inetsrv", "backup", "b1");
    const temp = `applicationHost.config.wsus-iis-${DEAD_PID}-0123456789abcdef.tmp`;
    writeFileSync(path.join(backup, temp), "<configuration");
    expect(readdirSync(backup).sort()).toEqual(["administration.config", "applicationHost.config", "redirection.config", temp].sort());
    expect((await runCommand(dir, `${appcmd} restore backup b1`)).exitCode).toBe(0);
    expect(existsSync(path.join(dir, CONFIG_DIR, temp))).toBe(false);
  });

  it("after a SIGKILL mid-write, the next process finds no temp file and a whole file", async () => {
    const { dir } = await labBesideUserFolder();
    const SIZE = 16 << 20;
    const target = path.join(dir, "C", "Windows", "Temp", "big.bin");
    const writer = [
      `const { writeWindowsFile } = require(${JSON.stringify(path.join(ROOT, "lab", "fs.ts"))});`,
      `const big = Buffer.alloc(${SIZE}, 120);`,
      "(async () => {",
      `  await writeWindowsFile(${JSON.stringify(dir)}, "C:\\\\Windows\\\\Temp\\\\big.bin", big);`,
      '  process.stdout.write("ready\\n");',
      `  for (;;) await writeWindowsFile(${JSON.stringify(dir)}, "C:\\\\Windows\\\\Temp\\\\big.bin", big);`,
      "})();",
    ].join("\n");
    let leftBehind: string[] = [];
    // a kill lands mid-write most of the time (the write of 16 MiB is most of each round); try a few
    for (let attempt = 0; attempt < 10 && leftBehind.length === 0; attempt++) {
      const child = spawn(process.execPath, ["-r", "tsx/cjs", "-e", writer], { cwd: ROOT, stdio: ["ignore", "pipe", "inherit"] });
      await new Promise<void>((resolve) => child.stdout.once("data", () => resolve()));
      await new Promise((r) => setTimeout(r, 30 + attempt * 7));
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGKILL");
      await exited;
      leftBehind = filesBelow(dir).filter((f) => LAB_TEMP.test(f));
    }
    expect(leftBehind.length).toBeGreaterThan(0);
    labExecHostname(dir);
    expect(filesBelow(dir).filter((f) => /\.tmp$/.test(f))).toEqual([]);
    expect(statSync(target).size).toBe(SIZE);
  }, 120_000);
});
