import { concreteSpec, detect, type Detection } from "./detect";
import { joinWindowsPath } from "./paths";
import { SID } from "./principals";
import type { ConcreteSpec, Profile, Spec } from "./spec";

/**
 * The layout a spec asks for, resolved from the profile tables: which site holds which vdir, with
 * which physical path and authentication. Pure data; the rules, the planner, the lab and the
 * Pulumi components all read it, so there is one answer to "what should be there".
 */

export type VdirKind = "app" | "vdir";
export type AuthMode = "anonymous" | "windows";

export interface CatalogEntry {
  name: string;
  kind: VdirKind;
  /** Physical path relative to the install dir, or "content" / "selfupdate" for the special ones. */
  dir: string;
  /** WSUS 3.0 SP2+: Require SSL on this endpoint when SSL is configured. */
  sslEndpoint: boolean;
}

// KB 920659's list (IIS 6 / WSUS 2.0 era), in the KB's order. WSUSAdmin was the web console.
const KB920659: readonly CatalogEntry[] = [
  { name: "SelfUpdate", kind: "vdir", dir: "selfupdate", sslEndpoint: false },
  { name: "Content", kind: "vdir", dir: "content", sslEndpoint: false },
  { name: "ClientWebService", kind: "app", dir: "WebServices\\ClientWebService", sslEndpoint: false },
  { name: "SimpleAuthWebService", kind: "app", dir: "WebServices\\SimpleAuthWebService", sslEndpoint: false },
  { name: "WSUSAdmin", kind: "app", dir: "Administration", sslEndpoint: false },
  { name: "ReportingWebService", kind: "app", dir: "WebServices\\ReportingWebService", sslEndpoint: false },
  { name: "DssAuthWebService", kind: "app", dir: "WebServices\\DssAuthWebService", sslEndpoint: false },
  { name: "ServerSyncWebService", kind: "app", dir: "WebServices\\ServerSyncWebService", sslEndpoint: false },
];

// WSUS 3.0 SP2 Appendix C / WS2012+ (GROUND_TRUTH.md §1): ApiRemoting30 replaces WSUSAdmin, Inventory added,
// SSL split 5 yes / 4 no.
const MODERN: readonly CatalogEntry[] = [
  { name: "ApiRemoting30", kind: "app", dir: "WebServices\\ApiRemoting30", sslEndpoint: true },
  { name: "ClientWebService", kind: "app", dir: "WebServices\\ClientWebService", sslEndpoint: true },
  { name: "DssAuthWebService", kind: "app", dir: "WebServices\\DssAuthWebService", sslEndpoint: true },
  { name: "ServerSyncWebService", kind: "app", dir: "WebServices\\ServerSyncWebService", sslEndpoint: true },
  { name: "SimpleAuthWebService", kind: "app", dir: "WebServices\\SimpleAuthWebService", sslEndpoint: true },
  { name: "ReportingWebService", kind: "app", dir: "WebServices\\ReportingWebService", sslEndpoint: false },
  { name: "Inventory", kind: "app", dir: "Inventory", sslEndpoint: false },
  { name: "Content", kind: "vdir", dir: "content", sslEndpoint: false },
  { name: "Selfupdate", kind: "vdir", dir: "selfupdate", sslEndpoint: false },
];

export const CATALOG: Readonly<Record<Profile, readonly CatalogEntry[]>> = { kb920659: KB920659, modern: MODERN };

const WINDOWS_AUTH_DEFAULT: Readonly<Record<Profile, string>> = { kb920659: "WSUSAdmin", modern: "ApiRemoting30" };

/**
 * The vdirs the KB puts on the port-80 Default Web Site in Configuration 2. In the modern profile they
 * are there only when clients use port 80: a default WSUS 4+ install serves everything, SelfUpdate
 * included, on the WSUS site (8530/8531), and clients self-update on the WUServer URL's port
 * (GROUND_TRUTH.md: "the WUA uses the host:port of the WUServer policy URL"; client log fixture
 * windowsupdate-log-missing-selfupdate-vdir-0x80244019.txt fetches http://server:8530/selfupdate/wuident.cab).
 */
const CONFIG2_DEFAULT_SITE = ["selfupdate", "clientwebservice"];

export interface VdirRequirement {
  name: string;
  kind: VdirKind;
  physicalPath: string;
  auth: AuthMode;
  /** true/false when the spec sets `ssl`; null = don't care. */
  requireSsl: boolean | null;
  isSelfUpdate: boolean;
  /** Whether the physical path is checked (set explicitly, or SelfUpdate / Content with contentDir). */
  checkPhysicalPath: boolean;
}

export interface SiteRequirement {
  role: "default" | "admin";
  name: string;
  httpPort: number;
  httpsPort: number | null;
  vdirs: VdirRequirement[];
}

export interface AclRequirement {
  /** Display name used in messages and icacls commands. */
  principal: string;
  sid: string | null;
  rights: "F" | "RX";
}

export interface Layout {
  spec: ConcreteSpec;
  /** How the profile and configuration were chosen (the spec, the server, or the declaration default). */
  detection: Detection;
  profile: Profile;
  configuration: 1 | 2;
  clientPort: number;
  windowsAuthVdir: string;
  sites: SiteRequirement[];
  selfUpdatePath: string;
  /** Paths accepted as the SelfUpdate physical path (the configured one, plus the KB typo if allowed). */
  acceptedSelfUpdatePaths: string[];
  selfUpdateName: string;
  /** The site clients reach SelfUpdate on: the one holding it on the client port. */
  clientSite: SiteRequirement;
  /** The anonymous identity the profile expects (the server's own configuration, when read, says who it really is). */
  anonymousIdentity: { principal: string; sid: string | null };
  selfUpdateAcl: AclRequirement[];
  selfUpdateFiles: string[];
}

export function selfUpdatePathOf(spec: Spec): string {
  return spec.selfUpdatePath ?? joinWindowsPath(spec.installDir, "Selfupdate");
}

/** The KB's misspelt path, `…\Update Service\SelfUpdate`, next to the configured install dir. */
export function kbTypoSelfUpdatePath(spec: Spec): string {
  const parent = spec.installDir.replace(/\\[^\\]+$/, "");
  return joinWindowsPath(parent, "Update Service", "SelfUpdate");
}

/**
 * The layout of a spec. `auto` fields are resolved by `detection` when given (made from the server's
 * state, core/model/detect.ts), else as for a declaration (modern, Configuration 2).
 */
export function resolveLayout(input: Spec | ConcreteSpec, observedComputerName?: string | null, detection: Detection = detect(input as Spec, null)): Layout {
  const spec = concreteSpec(input as Spec, detection);
  const profile = spec.profile;
  const windowsAuthVdir = spec.windowsAuthVdir ?? WINDOWS_AUTH_DEFAULT[profile];
  const selfUpdatePath = selfUpdatePathOf(spec);
  const catalog = [...CATALOG[profile]];
  if (!catalog.some((c) => c.name.toLowerCase() === windowsAuthVdir.toLowerCase())) {
    // A custom Windows-auth vdir name (e.g. a renamed console) joins the layout as an application.
    catalog.push({ name: windowsAuthVdir, kind: "app", dir: `WebServices\\${windowsAuthVdir}`, sslEndpoint: false });
  }
  const overrides = new Map(Object.entries(spec.vdirs).map(([k, v]) => [k.toLowerCase(), v]));

  const requirement = (c: CatalogEntry): VdirRequirement => {
    const override = overrides.get(c.name.toLowerCase())?.physicalPath;
    const isSelfUpdate = c.dir === "selfupdate";
    const isContent = c.dir === "content";
    const physicalPath =
      override ??
      (isSelfUpdate
        ? selfUpdatePath
        : isContent
          ? joinWindowsPath(spec.contentDir ?? "C:\\WSUS", "WsusContent")
          : joinWindowsPath(spec.installDir, c.dir));
    return {
      name: c.name,
      kind: c.kind,
      physicalPath,
      auth: c.name.toLowerCase() === windowsAuthVdir.toLowerCase() ? "windows" : "anonymous",
      requireSsl: spec.ssl === undefined || profile !== "modern" ? null : spec.ssl && c.sslEndpoint,
      isSelfUpdate,
      checkPhysicalPath: !!override || isSelfUpdate || (isContent && !!spec.contentDir),
    };
  };
  const all = catalog.map(requirement);

  const clientPort =
    spec.clientPort ?? (profile === "modern" && spec.configuration === 2 ? spec.adminSite.httpPort : spec.defaultSite.httpPort);
  const defaultSite: SiteRequirement = { role: "default", name: spec.defaultSite.name, httpPort: spec.defaultSite.httpPort, httpsPort: null, vdirs: all };
  const adminSite: SiteRequirement = { role: "admin", name: spec.adminSite.name, httpPort: spec.adminSite.httpPort, httpsPort: spec.adminSite.httpsPort, vdirs: all };
  let sites: SiteRequirement[];
  if (spec.configuration === 1) sites = [defaultSite];
  else if (profile === "kb920659" || clientPort === spec.defaultSite.httpPort) {
    sites = [{ ...defaultSite, vdirs: all.filter((v) => CONFIG2_DEFAULT_SITE.includes(v.name.toLowerCase())) }, adminSite];
  } else sites = [adminSite];
  const clientSite = sites.find((s) => s.httpPort === clientPort) ?? sites[0];

  const computerName = spec.computerName ?? observedComputerName ?? null;
  const anonymousIdentity =
    profile === "kb920659"
      ? { principal: computerName ? `IUSR_${computerName.toUpperCase()}` : "IUSR_<COMPUTERNAME>", sid: null }
      : // IIS 7+: built-in IUSR (S-1-5-17), never localised (IIS docs, built-in accounts)
        { principal: "IUSR", sid: SID.iusr };

  return {
    spec,
    detection,
    profile,
    configuration: spec.configuration,
    clientSite,
    clientPort,
    windowsAuthVdir,
    sites,
    selfUpdatePath,
    acceptedSelfUpdatePaths: spec.acceptKbPathTypo ? [selfUpdatePath, kbTypoSelfUpdatePath(spec)] : [selfUpdatePath],
    selfUpdateName: all.find((v) => v.isSelfUpdate)!.name,
    anonymousIdentity,
    selfUpdateAcl: [
      { principal: "BUILTIN\\Administrators", sid: SID.administrators, rights: "F" },
      { principal: "NT AUTHORITY\\SYSTEM", sid: SID.system, rights: "F" },
      { principal: "BUILTIN\\Users", sid: SID.users, rights: "RX" },
    ],
    selfUpdateFiles: spec.selfUpdateFiles,
  };
}

/** The Default Web Site, when the layout uses it (modern Configuration 2 on 8530 does not). */
export function defaultSiteOf(layout: Layout): SiteRequirement | undefined {
  return layout.sites.find((s) => s.role === "default");
}
