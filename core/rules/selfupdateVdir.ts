import { isAcceptedSelfUpdatePath, selfUpdateHolders, vdirTarget } from "./query";
import { addVdirActions, selfUpdateRequirement } from "./repairs";
import { findingsFor, type Rule, type RuleContext } from "./rule";
import { KB920659 } from "./sources";

/** KB 920659 cause 2: no SelfUpdate virtual directory anywhere, or one pointing at the wrong folder. */
export const selfUpdateVdir: Rule = {
  id: "selfupdate-vdir",
  group: "kb",
  helpUri: KB920659,
  cause: 2,
  severity: "error",
  title: "SelfUpdate virtual directory exists and points to the SelfUpdate folder",
  description: "A SelfUpdate virtual directory exists and its physical path is the SelfUpdate folder (C:\\Program Files\\Update Services\\Selfupdate by default).",
  evaluate({ layout, state }: RuleContext) {
    const f = findingsFor(this);
    const holders = selfUpdateHolders(layout, state);
    const expected = layout.selfUpdatePath;
    if (holders.length === 0) {
      const site = layout.clientSite;
      const needing = layout.sites.filter((s) => s.vdirs.some((v) => v.isSelfUpdate));
      const where = needing.map((s) => s.name).join(" and ");
      return [
        f.fail({
          target: vdirTarget(site.name, layout.selfUpdateName),
          message: `no site has a ${layout.selfUpdateName} virtual directory (expected on ${where})`,
          repair: needing.flatMap((s) => addVdirActions(s.name, selfUpdateRequirement(layout))),
          remediation: `(KB 920659: or run Selfupdate.msi from ${layout.spec.installDir}\\Setup)`,
        }),
      ];
    }
    return holders.flatMap(({ site, vdir }) =>
      vdir.physicalPath === null || isAcceptedSelfUpdatePath(layout, vdir.physicalPath)
        ? []
        : [
            f.fail({
              target: vdirTarget(site.name, layout.selfUpdateName),
              message: `${layout.selfUpdateName} points to ${vdir.physicalPath}, expected ${expected}`,
              repair: [{ kind: "set-vdir-path", site: site.name, path: vdir.path, app: vdir.kind === "app", physicalPath: expected }],
            }),
          ],
    );
  },
};
