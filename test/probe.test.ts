import { execFile } from "node:child_process";
import { promises as fs } from "node:fs";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { formatProbeText, runProbe } from "../cli/commands/probe";
import {
  ProbeInputError,
  ProbeResult,
  folderState,
  judge,
  judgeClientWebService,
  judgeHealthAnswer,
  judgeSelfUpdateFile,
  judgeSiteRoot,
  judgeWindowsAuthVdir,
  planProbe,
  probe,
  type Exchange,
  type ExchangeMap,
  type ProbeCheck,
} from "../core/probe";
import { serveLab, type LabServer, type ServeLabOptions } from "../lab/http/server";
import { INSTALL, defaultFiles, freePort, healthyKb920659, healthyModern, labPath, makeLab, removeLab, writeConfig, type LabModel } from "./helpers/http-lab";

// ---------------------------------------------------------------------------------------------------
// Verdicts (pure)

function ex(status: Exchange["status"], extra: Partial<Exchange> = {}): Exchange {
  return {
    method: "GET",
    url: "http://127.0.0.1:80/selfupdate/wuident.cab",
    status,
    error: status === "refused" ? "ECONNREFUSED" : null,
    wwwAuthenticate: [],
    contentType: null,
    location: null,
    substatus: null,
    hresult: null,
    sharePoint: false,
    bodyMagic: status === 200 ? "4d53434600000000" : "",
    invalidHostname: false,
    ms: 1,
    ...extra,
  };
}

const ctx = (root: Exchange = ex(200), folder: Exchange = ex(403, { substatus: "403.14" })) => ({ root, folder, clientPort: 80, timeoutMs: 1000 });

describe("verdicts: /selfupdate files", () => {
  // [MS-CAB] CFHEADER signature "MSCF" (docs/research/iis-anonymous.md §6): anything else is no cabinet.
  it("200 with a cab → pass; a 200 HTML page or an empty body → FAIL (cause 8; 7 first when SharePoint answered)", () => {
    expect(judgeSelfUpdateFile("wuident.cab", ex(200), ctx())).toMatchObject({ level: "pass", causes: [] });
    const html = judgeSelfUpdateFile("wuident.cab", ex(200, { bodyMagic: "3c68746d6c3e", contentType: "text/html" }), ctx());
    expect(html).toMatchObject({ level: "fail", causes: [8] });
    expect(html.message).toMatch(/text\/html.*no MSCF signature/);
    expect(judgeSelfUpdateFile("wuident.cab", ex(200, { bodyMagic: "" }), ctx())).toMatchObject({ level: "fail", causes: [8] });
    expect(judgeSelfUpdateFile("wuident.cab", ex(200, { bodyMagic: "3c68746d6c3e", sharePoint: true }), ctx())).toMatchObject({ level: "fail", causes: [7, 8] });
    // a HEAD has no body to judge
    expect(judgeSelfUpdateFile("wuident.cab", ex(200, { method: "HEAD", bodyMagic: "" }), ctx())).toMatchObject({ level: "pass" });
  });
  // HTTP.sys: "If no match is found in any of the categories, the HTTP Server API sends a response with a
  // status code of 400" (learn.microsoft.com/windows/win32/http/urlprefix-strings).
  it("400 Invalid Hostname (HTTP.sys) → FAIL pointing at host-header bindings (cause 5), on every client-port check", () => {
    const bad = ex(400, { invalidHostname: true, url: "http://wsus01/selfupdate/wuident.cab" });
    const v = judgeSelfUpdateFile("wuident.cab", bad, ctx());
    expect(v).toMatchObject({ level: "fail", causes: [5] });
    expect(v.message).toMatch(/Invalid Hostname.*host name wsus01.*empty host name/);
    expect(judgeSiteRoot(bad, { timeoutMs: 1 })).toMatchObject({ level: "fail", causes: [5] });
    expect(judgeClientWebService(bad, { folder: bad, root: bad, clientPort: 80, timeoutMs: 1 })).toMatchObject({ level: "fail", causes: [5] });
    expect(judgeSiteRoot(ex(400), { timeoutMs: 1 })).toMatchObject({ level: "fail", causes: [] });
  });
  it("refused → cause 3 or 5", () => {
    const v = judgeSelfUpdateFile("wuident.cab", ex("refused"), ctx());
    expect(v).toMatchObject({ level: "fail", causes: [3, 5] });
    expect(v.message).toMatch(/cause 3.*cause 5/);
  });
  it("timeout / other errors → fail without a KB cause", () => {
    expect(judgeSelfUpdateFile("wuident.cab", ex("timeout"), ctx())).toMatchObject({ level: "fail", causes: [] });
    expect(judgeSelfUpdateFile("wuident.cab", ex("error", { error: "ECONNRESET" }), ctx()).message).toContain("ECONNRESET");
  });
  it("404 with /selfupdate/ also 404 → cause 2 (or 3)", () => {
    expect(judgeSelfUpdateFile("wuident.cab", ex(404), ctx(ex(200), ex(404)))).toMatchObject({ level: "fail", causes: [2, 3] });
  });
  it("404 with /selfupdate/ present (403.14) → cause 8", () => {
    expect(judgeSelfUpdateFile("wuident.cab", ex(404), ctx())).toMatchObject({ level: "fail", causes: [8] });
    expect(judgeSelfUpdateFile("wuident.cab", ex(404), ctx(ex(200), ex(200)))).toMatchObject({ causes: [8] });
  });
  it("404 with an inconclusive folder answer → cause 2 or 8 (or 3)", () => {
    expect(judgeSelfUpdateFile("wuident.cab", ex(404), ctx(ex(200), ex("timeout")))).toMatchObject({ causes: [2, 8, 3] });
  });
  it("404.3 (no MIME map) → layout failure, no cause", () => {
    expect(judgeSelfUpdateFile("wuident.cab", ex(404, { substatus: "404.3" }), ctx())).toMatchObject({ level: "fail", causes: [] });
  });
  it("401 with Negotiate/NTLM → cause 4; 6 first when the root is 401 too", () => {
    const auth = ex(401, { substatus: "401.2", wwwAuthenticate: ["Negotiate", "NTLM"] });
    expect(judgeSelfUpdateFile("wuident.cab", auth, ctx())).toMatchObject({ level: "fail", causes: [4] });
    expect(judgeSelfUpdateFile("wuident.cab", auth, ctx(ex(401)))).toMatchObject({ level: "fail", causes: [6, 4] });
  });
  it("401.3 → cause 1; a bare 401 → cause 4, maybe 1", () => {
    expect(judgeSelfUpdateFile("wuident.cab", ex(401, { substatus: "401.3" }), ctx())).toMatchObject({ causes: [1] });
    expect(judgeSelfUpdateFile("wuident.cab", ex(401), ctx())).toMatchObject({ causes: [4, 1] });
    expect(judgeSelfUpdateFile("wuident.cab", ex(401, { substatus: "401.2" }), ctx())).toMatchObject({ causes: [4] });
  });
  it("redirects and SharePoint answers → cause 7", () => {
    expect(judgeSelfUpdateFile("wuident.cab", ex(302, { location: "/_layouts/login.aspx" }), ctx())).toMatchObject({ causes: [7] });
    expect(judgeSelfUpdateFile("wuident.cab", ex(404, { sharePoint: true }), ctx(ex(200), ex(404)))).toMatchObject({ causes: [7, 2, 3] });
  });
  it("500.19 0x80070003 (vdir folder missing) → cause 8 or 2; 403.4 → layout", () => {
    expect(judgeSelfUpdateFile("wuident.cab", ex(500, { substatus: "500.19", hresult: "0x80070003" }), ctx())).toMatchObject({ causes: [8, 2] });
    expect(judgeSelfUpdateFile("wuident.cab", ex(500, { substatus: "500.24" }), ctx()).message).toMatch(/impersonation/);
    expect(judgeSelfUpdateFile("wuident.cab", ex(403, { substatus: "403.4" }), ctx())).toMatchObject({ level: "fail", causes: [] });
  });
});

describe("verdicts: site root, ClientWebService, Windows-auth vdir", () => {
  it("site root: 401 → cause 6; anything anonymous → pass; refused → 3/5", () => {
    expect(judgeSiteRoot(ex(401, { wwwAuthenticate: ["NTLM"] }), { timeoutMs: 1 })).toMatchObject({ level: "fail", causes: [6] });
    expect(judgeSiteRoot(ex(403, { substatus: "403.14" }), { timeoutMs: 1 })).toMatchObject({ level: "pass" });
    expect(judgeSiteRoot(ex(404), { timeoutMs: 1 })).toMatchObject({ level: "pass" });
    expect(judgeSiteRoot(ex("refused"), { timeoutMs: 1 })).toMatchObject({ level: "fail", causes: [3, 5] });
  });
  const cws = (folder: Exchange, root: Exchange = ex(200)) => ({ folder, root, clientPort: 80, timeoutMs: 1 });
  it("wusserverversion.xml: 200 pass; 404 with the app present → warning; app missing → fail", () => {
    expect(judgeClientWebService(ex(200), cws(ex(403)))).toMatchObject({ level: "pass" });
    expect(judgeClientWebService(ex(404), cws(ex(403, { substatus: "403.14" })))).toMatchObject({ level: "warn", causes: [] });
    expect(judgeClientWebService(ex(404), cws(ex(404)))).toMatchObject({ level: "fail", causes: [] });
    expect(judgeClientWebService(ex(404), cws(ex(401)))).toMatchObject({ level: "fail" });
  });
  it("wusserverversion.xml: 401 → fail (cause 6 when the root is 401), 403.4 → warning, refused → 3/5", () => {
    expect(judgeClientWebService(ex(401), cws(ex(401)))).toMatchObject({ level: "fail", causes: [] });
    expect(judgeClientWebService(ex(401), cws(ex(401), ex(401)))).toMatchObject({ level: "fail", causes: [6] });
    expect(judgeClientWebService(ex(403, { substatus: "403.4" }), cws(ex(403)))).toMatchObject({ level: "warn" });
    expect(judgeClientWebService(ex("refused"), cws(ex("refused")))).toMatchObject({ causes: [3, 5] });
  });
  const wa = (sameAsClientPort = true) => ({ name: "WSUSAdmin", profile: "kb920659" as const, port: 80, sameAsClientPort, timeoutMs: 1 });
  it("Windows-auth vdir: 401 + Negotiate/NTLM → pass; anonymous → fail (layout, no cause)", () => {
    expect(judgeWindowsAuthVdir(ex(401, { wwwAuthenticate: ["Negotiate", "NTLM"] }), wa())).toMatchObject({ level: "pass" });
    expect(judgeWindowsAuthVdir(ex(200), wa())).toMatchObject({ level: "fail", causes: [] });
    expect(judgeWindowsAuthVdir(ex(403, { substatus: "403.14" }), wa()).message).toMatch(/anonymous access is on/);
    expect(judgeWindowsAuthVdir(ex(401), wa()).message).toMatch(/Windows authentication is off/);
    expect(judgeWindowsAuthVdir(ex(404), wa())).toMatchObject({ level: "fail", causes: [] });
    expect(judgeWindowsAuthVdir(ex(404), wa()).message).toMatch(/--profile modern or auto/);
    expect(judgeWindowsAuthVdir(ex(400, { invalidHostname: true }), wa()).message).toMatch(/Invalid Hostname/);
    expect(judgeWindowsAuthVdir(ex(403, { substatus: "403.4" }), wa())).toMatchObject({ level: "warn" });
  });
  it("Windows-auth vdir refused: causes 3/5 only on the client port", () => {
    expect(judgeWindowsAuthVdir(ex("refused"), wa(true))).toMatchObject({ causes: [3, 5] });
    expect(judgeWindowsAuthVdir(ex("refused"), wa(false))).toMatchObject({ level: "fail", causes: [] });
  });
  it("folderState reads GET /vdir/", () => {
    expect(folderState(ex(403, { substatus: "403.14" }))).toBe("present");
    expect(folderState(ex(404))).toBe("absent");
    expect(folderState(ex(500, { hresult: "0x80070003" }))).toBe("folderMissing");
    expect(folderState(ex(401))).toBe("unknown");
  });
});

describe("verdicts: answers that point at the health rules (issue 13)", () => {
  const wa = { name: "ApiRemoting30", profile: "modern" as const, port: 8530, sameAsClientPort: true, timeoutMs: 1 };
  const cws = { folder: ex(503), root: ex(503), clientPort: 8530, timeoutMs: 1 };
  // "All applications routed to a stopped application pool receive 503 Service Unavailable errors" (Microsoft
  // Learn cc732742); HTTP.sys logs `503 … AppOffline WsusPool` (fixtures/command-outputs/httperr-wsuspool-appoffline.txt);
  // a pool that recycles at its private-memory limit answers 503 too (KB 4490414)
  it("503 on any check → FAIL with rule wsuspool-started (stopped, or recycling), no KB cause", () => {
    for (const v of [
      judgeSelfUpdateFile("wuident.cab", ex(503), ctx()),
      judgeSiteRoot(ex(503), { timeoutMs: 1 }),
      judgeClientWebService(ex(503), cws),
      judgeWindowsAuthVdir(ex(503), wa),
    ]) {
      expect(v).toMatchObject({ level: "fail", causes: [], rules: ["wsuspool-started"] });
      expect(v.message).toMatch(/503 Service Unavailable: the application pool that serves it is not running \(rule wsuspool-started.*recycles.*KB 4490414/);
    }
  });
  // KB 2737219: every WSUS endpoint answers 500.24 with impersonation on, `GET /selfupdate/iuident.cab` included
  it("500.24 on any check → FAIL with rule wsus-impersonation-off; another 500 names no rule", () => {
    const imp = ex(500, { substatus: "500.24", hresult: "0x80070032" });
    for (const v of [judgeSelfUpdateFile("iuident.cab", imp, ctx()), judgeSiteRoot(imp, { timeoutMs: 1 }), judgeClientWebService(imp, cws), judgeWindowsAuthVdir(imp, wa)]) {
      expect(v).toMatchObject({ level: "fail", causes: [], rules: ["wsus-impersonation-off"] });
      expect(v.message).toMatch(/500\.24: ASP\.NET impersonation is on .*KB 2737219.*rule wsus-impersonation-off/);
    }
    expect(judgeHealthAnswer(ex(500, { substatus: "500.19" }), "x")).toBeNull();
    expect(judgeSelfUpdateFile("wuident.cab", ex(500, { substatus: "500.19", hresult: "0x80070003" }), ctx()).rules).toEqual([]);
  });
  // a stopped site has no URL registration with HTTP.sys: nothing listens (mvolo.com, "server not found")
  it("refused → rule wsus-site-started besides causes 3/5 (client port), and alone on another port", () => {
    expect(judgeSelfUpdateFile("wuident.cab", ex("refused"), ctx())).toMatchObject({ causes: [3, 5], rules: ["wsus-site-started"] });
    expect(judgeWindowsAuthVdir(ex("refused"), { ...wa, sameAsClientPort: false })).toMatchObject({ causes: [], rules: ["wsus-site-started"] });
    expect(judgeSelfUpdateFile("wuident.cab", ex("timeout"), ctx()).rules).toEqual([]);
    expect(judgeSelfUpdateFile("wuident.cab", ex(404), ctx()).rules).toEqual([]);
  });
  it("judge() lists the failed checks' rules (JSON `rules`, per check and overall); the text output shows them in the messages", () => {
    const plan = planProbe("http://wsus01:8530", { profile: "modern" });
    const all = (e: Exchange) => Object.fromEntries(plan.requests.map((r) => [r.key, { ...e, url: r.url }])) as unknown as ExchangeMap;
    const r = judge(plan, all(ex(503)));
    expect(r.rules).toEqual(["wsuspool-started"]);
    expect(r.checks.every((c) => c.rules.join() === "wsuspool-started")).toBe(true);
    expect(ProbeResult.parse(JSON.parse(JSON.stringify(r))).rules).toEqual(["wsuspool-started"]);
    expect(formatProbeText(r)).toMatch(/FAIL +selfupdate-wuident +GET http:\/\/wsus01:8530\/selfupdate\/wuident\.cab -> 503  \[rule wsuspool-started\]\n +.*\(rule wsuspool-started/);
    expect(formatProbeText(r)).toContain("Rules pointed to (check --rules kb,health): wsuspool-started");
    const healthy = judge(plan, { ...all(ex(200)), windowsAuth: ex(401, { wwwAuthenticate: ["Negotiate"] }) });
    expect(healthy.rules).toEqual([]);
  });
});

describe("planProbe", () => {
  it("client port: --client-port, else the URL's port, else 80; the Windows-auth vdir on the URL's port", () => {
    // auto (the default) asks for ApiRemoting30 and for WSUSAdmin; a given profile or vdir asks for one
    expect(planProbe("http://wsus01")).toMatchObject({ clientPort: 80, adminPort: 80, windowsAuthPath: "/ApiRemoting30/WebService.asmx", legacyWindowsAuthVdir: "WSUSAdmin" });
    expect(planProbe("http://wsus01").requests.map((r) => r.url).slice(-2)).toEqual(["http://wsus01:80/ApiRemoting30/WebService.asmx", "http://wsus01:80/WSUSAdmin/"]);
    expect(planProbe("http://wsus01", { profile: "kb920659" })).toMatchObject({ windowsAuthPath: "/WSUSAdmin/", legacyWindowsAuthVdir: null });
    expect(planProbe("http://wsus01:8530/ClientWebService/client.asmx")).toMatchObject({ clientPort: 8530, adminPort: 8530 });
    expect(planProbe("http://wsus01:8530", { clientPort: 80 })).toMatchObject({ clientPort: 80, adminPort: 8530, clientBase: "http://wsus01:80/" });
    expect(planProbe("http://wsus01:80", { clientPort: 8530 })).toMatchObject({ clientPort: 8530, adminPort: 80 });
    expect(planProbe("http://wsus01", { clientPort: 8530 })).toMatchObject({ clientPort: 8530, adminPort: 8530 });
    expect(planProbe("http://wsus01", { profile: "modern" }).windowsAuthPath).toBe("/ApiRemoting30/WebService.asmx");
    expect(planProbe("http://wsus01", { windowsAuthVdir: "Console" })).toMatchObject({ windowsAuthPath: "/Console/", legacyWindowsAuthVdir: null });
  });
  it("names bad input", () => {
    const err = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        expect(e).toBeInstanceOf(ProbeInputError);
        return (e as Error).message;
      }
      throw new Error("no error");
    };
    expect(err(() => planProbe("not a url"))).toMatch(/^url: expected an http:\/\/ URL/);
    expect(err(() => planProbe("https://wsus01:8531"))).toMatch(/^url: only http:\/\//);
    expect(err(() => planProbe("http://u:p@wsus01"))).toMatch(/user name/);
    expect(err(() => planProbe("http://wsus01", { clientPort: 70000 }))).toBe("clientPort: expected 1..65535, got 70000");
    expect(err(() => planProbe("http://wsus01", { profile: "x" as "modern" }))).toMatch(/^profile:/);
    expect(err(() => planProbe("http://wsus01", { windowsAuthVdir: "a/b" }))).toMatch(/^windowsAuthVdir:/);
  });
});

// ---------------------------------------------------------------------------------------------------
// Against served labs (127.0.0.1, free ports)

const dirs: string[] = [];
const servers: LabServer[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  await Promise.all(dirs.map(removeLab));
});

async function lab(
  model: LabModel,
  portMap: Record<number, number>,
  files = defaultFiles(),
  extra: { labJson?: Record<string, unknown>; anonymousCanRead?: ServeLabOptions["anonymousCanRead"] } = {},
) {
  const dir = await makeLab(model, files, extra.labJson);
  dirs.push(dir);
  const server = await serveLab(dir, { portMap, pollMs: 50, anonymousCanRead: extra.anonymousCanRead });
  servers.push(server);
  return { dir, server };
}

const byName = (checks: ProbeCheck[]) => Object.fromEntries(checks.map((c) => [c.name, c]));
const TIMEOUT = { timeoutMs: 3000 };

describe("probe against the lab", () => {
  it("healthy KB 920659 layout → every check passes", async () => {
    const port = await freePort();
    await lab(healthyKb920659(), { 80: port });
    const r = await probe(`http://127.0.0.1:${port}`, TIMEOUT);
    expect(() => ProbeResult.parse(r)).not.toThrow();
    expect(r.checks.map((c) => [c.name, c.level])).toEqual([
      ["selfupdate-wuident", "pass"],
      ["selfupdate-iuident", "pass"],
      ["site-root-anonymous", "pass"],
      ["clientwebservice-version", "pass"],
      ["windows-auth-vdir", "pass"],
    ]);
    expect(r).toMatchObject({ compliant: true, causes: [], profile: "kb920659" });
    expect(r.profileReason).toMatch(/^auto: ApiRemoting30 answers 404, WSUSAdmin answers 401/);
    expect(byName(r.checks)["windows-auth-vdir"]).toMatchObject({ status: 401, url: `http://127.0.0.1:${port}/WSUSAdmin/` });
    // auto asks for both Windows-auth vdirs
    expect(r.exchanges).toHaveLength(8);
  });

  it("healthy modern layout (8530, ApiRemoting30) → passes with --profile modern and with the default auto", async () => {
    const port = await freePort();
    await lab(healthyModern(), { 80: await freePort(), 8530: port });
    const r = await probe(`http://127.0.0.1:${port}`, { ...TIMEOUT, profile: "modern" });
    expect(r).toMatchObject({ compliant: true, profile: "modern", profileReason: "given" });
    expect(byName(r.checks)["windows-auth-vdir"]).toMatchObject({ url: `http://127.0.0.1:${port}/ApiRemoting30/WebService.asmx`, status: 401, ok: true });
    expect(r.exchanges).toHaveLength(7);
    const auto = await probe(`http://127.0.0.1:${port}`, TIMEOUT);
    expect(auto).toMatchObject({ compliant: true, profile: "modern" });
    expect(auto.profileReason).toMatch(/ApiRemoting30 answers 401, WSUSAdmin answers 404/);
    // the kb920659 profile looks for WSUSAdmin, which a modern server does not have: a 404 is never ok
    const kb = await probe(`http://127.0.0.1:${port}`, { ...TIMEOUT, profile: "kb920659" });
    expect(byName(kb.checks)["windows-auth-vdir"]).toMatchObject({ status: 404, ok: false, level: "fail", causes: [] });
  });

  it("Default Web Site bound only to a host header → 400 Invalid Hostname from HTTP.sys → FAIL, cause 5", async () => {
    const m = healthyKb920659();
    m.sites[0].bindings = [{ protocol: "http", info: "*:80:wsus.contoso.com" }];
    const port = await freePort();
    await lab(m, { 80: port });
    const r = await probe(`http://127.0.0.1:${port}`, TIMEOUT);
    expect(r.compliant).toBe(false);
    expect(byName(r.checks)["selfupdate-wuident"]).toMatchObject({ status: 400, level: "fail", causes: [5] });
    expect(byName(r.checks)["site-root-anonymous"]).toMatchObject({ status: 400, ok: false });
    expect(r.exchanges[0].invalidHostname).toBe(true);
    expect(r.causes).toEqual([5]);
  });

  it("wuident.cab served as an HTML page (200 text/html) → FAIL, cause 8", async () => {
    const files = defaultFiles();
    files[`${INSTALL}\\SelfUpdate\\WUIDENT.CAB`] = "<html><body>Not the cabinet</body></html>";
    const port = await freePort();
    await lab(healthyKb920659(), { 80: port }, files);
    const r = await probe(`http://127.0.0.1:${port}`, TIMEOUT);
    expect(byName(r.checks)["selfupdate-wuident"]).toMatchObject({ status: 200, level: "fail", causes: [8] });
    expect(byName(r.checks)["selfupdate-iuident"]).toMatchObject({ level: "pass" });
  });

  it("SelfUpdate vdir missing → 404 → cause 2", async () => {
    const m = healthyKb920659();
    m.sites[0].apps[0].vdirs = m.sites[0].apps[0].vdirs!.filter((v) => v.path !== "/Selfupdate");
    const port = await freePort();
    await lab(m, { 80: port });
    const r = await probe(`http://127.0.0.1:${port}`, TIMEOUT);
    expect(r.compliant).toBe(false);
    expect(byName(r.checks)["selfupdate-wuident"]).toMatchObject({ status: 404, ok: false, causes: [2, 3] });
    expect(r.causes).toEqual([2, 3]);
  });

  it("anonymous off on SelfUpdate → 401 Negotiate+NTLM → cause 4", async () => {
    const m = healthyKb920659();
    m.locations.push({ path: "Default Web Site/Selfupdate", anonymous: false, windows: true });
    const port = await freePort();
    await lab(m, { 80: port });
    const r = await probe(`http://127.0.0.1:${port}`, TIMEOUT);
    expect(byName(r.checks)["selfupdate-wuident"]).toMatchObject({ status: 401, causes: [4] });
    expect(r.exchanges.find((e) => e.url.endsWith("/selfupdate/wuident.cab"))!.wwwAuthenticate).toEqual(["Negotiate", "NTLM"]);
    expect(r.causes).toEqual([4]);
  });

  it("anonymous off on the whole site → causes 6 and 4", async () => {
    const m = healthyKb920659();
    m.locations.push({ path: "Default Web Site", anonymous: false, windows: true });
    const port = await freePort();
    await lab(m, { 80: port });
    const r = await probe(`http://127.0.0.1:${port}`, TIMEOUT);
    expect(byName(r.checks)["site-root-anonymous"]).toMatchObject({ status: 401, causes: [6] });
    expect(byName(r.checks)["selfupdate-wuident"]).toMatchObject({ status: 401, causes: [6, 4] });
    expect(r.causes).toEqual([4, 6]);
  });

  it("site bound only to 192.0.2.10 → not served, refused → cause 5 (or 3)", async () => {
    const m = healthyKb920659();
    m.sites[0].bindings = [{ protocol: "http", info: "192.0.2.10:80:" }];
    const port = await freePort();
    const { server } = await lab(m, { 80: port });
    expect(server.endpoints).toEqual([]);
    const r = await probe(`http://127.0.0.1:${port}`, TIMEOUT);
    expect(byName(r.checks)["selfupdate-wuident"]).toMatchObject({ status: "refused", causes: [3, 5] });
    expect(r.causes).toEqual([3, 5]);
  });

  it("site on 8080 instead of 80 → the client port is refused → cause 3/5; the site itself is fine", async () => {
    const m = healthyKb920659();
    m.sites[0].bindings = [{ protocol: "http", info: "*:8080:" }];
    const clientPort = await freePort();
    const sitePort = await freePort();
    await lab(m, { 80: clientPort, 8080: sitePort });
    const r = await probe(`http://127.0.0.1:${clientPort}`, TIMEOUT);
    expect(r.compliant).toBe(false);
    expect(r.checks.every((c) => c.status === "refused" && c.causes.join() === "3,5")).toBe(true);
    expect((await probe(`http://127.0.0.1:${sitePort}`, TIMEOUT)).compliant).toBe(true);
  });

  it("SelfUpdate files missing → 404 with the vdir present → cause 8", async () => {
    const port = await freePort();
    const files = defaultFiles();
    delete files[`${INSTALL}\\SelfUpdate\\WUIDENT.CAB`];
    delete files[`${INSTALL}\\SelfUpdate\\iuident.cab`];
    files[`${INSTALL}\\SelfUpdate\\AU\\readme.txt`] = "left over";
    await lab(healthyKb920659(), { 80: port }, files);
    const r = await probe(`http://127.0.0.1:${port}`, TIMEOUT);
    expect(byName(r.checks)["selfupdate-wuident"]).toMatchObject({ status: 404, causes: [8] });
    expect(byName(r.checks)["selfupdate-iuident"]).toMatchObject({ status: 404, causes: [8] });
    expect(r.causes).toEqual([8]);
  });

  it("SelfUpdate folder itself missing → 500.19 → cause 8 or 2", async () => {
    const port = await freePort();
    const { dir } = await lab(healthyKb920659(), { 80: port });
    await fs.rm(labPath(dir, `${INSTALL}\\SelfUpdate`), { recursive: true });
    const r = await probe(`http://127.0.0.1:${port}`, TIMEOUT);
    expect(byName(r.checks)["selfupdate-wuident"]).toMatchObject({ status: 500, causes: [8, 2] });
  });

  it("Windows-auth vdir open to anonymous → fail (layout rule, no KB cause)", async () => {
    const m = healthyKb920659();
    m.locations = [];
    const port = await freePort();
    await lab(m, { 80: port });
    const r = await probe(`http://127.0.0.1:${port}`, TIMEOUT);
    expect(r.compliant).toBe(false);
    expect(byName(r.checks)["windows-auth-vdir"]).toMatchObject({ ok: false, causes: [] });
    expect(byName(r.checks)["windows-auth-vdir"].status).not.toBe(401);
    expect(r.causes).toEqual([]);
  });

  it("no wusserverversion.xml in an anonymous ClientWebService → warning, still compliant", async () => {
    const port = await freePort();
    const files = defaultFiles();
    delete files[`${INSTALL}\\WebServices\\ClientWebService\\wusserverversion.xml`];
    await lab(healthyKb920659(), { 80: port }, files);
    const r = await probe(`http://127.0.0.1:${port}`, TIMEOUT);
    expect(byName(r.checks)["clientwebservice-version"]).toMatchObject({ status: 404, level: "warn", ok: true });
    expect(r.compliant).toBe(true);
  });

  it("SharePoint on the Default Web Site without the WSUS exclusions → cause 7; with them → green", async () => {
    const port = await freePort();
    await lab(healthyKb920659(), { 80: port }, defaultFiles(), { labJson: { features: { sharePoint: { installed: true, excludedPaths: [] } } } });
    const r = await probe(`http://127.0.0.1:${port}`, TIMEOUT);
    expect(byName(r.checks)["selfupdate-wuident"]).toMatchObject({ status: 404, causes: [7, 2, 3] });
    expect(r.exchanges[0].sharePoint).toBe(true);
    expect(r.causes).toContain(7);

    const port2 = await freePort();
    const excluded = { features: { sharePoint: { installed: true, excludedPaths: ["/selfupdate", "/clientwebservice", "/iuident.cab"] } } };
    await lab(healthyKb920659(), { 80: port2 }, defaultFiles(), { labJson: excluded });
    expect((await probe(`http://127.0.0.1:${port2}`, TIMEOUT)).compliant).toBe(true);
  });

  it("NTFS ACL denying the anonymous user (anonymousCanRead hook) → 401.3 → cause 1", async () => {
    const port = await freePort();
    const seen: string[] = [];
    await lab(healthyKb920659(), { 80: port }, defaultFiles(), {
      anonymousCanRead: ({ windowsPath }) => {
        seen.push(windowsPath);
        return !/\\selfupdate(\\|$)/i.test(windowsPath);
      },
    });
    const r = await probe(`http://127.0.0.1:${port}`, TIMEOUT);
    expect(byName(r.checks)["selfupdate-wuident"]).toMatchObject({ status: 401, causes: [1] });
    expect(r.exchanges[0]).toMatchObject({ substatus: "401.3", wwwAuthenticate: [] });
    expect(seen).toContain("C:\\Program Files\\Update Services\\Selfupdate\\wuident.cab");
    expect(r.causes).toEqual([1]);
  });

  it("Configuration 2: clients on the port-80 site, WSUSAdmin on 8530", async () => {
    const m = healthyKb920659();
    const adminSite = healthyKb920659().sites[0];
    adminSite.name = "WSUS Administration";
    adminSite.id = 2;
    adminSite.bindings = [{ protocol: "http", info: "*:8530:" }];
    m.sites[0].apps = m.sites[0].apps.filter((a) => a.path !== "/WSUSAdmin" && a.path !== "/SimpleAuthWebService");
    m.sites.push(adminSite);
    m.locations = [{ path: "WSUS Administration/WSUSAdmin", anonymous: false, windows: true }];
    const clientPort = await freePort();
    const adminPort = await freePort();
    await lab(m, { 80: clientPort, 8530: adminPort });
    const r = await probe(`http://127.0.0.1:${adminPort}`, { ...TIMEOUT, clientPort });
    expect(r).toMatchObject({ compliant: true, clientBase: `http://127.0.0.1:${clientPort}/`, adminBase: `http://127.0.0.1:${adminPort}/` });
  });

  it("a repair written to the lab turns the probe green without restarting the server", async () => {
    const m = healthyKb920659();
    m.sites[0].bindings = [{ protocol: "http", info: "192.0.2.10:80:" }];
    const port = await freePort();
    const { dir, server } = await lab(m, { 80: port });
    expect((await probe(`http://127.0.0.1:${port}`, TIMEOUT)).causes).toEqual([3, 5]);
    await writeConfig(dir, healthyKb920659());
    const deadline = Date.now() + 5000;
    while (server.endpoints.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    expect((await probe(`http://127.0.0.1:${port}`, TIMEOUT)).compliant).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------------
// CLI

describe("wsus-iis probe (CLI)", () => {
  it("names bad option values (exit 2 via CliError)", async () => {
    const run = (url: string, opts: Record<string, string>) => runProbe(url, opts, () => undefined);
    await expect(run("http://127.0.0.1", { clientPort: "70000" })).rejects.toMatchObject({ exitCode: 2, message: "--client-port: expected 1..65535, got 70000" });
    await expect(run("http://127.0.0.1", { clientPort: "abc" })).rejects.toMatchObject({ message: '--client-port: expected 1..65535, got "abc"' });
    await expect(run("http://127.0.0.1", { profile: "iis6" })).rejects.toMatchObject({ message: '--profile: expected auto or kb920659 or modern, got "iis6"' });
    await expect(run("http://127.0.0.1", { format: "xml" })).rejects.toMatchObject({ message: '--format: expected text or json, got "xml"' });
    await expect(run("http://127.0.0.1", { timeout: "0" })).rejects.toMatchObject({ message: "--timeout: expected 1..600000, got 0" });
    await expect(run("http://127.0.0.1", { windowsAuthVdir: "a b" })).rejects.toMatchObject({ message: expect.stringMatching(/^--windows-auth-vdir: /) });
    await expect(run("ftp://127.0.0.1", {})).rejects.toMatchObject({ message: expect.stringMatching(/^URL: only http:\/\//) });
  });

  it("text and JSON output; exit 0 when green, 1 on a failed check", async () => {
    const port = await freePort();
    await lab(healthyKb920659(), { 80: port });
    let out = "";
    expect(await runProbe(`http://127.0.0.1:${port}`, { format: "text", timeout: "3000" }, (t) => (out += t))).toBe(0);
    expect(out).toMatch(/ok +selfupdate-wuident +GET http:\/\/127\.0\.0\.1:\d+\/selfupdate\/wuident\.cab -> 200/);
    expect(out).toMatch(/OK: a client can self-update\./);

    const broken = healthyKb920659();
    broken.sites[0].apps[0].vdirs = [];
    const port2 = await freePort();
    await lab(broken, { 80: port2 });
    out = "";
    expect(await runProbe(`http://127.0.0.1:${port2}`, { format: "json", timeout: "3000" }, (t) => (out += t))).toBe(1);
    const json = ProbeResult.parse(JSON.parse(out));
    expect(json.compliant).toBe(false);
    expect(json.causes).toEqual([2, 3]);
    out = "";
    await runProbe(`http://127.0.0.1:${port2}`, { timeout: "3000" }, (t) => (out += t));
    expect(out).toMatch(/FAIL +selfupdate-wuident .* -> 404 +\[cause 2 or 3\]/);
    expect(out).toContain("2. SelfUpdate virtual directory missing");
  });

  it("the real binary exits 0 / 1 / 2", async () => {
    const port = await freePort();
    await lab(healthyKb920659(), { 80: port });
    const closed = await freePort();
    const bin = path.join(__dirname, "..", "bin", "wsus-iis.js");
    const run = (args: string[]) =>
      new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
        execFile(process.execPath, [bin, ...args], { timeout: 60_000 }, (err, stdout, stderr) =>
          resolve({ code: err ? ((err as { code?: number }).code ?? -1) : 0, stdout, stderr }),
        );
      });
    const [ok, bad, input] = await Promise.all([
      run(["probe", `http://127.0.0.1:${port}`, "--timeout", "3000"]),
      run(["probe", `http://127.0.0.1:${closed}`, "--timeout", "3000", "--format", "json"]),
      run(["probe", "http://127.0.0.1", "--client-port", "70000"]),
    ]);
    expect(ok.code).toBe(0);
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.stdout).causes).toEqual([3, 5]);
    expect(input.code).toBe(2);
    expect(input.stderr).toBe("wsus-iis: --client-port: expected 1..65535, got 70000\n");
  }, 90_000);
});
