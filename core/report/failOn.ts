import { z } from "zod";
import { isProblem, isWarning, type Report } from "../rules/finding";

/**
 * What makes a report fail a pipeline (`--fail-on`):
 * - error (default): a failed requirement of error severity, i.e. the server is not compliant;
 * - unknown: that, or any rule that could not run for lack of evidence: a pipeline cannot tell
 *   "healthy" from "not looked at" otherwise;
 * - warning: any of those, or a failed warning.
 */
export const FailOn = z.enum(["error", "unknown", "warning"]);
export type FailOn = z.infer<typeof FailOn>;

export function failsOn(report: Report, failOn: FailOn): boolean {
  return report.findings.some(
    (f) => isProblem(f) || (failOn !== "error" && f.status === "unknown") || (failOn === "warning" && isWarning(f)),
  );
}

export { isProblem, isWarning };
