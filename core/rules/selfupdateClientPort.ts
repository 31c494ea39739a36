import { httpPorts, listensOn, selfUpdateHolders, siteFor, vdirTarget } from "./query";
import { addVdirActions, selfUpdateRequirement } from "./repairs";
import { findingsFor, type Rule, type RuleContext } from "./rule";
import { KB920659 } from "./sources";

/** KB 920659 cause 3: SelfUpdate exists, but on no site that answers on the port clients use (80 in the KB). */
export const selfUpdateClientPort: Rule = {
  id: "selfupdate-client-port",
  group: "kb",
  helpUri: KB920659,
  cause: 3,
  severity: "error",
  title: "SelfUpdate is on a site bound to the client port",
  description: "The SelfUpdate virtual directory is under a site with an http binding on the port clients use (port 80 in KB 920659; the WUServer port in the modern profile).",
  evaluate({ layout, state }: RuleContext) {
    const f = findingsFor(this);
    const holders = selfUpdateHolders(layout, state);
    if (holders.length === 0 || holders.some((h) => listensOn(h.site, layout.clientPort))) return [];
    const portSite = layout.clientSite;
    const observedPortSite = siteFor(layout, state, portSite);
    const held = holders.map((h) => `${h.site.name} (http ports ${httpPorts(h.site).join(", ") || "none"})`).join(", ");
    const onPortSite = observedPortSite && holders.some((h) => h.site === observedPortSite);
    return [
      f.fail({
        target: vdirTarget(portSite.name, layout.selfUpdateName),
        message: `${layout.selfUpdateName} is only on ${held}; no site holding it is bound to port ${layout.clientPort}`,
        repair: onPortSite
          ? [{ kind: "add-binding", site: observedPortSite.name, protocol: "http", ip: "*", port: layout.clientPort }]
          : addVdirActions(observedPortSite?.name ?? portSite.name, selfUpdateRequirement(layout)),
      }),
    ];
  },
};
