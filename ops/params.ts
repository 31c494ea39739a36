import { randomBytes } from "node:crypto";
import type { ApplyParams, CollectParams } from "../core/agent/protocol";
import type { Layout } from "../core/model/layout";
import type { Plan } from "../core/plan/planner";

/** What to read from a server for a layout: the SelfUpdate folder's ACL and files, and Users. */
export function collectParams(layout: Layout): CollectParams {
  return { aclPaths: [layout.selfUpdatePath], fileDirs: [layout.selfUpdatePath], groups: ["Users"] };
}

/**
 * A fresh `appcmd add backup` name per apply: milliseconds plus a random suffix, because appcmd refuses
 * an existing name and a retry (after a dropped connection or a crash) often comes within the same second.
 */
export function backupName(now = new Date(), suffix = randomBytes(3).toString("hex")): string {
  return `wsus-iis-${now.toISOString().replace(/[-:.]/g, "")}-${suffix}`;
}

export function applyParams(plan: Plan, configHash: string, layout: Layout, name = backupName()): ApplyParams {
  const aclPaths = [...new Set(plan.steps.flatMap((s) => (s.action.kind === "grant-acl" ? [s.action.path] : [])))];
  const groupAdds = plan.steps.flatMap((s) => (s.action.kind === "add-group-member" ? [{ index: s.index, group: s.action.group, member: s.action.member }] : []));
  return {
    expectedConfigHash: configHash,
    backupName: name,
    steps: plan.steps.map((s) => ({ index: s.index, command: s.command })),
    aclPaths,
    groupAdds,
    touchesIis: plan.touches.includes("iis"),
    collect: collectParams(layout),
  };
}
