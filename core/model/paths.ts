/**
 * Windows path normalisation. IIS and the registry store paths with environment variables
 * (%SystemDrive%\inetpub\wwwroot, %ProgramFiles%\Update Services\…); icacls prints them expanded;
 * NTFS compares case-insensitively. Compare only normalised keys.
 */
export const DEFAULT_WINDOWS_ENV: Readonly<Record<string, string>> = {
  systemdrive: "C:",
  systemroot: "C:\\Windows",
  windir: "C:\\Windows",
  programfiles: "C:\\Program Files",
  "programfiles(x86)": "C:\\Program Files (x86)",
  programdata: "C:\\ProgramData",
  public: "C:\\Users\\Public",
};

/** Expand %VARS% (case-insensitive names); unknown variables are left as written. */
export function expandEnv(path: string, env: Readonly<Record<string, string>> = DEFAULT_WINDOWS_ENV): string {
  return path.replace(/%([^%\\]+)%/g, (whole, name: string) => env[name.toLowerCase()] ?? whole);
}

/** Expanded, backslashes, no trailing separator (but `C:\` keeps its one), no doubled separators. */
export function normalizeWindowsPath(path: string, env?: Readonly<Record<string, string>>): string {
  let p = expandEnv(path.trim(), env).replace(/\//g, "\\").replace(/\\{2,}/g, "\\");
  if (/^[A-Za-z]:$/.test(p)) p += "\\";
  if (p.length > 3 && p.endsWith("\\")) p = p.slice(0, -1);
  return p.replace(/^([a-z]):/, (_, d: string) => `${d.toUpperCase()}:`);
}

/** The comparison key of a Windows path. */
export function pathKey(path: string, env?: Readonly<Record<string, string>>): string {
  return normalizeWindowsPath(path, env).toLowerCase();
}

export function samePath(a: string, b: string, env?: Readonly<Record<string, string>>): boolean {
  return pathKey(a, env) === pathKey(b, env);
}

export function joinWindowsPath(base: string, ...parts: string[]): string {
  return [base.replace(/\\+$/, ""), ...parts.map((p) => p.replace(/^\\+|\\+$/g, ""))].filter(Boolean).join("\\");
}

/** URL path as IIS compares it: leading slash, no trailing slash, case-insensitive key. */
export function urlPathKey(path: string): string {
  const p = ("/" + path.replace(/\\/g, "/")).replace(/\/{2,}/g, "/").replace(/(.)\/$/, "$1");
  return p.toLowerCase();
}
