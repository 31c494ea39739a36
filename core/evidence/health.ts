import { locationKey } from "./applicationHost";
import { walkXml } from "./xmlWalk";

/**
 * applicationHost.config (and web.config files) → what the health rules judge (issue 13): application
 * pools with their defaults, the pool of each application, the dynamic-compression schemes and where
 * ASP.NET impersonation is set. A second streaming pass of its own, so the KB parser
 * (applicationHost.ts) stays as it is; it keeps only the attributes below.
 *
 *   configuration/system.applicationHost/applicationPools/applicationPoolDefaults[@queueLength]
 *       processModel[@idleTimeout,@pingingEnabled]  recycling/periodicRestart[@memory,@privateMemory,@time]
 *   configuration/system.applicationHost/applicationPools/add[@name,@queueLength]/(the same children)
 *   configuration/system.applicationHost/sites/applicationDefaults[@applicationPool]
 *   configuration/system.applicationHost/sites/site[@name]/applicationDefaults[@applicationPool]
 *   configuration/system.applicationHost/sites/site[@name]/application[@path,@applicationPool]
 *   configuration[/location[@path]]/system.webServer/httpCompression/scheme[@name,@dll,@doDynamicCompression]
 *   configuration[/location[@path]]/system.web/identity[@impersonate]
 *
 * Values stay as written (strings); core/state/health.ts applies the IIS schema defaults.
 */

const FIELD = "applicationHostConfig";

/** The attributes of one pool (or of applicationPoolDefaults) as written; absent = inherit. */
export interface PoolAttributes {
  queueLength?: string;
  idleTimeout?: string;
  pingingEnabled?: string;
  memory?: string;
  privateMemory?: string;
  time?: string;
}

export interface CompressionScheme {
  name: string;
  dll: string;
  /** doDynamicCompression as written (IIS schema default true). */
  doDynamicCompression?: string;
}

export interface HealthConfig {
  poolDefaults: PoolAttributes;
  /** In document order; a later `add` of the same name is a duplicate IIS refuses to load (kept: the first wins when judged). */
  pools: ({ name: string } & PoolAttributes)[];
  /** sites/applicationDefaults/@applicationPool (server-wide default pool of new applications). */
  sitesDefaultPool?: string;
  /** Per site (lower-case name): the site's applicationDefaults pool and each application's own pool as written. */
  sites: { name: string; defaultPool?: string; applications: { path: string; applicationPool?: string }[] }[];
  /** httpCompression schemes at the server level (`<system.webServer>` or `<location path="">`). */
  compressionSchemes: CompressionScheme[];
  /** locationKey -> system.web/identity/@impersonate as written, for `<location>`s of applicationHost.config ("" = server level). */
  impersonation: Map<string, string>;
}

const walk = (xml: string, field: string, open: (path: readonly string[], attrs: Record<string, string>) => void) => walkXml(xml, field, "configuration", open);

const is = (path: readonly string[], ...names: string[]) => path.length === names.length && names.every((n, i) => path[i] === n);

/** Pool attributes from an `add` / `applicationPoolDefaults` element or one of its children. */
function poolAttribute(target: PoolAttributes, rel: readonly string[], attrs: Record<string, string>): void {
  if (rel.length === 0) {
    if (attrs.queueLength !== undefined) target.queueLength = attrs.queueLength;
  } else if (rel.length === 1 && rel[0] === "processModel") {
    if (attrs.idleTimeout !== undefined) target.idleTimeout = attrs.idleTimeout;
    if (attrs.pingingEnabled !== undefined) target.pingingEnabled = attrs.pingingEnabled;
  } else if (rel.length === 2 && rel[0] === "recycling" && rel[1] === "periodicRestart") {
    if (attrs.memory !== undefined) target.memory = attrs.memory;
    if (attrs.privateMemory !== undefined) target.privateMemory = attrs.privateMemory;
    if (attrs.time !== undefined) target.time = attrs.time;
  }
}

export function parseHealthConfig(xml: string): HealthConfig {
  const out: HealthConfig = { poolDefaults: {}, pools: [], sites: [], compressionSchemes: [], impersonation: new Map() };
  let pool: ({ name: string } & PoolAttributes) | null = null;
  let site: HealthConfig["sites"][number] | null = null;
  let loc = "";
  walk(xml, FIELD, (path, attrs) => {
    if (path.length === 2 && path[1] === "location") loc = locationKey(attrs.path ?? "");
    if (path.length >= 3 && path[1] === "system.applicationHost" && path[2] === "applicationPools") {
      if (path.length >= 4 && path[3] === "applicationPoolDefaults") poolAttribute(out.poolDefaults, path.slice(4), attrs);
      if (path.length === 4 && path[3] === "add") {
        pool = { name: attrs.name ?? "" };
        out.pools.push(pool);
      }
      if (path.length >= 4 && path[3] === "add" && pool) poolAttribute(pool, path.slice(4), attrs);
      return;
    }
    if (is(path, "configuration", "system.applicationHost", "sites", "applicationDefaults")) {
      if (attrs.applicationPool !== undefined) out.sitesDefaultPool = attrs.applicationPool;
      return;
    }
    if (is(path, "configuration", "system.applicationHost", "sites", "site")) {
      site = { name: attrs.name ?? "", applications: [] };
      out.sites.push(site);
      return;
    }
    if (site && is(path, "configuration", "system.applicationHost", "sites", "site", "applicationDefaults")) {
      if (attrs.applicationPool !== undefined) site.defaultPool = attrs.applicationPool;
      return;
    }
    if (site && is(path, "configuration", "system.applicationHost", "sites", "site", "application")) {
      site.applications.push({ path: attrs.path ?? "", ...(attrs.applicationPool !== undefined ? { applicationPool: attrs.applicationPool } : {}) });
      return;
    }
    // server-level sections: directly under <configuration>, or under <location path="">
    const rel = path[1] === "location" ? path.slice(2) : path.slice(1);
    const key = path[1] === "location" ? loc : "";
    if (rel.length === 3 && rel[0] === "system.webServer" && rel[1] === "httpCompression" && rel[2] === "scheme" && key === "") {
      const name = attrs.name ?? "";
      const scheme = { name, dll: attrs.dll ?? "", ...(attrs.doDynamicCompression !== undefined ? { doDynamicCompression: attrs.doDynamicCompression } : {}) };
      // a second <scheme> of the same name replaces the first in the merged collection (IIS collections are keyed by name)
      const at = out.compressionSchemes.findIndex((s) => s.name.toLowerCase() === name.toLowerCase());
      if (at >= 0) out.compressionSchemes[at] = scheme;
      else out.compressionSchemes.push(scheme);
      return;
    }
    if (rel.length === 2 && rel[0] === "system.web" && rel[1] === "identity" && attrs.impersonate !== undefined) out.impersonation.set(key, attrs.impersonate);
  });
  return out;
}

/**
 * system.web/identity/@impersonate in one web.config: the file's own setting (`""`) and those of its
 * `<location path>` elements (keys relative to the file's folder, lower case). Throws EvidenceError
 * naming `field` for a file that is not XML with a `<configuration>` root.
 */
export function parseWebConfigImpersonation(xml: string, field: string): Map<string, string> {
  const out = new Map<string, string>();
  let loc = "";
  walk(xml, field, (path, attrs) => {
    if (path.length === 2 && path[1] === "location") loc = locationKey(attrs.path ?? "");
    const rel = path[1] === "location" ? path.slice(2) : path.slice(1);
    const key = path[1] === "location" ? loc : "";
    if (rel.length === 2 && rel[0] === "system.web" && rel[1] === "identity" && attrs.impersonate !== undefined) out.set(key, attrs.impersonate);
  });
  return out;
}

/** An IIS boolean as written ("true"/"True"/"false"); undefined when it is not one. */
export function parseIisBoolean(v: string | undefined): boolean | undefined {
  if (v === undefined) return undefined;
  const t = v.trim().toLowerCase();
  return t === "true" ? true : t === "false" ? false : undefined;
}

/** An IIS uint attribute; undefined when absent or not a whole number. */
export function parseIisUint(v: string | undefined): number | undefined {
  if (v === undefined || !/^\s*\d{1,10}\s*$/.test(v)) return undefined;
  return Number(v.trim());
}

/**
 * An IIS timeSpan attribute ("[d.]hh:mm:ss[.fffffff]", e.g. "1.05:00:00" = 29 h, "00:20:00") in whole
 * minutes (seconds rounded up, so "00:00:30" is not mistaken for 0 = off); undefined when unreadable.
 */
export function parseIisTimeSpanMinutes(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const m = /^\s*(?:(\d+)\.)?(\d+):(\d{1,2}):(\d{1,2})(?:\.\d+)?\s*$/.exec(v);
  if (!m) return undefined;
  const [, d = "0", h, min, s] = m;
  if (Number(min) > 59 || Number(s) > 59) return undefined;
  return Number(d) * 1440 + Number(h) * 60 + Number(min) + (Number(s) > 0 ? 1 : 0);
}

/** The same value written back as a timeSpan ("00:00:00", "1.05:00:00"). */
export function formatIisTimeSpan(minutes: number): string {
  const d = Math.floor(minutes / 1440);
  const h = Math.floor((minutes % 1440) / 60);
  const m = minutes % 60;
  const hh = String(h).padStart(2, "0");
  const mm = String(m).padStart(2, "0");
  return `${d > 0 ? `${d}.` : ""}${hh}:${mm}:00`;
}
