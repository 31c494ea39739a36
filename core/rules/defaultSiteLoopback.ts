import type { Binding } from "../state/schema";
import { clientSiteState } from "./query";
import type { RepairAction } from "../plan/actions";
import { commandLine, switchArg } from "../commands/quote";
import { APPCMD } from "../plan/render";
import { findingsFor, manual, manualCommand, type Rule, type RuleContext } from "./rule";
import { KB920659 } from "./sources";

const LOOPBACK = "127.0.0.1";
const isHttp = (b: Binding) => b.protocol === "http";
const bindingText = (b: Binding) => `${b.ip.includes(":") ? `[${b.ip}]` : b.ip}:${b.port}:${b.host}`;
const addBinding = (site: string, ip: string, port: number): RepairAction[] => [{ kind: "add-binding", site, protocol: "http", ip, port }];

/**
 * Whether a binding takes a request for `http://<address>:<port>/` carrying `Host: <host>`, the way
 * HTTP.sys routes it (Microsoft Learn, "UrlPrefix Strings"): an empty host field takes every host name
 * ("all hostnames are indicated by leaving the corresponding field blank", Get-IISSiteBinding docs);
 * a host name takes only requests that carry it; an IP address takes only requests arriving on it,
 * `*` every address. A request no binding takes gets "400 Bad Request - Invalid Hostname" from HTTP.sys.
 */
function takes(b: Binding, address: string | "any", host: string): boolean {
  const ipOk = b.ip === "*" || address === "any" || b.ip === address;
  const hostOk = b.host === "" || b.host === host.toLowerCase();
  return ipOk && hostOk;
}

/**
 * KB 920659 cause 5: "The default Web site is configured to use specified IP addresses and is missing an
 * entry for 127.0.0.1." Generalised to what clients need of the site that serves them SelfUpdate (the
 * Default Web Site in the KB's layouts, the WSUS site in modern Configuration 2): on the client port it
 * must answer `http://127.0.0.1/` (All Unassigned or 127.0.0.1, with a binding that takes that host) and
 * `http://<server name>/` (a binding without host name, or one with the server's name). IPv6 addresses
 * are compared normalised, without brackets (`[::1]` answers ::1, not 127.0.0.1). Plus the spec's policy.
 */
export const defaultSiteLoopback: Rule = {
  id: "default-site-loopback",
  group: "kb",
  helpUri: KB920659,
  cause: 5,
  severity: "error",
  title: "The client site answers on 127.0.0.1 and on the server's name",
  description:
    "The site serving SelfUpdate to clients (the Default Web Site in KB 920659) answers http://127.0.0.1:<client port>/ (All Unassigned or 127.0.0.1) and http://<server name>:<client port>/ (a binding without host name, or with the server's name); plus the binding policy of the spec.",
  evaluate({ layout, state }: RuleContext) {
    const f = findingsFor(this);
    const req = layout.clientSite;
    const site = clientSiteState(layout, state);
    if (!site) return []; // the layout rule reports a missing site
    const port = layout.clientPort;
    const http = site.bindings.filter(isHttp);
    const onPort = http.filter((b) => b.port === port);
    const findings = [];
    if (onPort.length > 0) {
      if (!onPort.some((b) => takes(b, LOOPBACK, LOOPBACK))) {
        const hostOnly = onPort.filter((b) => (b.ip === "*" || b.ip === LOOPBACK) && b.host !== "");
        findings.push(
          f.fail({
            target: req.name,
            message:
              hostOnly.length > 0 && hostOnly.length === onPort.filter((b) => b.ip === "*" || b.ip === LOOPBACK).length
                ? `${site.name} answers port ${port} only for host names (${onPort.map(bindingText).join(", ")}): a request for http://127.0.0.1:${port}/ gets 400 Invalid Hostname`
                : `${site.name} is bound on port ${port} only to specific addresses (${onPort.map(bindingText).join(", ")}) without 127.0.0.1`,
            repair: addBinding(site.name, LOOPBACK, port),
          }),
        );
      }
      const names = state.computerName ? [state.computerName.toLowerCase()] : [];
      const byName = onPort.some((b) => b.host === "" || names.some((n) => b.host === n || b.host.startsWith(`${n}.`)));
      if (!byName) {
        findings.push(
          names.length === 0
            ? f.unknown({ target: req.name, message: `every binding of ${site.name} on port ${port} needs a host name, and the server's name is not known`, remediation: "collect the evidence with its computerName" })
            : f.fail({
                target: req.name,
                message: `every binding of ${site.name} on port ${port} needs a host name (${onPort.map(bindingText).join(", ")}), none is the server's (${state.computerName}): clients asking for http://${state.computerName}:${port}/ get 400 Invalid Hostname`,
                // the name clients use is the WUServer policy's: only a person knows it
                repair: [
                  manualCommand(
                    "add a binding for the host name in the clients' WUServer URL, e.g. ",
                    () => commandLine(APPCMD, "set", "site", switchArg("site.name", site.name)),
                    ` /+bindings.[protocol='http',bindingInformation='*:${port}:<name>']`,
                  ),
                ],
              }),
        );
      }
    }
    const policy = layout.spec.bindings;
    if (policy.mode === "allUnassigned" && !onPort.some((b) => b.ip === "*")) {
      findings.push(
        f.fail({
          target: req.name,
          message: `binding policy: ${req.name} must listen on All Unassigned (*:${port}:)`,
          repair: addBinding(site.name, "*", port),
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
              message: `binding policy: ${req.name} has no http binding on ${ip}:${port}`,
              repair: addBinding(site.name, ip, port),
            }),
          );
        }
      }
    }
    return findings;
  },
};
