import { AgentResponse, type AgentRequest } from "../core/agent/protocol";
import { POWERSHELL_COMMAND, wrapRequest } from "../core/agent/envelope";
import { TransportError, type Transport } from "./transport";

/** This Windows machine: the same agent script through a local powershell.exe. */
export class LocalTransport implements Transport {
  readonly target = "local";
  private trips = 0;
  constructor(private readonly platform: NodeJS.Platform = process.platform) {}

  get roundTrips(): number {
    return this.trips;
  }

  async request(req: AgentRequest): Promise<AgentResponse> {
    if (this.platform !== "win32") {
      throw new TransportError("local", `the local target needs Windows (this is ${this.platform}); use lab:DIR or ssh://user@host`, "unreachable");
    }
    const { execa } = await import("execa");
    this.trips++;
    const [exe, ...args] = POWERSHELL_COMMAND;
    const r = await execa(exe, args, { input: wrapRequest(req), reject: false, timeout: 300_000 });
    if (r.exitCode !== 0) throw new TransportError("local", `agent failed (exit ${r.exitCode}): ${String(r.stderr).trim().slice(-300)}`, "dropped");
    return AgentResponse.parse(JSON.parse(String(r.stdout)));
  }
}
