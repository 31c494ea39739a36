import type { AgentRequest, AgentResponse } from "../core/agent/protocol";

/** Moves one agent request to a server and its response back: one call = one round trip. */
export interface Transport {
  /** The target as the user wrote it (secrets never included). */
  readonly target: string;
  request(req: AgentRequest): Promise<AgentResponse>;
  /** Round trips made so far (benchmarks and tests count them). */
  readonly roundTrips: number;
}

/** The server could not be reached or the connection broke: the state on the server is not known. */
export class TransportError extends Error {
  constructor(
    readonly target: string,
    message: string,
    readonly kind: "unreachable" | "dropped" | "protocol" | "timeout" | "auth",
  ) {
    super(`${target}: ${message}`);
    this.name = "TransportError";
  }
}
