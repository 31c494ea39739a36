import { promises as fsp } from "node:fs";
import { EVIDENCE_SCHEMA_ID, Evidence } from "../core/evidence/schema";
import { expandEnv, pathKey } from "../core/model/paths";
import { quoteArg } from "./cmdline";
import { APPHOST_CONFIG, readSites, XmlDoc } from "./appHost";
import { labLayout } from "./create";
import { resolveHostPath } from "./fs";
import { LabServer } from "./shell";
import { LabError, readLabState } from "./state";

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

/** The commands collectEvidence runs, in order, for a given lab (useful for transports and benchmarks). */
export async function evidenceCommands(dir: string, options: Omit<CollectEvidenceOptions, "server"> = {}): Promise<string[]> {
  const { layout } = await labLayout(dir);
  const paths = options.paths ?? (await defaultPaths(dir));
  return [
    "hostname",
    `type ${quoteArg(APPHOST_CONFIG)}`,
    ...paths.map((p) => `icacls ${quoteArg(p)}`),
    ...(options.groups ?? ["Users"]).map((g) => `net localgroup ${quoteArg(g)}`),
    `dir /s /b /a-d ${quoteArg(layout.selfUpdatePath)}`,
  ];
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

export async function collectEvidence(dir: string, options: CollectEvidenceOptions = {}): Promise<Evidence> {
  const server = options.server ?? new LabServer(dir);
  const { layout } = await labLayout(dir);
  const state = await readLabState(dir);

  const run = async (line: string) => server.run(line);

  const hostname = await run("hostname");
  const config = await run(`type ${quoteArg(APPHOST_CONFIG)}`);
  if (config.exitCode !== 0) throw new LabError(`cannot read applicationHost.config: ${config.stderr.trim()}`);

  const acls: Record<string, string> = {};
  for (const p of options.paths ?? (await defaultPaths(dir))) {
    const r = await run(`icacls ${quoteArg(p)}`);
    if (r.exitCode === 0) acls[p] = r.stdout;
  }

  const localGroups: Record<string, string> = {};
  for (const g of options.groups ?? ["Users"]) {
    const r = await run(`net localgroup ${quoteArg(g)}`);
    if (r.exitCode === 0) localGroups[g] = r.stdout;
  }

  const folder = layout.selfUpdatePath;
  const listing = await run(`dir /s /b /a-d ${quoteArg(folder)}`);
  const prefix = folder.replace(/\\+$/, "").toLowerCase() + "\\";
  const files =
    listing.exitCode === 0
      ? listing.stdout
          .split(/\r?\n/)
          .filter((l) => l.length > 0)
          .map((l) => (l.toLowerCase().startsWith(prefix) ? l.slice(prefix.length) : l))
      : [];

  return Evidence.parse({
    schema: EVIDENCE_SCHEMA_ID,
    computerName: hostname.stdout.trim() || state.computerName,
    collectedAt: new Date().toISOString(),
    applicationHostConfig: config.stdout,
    acls,
    localGroups,
    files: { [folder]: files },
    sharePoint: { installed: state.features.sharePoint.installed, excludedPaths: state.features.sharePoint.excludedPaths },
    environment: { ...state.environment },
  });
}
