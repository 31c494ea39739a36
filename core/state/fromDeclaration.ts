import { rightsToMask } from "../acl/rights";
import { defaultSiteOf, type Layout } from "../model/layout";
import { pathKey } from "../model/paths";
import { SID } from "../model/principals";
import type { Ace, Binding, ObservedState, SiteState } from "./schema";

/**
 * The state a declaration produces if applied as written. The policy pack judges declarations by
 * running the same rules over it, so a spec that would break KB 920659 (a binding policy without
 * 127.0.0.1, SelfUpdate off the client port, the Windows-auth vdir set to SelfUpdate …) is caught
 * before anything reaches a server.
 */
export function stateFromLayout(layout: Layout, computerName: string | null = layout.spec.computerName ?? null): ObservedState {
  const spec = layout.spec;
  const defaultReq = defaultSiteOf(layout);
  const http = (ip: string, port: number): Binding => ({ protocol: "http", ip, port, host: "" });
  const sites: SiteState[] = layout.sites.map((req, i) => {
    let bindings: Binding[];
    if (req === defaultReq) {
      bindings =
        spec.bindings.mode === "addresses"
          ? spec.bindings.addresses.map((a) => http(a.replace(/^\[(.*)\]$/, "$1").toLowerCase(), req.httpPort))
          : [http("*", req.httpPort)];
    } else {
      bindings = [http("*", req.httpPort), ...(req.httpsPort ? [{ protocol: "https", ip: "*", port: req.httpsPort, host: "" }] : [])];
    }
    return {
      name: req.name,
      id: req.role === "default" ? 1 : i + 1,
      bindings,
      rootAuth: { anonymous: true, windows: false, requireSsl: false },
      vdirs: req.vdirs.map((v) => ({
        path: `/${v.name}`,
        kind: v.kind,
        physicalPath: v.physicalPath,
        auth: { anonymous: v.auth === "anonymous", windows: v.auth === "windows", requireSsl: v.requireSsl ?? false },
      })),
    };
  });

  const ace = (principalName: string, sid: string | null, rights: string): Ace => ({
    principal: principalName,
    sid,
    type: "allow",
    mask: rightsToMask(rights),
    rights,
    inherited: false,
    objectInherit: true,
    containerInherit: true,
    inheritOnly: false,
    noPropagate: false,
  });
  const folder = layout.selfUpdatePath;
  const anon = layout.anonymousIdentity;
  return {
    source: "declaration",
    computerName,
    sites,
    acls: { [pathKey(folder)]: { path: folder, aces: layout.selfUpdateAcl.map((r) => ace(r.principal, r.sid, r.rights)) } },
    groups: anon.implicitUsersMember ? null : { [SID.users]: { name: "BUILTIN\\Users", sid: SID.users, members: [{ name: anon.principal, sid: anon.sid }] } },
    files: { [pathKey(folder)]: { path: folder, files: [...layout.selfUpdateFiles] } },
    sharePoint:
      spec.sharePoint.expected === "yes"
        ? { installed: true, excludedPaths: [...spec.sharePoint.excludedPaths] }
        : spec.sharePoint.expected === "no"
          ? { installed: false, excludedPaths: [] }
          : null,
  };
}
