import { Report } from "../rules/finding";
import type { ServerReport } from "./types";

/**
 * Machine-readable report, pretty-printed with a trailing newline.
 * One server: exactly the `Report` schema `{ compliant, findings }`.
 * Several (or zero) servers: `{ compliant, servers: [{ server, target?, compliant, findings }] }`, where the
 * top-level `compliant` is true only if every server is compliant and there is at least one server.
 */
export function renderJson(reports: readonly ServerReport[]): string {
  let doc: unknown;
  if (reports.length === 1) {
    doc = Report.parse(reports[0].report);
  } else {
    doc = {
      compliant: reports.length > 0 && reports.every((r) => r.report.compliant),
      servers: reports.map((r) => {
        const { compliant, findings } = Report.parse(r.report);
        return { server: r.server, ...(r.target !== undefined ? { target: r.target } : {}), compliant, findings };
      }),
    };
  }
  return JSON.stringify(doc, null, 2) + "\n";
}
