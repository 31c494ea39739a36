import { promises as fs } from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseApplicationHostConfig } from "../core/evidence/applicationHost";
import { formatEndpoints, parsePortMap, runLabServe } from "../cli/commands/lab-serve";
import { hostOf, mapUrlPath, parseRequestPath, planBindings, selectBinding } from "../lab/http/routing";
import { serveLab, type LabServer } from "../lab/http/server";
import {
  CAB,
  applicationHostXml,
  eventually,
  freePort,
  healthyKb920659,
  makeLab,
  rawHeaderValues,
  removeLab,
  request,
  writeConfig,
  type LabModel,
} from "./helpers/http-lab";

const dirs: string[] = [];
const servers: LabServer[] = [];

async function serve(model: LabModel, portMap?: Record<number, number>, files?: Parameters<typeof makeLab>[1]) {
  const dir = await makeLab(model, files);
  dirs.push(dir);
  const server = await serveLab(dir, { portMap, pollMs: 50 });
  servers.push(server);
  return { dir, server };
}

afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  await Promise.all(dirs.map(removeLab));
});

describe("routing (pure)", () => {
  it("plans listeners: * on 127.0.0.1, loopback IPs as is, other IPs and https not served", () => {
    const m = healthyKb920659();
    m.sites[0].bindings = [
      { protocol: "http", info: "*:80:" },
      { protocol: "https", info: "*:443:" },
      { protocol: "http", info: "192.0.2.10:80:" },
      { protocol: "http", info: "127.0.0.2:80:" },
      { protocol: "http", info: "[2001:db8::1]:80:" },
      { protocol: "net.tcp", info: "808:*" },
    ];
    const plan = planBindings(parseApplicationHostConfig(applicationHostXml(m)));
    expect(plan.listeners).toEqual(
      expect.arrayContaining([
        { address: "127.0.0.1", configPort: 80 },
        { address: "127.0.0.2", configPort: 80 },
      ]),
    );
    expect(plan.listeners).toHaveLength(2);
    // the wildcard binding also answers on 127.0.0.2 (HTTP.sys: All Unassigned covers every address)
    expect(plan.served.filter((s) => s.binding === "*:80:").map((s) => s.address).sort()).toEqual(["127.0.0.1", "127.0.0.2"]);
    const reasons = Object.fromEntries(plan.notServed.map((n) => [n.binding, n.reason]));
    expect(reasons["*:443:"]).toMatch(/plain HTTP only/);
    expect(reasons["192.0.2.10:80:"]).toMatch(/does not answer on 127\.0\.0\.1.*cause 5/);
    expect(reasons["[2001:db8::1]:80:"]).toMatch(/IPv6/);
    expect(reasons["808:*"]).toMatch(/not an HTTP binding/);
  });

  it("selects bindings like HTTP.sys: host match first, then exact IP over *", () => {
    const mk = (site: string, ip: string, host: string, address = ip === "*" ? "127.0.0.1" : ip) => ({
      site,
      binding: `${ip}:80:${host}`,
      ip,
      host,
      configPort: 80,
      address,
    });
    const served = [mk("Any", "*", ""), mk("Named", "*", "wsus"), mk("Exact", "127.0.0.1", "")];
    expect(selectBinding(served, "127.0.0.1", 80, "wsus:18080")?.site).toBe("Named");
    expect(selectBinding(served, "127.0.0.1", 80, "WSUS")?.site).toBe("Named");
    expect(selectBinding(served, "127.0.0.1", 80, "other")?.site).toBe("Exact");
    expect(selectBinding([mk("Named", "*", "wsus")], "127.0.0.1", 80, "other")).toBeNull();
    expect(selectBinding(served, "127.0.0.1", 8080, "wsus")).toBeNull();
    expect(hostOf("[::1]:80")).toBe("[::1]");
    expect(hostOf(undefined)).toBe("");
  });

  it("maps URLs to the deepest vdir, case-insensitively", () => {
    const site = parseApplicationHostConfig(applicationHostXml(healthyKb920659())).sites[0];
    expect(mapUrlPath(site, ["SELFUPDATE", "wuident.cab"])).toMatchObject({ vdirPath: "/Selfupdate", appPath: "/", rest: ["wuident.cab"] });
    expect(mapUrlPath(site, ["clientwebservice", "client.asmx"])).toMatchObject({ appPath: "/ClientWebService", rest: ["client.asmx"] });
    expect(mapUrlPath(site, ["selfupdatex"])).toMatchObject({ vdirPath: "/", rest: ["selfupdatex"] });
    expect(parseRequestPath("/a/../b")).toMatchObject({ ok: false });
    expect(parseRequestPath("/a%2fb")).toMatchObject({ ok: false });
    expect(parseRequestPath("/Selfupdate/?x=1")).toMatchObject({ ok: true, segments: ["Selfupdate"], trailingSlash: true });
  });
});

describe("serveLab: a healthy KB 920659 layout", () => {
  let port = 0;
  let server: LabServer;
  beforeAll(async () => {
    port = await freePort();
    ({ server } = await serve(healthyKb920659(), { 80: port }));
  });

  it("reports its endpoint", () => {
    expect(server.endpoints).toEqual([{ site: "Default Web Site", binding: "*:80:", address: "127.0.0.1", port, url: `http://127.0.0.1:${port}/` }]);
    expect(server.notServed).toEqual([]);
  });

  it("serves SelfUpdate files with IIS content types, case-insensitively", async () => {
    const r = await request("127.0.0.1", port, "/selfupdate/wuident.cab");
    expect(r.status).toBe(200);
    expect(r.headers["content-type"]).toBe("application/vnd.ms-cab-compressed");
    expect(r.body.equals(CAB)).toBe(true);
    expect(r.headers["x-wsus-iis-lab-site"]).toBe("Default%20Web%20Site");
    expect((await request("127.0.0.1", port, "/SELFUPDATE/IUIDENT.CAB")).status).toBe(200);
    const xml = await request("127.0.0.1", port, "/ClientWebService/wusserverversion.xml");
    expect(xml.status).toBe(200);
    expect(xml.headers["content-type"]).toBe("text/xml");
    const head = await request("127.0.0.1", port, "/selfupdate/wuident.cab", { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(head.body.length).toBe(0);
    expect(head.headers["content-length"]).toBe(String(CAB.length));
  });

  it("404 for missing files, 403.14 for folders, 301 to add the slash, default documents at the root", async () => {
    const missing = await request("127.0.0.1", port, "/selfupdate/nothere.cab");
    expect(missing.status).toBe(404);
    expect(missing.body.toString()).toContain("HTTP Error 404.0");
    const dir = await request("127.0.0.1", port, "/Selfupdate/");
    expect(dir.status).toBe(403);
    expect(dir.body.toString()).toContain("HTTP Error 403.14");
    const noSlash = await request("127.0.0.1", port, "/Selfupdate");
    expect(noSlash.status).toBe(301);
    expect(noSlash.headers.location).toBe("/Selfupdate/");
    const root = await request("127.0.0.1", port, "/");
    expect(root.status).toBe(200);
    expect(root.headers["content-type"]).toBe("text/html");
    expect((await request("127.0.0.1", port, "/ClientWebService/Web.config")).status).toBe(404);
  });

  it("GET/HEAD only for files; POST to .asmx in an application answers SOAP", async () => {
    expect((await request("127.0.0.1", port, "/selfupdate/wuident.cab", { method: "POST", body: "x" })).status).toBe(405);
    const soap = await request("127.0.0.1", port, "/ClientWebService/Client.asmx", { method: "POST", body: "<soap/>" });
    expect(soap.status).toBe(200);
    expect(soap.headers["content-type"]).toMatch(/^text\/xml/);
    expect(soap.body.toString()).toContain("soap:Envelope");
  });

  it("Windows-only vdir: 401 with two WWW-Authenticate headers (Negotiate, NTLM)", async () => {
    const r = await request("127.0.0.1", port, "/WSUSAdmin/");
    expect(r.status).toBe(401);
    expect(rawHeaderValues(r, "WWW-Authenticate")).toEqual(["Negotiate", "NTLM"]);
    // authentication comes before the file lookup, as in IIS
    expect((await request("127.0.0.1", port, "/wsusadmin/nothere.htm")).status).toBe(401);
  });

  it("an unknown host name on a host-less binding is still served; a bad path is 400", async () => {
    expect((await request("127.0.0.1", port, "/selfupdate/wuident.cab", { host: "wsus01.example" })).status).toBe(200);
    expect((await request("127.0.0.1", port, "/selfupdate/%2e%2e/x")).status).toBe(400);
  });
});

describe("serveLab: broken layouts", () => {
  it("anonymous off and Windows off on SelfUpdate: 401 without a challenge (401.2)", async () => {
    const m = healthyKb920659();
    m.locations.push({ path: "Default Web Site/Selfupdate", anonymous: false, windows: false });
    const port = await freePort();
    await serve(m, { 80: port });
    const r = await request("127.0.0.1", port, "/selfupdate/wuident.cab");
    expect(r.status).toBe(401);
    expect(rawHeaderValues(r, "WWW-Authenticate")).toEqual([]);
    expect(r.body.toString()).toContain("HTTP Error 401.2");
  });

  it("a vdir whose folder is missing answers 500.19 0x80070003; SSL-required paths 403.4", async () => {
    const m = healthyKb920659();
    m.sites[0].apps[0].vdirs![0].physicalPath = "C:\\Program Files\\Update Services\\NoSuchFolder";
    m.locations.push({ path: "Default Web Site/ClientWebService", sslFlags: "Ssl" });
    const port = await freePort();
    await serve(m, { 80: port });
    const r = await request("127.0.0.1", port, "/selfupdate/wuident.cab");
    expect(r.status).toBe(500);
    expect(r.body.toString()).toMatch(/HTTP Error 500\.19[\s\S]*0x80070003/);
    const ssl = await request("127.0.0.1", port, "/ClientWebService/wusserverversion.xml");
    expect(ssl.status).toBe(403);
    expect(ssl.body.toString()).toContain("403.4");
  });

  it("a site bound only to 192.0.2.10 is not served at all", async () => {
    const m = healthyKb920659();
    m.sites[0].bindings = [{ protocol: "http", info: "192.0.2.10:80:" }];
    const port = await freePort();
    const { server } = await serve(m, { 80: port });
    expect(server.endpoints).toEqual([]);
    expect(server.notServed).toEqual([
      { site: "Default Web Site", binding: "192.0.2.10:80:", protocol: "http", reason: expect.stringMatching(/cause 5/) },
    ]);
    await expect(request("127.0.0.1", port, "/")).rejects.toMatchObject({ code: "ECONNREFUSED" });
  });

  it("unmapped privileged ports get an ephemeral port; unmapped high ports are used as is", async () => {
    const m = healthyKb920659();
    const high = await freePort();
    m.sites[0].bindings = [
      { protocol: "http", info: "*:80:" },
      { protocol: "http", info: `*:${high}:` },
    ];
    const { server } = await serve(m);
    const ports = Object.fromEntries(server.endpoints.map((e) => [e.binding, e.port]));
    expect(ports[`*:${high}:`]).toBe(high);
    expect(ports["*:80:"]).toBeGreaterThan(1024);
    expect((await request("127.0.0.1", ports["*:80:"], "/selfupdate/wuident.cab")).status).toBe(200);
    expect((await request("127.0.0.1", high, "/selfupdate/wuident.cab")).status).toBe(200);
  });
});

describe("serveLab: dispatch", () => {
  it("two sites on one port: dispatch by Host header; no match → 400 Invalid Hostname", async () => {
    const m = healthyKb920659();
    m.sites[0].bindings = [{ protocol: "http", info: "*:80:wsus.lab" }];
    m.sites.push({
      name: "Intranet",
      id: 2,
      bindings: [{ protocol: "http", info: "*:80:intranet.lab" }],
      apps: [{ path: "/", physicalPath: "C:\\inetpub\\intranet" }],
    });
    const port = await freePort();
    const files = {
      "C:\\Program Files\\Update Services\\Selfupdate\\wuident.cab": CAB,
      "C:\\inetpub\\intranet\\index.html": "<p>intranet</p>",
      "C:\\inetpub\\wwwroot\\iisstart.htm": "<p>iis</p>",
    };
    const { server } = await serve(m, { 80: port }, files);
    expect(server.endpoints.map((e) => `${e.site} ${e.binding} ${e.port}`).sort()).toEqual([
      `Default Web Site *:80:wsus.lab ${port}`,
      `Intranet *:80:intranet.lab ${port}`,
    ]);
    const a = await request("127.0.0.1", port, "/selfupdate/wuident.cab", { host: `WSUS.lab:${port}` });
    expect(a.status).toBe(200);
    expect(a.headers["x-wsus-iis-lab-site"]).toBe("Default%20Web%20Site");
    const b = await request("127.0.0.1", port, "/", { host: "intranet.lab" });
    expect(b.status).toBe(200);
    expect(b.headers["x-wsus-iis-lab-site"]).toBe("Intranet");
    expect(b.body.toString()).toContain("intranet");
    expect((await request("127.0.0.1", port, "/selfupdate/wuident.cab", { host: "intranet.lab" })).status).toBe(404);
    const none = await request("127.0.0.1", port, "/", { host: "127.0.0.1" });
    expect(none.status).toBe(400);
    expect(none.body.toString()).toContain("Invalid Hostname");
  });

  it("a 127.0.0.2 binding answers on 127.0.0.2 and not on 127.0.0.1", async () => {
    const m = healthyKb920659();
    m.sites[0].bindings = [{ protocol: "http", info: "127.0.0.2:80:" }];
    const port = await freePort();
    const { server } = await serve(m, { 80: port });
    if (server.notServed.some((n) => /not available/.test(n.reason))) {
      console.warn("127.0.0.2 is not usable on this machine; skipping");
      return;
    }
    expect(server.endpoints).toEqual([{ site: "Default Web Site", binding: "127.0.0.2:80:", address: "127.0.0.2", port, url: `http://127.0.0.2:${port}/` }]);
    expect((await request("127.0.0.2", port, "/selfupdate/wuident.cab")).status).toBe(200);
    await expect(request("127.0.0.1", port, "/selfupdate/wuident.cab")).rejects.toMatchObject({ code: "ECONNREFUSED" });
  });
});

describe("serveLab: repairs are visible without a restart", () => {
  it("re-reads applicationHost.config per request and opens / closes listeners on binding changes", async () => {
    const broken = healthyKb920659();
    broken.sites[0].apps[0].vdirs = [];
    const port = await freePort();
    const { dir, server } = await serve(broken, { 80: port });
    expect((await request("127.0.0.1", port, "/selfupdate/wuident.cab")).status).toBe(404);

    await writeConfig(dir, healthyKb920659());
    expect((await request("127.0.0.1", port, "/selfupdate/wuident.cab")).status).toBe(200);

    const moved = healthyKb920659();
    moved.sites[0].bindings = [{ protocol: "http", info: "192.0.2.10:80:" }];
    await writeConfig(dir, moved);
    await eventually(() => server.endpoints.length === 0);
    await expect(request("127.0.0.1", port, "/")).rejects.toMatchObject({ code: "ECONNREFUSED" });

    await writeConfig(dir, healthyKb920659());
    await eventually(() => server.endpoints.length === 1);
    expect(server.endpoints[0].port).toBe(port);
    expect((await request("127.0.0.1", port, "/selfupdate/wuident.cab")).status).toBe(200);
  });

  it("keeps serving the previous configuration when the new one is not well-formed", async () => {
    const port = await freePort();
    const warnings: string[] = [];
    const dir = await makeLab(healthyKb920659());
    dirs.push(dir);
    const server = await serveLab(dir, { portMap: { 80: port }, pollMs: 0, onWarning: (w) => warnings.push(w) });
    servers.push(server);
    await writeConfig(dir, "<configuration><system.applicationHost>");
    expect((await request("127.0.0.1", port, "/selfupdate/wuident.cab")).status).toBe(200);
    expect(warnings.join("\n")).toMatch(/reload failed/);
  });

  it("lab.json services.W3SVC stopped → nothing answers; started again → served", async () => {
    const port = await freePort();
    const { dir, server } = await serve(healthyKb920659(), { 80: port });
    const labJson = path.join(dir, "lab.json");
    const state = JSON.parse(await fs.readFile(labJson, "utf8"));
    await fs.writeFile(labJson, JSON.stringify({ ...state, services: { W3SVC: "Stopped" } }));
    await eventually(() => server.endpoints.length === 0);
    expect(server.notServed).toEqual([{ site: "Default Web Site", binding: "*:80:", protocol: "http", reason: expect.stringMatching(/W3SVC.*stopped/) }]);
    await expect(request("127.0.0.1", port, "/")).rejects.toMatchObject({ code: "ECONNREFUSED" });
    await fs.writeFile(labJson, JSON.stringify({ ...state, services: { W3SVC: "Running" } }));
    await eventually(() => server.endpoints.length === 1);
    expect((await request("127.0.0.1", port, "/selfupdate/wuident.cab")).status).toBe(200);
  });

  it("rejects a folder that is not a lab", async () => {
    await expect(serveLab("/nonexistent-wsus-iis-lab")).rejects.toThrow(/not a lab folder/);
  });
});

describe("wsus-iis lab serve", () => {
  it("parses --port-map and names bad values", () => {
    expect(parsePortMap("80=18080, 8530=18530")).toEqual({ 80: 18080, 8530: 18530 });
    expect(parsePortMap(undefined)).toEqual({});
    expect(() => parsePortMap("80=abc")).toThrow(/--port-map: expected PORT=PORT such as 80=18080, got "80=abc"/);
    expect(() => parsePortMap("70000=1")).toThrow(/--port-map: binding port expected 1\.\.65535, got 70000/);
    expect(() => parsePortMap("80=1,80=2")).toThrow(/mapped twice/);
  });

  it("prints one line per endpoint and the bindings not served, then stops on abort", async () => {
    const m = healthyKb920659();
    m.sites[0].bindings.push({ protocol: "https", info: "*:443:" });
    const dir = await makeLab(m);
    dirs.push(dir);
    const port = await freePort();
    let out = "";
    const ac = new AbortController();
    let ready: LabServer | null = null;
    const run = runLabServe(dir, { portMap: `80=${port}` }, { stdout: (t) => (out += t), stderr: () => undefined, signal: ac.signal, onReady: (s) => (ready = s) });
    await eventually(() => ready !== null);
    expect((await request("127.0.0.1", port, "/selfupdate/wuident.cab")).status).toBe(200);
    ac.abort();
    await run;
    expect(out).toBe(
      `Default Web Site  http://127.0.0.1:${port}/  (binding *:80:)\n` +
        "Default Web Site  not served  (https binding *:443:): https binding: the lab serves plain HTTP only\n",
    );
    await expect(request("127.0.0.1", port, "/")).rejects.toMatchObject({ code: "ECONNREFUSED" });
  });

  it("--json prints endpoints and notServed", async () => {
    const dir = await makeLab(healthyKb920659());
    dirs.push(dir);
    const port = await freePort();
    let out = "";
    const ac = new AbortController();
    const run = runLabServe(dir, { portMap: `80=${port}`, json: true }, { stdout: (t) => (out += t), stderr: () => undefined, signal: ac.signal, onReady: () => ac.abort() });
    await run;
    const json = JSON.parse(out);
    expect(json.endpoints).toEqual([{ site: "Default Web Site", binding: "*:80:", address: "127.0.0.1", port, url: `http://127.0.0.1:${port}/` }]);
    expect(json.notServed).toEqual([]);
    expect(formatEndpoints([], [])).toBe("(no bindings)\n");
  });
});
