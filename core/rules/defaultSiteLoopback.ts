import { defaultSiteOf } from "../model/layout";
import type { Binding } from "../state/schema";
import { defaultSiteState } from "./query";
import type { RepairAction } from "../plan/actions";
import { findingsFor, manual, type Rule, type RuleContext } from "./rule";

const LOOPBACK = "127.0.0.1";
const isHttp = (b: Binding) => b.protocol === "http";
const bindingText = (b: Binding) => `${b.ip}:${b.port}:${b.host}`;
const addBinding = (site: string, ip: string, port: number): RepairAction[] => [{ kind: "add-binding", site, protocol: "http", ip, port }];

/**
 * KB 920659 cause 5: the SelfUpdate tree is reached through the loopback address, so the Default Web
 * Site must listen on All Unassigned or include 127.0.0.1. The spec's binding policy can ask for more.
 */
export const defaultSiteLoopback: Rule = {
  id: "default-site-loopback",
  cause: 5,
  severity: "error",
  title: "Default Web Site answers on 127.0.0.1",
  description: "The Default Web Site is bound to All Unassigned (*) or, when bound to specific IP addresses, also to 127.0.0.1; plus the binding policy of the spec.",
  evaluate({ layout, state }: RuleContext) {
    const f = findingsFor(this);
    const req = defaultSiteOf(layout);
    const site = defaultSiteState(layout, state);
    if (!site) return []; // the layout rule reports a missing site
    const http = site.bindings.filter(isHttp);
    const findings = [];
    // Judged per port: a `*` binding on 8080 does not make port 80 answer on 127.0.0.1.
    for (const port of [...new Set(http.map((b) => b.port))]) {
      const onThisPort = http.filter((b) => b.port === port);
      if (onThisPort.some((b) => b.ip === "*" || b.ip === LOOPBACK)) continue;
      findings.push(
        f.fail({
          target: req.name,
          message: `${req.name} is bound on port ${port} only to specific addresses (${onThisPort.map(bindingText).join(", ")}) without 127.0.0.1`,
          repair: addBinding(site.name, LOOPBACK, port),
        }),
      );
    }
    const policy = layout.spec.bindings;
    const onPort = http.filter((b) => b.port === req.httpPort);
    if (policy.mode === "allUnassigned" && !onPort.some((b) => b.ip === "*")) {
      findings.push(
        f.fail({
          target: req.name,
          message: `binding policy: ${req.name} must listen on All Unassigned (*:${req.httpPort}:)`,
          repair: addBinding(site.name, "*", req.httpPort),
        }),
      );
    }
    if (policy.mode === "addresses") {
      const wanted = policy.addresses.map((a) => a.replace(/^\[(.*)\]$/, "$1").toLowerCase());
      if (!wanted.includes(LOOPBACK) && !onPort.some((b) => b.ip === "*")) {
        findings.push(
          f.fail({
            target: req.name,
            message: `binding policy lists ${wanted.join(", ")} without 127.0.0.1: the SelfUpdate tree would not answer locally`,
            repair: [manual("add 127.0.0.1 to the spec's bindings.addresses")],
          }),
        );
      }
      for (const ip of wanted) {
        if (!onPort.some((b) => b.ip === ip || b.ip === "*")) {
          findings.push(
            f.fail({
              target: req.name,
              message: `binding policy: ${req.name} has no http binding on ${ip}:${req.httpPort}`,
              repair: addBinding(site.name, ip, req.httpPort),
            }),
          );
        }
      }
    }
    return findings;
  },
};
