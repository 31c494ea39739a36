import { samePath } from "../model/paths";
import { selfUpdatePlacementBroken, siteFor, vdirOf, vdirTarget } from "./query";
import { addVdirActions } from "./repairs";
import { findingsFor, manual, type Rule, type RuleContext } from "./rule";
import { KB920659 } from "./sources";

/** Layout: every site and virtual directory the configuration requires exists, where the spec fixes paths with the right path. */
export const layoutVdirs: Rule = {
  id: "layout-vdirs",
  group: "kb",
  helpUri: KB920659,
  cause: null,
  severity: "error",
  title: "Required sites and virtual directories exist",
  description:
    "Configuration 1: every WSUS virtual directory on the Default Web Site. Configuration 2: SelfUpdate and ClientWebService on the Default Web Site, all of them on the WSUS site.",
  evaluate({ layout, state }: RuleContext) {
    const f = findingsFor(this);
    // SelfUpdate missing everywhere / off the client port is reported by its own KB rules (causes 2 and 3).
    const selfUpdateExplained = selfUpdatePlacementBroken(layout, state);
    return layout.sites.flatMap((req) => {
      const site = siteFor(layout, state, req);
      if (!site) {
        return [
          f.fail({
            target: req.name,
            message: `site ${req.name} (${req.role === "admin" ? `WSUS site, http port ${req.httpPort}` : "port-80 default site"}) does not exist`,
            // Recreating the Default Web Site (id 1, its root folder) is left to a person.
            repair:
              req.role === "admin"
                ? [{ kind: "add-site", site: req.name, port: req.httpPort, physicalPath: `${layout.spec.installDir}\\WebServices\\Root` }]
                : [manual(`recreate the ${req.name} (id 1) bound to http *:${req.httpPort}: in IIS Manager`)],
            remediation: req.role === "admin" ? "(WSUS itself recreates it with `wsusutil usecustomwebsite true`)" : undefined,
          }),
        ];
      }
      return req.vdirs.flatMap((v) => {
        if (v.isSelfUpdate && selfUpdateExplained) return [];
        const have = vdirOf(site, v.name);
        const target = vdirTarget(site.name, v.name);
        if (!have) {
          return [
            f.fail({
              target,
              message: `${v.kind === "app" ? "application" : "virtual directory"} /${v.name} is missing on ${site.name}`,
              repair: addVdirActions(site.name, v),
            }),
          ];
        }
        if (v.isSelfUpdate || !v.checkPhysicalPath || have.physicalPath === null || samePath(have.physicalPath, v.physicalPath)) return [];
        return [
          f.fail({
            target,
            message: `/${v.name} points to ${have.physicalPath}, expected ${v.physicalPath}`,
            repair: [{ kind: "set-vdir-path", site: site.name, path: have.path, app: have.kind === "app", physicalPath: v.physicalPath }],
          }),
        ];
      });
    });
  },
};
