import { promises as fsp } from "node:fs";
import type { CollectParams } from "../core/agent/protocol";
import { APPHOST_PATH, collect, collectCommands, expand } from "../core/agent/runner";
import { Evidence } from "../core/evidence/schema";
import { expandEnv, pathKey } from "../core/model/paths";
import { readSites, XmlDoc } from "./appHost";
import { LabAgentHost } from "./agentHost";
import { labLayout } from "./create";
import { resolveHostPath } from "./fs";
import type { LabServer } from "./shell";
import { readLabState } from "./state";

/**
 * A `wsus-iis/evidence@1` bundle read from a lab the way the collection script reads a real server:
 * by running the (emulated) read commands and keeping what they print. Only `sharePoint` and
 * `environment` come straight from lab.json (on a real server they come from the registry / Get-ChildItem Env:).
 */

export interface CollectEvidenceOptions {
  /** Folders to run `icacls` on (default: the SelfUpdate folder, every WSUS folder of the layout and every vdir's physical path). */
  paths?: string[];
  /** Local groups to run `net localgroup` on (default: Users). */
  groups?: string[];
  /** Run the commands through this server (counts, latency, drops). Default: a fresh LabServer. */
  server?: LabServer;
}

async function collectParams(dir: string, options: Omit<CollectEvidenceOptions, "server">): Promise<CollectParams> {
  const { layout } = await labLayout(dir);
  return { aclPaths: options.paths ?? (await defaultPaths(dir)), groups: options.groups ?? ["Users"], fileDirs: [layout.selfUpdatePath] };
}

/** The commands collectEvidence runs, in order, for a given lab (useful for transports and benchmarks). */
export async function evidenceCommands(dir: string, options: Omit<CollectEvidenceOptions, "server"> = {}): Promise<string[]> {
  const state = await readLabState(dir);
  return collectCommands(await collectParams(dir, options), expand(APPHOST_PATH, state.environment));
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
    /* an unreadable config is reported by the `type` command's evidence */
  }
  return out;
}

/** Evidence through the agent's own collect (core/agent/runner.ts) on the lab's command emulation. */
export async function collectEvidence(dir: string, options: CollectEvidenceOptions = {}): Promise<Evidence> {
  const params = await collectParams(dir, options);
  const { evidence } = await collect(new LabAgentHost(dir, {}, options.server), params);
  return Evidence.parse(evidence);
}
