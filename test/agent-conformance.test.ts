import { promises as fsp } from "node:fs";
import * as path from "node:path";
import { afterAll, expect, it } from "vitest";
import type { AgentAnswer, AgentRequest } from "../core/agent/protocol";
import { RUNTIME_COMMANDS } from "../core/agent/runner";
import { resolveLayout } from "../core/model/layout";
import type { Spec } from "../core/model/spec";
import { plan as makePlan } from "../core/plan/planner";
import { stateFromEvidence } from "../core/state/fromEvidence";
import type { Break } from "../lab/create";
import { linuxExitCode } from "../lab/exitCode";
import type { Locale } from "../lab/locale";
import { readLabState, writeLabState } from "../lab/state";
import { applyParams, collectParams } from "../ops/params";
import { LabTransport } from "../transports/lab";
import { brokenLab, cloneLab, removeTempDirs, specFor, type Combo } from "./helpers/converge";
import { describePwsh } from "./helpers/pwsh";

/**
 * One agent, no silent twin: the same requests go to the TypeScript agent (core/agent/runner.ts, what
 * `lab:` targets use by default) on one copy of a lab and to scripts/agent.ps1 under a real PowerShell
 * (through the lab's powershell.exe launcher, over the same wire as ssh) on an identical copy. The
 * command lines the lab ran (its trace), the answers and the servers afterwards must be the same.
 *
 * Only what differs by nature is left out: timestamps, the agent's own PowerShell version, and the
 * lab's host-side folder (.host: the lock file, the trace itself).
 */

afterAll(removeTempDirs);

interface Case {
  name: string;
  combo: Combo;
  breaks: Break[];
  locale?: Locale;
  repairs?: Partial<Spec["repairs"]>;
  /** lab.json faults (failing commands, someone else's edit) */
  faults?: { fail?: { match: string; exitCode: number; stderr: string }[]; editConfigBefore?: string[] };
  expectStatus: string;
}

const CASES: Case[] = [
  { name: "modern, Configuration 2, every break but SharePoint", combo: { configuration: 2, profile: "modern" }, breaks: [1, 2, 3, 4, 5, 6, 8, "missing-vdir", "windows-auth-anonymous", "wrong-path"], expectStatus: "applied" },
  { name: "kb920659, Configuration 2, German server: Users membership and the reinstall", combo: { configuration: 2, profile: "kb920659" }, breaks: [1, 2, 4, 5, 6, 8], locale: "de-DE", expectStatus: "applied" },
  { name: "modern, Configuration 1, French server: the Users ACE granted by SID", combo: { configuration: 1, profile: "modern" }, breaks: [1, 4, 5, 6, 7], locale: "fr-FR", expectStatus: "applied" },
  {
    name: "a step fails on a German server: rollback, the localized error text arrives intact",
    combo: { configuration: 2, profile: "kb920659" },
    breaks: [1, 4, 5, 8],
    locale: "de-DE",
    faults: { fail: [{ match: "msiexec", exitCode: 1603, stderr: "Schwerwiegender Fehler bei der Installation: Zugriff verweigert (ÄÖÜ)" }] },
    expectStatus: "rolled-back",
  },
  {
    name: "someone else edits applicationHost.config while a step fails: no restore over their edit",
    combo: { configuration: 1, profile: "modern" },
    breaks: [4, 6, 8],
    repairs: { reinstallSelfUpdate: true },
    // the edit lands while the failing command runs: a failing command writes nothing, so the change is someone else's
    faults: { editConfigBefore: ["msiexec"], fail: [{ match: "msiexec", exitCode: 1603, stderr: "Fatal error during installation." }] },
    expectStatus: "rollback-failed",
  },
];

/**
 * Answers without what differs by nature: timestamps, the PowerShell version, and exit codes beyond 8
 * bits (a Linux process returns only the low byte: lab/exitCode.ts).
 */
function normalized(a: AgentAnswer): unknown {
  const copy = structuredClone(a) as AgentAnswer & { evidence: { collectedAt?: string; agent?: Record<string, unknown> } };
  if (copy.op === "apply") {
    for (const r of [...copy.results, ...copy.rollback, ...(copy.failed ? [copy.failed] : [])]) r.exitCode = linuxExitCode(r.exitCode);
  }
  delete copy.evidence.collectedAt;
  delete copy.evidence.agent?.powershell;
  copy.journal = copy.journal.map((j) => ({ ...j, startedAt: "<t>", finishedAt: j.finishedAt === null ? null : "<t>" }));
  return copy;
}

/** Every file of the lab's drives and lab.json, journals without their timestamps. */
async function serverFiles(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (abs: string, rel: string) => {
    for (const e of await fsp.readdir(abs, { withFileTypes: true })) {
      if (rel === "" && e.name === ".host") continue;
      const p = path.join(abs, e.name);
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) await walk(p, r);
      else {
        let text = (await fsp.readFile(p)).toString("base64");
        if (/\/wsus-iis\/journal\/[^/]+\.json$/i.test(r)) {
          const j = JSON.parse(await fsp.readFile(p, "utf8"));
          text = JSON.stringify({ ...j, startedAt: "<t>", finishedAt: j.finishedAt === null ? null : "<t>" });
        }
        out[r] = text;
      }
    }
  };
  await walk(dir, "");
  return out;
}

async function trace(dir: string): Promise<string[]> {
  const text = await fsp.readFile(path.join(dir, ".host", "commands.log"), "utf8").catch(() => "");
  return text.split("\n").filter(Boolean);
}

async function prepare(c: Case): Promise<{ ts: string; ps: string }> {
  const ts = await brokenLab(c.combo, c.breaks, { decorate: true, locale: c.locale });
  const state = await readLabState(ts);
  await writeLabState(ts, { ...state, trace: true, ...(c.faults ? { faults: { delayMs: 0, fail: c.faults.fail ?? [], editConfigBefore: c.faults.editConfigBefore ?? [] } } : {}) });
  return { ts, ps: await cloneLab(ts) };
}

describePwsh("the TypeScript agent and scripts/agent.ps1 (under pwsh) answer the same, run the same command lines, leave the same server", () => {
  it.each(CASES.map((c) => [c.name, c] as const))("%s", async (_name, c) => {
    const { ts, ps } = await prepare(c);
    const spec = specFor(c.combo, c.repairs);
    const layout = resolveLayout(spec);
    const send = (dir: string, agent: "typescript" | "powershell", req: AgentRequest) => new LabTransport(dir, {}, agent).request(req);

    // the read
    // the read asks for the health group's evidence too (health: true, as with --rules kb,health)
    const collect: AgentRequest = { op: "collect", params: { ...collectParams(layout), health: true } };
    const [readTs, readPs] = await Promise.all([send(ts, "typescript", collect), send(ps, "powershell", collect)]);
    expect(normalized(readPs)).toEqual(normalized(readTs));
    if (readTs.op !== "collect") throw new Error("not a collect answer");
    // the health rules' evidence (issue 13): runtime state and web.config files, read alike, nothing left out
    expect(readTs.notes).toEqual([]);
    expect(readTs.evidence).toHaveProperty("runtime.sitesXml", expect.stringContaining("<appcmd>"));
    expect(readTs.evidence).toHaveProperty("webConfigs", expect.objectContaining({ "%SystemDrive%\\inetpub\\wwwroot": null }));
    expect(stateFromEvidence(readTs.evidence).health).toMatchObject({ siteStates: expect.any(Object), appPools: expect.arrayContaining([expect.objectContaining({ name: "WsusPool", state: "Started" })]) });

    // the same apply request to both
    const p = makePlan(spec, stateFromEvidence(readTs.evidence));
    expect(p.steps.length).toBeGreaterThan(0);
    const apply: AgentRequest = { op: "apply", params: applyParams(p, readTs.configHash, layout, "wsus-iis-conformance-0001") };
    const [applyTs, applyPs] = await Promise.all([send(ts, "typescript", apply), send(ps, "powershell", apply)]);
    if (applyTs.op !== "apply" || applyPs.op !== "apply") throw new Error("not an apply answer");
    expect(applyTs.status).toBe(c.expectStatus);
    expect(normalized(applyPs)).toEqual(normalized(applyTs));
    expect(await trace(ps)).toEqual(await trace(ts));
    // the health read runs the two constant runtime lines and nothing else; the apply's read-back (a kb
    // spec: collectParams without health) runs no console program at all
    const runtime = [RUNTIME_COMMANDS.sitesXml, RUNTIME_COMMANDS.appPoolsXml];
    expect(apply.params.collect.health).toBeUndefined();
    expect(await trace(ts)).toEqual([
      ...runtime,
      ...apply.params.guards.map((g) => g.command),
      ...applyTs.results.filter((r) => r.index > 0).map((r) => r.command),
      ...applyTs.rollback.filter((r) => r.exitCode !== -1).map((r) => r.command),
    ]);
    if (c.expectStatus !== "applied") expect(applyPs.failed?.stderr).toContain(c.faults!.fail![0].stderr);

    // the servers afterwards, file by file
    expect(await serverFiles(ps)).toEqual(await serverFiles(ts));

    // and the next read of each reports the apply from its journal
    const [againTs, againPs] = await Promise.all([send(ts, "typescript", collect), send(ps, "powershell", collect)]);
    expect(normalized(againPs)).toEqual(normalized(againTs));
    expect(againPs.journal[0]).toMatchObject({ backupName: "wsus-iis-conformance-0001", state: "finished", status: c.expectStatus });
  }, 180_000);
});
