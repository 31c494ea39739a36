import { promises as fsp } from "node:fs";
import { type IisConfig, parseApplicationHostConfig } from "../core/evidence/applicationHost";
import { expandEnv } from "../core/model/paths";
import { healthFromEvidence, type HealthState } from "../core/state/health";
import { APPHOST_CONFIG, readSites, XmlDoc } from "./appHost";
import { kindOf, resolveHostPath, WindowsPathError } from "./fs";
import { runtimeXml } from "./runtime";
import { type LabState, readLabState } from "./state";

/**
 * The health view of a lab (issue 13) through the core's own code: the lab's applicationHost.config, the
 * web.config of every folder its sites map and its runtime state (as `appcmd list … /xml` prints it) go
 * through core/state/health.ts `healthFromEvidence`, the function the health rules judge by. The HTTP
 * front (503 for a stopped pool, a refused connection for a stopped site, 500.24 for impersonation) and
 * `appcmd list config -section:system.web/identity` answer from this view, so the lab holds no second
 * implementation of IIS's pool lookup or configuration inheritance.
 */

export interface LabHealthView {
  health: HealthState;
  /** Folder as applicationHost.config writes it -> its web.config text (BOM dropped), or null when it has none. */
  webConfigs: Record<string, string | null>;
  runtime: { sitesXml: string; appPoolsXml: string };
}

/** lab.json's environment with lower-case names (what core/model/paths expandEnv wants). */
export function labEnv(state: LabState): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(state.environment)) env[k.toLowerCase()] = v;
  env.computername ??= state.computerName;
  return env;
}

/**
 * The web.config of every folder a site maps (each virtual directory's physicalPath, keyed as written):
 * what the agents collect as evidence `webConfigs`. A folder whose path the lab cannot hold (UNC, an
 * unexpanded variable) counts as having none; a web.config behind a symlink out of the lab throws
 * OutsideLabError, as every lab read does.
 */
export async function labWebConfigs(dir: string, doc: XmlDoc, env: Readonly<Record<string, string>>): Promise<Record<string, string | null>> {
  const folders: string[] = [];
  for (const s of readSites(doc)) for (const a of s.apps) for (const v of a.vdirs) if (v.physicalPath !== "" && !folders.includes(v.physicalPath)) folders.push(v.physicalPath);
  const read = async (folder: string): Promise<string | null> => {
    let h;
    try {
      h = await resolveHostPath(dir, `${expandEnv(folder, env).replace(/[\\/]+$/, "")}\\web.config`);
    } catch (e) {
      if (e instanceof WindowsPathError) return null;
      throw e;
    }
    return h.exists && (await kindOf(h.hostPath)) === "file" ? (await fsp.readFile(h.hostPath, "utf8")).replace(/^\uFEFF/, "") : null;
  };
  const texts = await Promise.all(folders.map(read));
  return Object.fromEntries(folders.map((f, i) => [f, texts[i]]));
}

/** The lab's applicationHost.config text (BOM kept, as the file holds it). */
export async function labApplicationHostConfig(dir: string, state?: LabState): Promise<string> {
  const env = labEnv(state ?? (await readLabState(dir)));
  const h = await resolveHostPath(dir, expandEnv(APPHOST_CONFIG, env));
  return fsp.readFile(h.hostPath, "utf8");
}

/**
 * HealthState of the lab. `applicationHostConfig` / `config`: the text (and its core parse) when the caller
 * has them already. Throws EvidenceError (core) for a configuration or web.config the core cannot read.
 */
export async function labHealthView(dir: string, applicationHostConfig?: string, config?: IisConfig): Promise<LabHealthView> {
  const state = await readLabState(dir);
  const env = labEnv(state);
  const text = applicationHostConfig ?? (await labApplicationHostConfig(dir, state));
  const doc = XmlDoc.parse(text);
  const webConfigs = await labWebConfigs(dir, doc, env);
  return labHealthOf({ state, text, doc, config: config ?? parseApplicationHostConfig(text), env, webConfigs });
}

/** The same from parts already read (the HTTP front keeps them between requests). */
export function labHealthOf(parts: {
  state: LabState;
  text: string;
  doc: XmlDoc;
  config: IisConfig;
  env: Readonly<Record<string, string>>;
  webConfigs: Record<string, string | null>;
}): LabHealthView {
  const runtime = runtimeXml(parts.doc, parts.state);
  const health = healthFromEvidence({ applicationHostConfig: parts.text, config: parts.config, env: parts.env, webConfigs: parts.webConfigs, runtime });
  return { health, webConfigs: parts.webConfigs, runtime };
}
