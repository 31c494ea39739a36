import type { AgentAnswer, AgentRequest } from "../core/agent/protocol";
import { decodeAnswer, WireError } from "../core/agent/wire";

/** Moves one agent request to a server and its answer back: one call = one round trip. */
export interface Transport {
  /** The target as the user wrote it (secrets never included). */
  readonly target: string;
  request(req: AgentRequest): Promise<AgentAnswer>;
  /** Round trips made so far (benchmarks and tests count them). */
  readonly roundTrips: number;
}

/**
 * The server could not be reached, the connection broke, or the agent could not answer: the state on
 * the server is not known (for `agent`: the agent ran and reported an error of its own).
 */
export class TransportError extends Error {
  constructor(
    readonly target: string,
    message: string,
    readonly kind: "unreachable" | "dropped" | "protocol" | "timeout" | "auth" | "agent",
  ) {
    super(`${target}: ${message}`);
    this.name = "TransportError";
  }
}

/**
 * The agent's answer from what a process printed (core/agent/wire.ts). No answer line at all means the
 * agent never finished: the connection dropped or the process died (`dropped`, with the exit code and
 * the cleaned stderr).
 */
export function answerFrom(target: string, stdout: string, stderr: string, exitCode: number): AgentAnswer {
  try {
    const answer = decodeAnswer(stdout, stderr);
    if (answer.op === "error") throw new WireError(answer.error.message, "agent-error");
    return answer;
  } catch (e) {
    if (!(e instanceof WireError)) throw e;
    if (e.kind === "agent-error") throw new TransportError(target, e.message, "agent");
    if (e.kind === "too-large") throw new TransportError(target, e.message, "protocol");
    const noAnswer = /^no answer from the agent/.test(e.message);
    throw new TransportError(target, noAnswer ? `${e.message} (exit ${exitCode})` : e.message, noAnswer ? "dropped" : "protocol");
  }
}
