import { locationKey } from "../../evidence/applicationHost";
import type { AppPoolState, HealthState } from "../../state/health";
import type { SiteState } from "../../state/schema";
import { siteFor } from "../query";
import type { RuleContext } from "../rule";

/**
 * What the health rules look at, found the way the KB rules find it: the sites of the layout as the
 * server has them (the WSUS site name is localised: core/rules/query.ts siteFor), and the application
 * pool(s) the WSUS applications of those sites actually run in (GROUND_TRUTH.md: derive it from the
 * applications, do not hard-code WsusPool), unless the spec names one (`health.appPool`).
 */
export type PoolScope =
  | { kind: "declaration" }
  | { kind: "no-evidence" }
  | { kind: "unknown"; reason: string }
  | { kind: "pools"; pools: ScopedPool[]; missing: string[] };

/**
 * A pool the WSUS applications run in. `sharedWith`: applications outside the layout that run in it too
 * (a WSUS install in DefaultAppPool next to the Default Web Site's own root): changing the pool changes
 * them, which the spec does not own, so its repairs are shown, not run (unless the spec names the pool).
 */
export interface ScopedPool {
  pool: AppPoolState;
  apps: string[];
  sharedWith: string[];
}

export function healthOf(ctx: RuleContext): HealthState | null {
  return ctx.state.health ?? null;
}

/** The layout's sites as the server has them (each once). */
export function wsusSites(ctx: RuleContext): { site: SiteState; role: "default" | "admin"; apps: string[]; paths: string[] }[] {
  const out: { site: SiteState; role: "default" | "admin"; apps: string[]; paths: string[] }[] = [];
  for (const req of ctx.layout.sites) {
    const site = siteFor(ctx.layout, ctx.state, req);
    if (!site || out.some((o) => o.site === site)) continue;
    const have = new Set(site.vdirs.map((v) => v.path.toLowerCase()));
    out.push({
      site,
      role: req.role,
      apps: req.vdirs.filter((v) => v.kind === "app" && have.has(`/${v.name.toLowerCase()}`)).map((v) => v.name),
      paths: req.vdirs.filter((v) => have.has(`/${v.name.toLowerCase()}`)).map((v) => v.name),
    });
  }
  return out;
}

export function wsusPools(ctx: RuleContext): PoolScope {
  if (ctx.state.source === "declaration") return { kind: "declaration" };
  const health = healthOf(ctx);
  if (!health) return { kind: "no-evidence" };
  const byName = new Map(health.appPools.map((p) => [p.name.toLowerCase(), p]));
  const wanted = ctx.spec.health.appPool;
  if (wanted !== "auto") {
    // named in the spec: the spec owns it, whoever else runs in it
    const pool = byName.get(wanted.toLowerCase());
    return pool ? { kind: "pools", pools: [{ pool, apps: [], sharedWith: [] }], missing: [] } : { kind: "pools", pools: [], missing: [wanted] };
  }
  const found = new Map<string, ScopedPool>();
  const missing: string[] = [];
  const ours = new Set<string>();
  for (const { site, role, apps } of wsusSites(ctx)) {
    // the WSUS site's root application is WSUS's; the Default Web Site's root is not (Configuration 1)
    if (role === "admin") ours.add(locationKey(site.name));
    for (const app of apps) {
      const key = locationKey(`${site.name}/${app}`);
      ours.add(key);
      const name = health.appPoolOf[key];
      if (name === undefined) continue;
      const pool = byName.get(name.toLowerCase());
      if (!pool) {
        if (!missing.includes(name)) missing.push(name);
        continue;
      }
      const entry = found.get(pool.name.toLowerCase()) ?? { pool, apps: [], sharedWith: [] };
      entry.apps.push(app);
      found.set(pool.name.toLowerCase(), entry);
    }
  }
  if (found.size === 0 && missing.length === 0) return { kind: "unknown", reason: "no WSUS application was found on the server, so its application pool is not known" };
  for (const [key, name] of Object.entries(health.appPoolOf)) {
    const entry = found.get(name.toLowerCase());
    if (entry && !ours.has(key)) entry.sharedWith.push(key);
  }
  return { kind: "pools", pools: [...found.values()], missing };
}

/** Lower-case names of the pools a plan may change: those the WSUS applications alone run in, or the one the spec names. */
export function ownedPools(ctx: RuleContext): Set<string> {
  const scope = wsusPools(ctx);
  return new Set(scope.kind === "pools" ? scope.pools.filter((p) => p.sharedWith.length === 0).map((p) => p.pool.name.toLowerCase()) : []);
}


export { KB2737219, KB4490414, KB920659 } from "../sources";
