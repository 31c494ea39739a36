import { promises as fsp } from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AgentRequest } from "../core/agent/protocol";
import { resolveLayout } from "../core/model/layout";
import { plan as makePlan } from "../core/plan/planner";
import { stateFromEvidence } from "../core/state/fromEvidence";
import { BREAKS } from "../lab/create";
import { readLabState, writeLabState } from "../lab/state";
import { checkTarget, converge } from "../ops/converge";
import { applyParams, collectParams } from "../ops/params";
import { encodeRequest, powershellArgv } from "../core/agent/wire";
import { runPowershell } from "../lab/powershell/launcher";
import { LabTransport } from "../transports/lab";
import { convergeAcceptance } from "./helpers/acceptance";
import { brokenLab, COMBOS, configBytes, failsOf, removeTempDirs, runCli, specFor, tempDir } from "./helpers/converge";
import { describePwsh } from "./helpers/pwsh";

/**
 * The real agent (scripts/agent.ps1 under pwsh, through the lab's powershell.exe launcher and the wire
 * a Windows host speaks) converging lab servers: every break at once in both configurations and both
 * profiles, localized servers through the CLI, and one writer at a time (the named mutex
 * Global\wsus-iis). The TypeScript agent runs the same matrix break by break (test/converge.test.ts),
 * and test/agent-conformance.test.ts holds the two to the same lines and answers.
 */

afterAll(removeTempDirs);

const SLOW = 300_000;

describePwsh("the real PowerShell agent converges lab servers", () => {
  it.each(COMBOS)("Configuration $configuration, $profile, all breaks", async (combo) => {
    await convergeAcceptance(combo, BREAKS, "powershell");
  }, SLOW);

  it.each(["de-DE", "fr-FR"] as const)(
    "a %s lab broken with causes 1, 4, 5 and 6: `wsus-iis apply --yes` converges it with WSUS_IIS_LAB_AGENT=powershell, `check` exits 0",
    async (locale) => {
      // exactly the words: `lab create DIR --locale de-DE --break 1,4,5,6` (the lab's default layout, a
      // WSUS 4+ install), then apply and check with nothing else given (profile and configuration auto)
      const dir = await tempDir("wsus-iis-pwsh-locale-");
      const created = await runCli(["lab", "create", dir, "--locale", locale, "--break", "1,4,5,6"]);
      expect(created.code, created.err).toBe(0);
      const env = { WSUS_IIS_LAB_AGENT: "powershell" };
      const before = await runCli(["check", "--target", `lab:${dir}`], { env, timeoutMs: 120_000 });
      expect(before.code, before.err).toBe(1);
      expect(before.out).toContain("layout: profile modern, Configuration 2 (profile modern detected");
      const r = await runCli(["apply", "--target", `lab:${dir}`, "--yes", "--format", "json"], { env, timeoutMs: 120_000 });
      expect(r.code, r.err).toBe(0);
      const out = JSON.parse(r.out);
      expect(out).toMatchObject({ status: "applied", compliant: true });
      // granted by SID: the English name would fail with 1332 on this server
      expect(out.plan.steps.map((s: { command: string }) => s.command).join("\n")).toContain("/grant *S-1-5-32-545:(OI)(CI)(RX)");
      const after = await runCli(["check", "--target", `lab:${dir}`], { env, timeoutMs: 120_000 });
      expect(after.code, after.out + after.err).toBe(0);
    },
    SLOW,
  );
});

describePwsh("one writer per server: the agent's named mutex Global\\wsus-iis", () => {
  let dir = "";
  beforeAll(async () => {
    dir = await brokenLab({ configuration: 1, profile: "modern" }, [4, 5, 6], { decorate: false });
  });

  it("an apply that cannot get the lock in time is refused-busy and writes nothing; a read meanwhile sees the apply running; the holder finishes", async () => {
    const spec = specFor({ configuration: 1, profile: "modern" });
    const layout = resolveLayout(spec);
    const read = await new LabTransport(dir, {}, "powershell").request({ op: "collect", params: collectParams(layout) });
    if (read.op !== "collect") throw new Error("not a collect");
    const p = makePlan(spec, stateFromEvidence(read.evidence));
    // a slow server: every command takes 1.2 s (lab.json faults apply to the PowerShell agent's commands
    // too), long enough that the read and the second apply below (each a PowerShell start-up of 1-2 s on a
    // busy machine) arrive while the first apply holds the lock
    await writeLabState(dir, { ...(await readLabState(dir)), faults: { delayMs: 1200, fail: [], editConfigBefore: [] } });
    const first: AgentRequest = { op: "apply", params: applyParams(p, read.configHash, layout, "wsus-iis-first") };
    const running = new LabTransport(dir, {}, "powershell").request(first);
    // wait until the first apply's journal says it runs
    const journal = path.join(dir, "C", "ProgramData", "wsus-iis", "journal", "wsus-iis-first.json");
    for (let i = 0; i < 400 && !(await fsp.stat(journal).catch(() => null)); i++) await new Promise((r) => setTimeout(r, 50));
    const configDuring = await configBytes(dir);

    // the read and the second apply at once, both while the first runs
    const [during, second] = await Promise.all([
      new LabTransport(dir, {}, "powershell").request({ op: "collect", params: collectParams(layout) }),
      new LabTransport(dir, {}, "powershell").request({ op: "apply", params: { ...applyParams(p, read.configHash, layout, "wsus-iis-second"), lockTimeoutMs: 0 } }),
    ]);
    expect(during.journal[0]).toMatchObject({ backupName: "wsus-iis-first", state: "running" });

    if (second.op !== "apply") throw new Error("not an apply");
    expect(second.status).toBe("refused-busy");
    expect(second.results).toEqual([]);
    expect(await fsp.stat(path.join(dir, "C", "ProgramData", "wsus-iis", "journal", "wsus-iis-second.json")).catch(() => null)).toBeNull();

    const done = await running;
    if (done.op !== "apply") throw new Error("not an apply");
    expect(done.status).toBe("applied");
    expect((await configBytes(dir)).equals(configDuring)).toBe(false);
    await writeLabState(dir, { ...(await readLabState(dir)), faults: undefined });
    const after = await checkTarget(new LabTransport(dir, {}, "powershell"), spec);
    expect(failsOf(after.report.findings)).toEqual([]);
    expect(after.journal[0]).toMatchObject({ backupName: "wsus-iis-first", state: "finished", status: "applied" });
  }, SLOW);

  it("the agent killed mid-apply (a dropped session's job object): the next read reports the apply interrupted after N steps; the next converge finishes the job", async () => {
    const d = await brokenLab({ configuration: 2, profile: "modern" }, [2, 4, 5, 6, "missing-vdir"], { decorate: false });
    const spec = specFor({ configuration: 2, profile: "modern" });
    await writeLabState(d, { ...(await readLabState(d)), faults: { delayMs: 400, fail: [], editConfigBefore: [] } });
    const layout = resolveLayout(spec);
    const read = await new LabTransport(d, {}, "powershell").request({ op: "collect", params: collectParams(layout) });
    if (read.op !== "collect") throw new Error("not a collect");
    const p = makePlan(spec, stateFromEvidence(read.evidence));
    expect(p.steps.length).toBeGreaterThan(4);
    const journal = path.join(d, "C", "ProgramData", "wsus-iis", "journal", "wsus-iis-killed.json");
    const run = runPowershell(d, powershellArgv().slice(1), encodeRequest({ op: "apply", params: applyParams(p, read.configHash, layout, "wsus-iis-killed") }), {
      onSpawn: (_pid, kill) => {
        void (async () => {
          // kill it once two steps have run
          for (let i = 0; i < 600; i++) {
            const j = await fsp.readFile(journal, "utf8").then(JSON.parse, () => null);
            if (j && j.stepsRun >= 2) break;
            await new Promise((r) => setTimeout(r, 25));
          }
          kill();
        })();
      },
    });
    const killed = await run;
    expect(killed.stdout).not.toContain("wsus-iis:"); // no answer: it died
    await writeLabState(d, { ...(await readLabState(d)), faults: undefined });
    const next = await converge(new LabTransport(d, {}, "powershell"), spec);
    expect(next.journal[0]).toMatchObject({ backupName: "wsus-iis-killed", state: "interrupted", status: null, stepsTotal: p.steps.length });
    expect(next.journal[0].stepsRun).toBeGreaterThanOrEqual(2);
    expect(next.journal[0].stepsRun).toBeLessThan(p.steps.length);
    expect(next.status).toBe("applied");
    expect(failsOf(next.after.findings)).toEqual([]);
  }, SLOW);
});
