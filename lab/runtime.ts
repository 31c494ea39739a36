import { readPools, readSites, type PoolInfo, type SiteInfo, type XmlDoc } from "./appHost";
import type { LabState } from "./state";
import { attr, escapeAttr } from "./xml";

/**
 * Runtime state of sites and application pools: what `appcmd list site|apppool` shows in `state`, what
 * `appcmd start|stop` changes, and what the HTTP front serves by (lab/http/server.ts reads it through
 * the same `appcmd list … /xml` text, parsed by core/evidence/runtime.ts, as the health rules do).
 *
 * Kept in lab.json `runtime`, never in applicationHost.config: appcmd start/stop only asks WAS/W3SVC
 * (RSCA) and does not touch autoStart / serverAutoStart ("AppCmd will only perform #2 - use RSCA to tell
 * the application pool to start or stop", mvolo.com, "Caution when stopping and starting an IIS
 * application pool with appcmd"). An object lab.json does not name is in its boot state: Stopped when
 * its own serverAutoStart (site) / autoStart (pool) is false, else Started. W3SVC not running: sites
 * show Unknown (as before); WAS not running: pools show Unknown (no source found for what appcmd prints
 * then; Unknown is the state Microsoft.Web.Administration has for it, and the health rules treat it as
 * not started).
 */

export type RuntimeState = "Started" | "Stopped" | "Unknown";

function serviceRunning(state: LabState, service: string): boolean {
  const v = Object.entries(state.services).find(([k]) => k.toLowerCase() === service.toLowerCase())?.[1];
  return v === undefined || v.toLowerCase() === "running";
}

function recorded(map: Record<string, "Started" | "Stopped"> | undefined, name: string): "Started" | "Stopped" | undefined {
  if (!map) return undefined;
  const n = name.toLowerCase();
  return Object.entries(map).find(([k]) => k.toLowerCase() === n)?.[1];
}

export function siteRuntimeState(state: LabState, site: SiteInfo): RuntimeState {
  if (!serviceRunning(state, "W3SVC")) return "Unknown";
  return recorded(state.runtime?.sites, site.name) ?? (attr(site.el, "serverAutoStart")?.toLowerCase() === "false" ? "Stopped" : "Started");
}

export function poolRuntimeState(state: LabState, pool: PoolInfo): RuntimeState {
  if (!serviceRunning(state, "WAS")) return "Unknown";
  return recorded(state.runtime?.appPools, pool.name) ?? (attr(pool.el, "autoStart")?.toLowerCase() === "false" ? "Stopped" : "Started");
}

/** Record a site's or pool's new runtime state in lab.json (the caller writes the state back). */
export function setRuntimeState(state: LabState, kind: "sites" | "appPools", name: string, value: "Started" | "Stopped"): void {
  const runtime = (state.runtime ??= { sites: {}, appPools: {} });
  runtime.sites ??= {};
  runtime.appPools ??= {};
  const map = runtime[kind];
  for (const k of Object.keys(map)) if (k.toLowerCase() === name.toLowerCase()) delete map[k];
  map[name] = value;
}

/**
 * appcmd's `/xml` output: the declaration, `<appcmd>`, one element per object with its attributes
 * (values XML-escaped), `</appcmd>`. The shape and attribute names are those public code parses from real
 * servers (`<SITE SITE.NAME="Default Web Site" SITE.ID="1" bindings="http/*:80:" state="Started" />`,
 * `<APPPOOL APPPOOL.NAME="…" PipelineMode="Integrated" RuntimeVersion="" state="Started">`), four-space
 * indented; no Microsoft page shows it verbatim (core/evidence/runtime.ts).
 */
export function appcmdXmlLines(type: string, rows: readonly (readonly [string, string])[][]): string[] {
  return [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<appcmd>`,
    ...rows.map((r) => `    <${type} ${r.map(([k, v]) => `${k}="${escapeAttr(v)}"`).join(" ")} />`),
    `</appcmd>`,
  ];
}

export function siteBindingsText(site: SiteInfo): string {
  return site.bindings.map((b) => `${b.protocol}/${b.bindingInformation}`).join(",");
}

export function siteXmlRow(state: LabState, site: SiteInfo): [string, string][] {
  return [
    ["SITE.NAME", site.name],
    ["SITE.ID", site.id],
    ["bindings", siteBindingsText(site)],
    ["state", siteRuntimeState(state, site)],
  ];
}

export function poolXmlRow(state: LabState, pool: PoolInfo): [string, string][] {
  return [
    ["APPPOOL.NAME", pool.name],
    ["PipelineMode", pool.managedPipelineMode],
    ["RuntimeVersion", pool.managedRuntimeVersion],
    ["state", poolRuntimeState(state, pool)],
  ];
}

/** `appcmd list site /xml` and `appcmd list apppool /xml` of the whole server, as the console shows them (CRLF). */
export function runtimeXml(doc: XmlDoc, state: LabState): { sitesXml: string; appPoolsXml: string } {
  const text = (lines: string[]) => lines.map((l) => l + "\r\n").join("");
  return {
    sitesXml: text(appcmdXmlLines("SITE", readSites(doc).map((s) => siteXmlRow(state, s)))),
    appPoolsXml: text(appcmdXmlLines("APPPOOL", readPools(doc).map((p) => poolXmlRow(state, p)))),
  };
}
