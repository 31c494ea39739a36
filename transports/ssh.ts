import { AgentResponse, type AgentRequest } from "../core/agent/protocol";
import { POWERSHELL_COMMAND, wrapRequest } from "../core/agent/envelope";
import { TransportError, type Transport } from "./transport";

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
 * OpenSSH transport: the agent script travels on stdin to `powershell -Command -`; one ssh process
 * per request. Host keys are always verified (StrictHostKeyChecking=yes), BatchMode forbids password
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
      ...POWERSHELL_COMMAND,
    ];
  }

  /** ssh names the identity file in its warnings ("Identity file … not accessible"): keep it out of messages. */
  private redact(text: string): string {
    const id = this.opts.identityFile;
    return id ? text.split(id).join("<identity file>") : text;
  }

  async request(req: AgentRequest): Promise<AgentResponse> {
    const { execa } = await import("execa");
    this.trips++;
    const r = await execa(this.opts.sshPath ?? "ssh", this.args(), {
      input: wrapRequest(req),
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
    const out = String(r.stdout ?? "");
    if (r.exitCode !== 0 || !out.trim()) {
      throw new TransportError(this.target, `agent failed (exit ${r.exitCode}): ${stderr.split(/\r?\n/).slice(-3).join(" ") || "no output"}`, "dropped");
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(out);
    } catch {
      throw new TransportError(this.target, `agent answered with something that is not JSON: ${out.slice(0, 120)}`, "protocol");
    }
    const res = AgentResponse.safeParse(parsed);
    if (!res.success) throw new TransportError(this.target, `agent answer does not follow the protocol: ${res.error.issues[0]?.message}`, "protocol");
    return res.data;
  }
}
