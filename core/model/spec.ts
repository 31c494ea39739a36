import { z } from "zod";
import { ComputerName, IpAddress, Port, RelativeFile, SiteName, UrlPathPrefix, VdirName, WindowsPath } from "./names";

/**
 * The desired state of one WSUS server's IIS layout. Everything optional means "don't care" or
 * "the profile's default"; nothing here is the KB's compliance verdict (that is the rules' job), so a
 * declaration that breaks the KB can still be expressed and then judged by the policy pack.
 */
export const BindingPolicy = z.discriminatedUnion("mode", [
  // KB 920659: All Unassigned, or specific addresses of which one is 127.0.0.1.
  z.strictObject({ mode: z.literal("kb") }),
  z.strictObject({ mode: z.literal("allUnassigned") }),
  z.strictObject({ mode: z.literal("addresses"), addresses: z.array(IpAddress).min(1) }),
]);

export const SiteSpec = (name: string, httpPort: number) =>
  z.strictObject({ name: SiteName.default(name), httpPort: Port.default(httpPort) });

export const Repairs = z.strictObject({
  /** Run Selfupdate.msi when SelfUpdate files are missing (otherwise a manual step). */
  reinstallSelfUpdate: z.boolean().default(false),
  /** `net localgroup Users <IUSR> /add` when the anonymous identity left Users (otherwise manual). */
  addIusrToUsers: z.boolean().default(false),
  /** Report SharePoint exclusions as automatic (there is no safe generic command; always manual today). */
  sharePointExclusions: z.boolean().default(false),
});

export const VdirOverride = z.strictObject({
  physicalPath: WindowsPath.optional(),
});

/** The profiles: KB 920659 verbatim (WSUS 2.0 / IIS 6 era), or WSUS 3.0 SP2+ on IIS 7+ (Server 2012+). */
export const PROFILES = ["kb920659", "modern"] as const;

export const SpecSchema = z.strictObject({
  /**
   * 1: everything on the Default Web Site; 2: the WSUS site (8530/8531). `auto` (default): read from the
   * server (core/model/detect.ts); a declaration without a server means 2, a default WSUS 4+ install.
   */
  configuration: z
    .union([z.literal("auto"), z.literal(1), z.literal(2)], { error: (i) => (i.input === "1" || i.input === "2" ? `expected 1, 2 or "auto" (a number, not the string ${JSON.stringify(i.input)})` : `expected 1, 2 or "auto"`) })
    .default("auto"),
  /** `auto` (default): detected from the server; a declaration without a server means `modern`. */
  profile: z.enum(["auto", ...PROFILES]).default("auto"),
  /** NetBIOS name; builds IUSR_<COMPUTERNAME> in the kb920659 profile. Taken from evidence when absent. */
  computerName: ComputerName.optional(),
  installDir: WindowsPath.default("C:\\Program Files\\Update Services"),
  /** Default <installDir>\Selfupdate. The KB's "Update Service\SelfUpdate" is a typo; see acceptKbPathTypo. */
  selfUpdatePath: WindowsPath.optional(),
  /** Also accept the KB's literal (misspelt) "…\Update Service\SelfUpdate" path as compliant. */
  acceptKbPathTypo: z.boolean().default(false),
  /** WSUS content root (registry ContentDir); when set, /Content must point to <contentDir>\WsusContent. */
  contentDir: WindowsPath.optional(),
  defaultSite: SiteSpec("Default Web Site", 80).prefault({}),
  adminSite: z
    .strictObject({
      name: SiteName.default("WSUS Administration"),
      httpPort: Port.default(8530),
      httpsPort: Port.default(8531),
    })
    .prefault({}),
  /** Port clients use (WUServer URL). Default: 80, or the admin site's port in modern Configuration 2. */
  clientPort: Port.optional(),
  /** How the port-80 (Default Web Site) bindings must look. */
  bindings: BindingPolicy.prefault({ mode: "kb" }),
  /** The one Windows-auth vdir. Default: WSUSAdmin (kb920659) or ApiRemoting30 (modern). */
  windowsAuthVdir: VdirName.optional(),
  /** modern profile: true = the five SSL endpoints require SSL and the four others do not; unset = don't care. */
  ssl: z.boolean().optional(),
  sharePoint: z
    .strictObject({
      /** auto: judge by evidence; yes: SharePoint is expected (exclusions must exist); no: not expected. */
      expected: z.enum(["auto", "yes", "no"]).default("auto"),
      excludedPaths: z.array(UrlPathPrefix).min(1).default(["/selfupdate", "/clientwebservice", "/iuident.cab"]),
    })
    .prefault({}),
  /** Files that must exist below the SelfUpdate folder (relative paths). */
  selfUpdateFiles: z.array(RelativeFile).min(1).default(["wuident.cab", "iuident.cab"]),
  /** Per-vdir physical path overrides (only what you set is checked). */
  vdirs: z.record(VdirName, VdirOverride).default({}),
  repairs: Repairs.prefault({}),
});

export type SpecInput = z.input<typeof SpecSchema>;
export type Spec = z.infer<typeof SpecSchema>;
/** A concrete profile (never "auto"). */
export type Profile = (typeof PROFILES)[number];
export type ProfileSetting = Spec["profile"];
export type Configuration = 1 | 2;
export type ConfigurationSetting = Spec["configuration"];
/** A spec whose profile and configuration are concrete: what a layout is resolved from. */
export type ConcreteSpec = Omit<Spec, "profile" | "configuration"> & { profile: Profile; configuration: Configuration };

/** A validation error whose message names each bad field and value (`adminSite.httpPort: expected 1..65535, got 70000`). */
export class SpecError extends Error {
  constructor(
    readonly issues: { path: string; message: string }[],
    what = "spec",
  ) {
    super(`invalid ${what}:\n` + issues.map((i) => `  ${i.path || "(root)"}: ${i.message}`).join("\n"));
    this.name = "SpecError";
  }
}

/** Turn zod issues into `field.path: message, got <value>` lines, reading the bad value from the input. */
export function describeIssues(issues: readonly z.core.$ZodIssue[], input: unknown): { path: string; message: string }[] {
  return issues.map((issue) => {
    const path = issue.path.map(String).join(".");
    const got = valueAt(input, issue.path as PropertyKey[]);
    const shown = got.found ? `, got ${JSON.stringify(got.value) ?? String(got.value)}` : "";
    const message = issue.code === "unrecognized_keys" ? `${issue.message}` : `${issue.message}${shown}`;
    return { path, message };
  });
}

function valueAt(input: unknown, path: PropertyKey[]): { found: boolean; value?: unknown } {
  let cur: unknown = input;
  for (const key of path) {
    if (cur === null || typeof cur !== "object" || !(key in (cur as object))) return { found: false };
    cur = (cur as Record<PropertyKey, unknown>)[key];
  }
  return { found: true, value: cur };
}

/** Parse a spec, throwing SpecError with field-named messages. */
export function parseSpec(input: unknown): Spec {
  const r = SpecSchema.safeParse(input ?? {});
  if (!r.success) throw new SpecError(describeIssues(r.error.issues, input ?? {}));
  return r.data;
}
