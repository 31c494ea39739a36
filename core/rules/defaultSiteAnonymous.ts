import { defaultSiteOf } from "../model/layout";
import { defaultSiteState } from "./query";
import { findingsFor, type Rule, type RuleContext } from "./rule";

/** KB 920659 cause 6: the Default Web Site itself must allow anonymous access. */
export const defaultSiteAnonymous: Rule = {
  id: "default-site-anonymous",
  cause: 6,
  severity: "error",
  title: "Default Web Site allows anonymous access",
  description: "Anonymous authentication is enabled at the root of the Default Web Site.",
  evaluate({ layout, state }: RuleContext) {
    const f = findingsFor(this);
    const req = defaultSiteOf(layout);
    const site = defaultSiteState(layout, state);
    if (!site || site.rootAuth.anonymous === true) return [];
    return site.rootAuth.anonymous === null
      ? [f.unknown({ target: req.name, message: "effective anonymous authentication is not known", remediation: "collect applicationHost.config" })]
      : [f.fail({ target: req.name, message: `anonymous authentication is off on ${site.name}`, repair: [{ kind: "set-auth", site: site.name, path: "", auth: "anonymous", enabled: true }] })];
  },
};
