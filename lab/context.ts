import { promises as fsp } from "node:fs";
import { absoluteWindowsPath, kindOf, resolveHostPath } from "./fs";
import { envOf, type LabState, readLabState, writeLabState } from "./state";
import { expandVariables } from "./cmdline";

/** Windows console line ending: every emulated command prints CRLF. */
export const NL = "\r\n";

export interface CommandResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

export function ok(stdout = ""): CommandResult {
  return { stdout, stderr: "", exitCode: 0 };
}

export function fail(exitCode: number, stderr: string, stdout = ""): CommandResult {
  return { stdout, stderr, exitCode };
}

/** Join lines with CRLF and end with one. */
export function lines(...ls: string[]): string {
  return ls.map((l) => l + NL).join("");
}

/** What one command sees: the lab directory, the current directory, lab.json (read once, saved when changed). */
export class LabContext {
  private stateCache: LabState | null = null;
  private dirty = false;
  /** %ERRORLEVEL% within one command line: the exit code of the last command run (`if errorlevel N`). */
  errorlevel = 0;

  constructor(
    readonly dir: string,
    readonly cwd: string,
  ) {}

  async state(): Promise<LabState> {
    if (!this.stateCache) this.stateCache = await readLabState(this.dir);
    return this.stateCache;
  }

  markDirty(): void {
    this.dirty = true;
  }

  async flush(): Promise<void> {
    if (this.dirty && this.stateCache) await writeLabState(this.dir, this.stateCache);
    this.dirty = false;
  }

  async expand(text: string): Promise<string> {
    const env = envOf(await this.state());
    return expandVariables(text, (n) => env.get(n.toLowerCase()));
  }

  /**
   * An absolute Windows path for a path argument, relative to the current directory. No %VAR%
   * expansion: cmd.exe already expanded the command line, and programs do not expand again.
   */
  async abs(p: string): Promise<string> {
    return absoluteWindowsPath(p, this.cwd);
  }

  /** A path written with %VARS% by the lab itself (e.g. %windir%\System32\inetsrv\config), expanded. */
  async sys(p: string): Promise<string> {
    return this.abs(await this.expand(p));
  }

  async host(winPath: string): Promise<{ hostPath: string; exists: boolean; windowsPath: string; kind: "file" | "dir" | null }> {
    const r = await resolveHostPath(this.dir, await this.abs(winPath));
    return { ...r, kind: r.exists ? await kindOf(r.hostPath) : null };
  }
}

/** Decode file bytes: UTF-16LE (with or without BOM, detected by NULs), else UTF-8 (a BOM is kept as U+FEFF). */
export function decodeText(buf: Buffer): string {
  if (buf.length >= 2 && buf[0] === 0xff && buf[1] === 0xfe) return buf.subarray(2).toString("utf16le");
  if (buf.length >= 4 && buf[1] === 0 && buf[3] === 0 && buf[0] !== 0) return buf.toString("utf16le");
  return buf.toString("utf8");
}
