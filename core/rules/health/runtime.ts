import { findingsFor, type Rule, type RuleContext, type RuleFinding } from "../rule";
import { healthOf, KB920659, wsusPools, wsusSites } from "./scope";

/**
 * Runtime state: KB 920659's first symptom is "Non-running services". A stopped site refuses
 * connections; a stopped pool makes HTTP.sys answer 503 (HTTPERR "503 … AppOffline WsusPool",
 * ../shared/fixtures/command-outputs/httperr-wsuspool-appoffline.txt). applicationHost.config does not
 * hold it: the evidence's `runtime` (appcmd list site|apppool /xml) does. Without it: unknown.
 *
 * Repair: `appcmd start site` / `appcmd start apppool`, ordered after every configuration change
 * (core/plan/actions.ts ACTION_ORDER), so a pool starts with its repaired settings. A pool that stops
 * again (rapid-fail protection) needs a person: the Application event log says why.
 */
const RUNNING = new Set(["started", "starting"]);

export const wsusSiteStarted: Rule = {
  id: "wsus-site-started",
  cause: null,
  group: "health",
  severity: "error",
  title: "The WSUS sites are started",
  description: "Every site of the layout (the WSUS site, and the Default Web Site where it serves WSUS paths) is Started. Stopped, it refuses connections.",
  helpUri: KB920659,
  evaluate(ctx: RuleContext): RuleFinding[] {
    const f = findingsFor(this);
    if (ctx.state.source === "declaration") return [];
    const health = healthOf(ctx);
    const out: RuleFinding[] = [];
    for (const { site, paths } of wsusSites(ctx)) {
      if (paths.length === 0) continue; // a site that serves no WSUS path is not ours to start
      const state = health?.siteStates ? health.siteStates[site.name.toLowerCase()] : undefined;
      if (state === undefined) {
        out.push(f.unknown({ target: site.name, message: health?.siteStates ? `${site.name} is not in appcmd list site` : "the evidence holds no runtime state (appcmd list site /xml)", remediation: "collect the evidence with the agent, which reads the runtime state" }));
      } else if (!RUNNING.has(state.toLowerCase())) {
        out.push(f.fail({ target: site.name, message: `${site.name} is ${state}: connections to its ports are refused`, repair: [{ kind: "start-site", site: site.name }] }));
      }
    }
    return out;
  },
};

export const wsusPoolStarted: Rule = {
  id: "wsuspool-started",
  cause: null,
  group: "health",
  severity: "error",
  title: "The WSUS application pool is started",
  description: "The application pool(s) the WSUS applications run in are Started. Stopped, every request to them gets HTTP 503.",
  helpUri: KB920659,
  evaluate(ctx: RuleContext): RuleFinding[] {
    const f = findingsFor(this);
    const scope = wsusPools(ctx);
    if (scope.kind === "declaration") return [];
    if (scope.kind === "no-evidence") return [f.unknown({ target: "WsusPool", message: "the evidence holds no application pools" })];
    if (scope.kind === "unknown") return [f.unknown({ target: "WsusPool", message: scope.reason })];
    const health = healthOf(ctx);
    const out: RuleFinding[] = [];
    for (const { pool } of scope.pools) {
      if (pool.state === null) {
        out.push(f.unknown({ target: pool.name, message: health?.siteStates ? `${pool.name} is not in appcmd list apppool` : "the evidence holds no runtime state (appcmd list apppool /xml)", remediation: "collect the evidence with the agent, which reads the runtime state" }));
      } else if (!RUNNING.has(pool.state.toLowerCase())) {
        // a pool shared with other applications is started too: stopped, it serves none of them, and
        // starting it changes no setting (core/plan/safety.ts compares settings, not runtime, for WSUS pools)
        out.push(f.fail({ target: pool.name, message: `${pool.name} is ${pool.state}: every request to the WSUS applications gets HTTP 503`, repair: [{ kind: "start-apppool", pool: pool.name }], remediation: "if it stops again, read the Application event log (WAS, rapid-fail protection)" }));
      }
    }
    return out;
  },
};
