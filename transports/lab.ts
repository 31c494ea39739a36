import { AgentRequest, type AgentAnswer } from "../core/agent/protocol";
import { handle } from "../core/agent/runner";
import { encodeRequest, powershellArgv } from "../core/agent/wire";
import { LabAgentHost } from "../lab/agentHost";
import { runPowershell } from "../lab/powershell/launcher";
import { answerFrom, TransportError, type Transport } from "./transport";

export interface LabFaults {
  /** Added to every round trip (network latency). */
  latencyMs?: number;
  /**
   * The connection breaks while the server runs its n-th command (1-based, counted over the whole
   * transport): the agent finishes on the server (it runs detached from the connection), but the
   * answer is lost and the client sees a TransportError.
   */
  dropAtCommand?: number;
  /** The connection breaks while the n-th round trip's answer travels back (1-based): the agent did everything, the answer is lost. */
  dropAnswerOfTrip?: number;
  /** The agent process dies before its n-th command: nothing after it runs, no rollback (power loss). */
  crashBeforeCommand?: number;
  /** Called before each command the agent runs (a test can edit applicationHost.config here). */
  beforeCommand?: (index: number, line: string) => void | Promise<void>;
}

/**
 * Which agent answers a `lab:` target:
 * - `typescript` (default): core/agent/runner.ts in this process; fast, and fault injection works;
 * - `powershell`: the real scripts/agent.ps1 under PowerShell 7 through the lab's `powershell.exe`
 *   launcher (lab/powershell/launcher.ts), over the same wire as ssh. `WSUS_IIS_LAB_AGENT=powershell`
 *   in the environment makes it the default.
 */
export type LabAgentKind = "typescript" | "powershell";

export function defaultLabAgent(): LabAgentKind {
  const v = (process.env.WSUS_IIS_LAB_AGENT ?? "").toLowerCase();
  return v === "powershell" || v === "pwsh" ? "powershell" : "typescript";
}

/**
 * `lab:DIR`: a lab server, through the same agent protocol and command lines a Windows host gets.
 * Counts round trips and commands; injects latency, drops and crashes (TypeScript agent).
 */
export class LabTransport implements Transport {
  readonly target: string;
  private trips = 0;
  private commands = 0;
  constructor(
    readonly dir: string,
    private readonly faults: LabFaults = {},
    readonly agent: LabAgentKind = defaultLabAgent(),
  ) {
    this.target = `lab:${dir}`;
    if (agent === "powershell" && (faults.dropAtCommand !== undefined || faults.crashBeforeCommand !== undefined || faults.dropAnswerOfTrip !== undefined || faults.beforeCommand)) {
      throw new Error("lab faults (drop, crash, beforeCommand) need the TypeScript agent; the PowerShell agent takes lab.json faults");
    }
  }

  get roundTrips(): number {
    return this.trips;
  }

  /** Commands the lab executed for this transport (TypeScript agent). */
  get commandsRun(): number {
    return this.commands;
  }

  async request(req: AgentRequest): Promise<AgentAnswer> {
    AgentRequest.parse(req);
    this.trips++;
    if (this.faults.latencyMs) await new Promise((r) => setTimeout(r, this.faults.latencyMs));
    if (this.agent === "powershell") {
      const [, ...args] = powershellArgv();
      const r = await runPowershell(this.dir, args, encodeRequest(req), { timeoutMs: 600_000 });
      return answerFrom(this.target, r.stdout, r.stderr, r.exitCode);
    }
    let dropped = false;
    const offset = this.commands;
    const host = new LabAgentHost(this.dir, {
      dropBeforeCommand: this.faults.crashBeforeCommand !== undefined ? this.faults.crashBeforeCommand - offset : undefined,
      beforeCommand: async (i, line) => {
        this.commands = offset + i;
        if (this.faults.dropAtCommand === offset + i) dropped = true;
        await this.faults.beforeCommand?.(offset + i, line);
      },
    });
    let response: AgentAnswer;
    try {
      response = await handle(host, req);
    } catch (e) {
      if (e instanceof Error && e.name === "TransportDropError") throw new TransportError(this.target, "the agent died mid-request (injected crash)", "dropped");
      throw new TransportError(this.target, `agent failed: ${e instanceof Error ? e.message : String(e)}`, "agent");
    }
    if (dropped) throw new TransportError(this.target, `connection dropped during command #${this.faults.dropAtCommand}; the answer was lost`, "dropped");
    if (this.faults.dropAnswerOfTrip === this.trips) throw new TransportError(this.target, `connection dropped while round trip #${this.trips} answered; the answer was lost`, "dropped");
    return response;
  }
}
