import { normalizeBinding, type IisConfig, type IisSite } from "../../core/evidence/applicationHost";
import { isIpv4 } from "../../core/model/names";

/**
 * Pure routing decisions of the lab's HTTP front, the way HTTP.sys and IIS take them:
 * which bindings can be listened on (loopback only), which site a request on address:port with a
 * Host header goes to, and which virtual directory a URL path falls into.
 */

export const LOOPBACK_DEFAULT = "127.0.0.1";

export interface ServedBinding {
  site: string;
  /** bindingInformation as written, e.g. "*:80:" or "127.0.0.2:80:wsus". */
  binding: string;
  /** Normalised binding IP: "*" or a 127.x.y.z address. */
  ip: string;
  /** Lower-case host name, "" = any. */
  host: string;
  /** The port the binding names (before the lab's port map). */
  configPort: number;
  /** The loopback address this binding answers on. */
  address: string;
}

export interface NotServedBinding {
  site: string;
  binding: string;
  protocol: string;
  reason: string;
}

export interface BindingPlan {
  served: ServedBinding[];
  notServed: NotServedBinding[];
  /** Distinct address + configPort pairs to listen on. */
  listeners: { address: string; configPort: number }[];
}

export function isLoopbackV4(ip: string): boolean {
  return isIpv4(ip) && ip.startsWith("127.");
}

/**
 * Which bindings the lab serves. `*` (All Unassigned) answers on 127.0.0.1 and on every other loopback
 * address some binding on the same port names; a 127.x.y.z binding answers on exactly that address;
 * a binding to any other address is not served (that site does not answer on 127.0.0.1: KB 920659
 * cause 5). Only http bindings are served (no TLS in the lab).
 */
export function planBindings(config: IisConfig): BindingPlan {
  const served: ServedBinding[] = [];
  const notServed: NotServedBinding[] = [];
  const wildcard: { site: string; binding: string; host: string; configPort: number }[] = [];
  const specific: ServedBinding[] = [];

  for (const site of config.sites) {
    for (const b of site.bindings) {
      const n = normalizeBinding(b.protocol, b.bindingInformation);
      const base = { site: site.name, binding: b.bindingInformation, protocol: n.protocol };
      if (n.protocol !== "http") {
        notServed.push({ ...base, reason: n.protocol === "https" ? "https binding: the lab serves plain HTTP only" : `${n.protocol || "unknown"} binding: not an HTTP binding` });
        continue;
      }
      if (!(n.port >= 1 && n.port <= 65535)) {
        notServed.push({ ...base, reason: "invalid binding: no port" });
        continue;
      }
      if (n.ip === "*") wildcard.push({ site: site.name, binding: b.bindingInformation, host: n.host, configPort: n.port });
      else if (isLoopbackV4(n.ip)) specific.push({ site: site.name, binding: b.bindingInformation, ip: n.ip, host: n.host, configPort: n.port, address: n.ip });
      else if (n.ip.includes(":")) notServed.push({ ...base, reason: `bound to the IPv6 address ${n.ip} only: the lab serves IPv4 loopback addresses only` });
      else {
        notServed.push({
          ...base,
          reason: `bound to the specific address ${n.ip} only: the site does not answer on 127.0.0.1 (KB 920659 cause 5)`,
        });
      }
    }
  }

  const listeners = new Map<string, { address: string; configPort: number }>();
  const addListener = (address: string, configPort: number) => listeners.set(`${address}|${configPort}`, { address, configPort });
  for (const s of specific) {
    served.push(s);
    addListener(s.address, s.configPort);
  }
  for (const w of wildcard) {
    const addresses = new Set([LOOPBACK_DEFAULT, ...specific.filter((s) => s.configPort === w.configPort).map((s) => s.address)]);
    for (const address of addresses) {
      served.push({ ...w, ip: "*", address });
      addListener(address, w.configPort);
    }
  }
  return { served, notServed, listeners: [...listeners.values()] };
}

/** Host header → lower-case host name without port ("" when absent). */
export function hostOf(hostHeader: string | undefined): string {
  if (!hostHeader) return "";
  const h = hostHeader.trim().toLowerCase();
  if (h.startsWith("[")) return h.slice(0, h.indexOf("]") + 1 || undefined);
  const colon = h.lastIndexOf(":");
  return colon >= 0 ? h.slice(0, colon) : h;
}

/**
 * The binding that takes a request arriving on `address`:`configPort` with this Host header, like
 * HTTP.sys: a host-name match beats a host-less binding, and at equal host specificity a binding to the
 * exact IP beats All Unassigned. null = no binding takes it (HTTP.sys: 400 Invalid Hostname).
 */
export function selectBinding(served: readonly ServedBinding[], address: string, configPort: number, hostHeader: string | undefined): ServedBinding | null {
  const host = hostOf(hostHeader);
  const here = served.filter((s) => s.address === address && s.configPort === configPort);
  const rank = (s: ServedBinding): number => {
    if (s.host !== "" && s.host !== host) return -1;
    return (s.host !== "" ? 2 : 0) + (s.ip !== "*" ? 1 : 0);
  };
  let best: ServedBinding | null = null;
  let bestRank = -1;
  for (const s of here) {
    const r = rank(s);
    if (r > bestRank) {
      best = s;
      bestRank = r;
    }
  }
  return best;
}

export type RequestPath = { ok: true; segments: string[]; trailingSlash: boolean; path: string } | { ok: false; reason: string };

/** The decoded path segments of a request target; rejects what IIS request filtering would. */
export function parseRequestPath(rawUrl: string | undefined): RequestPath {
  const raw = rawUrl ?? "/";
  if (!raw.startsWith("/")) return { ok: false, reason: "request target is not an absolute path" };
  const pathPart = raw.split(/[?#]/, 1)[0];
  const segments: string[] = [];
  for (const piece of pathPart.split("/")) {
    if (piece === "") continue;
    let seg: string;
    try {
      seg = decodeURIComponent(piece);
    } catch {
      return { ok: false, reason: "bad percent-encoding" };
    }
    if (seg === "." || seg === ".." || /[\\/\0:*?"<>|]/.test(seg) || /[\x00-\x1f]/.test(seg)) {
      return { ok: false, reason: `path segment not allowed: ${JSON.stringify(seg)}` };
    }
    segments.push(seg);
  }
  const trailingSlash = pathPart.endsWith("/");
  return { ok: true, segments, trailingSlash, path: "/" + segments.join("/") + (trailingSlash && segments.length > 0 ? "/" : "") };
}

export interface MappedPath {
  /** URL path of the application that owns the request ("/" for the root application). */
  appPath: string;
  /** URL path of the virtual directory the request falls into. */
  vdirPath: string;
  /** The virtual directory's physicalPath attribute as written. */
  physicalPath: string;
  /** Request segments below the virtual directory. */
  rest: string[];
}

function urlSegments(p: string): string[] {
  return p.split("/").filter((s) => s.trim() !== "");
}

/** Deepest virtual directory (segment-wise, case-insensitive) holding the request path; null when none (no root vdir). */
export function mapUrlPath(site: IisSite, segments: readonly string[]): MappedPath | null {
  const lower = segments.map((s) => s.toLowerCase());
  let best: (MappedPath & { depth: number }) | null = null;
  for (const app of site.applications) {
    const appSegs = urlSegments(app.path);
    for (const vdir of app.virtualDirectories) {
      const segs = [...appSegs, ...urlSegments(vdir.path)];
      if (segs.length > lower.length) continue;
      if (!segs.every((s, i) => s.toLowerCase() === lower[i])) continue;
      if (best === null || segs.length > best.depth) {
        best = {
          depth: segs.length,
          appPath: "/" + appSegs.join("/"),
          vdirPath: "/" + segs.join("/"),
          physicalPath: vdir.physicalPath,
          rest: segments.slice(segs.length),
        };
      }
    }
  }
  if (best === null) return null;
  const { depth: _depth, ...mapped } = best;
  return mapped;
}

/**
 * The application that owns a URL: the one with the longest path that prefixes it (segment-wise,
 * case-insensitive), as written ("/" for the root application). A static virtual directory under the
 * site root belongs to the root application. null when the site has no application there.
 */
export function owningApplicationPath(site: IisSite, segments: readonly string[]): string | null {
  const lower = segments.map((s) => s.toLowerCase());
  let best: { path: string; depth: number } | null = null;
  for (const app of site.applications) {
    const segs = urlSegments(app.path);
    if (segs.length > lower.length || !segs.every((s, i) => s.toLowerCase() === lower[i])) continue;
    if (best === null || segs.length > best.depth) best = { path: app.path, depth: segs.length };
  }
  return best?.path ?? null;
}

/** The IIS default documents, in IIS's default order. */
export const DEFAULT_DOCUMENTS = ["Default.htm", "Default.asp", "index.htm", "index.html", "iisstart.htm", "default.aspx"];

/** IIS's static-content MIME map, the part a WSUS server serves; anything else is 404.3. */
export const MIME_TYPES: Readonly<Record<string, string>> = {
  ".cab": "application/vnd.ms-cab-compressed",
  ".xml": "text/xml",
  ".htm": "text/html",
  ".html": "text/html",
  ".txt": "text/plain",
  ".css": "text/css",
  ".js": "application/javascript",
  ".gif": "image/gif",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".ico": "image/x-icon",
  ".bin": "application/octet-stream",
  ".exe": "application/octet-stream",
  ".msi": "application/octet-stream",
  ".msu": "application/octet-stream",
  ".msp": "application/octet-stream",
  ".psf": "application/octet-stream",
  ".esd": "application/octet-stream",
  ".dll": "application/x-msdownload",
  ".zip": "application/x-zip-compressed",
};

/** Segments IIS request filtering hides by default (404.8). */
const HIDDEN_SEGMENTS = new Set(["bin", "app_code", "app_data", "app_globalresources", "app_localresources", "app_webreferences", "app_browsers", "web.config"]);

export function isHiddenSegment(seg: string): boolean {
  const s = seg.toLowerCase();
  return HIDDEN_SEGMENTS.has(s) || s.endsWith(".config");
}
