import type { Profile, RuleGroup, SpecInput } from "../core/model/spec";

/**
 * Spec inputs for the KB's two layouts, for either rule profile. Pass the result (optionally merged
 * with overrides through `withOverrides`) as `WsusIisLayout`'s `spec`.
 *
 * - Configuration 1: every WSUS virtual directory on the Default Web Site (http *:80).
 * - Configuration 2: everything on the WSUS Administration site (http 8530, https 8531). In the modern
 *   profile clients use 8530 and the Default Web Site holds nothing of WSUS (a default WSUS 4+ install);
 *   in kb920659 SelfUpdate and ClientWebService are also on the Default Web Site and clients use port 80.
 *
 * The profile defaults to modern, the layout of every supported Windows Server. `auto` is accepted: the
 * declaration (policy pack, child resources) then means modern, and a server's own layout is read before
 * anything is repaired on it (README, "Profiles").
 */
export interface PresetOptions {
  /** modern (WSUS 3.0 SP2 / Windows Server 2012+, the default), kb920659 (the KB verbatim) or auto. */
  profile?: Profile | "auto";
  /**
   * The rule groups that judge and converge the server: `["kb"]` (the spec's default when left out),
   * `["kb", "health"]` (also WsusPool settings, ASP.NET impersonation, dynamic compression, and the WSUS
   * sites and pool started) or `["health"]`. Left out, the preset has no `rules` field.
   */
  rules?: RuleGroup[];
}

const rulesOf = (rules: RuleGroup[] | undefined) => (rules === undefined ? {} : { rules: [...rules] });

function configuration1({ profile = "modern", rules }: PresetOptions = {}): SpecInput {
  return {
    configuration: 1,
    profile,
    defaultSite: { name: "Default Web Site", httpPort: 80 },
    bindings: { mode: "kb" },
    ...rulesOf(rules),
  };
}

function configuration2({ profile = "modern", rules }: PresetOptions = {}): SpecInput {
  return {
    configuration: 2,
    profile,
    defaultSite: { name: "Default Web Site", httpPort: 80 },
    adminSite: { name: "WSUS Administration", httpPort: 8530, httpsPort: 8531 },
    bindings: { mode: "kb" },
    ...rulesOf(rules),
  };
}

export const presets = { configuration1, configuration2 } as const;

const NESTED = new Set(["defaultSite", "adminSite", "sharePoint", "repairs", "vdirs", "health"]);
const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * A spec with overrides applied: top-level fields replace (`rules` too: a list), the nested objects
 * (defaultSite, adminSite, sharePoint, repairs, vdirs, health) merge one level deep, so
 * `{ adminSite: { httpPort: 8531 } }` keeps the name.
 */
export function withOverrides(base: SpecInput, overrides: Record<string, unknown> = {}): SpecInput {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(overrides)) {
    const cur = out[k];
    out[k] = NESTED.has(k) && isPlainObject(cur) && isPlainObject(v) ? { ...cur, ...v } : v;
  }
  return out as SpecInput;
}
