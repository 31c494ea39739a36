import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { checkEvidence, checkEvidenceWithLayout } from "../core/check";
import { Evidence } from "../core/evidence/schema";
import { RUNTIME_COMMANDS } from "../core/agent/runner";
import { type Break, BREAKS, createLab, HEALTH_BREAKS } from "../lab/create";
import { collectEvidence, evidenceParams } from "../lab/evidence";
import { LabServer } from "../lab/shell";
import { harmlessBreak } from "./helpers/converge";

/**
 * The lab against the product's check: a healthy lab is compliant in both configurations and
 * profiles, and each single break yields fail findings of exactly the KB cause it simulates
 * (layout breaks: no cause; wrong-path: cause 2, the SelfUpdate vdir is not what it should be).
 */

const roots: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(path.join(tmpdir(), "wsus-lab-check-"));
  roots.push(d);
  return d;
}
afterAll(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

const EXPECTED_CAUSE: Record<string, number | null> = {
  "1": 1,
  "2": 2,
  "3": 3,
  "4": 4,
  "5": 5,
  "6": 6,
  "7": 7,
  "8": 8,
  "missing-vdir": null,
  "windows-auth-anonymous": null,
  "wrong-path": 2,
  // IIS's anonymous user loses Users (401.3): KB cause 1
  "users-hardened": 1,
};

const COMBOS = [
  { configuration: 1, profile: "kb920659" },
  { configuration: 1, profile: "modern" },
  { configuration: 2, profile: "kb920659" },
  { configuration: 2, profile: "modern" },
] as const;

describe.each(COMBOS)("check on the lab, Configuration $configuration, profile $profile", ({ configuration, profile }) => {
  it("healthy lab is compliant, with evidence in the real formats", async () => {
    const dir = tempDir();
    await createLab(dir, { configuration, profile });
    const evidence = await collectEvidence(dir);
    expect(Evidence.safeParse(evidence).success).toBe(true);
    expect(evidence.computerName).toBe("WSUS01");
    // read as [IO.File]::ReadAllText does: the UTF-8 BOM the file has is dropped
    expect(evidence.applicationHostConfig.startsWith("<?xml")).toBe(true);
    // evidence@2: ACLs as SDDL (trustees by SID), Users by its SID with its members' SIDs
    expect(evidence.schema).toBe("wsus-iis/evidence@2");
    expect(Object.values(evidence.acls!).every((a) => typeof a === "object" && /^D:P?AI\(/.test(a.sddl))).toBe(true);
    expect(evidence.localGroups!["S-1-5-32-545"]).toMatchObject({ sid: "S-1-5-32-545", name: "BUILTIN\\Users", members: expect.arrayContaining([{ sid: "S-1-5-11", name: "NT AUTHORITY\\Authenticated Users" }]) });
    const report = checkEvidence({ configuration, profile }, evidence);
    expect(report.findings).toEqual([]);
    expect(report.compliant).toBe(true);
  });

  // Issue 10 acceptance: no --profile, no --configuration; the report says what was detected and why.
  it("healthy lab checked with nothing given (auto): compliant, and the layout detected is the lab's", async () => {
    const dir = tempDir();
    await createLab(dir, { configuration, profile });
    const { report, layout } = checkEvidenceWithLayout({}, await collectEvidence(dir));
    expect(report).toEqual({ compliant: true, findings: [] });
    expect(layout).toMatchObject({ profile, configuration });
    expect(layout.reasons[0]).toMatch(new RegExp(`^profile ${profile} detected: /${profile === "modern" ? "ApiRemoting30" : "WSUSAdmin"} on `));
    expect(layout.reasons[1]).toMatch(new RegExp(`^Configuration ${configuration} detected`));
  });

  it("break 7: SharePoint is seen installed, its exclusions cannot be read: unknown, never compliant-by-guess", async () => {
    const dir = tempDir();
    await createLab(dir, { configuration, profile, breaks: [7] });
    const report = checkEvidence({ configuration, profile }, await collectEvidence(dir));
    expect(report.findings).toEqual([expect.objectContaining({ rule: "sharepoint-exclusions", status: "unknown", message: expect.stringContaining("could not be read") })]);
  });

  // Breaks that leave this layout's clients served: users-hardened when the IIS 6 account is itself in
  // Users (kb920659 labs); break 6 (the Default Web Site's root) in modern Configuration 2, where clients
  // use the WSUS site on 8530 and never the Default Web Site.
  const harmless = (brk: Break) => harmlessBreak({ configuration, profile }, brk);

  it.each(BREAKS.filter((b) => b !== 7 && harmless(b)).map((b) => [b]))("break %s leaves this layout compliant: nothing of it is what clients use", async (brk: Break) => {
    const dir = tempDir();
    await createLab(dir, { configuration, profile, breaks: [brk] });
    const report = checkEvidence({ configuration, profile }, await collectEvidence(dir));
    expect(report.findings).toEqual([]);
  });

  // issue 13 acceptance: "The default check (rules kb) is unchanged": a health break is not judged by it
  it.each(HEALTH_BREAKS.map((b) => [b]))("health break %s leaves the default check (rules kb) compliant", async (brk: Break) => {
    const dir = tempDir();
    await createLab(dir, { configuration, profile, breaks: [brk] });
    const report = checkEvidence({ configuration, profile }, await collectEvidence(dir));
    expect(report).toEqual({ compliant: true, findings: [] });
  });

  it.each(BREAKS.filter((b) => b !== 7 && !harmless(b)).map((b) => [b]))("break %s -> fail findings of the expected cause only", async (brk: Break) => {
    const dir = tempDir();
    await createLab(dir, { configuration, profile, breaks: [brk] });
    const report = checkEvidence({ configuration, profile }, await collectEvidence(dir));
    expect(report.compliant).toBe(false);
    const fails = report.findings.filter((f) => f.status === "fail");
    expect(fails.length).toBeGreaterThan(0);
    expect(new Set(fails.map((f) => f.cause))).toEqual(new Set([EXPECTED_CAUSE[String(brk)]]));
  });
});

describe("evidence collection reads like the agent", () => {
  it("runs no command but the two runtime lists: files, SDDL and groups come through the agent's own calls, not through localized command output", async () => {
    const dir = tempDir();
    await createLab(dir, { configuration: 2, profile: "modern" });
    const seen: string[] = [];
    const server = new LabServer(dir, { beforeCommand: (_i, line) => void seen.push(line) });
    const evidence = await collectEvidence(dir, { server });
    // issue 13: the runtime state of sites and pools, two constant read-only appcmd lines the lab answers
    expect(seen).toEqual([RUNTIME_COMMANDS.sitesXml, RUNTIME_COMMANDS.appPoolsXml]);
    expect(evidence.files!["C:\\Program Files\\Update Services\\Selfupdate"]).toEqual(expect.arrayContaining(["wuident.cab", "iuident.cab"]));
    expect((await evidenceParams(dir)).groups).toEqual(["S-1-5-32-545"]);
  });
});
