// The lab's side of issue 13 (the `health` rule group): a healthy lab tuned per KB 4490414, the health
// breaks (each changes exactly what it says, through the lab's own appcmd), the appcmd commands the
// repairs send (set then read back), `appcmd list … /xml` as core/evidence/runtime.ts parses it, and the
// HTTP front answering as IIS does (503 for a stopped pool, a refused connection for a stopped site,
// 500.24 for impersonation) until the repair commands run. Sources are named next to each test.
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseHealthConfig, parseWebConfigImpersonation } from "../core/evidence/health";
import { parseAppcmdList } from "../core/evidence/runtime";
import type { EvidenceV2 } from "../core/evidence/schema";
import { parseSpec } from "../core/model/spec";
import { renderAction } from "../core/plan/render";
import { exchange, probe } from "../core/probe";
import { evaluate } from "../core/rules";
import { HEALTH_RULES } from "../core/rules/health";
import { stateFromEvidence } from "../core/state/fromEvidence";
import { type Break, createLab, applyBreak, HEALTH_BREAKS as LAB_HEALTH_BREAKS } from "../lab/create";
import { collectEvidence } from "../lab/evidence";
import { labHealthView } from "../lab/health";
import { type AccessLogEntry, type LabServer, serveLab } from "../lab/http/server";
import { runCommand } from "../lab/shell";
import { readLabState } from "../lab/state";

const APPHOST = "C/Windows/System32/inetsrv/config/applicationHost.config";
const APPCMD = "%windir%\\system32\\inetsrv\\appcmd.exe";
const WSUS = "WSUS Administration";
const ROOT_FOLDER = "C:\\Program Files\\Update Services\\WebServices\\Root";

const roots: string[] = [];
const servers: LabServer[] = [];
function tempDir(): string {
  const d = mkdtempSync(path.join(tmpdir(), "wsus-lab-health-"));
  roots.push(d);
  return d;
}
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

const apphostText = (dir: string) => readFileSync(path.join(dir, APPHOST), "utf8");
const labJson = (dir: string) => {
  const j = JSON.parse(readFileSync(path.join(dir, "lab.json"), "utf8"));
  delete j.breaks;
  return j;
};
const run = async (dir: string, line: string) => {
  const r = await runCommand(dir, line);
  return { ...r, out: r.stdout.replace(/\r\n/g, "\n") };
};

/** The lines that differ between two texts: what the first has between their common head and tail, and what the second has. */
function lineDiff(a: string, b: string): { before: string[]; after: string[] } {
  const x = a.split("\r\n");
  const y = b.split("\r\n");
  let head = 0;
  while (head < x.length && head < y.length && x[head] === y[head]) head++;
  let tail = 0;
  while (tail < x.length - head && tail < y.length - head && x[x.length - 1 - tail] === y[y.length - 1 - tail]) tail++;
  return { before: x.slice(head, x.length - tail), after: y.slice(head, y.length - tail) };
}

/** The health rules' findings on a lab, from its evidence: the agent's collect plus the runtime and web.config files as the lab has them. */
async function healthFindings(dir: string) {
  const view = await labHealthView(dir);
  const collected = (await collectEvidence(dir)) as EvidenceV2;
  // the agents read the same two appcmd lines and the same web.config files (issue 13 agent work): when they do, it is the same text
  if (collected.runtime) expect(collected.runtime).toEqual(view.runtime);
  if (collected.webConfigs) expect(collected.webConfigs).toEqual(view.webConfigs);
  const state = stateFromEvidence({ ...collected, runtime: view.runtime, webConfigs: view.webConfigs });
  const spec = parseSpec({ ...((await readLabState(dir)).spec as object), rules: ["kb", "health"] });
  return evaluate(spec, state, HEALTH_RULES);
}

const COMBOS = [
  { configuration: 1, profile: "kb920659" },
  { configuration: 1, profile: "modern" },
  { configuration: 2, profile: "kb920659" },
  { configuration: 2, profile: "modern" },
] as const;

type HealthBreak = Extract<Break, `pool-${string}` | "site-stopped" | `impersonation${string}` | "compression">;
const HEALTH_BREAKS = LAB_HEALTH_BREAKS as readonly HealthBreak[];

/** The rule each break makes fail (and nothing else of the health group). */
const FAILS: Record<HealthBreak, string> = {
  "pool-private-memory": "wsuspool-private-memory",
  "pool-queue-length": "wsuspool-queue-length",
  "pool-stopped": "wsuspool-started",
  "site-stopped": "wsus-site-started",
  impersonation: "wsus-impersonation-off",
  "impersonation-webconfig": "wsus-impersonation-off",
  compression: "wsus-dynamic-compression",
};

describe.each(COMBOS)("health breaks, Configuration $configuration, profile $profile", ({ configuration, profile }) => {
  let healthyDir: string;
  let healthy: { apphost: string; labJson: unknown; webConfigs: Record<string, string | null> };
  // the site WSUS runs on: the WSUS site in Configuration 2, the Default Web Site in Configuration 1
  const wsusSite = configuration === 2 ? WSUS : "Default Web Site";
  const siteFolder = configuration === 2 ? ROOT_FOLDER : "%SystemDrive%\\inetpub\\wwwroot";

  beforeAll(async () => {
    healthyDir = tempDir();
    await createLab(healthyDir, { configuration, profile });
    healthy = { apphost: apphostText(healthyDir), labJson: labJson(healthyDir), webConfigs: (await labHealthView(healthyDir)).webConfigs };
  });

  // KB 4490414's WsusPool table and xpress line; KB 2737219 (impersonation off by default); sites and pools Started
  it("the healthy lab is a WSUS server tuned per KB 4490414: every health rule passes", async () => {
    expect(await healthFindings(healthyDir)).toEqual([]);
    const hc = parseHealthConfig(healthy.apphost);
    expect(hc.pools.find((p) => p.name === "WsusPool")).toEqual({ name: "WsusPool", queueLength: "2000", idleTimeout: "00:00:00", pingingEnabled: "false", memory: "0", privateMemory: "0", time: "00:00:00" });
    expect(hc.compressionSchemes).toEqual([{ name: "xpress", dll: "C:\\Program Files\\Update Services\\WebServices\\suscomp.dll", doDynamicCompression: "true" }]);
    // the WSUS applications run in WsusPool
    for (const s of hc.sites) for (const a of s.applications.filter((x) => x.path !== "/")) expect(a.applicationPool, `${s.name}${a.path}`).toBe("WsusPool");
    const { health } = await labHealthView(healthyDir);
    expect(Object.values(health.impersonation).every((v) => v === false)).toBe(true);
    expect(health.appPools.map((p) => p.state)).toEqual(["Started", "Started"]);
    expect(Object.values(health.siteStates ?? {}).every((s) => s === "Started")).toBe(true);
  });

  it.each(HEALTH_BREAKS.map((b) => [b]))("break %s changes exactly what it says, fails its rule, and the repair commands undo it", async (brk) => {
    const dir = tempDir();
    await createLab(dir, { configuration, profile, breaks: [brk] });
    const after = { apphost: apphostText(dir), labJson: labJson(dir), webConfigs: (await labHealthView(dir)).webConfigs };
    const diff = lineDiff(healthy.apphost, after.apphost);
    const expectedJson = structuredClone(healthy.labJson) as Record<string, unknown>;
    const expectedWeb = { ...healthy.webConfigs };
    const poolLine = (queue: string) => `            <add name="WsusPool" autoStart="true" managedRuntimeVersion="v4.0" managedPipelineMode="Integrated" queueLength="${queue}">`;
    const restartLine = (pm: string) => `                    <periodicRestart memory="0" privateMemory="${pm}" time="00:00:00" />`;
    switch (brk) {
      case "pool-private-memory":
        // WSUS setup's 1,843,200 KB (KB 4490414's table)
        expect(diff).toEqual({ before: [restartLine("0")], after: [restartLine("1843200")] });
        break;
      case "pool-queue-length":
        expect(diff).toEqual({ before: [poolLine("2000")], after: [poolLine("1000")] });
        break;
      case "pool-stopped":
        // runtime state is lab.json's, never applicationHost.config's (appcmd stop uses RSCA only: mvolo.com)
        expect(diff).toEqual({ before: [], after: [] });
        expectedJson.runtime = { sites: {}, appPools: { WsusPool: "Stopped" } };
        break;
      case "site-stopped":
        expect(diff).toEqual({ before: [], after: [] });
        expectedJson.runtime = { sites: { [wsusSite]: "Stopped" }, appPools: {} };
        break;
      case "impersonation":
        expect(diff).toEqual({
          before: [],
          after: [`    <location path="${wsusSite}">`, `        <system.web>`, `            <identity impersonate="true" />`, `        </system.web>`, `    </location>`],
        });
        break;
      case "impersonation-webconfig":
        expect(diff).toEqual({ before: [], after: [] });
        expectedWeb[siteFolder] =
          configuration === 2
            ? healthy.webConfigs[siteFolder]!.replace(`    <trust level="Full" />\r\n`, `    <trust level="Full" />\r\n    <identity impersonate="true" />\r\n`)
            : `<?xml version="1.0" encoding="UTF-8"?>\r\n<configuration>\r\n    <system.web>\r\n        <identity impersonate="true" />\r\n    </system.web>\r\n</configuration>\r\n`;
        break;
      case "compression":
        expect(diff.after).toEqual([]);
        expect(diff.before).toEqual([expect.stringMatching(/^ {12}<scheme name="xpress" doStaticCompression="false" doDynamicCompression="true" dll="C:\\Program Files\\Update Services\\WebServices\\suscomp\.dll" staticCompressionLevel="10" dynamicCompressionLevel="0" \/>$/)]);
        break;
    }
    expect(after.labJson).toEqual(expectedJson);
    expect(after.webConfigs).toEqual(expectedWeb);
    expect((await readLabState(dir)).breaks).toEqual([brk]);

    const failing = await healthFindings(dir);
    expect(failing.map((f) => `${f.rule}:${f.status}`)).toEqual([`${FAILS[brk]}:fail`]);

    // the finding's repair, as the apply would send it (or the manual command it shows, for a web.config)
    const lines = failing[0].repair.map((a) => renderAction(a) ?? (a.kind === "manual" ? /run (.*?) \(it rewrites/.exec(a.text)![1] : ""));
    for (const line of lines) expect((await run(dir, line)).exitCode, line).toBe(0);
    expect(await healthFindings(dir)).toEqual([]);
    // a setting put back is the healthy file, byte for byte
    if (brk === "pool-private-memory" || brk === "pool-queue-length" || brk === "compression") expect(apphostText(dir)).toBe(healthy.apphost);
  });
});

describe("the repair commands of the health group, as render.ts sends them (Configuration 2, modern)", () => {
  // core/plan/render.ts's exact lines; each must run on the lab and be read back by the core parsers
  it("set apppool: the six attributes on WsusPool's <add>, child elements created when missing", async () => {
    const dir = tempDir();
    await createLab(dir, {});
    const before = apphostText(dir);
    for (const line of [
      `${APPCMD} set apppool "DefaultAppPool" /queueLength:2000`,
      `${APPCMD} set apppool "DefaultAppPool" /recycling.periodicRestart.privateMemory:0`,
      `${APPCMD} set apppool "DefaultAppPool" /recycling.periodicRestart.memory:0`,
      `${APPCMD} set apppool "DefaultAppPool" /recycling.periodicRestart.time:00:00:00`,
      `${APPCMD} set apppool /apppool.name:DefaultAppPool /processModel.idleTimeout:00:00:00`,
      `${APPCMD} set apppool DefaultAppPool /processModel.pingingEnabled:false`,
    ]) {
      const r = await run(dir, line);
      expect(r).toMatchObject({ exitCode: 0, out: `APPPOOL object "DefaultAppPool" changed\n` });
    }
    expect(parseHealthConfig(apphostText(dir)).pools.find((p) => p.name === "DefaultAppPool")).toEqual({
      name: "DefaultAppPool",
      queueLength: "2000",
      privateMemory: "0",
      memory: "0",
      time: "00:00:00",
      idleTimeout: "00:00:00",
      pingingEnabled: "false",
    });
    // `<add name="DefaultAppPool" />` grew its children in the file's indentation
    expect(lineDiff(before, apphostText(dir))).toEqual({
      before: [`            <add name="DefaultAppPool" />`],
      after: [
        `            <add name="DefaultAppPool" queueLength="2000">`,
        `                <recycling>`,
        `                    <periodicRestart privateMemory="0" memory="0" time="00:00:00" />`,
        `                </recycling>`,
        `                <processModel idleTimeout="00:00:00" pingingEnabled="false" />`,
        `            </add>`,
      ],
    });
  });

  it("set apppool refuses what IIS's schema refuses: a bad value (13), an unknown attribute (87), an unknown pool (1168)", async () => {
    const dir = tempDir();
    await createLab(dir, {});
    const before = apphostText(dir);
    expect(await run(dir, `${APPCMD} set apppool WsusPool /queueLength:lots`)).toMatchObject({ exitCode: 13, out: `ERROR ( message:Failed to process attribute "queueLength".  The value "lots" is not valid for this attribute. )\n` });
    expect((await run(dir, `${APPCMD} set apppool WsusPool /processModel.idleTimeout:20`)).exitCode).toBe(13);
    expect((await run(dir, `${APPCMD} set apppool WsusPool /processModel.pingingEnabled:maybe`)).exitCode).toBe(13);
    expect(await run(dir, `${APPCMD} set apppool WsusPool /recycling.nothing:1`)).toMatchObject({ exitCode: 87, out: `ERROR ( message:Unknown attribute "recycling.nothing".  Replace with -? for help. )\n` });
    expect(await run(dir, `${APPCMD} set apppool NoSuchPool /queueLength:2000`)).toMatchObject({ exitCode: 1168, out: `ERROR ( message:Cannot find APPPOOL object with identifier "NoSuchPool". )\n` });
    expect(apphostText(dir)).toBe(before);
  });

  it("start/stop apppool and site: lab.json only, the /xml lists show it, and a start of a started object fails (no source: the fail-safe choice)", async () => {
    const dir = tempDir();
    await createLab(dir, {});
    const config = apphostText(dir);
    // "QL_Laptop" successfully started. (a public appcmd transcript); no public source shows the already-started answer
    expect(await run(dir, `${APPCMD} stop apppool /apppool.name:WsusPool`)).toMatchObject({ exitCode: 0, out: `"WsusPool" successfully stopped.\n` });
    expect(await run(dir, `${APPCMD} stop apppool /apppool.name:WsusPool`)).toMatchObject({
      exitCode: 1062,
      out: `ERROR ( hresult:80070426, message:Command execution failed.\nThe service has not been started.\n )\n`,
    });
    expect(await run(dir, `${APPCMD} stop site /site.name:"${WSUS}"`)).toMatchObject({ exitCode: 0, out: `"${WSUS}" successfully stopped.\n` });
    expect((await run(dir, `${APPCMD} list apppool WsusPool`)).out).toBe(`APPPOOL "WsusPool" (MgdVersion:v4.0,MgdMode:Integrated,state:Stopped)\n`);
    expect((await run(dir, `${APPCMD} list site /state:Stopped`)).out).toBe(`SITE "${WSUS}" (id:1572271583,bindings:http/*:8530:,https/*:8531:,state:Stopped)\n`);
    const sites = parseAppcmdList((await run(dir, `${APPCMD} list site /xml`)).stdout, "SITE", "sites");
    const pools = parseAppcmdList((await run(dir, `${APPCMD} list apppool /xml`)).stdout, "APPPOOL", "pools");
    expect(sites).toEqual([
      { name: "Default Web Site", id: 1, state: "Started" },
      { name: WSUS, id: 1572271583, state: "Stopped" },
    ]);
    expect(pools).toEqual([
      { name: "DefaultAppPool", id: null, state: "Started" },
      { name: "WsusPool", id: null, state: "Stopped" },
    ]);
    expect(apphostText(dir)).toBe(config);
    expect((await readLabState(dir)).runtime).toEqual({ sites: { [WSUS]: "Stopped" }, appPools: { WsusPool: "Stopped" } });
    // the repairs' own lines (render.ts)
    expect((await run(dir, `${APPCMD} start apppool /apppool.name:WsusPool`)).out).toBe(`"WsusPool" successfully started.\n`);
    expect((await run(dir, `${APPCMD} start site /site.name:"${WSUS}"`)).out).toBe(`"${WSUS}" successfully started.\n`);
    expect(await run(dir, `${APPCMD} start apppool WsusPool`)).toMatchObject({
      exitCode: 1056,
      out: `ERROR ( hresult:80070420, message:Command execution failed.\nAn instance of the service is already running.\n )\n`,
    });
    expect((await run(dir, `${APPCMD} start site "${WSUS}"`)).exitCode).toBe(1056);
    expect(await run(dir, `${APPCMD} start site /site.name:Nowhere`)).toMatchObject({ exitCode: 1168, out: `ERROR ( message:Cannot find SITE object with identifier "Nowhere". )\n` });
    expect(apphostText(dir)).toBe(config);
  });

  // The /xml shape public code parses from real servers (core/evidence/runtime.ts); names XML-escaped
  it("list site|apppool /xml: appcmd's XML, names escaped, parsed back by core/evidence/runtime.ts", async () => {
    const dir = tempDir();
    await createLab(dir, {});
    const name = `Tom & "Jerry" <x>`;
    expect((await run(dir, `${APPCMD} add site /name:"Tom & ""Jerry"" <x>" /id:7 /bindings:http/*:8081: /physicalPath:C:\\inetpub\\wwwroot`)).exitCode).toBe(0);
    const xml = (await run(dir, `${APPCMD} list site /xml`)).stdout;
    expect(xml.split("\r\n")).toEqual([
      `<?xml version="1.0" encoding="UTF-8"?>`,
      `<appcmd>`,
      `    <SITE SITE.NAME="Default Web Site" SITE.ID="1" bindings="http/*:80:" state="Started" />`,
      `    <SITE SITE.NAME="${WSUS}" SITE.ID="1572271583" bindings="http/*:8530:,https/*:8531:" state="Started" />`,
      `    <SITE SITE.NAME="Tom &amp; &quot;Jerry&quot; &lt;x&gt;" SITE.ID="7" bindings="http/*:8081:" state="Started" />`,
      `</appcmd>`,
      ``,
    ]);
    expect(parseAppcmdList(xml, "SITE", "x").map((s) => s.name)).toEqual(["Default Web Site", WSUS, name]);
    expect((await run(dir, `${APPCMD} list apppool /xml`)).stdout.split("\r\n")[2]).toBe(`    <APPPOOL APPPOOL.NAME="DefaultAppPool" PipelineMode="Integrated" RuntimeVersion="v4.0" state="Started" />`);
    expect((await run(dir, `${APPCMD} list site "${WSUS}" /xml`)).stdout.split("\r\n")).toHaveLength(5);
  });

  it("httpCompression: KB 4490414's xpress line added with /+, fixed with /[name='xpress'].attr, removed with /-; duplicates and missing elements refused", async () => {
    const dir = tempDir();
    await createLab(dir, { breaks: ["compression"] });
    const dll = "C:\\Program Files\\Update Services\\WebServices\\suscomp.dll";
    const add = `${APPCMD} set config -section:system.webServer/httpCompression /+"[name='xpress',doStaticCompression='false',doDynamicCompression='true',dll='${dll}',staticCompressionLevel='10',dynamicCompressionLevel='0']" /commit:apphost`;
    expect(await run(dir, add)).toMatchObject({
      exitCode: 0,
      out: `Applied configuration changes to section "system.webServer/httpCompression" for "MACHINE/WEBROOT/APPHOST" at configuration commit path "MACHINE/WEBROOT/APPHOST"\n`,
    });
    expect(parseHealthConfig(apphostText(dir)).compressionSchemes).toEqual([{ name: "xpress", dll, doDynamicCompression: "true" }]);
    expect(await run(dir, add)).toMatchObject({ exitCode: 183, out: `ERROR ( message:Cannot add duplicate collection entry of type 'scheme' with unique key attribute 'name' set to 'xpress' )\n` });
    expect((await run(dir, `${APPCMD} set config -section:system.webServer/httpCompression "/[name='xpress'].dll:D:\\x.dll" /[name='xpress'].doDynamicCompression:False /commit:apphost`)).exitCode).toBe(0);
    expect(parseHealthConfig(apphostText(dir)).compressionSchemes).toEqual([{ name: "xpress", dll: "D:\\x.dll", doDynamicCompression: "false" }]);
    // the repair's "exists" form (render.ts)
    expect((await run(dir, `${APPCMD} set config -section:system.webServer/httpCompression "/[name='xpress'].dll:${dll}" /[name='xpress'].doDynamicCompression:true /commit:apphost`)).exitCode).toBe(0);
    expect(parseHealthConfig(apphostText(dir)).compressionSchemes).toEqual([{ name: "xpress", dll, doDynamicCompression: "true" }]);
    expect((await run(dir, `${APPCMD} list config -section:httpCompression /text:directory`)).out).toBe("%SystemDrive%\\inetpub\\temp\\IIS Temporary Compressed Files\n");
    expect(await run(dir, `${APPCMD} set config -section:system.webServer/httpCompression /[name='gzip'].dll:x /commit:apphost`)).toMatchObject({ exitCode: 1168, out: `ERROR ( message:Cannot find requested collection element. )\n` });
    expect((await run(dir, `${APPCMD} set config -section:system.webServer/httpCompression /+"[name='x',staticCompressionLevel='11']" /commit:apphost`)).exitCode).toBe(13);
    expect((await run(dir, `${APPCMD} set config -section:system.webServer/httpCompression /-"[name='xpress']" /commit:apphost`)).exitCode).toBe(0);
    expect(parseHealthConfig(apphostText(dir)).compressionSchemes).toEqual([]);
  });

  it("system.web/identity: /commit:apphost writes a <location>, without it the folder's web.config; list config shows the effective value", async () => {
    const dir = tempDir();
    await createLab(dir, {});
    // KB 2737219's fix, as render.ts sends it: at the site, in applicationHost.config
    expect(await run(dir, `${APPCMD} set config "${WSUS}" -section:system.web/identity /impersonate:true /commit:apphost`)).toMatchObject({
      exitCode: 0,
      out: `Applied configuration changes to section "system.web/identity" for "MACHINE/WEBROOT/APPHOST/${WSUS}" at configuration commit path "MACHINE/WEBROOT/APPHOST"\n`,
    });
    expect(parseHealthConfig(apphostText(dir)).impersonation).toEqual(new Map([["wsus administration", "true"]]));
    // inherited by every application (their web.config files do not set it)
    expect((await run(dir, `${APPCMD} list config "${WSUS}/ClientWebService" -section:system.web/identity`)).out).toBe(`<system.web>\n  <identity impersonate="true" />\n</system.web>\n`);
    // without /commit:apphost: the web.config of the application's folder (an application's own setting wins)
    expect(await run(dir, `${APPCMD} set config "${WSUS}/ClientWebService" -section:system.web/identity /impersonate:false`)).toMatchObject({
      exitCode: 0,
      out: `Applied configuration changes to section "system.web/identity" for "MACHINE/WEBROOT/APPHOST/${WSUS}/ClientWebService" at configuration commit path "MACHINE/WEBROOT/APPHOST/${WSUS}/ClientWebService"\n`,
    });
    const cws = readFileSync(path.join(dir, "C/Program Files/Update Services/WebServices/ClientWebService/web.config"), "utf8");
    expect(parseWebConfigImpersonation(cws, "cws")).toEqual(new Map([["", "false"]]));
    expect((await run(dir, `${APPCMD} list config "${WSUS}/ClientWebService" -section:system.web/identity /text:impersonate`)).out).toBe("false\n");
    expect((await run(dir, `${APPCMD} list config "${WSUS}/Selfupdate" -section:identity /text:impersonate`)).out).toBe("true\n");
    // a folder that does not exist gets no web.config
    expect((await run(dir, `${APPCMD} set config "${WSUS}/Selfupdate/nowhere" -section:system.web/identity /impersonate:true`)).exitCode).toBe(3);
    // the IIS sections stay locked for web.config (overrideModeDefault="Deny"), as before
    expect((await run(dir, `${APPCMD} set config "${WSUS}" -section:anonymousAuthentication /enabled:false`)).exitCode).toBe(33);
  });

  it("a web.config behind a symlink out of the lab is neither read nor written (lab/fs.ts confinement): Access is denied", async () => {
    const dir = tempDir();
    await createLab(dir, {});
    const outside = tempDir();
    writeFileSync(path.join(outside, "web.config"), "<configuration />");
    const link = path.join(dir, "C/Program Files/Update Services/WebServices/Root/web.config");
    rmSync(link);
    symlinkSync(path.join(outside, "web.config"), link);
    expect(await run(dir, `${APPCMD} set config "${WSUS}" -section:system.web/identity /impersonate:true`)).toMatchObject({ exitCode: 5, stderr: "Access is denied.\r\n" });
    expect(readFileSync(path.join(outside, "web.config"), "utf8")).toBe("<configuration />");
    await expect(labHealthView(dir)).rejects.toThrow(/leads outside the lab folder/);
  });
});

// ---------------------------------------------------------------------------------------------------
// The HTTP front

const log: AccessLogEntry[] = [];
async function served(configuration: 1 | 2, profile: "kb920659" | "modern", breaks: Break[] = []) {
  const dir = tempDir();
  await createLab(dir, { configuration, profile, breaks });
  const server = await serveLab(dir, { portMap: { 80: 0, 8530: 0 }, pollMs: 0, onRequest: (e) => log.push(e) });
  servers.push(server);
  const base = (site: string) => server.endpoints.find((e) => e.site === site && e.address === "127.0.0.1")!.url.replace(/\/$/, "");
  const get = (url: string) => exchange(url, { timeoutMs: 5000 });
  return { dir, server, base, get };
}

describe("the HTTP front answers as IIS does", () => {
  // "All applications routed to a stopped application pool receive 503 Service Unavailable errors"
  // (Microsoft Learn cc732742); HTTP.sys logs it as `503 … AppOffline WsusPool` (httperr-wsuspool-appoffline.txt)
  it("pool-stopped (Configuration 2): HTTP.sys's 503 for every URL of the WSUS site, logged AppOffline WsusPool; 200 once the pool is started", async () => {
    const { dir, server, base, get } = await served(2, "modern", ["pool-stopped"]);
    const wsus = base(WSUS);
    for (const p of ["/selfupdate/iuident.cab", "/ClientWebService/wusserverversion.xml", "/", "/Content/anonymousCheckFile.txt", "/nothing/here"]) {
      const r = await get(wsus + p);
      expect(r, p).toMatchObject({ status: 503, substatus: null });
    }
    expect(log.find((e) => e.url === "/selfupdate/iuident.cab" && e.status === 503)).toMatchObject({ httpErr: "AppOffline WsusPool", site: WSUS });
    // the Default Web Site runs in DefaultAppPool
    expect((await get(base("Default Web Site") + "/iisstart.htm")).status).toBe(200);
    const r = await probe(wsus, { timeoutMs: 5000 });
    expect(r.compliant).toBe(false);
    expect(r.rules).toEqual(["wsuspool-started"]);
    expect(r.checks.every((c) => c.status === 503 && c.rules.join() === "wsuspool-started")).toBe(true);
    expect(r.checks[0].message).toMatch(/503 Service Unavailable: the application pool that serves it is not running \(rule wsuspool-started/);
    expect((await run(dir, `${APPCMD} start apppool /apppool.name:WsusPool`)).exitCode).toBe(0);
    await server.reload();
    expect((await get(wsus + "/selfupdate/iuident.cab")).status).toBe(200);
    expect((await probe(wsus, { timeoutMs: 5000 })).compliant).toBe(true);
  });

  it("pool-stopped (Configuration 1): the owning application decides: /selfupdate (a vdir of the root application, DefaultAppPool) still 200, ClientWebService (WsusPool) 503", async () => {
    const { base, get } = await served(1, "modern", ["pool-stopped"]);
    const site = base("Default Web Site");
    expect((await get(site + "/selfupdate/iuident.cab")).status).toBe(200);
    expect((await get(site + "/ClientWebService/wusserverversion.xml")).status).toBe(503);
    expect((await get(site + "/clientwebservice/Client.asmx")).status).toBe(503);
    const r = await probe(site, { timeoutMs: 5000 });
    expect(r.rules).toEqual(["wsuspool-started"]);
    expect(r.checks.find((c) => c.name === "clientwebservice-version")).toMatchObject({ status: 503, level: "fail", rules: ["wsuspool-started"] });
    expect(r.checks.find((c) => c.name === "selfupdate-iuident")).toMatchObject({ status: 200, level: "pass" });
  });

  // A stopped site has no URL registration: "server not found" when "your site may be stopped" (mvolo.com)
  it("site-stopped: the WSUS site's port refuses connections; the Default Web Site still answers; start site brings it back", async () => {
    const { dir, server, base, get } = await served(2, "kb920659", ["site-stopped"]);
    // kb920659 Configuration 2: the clients' SelfUpdate on the Default Web Site (80) is not affected
    expect((await get(base("Default Web Site") + "/selfupdate/iuident.cab")).status).toBe(200);
    expect(server.endpoints.some((e) => e.site === WSUS)).toBe(false);
    expect(server.notServed).toContainEqual({ site: WSUS, binding: "*:8530:", protocol: "http", reason: "the site is stopped (appcmd list site: state:Stopped)" });
    expect((await run(dir, `${APPCMD} start site /site.name:"${WSUS}"`)).exitCode).toBe(0);
    await server.reload();
    const wsus = base(WSUS);
    // the WSUS 2.0 layout's Windows-auth vdir (KB 920659)
    expect((await get(wsus + "/WSUSAdmin/")).status).toBe(401);
    // stopped again: the same port now refuses
    expect((await run(dir, `${APPCMD} stop site /site.name:"${WSUS}"`)).exitCode).toBe(0);
    await server.reload();
    expect((await get(wsus + "/WSUSAdmin/")).status).toBe("refused");
    const r = await probe(wsus, { timeoutMs: 5000 });
    expect(r.rules).toEqual(["wsus-site-started"]);
    expect(r.causes).toEqual([3, 5]);
    expect(r.checks[0].message).toMatch(/or the site bound to it is stopped \(rule wsus-site-started/);
  });

  it("site-stopped (Configuration 1): the Default Web Site stopped, port 80 refuses; probe names wsus-site-started", async () => {
    const { dir, server } = await served(1, "modern");
    const url = server.endpoints.find((e) => e.site === "Default Web Site")!.url.replace(/\/$/, "");
    expect((await exchange(url + "/selfupdate/wuident.cab", { timeoutMs: 5000 })).status).toBe(200);
    await applyBreak(dir, "site-stopped");
    await server.reload();
    const r = await probe(url, { timeoutMs: 5000 });
    expect(r.checks.every((c) => c.status === "refused")).toBe(true);
    expect(r.rules).toEqual(["wsus-site-started"]);
  });

  // KB 2737219's W3C log: every WSUS endpoint 500 24, `GET /selfupdate/iuident.cab` included; its trace:
  // ConfigurationValidationModule, 0x80070032, authentication not yet run
  it.each([["impersonation" as const], ["impersonation-webconfig" as const]])("%s: 500.24 on every WSUS URL, static files and Windows-auth vdirs too; 200 after the repair", async (brk) => {
    const { dir, server, base, get } = await served(2, "modern", [brk]);
    const wsus = base(WSUS);
    for (const p of ["/selfupdate/iuident.cab", "/ClientWebService/Client.asmx", "/ApiRemoting30/WebService.asmx", "/Content/", "/no/such/file"]) {
      expect(await get(wsus + p), p).toMatchObject({ status: 500, substatus: "500.24", hresult: "0x80070032" });
    }
    // another site, another configuration path
    expect((await get(base("Default Web Site") + "/iisstart.htm")).status).toBe(200);
    const r = await probe(wsus, { timeoutMs: 5000 });
    expect(r.rules).toEqual(["wsus-impersonation-off"]);
    expect(r.checks.every((c) => c.level === "fail" && c.rules.join() === "wsus-impersonation-off")).toBe(true);
    // KB 2737219's fix: at the site, where the setting is (render.ts's line; the manual one for a web.config)
    const fix = `${APPCMD} set config "${WSUS}" -section:system.web/identity /impersonate:false${brk === "impersonation" ? " /commit:apphost" : ""}`;
    expect((await run(dir, fix)).exitCode).toBe(0);
    await server.reload();
    expect((await get(wsus + "/selfupdate/iuident.cab")).status).toBe(200);
    expect((await probe(wsus, { timeoutMs: 5000 })).compliant).toBe(true);
  });

  it("a web.config edited while serving is seen on the next request (no applicationHost.config change needed)", async () => {
    const { dir, base, get } = await served(2, "modern");
    const wsus = base(WSUS);
    expect((await get(wsus + "/selfupdate/iuident.cab")).status).toBe(200);
    expect((await run(dir, `${APPCMD} set config "${WSUS}/Selfupdate" -section:system.web/identity /impersonate:true`)).exitCode).toBe(0);
    // only the Selfupdate vdir (its folder's web.config); ClientWebService is a sibling
    expect(await get(wsus + "/selfupdate/iuident.cab")).toMatchObject({ status: 500, substatus: "500.24" });
    expect((await get(wsus + "/ClientWebService/wusserverversion.xml")).status).toBe(200);
  });
});
