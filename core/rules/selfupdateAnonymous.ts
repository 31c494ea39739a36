import { selfUpdateHolders, vdirTarget } from "./query";
import { findingsFor, type Rule, type RuleContext } from "./rule";
import { KB920659 } from "./sources";

/** KB 920659 cause 4: the SelfUpdate virtual directory must allow anonymous access on every site holding it. */
export const selfUpdateAnonymous: Rule = {
  id: "selfupdate-anonymous",
  group: "kb",
  helpUri: KB920659,
  cause: 4,
  severity: "error",
  title: "SelfUpdate allows anonymous access",
  description: "Anonymous authentication is enabled on the SelfUpdate virtual directory (effective setting, applicationHost.config <location>).",
  evaluate({ layout, state }: RuleContext) {
    const f = findingsFor(this);
    return selfUpdateHolders(layout, state).flatMap(({ site, vdir }) => {
      const target = vdirTarget(site.name, layout.selfUpdateName);
      if (vdir.auth.anonymous === true) return [];
      return vdir.auth.anonymous === null
        ? [f.unknown({ target, message: "effective anonymous authentication is not known", remediation: "collect applicationHost.config" })]
        : [f.fail({ target, message: `anonymous authentication is off on ${target}`, repair: [{ kind: "set-auth", site: site.name, path: vdir.path, auth: "anonymous", enabled: true }] })];
    });
  },
};
