import { siteFor, vdirOf, vdirTarget } from "./query";
import { findingsFor, type Rule, type RuleContext } from "./rule";
import type { VdirRequirement } from "../model/layout";
import type { SiteState, VdirState } from "../state/schema";

const ANON = "system.webServer/security/authentication/anonymousAuthentication";
const WIN = "system.webServer/security/authentication/windowsAuthentication";
const setAuth = (site: string, path: string, section: string, on: boolean) =>
  `appcmd set config "${site}${path}" -section:${section} /enabled:"${on ? "True" : "False"}" /commit:apphost`;

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
        out.push((have.auth.anonymous === null ? f.unknown : f.fail)({ target, message: msg, remediation: setAuth(site.name, have.path, ANON, false) }));
      }
      if (have.auth.windows !== true) {
        const msg = have.auth.windows === null ? "Windows authentication state is not known" : `Windows authentication is off for ${target}`;
        out.push((have.auth.windows === null ? f.unknown : f.fail)({ target, message: msg, remediation: setAuth(site.name, have.path, WIN, true) }));
      }
      return out;
    });
  },
};

/** Layout: every other WSUS vdir allows anonymous access (SelfUpdate has its own KB rule, cause 4). */
export const layoutAnonymous: Rule = {
  id: "layout-anonymous",
  cause: null,
  severity: "error",
  title: "WSUS client virtual directories allow anonymous access",
  description: "Every WSUS virtual directory except the Windows-auth one has anonymous authentication enabled (KB 920659: \"Set all other virtual directories security to Anonymous Access Enabled\").",
  evaluate(ctx: RuleContext) {
    const f = findingsFor(this);
    return presentVdirs(ctx, (v) => v.auth === "anonymous" && !v.isSelfUpdate).flatMap(({ site, have, req }) => {
      const target = vdirTarget(site.name, req.name);
      if (have.auth.anonymous === true) return [];
      const fix = setAuth(site.name, have.path, ANON, true);
      return have.auth.anonymous === null
        ? [f.unknown({ target, message: "anonymous authentication state is not known", remediation: fix })]
        : [f.fail({ target, message: `anonymous authentication is off on ${target}`, remediation: fix })];
    });
  },
};

/** Layout (modern profile, when the spec sets `ssl`): Require SSL on exactly the five SSL endpoints. */
export const layoutRequireSsl: Rule = {
  id: "layout-require-ssl",
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
      const fix = `appcmd set config "${site.name}${have.path}" -section:system.webServer/security/access /sslFlags:"${want ? "Ssl" : "None"}" /commit:apphost`;
      return have.auth.requireSsl === null
        ? [f.unknown({ target, message: "Require SSL state is not known", remediation: fix })]
        : [f.fail({ target, message: `Require SSL is ${have.auth.requireSsl ? "on" : "off"} for ${target}, expected ${want ? "on" : "off"}`, remediation: fix })];
    });
  },
};
