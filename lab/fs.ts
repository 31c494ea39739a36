import { randomBytes } from "node:crypto";
import { promises as fsp } from "node:fs";
import * as path from "node:path";

/**
 * The lab's drives: Windows path `C:\Program Files\x` <-> `DIR/C/Program Files/x`. Lookups are
 * case-insensitive like NTFS (each segment is matched against the directory listing); new entries
 * are created with the case given.
 */

/**
 * An error of the lab's own code (bad lab folder, bad lab.json, a path the lab refuses), shown to the
 * user as one line. Defined here rather than in state.ts (which re-exports it) so the file layer can
 * raise it without an import cycle.
 */
export class LabError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "LabError";
  }
}

/**
 * A lab path whose real location (symlinks followed) is outside the lab folder: the lab neither
 * reads nor writes there. Commands answer it as Windows answers a path it may not use
 * ("Access is denied.", lab/shell.ts); the lab's own code lets it through as a LabError.
 */
export class OutsideLabError extends LabError {
  constructor(
    /** The path as the caller named it (the Windows path when there is one). */
    readonly shown: string,
    /** Where it really leads, or why that cannot be told. */
    readonly realPath: string,
    readonly labRoot: string,
  ) {
    super(`${shown} leads outside the lab folder ${labRoot} (to ${realPath}); the lab reads and writes only inside its folder`);
    this.name = "OutsideLabError";
  }
}

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
  // the deepest entry that exists (a symlink, dangling or not, counts): below it nothing can be a symlink
  let deepest = host;
  const actual: string[] = [];
  for (const seg of parsed.segments) {
    if (exists) {
      const match = await findCaseInsensitive(host, seg);
      if (match !== null) {
        host = deepest = path.join(host, match);
        actual.push(match);
        continue;
      }
      exists = false;
    }
    host = path.join(host, seg);
    actual.push(seg);
  }
  const windowsPath = formatWindowsPath({ drive: parsed.drive, segments: actual });
  // Every lab read and write finds its host path here: this is where the lab is kept in its folder.
  await confineToLab(labDir, deepest, windowsPath);
  return { hostPath: host, exists, windowsPath };
}

// Linux follows at most 40 symlinks in one lookup (ELOOP beyond): so does realPathOf.
const MAX_SYMLINKS = 40;

/**
 * Where a path really is, symlinks followed, even when its tail does not exist yet (a file about to
 * be created): the real path of its deepest existing entry, plus the missing rest. A dangling
 * symlink counts by where it points, since a write through it would land there.
 */
async function realPathOf(p: string, links = 0): Promise<string> {
  // the common case, an existing path, in one call (every lab lookup comes here)
  const whole = await fsp.realpath(p).catch(() => null);
  if (whole !== null) return whole;
  const missing: string[] = [];
  let cur = path.resolve(p);
  while (!(await lexists(cur))) {
    const parent = path.dirname(cur);
    if (parent === cur) break;
    missing.unshift(path.basename(cur));
    cur = parent;
  }
  try {
    return path.join(await fsp.realpath(cur), ...missing);
  } catch (e) {
    if (links >= MAX_SYMLINKS) throw e;
    const target = await fsp.readlink(cur); // throws unless cur is a symlink (dangling, or in a loop)
    return realPathOf(path.join(path.resolve(path.dirname(cur), target), ...missing), links + 1);
  }
}

async function lexists(p: string): Promise<boolean> {
  try {
    await fsp.lstat(p);
    return true;
  } catch {
    return false;
  }
}

/**
 * Refuse a host path of the lab in `labDir` that really leads outside it (a symlink inside the lab to
 * /etc or ~): throws OutsideLabError naming `shown` (default: the host path).
 */
export async function confineToLab(labDir: string, hostPath: string, shown: string = hostPath): Promise<void> {
  const root = await realPathOf(labDir);
  let real: string;
  try {
    real = await realPathOf(hostPath);
  } catch (e) {
    throw new OutsideLabError(shown, `a symlink that cannot be followed: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, root);
  }
  const prefix = root.endsWith(path.sep) ? root : root + path.sep;
  if (real !== root && !real.startsWith(prefix)) throw new OutsideLabError(shown, real, root);
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
  // resolveHostPath has checked that the deepest existing folder is really in the lab, so what is
  // created below it is too
  const h = await resolveHostPath(labDir, winPath);
  if (!h.exists) await fsp.mkdir(h.hostPath, { recursive: true });
  return h.hostPath;
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
  // the folder is really in the lab (mkdirWindows); a file already there may be a symlink out of it
  if (existing !== null) await confineToLab(labDir, host, winPath);
  await writeAtomic(host, content);
  return host;
}

// ---- atomic writes and their temp files ----

/**
 * The name of every temp file the lab writes: `<file>.wsus-iis-<pid>-<16 hex>.tmp`, next to the file
 * (a rename is atomic only within one file system). The pid tells a stale one (its writer is gone,
 * e.g. killed mid-write) from one being written now.
 */
const TEMP_FILE = /^.+\.wsus-iis-(\d+)-[0-9a-f]{16}\.tmp$/;

function tempPathFor(hostPath: string): string {
  return `${hostPath}.wsus-iis-${process.pid}-${randomBytes(8).toString("hex")}.tmp`;
}

/** The pid of the writer of a lab temp file, or null for any other name. */
export function labTempFileWriter(name: string): number | null {
  const m = TEMP_FILE.exec(name);
  return m ? Number(m[1]) : null;
}

/** Write via a temporary file and rename, so a reader never sees half a file. */
export async function writeAtomic(hostPath: string, content: string | Uint8Array): Promise<void> {
  const tmp = tempPathFor(hostPath);
  // "wx": never through something already there under that name (a planted symlink)
  const fh = await fsp.open(tmp, "wx");
  try {
    try {
      await fh.writeFile(content);
    } finally {
      await fh.close();
    }
    await fsp.rename(tmp, hostPath);
  } catch (e) {
    // the temp file is ours: a write that fails (a full disk, a folder in the way) leaves nothing behind
    await fsp.rm(tmp, { force: true });
    throw e;
  }
}

/** Whether a process still exists (signal 0; EPERM means it exists under another user). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Remove the temp files of writers that died mid-write (SIGKILL, a crash) anywhere in the lab: only
 * names of the lab's own pattern whose process is gone, never anything else. Symlinks are not
 * followed. Best effort: a temp file that cannot be removed only costs space, so errors are ignored.
 */
export async function removeStaleTempFiles(labDir: string): Promise<string[]> {
  const removed: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    const entries = await fsp.readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const e of entries) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile() && isStale(e.name)) await fsp.rm(p, { force: true }).then(() => removed.push(p), () => undefined);
    }
  };
  await walk(labDir);
  return removed;
}

function isStale(name: string): boolean {
  const pid = labTempFileWriter(name);
  return pid !== null && pid !== process.pid && !processAlive(pid);
}

// Once per lab per process: a process opening a lab is a start-up; sweeping at every command would
// walk the whole lab each time.
const swept = new Map<string, Promise<unknown>>();

/** removeStaleTempFiles, the first time this process opens the lab in `labDir`. */
export function removeStaleTempFilesOnce(labDir: string): Promise<unknown> {
  const key = path.resolve(labDir);
  let done = swept.get(key);
  if (!done) {
    done = removeStaleTempFiles(key);
    swept.set(key, done);
  }
  return done;
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
