import { spawn } from "node:child_process";
import { accessSync, constants, promises as fsp, statSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { readLabState } from "../state";
import { resolveHostPath } from "../fs";
import { TOOL_FILES, toolStubText } from "../shell";
import { shimScript } from "./shimBuild";

/**
 * The lab's `powershell.exe`: a thin launcher of PowerShell 7 (`pwsh`) that makes this Linux machine
 * look, to scripts/agent.ps1, like the lab's Windows server:
 *
 * - drive `C:` (and any other drive folder of the lab) is a PowerShell drive on the lab's folder, so the
 *   agent's Windows paths resolve (`Get-FileHash C:\Windows\…`, `Get-ChildItem C:\Program Files\…`);
 * - the environment carries the lab's Windows variables (`windir`, `ProgramData`, `COMPUTERNAME` …)
 *   and its culture (`LANG`), so .NET reports the lab's OEM code page;
 * - the lab's module (lab/powershell/modules/WsusIisLab) supplies the agent's three Windows API calls;
 * - the programs the agent starts (`C:\Windows\System32\cmd.exe`) are executable stubs that run the
 *   lab's command emulation (lab/shim.ts).
 *
 * The profile that maps the drives is the only change to the command line: `-NoProfile` is dropped so
 * PowerShell runs it before anything else. Everything else (-NonInteractive, -EncodedCommand …) goes
 * to pwsh as given.
 */

function isExecutableFile(file: string): boolean {
  try {
    if (!statSync(file).isFile()) return false;
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

let found: string | null | undefined;

/** pwsh: the first on PATH, else the .NET global tool's (`dotnet tool install --global PowerShell`, ~/.dotnet/tools). */
export function findPwsh(): string | null {
  if (found !== undefined) return found;
  const exe = process.platform === "win32" ? "pwsh.exe" : "pwsh";
  const onPath = (process.env.PATH ?? "")
    .split(path.delimiter)
    .filter((d) => d !== "")
    .map((d) => path.join(d, exe))
    .find(isExecutableFile);
  const tool = path.join(os.homedir(), ".dotnet", "tools", exe);
  found = onPath ?? (isExecutableFile(tool) ? tool : null);
  return found;
}

export class PowershellMissingError extends Error {
  constructor() {
    super("PowerShell 7 (pwsh) is needed to run the real agent against a lab; install it with `dotnet tool install --global PowerShell --version 7.6.9` (it lands in ~/.dotnet/tools)");
    this.name = "PowershellMissingError";
  }
}

const LOCALE_LANG: Record<string, string> = { "en-US": "en_US.UTF-8", "de-DE": "de_DE.UTF-8", "fr-FR": "fr_FR.UTF-8" };

const psQuote = (s: string) => `'${s.replace(/'/g, "''")}'`;

/** Files of the lab's host side (not on any of its drives): `DIR/.host/…`. */
export function hostSideDir(labDir: string): string {
  return path.join(path.resolve(labDir), ".host");
}

/** The stubs of the emulated programs as executables (labs made before they were). */
async function ensureToolStubs(labDir: string): Promise<void> {
  for (const tool of TOOL_FILES) {
    const { hostPath } = await resolveHostPath(labDir, tool);
    const want = toolStubText(tool);
    if ((await fsp.readFile(hostPath, "utf8").catch(() => null)) !== want) {
      await fsp.mkdir(path.dirname(hostPath), { recursive: true });
      await fsp.writeFile(hostPath, want);
    }
    await fsp.chmod(hostPath, 0o755);
  }
}

async function writeProfile(labDir: string): Promise<string> {
  const abs = path.resolve(labDir);
  const drives = (await fsp.readdir(abs, { withFileTypes: true })).filter((e) => e.isDirectory() && /^[A-Z]$/.test(e.name)).map((e) => e.name);
  const xdg = path.join(hostSideDir(labDir), "xdg");
  const profile = path.join(xdg, "powershell", "Microsoft.PowerShell_profile.ps1");
  const text =
    [
      "# wsus-iis lab: this machine's drives are the lab's (lab/powershell/launcher.ts)",
      ...drives.map((d) => `New-PSDrive -Name ${d} -PSProvider FileSystem -Root ${psQuote(path.join(abs, d))} -Scope Global | Out-Null`),
    ].join("\n") + "\n";
  await fsp.mkdir(path.dirname(profile), { recursive: true });
  const have = await fsp.readFile(profile, "utf8").catch(() => null);
  if (have !== text) await fsp.writeFile(profile, text);
  return xdg;
}

export interface PowershellLaunch {
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
}

/** How to start `powershell.exe ARGS` on the lab in `labDir`. */
export async function powershellLaunch(labDir: string, args: readonly string[]): Promise<PowershellLaunch> {
  const pwsh = findPwsh();
  if (!pwsh) throw new PowershellMissingError();
  const state = await readLabState(labDir);
  const [shim, xdg] = await Promise.all([shimScript(), writeProfile(labDir), ensureToolStubs(labDir)]).then(([s, x]) => [s, x] as const);
  const env: NodeJS.ProcessEnv = { ...process.env };
  // The lab's Windows variables, by their Windows names (the agent reads $env:windir, $env:ProgramData …);
  // Linux's own PATH and TMPDIR stay, pwsh needs them.
  for (const [k, v] of Object.entries(state.environment)) if (!/^(path|pathext|temp|tmp)$/i.test(k)) env[k] = v;
  env.COMPUTERNAME = state.computerName;
  const locale = (state as { locale?: string }).locale ?? "en-US";
  env.LANG = env.LC_ALL = LOCALE_LANG[locale] ?? "en_US.UTF-8";
  env.XDG_CONFIG_HOME = xdg;
  env.PSModulePath = path.join(__dirname, "modules");
  env.WSUS_IIS_LAB_DIR = path.resolve(labDir);
  env.WSUS_IIS_LAB_NODE = process.execPath;
  env.WSUS_IIS_LAB_SHIM = shim;
  env.POWERSHELL_TELEMETRY_OPTOUT = "1";
  env.POWERSHELL_UPDATECHECK = "Off";
  env.DOTNET_CLI_TELEMETRY_OPTOUT = "1";
  const kept = args.filter((a) => !/^-nop(r(o(f(i(le?)?)?)?)?)?$/i.test(a));
  return { command: pwsh, args: kept, env };
}

export interface PowershellRun {
  stdout: string;
  stderr: string;
  exitCode: number;
  /** The pwsh process id (tests kill it to simulate a dropped session). */
  pid: number | undefined;
}

/**
 * Run `powershell.exe ARGS` on the lab with `input` on stdin. `onSpawn` gets the child (to kill it).
 */
export async function runPowershell(
  labDir: string,
  args: readonly string[],
  input: string,
  opts: { timeoutMs?: number; onSpawn?: (pid: number | undefined, kill: () => void) => void } = {},
): Promise<PowershellRun> {
  const launch = await powershellLaunch(labDir, args);
  return new Promise((resolve, reject) => {
    // its own process group: the .NET tool's `pwsh` is a launcher with the real PowerShell as its child,
    // and a kill must end both, as the job object of a Windows session does (Win32-OpenSSH #1195)
    const child = spawn(launch.command, launch.args, { env: launch.env, stdio: ["pipe", "pipe", "pipe"], detached: true });
    const killAll = () => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
      } catch {
        child.kill("SIGKILL");
      }
    };
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (c: Buffer) => out.push(c));
    child.stderr.on("data", (c: Buffer) => err.push(c));
    const timer = opts.timeoutMs ? setTimeout(killAll, opts.timeoutMs) : undefined;
    child.on("error", reject);
    child.on("close", (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({ stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(err).toString("utf8"), exitCode: code ?? (signal ? 128 : -1), pid: child.pid });
    });
    child.stdin.on("error", () => undefined);
    child.stdin.end(input);
    opts.onSpawn?.(child.pid, killAll);
  });
}
