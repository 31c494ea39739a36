import { defaultSiteOf } from "../model/layout";
import { defaultSiteState } from "./query";
import { findingsFor, type Rule, type RuleContext } from "./rule";
import { KB920659 } from "./sources";

/**
 * KB 920659 cause 6: "The default Web site does not have anonymous access permissions." It matters
 * where the Default Web Site serves SelfUpdate to clients (the KB's port-80 layouts); in modern
 * Configuration 2 on 8530 the Default Web Site holds nothing of WSUS and is not judged (SelfUpdate's own
 * effective anonymous access is cause 4's).
 */
export const defaultSiteAnonymous: Rule = {
  id: "default-site-anonymous",
  group: "kb",
  helpUri: KB920659,
  cause: 6,
  severity: "error",
  title: "Default Web Site allows anonymous access",
  description: "Anonymous authentication is enabled at the root of the Default Web Site, where the layout has it serve SelfUpdate to clients.",
  evaluate({ layout, state }: RuleContext) {
    const f = findingsFor(this);
    const req = defaultSiteOf(layout);
    if (!req || req !== layout.clientSite) return [];
    const site = defaultSiteState(layout, state);
    if (!site || site.rootAuth.anonymous === true) return [];
    return site.rootAuth.anonymous === null
      ? [f.unknown({ target: req.name, message: "effective anonymous authentication is not known", remediation: "collect applicationHost.config" })]
      : [f.fail({ target: req.name, message: `anonymous authentication is off on ${site.name}`, repair: [{ kind: "set-auth", site: site.name, path: "", auth: "anonymous", enabled: true }] })];
  },
};
