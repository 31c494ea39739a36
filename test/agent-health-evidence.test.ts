import { promises as fsp } from "node:fs";
import { afterAll, expect, it } from "vitest";
import type { AgentAnswer, AgentRequest, CollectResponse } from "../core/agent/protocol";
import { RUNTIME_COMMANDS, WEB_CONFIG_MAX_BYTES, WEB_CONFIG_MAX_FOLDERS } from "../core/agent/runner";
import { parseApplicationHostConfig } from "../core/evidence/applicationHost";
import type { EvidenceV2 } from "../core/evidence/schema";
import { stateFromEvidence } from "../core/state/fromEvidence";
import { resolveHostPath, writeWindowsFile } from "../lab/fs";
import { readLabState, writeLabState } from "../lab/state";
import { LabTransport } from "../transports/lab";
import { brokenLab, cloneLab, CONFIG_WIN_PATH, removeTempDirs } from "./helpers/converge";
import { describePwsh } from "./helpers/pwsh";

/**
 * The health rules' evidence (issue 13), read by both agents: `runtime` (the raw output of the two
 * constant `appcmd list site|apppool /xml` lines) and `webConfigs` (the web.config of every folder the
 * sites map in applicationHost.config). The TypeScript agent (core/agent/runner.ts) and scripts/agent.ps1
 * under a real PowerShell read the same lab copies and must answer the same; what cannot be read is left
 * out (its rules say unknown) with a note, never guessed and never failing the read.
 */

afterAll(removeTempDirs);

const MODERN2 = { configuration: 2, profile: "modern" } as const;
const ROOT = "C:\\Program Files\\Update Services\\WebServices\\Root";
const CLIENT = "C:\\Program Files\\Update Services\\WebServices\\ClientWebService";
const WWWROOT = "%SystemDrive%\\inetpub\\wwwroot";
const SELFUPDATE = "C:\\Program Files\\Update Services\\Selfupdate";

/** The same collect through both agents, each on its own copy of the lab (`dir` and a clone). */
async function collectBoth(dir: string): Promise<{ ts: CollectResponse; ps: CollectResponse }> {
  const ps = await cloneLab(dir);
  // the SelfUpdate folder's ACL and files and Users, as a check with --rules kb,health reads them (ops/params.ts collectParams)
  const req: AgentRequest = { op: "collect", params: { aclPaths: [SELFUPDATE], fileDirs: [SELFUPDATE], groups: ["S-1-5-32-545"], health: true } };
  const [a, b] = await Promise.all([new LabTransport(dir, {}, "typescript").request(req), new LabTransport(ps, {}, "powershell").request(req)]);
  if (a.op !== "collect" || b.op !== "collect") throw new Error("not a collect answer");
  return { ts: a, ps: b };
}

/** An answer without what differs by nature (the timestamp, the PowerShell version). */
function normalized(a: AgentAnswer): unknown {
  const copy = structuredClone(a) as AgentAnswer & { evidence: { collectedAt?: string; agent?: Record<string, unknown> } };
  delete copy.evidence.collectedAt;
  delete copy.evidence.agent?.powershell;
  return copy;
}

const v2 = (a: CollectResponse) => a.evidence as EvidenceV2;

/** Adds `<virtualDirectory>` elements to the Default Web Site's root application, by a text edit. */
async function addVdirs(dir: string, vdirs: { path: string; physicalPath: string }[]): Promise<void> {
  const file = (await resolveHostPath(dir, CONFIG_WIN_PATH)).hostPath;
  const text = await fsp.readFile(file, "utf8");
  const anchor = `physicalPath="${WWWROOT}" />`;
  const at = text.indexOf(anchor);
  if (at < 0) throw new Error("no Default Web Site root vdir");
  const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;");
  const added = vdirs.map((v) => `\r\n                    <virtualDirectory path="${esc(v.path)}" physicalPath="${esc(v.physicalPath)}" />`).join("");
  await fsp.writeFile(file, text.slice(0, at + anchor.length) + added + text.slice(at + anchor.length));
}

describePwsh("the health evidence (runtime state, web.config files): both agents read it alike", () => {
  it("a stopped WsusPool and a web.config that turns impersonation on: both fields collected, parsed by the core, the same from both agents", async () => {
    const dir = await brokenLab(MODERN2, ["pool-stopped", "impersonation-webconfig"], { decorate: false });
    // and a web.config of our own in ClientWebService's folder, with impersonation on there too
    const webConfig = '<?xml version="1.0" encoding="utf-8"?>\r\n<configuration>\r\n  <system.web>\r\n    <identity impersonate="true" />\r\n  </system.web>\r\n</configuration>\r\n';
    await writeWindowsFile(dir, `${CLIENT}\\web.config`, webConfig);
    const { ts, ps } = await collectBoth(dir);
    expect(normalized(ps)).toEqual(normalized(ts));
    expect(ts.notes).toEqual([]);

    // runtime: appcmd's XML as printed, one element per object under <appcmd>
    const e = v2(ts);
    expect(e.runtime?.sitesXml).toMatch(/<appcmd>[\s\S]*<SITE SITE\.NAME="WSUS Administration" SITE\.ID="\d+"[^>]* state="Started"/);
    expect(e.runtime?.appPoolsXml).toMatch(/<APPPOOL APPPOOL\.NAME="WsusPool"[^>]* state="Stopped"/);
    // webConfigs: keyed as applicationHost.config writes the folder; a folder with a web.config has its text, one without has null
    expect(e.webConfigs).toMatchObject({ [CLIENT]: webConfig, [WWWROOT]: null, [SELFUPDATE]: null, "C:\\WSUS\\WsusContent": null });
    expect(e.webConfigs![ROOT]).toMatch(/impersonate="true"/);

    // the core reads both: WsusPool and the sites with their runtime state, impersonation where it is set
    const health = stateFromEvidence(e).health;
    expect(health).toBeTruthy();
    expect(health!.appPools).toContainEqual(expect.objectContaining({ name: "WsusPool", state: "Stopped" }));
    expect(health!.siteStates).toEqual({ "default web site": "Started", "wsus administration": "Started" });
    expect(health!.appPoolOf["wsus administration/clientwebservice"]).toBe("WsusPool");
    expect(health!.impersonation["wsus administration/clientwebservice"]).toBe(true);
    expect(health!.impersonationSetAt["wsus administration/clientwebservice"]).toBe(CLIENT);
    expect(health!.impersonation["default web site"]).toBe(false);
  }, 180_000);

  it("what cannot be read is left out with a note, the read goes on: appcmd failing or printing no XML, a web.config over 1 MiB, a network share, `..`", async () => {
    const dir = await brokenLab(MODERN2, [], { decorate: false });
    const state = await readLabState(dir);
    await writeLabState(dir, {
      ...state,
      faults: {
        delayMs: 0,
        fail: [
          // exit 0 but no XML (stdout empty, a message on stderr), and a plain failure
          { match: "list site /xml", exitCode: 0, stderr: "The configuration system is busy." },
          { match: "list apppool /xml", exitCode: 5, stderr: "ERROR ( message:Access is denied. )" },
        ],
        editConfigBefore: [],
      },
    });
    const big = "C:\\inetpub\\big";
    await writeWindowsFile(dir, `${big}\\web.config`, `<configuration><!-- ${"x".repeat(WEB_CONFIG_MAX_BYTES)} --></configuration>`);
    const small = "C:\\inetpub\\small";
    const smallText = "<configuration />";
    await writeWindowsFile(dir, `${small}\\Web.Config`, smallText);
    await addVdirs(dir, [
      { path: "/big", physicalPath: big },
      { path: "/small", physicalPath: small },
      { path: "/share", physicalPath: "\\\\fileserver\\wsus\\content" },
      { path: "/up", physicalPath: "C:\\inetpub\\..\\Windows" },
      { path: "/unset", physicalPath: "%NO_SUCH_VARIABLE%\\site" },
      // the WSUS site's root folder in other letters, met before the WSUS site itself
      { path: "/again", physicalPath: ROOT.toUpperCase() },
    ]);
    const { ts, ps } = await collectBoth(dir);
    expect(normalized(ps)).toEqual(normalized(ts));

    const e = v2(ts);
    expect(e.runtime).toBeUndefined();
    expect(e.webConfigs![small]).toBe(smallText); // Web.Config found as NTFS would find it
    // the WSUS site's root folder: read once, under the spelling met first (the Default Web Site's /again)
    expect(e.webConfigs![ROOT.toUpperCase()]).toMatch(/<configuration>/);
    for (const left of [big, "\\\\fileserver\\wsus\\content", "C:\\inetpub\\..\\Windows", "%NO_SUCH_VARIABLE%\\site", ROOT]) expect(Object.keys(e.webConfigs!)).not.toContain(left);
    expect(ts.notes).toEqual([
      `runtime state not read, the health rules on it say unknown: ${RUNTIME_COMMANDS.sitesXml} printed no appcmd XML: The configuration system is busy.`,
      `runtime state not read, the health rules on it say unknown: ${RUNTIME_COMMANDS.appPoolsXml} exited 5: ERROR ( message:Access is denied. )`,
      `web.config not read in ${big}, impersonation there is unknown: larger than 1 MiB`,
      "web.config not read in \\\\fileserver\\wsus\\content, impersonation there is unknown: not a local path",
      "web.config not read in C:\\inetpub\\..\\Windows, impersonation there is unknown: a relative path segment",
      "web.config not read in %NO_SUCH_VARIABLE%\\site, impersonation there is unknown: not a local path",
    ]);

    // an apply reads back the same way: the read-back's notes join the apply's own
    const ps2 = await cloneLab(dir);
    const apply: AgentRequest = {
      op: "apply",
      params: { expectedConfigHash: ts.configHash, backupName: "wsus-iis-health-0001", lockTimeoutMs: 0, guards: [], steps: [{ index: 1, command: "%windir%\\system32\\inetsrv\\appcmd.exe list site" }], rollback: [], collect: { aclPaths: [], fileDirs: [], groups: [], health: true } },
    };
    const [applyTs, applyPs] = await Promise.all([new LabTransport(dir, {}, "typescript").request(apply), new LabTransport(ps2, {}, "powershell").request(apply)]);
    if (applyTs.op !== "apply" || applyPs.op !== "apply") throw new Error("not an apply answer");
    expect(applyTs.status).toBe("applied");
    expect(applyPs.notes).toEqual(applyTs.notes);
    expect(applyTs.notes).toEqual(ts.notes);
    expect(applyPs.evidence).not.toHaveProperty("runtime");

    // the core reads it: runtime unknown, impersonation unknown below a folder not read, known elsewhere
    const health = stateFromEvidence(e).health!;
    expect(health.siteStates).toBeNull();
    expect(health.appPools.find((p) => p.name === "WsusPool")?.state).toBeNull();
    expect(health.impersonation["default web site/big"]).toBeNull();
    expect(health.impersonation["default web site/small"]).toBe(false);
    expect(health.impersonation["wsus administration"]).toBe(false);
  }, 180_000);

  it(`at most ${WEB_CONFIG_MAX_FOLDERS} folders are read; the rest are left out with one note`, async () => {
    const dir = await brokenLab(MODERN2, [], { decorate: false });
    const before = Object.keys(v2((await collectBoth(dir)).ts).webConfigs!).length;
    const extra = WEB_CONFIG_MAX_FOLDERS - before + 3;
    await addVdirs(
      dir,
      Array.from({ length: extra }, (_, i) => ({ path: `/v${i}`, physicalPath: `C:\\sites\\f${String(i).padStart(4, "0")}` })),
    );
    const { ts, ps } = await collectBoth(dir);
    expect(normalized(ps)).toEqual(normalized(ts));
    // the first 500 distinct folders in document order (the added ones sit in the Default Web Site, before the WSUS site's)
    const folders = [...new Set(parseApplicationHostConfig(v2(ts).applicationHostConfig).sites.flatMap((s) => s.applications.flatMap((a) => a.virtualDirectories.map((v) => v.physicalPath))))];
    expect(folders).toHaveLength(WEB_CONFIG_MAX_FOLDERS + 3);
    expect(Object.keys(v2(ts).webConfigs!)).toEqual(folders.slice(0, WEB_CONFIG_MAX_FOLDERS));
    expect(ts.notes).toEqual([`web.config not read in 3 more folder(s), at most ${WEB_CONFIG_MAX_FOLDERS} are read: impersonation there is unknown`]);
  }, 300_000);
});
