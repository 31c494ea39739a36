import type { z } from "zod";
import type { LocalGroupV2 } from "../evidence/schema";

/** A lock held by an apply (the agent's machine-wide mutex `Global\wsus-iis` on Windows). */
export interface HostLock {
  /** The previous holder ended without releasing it (AbandonedMutexException on Windows). */
  abandoned: boolean;
  release(): Promise<void>;
}

/**
 * What the TypeScript agent (core/agent/runner.ts) needs from the machine it runs on. It mirrors what
 * scripts/agent.ps1 uses: a command runner (cmd.exe), file reads and writes, and the Windows API
 * calls of the agent's adapter block (Get-WsusAclSddl, Get-WsusLocalGroup, Resolve-WsusSids,
 * Get-WsusRegistrySubkeys). The lab implements it from the same emulation its PowerShell module
 * answers from (lab/agentHost.ts, lab/windowsApi.ts).
 */
export interface AgentHost {
  /** Run one Windows command line (cmd.exe syntax); output decoded as the agent decodes it. */
  run(commandLine: string): Promise<{ stdout: string; stderr: string; exitCode: number }>;
  /** Environment of the server (SystemDrive, windir, ProgramFiles, ProgramData, COMPUTERNAME …). */
  environment(): Promise<Record<string, string>>;
  /** The file's bytes, or null when it does not exist. */
  readFile(windowsPath: string): Promise<Buffer | null>;
  writeFile(windowsPath: string, data: string | Buffer): Promise<void>;
  /** Creates the folder and its parents. */
  mkdir(windowsPath: string): Promise<void>;
  /** Names in a folder (null when it does not exist). */
  listDir(windowsPath: string): Promise<string[] | null>;
  remove(windowsPath: string): Promise<void>;
  /** Every file below the folder, relative, backslashes (null when the folder does not exist). */
  listFiles(windowsPath: string): Promise<string[] | null>;
  /** sha256 (hex) of a file's bytes, or null when it does not exist. */
  sha256(windowsPath: string): Promise<string | null>;
  /** The folder's security descriptor as SDDL (null when it does not exist). */
  aclSddl(windowsPath: string): Promise<string | null>;
  /** A local group by SID with its members (null when there is none). */
  localGroup(sid: string): Promise<z.infer<typeof LocalGroupV2> | null>;
  /** The server's names of SIDs (those that resolve). */
  accountNames(sids: readonly string[]): Promise<Record<string, string>>;
  /** Subkey names of a registry key (empty when absent). */
  registrySubkeys(key: string): Promise<string[]>;
  /** Take the server's apply lock, waiting up to timeoutMs; null when another holder kept it. */
  lock(timeoutMs: number): Promise<HostLock | null>;
  /** Whether nobody holds the apply lock right now. */
  lockFree(): Promise<boolean>;
  /** What the agent reports about itself in evidence.agent. */
  info(): Promise<{ powershell?: string; culture?: string; oemCodePage?: number }>;
}

/**
 * Thrown by a host whose process died mid-request (the lab's injected crash): the agent stops where it
 * is, as a killed process would: no journal update, no rollback. Anything else an agent catches.
 */
export class HostDied extends Error {}
