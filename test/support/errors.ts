import { expect } from "vitest";
import { EvidenceError } from "../../core/evidence/errors";

/** Run fn, which must throw an EvidenceError, and return it for assertions on its message and field. */
export function evidenceError(fn: () => unknown): EvidenceError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(EvidenceError);
    return e as EvidenceError;
  }
  throw new Error("expected an EvidenceError");
}
