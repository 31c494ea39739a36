/**
 * Evidence that cannot be read. The message always starts with the evidence field it concerns
 * (e.g. `applicationHostConfig: not well-formed XML at line 12, column 5: …`) so it can be shown
 * to a user as is, without a stack trace.
 */
export class EvidenceError extends Error {
  /** The evidence field (see core/evidence/schema.ts) the problem is in, e.g. "applicationHostConfig". */
  readonly field: string;

  constructor(field: string, detail: string) {
    super(`${field}: ${detail}`);
    this.name = "EvidenceError";
    this.field = field;
  }
}
