import { z } from "zod";
import { PortSetting, WindowsAuthVdirName } from "../model/spec";

/** What one HTTP request gave back; the verdicts judge only this (core/probe/verdict.ts). */
export const ProbeStatus = z.union([z.number().int().min(100).max(999), z.enum(["refused", "timeout", "error"])]);

export const Exchange = z.object({
  method: z.string(),
  url: z.string(),
  status: ProbeStatus,
  /** Transport error detail for "error" / "timeout" / "refused" (e.g. "ECONNRESET"), else null. */
  error: z.string().nullable(),
  /** Every WWW-Authenticate header value, as sent (e.g. ["Negotiate", "NTLM"]). */
  wwwAuthenticate: z.array(z.string()),
  contentType: z.string().nullable(),
  location: z.string().nullable(),
  /** IIS substatus from a detailed error page ("401.2", "404.0" …), when the body shows one. */
  substatus: z.string().nullable(),
  /** HRESULT from a detailed error page ("0x80070003"), when the body shows one. */
  hresult: z.string().nullable(),
  /** The response carried SharePoint's MicrosoftSharePointTeamServices header. */
  sharePoint: z.boolean(),
  /** First bytes of the body as hex (up to 8 bytes; "" for none). */
  bodyMagic: z.string(),
  /**
   * HTTP.sys itself refused to route the request: 400 with its "Bad Request - Invalid Hostname" page
   * (no site binding takes this host name / address; learn.microsoft.com/windows/win32/http/urlprefix-strings,
   * captured body in postmanlabs/postman-app-support#14137). See docs/research/windows-powershell-openssh.md §12.
   */
  invalidHostname: z.boolean().default(false),
  ms: z.number(),
});
export type Exchange = z.infer<typeof Exchange>;

export const CheckLevel = z.enum(["pass", "warn", "fail"]);

export const ProbeCheck = z.object({
  /** Stable id: selfupdate-wuident, selfupdate-iuident, site-root-anonymous, clientwebservice-version, windows-auth-vdir. */
  name: z.string(),
  url: z.string(),
  /** HTTP status code, or "refused" / "timeout" / "error". */
  status: ProbeStatus,
  /** false only for level "fail"; a warning is ok. */
  ok: z.boolean(),
  level: CheckLevel,
  /** KB 920659 causes the result points to, most likely first; [] for layout problems outside the KB's list. */
  causes: z.array(z.number().int().min(1).max(8)),
  /**
   * Rule ids of the `health` group (issue 13) the answer points to: `wsuspool-started` (503 from HTTP.sys:
   * the pool is stopped or recycling), `wsus-site-started` (connection refused: the site may be stopped),
   * `wsus-impersonation-off` (500.24). [] for everything else.
   */
  rules: z.array(z.string()).default([]),
  message: z.string(),
});
export type ProbeCheck = z.infer<typeof ProbeCheck>;
export type CheckLevel = z.infer<typeof CheckLevel>;

export const ProbeProfile = z.enum(["kb920659", "modern"]);
export type ProbeProfile = z.infer<typeof ProbeProfile>;
/** What --profile accepts: a concrete profile, or auto (ask for both Windows-auth vdirs, keep the one that exists). */
export const ProbeProfileOption = z.enum(["auto", "kb920659", "modern"]);
export type ProbeProfileOption = z.infer<typeof ProbeProfileOption>;

export const ProbeResult = z.object({
  /** No check failed (warnings allowed). */
  compliant: z.boolean(),
  /** The URL as given. */
  url: z.string(),
  profile: ProbeProfile,
  /** How the profile was chosen: "given" (--profile), or why auto picked it. */
  profileReason: z.string(),
  /** Base URL of the client-facing checks (self-update, ClientWebService, site root). */
  clientBase: z.string(),
  /** Base URL of the Windows-auth vdir check (the URL's own port). */
  adminBase: z.string(),
  checks: z.array(ProbeCheck),
  /** Union of the failed checks' causes, ascending. */
  causes: z.array(z.number().int().min(1).max(8)),
  /** Union of the failed checks' health rule ids, in the order the checks name them. */
  rules: z.array(z.string()).default([]),
  /** Every request made, including the diagnostic ones the verdicts consult. */
  exchanges: z.array(Exchange),
});
export type ProbeResult = z.infer<typeof ProbeResult>;

export const ProbeOptions = z.strictObject({
  /** Port of the client checks. Default: the URL's port, else 80. Never 0 (no server listens there). */
  clientPort: PortSetting.optional(),
  profile: ProbeProfileOption.default("auto"),
  /**
   * Windows-auth-only vdir to check. Default: WSUSAdmin (kb920659), ApiRemoting30 (modern), whichever
   * exists (auto). As in a spec, never one of the anonymous WSUS vdirs (core/model/spec.ts).
   */
  windowsAuthVdir: WindowsAuthVdirName.optional(),
  /** Per-request timeout in ms. */
  timeoutMs: z
    .number()
    .int()
    .min(1, { message: "expected 1..600000 ms" })
    .max(600_000, { message: "expected 1..600000 ms" })
    .default(5000),
});
export type ProbeOptionsInput = z.input<typeof ProbeOptions>;
export type ProbeOptions = z.infer<typeof ProbeOptions>;
