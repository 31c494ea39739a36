import * as path from "node:path";
import { HostDied } from "../core/agent/host";
import { appcmd } from "./appcmd";
import { dirCommand, hostnameCommand, msiexecCommand, typeCommand } from "./builtins";
import { CmdSyntaxError, commandLineToArgv, expandVariables, type Redirect, splitCommandLine } from "./cmdline";
import { type CommandResult, LabContext, NL } from "./context";
import { confineToLab, formatWindowsPath, kindOf, OutsideLabError, parentExists, parseWindowsPath, resolveHostPath, WindowsPathError, writeWindowsFile } from "./fs";
import { icacls } from "./icacls";
import { net } from "./net";
import { envOf, LabError, readLabState } from "./state";
import { promises as fsp } from "node:fs";

/**
 * The lab's command processor: one cmd.exe command line in, `{ stdout, stderr, exitCode }` out, with
 * the real tools' syntax, output (CRLF) and exit codes. See lab/README.md for the supported commands.
 */

export type { CommandResult };

/** Where a session starts (a remote WinRM/SSH session starts in the user's profile). */
export const DEFAULT_CWD = "C:\\Users\\Administrator";

type Tool = (ctx: LabContext, argv: string[]) => Promise<CommandResult>;

/** Emulated programs, by file name without extension (the lab's drive holds a stub .exe for each). */
const TOOLS: Record<string, Tool> = {
  appcmd,
  icacls,
  net,
  net1: net,
  hostname: (ctx, argv) => hostnameCommand(ctx, argv),
  msiexec: (ctx, argv) => msiexecCommand(ctx, argv),
};

/** The stub executables createLab puts on the lab's drive C (Windows path -> tool). */
export const TOOL_FILES: readonly string[] = [
  "C:\\Windows\\System32\\inetsrv\\appcmd.exe",
  "C:\\Windows\\System32\\icacls.exe",
  "C:\\Windows\\System32\\net.exe",
  "C:\\Windows\\System32\\net1.exe",
  "C:\\Windows\\System32\\hostname.exe",
  "C:\\Windows\\System32\\msiexec.exe",
  "C:\\Windows\\System32\\cmd.exe",
];

/**
 * What createLab writes for each emulated program: on the lab's drive it only has to exist (the
 * emulation finds programs by file name), and on the host it is an executable that runs the lab's
 * host program (lab/shim.ts) when the real PowerShell agent starts it (lab/powershell/launcher.ts sets
 * the two variables).
 */
export function toolStubText(windowsPath: string): string {
  const name = windowsPath.replace(/^.*\\/, "");
  return [
    "#!/bin/sh",
    `# MZ wsus-iis lab: emulated ${name} (runs the lab's command emulation, lab/shim.ts)`,
    `exec "\${WSUS_IIS_LAB_NODE:?not started by the lab's powershell.exe}" "\${WSUS_IIS_LAB_SHIM:?}" ${name} "$@"`,
    "",
  ].join("\n");
}

const BUILTINS = new Set(["type", "dir", "start", "ver", "cd", "chdir"]);

/**
 * A path that leads outside the lab folder (lab/fs.ts OutsideLabError) is one Windows would not let
 * the session use: "Access is denied.", with ERROR_ACCESS_DENIED (5) as a program's exit code, or 1
 * where cmd itself uses the file (a redirection, `type`, `dir`), as cmd sets its errorlevel.
 */
function accessDenied(exitCode: 1 | 5): CommandResult {
  return { stdout: "", stderr: `Access is denied.${NL}`, exitCode };
}

function notRecognized(name: string): CommandResult {
  return { stdout: "", stderr: `'${name}' is not recognized as an internal or external command,${NL}operable program or batch file.${NL}`, exitCode: 9009 };
}

/** Thrown by LabServer when fault injection drops the "connection" before or after a command. */
export class TransportDropError extends HostDied {
  constructor(
    /** 1-based number of the command (as counted by the LabServer). */
    readonly commandIndex: number,
    readonly when: "before" | "after",
    readonly commandLine: string,
  ) {
    super(`lab transport dropped ${when} command #${commandIndex}: ${commandLine}`);
    this.name = "TransportDropError";
  }
}

export interface RunOptions {
  /** Current directory of the session (default C:\Users\Administrator). */
  cwd?: string;
}

export interface LabServerOptions extends RunOptions {
  /** Delay before every command (simulated round trip). */
  latencyMs?: number;
  /** Throw TransportDropError instead of running the n-th command (1-based); nothing is executed. */
  dropBeforeCommand?: number;
  /** Run the n-th command (1-based), then throw TransportDropError: the effect happened, the reply is lost. */
  dropAfterCommand?: number;
  /** Called before each command (1-based index), outside the lab's lock: a test can edit the lab here. */
  beforeCommand?: (index: number, line: string) => void | Promise<void>;
}

export interface ScriptResult {
  results: (CommandResult & { line: string })[];
  /** Index (0-based, into the lines) of the first command that exited non-zero, or null. */
  failedAt: number | null;
}

// One command at a time per lab directory (in this process): a command reads and writes whole files.
const locks = new Map<string, Promise<unknown>>();

async function withLock<T>(dir: string, fn: () => Promise<T>): Promise<T> {
  const key = path.resolve(dir);
  const prev = locks.get(key) ?? Promise.resolve();
  let release!: () => void;
  const mine = new Promise<void>((r) => (release = r));
  const chained = prev.then(() => mine);
  locks.set(key, chained);
  await prev;
  try {
    return await fn();
  } finally {
    release();
    if (locks.get(key) === chained) locks.delete(key);
  }
}

/** A simulated server: runs command lines against a lab directory, with fault injection and counters. */
export class LabServer {
  private requested = 0;
  private executed = 0;

  constructor(
    readonly dir: string,
    private readonly options: LabServerOptions = {},
  ) {}

  /** Commands actually run (a drop-before does not count, a drop-after does). */
  get commandsExecuted(): number {
    return this.executed;
  }

  /** Commands asked for, including dropped ones. */
  get commandsRequested(): number {
    return this.requested;
  }

  resetCounters(): void {
    this.requested = 0;
    this.executed = 0;
  }

  async run(commandLine: string): Promise<CommandResult> {
    const index = ++this.requested;
    const o = this.options;
    if (o.latencyMs && o.latencyMs > 0) await new Promise((r) => setTimeout(r, o.latencyMs));
    if (o.beforeCommand) await o.beforeCommand(index, commandLine);
    if (o.dropBeforeCommand === index) throw new TransportDropError(index, "before", commandLine);
    const result = await withLock(this.dir, async () => (await labFault(this.dir, commandLine)) ?? executeLine(this.dir, commandLine, o.cwd ?? DEFAULT_CWD));
    this.executed++;
    if (o.dropAfterCommand === index) throw new TransportDropError(index, "after", commandLine);
    return result;
  }

  async runScript(lines: string[], opts: { stopOnError?: boolean } = {}): Promise<ScriptResult> {
    const stopOnError = opts.stopOnError ?? true;
    const results: ScriptResult["results"] = [];
    let failedAt: number | null = null;
    for (let i = 0; i < lines.length; i++) {
      const r = await this.run(lines[i]);
      results.push({ line: lines[i], ...r });
      if (r.exitCode !== 0 && failedAt === null) {
        failedAt = i;
        if (stopOnError) break;
      }
    }
    return { results, failedAt };
  }
}

/**
 * Faults lab.json asks for (`faults`), for whichever agent runs the command: the TypeScript agent in
 * this process, or the PowerShell agent through lab/shim.ts. Every command line is also appended to
 * `DIR/.host/commands.log` when `trace` is true.
 * - `delayMs`: a slow server (tests drop the connection while an apply runs);
 * - `fail`: commands matching `match` (a regular expression) exit with `exitCode` and `stderr`, unrun;
 * - `editConfigBefore`: before a command matching one of these, someone else edits
 *   applicationHost.config (an operator's comment is appended), as during a concurrent change.
 */
async function labFault(dir: string, line: string): Promise<CommandResult | null> {
  const state = await readLabState(dir);
  if (state.trace) {
    const log = path.join(path.resolve(dir), ".host", "commands.log");
    await confineToLab(dir, log);
    await fsp.mkdir(path.dirname(log), { recursive: true });
    await fsp.appendFile(log, line + "\n");
  }
  const f = state.faults;
  if (!f) return null;
  if (f.delayMs) await new Promise((r) => setTimeout(r, f.delayMs));
  if (f.editConfigBefore.some((re) => new RegExp(re, "i").test(line))) {
    const h = await resolveHostPath(dir, "C:\\Windows\\System32\\inetsrv\\config\\applicationHost.config");
    await fsp.appendFile(h.hostPath, "<!-- edited by someone else during the apply -->\r\n");
  }
  const hit = f.fail.find((x) => new RegExp(x.match, "i").test(line));
  return hit ? { stdout: "", stderr: hit.stderr + NL, exitCode: hit.exitCode } : null;
}

/** Run one command line on the lab in `dir`. */
export async function runCommand(dir: string, commandLine: string, opts: LabServerOptions = {}): Promise<CommandResult> {
  return new LabServer(dir, opts).run(commandLine);
}

/** Run command lines in order; with stopOnError (default) the first non-zero exit code ends the script. */
export async function runScript(dir: string, lines: string[], opts: LabServerOptions & { stopOnError?: boolean } = {}): Promise<ScriptResult> {
  return new LabServer(dir, opts).runScript(lines, { stopOnError: opts.stopOnError ?? true });
}

/** Execute a line without locking (callers hold the lab's lock). */
async function executeLine(dir: string, line: string, cwd: string): Promise<CommandResult> {
  const ctx = new LabContext(dir, cwd);
  const state = await ctx.state();
  const env = envOf(state);
  const expanded = expandVariables(line, (n) => env.get(n.toLowerCase()));
  try {
    return await runExpanded(ctx, expanded);
  } finally {
    await ctx.flush();
  }
}

async function runExpanded(ctx: LabContext, expanded: string): Promise<CommandResult> {
  let commands;
  try {
    commands = splitCommandLine(expanded);
  } catch (e) {
    if (e instanceof CmdSyntaxError) return { stdout: "", stderr: e.message + NL, exitCode: 255 };
    throw e;
  }
  let stdout = "";
  let stderr = "";
  let last: CommandResult = { stdout: "", stderr: "", exitCode: 0 };
  let skip = false;
  for (const c of commands) {
    if (!skip) {
      const r = await runRedirected(ctx, c.text, c.redirects);
      last = r;
      ctx.errorlevel = r.exitCode;
      // a pipe hands stdout to the next command's stdin; no emulated command reads stdin
      if (c.next !== "|") stdout += r.stdout;
      stderr += r.stderr;
    }
    const code = last.exitCode;
    skip = c.next === "&&" ? code !== 0 : c.next === "||" ? code === 0 : false;
  }
  return { stdout, stderr, exitCode: last.exitCode };
}

type Sink = { kind: "out" } | { kind: "err" } | { kind: "nul" } | { kind: "file"; path: string; append: boolean };

const PATH_NOT_FOUND: CommandResult = { stdout: "", stderr: `The system cannot find the path specified.${NL}`, exitCode: 1 };

/** The sinks of a command's redirections, or the error cmd gives when it cannot open one (then the command does not run). */
async function openRedirects(ctx: LabContext, redirects: Redirect[]): Promise<Record<1 | 2, Sink> | CommandResult> {
  const sinks: Record<1 | 2, Sink> = { 1: { kind: "out" }, 2: { kind: "err" } };
  try {
    for (const r of redirects) {
      if (r.fd === 0) {
        if (!/^nul:?$/i.test(r.target) && (await ctx.host(r.target)).kind !== "file") return { stdout: "", stderr: `The system cannot find the file specified.${NL}`, exitCode: 1 };
        continue;
      }
      if (r.target === "&1" || r.target === "&2") sinks[r.fd] = sinks[r.target === "&1" ? 1 : 2];
      else if (/^nul:?$/i.test(r.target)) sinks[r.fd] = { kind: "nul" };
      else {
        const p = await ctx.abs(r.target);
        // cmd opens the file before it runs the command: a missing folder or a refused path stops it
        if (!(await parentExists(ctx.dir, p))) return PATH_NOT_FOUND;
        sinks[r.fd] = { kind: "file", path: p, append: r.append };
      }
    }
  } catch (e) {
    if (e instanceof OutsideLabError) return accessDenied(1);
    throw e;
  }
  return sinks;
}

async function runRedirected(ctx: LabContext, text: string, redirects: Redirect[]): Promise<CommandResult> {
  const sinks = await openRedirects(ctx, redirects);
  if ("exitCode" in sinks) return sinks;
  let res: CommandResult;
  try {
    res = await runSimple(ctx, text);
  } catch (e) {
    // a path Win32 would not accept (a stray quote, `<>|?*`, no drive): ERROR_INVALID_NAME
    if (e instanceof WindowsPathError) res = { stdout: "", stderr: `The filename, directory name, or volume label syntax is incorrect.${NL}`, exitCode: 123 };
    else if (e instanceof OutsideLabError) res = accessDenied(5);
    else throw e;
  }
  const out = { stdout: "", stderr: "" };
  const files = new Map<string, { text: string; append: boolean }>();
  const route = (sink: Sink, content: string) => {
    if (!content) return;
    if (sink.kind === "out") out.stdout += content;
    else if (sink.kind === "err") out.stderr += content;
    else if (sink.kind === "file") {
      const f = files.get(sink.path) ?? { text: "", append: sink.append };
      f.text += content;
      files.set(sink.path, f);
    }
  };
  // files named by a redirection are created even when nothing is written to them
  for (const s of [sinks[1], sinks[2]]) if (s.kind === "file" && !files.has(s.path)) files.set(s.path, { text: "", append: s.append });
  route(sinks[1], res.stdout);
  route(sinks[2], res.stderr);
  for (const [p, f] of files) {
    try {
      if (!(await parentExists(ctx.dir, p))) throw new Error("no such folder");
      const h = await resolveHostPath(ctx.dir, p);
      const before = f.append && h.exists && (await kindOf(h.hostPath)) === "file" ? await fsp.readFile(h.hostPath, "utf8") : "";
      await writeWindowsFile(ctx.dir, p, before + f.text);
    } catch (e) {
      const error = e instanceof OutsideLabError ? accessDenied(1) : PATH_NOT_FOUND;
      return { stdout: out.stdout, stderr: out.stderr + error.stderr, exitCode: error.exitCode };
    }
  }
  return { stdout: out.stdout, stderr: out.stderr, exitCode: res.exitCode };
}

async function runSimple(ctx: LabContext, text: string): Promise<CommandResult> {
  const trimmed = text.trimStart();
  // `if [not] errorlevel N command`: true when the last exit code is N or more (Microsoft Learn, "if").
  // A false condition runs nothing and leaves the errorlevel as it was. Other `if` forms are not modelled.
  const ifMatch = /^if\s+(not\s+)?errorlevel\s+(\d+)\s+([\s\S]+)$/i.exec(trimmed);
  if (ifMatch) {
    const holds = ctx.errorlevel >= Number(ifMatch[2]);
    if (holds === !ifMatch[1]) return runSimple(ctx, ifMatch[3]);
    return { stdout: "", stderr: "", exitCode: ctx.errorlevel };
  }
  if (/^if(\s|$)/i.test(trimmed)) return { stdout: "", stderr: `The wsus-iis lab models only \`if [not] errorlevel N command\`.${NL}`, exitCode: 255 };
  // echo prints the raw rest of the line (after one delimiter); `echo.` prints an empty line
  if (/^echo(?=$|[\s.,;=:(/\\+[\]])/i.test(trimmed)) {
    const rest = trimmed.slice(4);
    return { stdout: (rest === "" ? "ECHO is on." : rest.slice(1)) + NL, stderr: "", exitCode: 0 };
  }
  const argv = commandLineToArgv(text);
  if (argv.length === 0) return { stdout: "", stderr: "", exitCode: 0 };
  const name = argv[0];
  let args = argv.slice(1);

  // cmd's own commands, also run on to their switches: `dir/s/b`
  const m = /^([A-Za-z]+)(\/.*)?$/.exec(name);
  const builtin = m && BUILTINS.has(m[1].toLowerCase()) && !trimmed.startsWith('"') ? m[1].toLowerCase() : null;
  if (builtin) {
    if (m![2]) args = [m![2], ...args];
    switch (builtin) {
      case "type":
        return cmdBuiltin(() => typeCommand(ctx, args));
      case "dir":
        return cmdBuiltin(() => dirCommand(ctx, args));
      case "ver":
        return { stdout: `${NL}Microsoft Windows [Version 10.0.20348.2227]${NL}`, stderr: "", exitCode: 0 };
      case "cd":
      case "chdir":
        if (args.length === 0) return { stdout: ctx.cwd + NL, stderr: "", exitCode: 0 };
        return { stdout: "", stderr: `The wsus-iis lab keeps one current directory per session (${ctx.cwd}).${NL}`, exitCode: 1 };
      case "start":
        return startCommand(ctx, args);
    }
  }

  const exe = await resolveExecutable(ctx, name);
  if ("exitCode" in exe) return exe;
  if (exe.tool === "cmd") return cmdCommand(ctx, text);
  const tool = TOOLS[exe.tool];
  if (!tool) return notRecognized(name);
  return tool(ctx, args);
}

/** One of cmd's own commands: like cmd, it fails with errorlevel 1, a refused path included. */
async function cmdBuiltin(run: () => Promise<CommandResult>): Promise<CommandResult> {
  try {
    return await run();
  } catch (e) {
    if (e instanceof OutsideLabError) return accessDenied(1);
    throw e;
  }
}

/** `cmd /c LINE` (and /k, /s, /q, /d flags): runs LINE through the command processor again. */
async function cmdCommand(ctx: LabContext, text: string): Promise<CommandResult> {
  const m = /^\s*(?:"[^"]*"|\S+)\s*((?:\/[dqsaunev](?::\S*)?\s*)*)\/[ck]\s?([\s\S]*)$/i.exec(text);
  if (!m) return { stdout: `Microsoft Windows [Version 10.0.20348.2227]${NL}(c) Microsoft Corporation. All rights reserved.${NL}`, stderr: "", exitCode: 0 };
  let inner = m[2];
  // cmd /c "line": the outer quotes are removed when the line starts with a quote
  if (/^\s*"/.test(inner) && inner.trimEnd().endsWith('"')) {
    const t = inner.trim();
    inner = t.slice(1, -1);
  }
  return runExpanded(ctx, inner);
}

async function startCommand(ctx: LabContext, args: string[]): Promise<CommandResult> {
  let wait = false;
  let i = 0;
  let sameWindow = false;
  for (; i < args.length; i++) {
    const a = args[i].toLowerCase();
    if (a === "/wait") wait = true;
    else if (a === "/b") sameWindow = true;
    else if (/^\/(min|max|low|normal|high|realtime|abovenormal|belownormal|separate|shared|i)$/.test(a)) continue;
    else if (/^\/d$/.test(a)) i++;
    else break;
  }
  let rest = args.slice(i);
  // a first quoted argument is the window title: `start "" /wait msiexec …`
  if (rest.length > 1 && rest[0] === "") rest = rest.slice(1);
  while (rest.length && /^\/wait$/i.test(rest[0])) {
    wait = true;
    rest = rest.slice(1);
  }
  if (rest.length === 0) return { stdout: "", stderr: "", exitCode: 0 };
  const line = rest.map((a) => (/[\s"]/.test(a) || a === "" ? `"${a}"` : a)).join(" ");
  const r = await runExpanded(ctx, line);
  // a started program gets its own console: its output is not seen here (unless /b)
  return { stdout: sameWindow ? r.stdout : "", stderr: sameWindow ? r.stderr : "", exitCode: wait ? r.exitCode : 0 };
}

async function resolveExecutable(ctx: LabContext, name: string): Promise<{ tool: string } | CommandResult> {
  const state = await ctx.state();
  const env = envOf(state);
  const pathext = (env.get("pathext") ?? ".COM;.EXE;.BAT;.CMD").split(";").filter(Boolean).map((e) => e.toLowerCase());
  const hasExt = pathext.some((e) => name.toLowerCase().endsWith(e));
  const candidates = (base: string) => (hasExt ? [base] : pathext.map((e) => base + e));
  const toolOf = (winPath: string) => path.win32.basename(winPath).replace(/\.[^.]+$/, "").toLowerCase();

  if (/[\\/:]/.test(name)) {
    let abs: string;
    try {
      abs = await ctx.abs(name);
    } catch {
      return notRecognized(name);
    }
    for (const c of candidates(abs)) {
      if ((await ctx.host(c)).kind === "file") return { tool: toolOf(c) };
    }
    const parsed = parseWindowsPath(abs);
    const parent = formatWindowsPath({ drive: parsed.drive, segments: parsed.segments.slice(0, -1) });
    if ((await ctx.host(parent)).kind !== "dir") return { stdout: "", stderr: `The system cannot find the path specified.${NL}`, exitCode: 3 };
    return notRecognized(name);
  }
  // A PATH search costs dozens of directory listings; remember where a program was found (per cwd,
  // PATH and PATHEXT) and confirm it exists in this lab, so a missing program is searched for again.
  // (A copy placed earlier on PATH after the first search is not noticed: labs do not do that.)
  const cacheKey = [ctx.cwd, env.get("path") ?? "", pathext.join(";"), name.toLowerCase()].join("\0");
  const known = EXECUTABLES.get(cacheKey);
  if (known && (await ctx.host(known.winPath)).kind === "file") return { tool: known.tool };
  const dirs = [ctx.cwd, ...(env.get("path") ?? "").split(";").filter(Boolean)];
  for (const d of dirs) {
    let base: string;
    try {
      base = await ctx.abs(`${expandVariables(d, (n) => env.get(n.toLowerCase())).replace(/\\+$/, "")}\\${name}`);
    } catch {
      continue;
    }
    for (const c of candidates(base)) {
      const found = await ctx.host(c);
      if (found.kind === "file") {
        if (EXECUTABLES.size >= 4096) EXECUTABLES.clear();
        EXECUTABLES.set(cacheKey, { tool: toolOf(c), winPath: c });
        return { tool: toolOf(c) };
      }
    }
  }
  return notRecognized(name);
}

const EXECUTABLES = new Map<string, { tool: string; winPath: string }>();

export { LabError };
