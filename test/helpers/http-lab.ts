import { promises as fs } from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";

/**
 * Tiny lab folders for the HTTP front and probe tests: lab.json, an applicationHost.config in real IIS
 * format built from a small model, and the files on the lab's C: drive. Loopback only.
 */

export interface VdirModel {
  path: string;
  physicalPath: string;
}
export interface AppModel {
  path: string;
  pool?: string;
  physicalPath: string;
  vdirs?: VdirModel[];
}
export interface SiteModel {
  name: string;
  id: number;
  bindings: { protocol: string; info: string }[];
  apps: AppModel[];
}
export interface LocationModel {
  path: string;
  anonymous?: boolean;
  windows?: boolean;
  sslFlags?: string;
}
export interface LabModel {
  sites: SiteModel[];
  /** Server level: anonymous on, Windows off (as IIS ships it) unless changed. */
  serverAnonymous: boolean;
  serverWindows: boolean;
  locations: LocationModel[];
}

export const INSTALL = "C:\\Program Files\\Update Services";
export const CAB = Buffer.concat([Buffer.from("MSCF"), Buffer.alloc(60, 1)]);

/** KB 920659 Configuration 1: everything on the Default Web Site, *:80:, WSUSAdmin Windows-only. */
export function healthyKb920659(): LabModel {
  return {
    sites: [
      {
        name: "Default Web Site",
        id: 1,
        bindings: [{ protocol: "http", info: "*:80:" }],
        apps: [
          {
            path: "/",
            pool: "DefaultAppPool",
            physicalPath: "%SystemDrive%\\inetpub\\wwwroot",
            vdirs: [
              { path: "/Selfupdate", physicalPath: "%ProgramFiles%\\Update Services\\Selfupdate" },
              { path: "/Content", physicalPath: "C:\\WSUS\\WsusContent" },
            ],
          },
          { path: "/ClientWebService", pool: "WsusPool", physicalPath: `${INSTALL}\\WebServices\\ClientWebService` },
          { path: "/SimpleAuthWebService", pool: "WsusPool", physicalPath: `${INSTALL}\\WebServices\\SimpleAuthWebService` },
          { path: "/WSUSAdmin", pool: "WsusPool", physicalPath: `${INSTALL}\\Administration` },
        ],
      },
    ],
    serverAnonymous: true,
    serverWindows: false,
    locations: [{ path: "Default Web Site/WSUSAdmin", anonymous: false, windows: true }],
  };
}

/** Modern (WS2012+): WSUS Administration on *:8530: / https *:8531:, ApiRemoting30 Windows-only. */
export function healthyModern(): LabModel {
  return {
    sites: [
      {
        name: "Default Web Site",
        id: 1,
        bindings: [{ protocol: "http", info: "*:80:" }],
        apps: [{ path: "/", pool: "DefaultAppPool", physicalPath: "%SystemDrive%\\inetpub\\wwwroot" }],
      },
      {
        name: "WSUS Administration",
        id: 1572271583,
        bindings: [
          { protocol: "http", info: "*:8530:" },
          { protocol: "https", info: "*:8531:" },
        ],
        apps: [
          {
            path: "/",
            pool: "WsusPool",
            physicalPath: "%ProgramFiles%\\Update Services\\WebServices\\Root",
            vdirs: [
              { path: "/Selfupdate", physicalPath: "%ProgramFiles%\\Update Services\\Selfupdate" },
              { path: "/Content", physicalPath: "C:\\WSUS\\WsusContent" },
            ],
          },
          { path: "/ApiRemoting30", pool: "WsusPool", physicalPath: `${INSTALL}\\WebServices\\ApiRemoting30` },
          { path: "/ClientWebService", pool: "WsusPool", physicalPath: `${INSTALL}\\WebServices\\ClientWebService` },
        ],
      },
    ],
    serverAnonymous: true,
    serverWindows: false,
    locations: [{ path: "WSUS Administration/ApiRemoting30", anonymous: false, windows: true }],
  };
}

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;");

function authXml(anonymous: boolean | undefined, windows: boolean | undefined, sslFlags: string | undefined, indent: string): string {
  const lines: string[] = [`${indent}<system.webServer>`, `${indent}  <security>`];
  if (sslFlags !== undefined) lines.push(`${indent}    <access sslFlags="${esc(sslFlags)}" />`);
  if (anonymous !== undefined || windows !== undefined) {
    lines.push(`${indent}    <authentication>`);
    if (anonymous !== undefined) lines.push(`${indent}      <anonymousAuthentication enabled="${anonymous}" userName="IUSR" />`);
    if (windows !== undefined) {
      lines.push(`${indent}      <windowsAuthentication enabled="${windows}">`);
      lines.push(`${indent}        <providers>`, `${indent}          <add value="Negotiate" />`, `${indent}          <add value="NTLM" />`, `${indent}        </providers>`);
      lines.push(`${indent}      </windowsAuthentication>`);
    }
    lines.push(`${indent}    </authentication>`);
  }
  lines.push(`${indent}  </security>`, `${indent}</system.webServer>`);
  return lines.join("\r\n");
}

/** applicationHost.config text, in the shape IIS writes it. */
export function applicationHostXml(model: LabModel): string {
  const out: string[] = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    "<!-- wsus-iis test lab -->",
    "<configuration>",
    "  <configSections>",
    '    <sectionGroup name="system.applicationHost">',
    '      <section name="sites" allowDefinition="AppHostOnly" overrideModeDefault="Deny" />',
    "    </sectionGroup>",
    "  </configSections>",
    "  <system.applicationHost>",
    '    <applicationPools><add name="DefaultAppPool" /><add name="WsusPool" managedRuntimeVersion="v4.0" /></applicationPools>',
    "    <sites>",
  ];
  for (const site of model.sites) {
    out.push(`      <site name="${esc(site.name)}" id="${site.id}" serverAutoStart="true">`);
    for (const app of site.apps) {
      out.push(`        <application path="${esc(app.path)}" applicationPool="${esc(app.pool ?? "DefaultAppPool")}">`);
      out.push(`          <virtualDirectory path="/" physicalPath="${esc(app.physicalPath)}" />`);
      for (const v of app.vdirs ?? []) out.push(`          <virtualDirectory path="${esc(v.path)}" physicalPath="${esc(v.physicalPath)}" />`);
      out.push("        </application>");
    }
    out.push("        <bindings>");
    for (const b of site.bindings) out.push(`          <binding protocol="${esc(b.protocol)}" bindingInformation="${esc(b.info)}" />`);
    out.push("        </bindings>", "      </site>");
  }
  out.push("    </sites>", "  </system.applicationHost>");
  out.push(authXml(model.serverAnonymous, model.serverWindows, undefined, "  "));
  for (const loc of model.locations) {
    out.push(`  <location path="${esc(loc.path)}" overrideMode="Allow">`);
    out.push(authXml(loc.anonymous, loc.windows, loc.sslFlags, "    "));
    out.push("  </location>");
  }
  out.push("</configuration>", "");
  return out.join("\r\n");
}

/** Windows path (C:\…) → path in the lab folder. */
export function labPath(dir: string, windowsPath: string): string {
  const m = /^([A-Za-z]):\\?(.*)$/.exec(windowsPath);
  if (!m) throw new Error(`not a drive path: ${windowsPath}`);
  return path.join(dir, m[1].toUpperCase(), ...m[2].split("\\").filter(Boolean));
}

export const CONFIG_PATH = "C:\\Windows\\System32\\inetsrv\\config\\applicationHost.config";

/** The files a healthy WSUS lab holds (deliberately in mixed case to exercise case-insensitive lookup). */
export function defaultFiles(): Record<string, string | Buffer> {
  return {
    "C:\\inetpub\\wwwroot\\iisstart.htm": "<html><body>IIS</body></html>",
    [`${INSTALL}\\SelfUpdate\\WUIDENT.CAB`]: CAB,
    [`${INSTALL}\\SelfUpdate\\iuident.cab`]: CAB,
    [`${INSTALL}\\WebServices\\ClientWebService\\Client.asmx`]: '<%@ WebService Class="Microsoft.UpdateServices.Internal.Client" %>',
    [`${INSTALL}\\WebServices\\ClientWebService\\wusserverversion.xml`]: '<?xml version="1.0"?><ServerVersion>10.0.20348</ServerVersion>',
    [`${INSTALL}\\WebServices\\ClientWebService\\Web.config`]: "<configuration />",
    [`${INSTALL}\\WebServices\\SimpleAuthWebService\\SimpleAuth.asmx`]: "",
    [`${INSTALL}\\WebServices\\ApiRemoting30\\WebService.asmx`]: "",
    [`${INSTALL}\\WebServices\\Root\\placeholder.txt`]: "root",
    [`${INSTALL}\\Administration\\Default.aspx`]: "<%@ Page %>",
    "C:\\WSUS\\WsusContent\\00\\placeholder.txt": "content",
  };
}

export async function makeLab(model: LabModel, files: Record<string, string | Buffer> = defaultFiles(), labJsonExtra: Record<string, unknown> = {}): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "wsus-iis-http-lab-"));
  await fs.writeFile(
    path.join(dir, "lab.json"),
    JSON.stringify(
      {
        schema: "wsus-iis/lab@1",
        computerName: "WSUS01",
        environment: { SystemDrive: "C:", ProgramFiles: "C:\\Program Files", windir: "C:\\Windows" },
        ...labJsonExtra,
      },
      null,
      2,
    ),
  );
  for (const [p, content] of Object.entries(files)) {
    const file = labPath(dir, p);
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(file, content);
  }
  await writeConfig(dir, model);
  return dir;
}

export async function writeConfig(dir: string, model: LabModel | string): Promise<void> {
  const file = labPath(dir, CONFIG_PATH);
  await fs.mkdir(path.dirname(file), { recursive: true });
  // Write-then-rename so a polling reader never sees half a file.
  const tmp = `${file}.tmp-${process.pid}`;
  await fs.writeFile(tmp, typeof model === "string" ? model : applicationHostXml(model));
  await fs.rename(tmp, file);
}

export async function removeLab(dir: string): Promise<void> {
  await fs.rm(dir, { recursive: true, force: true });
}

/** A TCP port on 127.0.0.1 free right now (nothing listens on it after this returns). */
export async function freePort(): Promise<number> {
  const srv = http.createServer();
  await new Promise<void>((resolve, reject) => {
    srv.once("error", reject);
    srv.listen({ host: "127.0.0.1", port: 0 }, () => resolve());
  });
  const port = (srv.address() as AddressInfo).port;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** Raw header pairs, to see repeated headers apart. */
  rawHeaders: string[];
  body: Buffer;
}

/** One request to a loopback address; rejects with the socket error (e.g. ECONNREFUSED). */
export function request(
  address: string,
  port: number,
  urlPath: string,
  options: { method?: string; host?: string; body?: string; timeoutMs?: number } = {},
): Promise<RawResponse> {
  if (!address.startsWith("127.")) throw new Error(`tests only talk to loopback addresses, not ${address}`);
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: address,
      port,
      path: urlPath,
      method: options.method ?? "GET",
      agent: false,
      headers: { Host: options.host ?? `${address}:${port}`, Connection: "close" },
      timeout: options.timeoutMs ?? 5000,
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", reject);
    req.on("response", (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, rawHeaders: res.rawHeaders, body: Buffer.concat(chunks) }));
      res.on("error", reject);
    });
    req.end(options.body);
  });
}

export function rawHeaderValues(r: RawResponse, name: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < r.rawHeaders.length; i += 2) if (r.rawHeaders[i].toLowerCase() === name.toLowerCase()) out.push(r.rawHeaders[i + 1]);
  return out;
}

/** Poll `fn` until it returns true (bounded). */
export async function eventually(fn: () => Promise<boolean> | boolean, timeoutMs = 5000, stepMs = 50): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await fn()) return;
    if (Date.now() > end) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}
