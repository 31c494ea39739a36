import { z } from "zod";
import { Evidence } from "../evidence/schema";

/**
 * The one-round-trip contract between us and a server. A request goes to the server as JSON (inside
 * the PowerShell agent script for Windows hosts, as is for the lab) and one JSON response comes back.
 * `collect` reads (check: 1 round trip); `apply` runs a plan under guard and reads again in the same
 * trip (converge: collect + apply = 2 round trips).
 */
export const CollectParams = z.strictObject({
  /** Folders whose ACLs (icacls) and file lists (dir /s /b /a-d) are read. */
  aclPaths: z.array(z.string()),
  fileDirs: z.array(z.string()),
  groups: z.array(z.string()),
});
export type CollectParams = z.infer<typeof CollectParams>;

export const ApplyStep = z.strictObject({ index: z.number().int().min(1), command: z.string().min(1) });

export const ApplyParams = z.strictObject({
  /** sha256 of applicationHost.config as read by `collect`: the apply is refused if it changed since. */
  expectedConfigHash: z.string().regex(/^[0-9a-f]{64}$/),
  /** Name of the `appcmd add backup` taken before the first IIS change (kept after success, for people). */
  backupName: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
  steps: z.array(ApplyStep).min(1),
  /** Folders whose ACL is saved (icacls /save) before the steps and restored on failure. */
  aclPaths: z.array(z.string()),
  /** Group memberships added by the step with that index: removed again on failure if the step ran. */
  groupAdds: z.array(z.strictObject({ index: z.number().int().min(1), group: z.string(), member: z.string() })),
  touchesIis: z.boolean(),
  /** What to read back after applying, in the same round trip. */
  collect: CollectParams,
});
export type ApplyParams = z.infer<typeof ApplyParams>;

export const AgentRequest = z.discriminatedUnion("op", [
  z.strictObject({ op: z.literal("collect"), params: CollectParams }),
  z.strictObject({ op: z.literal("apply"), params: ApplyParams }),
]);
export type AgentRequest = z.infer<typeof AgentRequest>;

export const CommandResult = z.object({ index: z.number().int(), command: z.string(), exitCode: z.number().int(), stdout: z.string(), stderr: z.string() });
export type CommandResult = z.infer<typeof CommandResult>;

export const CollectResponse = z.object({
  op: z.literal("collect"),
  ok: z.literal(true),
  configHash: z.string(),
  evidence: Evidence,
});

export const ApplyStatus = z.enum([
  /** every step ran and exited 0 */
  "applied",
  /** applicationHost.config changed since it was read: nothing was written */
  "refused-drift",
  /** a step failed; IIS config, ACLs and group changes were restored */
  "rolled-back",
  /** a step failed and restoring failed too: people must look (backup name in the response) */
  "rollback-failed",
]);

export const ApplyResponse = z.object({
  op: z.literal("apply"),
  ok: z.boolean(),
  status: ApplyStatus,
  backupName: z.string().nullable(),
  results: z.array(CommandResult),
  failed: CommandResult.nullable(),
  rollback: z.array(CommandResult),
  configHash: z.string(),
  /** Read back after applying (or after refusing / rolling back). */
  evidence: Evidence,
});

export const AgentResponse = z.discriminatedUnion("op", [CollectResponse, ApplyResponse]);
export type CollectResponse = z.infer<typeof CollectResponse>;
export type ApplyResponse = z.infer<typeof ApplyResponse>;
export type AgentResponse = z.infer<typeof AgentResponse>;
