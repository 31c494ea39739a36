import { createHash } from "node:crypto";
import { promises as fsp } from "node:fs";
import type { AgentHost, HostLock } from "../core/agent/host";
import { decodeConsoleBytes } from "../core/agent/consoleText";
import { expandEnv } from "../core/model/paths";
import { acquireApplyLock, applyLockFree } from "./applyLock";
import { listFilesRecursive, mkdirWindows, resolveHostPath, writeWindowsFile } from "./fs";
import { consoleBytes, localeOf, oemCodePage } from "./locale";
import { LabServer, type LabServerOptions } from "./shell";
import { readLabState } from "./state";
import { labAccountNames, labAclSddl, labLocalGroup, labRegistrySubkeys } from "./windowsApi";

/**
 * The lab as the TypeScript agent's host: commands go through the lab's command emulation (so a plan's
 * command lines run exactly as they would be sent to Windows) and their output through the same bytes
 * a redirected Windows console program writes (the OEM code page of the lab's locale), decoded the way
 * scripts/agent.ps1 decodes them; the Windows API calls come from lab/windowsApi.ts, like the
 * PowerShell agent's lab module; the apply lock is a lock file (lab/applyLock.ts).
 */
export class LabAgentHost implements AgentHost {
  readonly server: LabServer;
  constructor(
    readonly dir: string,
    options: LabServerOptions = {},
    server?: LabServer,
  ) {
    this.server = server ?? new LabServer(dir, options);
  }

  async run(commandLine: string) {
    const r = await this.server.run(commandLine);
    const state = await readLabState(this.dir);
    const cp = oemCodePage(localeOf(state));
    return {
      stdout: decodeConsoleBytes(consoleBytes(state, r.stdout, true), cp),
      stderr: decodeConsoleBytes(consoleBytes(state, r.stderr, true), cp),
      exitCode: r.exitCode,
    };
  }

  async environment(): Promise<Record<string, string>> {
    const state = await readLabState(this.dir);
    return { ...state.environment, COMPUTERNAME: state.computerName };
  }

  private async host(windowsPath: string) {
    const env = Object.fromEntries(Object.entries(await this.environment()).map(([k, v]) => [k.toLowerCase(), v]));
    return resolveHostPath(this.dir, expandEnv(windowsPath, env));
  }

  async readFile(windowsPath: string): Promise<Buffer | null> {
    const h = await this.host(windowsPath);
    return h.exists ? fsp.readFile(h.hostPath).catch(() => null) : null;
  }

  async writeFile(windowsPath: string, data: string | Buffer): Promise<void> {
    await writeWindowsFile(this.dir, (await this.host(windowsPath)).windowsPath, data);
  }

  async mkdir(windowsPath: string): Promise<void> {
    await mkdirWindows(this.dir, (await this.host(windowsPath)).windowsPath);
  }

  async listDir(windowsPath: string): Promise<string[] | null> {
    const h = await this.host(windowsPath);
    return h.exists ? fsp.readdir(h.hostPath).catch(() => null) : null;
  }

  async remove(windowsPath: string): Promise<void> {
    const h = await this.host(windowsPath);
    if (h.exists) await fsp.rm(h.hostPath, { force: true });
  }

  async listFiles(windowsPath: string): Promise<string[] | null> {
    const h = await this.host(windowsPath);
    if (!h.exists) return null;
    return (await listFilesRecursive(h.hostPath).catch(() => [] as string[][])).map((segs) => segs.join("\\"));
  }

  async sha256(windowsPath: string): Promise<string | null> {
    const bytes = await this.readFile(windowsPath);
    return bytes === null ? null : createHash("sha256").update(bytes).digest("hex");
  }

  async aclSddl(windowsPath: string) {
    return labAclSddl(this.dir, (await this.host(windowsPath)).windowsPath);
  }

  localGroup(sid: string) {
    return labLocalGroup(this.dir, sid);
  }

  accountNames(sids: readonly string[]) {
    return labAccountNames(this.dir, sids);
  }

  registrySubkeys(key: string) {
    return labRegistrySubkeys(this.dir, key);
  }

  lock(timeoutMs: number): Promise<HostLock | null> {
    return acquireApplyLock(this.dir, timeoutMs);
  }

  lockFree(): Promise<boolean> {
    return applyLockFree(this.dir);
  }

  async info() {
    const locale = localeOf(await readLabState(this.dir));
    return { powershell: "lab (TypeScript agent)", culture: locale, oemCodePage: oemCodePage(locale) };
  }
}
