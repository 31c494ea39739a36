import { quoteArg } from "../commands/quote";
import { expandEnv } from "../model/paths";
import { EVIDENCE_SCHEMA_ID, type Evidence } from "../evidence/schema";
import { APPCMD } from "../plan/render";
import type { AgentHost } from "./host";
import { AgentRequest, type AgentResponse, type ApplyParams, type ApplyResponse, type CollectParams, type CommandResult } from "./protocol";

/**
 * The agent's logic in TypeScript: what scripts/agent.ps1 does on Windows, run against an AgentHost
 * (the lab). Both follow core/agent/protocol.ts, and every change goes through the same command lines
 * the plan carries.
 */
export const APPHOST_PATH = "%windir%\\System32\\inetsrv\\config\\applicationHost.config";

/** %VARS% of the server's environment (names case-insensitive, as on Windows). */
export const expand = (p: string, env: Record<string, string>) =>
  expandEnv(p, Object.fromEntries(Object.entries(env).map(([k, v]) => [k.toLowerCase(), v])));

/** The read commands of a collect, in the order they run (the lab's benchmarks and tests list them). */
export function collectCommands(params: CollectParams, configPath: string): string[] {
  return [
    "hostname",
    `type ${quoteArg(configPath)}`,
    ...params.aclPaths.map((p) => `icacls ${quoteArg(p)}`),
    ...params.groups.map((g) => `net localgroup ${quoteArg(g)}`),
    ...params.fileDirs.map((d) => `dir /s /b /a-d ${quoteArg(d)}`),
  ];
}

export async function collect(host: AgentHost, params: CollectParams): Promise<{ evidence: Evidence; configHash: string }> {
  const env = await host.environment();
  const configPath = expand(APPHOST_PATH, env);
  // Hash before reading (as agent.ps1 does): an edit after the read changes the file's hash, so the
  // apply's drift guard refuses it; hashing after the other reads would bless an edit the plan never saw.
  const configHash = (await host.sha256(configPath)) ?? "";
  const hostname = await host.run("hostname");
  const config = await host.run(`type ${quoteArg(configPath)}`);
  if (config.exitCode !== 0) throw new Error(`cannot read ${configPath}: ${(config.stderr || config.stdout).trim()}`);
  const evidence: Evidence = {
    schema: EVIDENCE_SCHEMA_ID,
    computerName: hostname.stdout.trim() || undefined,
    collectedAt: new Date().toISOString(),
    applicationHostConfig: config.stdout,
    acls: {},
    localGroups: {},
    files: {},
    environment: env,
  };
  for (const path of params.aclPaths) {
    const r = await host.run(`icacls ${quoteArg(path)}`);
    if (r.exitCode === 0) evidence.acls![path] = r.stdout;
  }
  for (const group of params.groups) {
    const r = await host.run(`net localgroup ${quoteArg(group)}`);
    if (r.exitCode === 0) evidence.localGroups![group] = r.stdout;
  }
  for (const dir of params.fileDirs) {
    const r = await host.run(`dir /s /b /a-d ${quoteArg(dir)}`);
    // "File Not Found" (exit 1) is an empty folder or a missing one: no files either way.
    const prefix = dir.replace(/\\+$/, "").toLowerCase() + "\\";
    evidence.files![dir] =
      r.exitCode === 0
        ? r.stdout
            .split(/\r?\n/)
            .map((l) => l.trim())
            .filter((l) => l.toLowerCase().startsWith(prefix))
            .map((l) => l.slice(prefix.length))
        : [];
  }
  const sp = await host.sharePoint();
  if (sp) evidence.sharePoint = sp;
  return { evidence, configHash };
}

async function runLogged(host: AgentHost, index: number, command: string): Promise<CommandResult> {
  const r = await host.run(command);
  return { index, command, exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr };
}

export async function apply(host: AgentHost, params: ApplyParams): Promise<ApplyResponse> {
  const env = await host.environment();
  const configPath = expand(APPHOST_PATH, env);
  const before = await host.sha256(configPath);
  const base = { op: "apply" as const, results: [] as CommandResult[], rollback: [] as CommandResult[], failed: null as CommandResult | null };
  const finish = async (status: ApplyResponse["status"], backupName: string | null): Promise<ApplyResponse> => {
    const after = await collect(host, params.collect);
    return { ...base, ok: status === "applied", status, backupName, configHash: after.configHash, evidence: after.evidence };
  };
  if (before !== params.expectedConfigHash) return finish("refused-drift", null);

  // Guards first: nothing is changed unless every backup was taken.
  const tempDir = `${expand("%windir%", env)}\\Temp`;
  const aclSaves = params.aclPaths.map((path, i) => ({ path, file: `${tempDir}\\${params.backupName}-acl-${i}.txt` }));
  const guards: CommandResult[] = [];
  if (params.touchesIis) guards.push(await runLogged(host, 0, `${APPCMD} add backup ${quoteArg(params.backupName)}`));
  for (const s of aclSaves) guards.push(await runLogged(host, 0, `icacls ${quoteArg(s.path)} /save ${quoteArg(s.file)}`));
  const badGuard = guards.find((g) => g.exitCode !== 0);
  base.results.push(...guards);
  if (badGuard) {
    base.failed = badGuard;
    return finish("rolled-back", params.touchesIis ? params.backupName : null);
  }

  for (const step of params.steps) {
    const r = await runLogged(host, step.index, step.command);
    base.results.push(r);
    if (r.exitCode !== 0) {
      base.failed = r;
      // Restore everything the plan could have touched, in reverse order of risk.
      const rollback: string[] = [];
      if (params.touchesIis) rollback.push(`${APPCMD} restore backup ${quoteArg(params.backupName)}`);
      for (const s of aclSaves) rollback.push(`icacls ${quoteArg(parentOf(s.path))} /restore ${quoteArg(s.file)}`);
      for (const g of params.groupAdds.filter((x) => x.index < step.index)) {
        rollback.push(`net localgroup ${quoteArg(g.group)} ${quoteArg(g.member)} /delete`);
      }
      for (const cmd of rollback) base.rollback.push(await runLogged(host, 0, cmd));
      const ok = base.rollback.every((x) => x.exitCode === 0);
      return finish(ok ? "rolled-back" : "rollback-failed", params.touchesIis ? params.backupName : null);
    }
  }
  return finish("applied", params.touchesIis ? params.backupName : null);
}

function parentOf(path: string): string {
  const trimmed = path.replace(/\\+$/, "");
  const i = trimmed.lastIndexOf("\\");
  return i <= 2 ? trimmed.slice(0, 3) : trimmed.slice(0, i);
}

/** Entry: one request in, one response out. */
export async function handle(host: AgentHost, request: unknown): Promise<AgentResponse> {
  const req = AgentRequest.parse(request);
  if (req.op === "collect") {
    const { evidence, configHash } = await collect(host, req.params);
    return { op: "collect", ok: true, configHash, evidence };
  }
  return apply(host, req.params);
}
