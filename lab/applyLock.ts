import { randomBytes } from "node:crypto";
import { promises as fsp } from "node:fs";
import * as path from "node:path";
import type { HostLock } from "../core/agent/host";
import { confineToLab, processAlive } from "./fs";

/**
 * The lab's apply lock, for the TypeScript agent: what the named mutex `Global\wsus-iis` is to
 * scripts/agent.ps1 on Windows, across processes. A file `DIR/.host/apply.lock` created exclusively
 * (O_EXCL) holding the owner's pid; a lock whose process is gone is abandoned, like a mutex whose
 * holder died (the next holder is told, as .NET's AbandonedMutexException tells the agent).
 *
 * (The PowerShell agent in the lab takes the real named mutex, which .NET keeps machine-wide in
 * /tmp/.dotnet/shm on Linux, dotnet/runtime #49822; the two agents do not exclude each other.)
 */
const POLL_MS = 25;

function lockPath(dir: string): string {
  return path.join(path.resolve(dir), ".host", "apply.lock");
}

const alive = processAlive;

async function holder(file: string): Promise<{ pid: number; token: string } | null> {
  try {
    const parsed = JSON.parse(await fsp.readFile(file, "utf8")) as { pid?: unknown; token?: unknown };
    return typeof parsed.pid === "number" && typeof parsed.token === "string" ? { pid: parsed.pid, token: parsed.token } : null;
  } catch {
    return null;
  }
}

export async function acquireApplyLock(dir: string, timeoutMs: number): Promise<HostLock | null> {
  const file = lockPath(dir);
  await fsp.mkdir(path.dirname(file), { recursive: true });
  await confineToLab(dir, file); // a .host symlinked out of the lab is refused like every other lab path
  const token = randomBytes(8).toString("hex");
  const end = Date.now() + timeoutMs;
  let abandoned = false;
  for (;;) {
    try {
      const fh = await fsp.open(file, "wx");
      await fh.writeFile(JSON.stringify({ pid: process.pid, token }));
      await fh.close();
      return {
        abandoned,
        async release() {
          if ((await holder(file))?.token === token) await fsp.rm(file, { force: true });
        },
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    }
    const h = await holder(file);
    // A holder that died (or a half-written file from one) abandons the lock.
    if (!h || !alive(h.pid)) {
      if (!h) await new Promise((r) => setTimeout(r, POLL_MS)); // give a fresh writer time to fill it
      const again = await holder(file);
      if (!again || !alive(again.pid)) {
        await fsp.rm(file, { force: true });
        abandoned = true;
        continue;
      }
    }
    if (Date.now() >= end) return null;
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

export async function applyLockFree(dir: string): Promise<boolean> {
  const h = await holder(lockPath(dir));
  return !h || !alive(h.pid);
}
