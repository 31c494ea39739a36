import { promises as fsp } from "node:fs";
import { Command, Option } from "commander";
import { spawn } from "node:child_process";
import { parseWindowsCommandLine } from "../../core/commands/argv";
import { AgentRequest } from "../../core/agent/protocol";
import { agentScriptText, decodeRequest, encodeAnswer, powershellArgv } from "../../core/agent/wire";
import { powershellLaunch } from "../../lab/powershell/launcher";
import { handle } from "../../core/agent/runner";
import { LabAgentHost } from "../../lab/agentHost";
import { ComputerName } from "../../core/model/names";
import { ALL_BREAKS, applyBreak, BREAK_DESCRIPTIONS, type Break, createLab, parseBreak } from "../../lab/create";
import { collectEvidence } from "../../lab/evidence";
import { quoteArg } from "../../lab/cmdline";
import { consoleBytes, isLocale, LOCALES, type Locale } from "../../lab/locale";
import { runCommand } from "../../lab/shell";
import { isLab, LabError, readLabState } from "../../lab/state";
import { CliError } from "../errors";
import { registerLabServe } from "./lab-serve";

/**
 * `wsus-iis lab …`: the embedded simulated WSUS server (a folder, see lab/README.md) — create one
 * (healthy or broken on purpose), run Windows commands on it, read its evidence bundle.
 */

const BREAK_HELP = Object.entries(BREAK_DESCRIPTIONS)
  .map(([k, v]) => `  ${k.padEnd(24)}${v}`)
  .join("\n");

function parseConfiguration(v: string | undefined): 1 | 2 | undefined {
  if (v === undefined) return undefined;
  if (v === "1" || v === "2") return Number(v) as 1 | 2;
  throw new CliError(`--configuration: expected 1 or 2, got "${v}"`);
}

function parseProfile(v: string | undefined): "kb920659" | "modern" | undefined {
  if (v === undefined) return undefined;
  if (v === "kb920659" || v === "modern") return v;
  throw new CliError(`--profile: expected kb920659 or modern, got "${v}"`);
}

function parseComputerName(v: string | undefined): string | undefined {
  if (v === undefined) return undefined;
  const r = ComputerName.safeParse(v);
  if (!r.success) throw new CliError(`--computer-name: ${r.error.issues[0].message}, got "${v}"`);
  return v;
}

/** Breaks from comma-separated or repeated values; errors name `input`, the option or argument they came from. */
function parseBreaks(values: string[] | undefined, input: "--break" | "CAUSES"): Break[] {
  const out: Break[] = [];
  for (const item of (values ?? []).flatMap((v) => v.split(","))) {
    if (item.trim() === "") continue;
    try {
      out.push(parseBreak(item));
    } catch (e) {
      throw new CliError(`${input}: ${(e as Error).message}`);
    }
  }
  return out;
}

const NAMED_BREAKS = ALL_BREAKS.filter((b): b is Extract<Break, string> => typeof b === "string");
const CAUSES_HELP = `1..8, ${NAMED_BREAKS.slice(0, -1).join(", ")} or ${NAMED_BREAKS[NAMED_BREAKS.length - 1]}`;

function parseLocale(v: string | undefined): Locale | undefined {
  if (v === undefined) return undefined;
  if (isLocale(v)) return v;
  throw new CliError(`--locale: expected ${LOCALES.join(", ")}, got "${v}"`);
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

async function labAction<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof LabError) throw new CliError(e.message);
    throw e;
  }
}

export function register(program: Command): void {
  const lab = program
    .command("lab")
    .description("The embedded lab server: a simulated WSUS server in a folder (real applicationHost.config, ACLs, groups) to run the demo and the tests on.");

  lab
    .command("create <dir>")
    .description("Create a lab server in DIR: a healthy WSUS layout, optionally broken on purpose with --break.")
    .addOption(new Option("--configuration <n>", "KB layout: 1 (everything on Default Web Site) or 2 (WSUS Administration site on 8530/8531; a default WSUS 4+ install)").default("2"))
    .addOption(new Option("--profile <name>", "kb920659 (IUSR_<COMPUTERNAME>, WSUSAdmin) or modern (IUSR, ApiRemoting30; every supported Windows Server)").default("modern"))
    .option("--computer-name <name>", "NetBIOS name of the simulated server", "WSUS01")
    .option("--break <cause>", `break it: ${CAUSES_HELP} (1..8: KB 920659 causes; pool-*, site-stopped, impersonation*, compression: the health group); comma-separated or repeated`, collect)
    .option("--force", "recreate DIR when it is already a lab (what was changed in it is lost); a non-empty folder that is not a lab is never replaced")
    .addOption(new Option("--locale <locale>", `display language of the simulated Windows (account names, messages, OEM code page): ${LOCALES.join(", ")}`).default("en-US"))
    .addHelpText("after", `\nBreaks:\n${BREAK_HELP}\n\nExample: wsus-iis lab create ./lab --configuration 2 --profile modern --break 4`)
    .action(async (dir: string, opts: { configuration?: string; profile?: string; computerName?: string; break?: string[]; force?: boolean; locale?: string }) => {
      const configuration = parseConfiguration(opts.configuration);
      const profile = parseProfile(opts.profile);
      const computerName = parseComputerName(opts.computerName);
      const breaks = parseBreaks(opts.break, "--break");
      const locale = parseLocale(opts.locale);
      const info = await labAction(() => createLab(dir, { configuration, profile, computerName, breaks, force: opts.force, locale }));
      const brokenText = breaks.length ? breaks.map((b) => `${b} (${BREAK_DESCRIPTIONS[String(b)]})`).join(", ") : "none (healthy)";
      process.stdout.write(
        [
          `created lab ${dir}: ${info.computerName}, Configuration ${info.spec.configuration}, profile ${info.spec.profile}${locale && locale !== "en-US" ? `, locale ${locale}` : ""}`,
          `  sites: ${info.layout.sites.map((s) => `${s.name} (${s.vdirs.length} WSUS vdirs)`).join(", ")}`,
          `  breaks: ${brokenText}`,
          `next: wsus-iis lab exec ${quoteArg(dir)} -- appcmd list site   |   wsus-iis lab evidence ${quoteArg(dir)} --out evidence.json`,
          "",
        ].join("\n"),
      );
    });

  lab
    .command("break <dir> <causes>")
    .description(`Apply breaks (CAUSES: ${CAUSES_HELP}; comma-separated) to an existing lab.`)
    .addHelpText("after", `\nBreaks:\n${BREAK_HELP}`)
    .action(async (dir: string, causes: string) => {
      // every cause is checked before any is applied
      const breaks = parseBreaks([causes], "CAUSES");
      if (breaks.length === 0) throw new CliError(`CAUSES: expected at least one cause (${CAUSES_HELP}), got ${JSON.stringify(causes)}`);
      await labAction(async () => {
        for (const b of breaks) await applyBreak(dir, b);
      });
      process.stdout.write(`applied to ${dir}: ${breaks.map((b) => `${b} (${BREAK_DESCRIPTIONS[String(b)]})`).join(", ")}\n`);
    });

  lab
    .command("exec <dir> <command...>")
    .description("Run one Windows command line on the lab (appcmd, icacls, net localgroup, msiexec, type, dir, hostname, cmd /c …); prints its output and exits with its exit code.")
    .allowUnknownOption()
    .addHelpText(
      "after",
      [
        "",
        "Put the command after `--` so its switches are not read as options of wsus-iis.",
        "One argument is taken as a whole cmd.exe command line; several are joined, each quoted as needed.",
        "Exit codes are the command's, truncated to 8 bits by the OS (appcmd's 1168 shows as 144).",
        "",
        "Examples:",
        "  wsus-iis lab exec ./lab -- appcmd list vdir",
        '  wsus-iis lab exec ./lab -- icacls "C:\\Program Files\\Update Services\\Selfupdate"',
        "  wsus-iis lab exec ./lab 'appcmd set config \"Default Web Site/Selfupdate\" -section:anonymousAuthentication /enabled:true /commit:apphost'",
      ].join("\n"),
    )
    .action(async (dir: string, command: string[]) => {
      const line = command.length === 1 ? command[0] : command.map(quoteArg).join(" ");
      const r = await labAction(() => runCommand(dir, line));
      // A console program writes to a console as text, and to a pipe or file in the OEM code page of
      // the server's locale (lab/locale.ts consoleBytes); each stream is judged on its own.
      const state = await labAction(() => readLabState(dir));
      process.stdout.write(consoleBytes(state, r.stdout, process.stdout.isTTY !== true));
      process.stderr.write(consoleBytes(state, r.stderr, process.stderr.isTTY !== true));
      // POSIX keeps the low 8 bits (1168 -> 144); never let a failure read as success (256 -> 0)
      process.exitCode = r.exitCode !== 0 && (r.exitCode & 0xff) === 0 ? 1 : r.exitCode & 0xff;
    });

  lab
    .command("evidence <dir>")
    .description("Collect the lab's evidence bundle (wsus-iis/evidence@1) by running the read commands on it; input for `wsus-iis check --evidence`.")
    .option("--out <file>", "write the JSON to FILE instead of stdout")
    .action(async (dir: string, opts: { out?: string }) => {
      const evidence = await labAction(() => collectEvidence(dir));
      const json = JSON.stringify(evidence, null, 2) + "\n";
      if (opts.out) {
        try {
          await fsp.writeFile(opts.out, json);
        } catch (e) {
          throw new CliError(`--out: cannot write ${opts.out}: ${(e as Error).message}`);
        }
        process.stderr.write(`evidence of ${dir} written to ${opts.out}\n`);
      } else process.stdout.write(json);
    });

  lab
    .command("agent <dir>")
    .description("Be the agent of the lab in DIR for one request, over the wire a Windows host speaks (core/agent/wire.ts): two base64 lines on stdin, one `wsus-iis:` answer line on stdout. The TypeScript agent answers. For an ssh forced command.")
    .addHelpText(
      "after",
      [
        "",
        "Meant for ~/.ssh/authorized_keys, so `ssh://user@host` targets reach a lab like a Windows server:",
        '  command="wsus-iis lab agent /srv/lab1",no-pty,no-port-forwarding,no-agent-forwarding,no-X11-forwarding ssh-ed25519 AAAA…',
        "The command the client asked for (SSH_ORIGINAL_COMMAND) must be the agent's powershell.exe bootstrap.",
        "To have the real PowerShell agent answer instead, use `wsus-iis lab login DIR` as the forced command.",
        "Exit codes: 0 answered, 1 an error answer (bad request, not a lab …), as the PowerShell bootstrap does.",
      ].join("\n"),
    )
    .action(async (dir: string) => {
      if (process.stdin.isTTY) throw new CliError("lab agent reads an agent request on stdin (it is an ssh forced command, not for terminals)");
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : chunk);
      const stdin = Buffer.concat(chunks).toString("utf8");
      const answerError = (message: string) => {
        process.stdout.write(encodeAnswer({ op: "error", ok: false, error: { message } }));
        process.exitCode = 1;
      };
      const asked = process.env.SSH_ORIGINAL_COMMAND;
      if (asked !== undefined && asked.trim() !== powershellArgv().join(" ")) {
        return answerError(`lab agent: the command asked for is not the agent's bootstrap: ${JSON.stringify(asked.slice(0, 80))}`);
      }
      let decoded: { script: string; request: unknown };
      try {
        decoded = decodeRequest(stdin);
      } catch (e) {
        return answerError(`lab agent: ${(e as Error).message} (${stdin.length} bytes on stdin)`);
      }
      if (decoded.script !== agentScriptText()) return answerError("lab agent: the agent script sent is not this lab's scripts/agent.ps1 (a different wsus-iis version?)");
      const parsed = AgentRequest.safeParse(decoded.request);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        return answerError(`lab agent: invalid request: ${issue.path.join(".") || "(root)"}: ${issue.message}`);
      }
      if (!(await isLab(dir))) return answerError(`lab agent: ${dir} is not a lab folder (no lab.json)`);
      try {
        process.stdout.write(encodeAnswer(await handle(new LabAgentHost(dir), parsed.data)));
      } catch (e) {
        answerError((e as Error).message);
      }
    });

  lab
    .command("login <dir>")
    .description("Be the lab's Windows login for one ssh session: run the command the client asked for (SSH_ORIGINAL_COMMAND), which must be powershell.exe, with the lab's powershell.exe launcher: the real scripts/agent.ps1 then answers under PowerShell 7.")
    .addHelpText(
      "after",
      [
        "",
        "Meant for ~/.ssh/authorized_keys, as OpenSSH for Windows runs `cmd.exe /c <command>`:",
        '  command="wsus-iis lab login /srv/lab1",no-pty,no-port-forwarding,no-agent-forwarding,no-X11-forwarding ssh-ed25519 AAAA…',
        "Needs PowerShell 7 (pwsh) on PATH or in ~/.dotnet/tools.",
        "Exit codes: powershell.exe's; 9009 when the command is not powershell.exe (cmd's \"is not recognized\").",
      ].join("\n"),
    )
    .action(async (dir: string) => {
      const asked = process.env.SSH_ORIGINAL_COMMAND ?? "";
      const argv = parseWindowsCommandLine(asked);
      const program = (argv[0] ?? "").replace(/^.*[\\/]/, "").toLowerCase();
      if (program !== "powershell.exe" && program !== "powershell") {
        process.stderr.write(`'${argv[0] ?? ""}' is not recognized as an internal or external command,\r\noperable program or batch file.\r\n`);
        process.exitCode = 9009;
        return;
      }
      if (!(await isLab(dir))) throw new CliError(`lab login: ${dir} is not a lab folder (no lab.json)`);
      const launch = await labAction(() => powershellLaunch(dir, argv.slice(1)));
      const code = await new Promise<number>((resolve, reject) => {
        const child = spawn(launch.command, launch.args, { env: launch.env, stdio: "inherit" });
        child.on("error", reject);
        child.on("close", (c, signal) => resolve(c ?? (signal ? 128 : 1)));
      });
      process.exitCode = code;
    });

  // `lab serve` (the HTTP front) lives in its own module
  registerLabServe(lab);
}
