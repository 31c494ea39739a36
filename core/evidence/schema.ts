import { z } from "zod";

/**
 * Evidence: what we read from a server, so it can be checked offline (e.g. in CI). Two versions are
 * read; the agent and scripts/collect-evidence.ps1 write @2.
 *
 * - `wsus-iis/evidence@1`: raw text as the server printed it (`icacls`, `net localgroup`). That text is
 *   localised (`VORDEFINIERT\Benutzer`) and, read through ssh, arrives in the OEM code page; kept as an
 *   input so existing bundles and hand-collected text still work.
 * - `wsus-iis/evidence@2`: identity by SID. ACLs are SDDL (`(Get-Acl PATH).Sddl`), local groups are
 *   resolved by SID with their members' SIDs, and SharePoint's exclusions may be "not known". Raw
 *   icacls / net localgroup text is still accepted in @2's `acls` and `localGroups` as a fallback.
 *
 * Everything but `schema` and `applicationHostConfig` may be absent; rules needing an absent part
 * report `unknown`.
 */
export const EVIDENCE_SCHEMA_V1 = "wsus-iis/evidence@1";
export const EVIDENCE_SCHEMA_V2 = "wsus-iis/evidence@2";
/** The version the agent writes. */
export const EVIDENCE_SCHEMA_ID = EVIDENCE_SCHEMA_V2;

export const SidText = z.string().regex(/^S-1-\d+(?:-\d+)+$/i, "expected a SID such as S-1-5-32-545");

const common = {
  computerName: z.string().min(1).max(63).optional(),
  collectedAt: z.string().optional(),
  /** Raw XML of %windir%\System32\inetsrv\config\applicationHost.config. */
  applicationHostConfig: z.string().min(1),
  /** Absolute directory -> relative file paths below it (backslashes). */
  files: z.record(z.string(), z.array(z.string())).optional(),
  /** Environment used to expand %VARS% in paths (SystemDrive, ProgramFiles, windir …). */
  environment: z.record(z.string(), z.string()).optional(),
};

export const EvidenceV1 = z.strictObject({
  schema: z.literal(EVIDENCE_SCHEMA_V1),
  ...common,
  /** Absolute directory path -> raw `icacls <path>` output. */
  acls: z.record(z.string(), z.string()).optional(),
  /** Group name -> raw `net localgroup <name>` output. */
  localGroups: z.record(z.string(), z.string()).optional(),
  sharePoint: z.strictObject({ installed: z.boolean(), excludedPaths: z.array(z.string()).default([]) }).optional(),
});

export const GroupMemberV2 = z.strictObject({
  sid: SidText.nullable(),
  /** The member's name as the server resolves it (localised); null when it does not resolve (orphaned SID). */
  name: z.string().nullable(),
});

export const LocalGroupV2 = z.strictObject({
  sid: SidText,
  /** The group's name on this server (`VORDEFINIERT\Benutzer`, `BUILTIN\Utilisateurs`). */
  name: z.string().min(1),
  members: z.array(GroupMemberV2),
});

export const EvidenceV2 = z.strictObject({
  schema: z.literal(EVIDENCE_SCHEMA_V2),
  ...common,
  /** Absolute directory path -> `{ sddl }` (Get-Acl's SDDL), or raw `icacls <path>` text as a fallback. */
  acls: z.record(z.string(), z.union([z.strictObject({ sddl: z.string().min(1) }), z.string()])).optional(),
  /** Names of the SIDs the ACLs hold, as the server resolves them (`S-1-5-21-…-1001` -> `WSUS01\IUSR_WSUS01`). */
  accounts: z.record(SidText, z.string()).optional(),
  /** Group SID (or name) -> the group resolved by SID, or raw `net localgroup` text as a fallback. */
  localGroups: z.record(z.string(), z.union([LocalGroupV2, z.string()])).optional(),
  /** `excludedPaths` absent = SharePoint's exclusions could not be read (the rule says unknown). */
  sharePoint: z.strictObject({ installed: z.boolean(), excludedPaths: z.array(z.string()).optional() }).optional(),
  /**
   * Runtime state (issue 13): the raw output of `appcmd list site /xml` and `appcmd list apppool /xml`
   * (core/evidence/runtime.ts). applicationHost.config does not say whether a site or pool is running.
   */
  runtime: z.strictObject({ sitesXml: z.string().min(1), appPoolsXml: z.string().min(1) }).optional(),
  /**
   * web.config files that may set ASP.NET impersonation (system.web/identity): every folder a site maps
   * (as applicationHost.config writes it) -> the file's text, or null when the folder has no web.config.
   * Absent: impersonation set outside applicationHost.config is unknown.
   */
  webConfigs: z.record(z.string(), z.string().nullable()).optional(),
  /** Who collected it (informational). */
  agent: z
    .strictObject({
      version: z.string(),
      powershell: z.string().optional(),
      culture: z.string().optional(),
      oemCodePage: z.number().int().optional(),
    })
    .optional(),
});

export const Evidence = z.discriminatedUnion("schema", [EvidenceV1, EvidenceV2]);

export type EvidenceV1 = z.infer<typeof EvidenceV1>;
export type EvidenceV2 = z.infer<typeof EvidenceV2>;
export type Evidence = z.infer<typeof Evidence>;
