/**
 * The real agent's cost per round trip: scripts/agent.ps1 under PowerShell 7 through the lab's
 * powershell.exe launcher (what `WSUS_IIS_LAB_AGENT=powershell` and `wsus-iis lab login` run), split
 * into PowerShell's own start-up and the agent's work, against the TypeScript agent on the same lab.
 * On the lab every command the agent starts is a Node.js process (lab/shim.ts); on Windows it is
 * cmd.exe and appcmd/icacls, so the per-command figure here is the lab's, not Windows'.
 */
import { promises as fsp } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { powershellArgv, encodeRequest } from "../core/agent/wire";
import { resolveLayout } from "../core/model/layout";
import { parseSpec } from "../core/model/spec";
import { plan as makePlan } from "../core/plan/planner";
import { stateFromEvidence } from "../core/state/fromEvidence";
import { createLab } from "../lab/create";
import { findPwsh, runPowershell } from "../lab/powershell/launcher";
import { applyParams, collectParams } from "../ops/params";
import { LabTransport } from "../transports/lab";
import type { BenchRow } from "./run";

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t0 = performance.now();
  const value = await fn();
  return { ms: performance.now() - t0, value };
}

export async function benchRows(): Promise<BenchRow[]> {
  if (!findPwsh()) return [{ name: "real agent round trips", value: 0, unit: "runs", detail: "skipped: pwsh not found (dotnet tool install --global PowerShell --version 7.6.9)" }];
  const root = await fsp.mkdtemp(path.join(os.tmpdir(), "wsus-iis-bench-agent-"));
  try {
    const spec = parseSpec({ configuration: 2, profile: "modern" });
    const layout = resolveLayout(spec);
    const healthy = path.join(root, "healthy");
    await createLab(healthy, { configuration: 2, profile: "modern" });
    const collect = { op: "collect" as const, params: collectParams(layout) };

    // warm-up: builds the lab's host program once and loads pwsh from disk
    await new LabTransport(healthy, {}, "powershell").request(collect);

    const RUNS = 5;
    const startup: number[] = [];
    for (let i = 0; i < RUNS; i++) startup.push((await timed(() => runPowershell(healthy, ["-NoProfile", "-NonInteractive", "-Command", "exit 0"], ""))).ms);
    const psCollect: number[] = [];
    for (let i = 0; i < RUNS; i++) psCollect.push((await timed(() => new LabTransport(healthy, {}, "powershell").request(collect))).ms);
    const tsCollect: number[] = [];
    for (let i = 0; i < RUNS; i++) tsCollect.push((await timed(() => new LabTransport(healthy, {}, "typescript").request(collect))).ms);

    // an apply: every break but SharePoint's, on fresh labs
    const applies: { ms: number; steps: number }[] = [];
    for (let i = 0; i < 3; i++) {
      const dir = path.join(root, `broken-${i}`);
      await createLab(dir, { configuration: 2, profile: "modern", breaks: [2, 4, 5, 6, "missing-vdir", "windows-auth-anonymous"] });
      const read = await new LabTransport(dir, {}, "typescript").request(collect);
      if (read.op !== "collect") throw new Error("not a collect");
      const p = makePlan(spec, stateFromEvidence(read.evidence));
      const req = { op: "apply" as const, params: applyParams(p, read.configHash, layout) };
      const [, ...args] = powershellArgv();
      const r = await timed(() => runPowershell(dir, args, encodeRequest(req)));
      if (!r.value.stdout.includes("wsus-iis:")) throw new Error(`the agent did not answer: ${r.value.stderr.slice(-300)}`);
      applies.push({ ms: r.ms, steps: req.params.guards.length + req.params.steps.length });
    }
    const s = median(startup);
    const c = median(psCollect);
    const a = median(applies.map((x) => x.ms));
    const commands = applies[0].steps;
    return [
      { name: "real agent: PowerShell start-up (lab launcher, profile, exit)", value: Math.round(s), unit: "ms", detail: `median of ${RUNS}; pwsh ${findPwsh()}` },
      { name: "real agent: collect round trip", value: Math.round(c), unit: "ms", detail: `median of ${RUNS}: ${Math.round(s)} ms start-up + ${Math.round(c - s)} ms work (4 Windows API calls, each a lab host process here); TypeScript agent: ${median(tsCollect).toFixed(1)} ms` },
      { name: "real agent: apply round trip", value: Math.round(a), unit: "ms", detail: `median of 3, ${commands} commands (guards + steps): ${Math.round(s)} ms start-up + ${Math.round(a - s)} ms work, ${Math.round((a - s) / commands)} ms per command incl. the read-back (each command a lab host process here)` },
    ];
  } finally {
    await fsp.rm(root, { recursive: true, force: true });
  }
}
