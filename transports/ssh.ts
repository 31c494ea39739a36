import type { AgentAnswer, AgentRequest } from "../core/agent/protocol";
import { checkRequest, encodeRequest, powershellArgv } from "../core/agent/wire";
import { answerFrom, TransportError, type Transport } from "./transport";

export interface SshOptions {
  /** Private key file (-i). Otherwise ssh-agent / the user's default keys. Never a password. */
  identityFile?: string;
  /** known_hosts file to verify the host key against (default: the user's). */
  knownHostsFile?: string;
  connectTimeoutSeconds?: number;
  /** Whole request timeout. */
  timeoutMs?: number;
  /** ssh program (default: `ssh` on PATH). */
  sshPath?: string;
}

/**
 * OpenSSH transport: the short bootstrap goes as the remote command (`powershell.exe … -EncodedCommand`,
 * which OpenSSH for Windows runs under cmd.exe), the agent and the request as base64 on stdin
 * (core/agent/wire.ts); one ssh process per request. Host keys are always verified (StrictHostKeyChecking=yes), BatchMode forbids password
 * prompts, so nothing secret is ever on a command line.
 */
export class SshTransport implements Transport {
  private trips = 0;
  constructor(
    private readonly host: { user?: string; host: string; port: number },
    readonly target: string,
    private readonly opts: SshOptions = {},
  ) {}

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
      ...(o.knownHostsFile ? ["-o", `UserKnownHostsFile=${o.knownHostsFile}`] : []),
      ...(o.identityFile ? ["-i", o.identityFile, "-o", "IdentitiesOnly=yes"] : []),
      "-p", String(this.host.port),
      ...(this.host.user ? ["-l", this.host.user] : []),
      "--",
      this.host.host,
      ...powershellArgv(),
    ];
  }

  /** ssh names the identity file in its warnings ("Identity file … not accessible"): keep it out of messages. */
  private redact(text: string): string {
    const id = this.opts.identityFile;
    return id ? text.split(id).join("<identity file>") : text;
  }

  async request(req: AgentRequest): Promise<AgentAnswer> {
    const { execa } = await import("execa");
    checkRequest(req);
    this.trips++;
    const r = await execa(this.opts.sshPath ?? "ssh", this.args(), {
      input: encodeRequest(req),
      reject: false,
      timeout: this.opts.timeoutMs ?? 120_000,
      stripFinalNewline: false,
      env: { LC_ALL: "C" },
    });
    if (r.timedOut) throw new TransportError(this.target, `no answer within ${this.opts.timeoutMs ?? 120_000} ms`, "timeout");
    const stderr = this.redact(String(r.stderr ?? "").trim());
    if (r.exitCode === 255) {
      const kind = /host key|Permission denied|authenticat/i.test(stderr) ? "auth" : "unreachable";
      throw new TransportError(this.target, `ssh failed: ${stderr.split(/\r?\n/).slice(-2).join(" ") || "exit 255"}`, kind);
    }
    return answerFrom(this.target, String(r.stdout ?? ""), this.redact(String(r.stderr ?? "")), r.exitCode ?? -1);
  }
}
