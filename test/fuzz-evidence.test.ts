import fc from "fast-check";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkEvidence } from "../core/check";
import { EvidenceError } from "../core/evidence/errors";
import type { Evidence } from "../core/evidence/schema";
import { createLab } from "../lab/create";
import { collectEvidence } from "../lab/evidence";

/**
 * Malformed input must end in a clear EvidenceError naming the field, never in a crash (TypeError …)
 * and never in a "compliant" verdict that the input cannot support.
 */
const dir = mkdtempSync(join(tmpdir(), "wsus-fuzz-"));
let healthy: Evidence;
beforeAll(async () => {
  await createLab(join(dir, "lab"), { configuration: 2 });
  healthy = await collectEvidence(join(dir, "lab"));
  expect(checkEvidence({ configuration: 2 }, healthy).compliant).toBe(true);
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Either a report, or an EvidenceError whose message starts with an evidence field name. */
function judge(evidence: unknown) {
  try {
    return { report: checkEvidence({ configuration: 2 }, evidence) };
  } catch (e) {
    expect(e).toBeInstanceOf(EvidenceError);
    expect((e as Error).message).toMatch(/^(evidence|applicationHostConfig|acls\[".*?"\]|localGroups\[".*?"\]|files|sharePoint)(?=[:.])/);
    return { error: e as EvidenceError };
  }
}

describe("fuzz: malformed evidence", () => {
  it("a truncated applicationHost.config is an error, never compliant", () => {
    const xml = healthy.applicationHostConfig;
    fc.assert(
      fc.property(fc.integer({ min: 0, max: xml.length - 20 }), (cut) => {
        const r = judge({ ...healthy, applicationHostConfig: xml.slice(0, cut) });
        expect(r.report?.compliant ?? false).toBe(false);
        if (cut < xml.lastIndexOf("</configuration>")) expect(r.error).toBeDefined();
      }),
      { numRuns: 300 },
    );
  });

  it("random byte edits of applicationHost.config never crash", () => {
    const xml = healthy.applicationHostConfig;
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: xml.length - 1 }), fc.constantFrom("<", ">", '"', "&", "/", "\u0000", "x", "")), { minLength: 1, maxLength: 5 }), (edits) => {
        let s = xml;
        for (const [at, ch] of edits) s = s.slice(0, at) + ch + s.slice(at + 1);
        judge({ ...healthy, applicationHostConfig: s });
      }),
      { numRuns: 300 },
    );
  });

  it("garbled icacls and net localgroup output: an error naming the entry, or a verdict", () => {
    const aclPath = Object.keys(healthy.acls!)[0];
    const line = fc.oneof(fc.string({ maxLength: 60 }), fc.constantFrom("BUILTIN\\Users:(RX)", "  BUILTIN\\Users:(OI)(CI)(ZZ)", ":(F)", "Successfully processed 1 files; Failed processing 0 files", ""));
    fc.assert(
      fc.property(fc.array(line, { minLength: 1, maxLength: 6 }), fc.array(line, { maxLength: 6 }), (aclLines, groupLines) => {
        const r = judge({
          ...healthy,
          acls: { [aclPath]: `${aclPath} ${aclLines.join("\r\n    ")}\r\n` },
          localGroups: { Users: groupLines.join("\r\n") },
        });
        // none of the generated lines grants Administrators or SYSTEM anything: garbage never passes the ACL rule
        if (r.report) expect(r.report.findings.some((f) => f.rule === "selfupdate-acl" && f.status === "fail")).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it("random JSON in place of evidence is rejected with the field named", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        const r = judge(v);
        expect(r.error).toBeDefined();
      }),
      { numRuns: 300 },
    );
  });

  it("evidence fields of the wrong type are named", () => {
    for (const [field, value] of [["acls", "nope"], ["files", { x: "not a list" }], ["sharePoint", { installed: "yes" }], ["localGroups", []]] as const) {
      const r = judge({ ...healthy, [field]: value });
      expect(r.error?.message).toContain(field);
    }
  });
});
