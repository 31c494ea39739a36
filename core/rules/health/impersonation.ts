import { locationKey } from "../../evidence/applicationHost";
import { commandLine, quoteArg } from "../../commands/quote";
import { APPCMD } from "../../plan/render";
import { APPHOST_FILE } from "../../state/health";
import { findingsFor, manualCommand, type Rule, type RuleContext, type RuleFinding } from "../rule";
import { healthOf, KB2737219, wsusSites } from "./scope";

/**
 * ASP.NET impersonation (system.web/identity/@impersonate) off on the WSUS site and every child. On, it
 * gives HTTP 500.24 on every endpoint, static SelfUpdate files included (KB 2737219: "By default we do
 * not have ASP.NET Impersonation Enabled for any of the WSUS Administration Websites"; its W3C log lines
 * show `GET /selfupdate/iuident.cab … 500 24` and the FREB module ConfigurationValidationModule).
 *
 * Repair: `appcmd set config "Site/path" -section:system.web/identity /impersonate:false` at the
 * shallowest path where it is on. When applicationHost.config sets it, with /commit:apphost, covered by
 * the apply's `appcmd add backup` and its rollback. When a web.config sets it, the fix would rewrite that
 * web.config, which `appcmd add backup` does not save (it backs up the server-level configuration in
 * inetsrv\config), so it is a manual step with the command, never run automatically.
 */
export const wsusImpersonationOff: Rule = {
  id: "wsus-impersonation-off",
  cause: null,
  group: "health",
  severity: "error",
  title: "ASP.NET impersonation off on the WSUS site and every child",
  description: "system.web/identity/@impersonate is false on the WSUS site and on every application and virtual directory below it (KB 2737219: on, every endpoint answers HTTP 500.24).",
  helpUri: KB2737219,
  evaluate(ctx: RuleContext): RuleFinding[] {
    const f = findingsFor(this);
    if (ctx.state.source === "declaration") return [];
    const health = healthOf(ctx);
    if (!health) return [f.unknown({ target: "WSUS site", message: "the evidence holds no impersonation settings" })];
    const out: RuleFinding[] = [];
    for (const { site } of wsusSites(ctx)) {
      const paths = ["", ...site.vdirs.map((v) => v.path)];
      const on: string[] = [];
      const unknown: string[] = [];
      for (const p of paths) {
        const v = health.impersonation[locationKey(`${site.name}/${p}`)];
        if (v === true) on.push(p);
        else if (v === null || v === undefined) unknown.push(p);
      }
      // the shallowest paths where it is on: a child of one of them is fixed with it (inheritance)
      const tops = on.filter((p) => !on.some((q) => q !== p && (q === "" || p.toLowerCase().startsWith(`${q.toLowerCase()}/`))));
      for (const top of tops) {
        const key = locationKey(`${site.name}/${top}`);
        const setAt = health.impersonationSetAt[key] ?? APPHOST_FILE;
        const covered = on.filter((p) => p === top || top === "" || p.toLowerCase().startsWith(`${top.toLowerCase()}/`));
        const where = `${site.name}${top || "/"}`;
        const message = `ASP.NET impersonation is on at ${where}${covered.length > 1 ? ` and ${covered.length - 1} path(s) below it` : ""} (set in ${setAt}): every request there gets HTTP 500.24`;
        if (setAt === APPHOST_FILE) {
          out.push(f.fail({ target: where, message, repair: [{ kind: "set-impersonation", site: site.name, path: top }] }));
        } else {
          out.push(
            f.fail({
              target: where,
              message,
              repair: [
                manualCommand(
                  `it is set in ${setAt}\\web.config, which an apply's IIS backup does not save: run `,
                  () => commandLine(APPCMD, "set", "config", quoteArg(`${site.name}${top}`), "-section:system.web/identity", "/impersonate:false"),
                  " (it rewrites that web.config; copy it first)",
                ),
              ],
            }),
          );
        }
      }
      if (unknown.length > 0 && tops.length === 0) {
        out.push(f.unknown({ target: `${site.name}/`, message: `impersonation at ${unknown.length} path(s) of ${site.name} depends on web.config files the evidence does not hold`, remediation: "collect the evidence with the agent (it reads the web.config of every folder the WSUS site maps)" }));
      }
    }
    return out;
  },
};
