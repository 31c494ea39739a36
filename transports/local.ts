import type { AgentAnswer, AgentRequest } from "../core/agent/protocol";
import { checkRequest, encodeRequest, powershellArgv } from "../core/agent/wire";
import { answerFrom, TransportError, type Transport } from "./transport";

/** This Windows machine: the same bootstrap and agent through a local powershell.exe. */
export class LocalTransport implements Transport {
  readonly target = "local";
  private trips = 0;
  constructor(private readonly platform: NodeJS.Platform = process.platform) {}

  get roundTrips(): number {
    return this.trips;
  }

  async request(req: AgentRequest): Promise<AgentAnswer> {
    if (this.platform !== "win32") {
      throw new TransportError("local", `the local target needs Windows (this is ${this.platform}); use lab:DIR or ssh://user@host`, "unreachable");
    }
    checkRequest(req);
    const { execa } = await import("execa");
    this.trips++;
    const [exe, ...args] = powershellArgv();
    const r = await execa(exe, args, { input: encodeRequest(req), reject: false, timeout: 300_000 });
    return answerFrom("local", String(r.stdout), String(r.stderr), r.exitCode ?? -1);
  }
}
