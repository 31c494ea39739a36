import { createReadStream, promises as fs } from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as path from "node:path";
import { effectiveAuth, locationKey, parseApplicationHostConfig, type IisConfig, type IisSite } from "../../core/evidence/applicationHost";
import { normalizeWindowsPath } from "../../core/model/paths";
import type { HealthState } from "../../core/state/health";
import { labHealthOf, labWebConfigs } from "../health";
import { readLabState } from "../state";
import { XmlDoc } from "../xml";
import { APPLICATION_HOST_CONFIG, LabError, readLabInfo, resolveLabPath, type LabInfo } from "./drive";
import {
  DEFAULT_DOCUMENTS,
  MIME_TYPES,
  isHiddenSegment,
  mapUrlPath,
  owningApplicationPath,
  parseRequestPath,
  planBindings,
  selectBinding,
  type BindingPlan,
  type NotServedBinding,
  type ServedBinding,
} from "./routing";

/**
 * The lab's HTTP front: serves a lab folder's sites the way IIS would from its applicationHost.config,
 * on loopback addresses only. The config (and lab.json) are re-read on every request and polled in the
 * background, so a repair written to the lab is visible without a restart — including binding changes,
 * which open and close listeners.
 *
 * Modelled: http bindings (`*` → 127.0.0.1, 127.x.y.z → that address, anything else not served),
 * Host-header dispatch, deepest application / virtual directory, effective anonymous / Windows / SSL
 * settings per `<location>`, static files with IIS's MIME map, default documents, 403.14 for folders,
 * 500.19 when a virtual directory's folder is missing, and a stand-in for ASP.NET `.asmx` services.
 * SharePoint (lab.json features.sharePoint.installed) takes every path of the Default Web Site that is
 * not in its excludedPaths and answers 404 with its MicrosoftSharePointTeamServices header (cause 7).
 * NTFS ACLs only through the anonymousCanRead hook (401.3). lab.json services.W3SVC "stopped" serves
 * nothing.
 *
 * Runtime state and ASP.NET settings (issue 13), judged from the lab's health view (lab/health.ts: the
 * core's healthFromEvidence over applicationHost.config, the sites' web.config files and `appcmd list …
 * /xml`), so the lab answers by the same reading the health rules make:
 * - a stopped site has no listener: its bindings are not served and its ports refuse connections (when no
 *   other started site binds them). An IIS PM's troubleshooting guide: the browser cannot connect when
 *   "your site may be stopped" (mvolo.com, "Where did my IIS7 server go? Troubleshooting 'server not
 *   found' errors");
 * - a stopped application pool (or one the configuration does not define): HTTP.sys answers 503 itself
 *   ("All applications routed to a stopped application pool receive 503 Service Unavailable errors",
 *   Microsoft Learn, Start or Stop an Application Pool (IIS 7), cc732742), for every URL whose owning
 *   application (the longest application path that prefixes it; a static vdir under the site root
 *   belongs to the root application) runs in that pool, before any IIS module. It is logged by HTTP.sys
 *   (HTTPERR `503 … AppOffline WsusPool`, ../shared/fixtures/command-outputs/httperr-wsuspool-appoffline.txt):
 *   `onRequest` gets `httpErr: "AppOffline <pool>"`;
 * - ASP.NET impersonation effectively on (applicationHost.config `<location>` or web.config, inherited) for
 *   the virtual directory a URL falls in: 500.24 from ConfigurationValidationModule at BeginRequest, before
 *   authentication, for static files too (KB 2737219's W3C log: `GET /selfupdate/iuident.cab … 500 24`;
 *   its trace: ConfigurationValidationModule, 0x80070032).
 *
 * Not modelled: handlers other than static files and `.asmx`, web.config files other than
 * system.web/identity (and those of folders below a virtual directory's own), Classic pipeline pools and
 * validateIntegratedModeConfiguration="false" (both would avoid the 500.24), HTTP.sys queue limits
 * (503 QueueFull), TLS.
 */

export interface ServeLabOptions {
  /** Binding port → port to listen on (e.g. { 80: 18080 }). 0 = an ephemeral port. */
  portMap?: Readonly<Record<number, number>>;
  /** Background poll of applicationHost.config for binding changes, in ms (default 250; 0 = only on requests). */
  pollMs?: number;
  /** Told about config reload failures and listeners that cannot be opened. */
  onWarning?: (message: string) => void;
  /** Told about every request answered. */
  onRequest?: (entry: AccessLogEntry) => void;
  /**
   * NTFS check for the anonymous user (IUSR / IUSR_<COMPUTERNAME>) on the file or folder about to be
   * served; false → 401.3, as IIS answers when the ACL denies the anonymous identity (KB 920659 cause 1).
   * Without it the lab grants every read (ACLs are the lab core's business: lab.json `acls`).
   */
  anonymousCanRead?: (request: AnonymousReadRequest) => Promise<boolean> | boolean;
}

export interface AnonymousReadRequest {
  labDir: string;
  site: string;
  /** The URL path asked for, decoded ("/Selfupdate/wuident.cab"). */
  urlPath: string;
  /** Expanded Windows path of the file or folder ("C:\Program Files\Update Services\Selfupdate\wuident.cab"). */
  windowsPath: string;
  /** The effective anonymousAuthentication/@userName for the URL (null: set nowhere, IUSR). */
  anonymousUser: string | null;
}

export interface Endpoint {
  site: string;
  /** bindingInformation as written, e.g. "*:80:". */
  binding: string;
  address: string;
  port: number;
  /** http://address:port/ */
  url: string;
}

export interface NotServed {
  site: string;
  binding: string;
  protocol: string;
  reason: string;
}

export interface AccessLogEntry {
  site: string | null;
  address: string;
  port: number;
  method: string;
  url: string;
  status: number;
  substatus: number;
  /**
   * Answered by HTTP.sys without IIS, as its HTTPERR log records it: s-reason and s-queuename
   * ("AppOffline WsusPool" for a stopped pool). Absent for what IIS answered (its W3C log).
   */
  httpErr?: string;
}

export interface LabServer {
  /** The bindings answered right now, one entry per binding and loopback address. */
  readonly endpoints: Endpoint[];
  /** Bindings that are not answered, with the reason. */
  readonly notServed: NotServed[];
  /** Re-read the lab now and open / close listeners to match (done on every request and poll anyway). */
  reload(): Promise<void>;
  close(): Promise<void>;
}

interface Listener {
  address: string;
  configPort: number;
  port: number;
  server: http.Server;
}

const CONFIG_FIELD = "applicationHost.config";
const ACL_DENIED = "You do not have permission to view this directory or page because of the access control list (ACL) configuration.";

/** Start serving the lab folder `dir`. Rejects (LabError / EvidenceError) when the lab or its config cannot be read. */
export async function serveLab(dir: string, options: ServeLabOptions = {}): Promise<LabServer> {
  const front = new LabFront(path.resolve(dir), options);
  await front.start();
  return front;
}

class LabFront implements LabServer {
  private lab!: LabInfo;
  private config!: IisConfig;
  private configText = "";
  private configDoc!: XmlDoc;
  private labText = "";
  /** The sites' web.config files as last read (JSON), and the health view built from everything. */
  private webText = "";
  private health!: HealthState;
  private plan!: BindingPlan;
  private readonly listeners = new Map<string, Listener>();
  /** Listen failures of the current config version (retried when the config changes). */
  private readonly failed = new Map<string, string>();
  /** Ephemeral ports chosen for unmapped privileged binding ports, kept across reloads. */
  private readonly chosenPorts = new Map<number, number>();
  private readonly closing = new Set<Promise<void>>();
  private chain: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | null = null;
  private closed = false;
  private lastWarning = "";

  constructor(
    private readonly dir: string,
    private readonly options: ServeLabOptions,
  ) {}

  async start(): Promise<void> {
    await this.load(true);
    await this.reconcile();
    const pollMs = this.options.pollMs ?? 250;
    if (pollMs > 0) {
      this.timer = setInterval(() => void this.reload().catch(() => undefined), pollMs);
      this.timer.unref();
    }
  }

  get endpoints(): Endpoint[] {
    const out: Endpoint[] = [];
    for (const s of this.plan.served) {
      const l = this.listeners.get(key(s.address, s.configPort));
      if (l) out.push({ site: s.site, binding: s.binding, address: s.address, port: l.port, url: `http://${s.address}:${l.port}/` });
    }
    return out;
  }

  get notServed(): NotServed[] {
    const out: NotServed[] = this.plan.notServed.map((n: NotServedBinding) => ({ ...n }));
    for (const s of this.plan.served) {
      const reason = this.failed.get(key(s.address, s.configPort));
      if (reason !== undefined) out.push({ site: s.site, binding: s.binding, protocol: "http", reason });
    }
    return out;
  }

  reload(): Promise<void> {
    const next = this.chain.then(async () => {
      if (this.closed) return;
      if (await this.load(false)) await this.reconcile();
    });
    this.chain = next.catch(() => undefined);
    return next;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    await this.chain;
    for (const l of this.listeners.values()) this.stop(l);
    this.listeners.clear();
    await Promise.all([...this.closing]);
  }

  private warn(message: string): void {
    if (message === this.lastWarning) return;
    this.lastWarning = message;
    this.options.onWarning?.(message);
  }

  /** Read lab.json and applicationHost.config; true when something changed. Throws only on the first load. */
  private async load(first: boolean): Promise<boolean> {
    try {
      const labText = await fs.readFile(path.join(this.dir, "lab.json"), "utf8").catch(() => "");
      const labChanged = first || labText !== this.labText;
      const lab = labChanged ? await readLabInfo(this.dir) : this.lab;
      const where = await resolveLabPath(lab, APPLICATION_HOST_CONFIG);
      if (where.kind !== "file") throw new LabError(`${CONFIG_FIELD}: not found in the lab (${APPLICATION_HOST_CONFIG})`);
      const text = await fs.readFile(where.path, "utf8");
      const configChanged = first || text !== this.configText;
      const doc = configChanged ? XmlDoc.parse(text) : this.configDoc;
      // web.config files change without applicationHost.config (impersonation-webconfig): read them every time
      const webConfigs = await labWebConfigs(this.dir, doc, lab.env);
      const webText = JSON.stringify(webConfigs);
      if (!labChanged && !configChanged && webText === this.webText) return false;
      const config = configChanged ? parseApplicationHostConfig(text) : this.config;
      const { health } = labHealthOf({ state: await readLabState(this.dir), text, doc, config, env: lab.env, webConfigs });
      this.lab = lab;
      this.labText = labText;
      this.config = config;
      this.configText = text;
      this.configDoc = doc;
      this.webText = webText;
      this.health = health;
      this.plan = lab.w3svcStopped ? stoppedPlan(planBindings(config)) : startedSitesPlan(config, health);
      this.failed.clear();
      this.lastWarning = "";
      return true;
    } catch (e) {
      if (first) throw e;
      this.warn(`lab reload failed, still serving the previous configuration: ${(e as Error).message}`);
      return false;
    }
  }

  private portFor(configPort: number): number {
    const mapped = this.options.portMap?.[configPort];
    if (mapped !== undefined) return mapped === 0 ? (this.chosenPorts.get(configPort) ?? 0) : mapped;
    if (configPort > 1024) return configPort;
    return this.chosenPorts.get(configPort) ?? 0;
  }

  /** Open the listeners the current plan needs, close the others. */
  private async reconcile(): Promise<void> {
    const wanted = new Map(this.plan.listeners.map((l) => [key(l.address, l.configPort), l]));
    for (const [k, l] of this.listeners) {
      if (!wanted.has(k)) {
        this.listeners.delete(k);
        this.stop(l);
      }
    }
    for (const [k, want] of wanted) {
      if (this.listeners.has(k) || this.failed.has(k)) continue;
      const port = this.portFor(want.configPort);
      try {
        const server = await this.listen(want.address, port, want.configPort);
        const actual = (server.address() as AddressInfo).port;
        if (port === 0) this.chosenPorts.set(want.configPort, actual);
        this.listeners.set(k, { address: want.address, configPort: want.configPort, port: actual, server });
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        const reason =
          code === "EADDRINUSE"
            ? `cannot listen on ${want.address}:${port}: the port is in use (map it with --port-map ${want.configPort}=PORT)`
            : code === "EADDRNOTAVAIL"
              ? `cannot listen on ${want.address}: address not available on this machine`
              : code === "EACCES"
                ? `cannot listen on ${want.address}:${port}: permission denied (map it with --port-map ${want.configPort}=PORT)`
                : `cannot listen on ${want.address}:${port}: ${(e as Error).message}`;
        this.failed.set(k, reason);
        this.warn(reason);
      }
    }
  }

  private listen(address: string, port: number, configPort: number): Promise<http.Server> {
    const server = http.createServer((req, res) => {
      void this.handle(req, res, address, configPort).catch((e) => {
        if (!res.headersSent) sendError(res, 500, 0, `internal lab error: ${(e as Error).message}`, null);
        else res.destroy();
      });
    });
    server.keepAliveTimeout = 1000;
    return new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen({ host: address, port, exclusive: true }, () => {
        server.off("error", reject);
        resolve(server);
      });
    });
  }

  private stop(l: Listener): void {
    const done = new Promise<void>((resolve) => l.server.close(() => resolve()));
    l.server.closeAllConnections();
    this.closing.add(done);
    void done.then(() => this.closing.delete(done));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse, address: string, configPort: number): Promise<void> {
    await this.reload().catch(() => undefined);
    const port = this.listeners.get(key(address, configPort))?.port ?? 0;
    let siteName: string | null = null;
    const log = (status: number, substatus: number) =>
      this.options.onRequest?.({ site: siteName, address, port, method: req.method ?? "", url: req.url ?? "", status, substatus });

    const binding: ServedBinding | null = selectBinding(this.plan.served, address, configPort, req.headers.host);
    const site = binding ? this.config.sites.find((s) => s.name === binding.site) : undefined;
    if (!binding || !site) {
      // HTTP.sys answers itself when no site takes the host name, with its own page, not IIS's
      // (headers and body as captured: pastebin.com/wxz1UKNS, postmanlabs/postman-app-support#14137).
      sendHttpSysInvalidHostname(res, req.method === "HEAD");
      return log(400, 0);
    }
    siteName = site.name;
    const out = await this.respond(req, res, site);
    if (out.httpErr !== undefined) this.options.onRequest?.({ site: siteName, address, port, method: req.method ?? "", url: req.url ?? "", status: out.status, substatus: out.substatus, httpErr: out.httpErr });
    else log(out.status, out.substatus);
  }

  /**
   * The application pool that serves a URL when it is not running: the pool of the URL's owning application
   * (core/state/health.ts appPoolOf) when it is stopped, stopping, or not defined at all. null: served.
   */
  private offlinePool(site: IisSite, segments: readonly string[]): string | null {
    const appPath = owningApplicationPath(site, segments);
    if (appPath === null) return null;
    const poolName = this.health.appPoolOf[locationKey(`${site.name}/${appPath}`)];
    if (poolName === undefined) return null;
    const pool = this.health.appPools.find((p) => p.name.toLowerCase() === poolName.toLowerCase());
    return !pool || pool.state === "Stopped" || pool.state === "Stopping" ? (pool?.name ?? poolName) : null;
  }

  private async respond(req: http.IncomingMessage, res: http.ServerResponse, site: IisSite): Promise<{ status: number; substatus: number; httpErr?: string }> {
    res.setHeader("Server", "Microsoft-IIS/10.0 (wsus-iis lab)");
    res.setHeader("X-Wsus-Iis-Lab-Site", encodeURIComponent(site.name));
    const fail = (status: number, substatus: number, detail: string, extra: Record<string, string | string[]> | null = null) => {
      sendError(res, status, substatus, detail, extra, req.method === "HEAD");
      return { status, substatus };
    };

    const parsed = parseRequestPath(req.url);
    if (!parsed.ok) return fail(400, 0, parsed.reason);
    // HTTP.sys routes the request to the owning application's pool queue before IIS sees it
    const offline = this.offlinePool(site, parsed.segments);
    if (offline !== null) {
      sendHttpSysServiceUnavailable(res, req.method === "HEAD");
      return { status: 503, substatus: 0, httpErr: `AppOffline ${offline}` };
    }
    if (parsed.segments.some(isHiddenSegment)) return fail(404, 8, "The request filtering module hides this path (hidden segment).");

    const mapped = mapUrlPath(site, parsed.segments);
    if (!mapped) return fail(404, 0, `Site "${site.name}" has no root virtual directory.`);

    // ConfigurationValidationModule, BeginRequest: before authentication and before the file is looked up
    if (this.health.impersonation[locationKey(`${site.name}${mapped.vdirPath}`)] === true) {
      return fail(
        500,
        24,
        "An ASP.NET setting has been detected that does not apply in Integrated managed pipeline mode. system.web/identity@impersonate is set to true. Module ConfigurationValidationModule, Notification BeginRequest. Error Code 0x80070032",
      );
    }

    // SSL, then authentication: both happen before any handler looks for the file.
    const auth = effectiveAuth(this.config, site.name, parsed.path);
    if (auth.requireSsl === true) return fail(403, 4, "SSL is required to view this resource (access sslFlags=Ssl).");
    if (auth.anonymous !== true) {
      // IIS schema default for both is false when nothing sets them.
      if (auth.windows === true) return fail(401, 2, "Anonymous access is disabled; Windows authentication is required.", { "WWW-Authenticate": ["Negotiate", "NTLM"] });
      return fail(401, 2, "No authentication method is enabled for this resource.");
    }

    const method = req.method ?? "GET";
    if (this.lab.sharePoint && isSharePointSite(site) && !isExcluded(parsed.segments, this.lab.sharePoint.excludedPaths)) {
      sendError(res, 404, 0, "SharePoint: the file or folder does not exist (not an excluded managed path).", { MicrosoftSharePointTeamServices: "12.0.0.6219" }, method === "HEAD");
      return { status: 404, substatus: 0 };
    }
    const root = await resolveLabPath(this.lab, mapped.physicalPath);
    if (root.kind !== "directory") {
      const why = root.kind === "outside" ? root.reason : root.kind === "missing" ? `${root.missingAt} does not exist` : "it is a file";
      return fail(500, 19, `Cannot read configuration file: the physical path of ${mapped.vdirPath} (${mapped.physicalPath}) is not a folder: ${why}. Error Code 0x80070003`);
    }

    const last = parsed.segments[parsed.segments.length - 1] ?? "";
    if (last.toLowerCase().endsWith(".asmx") && mapped.appPath !== "/") {
      // Stand-in for an ASP.NET web service in an existing application (the lab has no ASP.NET).
      if (method !== "GET" && method !== "HEAD" && method !== "POST") return fail(405, 0, `${method} is not allowed here.`, { Allow: "GET, HEAD, POST" });
      return sendAsmx(res, method, mapped.appPath, last);
    }

    const target = await resolveLabPath(this.lab, mapped.physicalPath, mapped.rest);
    if (target.kind === "missing" || target.kind === "outside") return fail(404, 0, "The resource you are looking for has been removed, had its name changed, or is temporarily unavailable.");

    let file = target.path;
    if (target.kind === "directory") {
      if (!parsed.trailingSlash && parsed.segments.length > 0) {
        res.statusCode = 301;
        res.setHeader("Location", encodeURI(parsed.path + "/"));
        res.setHeader("Content-Type", "text/html; charset=UTF-8");
        res.end(method === "HEAD" ? undefined : `<head><title>Document Moved</title></head><body><h1>Object Moved</h1>This document may be found <a href="${escapeHtml(parsed.path)}/">here</a></body>`);
        return { status: 301, substatus: 0 };
      }
      let doc: string | null = null;
      for (const name of DEFAULT_DOCUMENTS) {
        const d = await resolveLabPath(this.lab, mapped.physicalPath, [...mapped.rest, name]);
        if (d.kind === "file") {
          doc = d.path;
          break;
        }
      }
      if (doc === null) {
        const deniedDir = await this.aclDenies(site, parsed.path, mapped.physicalPath, mapped.rest);
        if (deniedDir) return fail(401, 3, ACL_DENIED, deniedDir);
        return fail(403, 14, "A default document is not configured for the requested URL, and directory browsing is not enabled on the server.");
      }
      file = doc;
    }

    const denied = await this.aclDenies(site, parsed.path, mapped.physicalPath, [...mapped.rest, ...(file === target.path ? [] : [path.basename(file)])]);
    if (denied) return fail(401, 3, ACL_DENIED, denied);

    const type = MIME_TYPES[path.extname(file).toLowerCase()];
    if (type === undefined) return fail(404, 3, "The page you are requesting cannot be served because of the extension configuration (no MIME map).");
    if (method !== "GET" && method !== "HEAD") return fail(405, 0, `The HTTP verb ${method} used to access this page is not allowed.`, { Allow: "GET, HEAD" });

    const st = await fs.stat(file);
    res.statusCode = 200;
    res.setHeader("Content-Type", type);
    res.setHeader("Content-Length", String(st.size));
    res.setHeader("Last-Modified", st.mtime.toUTCString());
    res.setHeader("Accept-Ranges", "bytes");
    if (method === "HEAD") {
      res.end();
      return { status: 200, substatus: 0 };
    }
    await new Promise<void>((resolve, reject) => {
      const stream = createReadStream(file);
      stream.on("error", reject);
      res.on("close", resolve);
      stream.pipe(res);
    }).catch(() => res.destroy());
    return { status: 200, substatus: 0 };
  }

  /** null when the anonymous user may read; otherwise the extra headers of the 401.3 (challenges when Windows auth is on). */
  private async aclDenies(site: IisSite, urlPath: string, physicalPath: string, rest: string[]): Promise<Record<string, string[]> | null> {
    const hook = this.options.anonymousCanRead;
    if (!hook) return null;
    const base = normalizeWindowsPath(physicalPath, this.lab.env);
    const windowsPath = [base.replace(/\\+$/, ""), ...rest].join("\\");
    const auth = effectiveAuth(this.config, site.name, urlPath);
    if (await hook({ labDir: this.dir, site: site.name, urlPath, windowsPath, anonymousUser: auth.anonymousUser })) return null;
    return auth.windows === true ? { "WWW-Authenticate": ["Negotiate", "NTLM"] } : {};
  }
}

/**
 * Sites whose runtime state is Stopped (or Stopping) have no URL registration with HTTP.sys: their
 * bindings are left out before listeners are planned, so a port only they bind refuses connections.
 */
function startedSitesPlan(config: IisConfig, health: HealthState): BindingPlan {
  const stopped = (s: IisSite) => {
    const st = health.siteStates?.[s.name.toLowerCase()];
    return st === "Stopped" || st === "Stopping";
  };
  const plan = planBindings({ ...config, sites: config.sites.filter((s) => !stopped(s)) });
  for (const s of config.sites.filter(stopped)) {
    for (const b of s.bindings) plan.notServed.push({ site: s.name, binding: b.bindingInformation, protocol: b.protocol, reason: "the site is stopped (appcmd list site: state:Stopped)" });
  }
  return plan;
}

/** W3SVC stopped: no binding is answered. */
function stoppedPlan(plan: BindingPlan): BindingPlan {
  const reason = "the World Wide Web Publishing Service (W3SVC) is stopped";
  const seen = new Set<string>();
  const notServed = [...plan.notServed];
  for (const s of plan.served) {
    const k = `${s.site}|${s.binding}`;
    if (seen.has(k)) continue;
    seen.add(k);
    notServed.push({ site: s.site, binding: s.binding, protocol: "http", reason });
  }
  return { served: [], notServed, listeners: [] };
}

/** SharePoint extends the Default Web Site (KB 920659 cause 7). */
function isSharePointSite(site: IisSite): boolean {
  return site.id === 1 || site.name.toLowerCase() === "default web site";
}

function isExcluded(segments: readonly string[], excludedPaths: readonly string[]): boolean {
  const lower = segments.map((s) => s.toLowerCase());
  return excludedPaths.some((p) => {
    const ex = p.split("/").filter((x) => x !== "").map((x) => x.toLowerCase());
    return ex.length > 0 && ex.length <= lower.length && ex.every((x, i) => x === lower[i]);
  });
}

function key(address: string, configPort: number): string {
  return `${address}|${configPort}`;
}

const REASONS: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  500: "Internal Server Error",
};

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** An IIS-style detailed error page: "HTTP Error 404.0 - Not Found" (what local requests see by default). */
function sendError(
  res: http.ServerResponse,
  status: number,
  substatus: number,
  detail: string,
  extra: Record<string, string | string[]> | null,
  headOnly = false,
): void {
  const title = `HTTP Error ${status}.${substatus} - ${REASONS[status] ?? "Error"}`;
  const body = `<!DOCTYPE html>\r\n<html><head><title>${title}</title></head><body><h3>${title}</h3><p>${escapeHtml(detail)}</p></body></html>\r\n`;
  res.statusCode = status;
  for (const [k, v] of Object.entries(extra ?? {})) res.setHeader(k, v);
  res.setHeader("Content-Type", "text/html");
  res.setHeader("Content-Length", String(Buffer.byteLength(body)));
  res.end(headOnly ? undefined : body);
}

/**
 * HTTP.sys's own error pages (no IIS module ran): the same HTML 4.01 frame and Server header for each.
 * 400: "Bad Request - Invalid Hostname" / "HTTP Error 400. The request hostname is invalid."
 * 503, for a request routed to a stopped application pool: "Service Unavailable" / "HTTP Error 503. The
 * service is unavailable." (the plain page IIS troubleshooting pages show).
 */
function sendHttpSysError(res: http.ServerResponse, headOnly: boolean, status: 400 | 503, title: string, heading: string, text: string): void {
  const body =
    '<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01//EN""http://www.w3.org/TR/html4/strict.dtd">\r\n' +
    `<HTML><HEAD><TITLE>${title}</TITLE>\r\n<META HTTP-EQUIV="Content-Type" Content="text/html; charset=us-ascii"></HEAD>\r\n` +
    `<BODY><h2>${heading}</h2>\r\n<hr><p>${text}</p>\r\n</BODY></HTML>\r\n`;
  res.statusCode = status;
  res.setHeader("Server", "Microsoft-HTTPAPI/2.0");
  res.setHeader("Content-Type", "text/html; charset=us-ascii");
  res.setHeader("Content-Length", String(Buffer.byteLength(body)));
  res.end(headOnly ? undefined : body);
}

function sendHttpSysInvalidHostname(res: http.ServerResponse, headOnly: boolean): void {
  sendHttpSysError(res, headOnly, 400, "Bad Request", "Bad Request - Invalid Hostname", "HTTP Error 400. The request hostname is invalid.");
}

function sendHttpSysServiceUnavailable(res: http.ServerResponse, headOnly: boolean): void {
  sendHttpSysError(res, headOnly, 503, "Service Unavailable", "Service Unavailable", "HTTP Error 503. The service is unavailable.");
}

function sendAsmx(res: http.ServerResponse, method: string, appPath: string, file: string): { status: number; substatus: number } {
  const body =
    method === "POST"
      ? `<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><LabResponse xmlns="urn:wsus-iis:lab" app="${escapeHtml(appPath)}" service="${escapeHtml(file)}"/></soap:Body></soap:Envelope>`
      : `<html><head><title>${escapeHtml(file)}</title></head><body>Web service ${escapeHtml(appPath)}/${escapeHtml(file)} (wsus-iis lab)</body></html>`;
  res.statusCode = 200;
  res.setHeader("Content-Type", method === "POST" ? "text/xml; charset=utf-8" : "text/html; charset=utf-8");
  res.setHeader("Content-Length", String(Buffer.byteLength(body)));
  res.end(method === "HEAD" ? undefined : body);
  return { status: 200, substatus: 0 };
}
