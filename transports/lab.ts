import { AgentRequest, type AgentResponse } from "../core/agent/protocol";
import { handle } from "../core/agent/runner";
import { LabAgentHost } from "../lab/agentHost";
import { TransportError, type Transport } from "./transport";

export interface LabFaults {
  /** Added to every round trip (network latency). */
  latencyMs?: number;
  /**
   * The connection breaks while the server runs its n-th command (1-based, counted over the whole
   * transport): the agent finishes on the server (it runs detached from the connection), but the
   * answer is lost and the client sees a TransportError.
   */
  dropAtCommand?: number;
  /** The agent process dies before its n-th command: nothing after it runs, no rollback (power loss). */
  crashBeforeCommand?: number;
  /** Called before each command the agent runs (a test can edit applicationHost.config here). */
  beforeCommand?: (index: number, line: string) => void | Promise<void>;
}

/**
 * `lab:DIR`: the lab server in this process, through the same agent logic and command lines a
 * Windows host gets. Counts round trips and commands; injects latency, drops and crashes.
 */
export class LabTransport implements Transport {
  readonly target: string;
  private trips = 0;
  private commands = 0;
  constructor(
    readonly dir: string,
    private readonly faults: LabFaults = {},
  ) {
    this.target = `lab:${dir}`;
  }

  get roundTrips(): number {
    return this.trips;
  }

  /** Commands the lab executed for this transport. */
  get commandsRun(): number {
    return this.commands;
  }

  async request(req: AgentRequest): Promise<AgentResponse> {
    AgentRequest.parse(req);
    this.trips++;
    if (this.faults.latencyMs) await new Promise((r) => setTimeout(r, this.faults.latencyMs));
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
    let response: AgentResponse;
    try {
      response = await handle(host, req);
    } catch (e) {
      if (e instanceof Error && e.name === "TransportDropError") throw new TransportError(this.target, "the agent died mid-request (injected crash)", "dropped");
      throw new TransportError(this.target, `agent failed: ${e instanceof Error ? e.message : String(e)}`, "protocol");
    }
    if (dropped) throw new TransportError(this.target, `connection dropped during command #${this.faults.dropAtCommand}; the answer was lost`, "dropped");
    return response;
  }
}
