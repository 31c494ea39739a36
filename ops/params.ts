import { randomBytes } from "node:crypto";
import type { ApplyParams, CollectParams } from "../core/agent/protocol";
import { commandLine, quoteArg, serverPathArg } from "../core/commands/quote";
import type { Layout } from "../core/model/layout";
import { SID } from "../core/model/principals";
import type { Plan } from "../core/plan/planner";
import { APPCMD, netGroupName } from "../core/plan/render";

/** What to read from a server for a layout: the SelfUpdate folder's ACL and files, and Users (by SID). */
export function collectParams(layout: Layout): CollectParams {
  return { aclPaths: [layout.selfUpdatePath], fileDirs: [layout.selfUpdatePath], groups: [SID.users], ...(layout.spec.rules.includes("health") ? { health: true } : {}) };
}

/**
 * A fresh `appcmd add backup` name per apply: milliseconds plus a random suffix, because appcmd refuses
 * an existing name and a retry (after a dropped connection or a crash) often comes within the same second.
 */
export function backupName(now = new Date(), suffix = randomBytes(3).toString("hex")): string {
  return `wsus-iis-${now.toISOString().replace(/[-:.]/g, "")}-${suffix}`;
}

/** Default wait for another apply on the same server (the agent's Global\wsus-iis mutex). */
export const DEFAULT_LOCK_TIMEOUT_MS = 60_000;


function parentOf(path: string): string {
  const trimmed = path.replace(/\\+$/, "");
  const i = trimmed.lastIndexOf("\\");
  return i <= 2 ? trimmed.slice(0, 3) : trimmed.slice(0, i);
}

export interface ApplyRequestParts {
  configHash: string;
  backupName: string;
  steps: { index: number; command: string }[];
  /** Folders the steps change ACLs of: saved before, restored on failure. */
  aclPaths: string[];
  /** Whether the steps change IIS configuration: backed up before, restored on failure. */
  touchesIis: boolean;
  /** Group members the steps add: removed again on failure when their step ran. */
  groupAdds: { afterStep: number; group: string; member: string }[];
  collect: CollectParams;
  lockTimeoutMs?: number;
}

/**
 * An apply request. Every command line is built here, with the quoting module, so the agent never
 * builds one: the IIS backup and its restore, an `icacls /save` of every folder whose ACL changes and
 * its `/restore` (run on the parent folder, as icacls requires), and the removal of every group member
 * added (only when its step ran before the one that failed).
 */
export function applyRequest(p: ApplyRequestParts): ApplyParams {
  // In the agent's state folder, %ProgramData%\wsus-iis (it creates the folder before the guards run).
  const saves = p.aclPaths.map((path, i) => ({ path, file: serverPathArg("ProgramData", `\\wsus-iis\\${p.backupName}-acl-${i}.txt`) }));
  return {
    expectedConfigHash: p.configHash,
    backupName: p.backupName,
    lockTimeoutMs: p.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS,
    guards: [
      ...(p.touchesIis ? [{ kind: "iis-backup" as const, command: commandLine(APPCMD, "add", "backup", quoteArg(p.backupName)) }] : []),
      ...saves.map((s) => ({ kind: "acl-save" as const, command: commandLine("icacls", quoteArg(s.path), "/save", s.file) })),
    ],
    steps: p.steps,
    rollback: [
      ...(p.touchesIis ? [{ kind: "iis-restore" as const, command: commandLine(APPCMD, "restore", "backup", quoteArg(p.backupName)) }] : []),
      ...saves.map((s) => ({ kind: "acl-restore" as const, command: commandLine("icacls", quoteArg(parentOf(s.path)), "/restore", s.file) })),
      ...p.groupAdds.map((g) => ({
        kind: "group-undo" as const,
        afterStep: g.afterStep,
        command: commandLine("net", "localgroup", quoteArg(netGroupName(g.group)), quoteArg(g.member), "/delete"),
      })),
    ],
    collect: p.collect,
  };
}

/** The apply request for a plan. */
export function applyParams(plan: Plan, configHash: string, layout: Layout, name = backupName(), lockTimeoutMs = DEFAULT_LOCK_TIMEOUT_MS): ApplyParams {
  return applyRequest({
    configHash,
    backupName: name,
    lockTimeoutMs,
    steps: plan.steps.map((s) => ({ index: s.index, command: s.command })),
    aclPaths: [...new Set(plan.steps.flatMap((s) => (s.action.kind === "grant-acl" ? [s.action.path] : [])))],
    touchesIis: plan.touches.includes("iis"),
    groupAdds: plan.steps.flatMap((s) => (s.action.kind === "add-group-member" ? [{ afterStep: s.index, group: s.action.group, member: s.action.member }] : [])),
    collect: collectParams(layout),
  });
}
