import { SaxesParser } from "saxes";
import { z } from "zod";
import { DEFAULT_WINDOWS_ENV, normalizeWindowsPath } from "../model/paths";
import { LocationSettings, type AuthState, type Binding, type SiteState, type VdirState } from "../state/schema";
import { EvidenceError } from "./errors";

/**
 * applicationHost.config → the few things the rules judge: sites (bindings, applications, virtual
 * directories) and the authentication / SSL settings per `<location>`. Streaming (saxes): only the
 * elements on the paths below are looked at; everything else (configSections, modules, handlers,
 * unknown sections, comments, PIs) is skipped without being kept.
 *
 *   configuration/system.applicationHost/sites/site[@name,@id]
 *     bindings/binding[@protocol,@bindingInformation]
 *     application[@path,@applicationPool]/virtualDirectory[@path,@physicalPath]
 *   configuration/system.webServer/security/…                     (server level, location "")
 *   configuration/location[@path]/system.webServer/security/…     (per location)
 *     authentication/anonymousAuthentication[@enabled]
 *     authentication/windowsAuthentication[@enabled]
 *     access[@sslFlags]
 */

const FIELD = "applicationHostConfig";

export const IisBinding = z.object({ protocol: z.string(), bindingInformation: z.string() });
export const IisVirtualDirectory = z.object({ path: z.string(), physicalPath: z.string() });
export const IisApplication = z.object({
  path: z.string(),
  applicationPool: z.string().nullable(),
  virtualDirectories: z.array(IisVirtualDirectory),
});
export const IisSite = z.object({
  name: z.string(),
  id: z.number().int().nullable(),
  bindings: z.array(IisBinding),
  applications: z.array(IisApplication),
});
/** What one `<location>` (or the server level) SETS; an absent key means "inherit". */
export const LocationAuth = LocationSettings;
export const IisConfig = z.object({
  sites: z.array(IisSite),
  /**
   * Keyed by locationKey(): "" = server level (the root `<system.webServer>` and `<location path="">`),
   * "wsus administration", "wsus administration/apiremoting30" … (lower case, no leading/trailing
   * slashes). Only locations that set at least one of the values appear. Later declarations of the
   * same location override earlier ones, attribute by attribute.
   */
  authByLocation: z.map(z.string(), LocationAuth),
});

export type IisBinding = z.infer<typeof IisBinding>;
export type IisVirtualDirectory = z.infer<typeof IisVirtualDirectory>;
export type IisApplication = z.infer<typeof IisApplication>;
export type IisSite = z.infer<typeof IisSite>;
export type LocationAuth = z.infer<typeof LocationAuth>;
export type IisConfig = z.infer<typeof IisConfig>;

/** The comparison key of a `<location path>` (or "site/url/path"): lower case, segments joined by "/". */
export function locationKey(path: string): string {
  let key = "";
  for (const seg of path.replace(/\\/g, "/").split("/")) {
    const s = seg.trim();
    if (s === "") continue;
    key = key === "" ? s : `${key}/${s}`;
  }
  return key.toLowerCase();
}

// Parser modes: what the element being opened is, given its parent's mode.
const SKIP = 0;
const DOC = 1; // before the root element
const CONFIG = 2; // <configuration>
const APPHOST = 3; // configuration/system.applicationHost
const SITES = 4; // …/sites
const SITE = 5; // …/sites/site
const BINDINGS = 6; // …/site/bindings
const APP = 7; // …/site/application
const LOCATION = 8; // configuration/location
const WEBSERVER = 9; // configuration[/location]/system.webServer
const SECURITY = 10; // …/system.webServer/security
const AUTHN = 11; // …/security/authentication

function parseEnabled(value: string | undefined): boolean | undefined {
  if (value === undefined) return undefined;
  const v = value.trim().toLowerCase();
  if (v === "true") return true;
  if (v === "false") return false;
  return undefined; // not a boolean IIS would accept: treat as not set
}

function parseSiteId(value: string | undefined): number | null {
  if (value === undefined) return null;
  const v = value.trim();
  if (!/^\d+$/.test(v)) return null;
  const n = Number(v);
  return Number.isSafeInteger(n) ? n : null;
}

function xmlErrorDetail(err: unknown, line: number, column: number): string {
  const raw = err instanceof Error ? err.message : String(err);
  // saxes prefixes "line:column: "; we print our own position.
  const msg = raw.replace(/^\d+:\d+:\s*/, "").trim();
  return `not well-formed XML at line ${line}, column ${column}: ${msg}`;
}

/**
 * Parse the raw text of applicationHost.config. Tolerates a UTF-8 BOM, CRLF, comments, processing
 * instructions and unknown elements anywhere. Throws EvidenceError for malformed XML or a document
 * whose root is not `<configuration>`.
 *
 * Memory: only the values listed above are kept (5,000 WSUS-like sites ≈ 20 MB of heap). They are V8
 * slices of `xml`, so the result keeps the text alive; that costs nothing while the caller holds the
 * text anyway (Evidence does) and copying every value would cost more (measured: +40 % heap, +10 ms).
 */
export function parseApplicationHostConfig(xml: string): IisConfig {
  if (typeof xml !== "string") throw new EvidenceError(FIELD, "expected the text of applicationHost.config");

  if (/^\uFEFF?\s*$/.test(xml)) throw new EvidenceError(FIELD, "the document is empty");

  const sites: IisSite[] = [];
  const authByLocation = new Map<string, LocationAuth>();

  const modes: number[] = [DOC];
  let skipDepth = 0; // elements opened below a SKIP element (not pushed on `modes`)
  let site: IisSite | null = null;
  let app: IisApplication | null = null;
  let locKey = ""; // key of the <location> being read
  let webKey = ""; // key of the <system.webServer> being read
  let sawRoot = false;

  const authFor = (key: string): LocationAuth => {
    let entry = authByLocation.get(key);
    if (entry === undefined) {
      entry = {};
      authByLocation.set(key, entry);
    }
    return entry;
  };

  const parser = new SaxesParser({ position: true });

  parser.on("error", (err) => {
    throw new EvidenceError(FIELD, xmlErrorDetail(err, parser.line, parser.column));
  });

  parser.on("opentag", (tag) => {
    if (skipDepth > 0) {
      skipDepth++;
      return;
    }
    const parent = modes[modes.length - 1];
    const name = tag.name;
    const attrs = tag.attributes as Record<string, string>;
    let mode = SKIP;
    switch (parent) {
      case DOC:
        if (name !== "configuration") {
          throw new EvidenceError(FIELD, `the root element is <${name}>, expected <configuration> (is this an applicationHost.config?)`);
        }
        sawRoot = true;
        mode = CONFIG;
        break;
      case CONFIG:
        if (name === "system.applicationHost") mode = APPHOST;
        else if (name === "system.webServer") {
          webKey = "";
          mode = WEBSERVER;
        } else if (name === "location") {
          locKey = locationKey(attrs.path ?? "");
          mode = LOCATION;
        }
        break;
      case LOCATION:
        if (name === "system.webServer") {
          webKey = locKey;
          mode = WEBSERVER;
        }
        break;
      case APPHOST:
        if (name === "sites") mode = SITES;
        break;
      case SITES:
        if (name === "site") {
          site = { name: attrs.name ?? "", id: parseSiteId(attrs.id), bindings: [], applications: [] };
          sites.push(site);
          mode = SITE;
        }
        break;
      case SITE:
        if (name === "bindings") mode = BINDINGS;
        else if (name === "application" && site !== null) {
          app = { path: attrs.path ?? "", applicationPool: attrs.applicationPool ?? null, virtualDirectories: [] };
          site.applications.push(app);
          mode = APP;
        }
        break;
      case BINDINGS:
        if (name === "binding" && site !== null) {
          site.bindings.push({ protocol: attrs.protocol ?? "", bindingInformation: attrs.bindingInformation ?? "" });
        }
        break;
      case APP:
        if (name === "virtualDirectory" && app !== null) {
          app.virtualDirectories.push({ path: attrs.path ?? "", physicalPath: attrs.physicalPath ?? "" });
        }
        break;
      case WEBSERVER:
        if (name === "security") mode = SECURITY;
        break;
      case SECURITY:
        if (name === "authentication") mode = AUTHN;
        else if (name === "access" && attrs.sslFlags !== undefined) authFor(webKey).sslFlags = attrs.sslFlags;
        break;
      case AUTHN:
        if (name === "anonymousAuthentication" || name === "windowsAuthentication") {
          const enabled = parseEnabled(attrs.enabled);
          if (enabled !== undefined) {
            if (name === "anonymousAuthentication") authFor(webKey).anonymous = enabled;
            else authFor(webKey).windows = enabled;
          }
          if (name === "anonymousAuthentication" && attrs.userName !== undefined) authFor(webKey).anonymousUser = attrs.userName.trim();
        }
        break;
    }
    if (mode === SKIP) skipDepth = 1;
    else modes.push(mode);
  });

  parser.on("closetag", () => {
    if (skipDepth > 0) {
      skipDepth--;
      return;
    }
    const mode = modes.pop();
    if (mode === SITE) site = null;
    else if (mode === APP) app = null;
  });

  try {
    parser.write(xml);
    parser.close();
  } catch (err) {
    if (err instanceof EvidenceError) throw err;
    throw new EvidenceError(FIELD, xmlErrorDetail(err, parser.line, parser.column));
  }
  if (!sawRoot) throw new EvidenceError(FIELD, "no <configuration> root element");

  return { sites, authByLocation };
}

const IP_PORT_HOST = new Set(["http", "https", "ftp", "ftps"]);

function normalizeIp(ip: string): string {
  let v = ip.trim();
  if (v.startsWith("[") && v.endsWith("]")) v = v.slice(1, -1);
  if (v === "" || v === "*" || v === "0.0.0.0") return "*";
  return v.toLowerCase();
}

function parsePort(port: string): number {
  const p = port.trim();
  if (!/^\d{1,5}$/.test(p)) return 0;
  const n = Number(p);
  return n <= 65535 ? n : 0;
}

/**
 * `IP:port:host` → Binding. IP "*", "" or "0.0.0.0" → "*"; IPv6 ("[2001:db8::1]:443:host") without
 * brackets, lower case; host and protocol lower case. Other protocols (net.tcp "808:*", net.pipe "*",
 * msmq.formatname "localhost") give a best-effort Binding (port 0 when none). Never throws.
 */
export function normalizeBinding(protocol: string, bindingInformation: string): Binding {
  const proto = (protocol ?? "").trim().toLowerCase();
  const info = (bindingInformation ?? "").trim();

  let ip: string;
  let rest: string; // "port:host"
  if (info.startsWith("[")) {
    const close = info.indexOf("]");
    if (close < 0) return { protocol: proto, ip: normalizeIp(info), port: 0, host: "" };
    ip = info.slice(1, close);
    rest = info.slice(close + 1).replace(/^:/, "");
  } else {
    let colons = 0;
    for (let k = info.indexOf(":"); k >= 0; k = info.indexOf(":", k + 1)) colons++;
    if (colons >= 2 || (colons === 1 && IP_PORT_HOST.has(proto))) {
      const first = info.indexOf(":");
      ip = info.slice(0, first);
      rest = info.slice(first + 1);
    } else if (colons === 1) {
      // net.tcp "808:*", net.msmq-ish "port:host"
      ip = "*";
      rest = info;
    } else if (IP_PORT_HOST.has(proto) && /^\d+$/.test(info)) {
      ip = "*";
      rest = info;
    } else {
      // net.pipe "*", msmq.formatname "localhost": only a host
      return { protocol: proto, ip: "*", port: 0, host: info === "*" ? "*" : info.toLowerCase() };
    }
  }
  const sep = rest.indexOf(":");
  const port = parsePort(sep < 0 ? rest : rest.slice(0, sep));
  const host = sep < 0 ? "" : rest.slice(sep + 1).trim().toLowerCase();
  return { protocol: proto, ip: normalizeIp(ip), port, host };
}

const sslCache = new Map<string, boolean>(); // few distinct values, looked up once per vdir

/** access/@sslFlags contains Ssl ("Ssl, SslNegotiateCert"; numeric flags: bit 8). */
export function sslFlagsRequireSsl(sslFlags: string): boolean {
  let cached = sslCache.get(sslFlags);
  if (cached === undefined) {
    if (sslCache.size >= 256) sslCache.clear();
    cached = parseSslFlags(sslFlags);
    sslCache.set(sslFlags, cached);
  }
  return cached;
}

function parseSslFlags(sslFlags: string): boolean {
  const v = sslFlags.trim();
  if (/^\d+$/.test(v)) return (Number(v) & 8) !== 0;
  return v.split(/[,\s]+/).some((f) => f.toLowerCase() === "ssl");
}

/**
 * Effective anonymous / windows / requireSsl at `siteName` + `urlPath`, resolved like IIS: server level
 * (""), then `<location path="Site">`, `Site/App`, `Site/App/Sub` … every location whose segments are a
 * prefix of Site/urlPath (case-insensitive) overrides what it sets. null = set nowhere on the chain.
 * Not modelled: inheritInChildApplications="false" and web.config files.
 */
export function effectiveAuth(config: IisConfig, siteName: string, urlPath: string): AuthState {
  const map = config.authByLocation;
  const siteKey = locationKey(siteName);
  if (siteKey === "") return resolveAuth(map.get(""), undefined, false, urlPath);
  // A view of this site's locations straight on the map (toSiteStates uses a prebuilt index instead).
  const site: LocationLookup = { get: (below) => map.get(below === "" ? siteKey : `${siteKey}/${below}`) };
  return resolveAuth(map.get(""), site, true, urlPath);
}

/**
 * IIS schema defaults for what no level of applicationHost.config sets: anonymous and Windows
 * authentication are off (IIS's own file turns anonymous on at server level), sslFlags is None.
 */
export function withSchemaDefaults(a: AuthState): AuthState {
  // anonymousUser stays null when set nowhere: IIS then runs anonymous requests as IUSR (IIS docs).
  return { anonymous: a.anonymous ?? false, anonymousUser: a.anonymousUser, windows: a.windows ?? false, requireSsl: a.requireSsl ?? false };
}

/**
 * effectiveAuth over the locations a state carries (ObservedState.locations), with the schema defaults a
 * server state has: what a site root or a URL path gets after a plan changed some locations
 * (core/plan/simulate.ts).
 */
export function effectiveAuthFrom(locations: Readonly<Record<string, LocationAuth>>, siteName: string, urlPath: string): AuthState {
  return withSchemaDefaults(effectiveAuth({ sites: [], authByLocation: new Map(Object.entries(locations)) }, siteName, urlPath));
}

interface LocationLookup {
  /** What the location `below` the site sets ("" = the site itself); keys as locationKey() makes them. */
  get(below: string): LocationAuth | undefined;
}

/** authByLocation split by site: siteKey → (path below the site, "" = the site itself → what it sets). */
interface LocationIndex {
  server: LocationAuth | undefined;
  bySite: Map<string, Map<string, LocationAuth>>;
}

function indexLocations(map: ReadonlyMap<string, LocationAuth>): LocationIndex {
  const bySite = new Map<string, Map<string, LocationAuth>>();
  for (const [key, entry] of map) {
    if (key === "") continue;
    const slash = key.indexOf("/");
    const siteKey = slash < 0 ? key : key.slice(0, slash);
    let below = bySite.get(siteKey);
    if (below === undefined) {
      below = new Map();
      bySite.set(siteKey, below);
    }
    below.set(slash < 0 ? "" : key.slice(slash + 1), entry);
  }
  return { server: map.get(""), bySite };
}

interface AuthAcc {
  anonymous: boolean | null;
  anonymousUser: string | null;
  windows: boolean | null;
  sslFlags: string | null;
}

function applyLocation(acc: AuthAcc, entry: LocationAuth | undefined): void {
  if (entry === undefined) return;
  if (entry.anonymous !== undefined) acc.anonymous = entry.anonymous;
  if (entry.anonymousUser !== undefined) acc.anonymousUser = entry.anonymousUser;
  if (entry.windows !== undefined) acc.windows = entry.windows;
  if (entry.sslFlags !== undefined) acc.sslFlags = entry.sslFlags;
}

/**
 * Server level, then the site's own location, then every location below the site whose segments are a
 * prefix of urlPath (segmented like locationKey(): "/", "\\" separators, trimmed, case-insensitive).
 */
function resolveAuth(
  server: LocationAuth | undefined,
  site: LocationLookup | undefined,
  hasLocationsBelowSite: boolean,
  urlPath: string,
): AuthState {
  const acc: AuthAcc = { anonymous: null, anonymousUser: null, windows: null, sslFlags: null };
  applyLocation(acc, server);
  if (site !== undefined) {
    applyLocation(acc, site.get(""));
    if (hasLocationsBelowSite) {
      const p = urlPath.includes("\\") ? urlPath.replace(/\\/g, "/") : urlPath;
      let key = "";
      let i = 0;
      while (i < p.length) {
        let j = p.indexOf("/", i);
        if (j < 0) j = p.length;
        if (j > i) {
          const seg = p.slice(i, j).trim();
          if (seg !== "") {
            key = key === "" ? seg.toLowerCase() : `${key}/${seg.toLowerCase()}`;
            applyLocation(acc, site.get(key));
          }
        }
        i = j + 1;
      }
    }
  }
  return {
    anonymous: acc.anonymous,
    anonymousUser: acc.anonymousUser,
    windows: acc.windows,
    requireSsl: acc.sslFlags === null ? null : sslFlagsRequireSsl(acc.sslFlags),
  };
}

function lowerCaseKeys(env: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) out[k.toLowerCase()] = v;
  return out;
}

/** "/", "" (or only slashes): the root of its application. */
function isRootUrlPath(path: string): boolean {
  for (let i = 0; i < path.length; i++) {
    const c = path.charCodeAt(i);
    if (c !== 47 /* / */ && c !== 92 /* \\ */ && c !== 32) return false;
  }
  return true;
}

/** App path + vdir path → URL path from the site root: "/" + "/Selfupdate" → "/Selfupdate"; "/App" + "/x" → "/App/x". */
function joinUrlPath(appPath: string, vdirPath: string): string {
  const a = appPath.trim();
  const v = vdirPath.trim();
  let end = a.length;
  while (end > 0 && a.charCodeAt(end - 1) === 47) end--;
  let start = 0;
  while (start < v.length && v.charCodeAt(start) === 47) start++;
  const joined = `${a.slice(0, end)}/${v.slice(start)}`;
  return joined.charCodeAt(0) === 47 ? joined : `/${joined}`;
}

function physical(path: string | undefined, env: Readonly<Record<string, string>>, cache: Map<string, string>): string | null {
  if (path === undefined || path.trim() === "") return null;
  let out = cache.get(path);
  if (out === undefined) {
    out = normalizeWindowsPath(path, env);
    cache.set(path, out);
  }
  return out;
}

/**
 * A site name holding "/" or "\\": `<location path="A/B">` then names both the site "A/B" and the
 * application B of the site "A", so what such a site's settings are cannot be told (IIS documents no rule
 * for it). Its settings are reported unknown, and nothing is ever repaired through its name
 * (core/plan/render.ts refuses it on a command line).
 */
export function ambiguousSiteName(name: string): boolean {
  return /[\/\\]/.test(name);
}

const UNKNOWN_AUTH: AuthState = { anonymous: null, anonymousUser: null, windows: null, requireSsl: null };

function unknownAuthSite(site: IisSite, vars: Readonly<Record<string, string>>, pathCache: Map<string, string>): SiteState {
  const vdirs: VdirState[] = [];
  for (const app of site.applications) {
    if (!isRootUrlPath(app.path)) {
      const rootVdir = app.virtualDirectories.find((v) => isRootUrlPath(v.path));
      vdirs.push({ path: app.path, kind: "app", physicalPath: physical(rootVdir?.physicalPath, vars, pathCache), auth: { ...UNKNOWN_AUTH } });
    }
    for (const vdir of app.virtualDirectories) {
      if (isRootUrlPath(vdir.path)) continue;
      vdirs.push({ path: joinUrlPath(app.path, vdir.path), kind: "vdir", physicalPath: physical(vdir.physicalPath, vars, pathCache), auth: { ...UNKNOWN_AUTH } });
    }
  }
  return {
    name: site.name,
    id: site.id,
    bindings: site.bindings.map((b) => normalizeBinding(b.protocol, b.bindingInformation)),
    rootAuth: { ...UNKNOWN_AUTH },
    vdirs,
  };
}

/**
 * The state the rules judge, one SiteState per `<site>`: bindings normalised, rootAuth at "/", and every
 * application ("app", physical path of its "/" virtual directory) and virtual directory ("vdir", path
 * joined to its application's path) below the root, physical paths expanded with `env`
 * (variable name → value; names are matched case-insensitively; default DEFAULT_WINDOWS_ENV).
 */
export function toSiteStates(config: IisConfig, env: Readonly<Record<string, string>> = DEFAULT_WINDOWS_ENV): SiteState[] {
  const vars = env === DEFAULT_WINDOWS_ENV ? env : lowerCaseKeys(env);
  const index = indexLocations(config.authByLocation);
  const pathCache = new Map<string, string>(); // the same physical paths recur across sites
  return config.sites.map((site) => {
    if (ambiguousSiteName(site.name)) return unknownAuthSite(site, vars, pathCache);
    const siteLocations = index.bySite.get(locationKey(site.name));
    const below = siteLocations !== undefined && siteLocations.size > (siteLocations.has("") ? 1 : 0);
    const vdirs: VdirState[] = [];
    for (const app of site.applications) {
      if (!isRootUrlPath(app.path)) {
        const rootVdir = app.virtualDirectories.find((v) => isRootUrlPath(v.path));
        vdirs.push({
          path: app.path,
          kind: "app",
          physicalPath: physical(rootVdir?.physicalPath, vars, pathCache),
          auth: resolveAuth(index.server, siteLocations, below, app.path),
        });
      }
      for (const vdir of app.virtualDirectories) {
        if (isRootUrlPath(vdir.path)) continue;
        const path = joinUrlPath(app.path, vdir.path);
        vdirs.push({
          path,
          kind: "vdir",
          physicalPath: physical(vdir.physicalPath, vars, pathCache),
          auth: resolveAuth(index.server, siteLocations, below, path),
        });
      }
    }
    return {
      name: site.name,
      id: site.id,
      bindings: site.bindings.map((b) => normalizeBinding(b.protocol, b.bindingInformation)),
      rootAuth: resolveAuth(index.server, siteLocations, below, "/"),
      vdirs,
    };
  });
}
