import type { Layout, VdirRequirement } from "../model/layout";
import type { RepairAction } from "../plan/actions";

/**
 * Create a required vdir/app and pin its authentication explicitly: a leftover <location> for the same
 * path (from before it was removed) would otherwise come back with whatever it said.
 */
export function addVdirActions(site: string, v: VdirRequirement): RepairAction[] {
  const add: RepairAction =
    v.kind === "app"
      ? { kind: "add-app", site, name: v.name, physicalPath: v.physicalPath, appPool: "WsusPool" }
      : { kind: "add-vdir", site, name: v.name, physicalPath: v.physicalPath };
  const path = `/${v.name}`;
  const auth: RepairAction[] =
    v.auth === "windows"
      ? [
          { kind: "set-auth", site, path, auth: "anonymous", enabled: false },
          { kind: "set-auth", site, path, auth: "windows", enabled: true },
        ]
      : [{ kind: "set-auth", site, path, auth: "anonymous", enabled: true }];
  const ssl: RepairAction[] = v.requireSsl === null ? [] : [{ kind: "set-ssl", site, path, requireSsl: v.requireSsl }];
  return [add, ...auth, ...ssl];
}

export function selfUpdateRequirement(layout: Layout): VdirRequirement {
  return layout.sites.flatMap((s) => s.vdirs).find((v) => v.isSelfUpdate)!;
}
