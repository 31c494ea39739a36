import { defaultSiteOf, type Layout, type SiteRequirement } from "../model/layout";
import { samePath } from "../model/paths";
import type { LocalGroup, ObservedState, SiteState, VdirState } from "../state/schema";

// Rules look things up many times per evaluation and a server may have thousands of sites, so
// evaluate() indexes the state once (indexState) before the rules run; states are not mutated while
// rules run. Without an index (a rule called on its own) lookups fall back to scanning.
const vdirIndex = new WeakMap<SiteState, Map<string, VdirState>>();
const siteIndex = new WeakMap<ObservedState, Map<string, SiteState>>();

// States nobody edits (cached declarations) keep their index across evaluations.
const immutable = new WeakSet<ObservedState>();

/** Promise that a state will not be edited again, so evaluate() can index it once and reuse that. */
export function markImmutable(state: ObservedState): ObservedState {
  immutable.add(state);
  return state;
}

export function indexState(state: ObservedState): void {
  if (immutable.has(state) && siteIndex.has(state)) return;
  const byName = new Map<string, SiteState>();
  for (const site of state.sites) {
    if (!byName.has(site.name.toLowerCase())) byName.set(site.name.toLowerCase(), site);
    const byPath = new Map<string, VdirState>();
    for (const v of site.vdirs) if (!byPath.has(v.path.toLowerCase())) byPath.set(v.path.toLowerCase(), v);
    vdirIndex.set(site, byPath);
  }
  siteIndex.set(state, byName);
  siteForCache.set(state, new Map());
}

/** Case-insensitive lookup of a vdir/app by its name directly under the site root. */
export function vdirOf(site: SiteState, name: string): VdirState | undefined {
  const want = "/" + name.toLowerCase();
  const idx = vdirIndex.get(site);
  return idx ? idx.get(want) : site.vdirs.find((v) => v.path.toLowerCase() === want);
}

export function siteByName(state: ObservedState, name: string): SiteState | undefined {
  const want = name.toLowerCase();
  const idx = siteIndex.get(state);
  return idx ? idx.get(want) : state.sites.find((s) => s.name.toLowerCase() === want);
}

/**
 * Find the server's site for a layout role. The WSUS site name is localised, so when the configured
 * name is absent the admin site is the one (other than the default site) holding most WSUS vdirs;
 * the default site falls back to IIS's id 1.
 */
const siteForCache = new WeakMap<ObservedState, Map<SiteRequirement, SiteState | undefined>>();

export function siteFor(layout: Layout, state: ObservedState, req: SiteRequirement): SiteState | undefined {
  const cache = siteIndex.has(state) ? siteForCache.get(state) : undefined;
  if (cache?.has(req)) return cache.get(req);
  const found = findSiteFor(layout, state, req);
  cache?.set(req, found);
  return found;
}

function findSiteFor(layout: Layout, state: ObservedState, req: SiteRequirement): SiteState | undefined {
  const byName = siteByName(state, req.name);
  if (byName) return byName;
  if (req.role === "default") return state.sites.find((s) => s.id === 1);
  const defaultName = layout.spec.defaultSite.name.toLowerCase();
  const wsusPaths = req.vdirs.filter((v) => !v.isSelfUpdate).map((v) => "/" + v.name.toLowerCase());
  let best: { site: SiteState; score: number } | undefined;
  for (const site of state.sites) {
    if (site.id === 1 || site.name.toLowerCase() === defaultName) continue;
    const idx = vdirIndex.get(site);
    let score = 0;
    for (const p of wsusPaths) if (idx ? idx.has(p) : site.vdirs.some((v) => v.path.toLowerCase() === p)) score++;
    if (score >= 2 && (!best || score > best.score)) best = { site, score };
  }
  return best?.site;
}

export function defaultSiteState(layout: Layout, state: ObservedState): SiteState | undefined {
  const req = defaultSiteOf(layout);
  return req ? siteFor(layout, state, req) : undefined;
}

/** The site clients reach SelfUpdate on (the layout's client site), as the server has it. */
export function clientSiteState(layout: Layout, state: ObservedState): SiteState | undefined {
  return siteFor(layout, state, layout.clientSite);
}

/** Sites that hold the SelfUpdate vdir, with it. */
export function selfUpdateHolders(layout: Layout, state: ObservedState): { site: SiteState; vdir: VdirState }[] {
  return state.sites.flatMap((site) => {
    const vdir = vdirOf(site, layout.selfUpdateName);
    return vdir ? [{ site, vdir }] : [];
  });
}

export function httpPorts(site: SiteState): number[] {
  return site.bindings.filter((b) => b.protocol === "http").map((b) => b.port);
}

export function listensOn(site: SiteState, port: number): boolean {
  return httpPorts(site).includes(port);
}

export function isAcceptedSelfUpdatePath(layout: Layout, physicalPath: string): boolean {
  return layout.acceptedSelfUpdatePaths.some((p) => samePath(p, physicalPath));
}

/** Whether the SelfUpdate placement rules (2 and 3) already explain SelfUpdate problems. */
export function selfUpdatePlacementBroken(layout: Layout, state: ObservedState): boolean {
  const holders = selfUpdateHolders(layout, state);
  return holders.length === 0 || !holders.some((h) => listensOn(h.site, layout.clientPort));
}

export const siteLabel = (site: SiteState | SiteRequirement) => site.name;
export const vdirTarget = (siteName: string, vdirName: string) => `${siteName}/${vdirName}`;

/** A local group of the evidence by its SID (evidence@2 keys groups by SID; @1 text is mapped by name). */
export function groupBySid(state: ObservedState, sid: string): LocalGroup | undefined {
  const groups = state.groups;
  if (!groups) return undefined;
  return groups[sid] ?? Object.values(groups).find((g) => g.sid === sid);
}
