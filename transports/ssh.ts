import { homedir } from "node:os";
import { resolve } from "node:path";
import type { Readable } from "node:stream";
import type { AgentAnswer, AgentRequest } from "../core/agent/protocol";
import { checkRequest, encodeRequest, MAX_ANSWER_BYTES, powershellArgv } from "../core/agent/wire";
import { answerFrom, formatBytes, lastLines, TransportError, type Transport } from "./transport";

export interface SshOptions {
  /** Private key file (-i). Otherwise ssh-agent / the user's default keys. Never a password. `~` / `~/` are expanded. */
  identityFile?: string;
  /** known_hosts file to verify the host key against (default: the user's). `~` / `~/` are expanded. */
  knownHostsFile?: string;
  connectTimeoutSeconds?: number;
  /** Whole request timeout. */
  timeoutMs?: number;
  /** ssh program (default: `ssh` on PATH). */
  sshPath?: string;
  /**
   * The most an answer may take, in bytes, on stdout and on stderr each (default MAX_ANSWER_BYTES,
   * 64 MiB: a collect answer of a real server is well under 1 MiB). Past it ssh is killed and the request
   * fails as `too-large`, so a broken or hostile endpoint cannot exhaust the client's memory.
   */
  maxAnswerBytes?: number;
}

/** An ssh option that cannot be handed to ssh as given; `option` is the SshOptions field. */
export class SshOptionError extends Error {
  constructor(
    readonly option: "identityFile" | "knownHostsFile",
    readonly detail: string,
  ) {
    super(`${option}: ${detail}`);
    this.name = "SshOptionError";
  }
}

/**
 * A file path for ssh: `~` and `~/…` expanded to the home directory (os.homedir(), as a shell would),
 * then made absolute, so that the path ssh gets, the path ssh prints and the path we redact are one
 * string. ssh itself rewrites these paths after reading them, and there is no way to escape that in
 * every OpenSSH version, so such paths are refused rather than sent:
 * - `%`: the identity file (`-i`) is checked with stat() as written but opened after %-token expansion
 *   (ssh.c: `tilde_expand_filename(optarg)` + stat for -i, `default_client_percent_dollar_expand` in
 *   load_public_identity_files), so neither `%` nor `%%` names the file; UserKnownHostsFile is
 *   %-expanded since OpenSSH 8.4 only ("Arguments to UserKnownHostsFile accept the tokens described in
 *   the TOKENS section", ssh_config(5)), so `%%` would break older clients such as Windows' 8.1;
 * - `${`: both are ${VAR}-expanded since OpenSSH 8.4 (ssh_config(5) ENVIRONMENT VARIABLES), no escape;
 * - `~name/`: ssh would expand another user's home; we only expand our own;
 * - control characters (a newline ends an ssh_config line).
 * The known-hosts file also goes through `-o`, i.e. ssh's config-line parser: see sshConfigArgument.
 * Messages never repeat an identity path (it may name the key's purpose); a known-hosts path is shown.
 */
export function sshFilePath(option: "identityFile" | "knownHostsFile", given: string, env: { home?: string; cwd?: string; platform?: NodeJS.Platform } = {}): string {
  const shownValue = option === "knownHostsFile" ? ` (${JSON.stringify(given)})` : "";
  const refuse = (why: string): never => {
    throw new SshOptionError(option, `${why}${shownValue}`);
  };
  if (given === "") refuse("expected a file path, got an empty string");
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f]/.test(given)) refuse("the path contains a control character (newline, tab …)");
  const windows = (env.platform ?? process.platform) === "win32";
  let expanded = given;
  const tilde = /^~(?=$|\/|\\)/.exec(given);
  if (tilde && (given.length === 1 || given[1] === "/" || windows)) expanded = (env.home ?? homedir()) + given.slice(1);
  else if (given.startsWith("~")) refuse("only ~ and ~/ are expanded (not ~user/); write the full path");
  const path = resolve(env.cwd ?? process.cwd(), expanded);
  if (path.includes("%")) refuse('the path contains "%", which ssh reads as a %-token (ssh_config(5), TOKENS); rename or move the file');
  if (path.includes("${")) refuse('the path contains "${", which ssh expands as an environment variable (ssh_config(5), ENVIRONMENT VARIABLES); rename or move the file');
  if (option === "knownHostsFile" && path.includes('"')) {
    refuse('the path contains a double quote, which ssh -o cannot carry in every OpenSSH version (before 8.7 its config parser has no escape for it); rename or move the file');
  }
  return path;
}

/**
 * A value for `ssh -o Keyword=VALUE`. ssh parses -o "like a line in the configuration file" (ssh(1));
 * "Arguments may optionally be enclosed in double quotes (\") in order to represent arguments containing
 * spaces" (ssh_config(5)). Unquoted, UserKnownHostsFile takes several files separated by spaces (so
 * `/a b/kh` is the two files `/a` and `b/kh`) and an unquoted `#` starts a comment. Since OpenSSH 8.7
 * (readconf.c uses misc.c argv_split) a backslash escapes `\`, `"` and `'`, inside quotes too; an
 * unknown escape such as `\U` is kept, and before 8.7 (strdelim) backslashes are never special. So only a
 * backslash that 8.7+ would read as an escape is doubled: `C:\Users\x` stays `"C:\Users\x"` for every
 * version. Double quotes inside are refused earlier (sshFilePath).
 */
export function sshConfigArgument(value: string): string {
  if (value.includes('"')) throw new Error(`internal: a double quote cannot be quoted for ssh -o: ${JSON.stringify(value)}`);
  return `"${value.replace(/\\(?=[\\"']|$)/g, "\\\\")}"`;
}

/**
 * OpenSSH transport: the short bootstrap goes as the remote command (`powershell.exe … -EncodedCommand`,
 * which OpenSSH for Windows runs under cmd.exe), the agent and the request as base64 on stdin
 * (core/agent/wire.ts); one ssh process per request. Host keys are always verified (StrictHostKeyChecking=yes), BatchMode forbids password
 * prompts, so nothing secret is ever on a command line.
 */
export class SshTransport implements Transport {
  private trips = 0;
  private readonly identityFile?: string;
  private readonly knownHostsFile?: string;
  constructor(
    private readonly host: { user?: string; host: string; port: number },
    readonly target: string,
    private readonly opts: SshOptions = {},
  ) {
    // Throws SshOptionError now, before anything runs (the CLI checks the same up front: cli/fleet.ts).
    this.identityFile = opts.identityFile === undefined ? undefined : sshFilePath("identityFile", opts.identityFile);
    this.knownHostsFile = opts.knownHostsFile === undefined ? undefined : sshFilePath("knownHostsFile", opts.knownHostsFile);
  }

  get roundTrips(): number {
    return this.trips;
  }

  args(): string[] {
    const o = this.opts;
    return [
      "-T",
      "-o", "BatchMode=yes",
      "-o", "StrictHostKeyChecking=yes",
      "-o", `ConnectTimeout=${o.connectTimeoutSeconds ?? 10}`,
      "-o", "LogLevel=ERROR",
      ...(this.knownHostsFile ? ["-o", `UserKnownHostsFile=${sshConfigArgument(this.knownHostsFile)}`] : []),
      // -i is an argument of its own (no config-line parsing); absolute, so it never starts with "-"
      ...(this.identityFile ? ["-i", this.identityFile, "-o", "IdentitiesOnly=yes"] : []),
      "-p", String(this.host.port),
      ...(this.host.user ? ["-l", this.host.user] : []),
      "--",
      this.host.host,
      ...powershellArgv(),
    ];
  }

  /**
   * ssh names the identity file in its warnings ("Warning: Identity file … not accessible"): keep it out
   * of messages, in every form it may take (as given, `~` expanded, absolute).
   */
  private redact(text: string): string {
    const given = this.opts.identityFile;
    if (!given || !this.identityFile) return text;
    const forms = [...new Set([this.identityFile, given, given.replace(/^~/, homedir())])].filter((f) => f.length > 0).sort((a, b) => b.length - a.length);
    let out = text;
    for (const form of forms) {
      // a short relative name ("id") must not eat into words ("identity"): whole path tokens only
      const escaped = form.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
      out = out.replace(new RegExp(`(?<![\\w.-])${escaped}(?![\\w-])`, "g"), "<identity file>");
    }
    return out;
  }

  async request(req: AgentRequest): Promise<AgentAnswer> {
    const { execa } = await import("execa");
    checkRequest(req);
    this.trips++;
    const cap = this.opts.maxAnswerBytes ?? MAX_ANSWER_BYTES;
    const timeoutMs = this.opts.timeoutMs ?? 120_000;
    // Read the output ourselves (buffer: false) with a byte count: past the cap, ssh is killed at once,
    // and nothing beyond the cap is ever held. (execa's maxBuffer would stop reading but wait for ssh to
    // exit on its own; execa docs/output.md, "Big output".)
    const sub = execa(this.opts.sshPath ?? "ssh", this.args(), {
      input: encodeRequest(req),
      reject: false,
      timeout: timeoutMs,
      buffer: false,
      env: { LC_ALL: "C" },
    });
    let over: "stdout" | "stderr" | undefined;
    const tooMuch = (stream: "stdout" | "stderr") => () => {
      if (over) return;
      over = stream;
      sub.kill("SIGKILL");
    };
    const stdout = capped(sub.stdout!, cap, tooMuch("stdout"));
    const stderr = capped(sub.stderr!, cap, tooMuch("stderr"));
    const r = await sub;
    if (over) {
      throw new TransportError(this.target, `the agent's ${over === "stdout" ? "answer" : "error output"} is larger than ${formatBytes(cap)}, the cap on an answer; ssh was stopped`, "too-large");
    }
    if (r.timedOut) throw new TransportError(this.target, `no answer within ${timeoutMs} ms`, "timeout");
    const err = this.redact(stderr.text().trim());
    if (r.exitCode === 255) {
      const kind = /host key|Permission denied|authenticat/i.test(err) ? "auth" : "unreachable";
      throw new TransportError(this.target, `ssh failed: ${lastLines(err, 2).join(" ") || "exit 255"}`, kind);
    }
    return answerFrom(this.target, stdout.text(), err, r.exitCode ?? -1);
  }
}

/** Collect a stream up to `cap` bytes; one byte more calls `onOver` and drops what was collected. */
function capped(stream: Readable, cap: number, onOver: () => void): { text(): string } {
  let chunks: Buffer[] = [];
  let size = 0;
  let over = false;
  stream.on("data", (chunk: Buffer) => {
    if (over) return;
    size += chunk.length;
    if (size > cap) {
      over = true;
      chunks = [];
      onOver();
    } else chunks.push(chunk);
  });
  return { text: () => Buffer.concat(chunks).toString("utf8") };
}
