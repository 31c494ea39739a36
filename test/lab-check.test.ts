import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { checkEvidence } from "../core/check";
import { Evidence } from "../core/evidence/schema";
import { type Break, BREAKS, createLab } from "../lab/create";
import { collectEvidence, evidenceCommands } from "../lab/evidence";
import { LabServer } from "../lab/shell";

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
    expect(evidence.applicationHostConfig.startsWith("\uFEFF<?xml")).toBe(true);
    expect(Object.values(evidence.acls!).every((t) => t.endsWith("\r\nSuccessfully processed 1 files; Failed processing 0 files\r\n"))).toBe(true);
    expect(evidence.localGroups!.Users).toContain("The command completed successfully.");
    const report = checkEvidence({ configuration, profile }, evidence);
    expect(report.findings).toEqual([]);
    expect(report.compliant).toBe(true);
  });

  it.each(BREAKS.map((b) => [b]))("break %s -> fail findings of the expected cause only", async (brk: Break) => {
    const dir = tempDir();
    await createLab(dir, { configuration, profile, breaks: [brk] });
    const report = checkEvidence({ configuration, profile }, await collectEvidence(dir));
    expect(report.compliant).toBe(false);
    const fails = report.findings.filter((f) => f.status === "fail");
    expect(fails.length).toBeGreaterThan(0);
    expect(new Set(fails.map((f) => f.cause))).toEqual(new Set([EXPECTED_CAUSE[String(brk)]]));
  });
});

describe("evidence collection goes through the lab's commands", () => {
  it("runs exactly the listed read commands (one round trip each)", async () => {
    const dir = tempDir();
    await createLab(dir, { configuration: 2, profile: "modern" });
    const seen: string[] = [];
    const server = new LabServer(dir, { beforeCommand: (_i, line) => void seen.push(line) });
    await collectEvidence(dir, { server });
    expect(seen).toEqual(await evidenceCommands(dir));
    expect(server.commandsExecuted).toBe(seen.length);
    expect(seen[0]).toBe("hostname");
    expect(seen).toContain('net localgroup Users');
    expect(seen.at(-1)).toBe('dir /s /b /a-d "C:\\Program Files\\Update Services\\Selfupdate"');
  });

  it("a dropped connection surfaces as TransportDropError", async () => {
    const dir = tempDir();
    await createLab(dir, { configuration: 1 });
    await expect(collectEvidence(dir, { server: new LabServer(dir, { dropBeforeCommand: 2 }) })).rejects.toMatchObject({ name: "TransportDropError", commandIndex: 2 });
  });
});
