import { promises as fsp } from "node:fs";
import type { CollectParams } from "../core/agent/protocol";
import { collect } from "../core/agent/runner";
import { Evidence } from "../core/evidence/schema";
import { expandEnv, pathKey } from "../core/model/paths";
import { SID } from "../core/model/principals";
import { readSites, XmlDoc } from "./appHost";
import { LabAgentHost } from "./agentHost";
import { labLayout } from "./create";
import { resolveHostPath } from "./fs";
import type { LabServer } from "./shell";
import { readLabState } from "./state";

/**
 * A `wsus-iis/evidence@2` bundle read from a lab the way the agent reads a real server (the
 * TypeScript agent's collect on the lab, core/agent/runner.ts): ACLs as SDDL, groups by SID, the
 * SelfUpdate files, and SharePoint's presence.
 */

export interface CollectEvidenceOptions {
  /** Folders whose ACL is read (default: the SelfUpdate folder, every WSUS folder of the layout and every vdir's physical path). */
  paths?: string[];
  /** Local groups to read, by SID (default: Users, S-1-5-32-545). */
  groups?: string[];
  /** Run commands through this server (counts, latency, drops). Default: a fresh LabServer. */
  server?: LabServer;
}

/** What the lab's evidence reads (the agent's collect parameters for this lab). */
export async function evidenceParams(dir: string, options: Omit<CollectEvidenceOptions, "server"> = {}): Promise<CollectParams> {
  const { layout } = await labLayout(dir);
  // health: true, like scripts/collect-evidence.ps1: a bundle serves every rule group later
  return { aclPaths: options.paths ?? (await defaultPaths(dir)), groups: options.groups ?? [SID.users], fileDirs: [layout.selfUpdatePath], health: true };
}

async function defaultPaths(dir: string): Promise<string[]> {
  const { layout } = await labLayout(dir);
  const state = await readLabState(dir);
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(state.environment)) env[k.toLowerCase()] = v;
  const out: string[] = [];
  const add = (p: string) => {
    if (!out.some((x) => pathKey(x, env) === pathKey(p, env))) out.push(p);
  };
  add(layout.selfUpdatePath);
  for (const s of layout.sites) for (const v of s.vdirs) add(v.physicalPath);
  // and whatever the server's configuration actually points at
  try {
    const h = await resolveHostPath(dir, "C:\\Windows\\System32\\inetsrv\\config\\applicationHost.config");
    const doc = XmlDoc.parse(await fsp.readFile(h.hostPath, "utf8"));
    for (const s of readSites(doc)) for (const a of s.apps) for (const v of a.vdirs) if (v.physicalPath) add(expandEnv(v.physicalPath, env));
  } catch {
    /* an unreadable config shows in the evidence's applicationHostConfig */
  }
  return out;
}

/** Evidence through the agent's own collect (core/agent/runner.ts) on the lab. */
export async function collectEvidence(dir: string, options: CollectEvidenceOptions = {}): Promise<Evidence> {
  const { evidence } = await collect(new LabAgentHost(dir, {}, options.server), await evidenceParams(dir, options));
  return Evidence.parse(evidence);
}
