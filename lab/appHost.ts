import { attr, child, childrenNamed, descend, type XElement, XmlDoc } from "./xml";

/** The objects appcmd works on, read from applicationHost.config with their elements (for edits). */

export const APPHOST_CONFIG = "%windir%\\System32\\inetsrv\\config\\applicationHost.config";
export const INETSRV_CONFIG_DIR = "%windir%\\System32\\inetsrv\\config";
export const INETSRV_BACKUP_DIR = "%windir%\\System32\\inetsrv\\backup";

export interface BindingInfo {
  el: XElement;
  protocol: string;
  bindingInformation: string;
}

export interface VdirInfo {
  el: XElement;
  app: AppInfo;
  path: string;
  physicalPath: string;
  /** appcmd identifier: `Default Web Site/Selfupdate`, `WSUS Administration/ClientWebService/`. */
  id: string;
}

export interface AppInfo {
  el: XElement;
  site: SiteInfo;
  path: string;
  /** The pool as appcmd shows it (applicationDefaults when the element has none). */
  applicationPool: string;
  vdirs: VdirInfo[];
  /** `Default Web Site/`, `WSUS Administration/ClientWebService`. */
  id: string;
}

export interface SiteInfo {
  el: XElement;
  name: string;
  id: string;
  bindings: BindingInfo[];
  bindingsEl: XElement | undefined;
  apps: AppInfo[];
}

export function configurationEl(doc: XmlDoc): XElement {
  return doc.root;
}

export function sitesEl(doc: XmlDoc): XElement | undefined {
  return descend(doc.root, "system.applicationHost", "sites");
}

export function readSites(doc: XmlDoc): SiteInfo[] {
  const sites = sitesEl(doc);
  if (!sites) return [];
  const defaultsPool = attr(child(sites, "applicationDefaults") ?? sites, "applicationPool") ?? "DefaultAppPool";
  return childrenNamed(sites, "site").map((el) => {
    const name = attr(el, "name") ?? "";
    const bindingsEl = child(el, "bindings");
    const site: SiteInfo = {
      el,
      name,
      id: attr(el, "id") ?? "",
      bindingsEl,
      bindings: bindingsEl
        ? childrenNamed(bindingsEl, "binding").map((b) => ({ el: b, protocol: attr(b, "protocol") ?? "", bindingInformation: attr(b, "bindingInformation") ?? "" }))
        : [],
      apps: [],
    };
    const siteDefaultPool = attr(child(el, "applicationDefaults") ?? el, "applicationPool") ?? defaultsPool;
    for (const a of childrenNamed(el, "application")) {
      const path = attr(a, "path") ?? "/";
      const app: AppInfo = { el: a, site, path, applicationPool: attr(a, "applicationPool") ?? siteDefaultPool, vdirs: [], id: `${name}${path}` };
      for (const v of childrenNamed(a, "virtualDirectory")) {
        const vpath = attr(v, "path") ?? "/";
        app.vdirs.push({ el: v, app, path: vpath, physicalPath: attr(v, "physicalPath") ?? "", id: `${name}${path === "/" ? "" : path}${vpath}` });
      }
      site.apps.push(app);
    }
    return site;
  });
}

export function findSite(doc: XmlDoc, name: string): SiteInfo | undefined {
  const n = name.toLowerCase();
  return readSites(doc).find((s) => s.name.toLowerCase() === n);
}

export function findApp(doc: XmlDoc, id: string): AppInfo | undefined {
  const n = id.toLowerCase();
  for (const s of readSites(doc)) for (const a of s.apps) if (a.id.toLowerCase() === n) return a;
  return undefined;
}

export function findVdir(doc: XmlDoc, id: string): VdirInfo | undefined {
  const n = id.toLowerCase();
  for (const s of readSites(doc)) for (const a of s.apps) for (const v of a.vdirs) if (v.id.toLowerCase() === n) return v;
  return undefined;
}

export interface PoolInfo {
  el: XElement;
  name: string;
  managedRuntimeVersion: string;
  managedPipelineMode: string;
}

export function readPools(doc: XmlDoc): PoolInfo[] {
  const pools = descend(doc.root, "system.applicationHost", "applicationPools");
  if (!pools) return [];
  const defaults = child(pools, "applicationPoolDefaults");
  const defRuntime = (defaults && attr(defaults, "managedRuntimeVersion")) ?? "v4.0";
  const defMode = (defaults && attr(defaults, "managedPipelineMode")) ?? "Integrated";
  return childrenNamed(pools, "add").map((el) => ({
    el,
    name: attr(el, "name") ?? "",
    managedRuntimeVersion: attr(el, "managedRuntimeVersion") ?? defRuntime,
    managedPipelineMode: attr(el, "managedPipelineMode") ?? defMode,
  }));
}

/** `<location>` elements of the configuration whose path is `path` (case-insensitive, slashes trimmed). */
export function locationsFor(doc: XmlDoc, path: string): XElement[] {
  const key = locationPathKey(path);
  return childrenNamed(doc.root, "location").filter((l) => locationPathKey(attr(l, "path") ?? "") === key);
}

export function locationPathKey(path: string): string {
  return path
    .replace(/\\/g, "/")
    .split("/")
    .map((s) => s.trim())
    .filter(Boolean)
    .join("/")
    .toLowerCase();
}

// ---- config sections appcmd set/list config knows ----

export type AttrType =
  | { kind: "bool" }
  | { kind: "string" }
  | { kind: "enum"; values: string[] }
  | { kind: "flags"; values: string[] }
  | { kind: "uint"; max?: number }
  | { kind: "timeSpan" };

export interface SectionDef {
  /** Full name: system.webServer/security/authentication/anonymousAuthentication. */
  name: string;
  /** The section group the section lives in (default system.webServer). */
  group?: "system.webServer" | "system.web";
  /** Element names from the group element down to the section element. */
  elements: string[];
  attrs: Record<string, AttrType>;
  /**
   * The section may be written to a site's web.config (appcmd set config "Site/path" without
   * /commit:apphost). ASP.NET's system.web sections are not locked by applicationHost.config's
   * configSections; the IIS sections the lab knows are overrideModeDefault="Deny" (lock violation).
   */
  webConfig?: boolean;
  /** A keyed collection of child elements (`/+"[name='x',…]"`, `/-"[name='x']"`, `/[name='x'].attr:value`). */
  collection?: { element: string; key: string; attrs: Record<string, AttrType> };
}

const BOOL: AttrType = { kind: "bool" };
const STR: AttrType = { kind: "string" };
const UINT: AttrType = { kind: "uint" };

export const SECTIONS: readonly SectionDef[] = [
  {
    name: "system.webServer/security/authentication/anonymousAuthentication",
    elements: ["security", "authentication", "anonymousAuthentication"],
    attrs: {
      enabled: BOOL,
      userName: STR,
      password: STR,
      defaultLogonDomain: STR,
      logonMethod: { kind: "enum", values: ["Interactive", "Batch", "Network", "ClearText"] },
    },
  },
  {
    name: "system.webServer/security/authentication/windowsAuthentication",
    elements: ["security", "authentication", "windowsAuthentication"],
    attrs: { enabled: BOOL, authPersistSingleRequest: BOOL, authPersistNonNTLM: BOOL, useKernelMode: BOOL, useAppPoolCredentials: BOOL },
  },
  {
    name: "system.webServer/security/authentication/basicAuthentication",
    elements: ["security", "authentication", "basicAuthentication"],
    attrs: { enabled: BOOL, realm: STR, defaultLogonDomain: STR, logonMethod: { kind: "enum", values: ["Interactive", "Batch", "Network", "ClearText"] } },
  },
  {
    name: "system.webServer/security/authentication/digestAuthentication",
    elements: ["security", "authentication", "digestAuthentication"],
    attrs: { enabled: BOOL, realm: STR },
  },
  {
    name: "system.webServer/security/access",
    elements: ["security", "access"],
    attrs: { sslFlags: { kind: "flags", values: ["None", "Ssl", "SslNegotiateCert", "SslRequireCert", "SslMapCert", "Ssl128"] } },
  },
  {
    // IIS configuration reference, system.webServer/httpCompression and its <scheme> collection, keyed by
    // name (learn.microsoft.com/iis/configuration/system.webServer/httpCompression/scheme; compression
    // levels 0 through 10); KB 4490414 quotes WSUS's xpress line.
    name: "system.webServer/httpCompression",
    elements: ["httpCompression"],
    attrs: { directory: STR, doDiskSpaceLimiting: BOOL, maxDiskSpaceUsage: UINT, minFileSizeForComp: UINT, noCompressionForHttp10: BOOL, noCompressionForProxies: BOOL, noCompressionForRange: BOOL, sendCacheHeaders: BOOL },
    collection: {
      element: "scheme",
      key: "name",
      attrs: { name: STR, dll: STR, doStaticCompression: BOOL, doDynamicCompression: BOOL, staticCompressionLevel: { kind: "uint", max: 10 }, dynamicCompressionLevel: { kind: "uint", max: 10 } },
    },
  },
  {
    // ASP.NET impersonation (KB 2737219). Only `impersonate` is modelled (userName/password are not: the
    // health rules read impersonate alone).
    name: "system.web/identity",
    group: "system.web",
    elements: ["identity"],
    attrs: { impersonate: BOOL },
    webConfig: true,
  },
];

/** The element a section lives under (`<system.webServer>` or `<system.web>`). */
export function sectionGroup(section: SectionDef): "system.webServer" | "system.web" {
  return section.group ?? "system.webServer";
}

/** Find a section by full name or by its last segment (appcmd accepts `-section:anonymousAuthentication`). */
export function findSection(name: string): SectionDef | undefined {
  const n = name.toLowerCase().replace(/^\/+|\/+$/g, "");
  return SECTIONS.find((s) => s.name.toLowerCase() === n) ?? SECTIONS.find((s) => s.name.toLowerCase().endsWith("/" + n));
}

/** Normalise a value for a section attribute the way the IIS config system writes it; null when invalid. */
export function normalizeValue(type: AttrType, value: string): string | null {
  switch (type.kind) {
    case "bool": {
      const v = value.trim().toLowerCase();
      return v === "true" ? "true" : v === "false" ? "false" : null;
    }
    case "string":
      return value;
    case "enum":
      return type.values.find((x) => x.toLowerCase() === value.trim().toLowerCase()) ?? null;
    case "uint": {
      const v = value.trim();
      if (!/^\d{1,10}$/.test(v) || Number(v) > Math.min(type.max ?? 4294967295, 4294967295)) return null;
      return String(Number(v));
    }
    case "timeSpan": {
      // [d.]hh:mm:ss[.fffffff], the .NET TimeSpan form IIS writes ("1.05:00:00", "00:20:00"); negative spans refused
      const v = value.trim();
      const m = /^(?:(\d+)\.)?(\d{1,2}):(\d{2}):(\d{2})(?:\.\d{1,7})?$/.exec(v);
      if (!m || Number(m[2]) > 23 || Number(m[3]) > 59 || Number(m[4]) > 59) return null;
      return v;
    }
    case "flags": {
      const parts = value
        .split(",")
        .map((p) => p.trim())
        .filter(Boolean);
      if (parts.length === 0) return null;
      const out: string[] = [];
      for (const p of parts) {
        const canon = type.values.find((x) => x.toLowerCase() === p.toLowerCase());
        if (!canon) return null;
        if (!out.includes(canon)) out.push(canon);
      }
      const withoutNone = out.filter((x) => x !== "None");
      return withoutNone.length ? withoutNone.join(", ") : "None";
    }
  }
}

/**
 * The elements that configure a section for a config path, outermost first: the server level
 * (`<system.webServer>` of the file and `<location path="">`), then each `<location>` on the way down
 * to the path ("Site", "Site/Vdir").
 */
export function sectionLevels(doc: XmlDoc, section: SectionDef, configPath: string): XElement[] {
  const out: XElement[] = [];
  const group = sectionGroup(section);
  const inWebServer = (ws: XElement | undefined) => descend(ws, ...section.elements);
  const root = inWebServer(child(doc.root, group));
  if (root) out.push(root);
  const segments = locationPathKey(configPath).split("/").filter(Boolean);
  const prefixes = [""];
  for (let i = 1; i <= segments.length; i++) prefixes.push(segments.slice(0, i).join("/"));
  for (const prefix of prefixes) {
    for (const loc of childrenNamed(doc.root, "location")) {
      if (locationPathKey(attr(loc, "path") ?? "") !== prefix) continue;
      const el = inWebServer(child(loc, group));
      if (el) out.push(el);
    }
  }
  return out;
}

/** Effective attributes (in first-seen order) and the children of the deepest level that has any. */
export function effectiveSection(doc: XmlDoc, section: SectionDef, configPath: string): { attrs: [string, string][]; children: XElement[] } {
  const attrs = new Map<string, string>();
  let children: XElement[] = [];
  for (const el of sectionLevels(doc, section, configPath)) {
    for (const a of el.attrs) attrs.set(a.name, a.value);
    if (el.children.length) children = el.children;
  }
  return { attrs: [...attrs.entries()], children };
}

export { XmlDoc };
