import { siteFor, vdirOf, vdirTarget } from "./query";
import type { RepairAction } from "../plan/actions";
import { findingsFor, type Rule, type RuleContext } from "./rule";
import type { VdirRequirement } from "../model/layout";
import type { SiteState, VdirState } from "../state/schema";
import { KB920659 } from "./sources";

const setAuth = (site: string, path: string, auth: "anonymous" | "windows", enabled: boolean): RepairAction[] => [
  { kind: "set-auth", site, path, auth, enabled },
];
const UNKNOWN_FIX = "collect applicationHost.config";

/** Every present required vdir of the layout, with its observed state, on every site that requires it. */
function presentVdirs(ctx: RuleContext, pick: (v: VdirRequirement) => boolean): { site: SiteState; req: VdirRequirement; have: VdirState }[] {
  return ctx.layout.sites.flatMap((siteReq) => {
    const site = siteFor(ctx.layout, ctx.state, siteReq);
    if (!site) return [];
    return siteReq.vdirs.filter(pick).flatMap((req) => {
      const have = vdirOf(site, req.name);
      return have ? [{ site, req, have }] : [];
    });
  });
}

/** Layout: the one Windows-auth vdir (WSUSAdmin / ApiRemoting30) asks for Windows authentication and is never anonymous. */
export const layoutWindowsAuth: Rule = {
  id: "layout-windows-auth",
  group: "kb",
  helpUri: KB920659,
  cause: null,
  severity: "error",
  title: "The Windows-auth virtual directory is Windows-only",
  description: "The administration endpoint (WSUSAdmin in KB 920659, ApiRemoting30 on WSUS 3.0 SP2+) has anonymous authentication off and Windows authentication on.",
  evaluate(ctx: RuleContext) {
    const f = findingsFor(this);
    return presentVdirs(ctx, (v) => v.auth === "windows").flatMap(({ site, have, req }) => {
      const target = vdirTarget(site.name, req.name);
      const out = [];
      if (have.auth.anonymous !== false) {
        const msg = have.auth.anonymous === null ? "anonymous authentication state is not known" : `anonymous authentication is on for ${target}: the WSUS administration API must not be anonymous`;
        out.push(have.auth.anonymous === null ? f.unknown({ target, message: msg, remediation: UNKNOWN_FIX }) : f.fail({ target, message: msg, repair: setAuth(site.name, have.path, "anonymous", false) }));
      }
      if (have.auth.windows !== true) {
        const msg = have.auth.windows === null ? "Windows authentication state is not known" : `Windows authentication is off for ${target}`;
        out.push(have.auth.windows === null ? f.unknown({ target, message: msg, remediation: UNKNOWN_FIX }) : f.fail({ target, message: msg, repair: setAuth(site.name, have.path, "windows", true) }));
      }
      return out;
    });
  },
};

/** Layout: every other WSUS vdir allows anonymous access (SelfUpdate has its own KB rule, cause 4). */
export const layoutAnonymous: Rule = {
  id: "layout-anonymous",
  group: "kb",
  helpUri: KB920659,
  cause: null,
  severity: "error",
  title: "WSUS client virtual directories allow anonymous access",
  description: "Every WSUS virtual directory except the Windows-auth one has anonymous authentication enabled (KB 920659: \"Set all other virtual directories security to Anonymous Access Enabled\").",
  evaluate(ctx: RuleContext) {
    const f = findingsFor(this);
    return presentVdirs(ctx, (v) => v.auth === "anonymous" && !v.isSelfUpdate).flatMap(({ site, have, req }) => {
      const target = vdirTarget(site.name, req.name);
      if (have.auth.anonymous === true) return [];
      return have.auth.anonymous === null
        ? [f.unknown({ target, message: "anonymous authentication state is not known", remediation: UNKNOWN_FIX })]
        : [f.fail({ target, message: `anonymous authentication is off on ${target}`, repair: setAuth(site.name, have.path, "anonymous", true) })];
    });
  },
};

/** Layout (modern profile, when the spec sets `ssl`): Require SSL on exactly the five SSL endpoints. */
export const layoutRequireSsl: Rule = {
  id: "layout-require-ssl",
  group: "kb",
  helpUri: KB920659,
  cause: null,
  severity: "warning",
  title: "Require SSL matches the WSUS SSL split",
  description:
    "With SSL configured, ApiRemoting30, ClientWebService, DssAuthWebService, ServerSyncWebService and SimpleAuthWebService require SSL; Content, Inventory, ReportingWebService and Selfupdate must not.",
  evaluate(ctx: RuleContext) {
    const f = findingsFor(this);
    return presentVdirs(ctx, (v) => v.requireSsl !== null).flatMap(({ site, have, req }) => {
      const target = vdirTarget(site.name, req.name);
      const want = req.requireSsl === true;
      if (have.auth.requireSsl === want) return [];
      return have.auth.requireSsl === null
        ? [f.unknown({ target, message: "Require SSL state is not known", remediation: UNKNOWN_FIX })]
        : [
            f.fail({
              target,
              message: `Require SSL is ${have.auth.requireSsl ? "on" : "off"} for ${target}, expected ${want ? "on" : "off"}`,
              repair: [{ kind: "set-ssl", site: site.name, path: have.path, requireSsl: want }],
            }),
          ];
    });
  },
};
