import type { AgentAnswer, AgentRequest } from "../core/agent/protocol";
import { ANSWER_PREFIX, decodeAnswer, WireError } from "../core/agent/wire";

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
 * the server is not known (for `agent`: the agent ran and reported an error of its own; for
 * `too-large`: the answer passed the cap, MAX_ANSWER_BYTES in core/agent/wire.ts, and was not read).
 */
export class TransportError extends Error {
  constructor(
    readonly target: string,
    message: string,
    readonly kind: "unreachable" | "dropped" | "protocol" | "timeout" | "auth" | "agent" | "too-large",
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
    // Up to the cap (64 MiB) of output: hand the decoder the answer line and a bounded piece of stderr
    // only, so that megabytes of noise are never split into millions of lines.
    const answer = decodeAnswer(answerLine(stdout) ?? stdout.slice(0, 4096), stderr.length > STDERR_KEPT ? stderr.slice(0, 1024) + "\n" + stderr.slice(-STDERR_KEPT) : stderr);
    if (answer.op === "error") throw new WireError(answer.error.message, "agent-error");
    return answer;
  } catch (e) {
    if (!(e instanceof WireError)) throw e;
    if (e.kind === "agent-error") throw new TransportError(target, e.message, "agent");
    if (e.kind === "too-large") throw new TransportError(target, e.message, "too-large");
    const noAnswer = /^no answer from the agent/.test(e.message);
    throw new TransportError(target, noAnswer ? `${e.message} (exit ${exitCode})` : e.message, noAnswer ? "dropped" : "protocol");
  }
}

const STDERR_KEPT = 64 * 1024;

/** The first `wsus-iis:` line of the output, found without splitting it into lines. */
export function answerLine(stdout: string): string | undefined {
  const newline = stdout.indexOf(`\n${ANSWER_PREFIX}`);
  const at = stdout.startsWith(ANSWER_PREFIX) ? 0 : newline < 0 ? -1 : newline + 1;
  if (at < 0) return undefined;
  const end = stdout.indexOf("\n", at);
  return stdout.slice(at, end < 0 ? undefined : end + 1);
}

/** The last `n` non-empty lines of a text, read from its end (the text may be megabytes of newlines). */
export function lastLines(text: string, n: number): string[] {
  const out: string[] = [];
  let end = text.length;
  while (out.length < n && end > 0) {
    const start = text.lastIndexOf("\n", end - 1);
    const line = text.slice(start + 1, end).replace(/\r$/, "").trim();
    if (line) out.unshift(line);
    end = start < 0 ? 0 : start;
  }
  return out;
}

/** A byte count as people say it: 64 MiB, 512 KiB, or bytes. */
export function formatBytes(n: number): string {
  if (n >= 1024 * 1024 && n % (1024 * 1024) === 0) return `${n / (1024 * 1024)} MiB`;
  if (n >= 1024 && n % 1024 === 0) return `${n / 1024} KiB`;
  return `${n} bytes`;
}
