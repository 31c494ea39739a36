import { parseWindowsCommandLine } from "../core/commands/argv";
import { linuxExitCode } from "./exitCode";
import { consoleBytes } from "./locale";
import { LabServer } from "./shell";
import { readLabState } from "./state";
import { labAccountNames, labAclSddl, labLocalGroup, labRegistrySubkeys } from "./windowsApi";

/**
 * The lab's host program, started by the stubs of the emulated Windows programs and by the lab's
 * PowerShell module (lab/powershell/): `node shim.js <program> …`. It answers from the lab in
 * WSUS_IIS_LAB_DIR.
 *
 * - `cmd.exe ARGS…`: cmd.exe. On Linux, .NET passes a program an argv, not a command line, so the raw
 *   line comes from WSUS_IIS_COMMAND_LINE (set by the agent, scripts/agent.ps1); it must split into
 *   exactly the argv received, else the shim refuses (exit 87). `/d /s /c "LINE"` runs LINE through the
 *   lab's command processor, as the TypeScript agent's host does. Output goes out as the program would
 *   write it: redirected, so in the OEM code page of the lab's locale (lab/locale.ts).
 * - `appcmd.exe|icacls.exe|net.exe|… ARGS…`: that program, the command line rebuilt from the raw line
 *   (or argv).
 * - `sddl PATH`, `group SID`, `accounts SID…`, `registry-subkeys KEY`: the agent's Windows API calls (lab/windowsApi.ts), as JSON.
 */

function writeJson(value: unknown): void {
  // ASCII only: PowerShell reads it with the console encoding
  process.stdout.write(JSON.stringify(value).replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`) + "\n");
}

function sameArgv(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

async function runProgram(dir: string, program: string, argv: string[]): Promise<number> {
  const raw = process.env.WSUS_IIS_COMMAND_LINE;
  let line: string;
  if (raw !== undefined) {
    const parsed = parseWindowsCommandLine(`${program} ${raw}`).slice(1);
    if (!sameArgv(parsed, argv)) {
      process.stderr.write(`wsus-iis lab: ${program}: WSUS_IIS_COMMAND_LINE ${JSON.stringify(raw)} does not split into the argv received ${JSON.stringify(argv)}\r\n`);
      return 87;
    }
    const inner = program.toLowerCase() === "cmd.exe" ? /^\/d \/s \/c "([\s\S]*)"$/i.exec(raw) : null;
    line = inner ? inner[1] : `${program} ${raw}`;
  } else {
    line = [program, ...argv.map((a) => (a === "" || /[\s"]/.test(a) ? `"${a.replace(/"/g, '""')}"` : a))].join(" ");
  }
  const state = await readLabState(dir);
  const r = await new LabServer(dir).run(line);
  const redirected = !process.stdout.isTTY;
  const out = consoleBytes(state, r.stdout, redirected);
  const err = consoleBytes(state, r.stderr, !process.stderr.isTTY);
  await new Promise<void>((res) => process.stdout.write(out, () => res()));
  await new Promise<void>((res) => process.stderr.write(err, () => res()));
  return r.exitCode;
}

async function main(args: string[]): Promise<number> {
  const dir = process.env.WSUS_IIS_LAB_DIR;
  if (!dir) {
    process.stderr.write("wsus-iis lab: WSUS_IIS_LAB_DIR is not set (this program is started by the lab's powershell.exe)\n");
    return 1;
  }
  const [what, ...rest] = args;
  switch (what) {
    case "sddl":
      writeJson({ sddl: await labAclSddl(dir, rest[0] ?? "") });
      return 0;
    case "group":
      writeJson({ group: await labLocalGroup(dir, rest[0] ?? "") });
      return 0;
    case "accounts":
      writeJson({ accounts: await labAccountNames(dir, rest) });
      return 0;
    case "registry-subkeys":
      writeJson({ subkeys: await labRegistrySubkeys(dir, rest[0] ?? "") });
      return 0;
    case undefined:
      process.stderr.write("wsus-iis lab: usage: shim <program> [args…] | sddl PATH | group SID | registry-subkeys KEY\n");
      return 1;
    default:
      return runProgram(dir, what, rest);
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(linuxExitCode(code)),
  (e: unknown) => {
    process.stderr.write(`wsus-iis lab: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  },
);
