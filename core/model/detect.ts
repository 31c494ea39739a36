import type { ObservedState, SiteState } from "../state/schema";
import type { ConcreteSpec, Configuration, Profile, Spec } from "./spec";

/**
 * `profile: auto` and `configuration: auto`: which layout a server has, read from its own
 * applicationHost.config, with the reasons shown to the user.
 *
 * Profile signals (../shared/notes/GROUND_TRUTH.md):
 * - ApiRemoting30 or Inventory: WSUS 3.0 SP2 and later (Appendix C, Dd939903; KB 2737219 lists both);
 * - WSUSAdmin: the WSUS 2.0 web console of KB 920659 (Cc708545), gone since WSUS 3.0;
 * - the anonymous user: built-in `IUSR` is IIS 7+; `IUSR_<COMPUTERNAME>` is the IIS 6 account, left on
 *   IIS 7+ only by FTP 6 compatibility (IIS docs, "Understanding Built-In User and Group Accounts").
 * With no sign either way the server is taken as modern: every supported Windows Server is.
 *
 * Configuration: 2 when a site other than the Default Web Site (id 1) holds WSUS endpoints (the WSUS
 * site, whatever its localised name); else 1.
 *
 * Without a server (a declaration), `auto` means a default WSUS 4+ install: modern, Configuration 2.
 */

export interface Detection {
  profile: Profile;
  configuration: Configuration;
  /** Where each value came from: the spec, the server, or the default for a declaration. */
  source: { profile: "spec" | "server" | "default"; configuration: "spec" | "server" | "default" };
  /** One sentence per decision, for every report format. */
  reasons: string[];
  /** The server's own signs, when it was read (spec mismatch warnings use them). */
  signals: { modern: string[]; kb920659: string[] } | null;
}

const MODERN_ENDPOINTS = ["apiremoting30", "inventory"];
const KB_ENDPOINTS = ["wsusadmin"];
/** Endpoints both layouts have: a site holding two or more of them is a WSUS site. */
const WSUS_ENDPOINTS = ["selfupdate", "content", "clientwebservice", "simpleauthwebservice", "reportingwebservice", "dssauthwebservice", "serversyncwebservice", "apiremoting30", "inventory", "wsusadmin"];

const top = (v: { path: string }) => v.path.replace(/^\/+/, "").toLowerCase();

/** The profile signals of a server. */
export function profileSignals(state: ObservedState): { modern: string[]; kb920659: string[] } {
  const modern: string[] = [];
  const kb: string[] = [];
  for (const site of state.sites) {
    for (const v of site.vdirs) {
      const name = top(v);
      if (MODERN_ENDPOINTS.includes(name)) modern.push(`/${v.path.replace(/^\/+/, "")} on ${site.name} (WSUS 3.0 SP2 and later)`);
      if (KB_ENDPOINTS.includes(name)) kb.push(`/${v.path.replace(/^\/+/, "")} on ${site.name} (the WSUS 2.0 console)`);
    }
  }
  const users = new Set(state.sites.flatMap((s) => [s.rootAuth.anonymousUser, ...s.vdirs.map((v) => v.auth.anonymousUser)]).filter((u): u is string => u !== null && u !== ""));
  for (const u of users) {
    const bare = u.slice(u.lastIndexOf("\\") + 1).toLowerCase();
    if (bare === "iusr") modern.push("the anonymous user is the built-in IUSR (IIS 7 and later)");
    else if (bare.startsWith("iusr_")) kb.push(`the anonymous user is ${u} (the IIS 6 account)`);
  }
  return { modern: [...new Set(modern)], kb920659: [...new Set(kb)] };
}

/** Sites other than the Default Web Site that hold WSUS endpoints. */
export function wsusSites(state: ObservedState): SiteState[] {
  return state.sites.filter((s) => s.id !== 1 && s.vdirs.filter((v) => WSUS_ENDPOINTS.includes(top(v))).length >= 2);
}

export function detect(spec: Spec, state: ObservedState | null): Detection {
  const reasons: string[] = [];
  const signals = state ? profileSignals(state) : null;
  let profile: Profile;
  let profileSource: Detection["source"]["profile"];
  if (spec.profile !== "auto") {
    profile = spec.profile;
    profileSource = "spec";
    reasons.push(`profile ${profile}: set in the spec`);
  } else if (!signals) {
    profile = "modern";
    profileSource = "default";
    reasons.push("profile modern: a declaration without a server means the layout every supported Windows Server has (WSUS 3.0 SP2 and later)");
  } else {
    profileSource = "server";
    // Endpoints decide; the anonymous account's name only when no endpoint tells.
    const endpoint = (xs: string[]) => xs.filter((x) => x.startsWith("/"));
    if (endpoint(signals.modern).length > 0) {
      profile = "modern";
      reasons.push(`profile modern detected: ${signals.modern.join("; ")}`);
    } else if (signals.kb920659.length > 0) {
      profile = "kb920659";
      reasons.push(`profile kb920659 detected: ${signals.kb920659.join("; ")}`);
    } else if (signals.modern.length > 0) {
      profile = "modern";
      reasons.push(`profile modern detected: ${signals.modern.join("; ")}`);
    } else {
      profile = "modern";
      reasons.push("profile modern: no sign of WSUS 2.0 (no WSUSAdmin, no IUSR_<COMPUTERNAME>), the layout of every supported Windows Server");
    }
  }

  let configuration: Configuration;
  let configurationSource: Detection["source"]["configuration"];
  if (spec.configuration !== "auto") {
    configuration = spec.configuration;
    configurationSource = "spec";
    reasons.push(`Configuration ${configuration}: set in the spec`);
  } else if (!state) {
    configuration = 2;
    configurationSource = "default";
    reasons.push("Configuration 2: a declaration without a server means a default install (the WSUS site on 8530/8531)");
  } else {
    configurationSource = "server";
    const named = state.sites.find((s) => s.name.toLowerCase() === spec.adminSite.name.toLowerCase());
    const found = named ? [named] : wsusSites(state);
    if (found.length > 0) {
      configuration = 2;
      reasons.push(`Configuration 2 detected: WSUS endpoints on the site ${found[0].name} (id ${found[0].id ?? "?"})`);
    } else {
      configuration = 1;
      reasons.push("Configuration 1 detected: no WSUS site besides the Default Web Site");
    }
  }
  return { profile, configuration, source: { profile: profileSource, configuration: configurationSource }, reasons, signals };
}

/** The spec with auto resolved (by the server when there is one). */
export function concreteSpec(spec: Spec, detection: Detection): ConcreteSpec {
  return { ...spec, profile: detection.profile, configuration: detection.configuration };
}
