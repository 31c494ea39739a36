import { parseApplicationHostConfig } from "../evidence/applicationHost";
import { parseAppcmdList } from "../evidence/runtime";
import { expandEnv } from "../model/paths";
import { APPCMD } from "../plan/render";
import { readAllText } from "../text/decode";
import { EVIDENCE_SCHEMA_V2, type EvidenceV2 } from "../evidence/schema";
import { HostDied, type AgentHost } from "./host";
import {
  AgentRequest,
  type AgentAnswer,
  type ApplyParams,
  type ApplyResponse,
  type ApplyStatus,
  type CollectParams,
  type CollectResponse,
  type CommandResult,
  type JournalEntry,
} from "./protocol";

/**
 * The agent in TypeScript: what scripts/agent.ps1 does, for the lab (`lab:` targets and `wsus-iis lab
 * agent`), run against an AgentHost. The two are kept identical by test/agent-conformance.test.ts, which
 * sends the same requests through both and compares the command lines run and the answers. Read the
 * PowerShell agent for the reasons behind each step; the order of operations here follows it line by line.
 */

export const AGENT_VERSION = "2";
export const APPHOST_PATH = "%windir%\\System32\\inetsrv\\config\\applicationHost.config";
const SHAREPOINT_KEY = "HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Shared Tools\\Web Server Extensions";
const JOURNAL_KEEP = 20;
const JOURNAL_REPORTED = 5;

/**
 * The runtime state of sites and application pools (issue 13): two constant, read-only command lines,
 * the same two as scripts/agent.ps1's $script:SitesXmlLine and $script:AppPoolsXmlLine (where the /xml
 * output's shape is sourced). Their raw output is the evidence's `runtime` (core/evidence/runtime.ts).
 */
export const RUNTIME_COMMANDS = {
  sitesXml: `${APPCMD} list site /xml`,
  appPoolsXml: `${APPCMD} list apppool /xml`,
} as const;

/** web.config files read for the health rules: at most this many folders, none larger than this (left out: unknown). */
export const WEB_CONFIG_MAX_FOLDERS = 500;
export const WEB_CONFIG_MAX_BYTES = 1024 * 1024;

/** %VARS% of the server's environment (names case-insensitive, as on Windows). */
export const expand = (p: string, env: Record<string, string>) =>
  expandEnv(p, Object.fromEntries(Object.entries(env).map(([k, v]) => [k.toLowerCase(), v])));

/** `%ProgramData%\wsus-iis`: journals and ACL saves (Get-WsusStateDir). */
export function stateDir(env: Record<string, string>): string {
  const e = Object.fromEntries(Object.entries(env).map(([k, v]) => [k.toLowerCase(), v]));
  return `${e.programdata ?? `${e.systemdrive ?? "C:"}\\ProgramData`}\\wsus-iis`;
}

/** .NET's StringComparer.OrdinalIgnoreCase order, as the PowerShell agent sorts file lists. */
export function ordinalIgnoreCase(a: string, b: string): number {
  const x = a.toUpperCase();
  const y = b.toUpperCase();
  return x < y ? -1 : x > y ? 1 : 0;
}

/** The first non-blank line of the texts, trimmed of spaces and tabs, at most 200 characters (Get-WsusFirstLine). */
export function firstLine(...texts: string[]): string {
  for (const t of texts) {
    for (const l of t.split(/\r?\n/)) {
      const s = l.replace(/^[ \t]+|[ \t]+$/g, "");
      if (s !== "") return s.length > 200 ? s.slice(0, 200) : s;
    }
  }
  return "";
}

/** Whether appcmd's output is what core/evidence/runtime.ts parses: well-formed XML under <appcmd> (Test-WsusAppcmdXml). */
function isAppcmdXml(text: string, element: "SITE" | "APPPOOL"): boolean {
  try {
    parseAppcmdList(text, element, "runtime");
    return true;
  } catch {
    return false;
  }
}

/** One runtime list: the raw output, or null with a note (Read-WsusAppcmdXml). */
async function readAppcmdXml(host: AgentHost, line: string, element: "SITE" | "APPPOOL", notes: string[]): Promise<string | null> {
  const r = await host.run(line);
  let why: string | null = null;
  if (r.exitCode !== 0) why = `exited ${r.exitCode}`;
  else if (!isAppcmdXml(r.stdout, element)) why = "printed no appcmd XML";
  if (why === null) return r.stdout;
  const detail = firstLine(r.stderr, r.stdout);
  notes.push(`runtime state not read, the health rules on it say unknown: ${line} ${why}${detail !== "" ? `: ${detail}` : ""}`);
  return null;
}

/** Both lists, or null when either was not read (Get-WsusRuntime). */
async function readRuntime(host: AgentHost, notes: string[]): Promise<EvidenceV2["runtime"]> {
  const sitesXml = await readAppcmdXml(host, RUNTIME_COMMANDS.sitesXml, "SITE", notes);
  const appPoolsXml = await readAppcmdXml(host, RUNTIME_COMMANDS.appPoolsXml, "APPPOOL", notes);
  return sitesXml === null || appPoolsXml === null ? undefined : { sitesXml, appPoolsXml };
}

/**
 * The web.config of one folder applicationHost.config maps (Read-WsusWebConfig): `{ value }` (null: the
 * folder has no web.config), or null with a note when it was not read. Only `<folder>\web.config`.
 */
async function readWebConfig(host: AgentHost, folder: string, env: Record<string, string>, notes: string[]): Promise<{ value: string | null } | null> {
  const dir = expand(folder, env).replace(/\//g, "\\");
  let why: string;
  if (!/^[A-Za-z]:\\/.test(dir)) why = "not a local path";
  else if (/(^|\\)\.{1,2}(\\|$)/.test(dir)) why = "a relative path segment";
  else {
    try {
      const names = await host.listDir(dir);
      const name = names?.find((n) => ordinalIgnoreCase(n, "web.config") === 0);
      if (name === undefined) return { value: null };
      const bytes = await host.readFile(`${dir.replace(/\\+$/, "")}\\${name}`);
      if (bytes === null) return { value: null };
      if (bytes.length <= WEB_CONFIG_MAX_BYTES) return { value: readAllText(bytes) };
      why = "larger than 1 MiB";
    } catch (e) {
      if (e instanceof HostDied) throw e;
      why = e instanceof Error ? e.message : String(e);
    }
  }
  notes.push(`web.config not read in ${folder}, impersonation there is unknown: ${why}`);
  return null;
}

/**
 * Every distinct folder the sites' applications and virtual directories map, keyed as
 * applicationHost.config writes it (Get-WsusWebConfigs): the core parser's sites, applications and
 * virtual directories, in document order.
 */
async function readWebConfigs(host: AgentHost, config: string, env: Record<string, string>, notes: string[]): Promise<EvidenceV2["webConfigs"]> {
  let sites;
  try {
    sites = parseApplicationHostConfig(config).sites;
  } catch {
    notes.push("web.config files not read: applicationHost.config does not parse");
    return undefined;
  }
  const seen = new Set<string>();
  const out: Record<string, string | null> = {};
  let over = 0;
  for (const site of sites) {
    for (const app of site.applications) {
      for (const v of app.virtualDirectories) {
        const folder = v.physicalPath;
        const key = folder.toUpperCase();
        if (folder === "" || seen.has(key)) continue;
        seen.add(key);
        if (seen.size > WEB_CONFIG_MAX_FOLDERS) {
          over++;
          continue;
        }
        const read = await readWebConfig(host, folder, env, notes);
        if (read !== null) out[folder] = read.value;
      }
    }
  }
  if (over > 0) notes.push(`web.config not read in ${over} more folder(s), at most ${WEB_CONFIG_MAX_FOLDERS} are read: impersonation there is unknown`);
  return out;
}

async function evidenceOf(host: AgentHost, params: CollectParams): Promise<{ configHash: string; evidence: EvidenceV2; notes: string[] }> {
  const env = await host.environment();
  const configPath = expand(APPHOST_PATH, env);
  const configHash = await host.sha256(configPath);
  const bytes = await host.readFile(configPath);
  if (configHash === null || bytes === null) throw new Error(`Cannot find path '${configPath}' because it does not exist.`);
  // [IO.File]::ReadAllText: BOM-detected, the BOM itself dropped
  const applicationHostConfig = readAllText(bytes);
  const notes: string[] = [];
  const runtime = params.health ? await readRuntime(host, notes) : undefined;
  const webConfigs = params.health ? await readWebConfigs(host, applicationHostConfig, env, notes) : undefined;
  const acls: NonNullable<EvidenceV2["acls"]> = {};
  const sids: string[] = [];
  for (const p of params.aclPaths) {
    const sddl = await host.aclSddl(p);
    if (sddl === null) continue;
    acls[p] = { sddl };
    for (const m of sddl.matchAll(/S-1-[0-9]+(-[0-9]+)+/g)) if (!sids.includes(m[0])) sids.push(m[0]);
  }
  const accounts = sids.length > 0 ? await host.accountNames(sids) : {};
  const localGroups: NonNullable<EvidenceV2["localGroups"]> = {};
  for (const sid of params.groups) {
    const g = await host.localGroup(sid);
    if (g) localGroups[sid] = g;
  }
  const files: NonNullable<EvidenceV2["files"]> = {};
  for (const d of params.fileDirs) files[d] = [...((await host.listFiles(d)) ?? [])].sort(ordinalIgnoreCase);
  const wss = (await host.registrySubkeys(SHAREPOINT_KEY)).filter((k) => /^\d+\.\d+$/.test(k));
  const info = await host.info();
  const get = (name: string) => Object.entries(env).find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1];
  const environment: Record<string, string> = {};
  for (const k of ["SystemDrive", "SystemRoot", "windir", "ProgramFiles", "ProgramData"]) {
    const v = get(k);
    if (v !== undefined) environment[k] = v;
  }
  return {
    configHash,
    notes,
    evidence: {
      schema: EVIDENCE_SCHEMA_V2,
      computerName: get("COMPUTERNAME"),
      collectedAt: new Date().toISOString(),
      applicationHostConfig,
      acls,
      accounts,
      localGroups,
      files,
      sharePoint: wss.length > 0 ? { installed: true } : { installed: false, excludedPaths: [] },
      environment,
      agent: { version: AGENT_VERSION, ...info },
      ...(runtime ? { runtime } : {}),
      ...(webConfigs ? { webConfigs } : {}),
    },
  };
}

// ---- journal (Write-WsusJournal / Get-WsusJournal) ----

interface JournalFile {
  schema: "wsus-iis/journal@1";
  backupName: string;
  state: "running" | "finished";
  status: ApplyStatus | "agent-error" | null;
  startedAt: string;
  finishedAt: string | null;
  stepsRun: number;
  stepsTotal: number;
}

async function writeJournal(host: AgentHost, env: Record<string, string>, entry: JournalFile): Promise<void> {
  const dir = `${stateDir(env)}\\journal`;
  await host.mkdir(dir);
  await host.writeFile(`${dir}\\${entry.backupName}.json`, JSON.stringify(entry));
}

async function readJournal(host: AgentHost, env: Record<string, string>, lockHeldByUs: boolean): Promise<JournalEntry[]> {
  const dir = `${stateDir(env)}\\journal`;
  const names = (await host.listDir(dir)) ?? [];
  const entries: JournalFile[] = [];
  for (const n of names.filter((x) => x.toLowerCase().endsWith(".json"))) {
    try {
      entries.push(JSON.parse((await host.readFile(`${dir}\\${n}`))!.toString("utf8")) as JournalFile);
    } catch {
      /* a torn or foreign file: skipped, as the PowerShell agent does */
    }
  }
  entries.sort((a, b) => (a.startedAt < b.startedAt ? 1 : a.startedAt > b.startedAt ? -1 : 0));
  const someoneRunning = entries.some((e) => e.state === "running") && !lockHeldByUs ? !(await host.lockFree()) : false;
  for (const old of entries.slice(JOURNAL_KEEP)) await host.remove(`${dir}\\${old.backupName}.json`);
  return entries.slice(0, JOURNAL_REPORTED).map((e) => ({
    backupName: e.backupName,
    state: e.state === "running" && !someoneRunning ? "interrupted" : e.state,
    status: e.status,
    startedAt: e.startedAt,
    finishedAt: e.finishedAt,
    stepsRun: e.stepsRun,
    stepsTotal: e.stepsTotal,
  }));
}

// ---- operations ----

export async function collect(host: AgentHost, params: CollectParams): Promise<CollectResponse> {
  const env = await host.environment();
  const journal = await readJournal(host, env, false);
  const read = await evidenceOf(host, params);
  return { op: "collect", ok: true, configHash: read.configHash, evidence: read.evidence, journal, notes: read.notes };
}

/**
 * Exit codes that mean success: 0, and Windows Installer's "success, restart required / initiated"
 * (3010, 1641: "The error codes ERROR_SUCCESS, ERROR_SUCCESS_REBOOT_INITIATED, and
 * ERROR_SUCCESS_REBOOT_REQUIRED are indicative of success", MsiExec.exe error messages).
 */
export const SUCCESS_CODES = [0, 1641, 3010];
const REBOOT_CODES = [1641, 3010];

async function runLogged(host: AgentHost, index: number, command: string): Promise<CommandResult> {
  const r = await host.run(command);
  return { index, command, exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr };
}

export async function apply(host: AgentHost, a: ApplyParams): Promise<ApplyResponse> {
  const env = await host.environment();
  const configPath = expand(APPHOST_PATH, env);
  const results: CommandResult[] = [];
  const rollback: CommandResult[] = [];
  const notes: string[] = [];
  const complete = async (status: ApplyStatus, backupName: string | null, failed: CommandResult | null, journal: JournalEntry[]): Promise<ApplyResponse> => {
    const read = await evidenceOf(host, a.collect);
    notes.push(...read.notes);
    const rebootRequired = results.some((r) => r.index > 0 && REBOOT_CODES.includes(r.exitCode));
    return { op: "apply", ok: status === "applied", status, backupName, results, failed, rollback, notes, rebootRequired, configHash: read.configHash, evidence: read.evidence, journal };
  };

  const lock = await host.lock(a.lockTimeoutMs);
  try {
    if (lock?.abandoned) notes.push("the previous holder of Global\\wsus-iis ended without releasing it (an interrupted apply)");
    const journal = await readJournal(host, env, lock !== null);
    if (!lock) return await complete("refused-busy", null, null, journal);
    if ((await host.sha256(configPath)) !== a.expectedConfigHash) return await complete("refused-drift", null, null, journal);
    await host.mkdir(stateDir(env));
    const entry: JournalFile = {
      schema: "wsus-iis/journal@1",
      backupName: a.backupName,
      state: "running",
      status: null,
      startedAt: new Date().toISOString(),
      finishedAt: null,
      stepsRun: 0,
      stepsTotal: a.steps.length,
    };
    await writeJournal(host, env, entry);
    let backup: string | null = null;
    let failed: CommandResult | null = null;
    let status: ApplyStatus;
    try {
      for (const g of a.guards) {
        const r = await runLogged(host, 0, g.command);
        results.push(r);
        if (r.exitCode !== 0) {
          failed = r;
          break;
        }
        if (g.kind === "iis-backup") backup = a.backupName;
      }
      // Someone else's edit during the apply: a hash that is not the one this apply's own last command left.
      let lastHash = await host.sha256(configPath);
      let foreignEdit = false;
      if (!failed) {
        for (const step of a.steps) {
          const beforeStep = await host.sha256(configPath);
          if (beforeStep !== lastHash) foreignEdit = true;
          const r = await runLogged(host, step.index, step.command);
          results.push(r);
          lastHash = await host.sha256(configPath);
          // a failing command writes nothing: a file changed across one was changed by someone else
          const ok = SUCCESS_CODES.includes(r.exitCode);
          if (!ok && lastHash !== beforeStep) foreignEdit = true;
          entry.stepsRun++;
          await writeJournal(host, env, entry);
          if (!ok) {
            failed = r;
            break;
          }
        }
      }
      if (!failed) status = "applied";
      else if (failed.index === 0) status = "rolled-back";
      else {
        for (const u of a.rollback) {
          if (u.kind === "iis-restore" && (foreignEdit || (await host.sha256(configPath)) !== lastHash)) {
            notes.push(`applicationHost.config changed during the apply, not by it: backup ${a.backupName} was not restored`);
            rollback.push({ index: 0, command: u.command, exitCode: -1, stdout: "", stderr: "skipped: applicationHost.config changed by someone else during the apply" });
            continue;
          }
          if (u.kind === "group-undo" && u.afterStep >= failed.index) continue;
          rollback.push(await runLogged(host, 0, u.command));
        }
        status = rollback.every((x) => x.exitCode === 0) ? "rolled-back" : "rollback-failed";
      }
      Object.assign(entry, { state: "finished", status, finishedAt: new Date().toISOString() });
      await writeJournal(host, env, entry);
    } catch (e) {
      if (e instanceof HostDied) throw e;
      Object.assign(entry, { state: "finished", status: "agent-error", finishedAt: new Date().toISOString() });
      await writeJournal(host, env, entry).catch(() => undefined);
      throw e;
    }
    return await complete(status, backup, failed, journal);
  } finally {
    await lock?.release();
  }
}

/** Entry: one request in, one answer out. */
export async function handle(host: AgentHost, request: unknown): Promise<AgentAnswer> {
  const req = AgentRequest.parse(request);
  return req.op === "collect" ? collect(host, req.params) : apply(host, req.params);
}
