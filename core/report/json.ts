import { Report } from "../rules/finding";
import type { ServerReport } from "./types";

/**
 * Machine-readable report, pretty-printed with a trailing newline.
 * One server: the `Report` schema `{ compliant, findings }`, plus `layout` (the profile and configuration
 * judged against, and why) and `notices` when there are any.
 * Several (or zero) servers: `{ compliant, servers: [{ server, target?, compliant, findings }] }`, where the
 * top-level `compliant` is true only if every server is compliant and there is at least one server.
 */
export function renderJson(reports: readonly ServerReport[]): string {
  let doc: unknown;
  const extra = (r: ServerReport) => ({ ...(r.layout ? { layout: r.layout } : {}), ...(r.notices?.length ? { notices: r.notices } : {}) });
  if (reports.length === 1) {
    doc = { ...Report.parse(reports[0].report), ...extra(reports[0]) };
  } else {
    doc = {
      compliant: reports.length > 0 && reports.every((r) => r.report.compliant),
      servers: reports.map((r) => {
        const { compliant, findings } = Report.parse(r.report);
        return { server: r.server, ...(r.target !== undefined ? { target: r.target } : {}), compliant, findings, ...extra(r) };
      }),
    };
  }
  return JSON.stringify(doc, null, 2) + "\n";
}
