import { z } from "zod";
import { Evidence, SidText } from "../evidence/schema";

/**
 * The one-round-trip contract between us and a server. A request goes down (core/agent/wire.ts: base64
 * on the standard input of a short PowerShell bootstrap) and one response comes back. `collect` reads
 * (check: 1 round trip); `apply` runs a plan under guard and reads again in the same trip (converge:
 * collect + apply = 2 round trips).
 *
 * Every command line in a request is built here, on the client, by core/commands/quote.ts: the agent
 * (scripts/agent.ps1, or its TypeScript twin core/agent/runner.ts for the lab) only runs them.
 */
export const CollectParams = z.strictObject({
  /** Folders whose ACL is read (SDDL, by SID). */
  aclPaths: z.array(z.string()),
  /** Folders whose files are listed (relative paths). */
  fileDirs: z.array(z.string()),
  /** Local groups to read, by SID (S-1-5-32-545 = Users, whatever its name on the server). */
  groups: z.array(SidText),
  /**
   * Also read what only the health rules need (issue 13): the runtime state (two appcmd lines) and the
   * sites' web.config files. Asked for when the spec's `rules` include `health`, so a default (`kb`) read
   * runs no console program at all, as before; collect-evidence.ps1 always asks.
   */
  health: z.boolean().optional(),
});
export type CollectParams = z.infer<typeof CollectParams>;

export const ApplyStep = z.strictObject({ index: z.number().int().min(1), command: z.string().min(1) });

/** A command run before the steps; nothing is changed unless every guard succeeds. */
export const ApplyGuard = z.strictObject({ kind: z.enum(["iis-backup", "acl-save"]), command: z.string().min(1) });

/**
 * A command run when a step fails, in order. `iis-restore` runs only when applicationHost.config is
 * still what the apply's own last step left (someone else's later edit is never wiped); `group-undo`
 * only when the step that added the member (`afterStep`) ran before the failing one.
 */
export const RollbackCommand = z.discriminatedUnion("kind", [
  z.strictObject({ kind: z.literal("iis-restore"), command: z.string().min(1) }),
  z.strictObject({ kind: z.literal("acl-restore"), command: z.string().min(1) }),
  z.strictObject({ kind: z.literal("group-undo"), command: z.string().min(1), afterStep: z.number().int().min(1) }),
]);

export const ApplyParams = z.strictObject({
  /** sha256 of applicationHost.config as read by `collect`: the apply is refused if it changed since. */
  expectedConfigHash: z.string().regex(/^[0-9a-f]{64}$/),
  /** Name of the `appcmd add backup` taken before the first IIS change (kept after success, for people), and of the journal. */
  backupName: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
  /** How long to wait for another apply on the same server to finish (the agent's named mutex). */
  lockTimeoutMs: z.number().int().min(0).max(3_600_000),
  guards: z.array(ApplyGuard),
  steps: z.array(ApplyStep).min(1),
  rollback: z.array(RollbackCommand),
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

export const ApplyStatus = z.enum([
  /** every step ran and exited 0 */
  "applied",
  /** applicationHost.config changed since it was read: nothing was written */
  "refused-drift",
  /** another apply held the server's lock for longer than lockTimeoutMs: nothing was written */
  "refused-busy",
  /** a guard or step failed; IIS config, ACLs and group changes were restored */
  "rolled-back",
  /** a step failed and restoring failed or was not safe: people must look (backup name in the response) */
  "rollback-failed",
]);
export type ApplyStatus = z.infer<typeof ApplyStatus>;

/**
 * An apply as the server's journal remembers it (%ProgramData%\wsus-iis\journal\<backupName>.json).
 * `interrupted`: its journal says running, but nobody holds the server's lock: the agent died (a
 * dropped ssh session may kill it, Win32-OpenSSH #1195/#1642) after `stepsRun` steps.
 */
export const JournalEntry = z.object({
  backupName: z.string(),
  state: z.enum(["running", "interrupted", "finished"]),
  status: z.union([ApplyStatus, z.literal("agent-error")]).nullable(),
  startedAt: z.string(),
  finishedAt: z.string().nullable(),
  stepsRun: z.number().int(),
  stepsTotal: z.number().int(),
});
export type JournalEntry = z.infer<typeof JournalEntry>;

export const CollectResponse = z.object({
  op: z.literal("collect"),
  ok: z.literal(true),
  configHash: z.string(),
  evidence: Evidence,
  /** The server's latest applies, newest first. */
  journal: z.array(JournalEntry),
  /**
   * What a person should know about the read: a part not read, whose rules then say unknown (the runtime
   * state when appcmd failed, a web.config too large or not on a local path). Absent from agents before issue 13.
   */
  notes: z.array(z.string()).optional(),
});

export const ApplyResponse = z.object({
  op: z.literal("apply"),
  ok: z.boolean(),
  status: ApplyStatus,
  backupName: z.string().nullable(),
  results: z.array(CommandResult),
  failed: CommandResult.nullable(),
  rollback: z.array(CommandResult),
  /** What a person should know (a restore that was skipped, an abandoned lock, a part of the read-back not read …). */
  notes: z.array(z.string()),
  /** A step exited 3010 or 1641: done, and Windows wants a restart (Windows Installer's success codes). */
  rebootRequired: z.boolean(),
  configHash: z.string(),
  /** Read back after applying (or after refusing / rolling back). */
  evidence: Evidence,
  /** The applies before this one, newest first. */
  journal: z.array(JournalEntry),
});

/** The agent could not answer (a PowerShell error, a bad request): always with a non-zero exit code. */
export const ErrorResponse = z.object({
  op: z.literal("error"),
  ok: z.literal(false),
  error: z.object({ message: z.string(), position: z.string().optional() }),
});

export const AgentResponse = z.discriminatedUnion("op", [CollectResponse, ApplyResponse, ErrorResponse]);
export type CollectResponse = z.infer<typeof CollectResponse>;
export type ApplyResponse = z.infer<typeof ApplyResponse>;
export type ErrorResponse = z.infer<typeof ErrorResponse>;
export type AgentResponse = z.infer<typeof AgentResponse>;
/** What a transport hands back: the agent answered the request. */
export type AgentAnswer = CollectResponse | ApplyResponse;
