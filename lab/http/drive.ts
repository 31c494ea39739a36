import { promises as fs } from "node:fs";
import * as path from "node:path";
import { DEFAULT_WINDOWS_ENV, normalizeWindowsPath } from "../../core/model/paths";
import { LabError, labJsonPath, readLabState } from "../state";
import { findCaseInsensitive } from "../fs";

export { LabError };

/**
 * The lab server's disk as the HTTP front sees it: `DIR/lab.json` plus the server's drives under
 * `DIR/<letter>/…`. A Windows path `C:\Program Files\Update Services\Selfupdate` lives at
 * `DIR/C/Program Files/Update Services/Selfupdate`, every segment looked up case-insensitively like
 * NTFS (an exact-case entry wins when a case-sensitive file system holds several spellings).
 *
 * Only what the HTTP front needs is read here; the lab core (lab/*.ts) owns creating and changing labs.
 */

export interface LabInfo {
  dir: string;
  computerName: string | null;
  /** DEFAULT_WINDOWS_ENV overridden by lab.json's environment; lower-case names (what expandEnv wants). */
  env: Record<string, string>;
  /** lab.json features.sharePoint when installed: SharePoint extends the Default Web Site. */
  sharePoint: { excludedPaths: string[] } | null;
  /** lab.json services.W3SVC is "stopped": IIS answers nothing. */
  w3svcStopped: boolean;
}

/** Where applicationHost.config lives on the lab server. */
export const APPLICATION_HOST_CONFIG = "%windir%\\System32\\inetsrv\\config\\applicationHost.config";

/** What the HTTP front needs of lab.json, read and validated by the lab core (readLabState). */
export async function readLabInfo(dir: string): Promise<LabInfo> {
  try {
    await fs.access(labJsonPath(dir));
  } catch {
    throw new LabError(`${dir} is not a lab folder (no lab.json)`);
  }
  const data = await readLabState(dir);
  const env: Record<string, string> = { ...DEFAULT_WINDOWS_ENV };
  for (const [k, v] of Object.entries(data.environment)) env[k.toLowerCase()] = v;
  // Keep windir / SystemRoot coherent when lab.json sets only one of them.
  const given = Object.keys(data.environment).map((k) => k.toLowerCase());
  if (given.includes("windir") && !given.includes("systemroot")) env.systemroot = env.windir;
  if (given.includes("systemroot") && !given.includes("windir")) env.windir = env.systemroot;
  const sp = data.features.sharePoint;
  const sharePoint = sp.installed ? { excludedPaths: sp.excludedPaths } : null;
  const w3svc = Object.entries(data.services).find(([k]) => k.toLowerCase() === "w3svc")?.[1];
  const w3svcStopped = w3svc !== undefined && w3svc.trim().toLowerCase() === "stopped";
  return { dir, computerName: data.computerName, env, sharePoint, w3svcStopped };
}

export type LabPath =
  | { kind: "file" | "directory"; path: string }
  | { kind: "missing"; path: null; missingAt: string }
  | { kind: "outside"; path: null; reason: string };

/**
 * Resolve an (expanded or not) Windows path to the lab disk. `missing` names the first segment that
 * does not exist; `outside` is a path the lab cannot hold (UNC, relative, an unexpanded %VAR%).
 */
export async function resolveLabPath(lab: LabInfo, windowsPath: string, extraSegments: readonly string[] = []): Promise<LabPath> {
  const full = normalizeWindowsPath(windowsPath, lab.env);
  const m = /^([A-Za-z]):(?:\\(.*))?$/.exec(full);
  if (!m) return { kind: "outside", path: null, reason: `not a local drive path: ${full}` };
  const segments = [m[1], ...(m[2] ?? "").split("\\").filter((s) => s !== ""), ...extraSegments];
  if (segments.some((s) => s === "." || s === ".." || s.includes("/") || s.includes("\\") || s.includes("\0") || s.includes("%"))) {
    return { kind: "outside", path: null, reason: `unsupported path segment in ${full}` };
  }
  let cur = lab.dir;
  for (let i = 0; i < segments.length; i++) {
    const entry = await findCaseInsensitive(cur, segments[i]);
    if (entry === null) return { kind: "missing", path: null, missingAt: segments.slice(0, i + 1).join("\\") };
    cur = path.join(cur, entry);
  }
  let st;
  try {
    st = await fs.stat(cur);
  } catch {
    return { kind: "missing", path: null, missingAt: full };
  }
  // Symlinks inside the lab must not lead out of it.
  const [real, root] = await Promise.all([fs.realpath(cur), fs.realpath(lab.dir)]);
  if (real !== root && !real.startsWith(root + path.sep)) return { kind: "outside", path: null, reason: `${full} leads out of the lab` };
  return { kind: st.isDirectory() ? "directory" : "file", path: cur };
}

