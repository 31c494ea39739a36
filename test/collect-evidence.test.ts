import { promises as fsp } from "node:fs";
import * as path from "node:path";
import { afterAll, expect, it } from "vitest";
import { RUNTIME_COMMANDS } from "../core/agent/runner";
import { EvidenceV2 } from "../core/evidence/schema";
import { stateFromEvidence } from "../core/state/fromEvidence";
import { collectEvidence } from "../lab/evidence";
import { runPowershell } from "../lab/powershell/launcher";
import { readLabState, writeLabState } from "../lab/state";
import { brokenLab, removeTempDirs, runCli, tempDir } from "./helpers/converge";
import { describePwsh } from "./helpers/pwsh";

/**
 * scripts/collect-evidence.ps1 under a real PowerShell on a (German) lab: the offline bundle for
 * `wsus-iis check --evidence`, read with the agent's own functions.
 */

afterAll(removeTempDirs);

const SCRIPT = path.join(__dirname, "..", "scripts", "collect-evidence.ps1");

describePwsh("scripts/collect-evidence.ps1", () => {
  it("-OutFile writes UTF-8 without BOM, pure ASCII JSON, evidence@2 as the agent reads it; check judges it like a live check", async () => {
    const dir = await brokenLab({ configuration: 1, profile: "modern" }, [1, 4], { decorate: false, locale: "de-DE" });
    const out = path.join(await tempDir(), "evidence.json");
    const r = await runPowershell(dir, ["-NoProfile", "-NonInteractive", "-File", SCRIPT, "-OutFile", out], "", { timeoutMs: 120_000 });
    expect(r.exitCode, r.stderr).toBe(0);
    const bytes = await fsp.readFile(out);
    expect(bytes.subarray(0, 3).equals(Buffer.from([0xef, 0xbb, 0xbf]))).toBe(false);
    expect(bytes.every((b) => b < 0x80)).toBe(true);
    const evidence = EvidenceV2.parse(JSON.parse(bytes.toString("utf8")));
    // localized names arrive intact (\\u-escaped on the way)
    expect(evidence.localGroups!["S-1-5-32-545"]).toMatchObject({ name: "VORDEFINIERT\\Benutzer", members: expect.arrayContaining([{ sid: "S-1-5-11", name: "NT-AUTORITÄT\\Authentifizierte Benutzer" }]) });
    // the same reads as the TypeScript agent's evidence of the lab (the SelfUpdate folder's ACL, Users, files)
    const twin = await collectEvidence(dir);
    const selfupdate = "C:\\Program Files\\Update Services\\Selfupdate";
    expect(evidence.acls![selfupdate]).toEqual((twin as EvidenceV2).acls![selfupdate]);
    expect(evidence.files).toEqual(twin.files);
    expect(evidence.applicationHostConfig).toBe(twin.applicationHostConfig);
    // the health rules' evidence (issue 13): runtime state and the web.config of every mapped folder, as the agent reads them
    expect(evidence.runtime).toEqual((twin as EvidenceV2).runtime);
    expect(evidence.runtime?.appPoolsXml).toMatch(/<APPPOOL APPPOOL\.NAME="WsusPool"[^>]* state="Started"/);
    expect(evidence.webConfigs).toEqual((twin as EvidenceV2).webConfigs);
    expect(evidence.webConfigs).toMatchObject({ "%SystemDrive%\\inetpub\\wwwroot": null, "C:\\Program Files\\Update Services\\WebServices\\ClientWebService": expect.stringContaining("<configuration>") });
    const health = stateFromEvidence(evidence).health;
    expect(health?.appPools).toContainEqual(expect.objectContaining({ name: "WsusPool", state: "Started" }));
    expect(health?.siteStates).toMatchObject({ "default web site": "Started" });
    expect(r.stderr).not.toContain("note:");

    const check = await runCli(["check", "--evidence", out, "--profile", "modern", "--format", "json"]);
    expect(check.code, check.err).toBe(1);
    const causes = JSON.parse(check.out).findings.filter((f: { status: string }) => f.status === "fail").map((f: { cause: number }) => f.cause);
    expect(new Set(causes)).toEqual(new Set([1, 4]));
  }, 180_000);

  it("without -OutFile it prints the JSON; saved as UTF-16LE (5.1's `>`) or with a UTF-8 BOM, check reads it all the same", async () => {
    const dir = await brokenLab({ configuration: 1, profile: "modern" }, [], { decorate: false });
    const r = await runPowershell(dir, ["-NoProfile", "-NonInteractive", "-File", SCRIPT], "", { timeoutMs: 120_000 });
    expect(r.exitCode, r.stderr).toBe(0);
    const json = r.stdout.trim();
    const d = await tempDir();
    const utf16 = path.join(d, "utf16.json");
    const bom = path.join(d, "bom.json");
    await fsp.writeFile(utf16, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(json + "\r\n", "utf16le")]));
    await fsp.writeFile(bom, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(json, "utf8")]));
    for (const file of [utf16, bom]) {
      const c = await runCli(["check", "--evidence", file, "--profile", "modern"]);
      expect(c.code, c.err).toBe(0);
      expect(c.out).toMatch(/COMPLIANT/);
    }
  }, 180_000);

  it("appcmd failing leaves the runtime state out, with a note on standard error; the bundle is still written and judged", async () => {
    const dir = await brokenLab({ configuration: 2, profile: "modern" }, [], { decorate: false });
    await writeLabState(dir, { ...(await readLabState(dir)), faults: { delayMs: 0, fail: [{ match: "list site /xml", exitCode: 5, stderr: "ERROR ( message:Access is denied. )" }], editConfigBefore: [] } });
    const out = path.join(await tempDir(), "evidence.json");
    const r = await runPowershell(dir, ["-NoProfile", "-NonInteractive", "-File", SCRIPT, "-OutFile", out], "", { timeoutMs: 120_000 });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toContain(`note: runtime state not read, the health rules on it say unknown: ${RUNTIME_COMMANDS.sitesXml} exited 5: ERROR ( message:Access is denied. )`);
    const evidence = EvidenceV2.parse(JSON.parse(await fsp.readFile(out, "utf8")));
    expect(evidence.runtime).toBeUndefined();
    expect(evidence.webConfigs).toBeDefined();
    expect(stateFromEvidence(evidence).health?.siteStates).toBeNull();
    const c = await runCli(["check", "--evidence", out, "--profile", "modern"]);
    expect(c.code, c.err).toBe(0);
  }, 180_000);
});
