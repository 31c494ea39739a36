import { z } from "zod";
import { CATALOG, resolveLayout } from "./layout";
import { ComputerName, IpAddress, Port, RelativeFile, SiteName, UrlPathPrefix, VdirName, WindowsPath } from "./names";

const PORT_RANGE = "expected 1..65535";
/**
 * A TCP port: names.ts's Port, with one message for everything that is not a whole number 1..65535.
 * YAML's `.inf` / `.nan` (YAML 1.2 core schema) and a quoted "80" otherwise get zod's generic
 * "expected number, received Infinity" (issue 11: `expected 1..65535, got Infinity`).
 */
export const PortSetting = z
  .number({ error: () => PORT_RANGE })
  .int({ error: PORT_RANGE })
  .pipe(Port);

/** The anonymous WSUS vdirs of every profile (lower case): each catalog entry but the profile's Windows-auth vdir. */
let anonymousVdirs: ReadonlySet<string> | undefined;
function anonymousWsusVdirs(): ReadonlySet<string> {
  if (!anonymousVdirs) {
    // Read from the layout tables (core/model/layout.ts) rather than listed again here: the layout of a
    // default spec of each profile says which vdirs are anonymous and which one is the Windows-auth vdir.
    const admin = new Set(PROFILES.map((profile) => resolveLayout(SpecSchema.parse({ profile, configuration: 1 })).windowsAuthVdir.toLowerCase()));
    anonymousVdirs = new Set(PROFILES.flatMap((profile) => CATALOG[profile].map((c) => c.name.toLowerCase())).filter((n) => !admin.has(n)));
  }
  return anonymousVdirs;
}

/**
 * The Windows-auth vdir: the profile's admin vdir (WSUSAdmin / ApiRemoting30) or a custom console vdir,
 * never one of the vdirs WSUS clients, downstream servers and the self-update reach anonymously.
 * Naming ClientWebService there makes an apply turn the real admin vdir anonymous and ClientWebService
 * Windows-only, which breaks every client; Selfupdate plans contradictory steps (issue 11, item 4).
 * IIS compares URL segments case-insensitively, and so does this check.
 */
export const WindowsAuthVdirName = VdirName.superRefine((name, ctx) => {
  if (anonymousWsusVdirs().has(name.toLowerCase())) {
    ctx.addIssue({
      code: "custom",
      message: `${name} is a WSUS client endpoint that must stay anonymous; expected the profile's Windows-auth vdir (ApiRemoting30 / WSUSAdmin) or a custom console vdir`,
    });
  }
});

/**
 * The desired state of one WSUS server's IIS layout. Everything optional means "don't care" or
 * "the profile's default"; nothing here is the KB's compliance verdict (that is the rules' job), so a
 * declaration that breaks the KB can still be expressed and then judged by the policy pack. The one
 * exception is a spec that cannot be applied safely at all: an anonymous WSUS vdir as the Windows-auth
 * vdir (WindowsAuthVdirName) is refused here, before any plan exists.
 */
export const BindingPolicy = z.discriminatedUnion("mode", [
  // KB 920659: All Unassigned, or specific addresses of which one is 127.0.0.1.
  z.strictObject({ mode: z.literal("kb") }),
  z.strictObject({ mode: z.literal("allUnassigned") }),
  z.strictObject({ mode: z.literal("addresses"), addresses: z.array(IpAddress).min(1) }),
]);

export const SiteSpec = (name: string, httpPort: number) =>
  z.strictObject({ name: SiteName.default(name), httpPort: PortSetting.default(httpPort) });

export const Repairs = z.strictObject({
  /** Run Selfupdate.msi when SelfUpdate files are missing (otherwise a manual step). */
  reinstallSelfUpdate: z.boolean().default(false),
  /** `net localgroup Users <IUSR> /add` when the anonymous identity left Users (otherwise manual). */
  addIusrToUsers: z.boolean().default(false),
  /** Report SharePoint exclusions as automatic (there is no safe generic command; always manual today). */
  sharePointExclusions: z.boolean().default(false),
});

/**
 * The rule groups: `kb` (KB 920659's causes and the layout they imply) and `health` (the rest of the IIS
 * state a WSUS server needs: WsusPool settings, ASP.NET impersonation, dynamic compression, runtime state;
 * core/rules/health/). Default `kb` only.
 */
export const RULE_GROUPS = ["kb", "health"] as const;
export type RuleGroup = (typeof RULE_GROUPS)[number];

/**
 * Thresholds of the health group. Defaults are Microsoft's WsusPool recommendations (KB 4490414, "Disable
 * recycling and configure memory limits": queue length 2000, private and virtual memory limits 0, the
 * 29-hour periodic restart 0, idle time-out 0, ping off). A hardening baseline may want a queue length of
 * 1000 or less (DISA IIS STIG); lower `minQueueLength` then, knowing that WSUS scan storms get 503s.
 */
export const HealthSpec = z.strictObject({
  /** The pool to judge; `auto` (default): the pool(s) the WSUS applications run in, read from the server. */
  appPool: z.union([z.literal("auto"), z.string().min(1).max(64)]).default("auto"),
  /** queueLength must be at least this (1..65535, the IIS schema's range). */
  minQueueLength: z.number().int().min(10).max(65535).default(2000),
  /** recycling/periodicRestart/@privateMemory in KB: 0 = no limit (recommended), or at least this many KB. */
  privateMemoryKb: z.number().int().min(0).max(4294967295).default(0),
  /** recycling/periodicRestart/@memory (virtual) in KB: 0 = no limit, or at least this many KB. */
  virtualMemoryKb: z.number().int().min(0).max(4294967295).default(0),
  /** recycling/periodicRestart/@time in minutes: 0 = no periodic restart (recommended). */
  periodicRestartMinutes: z.number().int().min(0).max(432000).default(0),
  /** processModel/@idleTimeout in minutes: 0 = never shut down when idle (recommended). */
  idleTimeoutMinutes: z.number().int().min(0).max(43200).default(0),
  /** processModel/@pingingEnabled: false recommended. */
  pingingEnabled: z.boolean().default(false),
  /** Require the xpress dynamic-compression scheme (suscomp.dll). KB 4490414 calls it optional ("if you want to conserve bandwidth"). */
  compression: z.boolean().default(true),
});
export type HealthSpec = z.infer<typeof HealthSpec>;

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
    .union([z.literal("auto"), z.literal(1), z.literal(2)], {
      // the same words as --configuration; a quoted "2" (YAML `configuration: "2"`) is a string, not the number
      error: (i) => (i.input === "1" || i.input === "2" ? `expected 1, 2 or auto (the number ${i.input}, not the string "${i.input}")` : "expected 1, 2 or auto"),
    })
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
      httpPort: PortSetting.default(8530),
      httpsPort: PortSetting.default(8531),
    })
    .prefault({}),
  /** Port clients use (WUServer URL). Default: 80, or the admin site's port in modern Configuration 2. */
  clientPort: PortSetting.optional(),
  /** How the port-80 (Default Web Site) bindings must look. */
  bindings: BindingPolicy.prefault({ mode: "kb" }),
  /** The one Windows-auth vdir. Default: WSUSAdmin (kb920659) or ApiRemoting30 (modern); never an anonymous WSUS vdir. */
  windowsAuthVdir: WindowsAuthVdirName.optional(),
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
  /** Which rule groups judge: `[kb]` (default), `[kb, health]`, or `[health]`. */
  rules: z
    .array(z.enum(RULE_GROUPS, { error: () => "expected kb or health" }))
    .min(1)
    .transform((g) => [...new Set(g)])
    .default(["kb"]),
  /** Thresholds of the health group (used only when `rules` includes health). */
  health: HealthSpec.prefault({}),
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

/**
 * Turn zod issues into `field.path: message, got <value>` lines, reading the bad value from the input.
 * With the schema, an unknown key is named in the path, one line per key, with the fields that are
 * allowed there (`nope: unknown field (expected one of configuration, profile, …)`); without it, zod's
 * one line per object is kept.
 */
export function describeIssues(issues: readonly z.core.$ZodIssue[], input: unknown, schema?: z.core.$ZodType): { path: string; message: string }[] {
  return issues.flatMap((issue) => {
    const path = issue.path.map(String).join(".");
    if (issue.code === "unrecognized_keys") {
      const known = schema ? shapeAt(schema, issue.path as PropertyKey[], input) : undefined;
      if (!known) return [{ path, message: issue.message }];
      return issue.keys.map((key) => ({ path: path ? `${path}.${key}` : key, message: unknownField(key, Object.keys(known)) }));
    }
    const got = valueAt(input, issue.path as PropertyKey[]);
    return [{ path, message: got.found ? `${issue.message}, got ${shown(got.value)}` : issue.message }];
  });
}

/** A value as the user wrote it. JSON has no Infinity or NaN (JSON.stringify prints null), YAML does (`.inf`, `.nan`). */
export function shown(value: unknown): string {
  if (typeof value === "number" && !Number.isFinite(value)) return String(value);
  if (typeof value === "bigint") return String(value);
  return JSON.stringify(value) ?? String(value);
}

function unknownField(key: string, known: string[]): string {
  const near = known.find((k) => k.toLowerCase() === key.toLowerCase()) ?? known.find((k) => editDistance(k.toLowerCase(), key.toLowerCase()) <= 2);
  return near && key.length > 3 ? `unknown field (did you mean ${near}?)` : `unknown field (expected one of ${known.join(", ")})`;
}

/** Levenshtein distance, for "did you mean" on short field names. */
function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length];
}

type Shape = Record<string, z.core.$ZodType>;

/** The fields of the object schema at `path` (through defaults, optionals, pipes, records, arrays and unions). */
function shapeAt(schema: z.core.$ZodType, path: readonly PropertyKey[], value: unknown): Shape | undefined {
  const def = schema._zod.def as z.core.$ZodTypeDef & Record<string, unknown>;
  const child = (s: unknown, key: PropertyKey) => shapeAt(s as z.core.$ZodType, path.slice(1), isRecord(value) ? value[key as string] : undefined);
  switch (def.type) {
    case "optional":
    case "nullable":
    case "default":
    case "prefault":
    case "readonly":
    case "catch":
    case "nonoptional":
      return shapeAt(def.innerType as z.core.$ZodType, path, value);
    case "pipe":
      return shapeAt(def.in as z.core.$ZodType, path, value);
    case "object": {
      const shape = def.shape as Shape;
      if (path.length === 0) return shape;
      const field = shape[path[0] as string];
      return field ? child(field, path[0]) : undefined;
    }
    case "record":
      return path.length === 0 ? undefined : child(def.valueType, path[0]);
    case "array":
      return path.length === 0 ? undefined : child(def.element, path[0]);
    case "union": {
      // the option the value chose: the one whose literal fields (a discriminator such as `mode`) it matches
      for (const option of def.options as z.core.$ZodType[]) {
        const own = shapeAt(option, [], value);
        if (!own || !Object.entries(own).every(([k, f]) => literalMatches(f, isRecord(value) ? value[k] : undefined))) continue;
        const found = shapeAt(option, path, value);
        if (found) return found;
      }
      return undefined;
    }
    default:
      return undefined;
  }
}

function literalMatches(field: z.core.$ZodType, value: unknown): boolean {
  const def = field._zod.def as z.core.$ZodTypeDef & { values?: unknown[] };
  return def.type !== "literal" || (def.values ?? []).includes(value);
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

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
  if (!r.success) throw new SpecError(describeIssues(r.error.issues, input ?? {}, SpecSchema));
  return r.data;
}
