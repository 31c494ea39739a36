import { rightsToMask } from "../acl/rights";
import type { Layout } from "../model/layout";
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
  // the binding policy shapes the site clients reach SelfUpdate on (the Default Web Site in the KB)
  const clientReq = layout.clientSite;
  const http = (ip: string, port: number): Binding => ({ protocol: "http", ip, port, host: "" });
  const others = layout.sites.filter((s) => s.role !== "default");
  const sites: SiteState[] = layout.sites.map((req) => {
    let bindings: Binding[];
    if (req === clientReq) {
      bindings =
        spec.bindings.mode === "addresses"
          ? spec.bindings.addresses.map((a) => http(a.replace(/^\[(.*)\]$/, "$1").toLowerCase(), req.httpPort))
          : [http("*", req.httpPort)];
    } else {
      bindings = [http("*", req.httpPort)];
    }
    if (req.httpsPort) bindings.push({ protocol: "https", ip: "*", port: req.httpsPort, host: "" });
    return {
      name: req.name,
      // id 1 is the Default Web Site on every IIS; the WSUS site gets the next free one (2 or later)
      id: req.role === "default" ? 1 : 2 + others.indexOf(req),
      bindings,
      // the account IIS runs anonymous requests as: the profile's (IUSR_<COMPUTERNAME> in the KB's world)
      rootAuth: { anonymous: true, anonymousUser: layout.anonymousIdentity.principal, windows: false, requireSsl: false },
      vdirs: req.vdirs.map((v) => ({
        path: `/${v.name}`,
        kind: v.kind,
        physicalPath: v.physicalPath,
        auth: { anonymous: v.auth === "anonymous", anonymousUser: null, windows: v.auth === "windows", requireSsl: v.requireSsl ?? false },
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
    // Users as a fresh install has it (Microsoft: "the only member is the Authenticated Users group";
    // Interactive since 2008 R2), plus the KB's IUSR_<COMPUTERNAME> in the kb920659 profile.
    groups: {
      [SID.users]: {
        name: "BUILTIN\\Users",
        sid: SID.users,
        members: [
          { name: "NT AUTHORITY\\Authenticated Users", sid: SID.authenticatedUsers },
          { name: "NT AUTHORITY\\INTERACTIVE", sid: "S-1-5-4" },
          ...(anon.sid ? [] : [{ name: anon.principal, sid: null }]),
        ],
      },
    },
    files: { [pathKey(folder)]: { path: folder, files: [...layout.selfUpdateFiles] } },
    sharePoint:
      spec.sharePoint.expected === "yes"
        ? { installed: true, excludedPaths: [...spec.sharePoint.excludedPaths] }
        : spec.sharePoint.expected === "no"
          ? { installed: false, excludedPaths: [] }
          : null,
  };
}
