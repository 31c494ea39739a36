import { z } from "zod";

/**
 * `wsus-iis/evidence@1`: what we read from a server, as the server printed it, so it can be collected
 * by a few plain commands (scripts/collect-evidence.ps1) and checked offline. Everything but `schema`
 * and `applicationHostConfig` may be absent; rules needing an absent part report `unknown`.
 */
export const EVIDENCE_SCHEMA_ID = "wsus-iis/evidence@1";

export const Evidence = z.strictObject({
  schema: z.literal(EVIDENCE_SCHEMA_ID),
  computerName: z.string().min(1).max(63).optional(),
  collectedAt: z.string().optional(),
  /** Raw XML of %windir%\System32\inetsrv\config\applicationHost.config. */
  applicationHostConfig: z.string().min(1),
  /** Absolute directory path -> raw `icacls <path>` output. */
  acls: z.record(z.string(), z.string()).optional(),
  /** Group name -> raw `net localgroup <name>` output. */
  localGroups: z.record(z.string(), z.string()).optional(),
  /** Absolute directory -> relative file paths below it (backslashes). */
  files: z.record(z.string(), z.array(z.string())).optional(),
  sharePoint: z.strictObject({ installed: z.boolean(), excludedPaths: z.array(z.string()).default([]) }).optional(),
  /** Environment used to expand %VARS% in paths (SystemDrive, ProgramFiles, windir …). */
  environment: z.record(z.string(), z.string()).optional(),
});

export type Evidence = z.infer<typeof Evidence>;
