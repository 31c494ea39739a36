import type { Layout } from "../model/layout";
import { pathKey } from "../model/paths";
import { SID } from "../model/principals";
import type { Spec } from "../model/spec";
import { evaluate, RULES } from "../rules";
import { ownedPools, wsusPools, wsusSites } from "../rules/health/scope";
import { siteFor } from "../rules/query";
import type { RuleFinding } from "../rules/rule";
import type { AuthState, ObservedState, SiteState, VdirState } from "../state/schema";
import type { RepairAction } from "./actions";
import { simulate } from "./simulate";

/**
 * Plans that are safe by construction, judged on the effect, not on the text of the commands.
 *
 * IIS settings are inherited: `appcmd set config "Default Web Site" … anonymousAuthentication
 * /enabled:True` writes `<location path="Default Web Site">`, and every application and virtual
 * directory below it that sets nothing of its own takes the new value (IIS configuration reference,
 * "location" and configuration inheritance; core/evidence/applicationHost.ts effectiveAuth). A repair of
 * the site root can so open a Windows-auth vdir that inherited its anonymous setting. Two defences:
 *
 * 1. pinInherited(): before a set at a parent, every child whose effective value would change, and
 *    is not meant to, gets its current value written at its own location first. Pins restate what a
 *    child already has: its effective configuration does not change.
 * 2. planViolations(): the whole plan is simulated on the observed state (simulate() resolves every
 *    location again, so inheritance shows) and refused when, afterwards,
 *    - the layout's Windows-auth vdir is anything but Windows on / anonymous off (anywhere else it
 *      must be no worse than before),
 *    - anything the spec does not own changed its effective configuration (other sites; other
 *      applications and vdirs of the WSUS sites; other folders' ACLs; other groups),
 *    - a finding that passed before fails.
 */

type Chosen = { finding: RuleFinding; action: RepairAction };
type AuthKind = "anonymous" | "windows" | "requireSsl";

const lower = (s: string) => s.toLowerCase();

function authKind(a: Extract<RepairAction, { kind: "set-auth" | "set-ssl" }>): AuthKind {
  return a.kind === "set-ssl" ? "requireSsl" : a.auth;
}

function setAction(site: string, path: string, kind: AuthKind, value: boolean): RepairAction {
  return kind === "requireSsl" ? { kind: "set-ssl", site, path, requireSsl: value } : { kind: "set-auth", site, path, auth: kind, enabled: value };
}

/** What the layout wants of a vdir's setting (null: the spec does not own it, or does not care). */
function wanted(layout: Layout, state: ObservedState, site: SiteState, v: VdirState, kind: AuthKind): boolean | null {
  for (const req of layout.sites) {
    if (siteFor(layout, state, req) !== site) continue;
    const owned = req.vdirs.find((x) => `/${lower(x.name)}` === lower(v.path));
    if (!owned) continue;
    if (kind === "anonymous") return owned.auth === "anonymous";
    if (kind === "windows") return owned.auth === "windows" ? true : null;
    return owned.requireSsl ?? null;
  }
  return null;
}

/** Insert, before every set at a parent, the pins that keep its children as they are (see above). */
export function pinInherited(layout: Layout, state: ObservedState, chosen: readonly Chosen[], files: readonly string[]): Chosen[] {
  if (!state.locations) return [...chosen]; // a declaration: no locations, nothing inherits
  const out: Chosen[] = [];
  let current = state;
  for (const c of chosen) {
    const a = c.action;
    if (a.kind === "set-auth" || a.kind === "set-ssl") {
      const kind = authKind(a);
      const next = simulate(current, a, files);
      const before = current.sites.find((s) => lower(s.name) === lower(a.site));
      const after = next.sites.find((s) => lower(s.name) === lower(a.site));
      if (before && after) {
        for (const v of before.vdirs) {
          if (lower(v.path) === lower(a.path)) continue;
          const now = v.auth[kind];
          const then = after.vdirs.find((x) => lower(x.path) === lower(v.path))?.auth[kind];
          if (now === then || now === null) continue;
          if (wanted(layout, current, before, v, kind) === then) continue; // the change is what the spec asks of it
          const pin = setAction(before.name, v.path, kind, now);
          out.push({ finding: c.finding, action: pin });
          current = simulate(current, pin, files);
        }
      }
    }
    out.push(c);
    current = simulate(current, a, files);
  }
  return out;
}

/** The final state of a list of actions on a state. */
export function simulateAll(state: ObservedState, actions: readonly RepairAction[], files: readonly string[]): ObservedState {
  return actions.reduce((s, a) => simulate(s, a, files), state);
}

const sameAuth = (x: AuthState, y: AuthState) => x.anonymous === y.anonymous && x.windows === y.windows && x.requireSsl === y.requireSsl && x.anonymousUser === y.anonymousUser;
const findingKey = (f: { rule: string; target: string }) => `${f.rule}\u0000${lower(f.target)}`;

/** Why a plan must not be sent (empty: it may). */
export function planViolations(spec: Spec, layout: Layout, before: ObservedState, after: ObservedState): string[] {
  const out: string[] = [];
  const ownedSites = new Map<SiteState, Set<string>>();
  for (const req of layout.sites) {
    const s = siteFor(layout, before, req);
    if (!s) continue;
    const names = ownedSites.get(s) ?? new Set<string>();
    for (const v of req.vdirs) names.add(`/${lower(v.name)}`);
    ownedSites.set(s, names);
  }
  const afterSite = (s: SiteState) => after.sites.find((x) => lower(x.name) === lower(s.name));
  const win = `/${lower(layout.windowsAuthVdir)}`;

  // The Windows-auth vdir: Windows on, anonymous off where the layout owns it; nowhere worse than before.
  for (const site of after.sites) {
    const v = site.vdirs.find((x) => lower(x.path) === win);
    if (!v) continue;
    const was = before.sites.find((x) => lower(x.name) === lower(site.name))?.vdirs.find((x) => lower(x.path) === win);
    const owned = [...ownedSites.keys()].some((s) => lower(s.name) === lower(site.name));
    const ok = v.auth.anonymous === false && v.auth.windows === true;
    const worse = !!was && ((v.auth.anonymous === true && was.auth.anonymous !== true) || (v.auth.windows !== true && was.auth.windows === true));
    if ((owned && !ok) || worse) {
      out.push(`${site.name}${v.path} would be anonymous ${v.auth.anonymous ? "on" : "off"}, Windows ${v.auth.windows ? "on" : "off"} after the plan: the Windows-auth vdir must be Windows on, anonymous off`);
    }
  }

  // Nothing the spec does not own changes its effective configuration.
  for (const site of before.sites) {
    const now = afterSite(site);
    const owned = ownedSites.get(site);
    if (!now) {
      out.push(`site ${site.name} would be gone after the plan`);
      continue;
    }
    if (!owned) {
      if (JSON.stringify(now) !== JSON.stringify(site)) out.push(`site ${site.name}, which the spec does not own, would change`);
      continue;
    }
    for (const v of site.vdirs) {
      if (owned.has(lower(v.path))) continue;
      const w = now.vdirs.find((x) => lower(x.path) === lower(v.path));
      if (!w || !sameAuth(v.auth, w.auth) || v.physicalPath !== w.physicalPath) out.push(`${site.name}${v.path}, which the spec does not own, would change its effective configuration`);
    }
  }
  const selfUpdate = pathKey(layout.selfUpdatePath);
  for (const [key, acl] of Object.entries(before.acls ?? {})) {
    if (key === selfUpdate) continue;
    if (JSON.stringify(after.acls?.[key]) !== JSON.stringify(acl)) out.push(`the ACL of ${acl.path}, which the spec does not own, would change`);
  }
  for (const [key, group] of Object.entries(before.groups ?? {})) {
    if (key === SID.users) continue;
    if (JSON.stringify(after.groups?.[key]) !== JSON.stringify(group)) out.push(`the group ${group.name}, which the spec does not own, would change`);
  }

  out.push(...healthViolations(spec, layout, before, after));

  // No finding that passed before fails after.
  const failing = (s: ObservedState) => new Set(evaluate(spec, s, RULES, layout).filter((f) => f.status === "fail").map(findingKey));
  const was = failing(before);
  for (const f of evaluate(spec, after, RULES, layout)) {
    if (f.status === "fail" && !was.has(findingKey(f))) out.push(`${f.rule} on ${f.target} passes now and would fail after the plan: ${f.message}`);
  }
  return [...new Set(out)];
}

/**
 * The health group's share of "nothing the spec does not own changes" (issue 13), on the effect: pools
 * other than those the WSUS applications alone run in (or the one the spec names) keep every setting; a
 * pool the WSUS applications share keeps its settings too (only its runtime state may change, by a start);
 * impersonation outside the layout's sites, the runtime state of other sites and every compression
 * scheme but xpress stay as they were.
 */
function healthViolations(spec: Spec, layout: Layout, before: ObservedState, after: ObservedState): string[] {
  const b = before.health;
  const a = after.health;
  if (!b) return [];
  if (!a) return ["the health state would be gone after the plan"];
  const out: string[] = [];
  const ctx = { spec, layout, state: before };
  const owned = ownedPools(ctx);
  const scope = wsusPools(ctx);
  const wsusPoolNames = new Set(scope.kind === "pools" ? scope.pools.map((p) => p.pool.name.toLowerCase()) : []);
  for (const pool of b.appPools) {
    const key = lower(pool.name);
    if (owned.has(key)) continue;
    const now = a.appPools.find((p) => lower(p.name) === key);
    const settings = (p: typeof pool | undefined) => (p ? JSON.stringify({ ...p, state: null }) : "gone");
    const changed = wsusPoolNames.has(key) ? settings(now) !== settings(pool) : JSON.stringify(now) !== JSON.stringify(pool);
    if (changed) out.push(`application pool ${pool.name}, which the spec does not own, would change`);
  }
  const sites = wsusSites(ctx).map((s) => lower(s.site.name));
  const ownedKey = (k: string) => sites.some((s) => k === s || k.startsWith(`${s}/`));
  for (const [k, v] of Object.entries(b.impersonation)) {
    if (!ownedKey(k) && a.impersonation[k] !== v) out.push(`impersonation at ${k}, which the spec does not own, would change`);
  }
  for (const [k, v] of Object.entries(b.siteStates ?? {})) {
    if (!sites.includes(k) && a.siteStates?.[k] !== v) out.push(`the runtime state of site ${k}, which the spec does not own, would change`);
  }
  const others = (h: typeof b) => JSON.stringify(h.compressionSchemes.filter((c) => lower(c.name) !== "xpress"));
  if (others(a) !== others(b)) out.push("a compression scheme other than xpress would change");
  return out;
}
