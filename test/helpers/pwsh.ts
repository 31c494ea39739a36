import { spawn } from "node:child_process";
import * as os from "node:os";
import { describe, it } from "vitest";
import { findPwsh } from "../../lab/powershell/launcher";

/**
 * PowerShell 7 (`pwsh`) for the tests that need a real PowerShell parser: found on PATH, else in
 * ~/.dotnet/tools (where `dotnet tool install --global PowerShell` puts it). Suites that need it use
 * describePwsh(), which skips them when pwsh is missing - or, when WSUS_IIS_REQUIRE_PWSH=1 (CI, which
 * installs it), registers a failing test instead, the way test/ssh.test.ts treats WSUS_IIS_REQUIRE_SSH.
 */

/** CI installs PowerShell: there a missing pwsh is a failure, not a skip. */
export const requirePwsh: boolean = process.env.WSUS_IIS_REQUIRE_PWSH === "1";

/** Absolute path of pwsh: the first one on PATH, else ~/.dotnet/tools/pwsh, else null (the lab launcher's lookup). */
export const pwshPath = findPwsh;

/** Why the pwsh tests cannot run here, or null when pwsh was found. */
export function pwshUnavailable(): string | null {
  return pwshPath() === null
    ? "PowerShell 7 (pwsh) not found on PATH or in ~/.dotnet/tools; install with `dotnet tool install --global PowerShell --version 7.6.9`"
    : null;
}

/**
 * `describe` for suites that run pwsh. Without pwsh: `describe.skip` with the reason in its name, or -
 * with WSUS_IIS_REQUIRE_PWSH=1 - a suite whose one test fails with the reason.
 */
export function describePwsh(name: string, fn: () => void): void {
  const reason = pwshUnavailable();
  if (reason === null) {
    describe(name, fn);
  } else if (requirePwsh) {
    describe(name, () => {
      it("pwsh is required (WSUS_IIS_REQUIRE_PWSH=1)", () => {
        throw new Error(reason);
      });
    });
  } else {
    console.warn(`${name}: skipped: ${reason}`);
    describe.skip(`${name} (skipped: ${reason})`, fn);
  }
}

export interface PwshOptions {
  /** Written to pwsh's standard input, which is then closed (it is closed at once without it). */
  input?: string | Buffer;
  /** The whole environment (default: process.env); telemetry and the update check are turned off on top. */
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Killed (and the promise rejected) after this long; default 60 s. */
  timeoutMs?: number;
}

export interface PwshResult {
  stdout: Buffer;
  stderr: string;
  exitCode: number;
}

/** Runs `pwsh <args>` (no shell in between) and collects its output; rejects only if pwsh cannot start or times out. */
export function runPwsh(args: string[], opts: PwshOptions = {}): Promise<PwshResult> {
  const exe = pwshPath();
  if (exe === null) return Promise.reject(new Error(pwshUnavailable() ?? "pwsh not found"));
  const timeoutMs = opts.timeoutMs ?? 60_000;
  return new Promise<PwshResult>((resolve, reject) => {
    const child = spawn(exe, args, {
      cwd: opts.cwd,
      env: { ...(opts.env ?? process.env), POWERSHELL_TELEMETRY_OPTOUT: "1", POWERSHELL_UPDATECHECK: "Off" },
      stdio: ["pipe", "pipe", "pipe"],
      windowsHide: true,
    });
    const out: Buffer[] = [];
    let stderr = "";
    let settled = false;
    const timer = setTimeout(() => {
      if (settled) return;
      settled = true;
      child.kill("SIGKILL");
      reject(new Error(`pwsh ${args.join(" ")} timed out after ${timeoutMs} ms; stderr so far:\n${stderr}`));
    }, timeoutMs);
    child.stdout!.on("data", (c: Buffer) => out.push(c));
    child.stderr!.setEncoding("utf8");
    child.stderr!.on("data", (c: string) => (stderr += c));
    child.once("error", (e) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(e);
    });
    child.once("close", (code, signal) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ stdout: Buffer.concat(out), stderr, exitCode: code ?? (signal ? 128 + (os.constants.signals[signal] ?? 0) : -1) });
    });
    // pwsh may exit without reading its input: an EPIPE here is not the caller's problem
    child.stdin!.on("error", () => undefined);
    child.stdin!.end(opts.input);
  });
}
