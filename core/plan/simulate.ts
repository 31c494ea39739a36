import { rightsToMask } from "../acl/rights";
import { pathKey } from "../model/paths";
import { principal } from "../model/principals";
import { effectiveAuthFrom, locationKey } from "../evidence/applicationHost";
import { parseIisTimeSpanMinutes } from "../evidence/health";
import type { LocationSettings, ObservedState, SiteState } from "../state/schema";
import type { RepairAction } from "./actions";

/**
 * The effect of one repair action on a state, as IIS/NTFS would apply it. The planner uses it to
 * see what a first round of repairs uncovers (a new site needs its vdirs) and to prove in the model
 * that its plan converges before anything is sent.
 */
export function simulate(state: ObservedState, a: RepairAction, files: readonly string[] = []): ObservedState {
  const s = structuredClone(state);
  const site = (name: string): SiteState | undefined => s.sites.find((x) => x.name.toLowerCase() === name.toLowerCase());
  switch (a.kind) {
    case "add-site":
      if (!site(a.site)) {
        s.sites.push({
          name: a.site,
          id: null,
          bindings: [{ protocol: "http", ip: "*", port: a.port, host: "" }],
          rootAuth: s.locations ? effectiveAuthFrom(s.locations, a.site, "/") : { anonymous: true, anonymousUser: null, windows: false, requireSsl: false },
          vdirs: [],
        });
      }
      break;
    case "add-binding":
      site(a.site)?.bindings.push({ protocol: a.protocol, ip: a.ip, port: a.port, host: "" });
      break;
    case "add-app":
    case "add-vdir": {
      const target = site(a.site);
      if (target && !target.vdirs.some((v) => v.path.toLowerCase() === `/${a.name.toLowerCase()}`)) {
        // a new element gets whatever its location (if one is left from before) and its parents set
        const auth = s.locations ? effectiveAuthFrom(s.locations, target.name, `/${a.name}`) : { ...target.rootAuth };
        target.vdirs.push({ path: `/${a.name}`, kind: a.kind === "add-app" ? "app" : "vdir", physicalPath: a.physicalPath, auth });
      }
      break;
    }
    case "set-vdir-path": {
      const v = site(a.site)?.vdirs.find((x) => x.path.toLowerCase() === a.path.toLowerCase());
      if (v) v.physicalPath = a.physicalPath;
      break;
    }
    case "set-auth":
    case "set-ssl": {
      const target = site(a.site);
      if (!target) break;
      if (s.locations) {
        // `appcmd set config "Site/Path" … /commit:apphost` writes <location path="Site/Path">; every
        // child without a setting of its own inherits it (IIS configuration inheritance).
        const key = locationKey(`${target.name}${a.path}`);
        const entry = { ...(s.locations[key] ?? {}) };
        if (a.kind === "set-ssl") entry.sslFlags = a.requireSsl ? "Ssl" : "None";
        else entry[a.auth] = a.enabled;
        s.locations[key] = entry;
        reresolve(target, s.locations);
        break;
      }
      const auth = a.path === "" ? target.rootAuth : target.vdirs.find((x) => x.path.toLowerCase() === a.path.toLowerCase())?.auth;
      if (!auth) break;
      if (a.kind === "set-ssl") auth.requireSsl = a.requireSsl;
      else auth[a.auth] = a.enabled;
      break;
    }
    case "grant-acl": {
      const key = pathKey(a.path);
      s.acls ??= {};
      s.acls[key] ??= { path: a.path, aces: [] };
      s.acls[key].aces.push({
        principal: a.principal,
        sid: a.sid ?? principal(a.principal).sid,
        type: "allow",
        mask: rightsToMask(a.rights),
        rights: a.rights,
        inherited: false,
        objectInherit: true,
        containerInherit: true,
        inheritOnly: false,
        noPropagate: false,
      });
      break;
    }
    case "add-group-member": {
      const key = a.groupSid ?? a.group.toLowerCase();
      s.groups ??= {};
      s.groups[key] ??= { name: a.group, sid: a.groupSid, members: [] };
      s.groups[key].members.push({ name: a.member, sid: principal(a.member).sid });
      break;
    }
    case "install-msi":
      for (const entry of Object.values(s.files ?? {})) entry.files = [...new Set([...entry.files, ...files])];
      break;
    case "set-apppool": {
      const pool = s.health?.appPools.find((p) => p.name.toLowerCase() === a.pool.toLowerCase());
      if (!pool) break;
      const minutes = (v: string) => parseIisTimeSpanMinutes(v) ?? Number.NaN;
      if (a.attribute === "queueLength") pool.queueLength = Number(a.value);
      else if (a.attribute === "recycling.periodicRestart.privateMemory") pool.privateMemoryKb = Number(a.value);
      else if (a.attribute === "recycling.periodicRestart.memory") pool.virtualMemoryKb = Number(a.value);
      else if (a.attribute === "recycling.periodicRestart.time") pool.periodicRestartMinutes = minutes(a.value);
      else if (a.attribute === "processModel.idleTimeout") pool.idleTimeoutMinutes = minutes(a.value);
      else pool.pingingEnabled = a.value === "true";
      break;
    }
    case "set-impersonation": {
      // set at the path, in applicationHost.config: the path and every child that inherits it (not one
      // that a deeper level sets on its own, which keeps its finding)
      const h = s.health;
      if (!h) break;
      const key = locationKey(`${a.site}/${a.path}`);
      const origin = h.impersonationSetAt[key];
      for (const k of Object.keys(h.impersonation)) {
        if ((k === key || k.startsWith(`${key}/`)) && h.impersonation[k] === true && h.impersonationSetAt[k] === origin) {
          h.impersonation[k] = false;
          delete h.impersonationSetAt[k];
        }
      }
      break;
    }
    case "set-compression": {
      const h = s.health;
      if (!h) break;
      const at = h.compressionSchemes.findIndex((c) => c.name.toLowerCase() === "xpress");
      const scheme = { name: "xpress", dll: a.dll, dynamic: true };
      if (at >= 0) h.compressionSchemes[at] = scheme;
      else h.compressionSchemes.push(scheme);
      break;
    }
    case "start-apppool": {
      const pool = s.health?.appPools.find((p) => p.name.toLowerCase() === a.pool.toLowerCase());
      if (pool) pool.state = "Started";
      break;
    }
    case "start-site":
      if (s.health?.siteStates) s.health.siteStates[a.site.toLowerCase()] = "Started";
      break;
    case "manual":
      break;
  }
  return s;
}

/** A site's root and every vdir below it, resolved again from the locations (after one of them changed). */
function reresolve(site: SiteState, locations: Readonly<Record<string, LocationSettings>>): void {
  site.rootAuth = effectiveAuthFrom(locations, site.name, "/");
  for (const v of site.vdirs) v.auth = effectiveAuthFrom(locations, site.name, v.path);
}
