import { promises as fsp } from "node:fs";
import * as path from "node:path";

/**
 * The lab's drives: Windows path `C:\Program Files\x` <-> `DIR/C/Program Files/x`. Lookups are
 * case-insensitive like NTFS (each segment is matched against the directory listing); new entries
 * are created with the case given.
 */

export class WindowsPathError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "WindowsPathError";
  }
}

export interface ParsedWindowsPath {
  drive: string; // upper-case letter
  segments: string[];
}

/** Split an absolute `X:\a\b` path (forward slashes accepted, `.`/`..` resolved). Throws for anything else. */
export function parseWindowsPath(p: string): ParsedWindowsPath {
  const m = /^([A-Za-z]):(?:[\\/](.*))?$/.exec(p);
  if (!m) throw new WindowsPathError(`not an absolute Windows path: ${p}`);
  const segments: string[] = [];
  for (const raw of (m[2] ?? "").split(/[\\/]+/)) {
    // Win32 path normalisation strips trailing dots and spaces from each segment
    if (raw === "..") {
      segments.pop();
      continue;
    }
    const seg = raw.replace(/[. ]+$/, "");
    if (seg === "") continue;
    if (/[<>:"|?*\x00-\x1f]/.test(seg)) throw new WindowsPathError(`invalid character in path: ${p}`);
    segments.push(seg);
  }
  return { drive: m[1].toUpperCase(), segments };
}

/** `C:\a\b` from parts (drive root is `C:\`). */
export function formatWindowsPath(p: ParsedWindowsPath): string {
  return `${p.drive}:\\${p.segments.join("\\")}`;
}

/** Resolve a (possibly relative) Windows path against a current directory. */
export function absoluteWindowsPath(p: string, cwd: string): string {
  if (/^[A-Za-z]:[\\/]/.test(p) || /^[A-Za-z]:$/.test(p)) return formatWindowsPath(parseWindowsPath(p.length === 2 ? p + "\\" : p));
  if (/^[\\/]/.test(p)) return formatWindowsPath(parseWindowsPath(cwd.slice(0, 2) + p));
  if (/^[A-Za-z]:/.test(p)) return formatWindowsPath(parseWindowsPath(p.slice(0, 2) + "\\" + p.slice(2)));
  return formatWindowsPath(parseWindowsPath(cwd.replace(/[\\/]+$/, "") + "\\" + p));
}

/**
 * The host path for a Windows path in the lab: each existing segment with its on-disk case, the rest
 * as given. `exists` says whether the whole path exists.
 */
export async function resolveHostPath(labDir: string, winPath: string): Promise<{ hostPath: string; exists: boolean; windowsPath: string }> {
  const parsed = parseWindowsPath(winPath);
  let host = path.join(labDir, parsed.drive);
  let exists = await isDir(host);
  const actual: string[] = [];
  for (const seg of parsed.segments) {
    if (exists) {
      const match = await findCaseInsensitive(host, seg);
      if (match !== null) {
        host = path.join(host, match);
        actual.push(match);
        continue;
      }
      exists = false;
    }
    host = path.join(host, seg);
    actual.push(seg);
  }
  return { hostPath: host, exists, windowsPath: formatWindowsPath({ drive: parsed.drive, segments: actual }) };
}

/** The entry of `dir` named `name` as NTFS would find it: the exact case wins, else any case. */
export async function findCaseInsensitive(dir: string, name: string): Promise<string | null> {
  let entries: string[];
  try {
    entries = await fsp.readdir(dir);
  } catch {
    return null;
  }
  if (entries.includes(name)) return name;
  const lower = name.toLowerCase();
  return entries.find((e) => e.toLowerCase() === lower) ?? null;
}

async function isDir(p: string): Promise<boolean> {
  try {
    return (await fsp.stat(p)).isDirectory();
  } catch {
    return false;
  }
}

export type EntryKind = "file" | "dir" | null;

export async function kindOf(hostPath: string): Promise<EntryKind> {
  try {
    const st = await fsp.stat(hostPath);
    return st.isDirectory() ? "dir" : st.isFile() ? "file" : null;
  } catch {
    return null;
  }
}

/** Create directories along a Windows path, reusing existing segments case-insensitively. */
export async function mkdirWindows(labDir: string, winPath: string): Promise<string> {
  const parsed = parseWindowsPath(winPath);
  let host = path.join(labDir, parsed.drive);
  await fsp.mkdir(host, { recursive: true });
  for (const seg of parsed.segments) {
    const match = await findCaseInsensitive(host, seg);
    host = path.join(host, match ?? seg);
    if (match === null) await fsp.mkdir(host);
  }
  return host;
}

/** Whether the folder a Windows path would be created in exists (Windows does not create it). */
export async function parentExists(labDir: string, winPath: string): Promise<boolean> {
  const parsed = parseWindowsPath(winPath);
  if (parsed.segments.length === 0) return false;
  const parent = formatWindowsPath({ drive: parsed.drive, segments: parsed.segments.slice(0, -1) });
  const h = await resolveHostPath(labDir, parent);
  return h.exists && (await kindOf(h.hostPath)) === "dir";
}

/** Write a file at a Windows path (parents created), reusing existing segments case-insensitively. */
export async function writeWindowsFile(labDir: string, winPath: string, content: string | Uint8Array): Promise<string> {
  const parsed = parseWindowsPath(winPath);
  if (parsed.segments.length === 0) throw new WindowsPathError(`not a file path: ${winPath}`);
  const dirHost = await mkdirWindows(labDir, formatWindowsPath({ drive: parsed.drive, segments: parsed.segments.slice(0, -1) }));
  const name = parsed.segments[parsed.segments.length - 1];
  const existing = await findCaseInsensitive(dirHost, name);
  const host = path.join(dirHost, existing ?? name);
  await writeAtomic(host, content);
  return host;
}

/** Write via a temporary file and rename, so a reader never sees half a file. */
export async function writeAtomic(hostPath: string, content: string | Uint8Array): Promise<void> {
  const tmp = `${hostPath}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  await fsp.writeFile(tmp, content);
  await fsp.rename(tmp, hostPath);
}

/** Files below a host directory, as relative paths split into segments, in `dir /s` order (files first, then subfolders, each sorted). */
export async function listFilesRecursive(hostDir: string): Promise<string[][]> {
  const out: string[][] = [];
  const walk = async (dir: string, rel: string[]) => {
    const entries = await fsp.readdir(dir, { withFileTypes: true });
    const byName = (a: { name: string }, b: { name: string }) => compareNames(a.name, b.name);
    for (const e of entries.filter((x) => x.isFile()).sort(byName)) out.push([...rel, e.name]);
    for (const e of entries.filter((x) => x.isDirectory()).sort(byName)) await walk(path.join(dir, e.name), [...rel, e.name]);
  };
  await walk(hostDir, []);
  return out;
}

/** NTFS directory order: case-insensitive (upper-case collation). */
export function compareNames(a: string, b: string): number {
  const A = a.toUpperCase();
  const B = b.toUpperCase();
  return A < B ? -1 : A > B ? 1 : 0;
}
