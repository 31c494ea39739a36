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
    const fix = `appcmd set config "${site.name}" -section:system.webServer/security/authentication/anonymousAuthentication /enabled:"True" /commit:apphost`;
    return site.rootAuth.anonymous === null
      ? [f.unknown({ target: req.name, message: "effective anonymous authentication is not known", remediation: fix })]
      : [f.fail({ target: req.name, message: `anonymous authentication is off on ${site.name}`, remediation: fix })];
  },
};
