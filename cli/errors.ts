/** Exit codes shared by every command: 0 compliant / done, 1 findings (status fail), 2 bad input, 3 a server could not be reached or an apply failed. */
export const EXIT = { ok: 0, findings: 1, badInput: 2, unreachable: 3 } as const;

/** A user-facing error: printed as one clear message (no stack trace), exit code 2 unless told otherwise. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.badInput,
  ) {
    super(message);
    this.name = "CliError";
  }
}
