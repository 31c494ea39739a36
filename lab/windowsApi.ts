import type { z } from "zod";
import type { LocalGroupV2 } from "../core/evidence/schema";
import { aceToSddl } from "./acl";
import { resolveHostPath } from "./fs";
import { effectiveAcl, isProtected, readLabState, resolveInternal, type LabState } from "./state";

/**
 * The lab's answers to the Windows API calls of the agent's adapter block (scripts/agent.ps1:
 * Get-WsusAclSddl, Get-WsusLocalGroup, Resolve-WsusSids, Get-WsusRegistrySubkeys). Both agents get them from here: the
 * TypeScript one through lab/agentHost.ts, the PowerShell one through its lab module and lab/shim.ts.
 */

/** The SID (and SDDL alias) of a principal as lab.json stores it. */
export function sidInfoOf(state: LabState, principal: string): { sid: string; alias?: string } {
  const acc = resolveInternal(state, principal);
  if (acc) return { sid: acc.sid, alias: acc.alias };
  const raw = /^\*?(S-1-[0-9-]+)$/i.exec(principal);
  return { sid: raw ? raw[1].toUpperCase() : principal };
}

/**
 * `(Get-Acl PATH).Sddl` of a lab path: the DACL the lab computes for it (explicit ACEs, then the
 * inherited ones, marked ID), protected or not (`D:P`). The lab keeps no owner, so there is no O:/G: part.
 */
export async function labAclSddl(dir: string, winPath: string): Promise<string | null> {
  const state = await readLabState(dir);
  const h = await resolveHostPath(dir, winPath);
  if (!h.exists) return null;
  const aces = await effectiveAcl(dir, state, h.windowsPath);
  return `D:${isProtected(state, h.windowsPath) ? "P" : ""}AI${aces.map((a) => aceToSddl(a, sidInfoOf(state, a.principal))).join("")}`;
}

/** A local group by SID, names as the lab's (localized) Windows would translate them. */
export async function labLocalGroup(dir: string, sid: string): Promise<z.infer<typeof LocalGroupV2> | null> {
  const state = await readLabState(dir);
  const group = resolveInternal(state, sid);
  if (!group || (group.kind !== "builtin-group" && group.kind !== "group")) return null;
  const key = Object.keys(state.groups).find((k) => k.toLowerCase() === group.internalMember.toLowerCase());
  if (key === undefined) return null;
  return {
    sid: group.sid,
    name: group.display,
    members: state.groups[key].members.map((m) => {
      const acc = resolveInternal(state, m);
      return acc ? { sid: acc.sid, name: acc.display } : { sid: null, name: m };
    }),
  };
}

/** The (localized) names of SIDs, as SecurityIdentifier.Translate would give them; unknown SIDs are left out. */
export async function labAccountNames(dir: string, sids: readonly string[]): Promise<Record<string, string>> {
  const state = await readLabState(dir);
  const out: Record<string, string> = {};
  for (const sid of sids) {
    const acc = resolveInternal(state, sid);
    if (acc) out[sid] = acc.display;
  }
  return out;
}

/** SharePoint's key, as the agent looks for it (registry subkeys named like a version). */
export const SHAREPOINT_REGISTRY_KEY = "HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Shared Tools\\Web Server Extensions";

/**
 * Registry subkeys. The lab models one key: SharePoint's, with `12.0` (WSS 3.0, the version of the
 * SharePoint guidance in Microsoft's WSUS self-update articles) when lab.json says it is installed.
 */
export async function labRegistrySubkeys(dir: string, key: string): Promise<string[]> {
  const state = await readLabState(dir);
  if (key.replace(/^HKLM\\/i, "HKEY_LOCAL_MACHINE\\").toLowerCase() !== SHAREPOINT_REGISTRY_KEY.toLowerCase()) return [];
  return state.features.sharePoint.installed ? ["12.0"] : [];
}
