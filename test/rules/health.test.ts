// The health group (issue 13): each rule passing and failing on evidence parsed the way a server's is
// (applicationHost.config text, appcmd /xml output, web.config files), with the values and sources of
// KB 4490414 (WsusPool), KB 2737219 (impersonation) and the IIS settings schema (defaults).
import { describe, expect, it } from "vitest";
import { formatIisTimeSpan, parseIisTimeSpanMinutes } from "../../core/evidence/health";
import { parseAppcmdList } from "../../core/evidence/runtime";
import { parseSpec, type SpecInput } from "../../core/model/spec";
import { plan } from "../../core/plan/planner";
import { evaluate, layoutFor, RULES } from "../../core/rules";
import { planViolations } from "../../core/plan/safety";
import { simulate } from "../../core/plan/simulate";
import { HEALTH_RULES } from "../../core/rules/health";
import { resolveLayout } from "../../core/model/layout";
import { stateFromLayout } from "../../core/state/fromDeclaration";
import { stateFromEvidence } from "../../core/state/fromEvidence";

const WSUS = "WSUS Administration";
const APPS = ["ApiRemoting30", "ClientWebService", "DssAuthWebService", "ServerSyncWebService", "SimpleAuthWebService", "ReportingWebService", "Inventory"];
/** KB 4490414's recommended WsusPool values. */
const TUNED = `queueLength="2000"`;
const TUNED_CHILDREN = `<processModel idleTimeout="00:00:00" pingingEnabled="false" /><recycling><periodicRestart memory="0" privateMemory="0" time="00:00:00" /></recycling>`;
const XPRESS = `<scheme name="xpress" doStaticCompression="false" doDynamicCompression="true" dll="C:\\Program Files\\Update Services\\WebServices\\suscomp.dll" staticCompressionLevel="10" dynamicCompressionLevel="0" />`;

interface Server {
  pool?: string; // WsusPool's <add> attributes and children
  poolAttrs?: string;
  poolChildren?: string;
  poolDefaults?: string;
  appsPool?: string;
  compression?: string;
  locations?: string;
  sitesXml?: string | null;
  poolsXml?: string;
  webConfigs?: Record<string, string | null> | null;
}

function apphost(s: Server = {}): string {
  const pool = s.pool ?? "WsusPool";
  const appsPool = s.appsPool ?? pool;
  const apps = APPS.map((a) => `<application path="/${a}" applicationPool="${appsPool}"><virtualDirectory path="/" physicalPath="C:\\Program Files\\Update Services\\WebServices\\${a}" /></application>`).join("");
  return `<?xml version="1.0" encoding="UTF-8"?>
<configuration>
  <system.applicationHost>
    <applicationPools>
      <add name="DefaultAppPool" />
      <add name="${pool}" ${s.poolAttrs ?? TUNED}>${s.poolChildren ?? TUNED_CHILDREN}</add>
      <applicationPoolDefaults managedRuntimeVersion="v4.0" ${s.poolDefaults ?? ""}><processModel identityType="ApplicationPoolIdentity" /></applicationPoolDefaults>
    </applicationPools>
    <sites>
      <site name="Default Web Site" id="1"><application path="/" applicationPool="DefaultAppPool"><virtualDirectory path="/" physicalPath="%SystemDrive%\\inetpub\\wwwroot" /></application><bindings><binding protocol="http" bindingInformation="*:80:" /></bindings></site>
      <site name="${WSUS}" id="1572271583">
        <application path="/" applicationPool="${appsPool}"><virtualDirectory path="/" physicalPath="C:\\Program Files\\Update Services\\WebServices\\Root" /><virtualDirectory path="/Content" physicalPath="C:\\WSUS\\WsusContent" /><virtualDirectory path="/Selfupdate" physicalPath="C:\\Program Files\\Update Services\\Selfupdate" /></application>
        ${apps}
        <bindings><binding protocol="http" bindingInformation="*:8530:" /><binding protocol="https" bindingInformation="*:8531:" /></bindings>
      </site>
      <applicationDefaults applicationPool="DefaultAppPool" />
    </sites>
  </system.applicationHost>
  <system.webServer>
    <httpCompression directory="%SystemDrive%\\inetpub\\temp\\IIS Temporary Compressed Files">${s.compression ?? XPRESS}<scheme name="gzip" dll="%Windir%\\system32\\inetsrv\\gzip.dll" /></httpCompression>
    <security><authentication><anonymousAuthentication enabled="true" userName="" /><windowsAuthentication enabled="false" /></authentication></security>
  </system.webServer>
  <location path="${WSUS}/ApiRemoting30"><system.webServer><security><authentication><anonymousAuthentication enabled="false" /><windowsAuthentication enabled="true" /></authentication></security></system.webServer></location>
  ${s.locations ?? ""}
</configuration>`;
}

const sitesXml = (wsusState = "Started", wsusName = WSUS) =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<appcmd>\n    <SITE SITE.NAME="Default Web Site" SITE.ID="1" bindings="http/*:80:" state="Started" />\n    <SITE SITE.NAME="${wsusName}" SITE.ID="1572271583" bindings="http/*:8530:,https/*:8531:" state="${wsusState}" />\n</appcmd>\n`;
const poolsXml = (state = "Started", pool = "WsusPool") =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<appcmd>\n    <APPPOOL APPPOOL.NAME="DefaultAppPool" PipelineMode="Integrated" RuntimeVersion="v4.0" state="Started" />\n    <APPPOOL APPPOOL.NAME="${pool}" PipelineMode="Integrated" RuntimeVersion="v4.0" state="${state}" />\n</appcmd>\n`;

/** Every folder the sites map, without a web.config (what the agent reports for a default install). */
function noWebConfigs(): Record<string, string | null> {
  const dirs = ["%SystemDrive%\\inetpub\\wwwroot", "C:\\Program Files\\Update Services\\WebServices\\Root", "C:\\WSUS\\WsusContent", "C:\\Program Files\\Update Services\\Selfupdate", ...APPS.map((a) => `C:\\Program Files\\Update Services\\WebServices\\${a}`)];
  return Object.fromEntries(dirs.map((d) => [d, null]));
}

function check(server: Server = {}, spec: SpecInput = {}) {
  const s = parseSpec({ configuration: 2, profile: "modern", sharePoint: { expected: "no" }, rules: ["kb", "health"], ...spec });
  const evidence = {
    schema: "wsus-iis/evidence@2",
    computerName: "WSUS01",
    applicationHostConfig: apphost(server),
    ...(server.sitesXml === null ? {} : { runtime: { sitesXml: server.sitesXml ?? sitesXml(), appPoolsXml: server.poolsXml ?? poolsXml() } }),
    ...(server.webConfigs === null ? {} : { webConfigs: server.webConfigs ?? noWebConfigs() }),
  };
  const state = stateFromEvidence(evidence);
  const findings = evaluate(s, state, HEALTH_RULES);
  return { spec: s, state, findings, failing: findings.filter((f) => f.status === "fail"), unknown: findings.filter((f) => f.status === "unknown") };
}

describe("a WSUS server tuned per KB 4490414, started, without impersonation, with xpress: every health rule passes", () => {
  it("no finding at all", () => {
    expect(check().findings).toEqual([]);
  });
  it("the default spec (rules: [kb]) runs no health rule, whatever the server", () => {
    const broken = check({ poolAttrs: "", poolChildren: "", sitesXml: sitesXml("Stopped") });
    const kbOnly = evaluate(parseSpec({ configuration: 2, profile: "modern", sharePoint: { expected: "no" } }), broken.state, RULES);
    expect(kbOnly.filter((f) => HEALTH_RULES.some((r) => r.id === f.rule))).toEqual([]);
    expect(broken.failing.length).toBeGreaterThan(0);
  });
});

describe("WsusPool settings (KB 4490414), values from applicationHost.config with IIS schema defaults", () => {
  it("a pool with no attributes at all has the IIS defaults (queue 1000, 29 h restart, idle 20 min, ping on; memory limits 0): four rules fail", () => {
    const { failing } = check({ poolAttrs: "", poolChildren: "" });
    expect(failing.map((f) => f.rule).sort()).toEqual(["wsuspool-idle-timeout", "wsuspool-periodic-restart", "wsuspool-ping", "wsuspool-queue-length"]);
    expect(failing.find((f) => f.rule === "wsuspool-queue-length")!.message).toContain("queue length is 1000, expected 2000 or more");
    expect(failing.find((f) => f.rule === "wsuspool-periodic-restart")!.message).toContain("1740 minutes");
  });

  it("WSUS setup's values (KB 4490414's table: privateMemory 1,843,200 KB, time 1740 min): each rule fails with its appcmd repair", () => {
    const { failing } = check({ poolAttrs: `queueLength="1000"`, poolChildren: `<processModel idleTimeout="00:20:00" pingingEnabled="true" /><recycling><periodicRestart memory="4194304" privateMemory="1843200" time="1.05:00:00" /></recycling>` });
    const byRule = Object.fromEntries(failing.map((f) => [f.rule, f.remediation]));
    expect(byRule).toEqual({
      "wsuspool-queue-length": '%windir%\\system32\\inetsrv\\appcmd.exe set apppool WsusPool /queueLength:2000',
      "wsuspool-private-memory": "%windir%\\system32\\inetsrv\\appcmd.exe set apppool WsusPool /recycling.periodicRestart.privateMemory:0",
      "wsuspool-virtual-memory": "%windir%\\system32\\inetsrv\\appcmd.exe set apppool WsusPool /recycling.periodicRestart.memory:0",
      "wsuspool-periodic-restart": "%windir%\\system32\\inetsrv\\appcmd.exe set apppool WsusPool /recycling.periodicRestart.time:00:00:00",
      "wsuspool-idle-timeout": "%windir%\\system32\\inetsrv\\appcmd.exe set apppool WsusPool /processModel.idleTimeout:00:00:00",
      "wsuspool-ping": "%windir%\\system32\\inetsrv\\appcmd.exe set apppool WsusPool /processModel.pingingEnabled:false",
    });
  });

  it("applicationPoolDefaults apply to a pool that does not set the attribute (IIS inheritance); the pool's own value wins", () => {
    expect(check({ poolAttrs: "", poolChildren: TUNED_CHILDREN, poolDefaults: `queueLength="5000"` }).failing).toEqual([]);
    expect(check({ poolAttrs: `queueLength="1500"`, poolDefaults: `queueLength="5000"` }).failing.map((f) => f.rule)).toEqual(["wsuspool-queue-length"]);
  });

  it("the pool is the one the WSUS applications run in, not a hard-coded name: a badly tuned DefaultAppPool is not judged", () => {
    const { failing, findings } = check({ pool: "WSUS Pool 2", poolsXml: poolsXml("Started", "WSUS Pool 2") });
    expect(findings).toEqual([]);
    expect(failing).toEqual([]);
    const renamed = check({ pool: "WSUS Pool 2", poolAttrs: `queueLength="100"`, poolsXml: poolsXml("Started", "WSUS Pool 2") });
    expect(renamed.failing).toEqual([expect.objectContaining({ rule: "wsuspool-queue-length", target: "WSUS Pool 2" })]);
    expect(renamed.failing[0].remediation).toContain('set apppool "WSUS Pool 2" /queueLength:2000');
  });

  it("health.appPool names the pool; one that does not exist is a failure without a repair", () => {
    expect(check({}, { health: { appPool: "DefaultAppPool" } }).failing.map((f) => f.rule).sort()).toEqual(["wsuspool-idle-timeout", "wsuspool-periodic-restart", "wsuspool-ping", "wsuspool-queue-length"]);
    const missing = check({}, { health: { appPool: "NoSuchPool" } }).failing;
    expect(missing.length).toBeGreaterThan(0);
    expect(missing.every((f) => f.target === "NoSuchPool" && f.repair.length === 0)).toBe(true);
  });

  it("thresholds are the spec's: a hardening baseline's queue length of 1000 (DISA IIS STIG) passes with minQueueLength 1000", () => {
    expect(check({ poolAttrs: `queueLength="1000"` }, { health: { minQueueLength: 1000 } }).failing).toEqual([]);
    expect(check({ poolAttrs: `queueLength="999"` }, { health: { minQueueLength: 1000 } }).failing.map((f) => f.rule)).toEqual(["wsuspool-queue-length"]);
  });

  it("a memory limit is at least the spec's when the spec sets one (0 always passes); the spec rejects a negative value naming the field", () => {
    expect(check({ poolChildren: `<processModel idleTimeout="00:00:00" pingingEnabled="false" /><recycling><periodicRestart memory="0" privateMemory="8000000" time="00:00:00" /></recycling>` }, { health: { privateMemoryKb: 4000000 } }).failing).toEqual([]);
    expect(() => parseSpec({ health: { privateMemoryKb: -1 } })).toThrow(/health\.privateMemoryKb/);
    expect(() => parseSpec({ rules: ["kb", "helth"] })).toThrow(/rules\.1: expected kb or health/);
  });

  it("a pool the WSUS applications name but applicationHost.config does not define fails (every request would get 503)", () => {
    const { failing } = check({ appsPool: "GonePool" });
    expect(failing.some((f) => f.target === "GonePool" && /not defined/.test(f.message))).toBe(true);
  });
});

describe("IIS timeSpan values", () => {
  it.each([
    ["00:00:00", 0],
    ["00:20:00", 20],
    ["1.05:00:00", 1740],
    ["29:00:00", 1740],
    ["00:00:30", 1],
  ])("%s is %i minutes (seconds rounded up, so 30 s is not 0 = off)", (text, minutes) => {
    expect(parseIisTimeSpanMinutes(text)).toBe(minutes);
  });
  it("unreadable values are undefined (then the default applies), and formatting round-trips", () => {
    expect(parseIisTimeSpanMinutes("20 minutes")).toBeUndefined();
    expect(parseIisTimeSpanMinutes("00:61:00")).toBeUndefined();
    expect(formatIisTimeSpan(1740)).toBe("1.05:00:00");
    expect(parseIisTimeSpanMinutes(formatIisTimeSpan(1740))).toBe(1740);
  });
});

describe("wsus-impersonation-off (KB 2737219: HTTP 500.24 on every endpoint)", () => {
  const onAt = (path: string, value = "true") => `<location path="${path}"><system.web><identity impersonate="${value}" /></system.web></location>`;

  it("on at the WSUS site in applicationHost.config: one finding for the site and its children, repaired there with /commit:apphost", () => {
    const { failing } = check({ locations: onAt(WSUS) });
    expect(failing).toHaveLength(1);
    expect(failing[0]).toMatchObject({ rule: "wsus-impersonation-off", target: `${WSUS}/` });
    expect(failing[0].message).toContain("and 9 path(s) below it"); // 7 applications, Content and Selfupdate
    expect(failing[0].remediation).toBe('%windir%\\system32\\inetsrv\\appcmd.exe set config "WSUS Administration" -section:system.web/identity /impersonate:false /commit:apphost');
  });

  it("on at one child only (ClientWebService): the finding and the repair name that child", () => {
    const { failing } = check({ locations: onAt(`${WSUS}/ClientWebService`) });
    expect(failing.map((f) => f.target)).toEqual([`${WSUS}/ClientWebService`]);
    expect(failing[0].remediation).toContain('"WSUS Administration/ClientWebService" -section:system.web/identity /impersonate:false /commit:apphost');
  });

  it("set in the site folder's web.config: a manual step with the command (an IIS backup does not save web.config files)", () => {
    const webConfigs = { ...noWebConfigs(), "C:\\Program Files\\Update Services\\WebServices\\Root": `<?xml version="1.0"?><configuration><system.web><identity impersonate="true" /></system.web></configuration>` };
    const { failing } = check({ webConfigs });
    expect(failing).toHaveLength(1);
    expect(failing[0].repair).toEqual([expect.objectContaining({ kind: "manual" })]);
    expect(failing[0].remediation).toContain('appcmd.exe set config "WSUS Administration" -section:system.web/identity /impersonate:false');
    expect(failing[0].message).toContain("WebServices\\Root");
  });

  it("a child's web.config turning it off again wins over its parent (the deeper file); the parent still fails", () => {
    const webConfigs = { ...noWebConfigs(), "C:\\Program Files\\Update Services\\WebServices\\ClientWebService": `<configuration><system.web><identity impersonate="false" /></system.web></configuration>` };
    const { state } = check({ locations: onAt(WSUS), webConfigs });
    expect(state.health!.impersonation["wsus administration/clientwebservice"]).toBe(false);
    expect(state.health!.impersonation["wsus administration/simpleauthwebservice"]).toBe(true);
  });

  it("web.config files not collected (older evidence): unknown, not pass; an applicationHost.config setting still fails", () => {
    const { unknown, failing } = check({ webConfigs: null });
    expect(failing).toEqual([]);
    expect(unknown.map((f) => f.rule)).toEqual(["wsus-impersonation-off"]);
    expect(check({ webConfigs: null, locations: onAt(WSUS) }).failing.map((f) => f.rule)).toEqual(["wsus-impersonation-off"]);
  });

  it("a malformed web.config is an evidence error naming the folder", () => {
    expect(() => check({ webConfigs: { ...noWebConfigs(), "C:\\WSUS\\WsusContent": "<configuration><system.web>" } })).toThrow(/webConfigs\["C:\\\\WSUS\\\\WsusContent"\]/);
  });
});

describe("wsus-dynamic-compression (KB 4490414: the xpress scheme and suscomp.dll)", () => {
  it("no xpress scheme: a warning with the appcmd line that adds KB 4490414's scheme, and the KB's DynamicCompression.vbs as the alternative", () => {
    const { findings } = check({ compression: "" });
    expect(findings).toEqual([expect.objectContaining({ rule: "wsus-dynamic-compression", status: "fail", severity: "warning" })]);
    expect(findings[0].remediation).toContain(
      `-section:system.webServer/httpCompression /+"[name='xpress',doStaticCompression='false',doDynamicCompression='true',dll='C:\\Program Files\\Update Services\\WebServices\\suscomp.dll',staticCompressionLevel='10',dynamicCompressionLevel='0']" /commit:apphost`,
    );
    expect(findings[0].remediation).toContain("DynamicCompression.vbs");
  });
  it("a scheme pointing elsewhere or not dynamic is fixed in place; %ProgramFiles% in the dll path is the same file", () => {
    expect(check({ compression: `<scheme name="xpress" dll="C:\\old\\suscomp.dll" doDynamicCompression="true" />` }).findings[0].remediation).toContain(`"/[name='xpress'].dll:C:\\Program Files\\Update Services\\WebServices\\suscomp.dll" /[name='xpress'].doDynamicCompression:true /commit:apphost`);
    expect(check({ compression: `<scheme name="xpress" dll="C:\\Program Files\\Update Services\\WebServices\\suscomp.dll" doDynamicCompression="false" />` }).findings[0].message).toContain("doDynamicCompression false");
    expect(check({ compression: `<scheme name="XPRESS" dll="%ProgramFiles%\\Update Services\\WebServices\\suscomp.dll" />` }).findings).toEqual([]);
  });
  it("health.compression: false skips it (KB 4490414 calls it optional)", () => {
    expect(check({ compression: "" }, { health: { compression: false } }).findings).toEqual([]);
  });
});

describe("runtime state: wsus-site-started and wsuspool-started (appcmd list … /xml)", () => {
  it("a stopped WSUS site fails with appcmd start site; a stopped pool with appcmd start apppool", () => {
    const site = check({ sitesXml: sitesXml("Stopped") }).failing;
    expect(site.map((f) => [f.rule, f.remediation])).toEqual([["wsus-site-started", '%windir%\\system32\\inetsrv\\appcmd.exe start site /site.name:"WSUS Administration"']]);
    const pool = check({ poolsXml: poolsXml("Stopped") }).failing;
    expect(pool.map((f) => f.rule)).toEqual(["wsuspool-started"]);
    expect(pool[0].remediation).toContain("appcmd.exe start apppool /apppool.name:WsusPool");
    expect(pool[0].message).toContain("HTTP 503");
  });
  it("Starting counts as running; sites are matched by SITE.ID, so a name garbled by a code page still matches", () => {
    expect(check({ sitesXml: sitesXml("Starting") }).findings).toEqual([]);
    expect(check({ sitesXml: sitesXml("Stopped", "WSUS-Verwaltung\uFFFD") }).failing.map((f) => f.rule)).toEqual(["wsus-site-started"]);
  });
  it("no runtime evidence: both rules say unknown", () => {
    expect(check({ sitesXml: null }).unknown.map((f) => f.rule).sort()).toEqual(["wsus-site-started", "wsuspool-started"]);
  });
  it("appcmd output that is not appcmd /xml is an evidence error naming the field", () => {
    expect(() => parseAppcmdList("ERROR ( message:Unknown attribute )", "SITE", "runtime.sitesXml")).toThrow(/runtime\.sitesXml/);
    expect(() => parseAppcmdList("<config/>", "SITE", "runtime.sitesXml")).toThrow(/expected <appcmd>/);
    expect(parseAppcmdList(sitesXml("weird"), "SITE", "f").map((s) => s.state)).toEqual(["Started", "Unknown"]);
  });
});

describe("the plan for a broken server: settings first, start last, and the model says it converges", () => {
  it("every health finding is planned; the pool starts after its settings; nothing is left", () => {
    const { spec, state } = check({ poolAttrs: `queueLength="1000"`, poolChildren: `<recycling><periodicRestart privateMemory="1843200" memory="4194304" /></recycling>`, poolsXml: poolsXml("Stopped"), sitesXml: sitesXml("Stopped"), locations: `<location path="${WSUS}"><system.web><identity impersonate="true" /></system.web></location>`, compression: "" });
    const p = plan(spec, state);
    expect(p.refused).toEqual([]);
    const kinds = p.steps.map((s) => s.action.kind);
    expect(kinds.indexOf("start-apppool")).toBeGreaterThan(kinds.lastIndexOf("set-apppool"));
    expect(kinds.indexOf("start-site")).toBeGreaterThan(kinds.indexOf("set-impersonation"));
    expect(new Set(p.steps.map((s) => s.rule))).toEqual(new Set(HEALTH_RULES.map((r) => r.id)));
    expect(p.unresolved).toEqual([]);
    expect(p.touches).toEqual(expect.arrayContaining(["iis", "runtime"]));
  });
});

describe("declarations (policy pack)", () => {
  it("a declaration says nothing about pools or runtime: no health finding, even with rules: [kb, health]", () => {
    const spec = parseSpec({ rules: ["kb", "health"], configuration: 2, profile: "modern" });
    expect(evaluate(spec, stateFromLayout(resolveLayout(spec)), HEALTH_RULES)).toEqual([]);
  });
});

describe("nothing the spec does not own changes (on the effect)", () => {
  it("WSUS applications sharing DefaultAppPool with the Default Web Site: the pool's fixes are shown, not run", () => {
    const { failing, spec, state } = check({ appsPool: "DefaultAppPool", poolsXml: poolsXml("Started", "WsusPool") });
    expect(failing.length).toBeGreaterThan(0);
    expect(failing.every((f) => f.repair.every((a) => a.kind === "manual"))).toBe(true);
    expect(failing[0].remediation).toContain("DefaultAppPool also runs default web site");
    expect(plan(spec, state).steps).toEqual([]);
    // named in the spec, the spec owns it
    const named = check({ appsPool: "DefaultAppPool" }, { health: { appPool: "DefaultAppPool" } });
    expect(plan(named.spec, named.state).steps.map((s) => s.action.kind)).toContain("set-apppool");
  });

  it("a plan that would change a pool, a site's runtime state or impersonation outside the layout is refused (simulated effect)", () => {
    const { spec, state } = check();
    const layout = layoutFor(spec, state);
    const other = simulate(state, { kind: "set-apppool", pool: "DefaultAppPool", attribute: "queueLength", value: "5000" });
    expect(planViolations(spec, layout, state, other)).toEqual(["application pool DefaultAppPool, which the spec does not own, would change"]);
    const stopped = check({ sitesXml: sitesXml("Started").replace(/("Default Web Site"[^>]*state=)"Started"/, '$1"Stopped"') });
    const started = simulate(stopped.state, { kind: "start-site", site: "Default Web Site" });
    expect(planViolations(stopped.spec, layout, stopped.state, started)).toEqual(["the runtime state of site default web site, which the spec does not own, would change"]);
    const imp = check({ locations: `<location path="Default Web Site"><system.web><identity impersonate="true" /></system.web></location>` });
    expect(imp.failing).toEqual([]); // the Default Web Site serves no WSUS path in modern Configuration 2
    const off = simulate(imp.state, { kind: "set-impersonation", site: "Default Web Site", path: "" });
    expect(planViolations(imp.spec, layout, imp.state, off)).toEqual(["impersonation at default web site, which the spec does not own, would change"]);
  });
});

describe("names from the server are data (hostile pool and site names never reach a command line)", () => {
  it.each(["Wsus&calc", 'Wsus"Pool', "Wsus%PATH%", "Wsus/Pool", "Wsus\\Pool"])("a pool named %s gets its fixes as manual steps that say why", (name) => {
    const xmlName = name.replace(/&/g, "&amp;").replace(/"/g, "&quot;");
    const { failing, spec, state } = check({ pool: xmlName, poolAttrs: `queueLength="10"`, poolsXml: poolsXml("Stopped", xmlName) });
    expect(failing.map((f) => f.rule).sort()).toEqual(["wsuspool-queue-length", "wsuspool-started"]);
    for (const f of failing) {
      expect(f.repair.every((a) => a.kind === "manual")).toBe(true);
      expect(f.remediation).not.toContain(`${name} /`);
    }
    expect(plan(spec, state).steps).toEqual([]);
  });
});
