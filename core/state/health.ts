import { z } from "zod";
import { locationKey, type IisConfig } from "../evidence/applicationHost";
import {
  parseHealthConfig,
  parseIisBoolean,
  parseIisTimeSpanMinutes,
  parseIisUint,
  parseWebConfigImpersonation,
  type PoolAttributes,
} from "../evidence/health";
import { parseAppcmdList } from "../evidence/runtime";
import { expandEnv, pathKey } from "../model/paths";

/**
 * The state the health rules judge (issue 13), part of ObservedState. Every value is EFFECTIVE: the
 * pool's own attribute, else `applicationPoolDefaults`, else the IIS schema default.
 *
 * IIS schema defaults (IIS Settings Schema, learn.microsoft.com/previous-versions/iis/settings-schema):
 *   add/@queueLength 1000 (the Application Pool resource of the IIS Administration API shows
 *   "queue_length": "1000" for a default pool); processModel/@idleTimeout 00:20:00, @pingingEnabled true
 *   (bb386459); recycling/periodicRestart/@memory 0, @privateMemory 0, @time 29:00:00 (bb386463).
 * WSUS setup writes its own values on WsusPool (privateMemory 1843200 KB, KB 4490414's table).
 */
export const AppPoolState = z.object({
  name: z.string(),
  queueLength: z.number(),
  privateMemoryKb: z.number(),
  virtualMemoryKb: z.number(),
  periodicRestartMinutes: z.number(),
  idleTimeoutMinutes: z.number(),
  pingingEnabled: z.boolean(),
  /** Runtime state (Started, Stopped …); null = no runtime evidence, or the pool was not listed. */
  state: z.string().nullable(),
});

export const CompressionSchemeState = z.object({ name: z.string(), dll: z.string(), dynamic: z.boolean() });

export const HealthState = z.object({
  appPools: z.array(AppPoolState),
  /**
   * The pool of every application, keyed by locationKey("Site/path") ("wsus administration",
   * "wsus administration/clientwebservice"): its own applicationPool, else its site's
   * applicationDefaults, else the server's; absent when none of them is written.
   */
  appPoolOf: z.record(z.string(), z.string()),
  compressionSchemes: z.array(CompressionSchemeState),
  /**
   * Effective system.web/identity/@impersonate per locationKey of each site root and each application
   * and virtual directory: true, false, or null when a web.config on the way was not read.
   */
  impersonation: z.record(z.string(), z.boolean().nullable()),
  /** For each key whose effective value is true: where it is set ("applicationHost.config", or the web.config's folder). */
  impersonationSetAt: z.record(z.string(), z.string()),
  /** Runtime state of each configured site (keyed by lower-case name); null = no runtime evidence. */
  siteStates: z.record(z.string(), z.string()).nullable(),
});

export type AppPoolState = z.infer<typeof AppPoolState>;
export type HealthState = z.infer<typeof HealthState>;

export const SCHEMA_DEFAULTS = {
  queueLength: 1000,
  privateMemoryKb: 0,
  virtualMemoryKb: 0,
  periodicRestartMinutes: 29 * 60,
  idleTimeoutMinutes: 20,
  pingingEnabled: true,
} as const;

/** Where applicationHost.config keeps a file-level setting. */
export const APPHOST_FILE = "applicationHost.config";

function effectivePool(name: string, own: PoolAttributes, defaults: PoolAttributes): Omit<AppPoolState, "state"> {
  const pick = <T>(parse: (v: string | undefined) => T | undefined, key: keyof PoolAttributes, fallback: T): T => parse(own[key]) ?? parse(defaults[key]) ?? fallback;
  return {
    name,
    queueLength: pick(parseIisUint, "queueLength", SCHEMA_DEFAULTS.queueLength),
    privateMemoryKb: pick(parseIisUint, "privateMemory", SCHEMA_DEFAULTS.privateMemoryKb),
    virtualMemoryKb: pick(parseIisUint, "memory", SCHEMA_DEFAULTS.virtualMemoryKb),
    periodicRestartMinutes: pick(parseIisTimeSpanMinutes, "time", SCHEMA_DEFAULTS.periodicRestartMinutes),
    idleTimeoutMinutes: pick(parseIisTimeSpanMinutes, "idleTimeout", SCHEMA_DEFAULTS.idleTimeoutMinutes),
    pingingEnabled: pick(parseIisBoolean, "pingingEnabled", SCHEMA_DEFAULTS.pingingEnabled),
  };
}

export interface HealthInputs {
  applicationHostConfig: string;
  /** The KB parser's view of the same file (sites with ids, applications and their physical paths). */
  config: IisConfig;
  env: Readonly<Record<string, string>>;
  /** Folder (as the evidence names it) → its web.config text, or null when it has none; undefined = not collected. */
  webConfigs?: Readonly<Record<string, string | null>>;
  runtime?: { sitesXml: string; appPoolsXml: string };
}

/** Evidence → HealthState. Throws EvidenceError naming the field for unreadable parts. */
export function healthFromEvidence(input: HealthInputs): HealthState {
  const hc = parseHealthConfig(input.applicationHostConfig);
  const sitesRt = input.runtime ? parseAppcmdList(input.runtime.sitesXml, "SITE", "runtime.sitesXml") : null;
  const poolsRt = input.runtime ? parseAppcmdList(input.runtime.appPoolsXml, "APPPOOL", "runtime.appPoolsXml") : null;

  const seen = new Set<string>();
  const appPools: AppPoolState[] = [];
  for (const p of hc.pools) {
    const key = p.name.toLowerCase();
    if (p.name === "" || seen.has(key)) continue;
    seen.add(key);
    const rt = poolsRt?.find((r) => r.name.toLowerCase() === key);
    appPools.push({ ...effectivePool(p.name, p, hc.poolDefaults), state: rt ? rt.state : null });
  }

  const appPoolOf: Record<string, string> = {};
  for (const s of hc.sites) {
    for (const a of s.applications) {
      const pool = a.applicationPool ?? s.defaultPool ?? hc.sitesDefaultPool;
      if (pool !== undefined && pool !== "") appPoolOf[locationKey(`${s.name}/${a.path}`)] = pool;
    }
  }

  const compressionSchemes = hc.compressionSchemes.map((s) => ({ name: s.name, dll: s.dll, dynamic: parseIisBoolean(s.doDynamicCompression) ?? true }));

  // web.config files, by the folder's path key
  const webByDir = new Map<string, { dir: string; settings: Map<string, string> } | null>();
  if (input.webConfigs) {
    for (const [dir, text] of Object.entries(input.webConfigs)) {
      const field = `webConfigs[${JSON.stringify(dir)}]`;
      webByDir.set(pathKey(expandEnv(dir, input.env)), text === null ? null : { dir, settings: parseWebConfigImpersonation(text, field) });
    }
  }

  const impersonation: Record<string, boolean | null> = {};
  const impersonationSetAt: Record<string, string> = {};
  for (const site of input.config.sites) {
    // every URL path of the site that maps to a folder: the root, each application and virtual directory
    const mapped: { url: string; dir: string }[] = [];
    for (const app of site.applications) {
      for (const v of app.virtualDirectories) {
        const url = `${app.path.replace(/\/+$/, "")}${v.path === "/" ? "" : v.path}` || "/";
        mapped.push({ url: url.startsWith("/") ? url : `/${url}`, dir: v.physicalPath });
      }
    }
    // each mapped URL (lower case, the first mapping wins) -> its folder's web.config: the parsed file,
    // null when the folder has none, undefined when it was not collected (then the value is unknown)
    const folderAt = new Map<string, { web: { dir: string; settings: Map<string, string> } | null | undefined }>();
    for (const m of mapped) {
      const at = m.url.toLowerCase();
      if (!folderAt.has(at)) folderAt.set(at, { web: webByDir.get(pathKey(expandEnv(m.dir, input.env))) });
    }
    for (const { url } of mapped) {
      // walk the config path: server, then each URL prefix; at each level applicationHost.config's
      // <location>, then the web.config of the folder mapped there (and <location> tags of web.configs
      // above it). No Microsoft page orders an applicationHost.config <location> against a web.config of
      // the same path; the web.config (the deeper file) is taken to win. A web.config not collected makes
      // the value unknown unless a deeper level sets it anyway.
      let value: boolean | null = parseIisBoolean(hc.impersonation.get("")) ?? false;
      let setAt = APPHOST_FILE;
      const segments = url.split("/").filter(Boolean);
      for (let depth = 0; depth <= segments.length; depth++) {
        const prefix = "/" + segments.slice(0, depth).join("/");
        const key = locationKey(`${site.name}${prefix}`);
        const fromHost = parseIisBoolean(hc.impersonation.get(key));
        if (fromHost !== undefined) {
          value = fromHost;
          setAt = APPHOST_FILE;
        }
        // web.config files of this level and of the levels above that name this path in a <location>
        for (let up = 0; up <= depth; up++) {
          const folder = folderAt.get(("/" + segments.slice(0, up).join("/")).toLowerCase());
          if (!folder) continue;
          const rel = locationKey(segments.slice(up, depth).join("/"));
          const web = folder.web;
          if (web === undefined) {
            if (up === depth) value = value === true ? true : null; // not collected: unknown (a true above stays a finding)
            continue;
          }
          if (web === null) continue;
          const v = parseIisBoolean(web.settings.get(rel));
          if (v !== undefined) {
            value = v;
            setAt = web.dir;
          }
        }
      }
      const key = locationKey(`${site.name}${url}`);
      impersonation[key] = value;
      if (value === true) impersonationSetAt[key] = setAt;
    }
  }

  let siteStates: Record<string, string> | null = null;
  if (sitesRt) {
    siteStates = {};
    for (const site of input.config.sites) {
      const rt = (site.id !== null ? sitesRt.find((r) => r.id === site.id) : undefined) ?? sitesRt.find((r) => r.name.toLowerCase() === site.name.toLowerCase());
      if (rt) siteStates[site.name.toLowerCase()] = rt.state;
    }
  }

  // built here from parsed values, typed by HealthState: no second validation pass (5,000-site configs, npm run bench)
  return { appPools, appPoolOf, compressionSchemes, impersonation, impersonationSetAt, siteStates };
}

