import { findingsFor, manual, type Rule, type RuleContext } from "./rule";
import { KB920659 } from "./sources";

/**
 * The profile the spec names fits the server: a server with the IIS 7+ / WSUS 3.0 SP2+ layout judged as
 * KB 920659's WSUS 2.0 (or the reverse) would be "repaired" towards a layout it never had (a /WSUSAdmin
 * application, grants to an IUSR_<COMPUTERNAME> that does not exist). A warning, and no repair is planned
 * while it stands (core/plan/planner.ts). `profile: auto` (the default) never mismatches.
 */
export const profileFits: Rule = {
  id: "profile-fits-server",
  group: "kb",
  helpUri: KB920659,
  cause: null,
  severity: "warning",
  title: "The spec's profile fits the server",
  description: "An explicit profile (kb920659 or modern) matches the layout the server shows (ApiRemoting30/Inventory and IUSR for modern; WSUSAdmin and IUSR_<COMPUTERNAME> for kb920659).",
  evaluate({ layout }: RuleContext) {
    const f = findingsFor(this);
    const d = layout.detection;
    if (d.source.profile !== "spec" || !d.signals) return [];
    const against = layout.profile === "kb920659" ? d.signals.modern : d.signals.kb920659;
    const mine = layout.profile === "kb920659" ? d.signals.kb920659 : d.signals.modern;
    // Only an endpoint of the other layout, with none of this one's, is a contradiction.
    const endpoints = (xs: string[]) => xs.filter((x) => x.startsWith("/"));
    if (endpoints(against).length === 0 || endpoints(mine).length > 0) return [];
    const other = layout.profile === "kb920659" ? "modern" : "kb920659";
    return [
      f.warn({
        target: "profile",
        message: `the spec says profile ${layout.profile}, but the server shows the ${other} layout: ${against.join("; ")}. Nothing is repaired with a profile that does not fit`,
        repair: [manual(`check with --profile ${other} or --profile auto (the default)`)],
      }),
    ];
  },
};
