import { promises as fsp } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Spec } from "../core/model/spec";
import { checkTarget, converge } from "../ops/converge";
import { BREAKS, type Break } from "../lab/create";
import { LabTransport } from "../transports/lab";
import { TransportError } from "../transports/transport";
import { brokenLab, configBytes, failsOf, keyOf, removeTempDirs, runCli, specFor, tempDir, type Combo } from "./helpers/converge";

/**
 * Connection drops and agent crashes at every command of a converge. The lab transport numbers the
 * commands the agent runs over the whole converge (the read round trip runs none: the agent reads
 * files and Windows APIs; the apply round trip runs the guards, then the steps):
 *
 * - dropAtCommand = k: the connection breaks while command k runs. The agent runs detached from the
 *   connection and finishes; only the answer is lost. So after a drop in the apply trip the server is
 *   fully converged (byte-identical to a fault-free converge), and the next read finds the apply in the
 *   server's journal as finished. dropAnswerOfTrip = 1: the read's answer is lost, nothing was applied.
 * - crashBeforeCommand = k: the agent dies before command k (power loss): nothing after it runs, no
 *   rollback. The server may be half repaired; the next read finds the apply in the journal as
 *   interrupted (with how many steps ran), and the next converge, without faults, finishes the job.
 */

afterAll(removeTempDirs);

/** One test walks every command index (up to ~30 converges): room for a loaded CI machine. */
const SLOW = 180_000;

interface Scenario {
  name: string;
  combo: Combo;
  breaks: Break[];
  repairs?: Partial<Spec["repairs"]>;
}

const SCENARIOS: Scenario[] = [
  { name: "breaks 2,4,5,6 / Configuration 2 / kb920659", combo: { configuration: 2, profile: "kb920659" }, breaks: [2, 4, 5, 6] },
  // (6 is the Default Web Site's, which a modern Configuration 2 server's clients never use: the admin vdir instead)
  { name: "breaks 2,4,5,windows-auth-anonymous / Configuration 2 / modern", combo: { configuration: 2, profile: "modern" }, breaks: [2, 4, 5, "windows-auth-anonymous"] },
  // + group membership (net localgroup) and the SelfUpdate reinstall (msiexec)
  { name: "breaks 1,2,4,5,6,8 / Configuration 2 / kb920659", combo: { configuration: 2, profile: "kb920659" }, breaks: [1, 2, 4, 5, 6, 8] },
  // every automatic repair kind: bindings, apps, vdirs, auth, icacls /save + grant, msiexec
  { name: "all breaks but 7 / Configuration 2 / modern", combo: { configuration: 2, profile: "modern" }, breaks: BREAKS.filter((b) => b !== 7) },
];

async function clone(template: string): Promise<string> {
  const dir = await tempDir("wsus-iis-fault-");
  await fsp.cp(template, dir, { recursive: true });
  return dir;
}

async function expectConverged(dir: string, spec: Spec): Promise<void> {
  const t = new LabTransport(dir);
  const r = await converge(t, spec);
  expect(r.status).toBe("nothing-to-do");
  expect(r.plan.steps).toEqual([]);
  expect(failsOf(r.after.findings)).toEqual([]);
  expect(t.roundTrips).toBe(1);
}

/** Counts for the report, printed once per scenario. */
const summary: string[] = [];
afterAll(() => {
  if (summary.length) console.info(["fault injection:", ...summary].join("\n  "));
});

describe.each(SCENARIOS)("faults: $name", (sc) => {
  const spec = specFor(sc.combo, sc.repairs);
  let template = "";
  let before: Buffer;
  let beforeFails: string[] = [];
  let converged: Buffer;
  let readCommands = 0;
  let totalCommands = 0;
  let lines: string[] = [];

  beforeAll(async () => {
    template = await brokenLab(sc.combo, sc.breaks);
    before = await configBytes(template);
    // the fault-free run, for the command numbering and the converged bytes
    const dir = await clone(template);
    const reader = new LabTransport(dir);
    beforeFails = failsOf((await checkTarget(reader, spec)).report.findings).map(keyOf).sort();
    readCommands = reader.commandsRun;
    const seen: string[] = [];
    const t = new LabTransport(dir, { beforeCommand: (_i, line) => void seen.push(line) });
    const r = await converge(t, spec);
    expect(r.status).toBe("applied");
    expect(failsOf(r.after.findings)).toEqual([]);
    totalCommands = t.commandsRun;
    lines = seen;
    converged = await configBytes(dir);
    expect(r.plan.steps.length).toBeGreaterThanOrEqual(4);
    expect(totalCommands).toBe(lines.length);
  });

  it("drop at every command of the apply round trip: the agent finishes, the server is converged", async () => {
    const applyIndices = Array.from({ length: totalCommands - readCommands }, (_, i) => readCommands + 1 + i);
    expect(readCommands).toBe(0);
    expect(applyIndices.length).toBeGreaterThanOrEqual(5);
    for (const k of applyIndices) {
      const dir = await clone(template);
      const t = new LabTransport(dir, { dropAtCommand: k });
      const err = await converge(t, spec).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err, `drop at #${k}`).toBeInstanceOf(TransportError);
      expect((err as TransportError).kind).toBe("dropped");
      expect((err as TransportError).message).toContain(`command #${k}`);
      expect(t.roundTrips).toBe(2);
      // the agent did not stop with the connection: the server is exactly where a clean run leaves it
      expect((await configBytes(dir)).equals(converged), `config after drop at #${k} (${lines[k - 1]})`).toBe(true);
      // nobody received the answer, but the server's journal says how the apply ended
      const read = await checkTarget(new LabTransport(dir), spec);
      expect(read.journal[0]).toMatchObject({ state: "finished", status: "applied", stepsRun: read.journal[0].stepsTotal });
      await expectConverged(dir, spec);
    }
    summary.push(`${sc.name}: drop in apply trip at ${applyIndices.length} indices (#${applyIndices[0]}..#${applyIndices.at(-1)}): ${applyIndices.length} converged, 0 partial`);
  }, SLOW);

  it("drop during the read round trip: no apply is sent, nothing changes; the next converge converges", async () => {
    const dir = await clone(template);
    const t = new LabTransport(dir, { dropAnswerOfTrip: 1 });
    await expect(converge(t, spec)).rejects.toMatchObject({ kind: "dropped" });
    expect(t.roundTrips).toBe(1);
    expect((await configBytes(dir)).equals(before)).toBe(true);
    const again = await converge(new LabTransport(dir), spec);
    expect(again.status).toBe("applied");
    expect(again.journal).toEqual([]);
    await expectConverged(dir, spec);
    summary.push(`${sc.name}: drop of the read trip's answer: untouched`);
  }, SLOW);

  it("crash before every command: the server may be partial; the next converge reaches zero fail findings", async () => {
    // 1-based command numbers: the first plan step (after the backup / icacls /save guards)
    const firstStep = readCommands + 1 + lines.slice(readCommands).findIndex((l) => !/ add backup |\/save /.test(l));
    const stepsTotal = totalCommands - firstStep + 1;
    expect(firstStep).toBeGreaterThan(readCommands + 1);
    expect(stepsTotal).toBeGreaterThan(3);
    const outcomes = { untouched: 0, partial: 0, converged: 0, sameBytesAsCleanRun: 0 };
    for (let k = 1; k <= totalCommands; k++) {
      const dir = await clone(template);
      const t = new LabTransport(dir, { crashBeforeCommand: k });
      const err = await converge(t, spec).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err, `crash before #${k}`).toBeInstanceOf(TransportError);
      expect((err as TransportError).kind).toBe("dropped");
      expect(t.roundTrips).toBe(k <= readCommands ? 1 : 2);

      const bytes = await configBytes(dir);
      // the next converge, without faults; its read is the state the crash left, and the journal tells
      const t2 = new LabTransport(dir);
      const next = await converge(t2, spec);
      expect(next.journal[0], `journal after crash before #${k}`).toMatchObject({ state: "interrupted", status: null, stepsRun: Math.max(0, k - firstStep), stepsTotal });
      const fails = failsOf(next.before.findings).map(keyOf).sort();
      const outcome = fails.length === 0 ? "converged" : bytes.equals(before) && JSON.stringify(fails) === JSON.stringify(beforeFails) ? "untouched" : "partial";
      outcomes[outcome]++;
      // before the first step: untouched; between steps: partial (the crash is always before some step)
      expect(outcome, `crash before #${k} (${lines[k - 1]})`).toBe(k <= firstStep ? "untouched" : "partial");

      expect(["applied", "nothing-to-do"], `after crash before #${k} (${lines[k - 1]})`).toContain(next.status);
      expect(next.apply?.failed ?? null).toBeNull();
      expect(failsOf(next.after.findings), `after crash before #${k}`).toEqual([]);
      expect(t2.roundTrips).toBe(next.status === "applied" ? 2 : 1);
      if ((await configBytes(dir)).equals(converged)) outcomes.sameBytesAsCleanRun++;
    }
    expect(outcomes.untouched + outcomes.partial + outcomes.converged).toBe(totalCommands);
    summary.push(
      `${sc.name}: crash before ${totalCommands} indices (read #1..#${readCommands}, apply #${readCommands + 1}..#${totalCommands}): ` +
        `${outcomes.untouched} untouched, ${outcomes.partial} partial, ${outcomes.converged} converged; all ${totalCommands} recovered by the next converge ` +
        `(${outcomes.sameBytesAsCleanRun} byte-identical to the clean run's config)`,
    );
  }, SLOW);
});

describe("what a person is told about an interrupted apply", () => {
  it("check and apply name the interrupted apply, its backup and how far it got", async () => {
    const dir = await brokenLab({ configuration: 2, profile: "modern" }, [2, 4, 5, "windows-auth-anonymous"], { decorate: false });
    const spec = specFor({ configuration: 2, profile: "modern" });
    // the agent dies before the 4th command of the apply (after the guard and two steps)
    await expect(converge(new LabTransport(dir, { crashBeforeCommand: 4 }), spec)).rejects.toMatchObject({ kind: "dropped" });
    const check = await runCli(["check", "--target", `lab:${dir}`, "--configuration", "2", "--profile", "modern"]);
    expect(check.out).toMatch(/note: an earlier apply \(backup wsus-iis-\S+, started \S+\) was interrupted after 2 of \d+ step\(s\): the server may be half repaired; its IIS backup is kept/);
    const apply = await runCli(["apply", "--yes", "--target", `lab:${dir}`, "--configuration", "2", "--profile", "modern", "--format", "json"]);
    const out = JSON.parse(apply.out);
    expect(out.status).toBe("applied");
    expect(out.notes).toEqual([expect.stringMatching(/^an earlier apply .* was interrupted after 2 of/)]);
    expect(out.journal[0]).toMatchObject({ state: "interrupted", stepsRun: 2 });
  });
});

// Windows Installer's success codes: "ERROR_SUCCESS, ERROR_SUCCESS_REBOOT_INITIATED, and
// ERROR_SUCCESS_REBOOT_REQUIRED are indicative of success" (Microsoft Learn, MsiExec.exe error messages).
// The lab's fault injection hands the TypeScript agent the code as is; the PowerShell agent runs commands
// as processes, whose exit codes are 8-bit on Linux (lab/exitCode.ts), so 3010 cannot reach it here.
describe("msiexec exiting 3010 (success, reboot required)", () => {
  it("is a success: the apply is not rolled back, the answer says a restart is wanted, and the CLI says so", async () => {
    const dir = await brokenLab({ configuration: 2, profile: "modern" }, [8, 4], { decorate: false });
    const labJson = `${dir}/lab.json`;
    const state = JSON.parse(await fsp.readFile(labJson, "utf8"));
    await fsp.writeFile(labJson, JSON.stringify({ ...state, faults: { fail: [{ match: "msiexec", exitCode: 3010, stderr: "" }] } }, null, 2));
    const r = await converge(new LabTransport(dir), specFor({ configuration: 2, profile: "modern" }));
    expect(r.status).toBe("applied");
    expect(r.apply!.failed).toBeNull();
    expect(r.apply!.rollback).toEqual([]);
    expect(r.apply!.rebootRequired).toBe(true);
    expect(r.apply!.results.find((x) => /msiexec/.test(x.command))!.exitCode).toBe(3010);
    // the other step's change stayed (nothing was rolled back)
    expect(failsOf(r.after.findings).map(keyOf)).not.toContain("selfupdate-anonymous#4");

    const specFile = `${dir}/spec.json`;
    await fsp.writeFile(specFile, JSON.stringify({ repairs: { reinstallSelfUpdate: true } }));
    const cli = await runCli(["apply", "--yes", "--target", `lab:${dir}`, "--config", specFile, "--format", "json"]);
    // (the fault skipped the real msiexec: the files are still missing, so the step is planned again)
    expect(JSON.parse(cli.out).notes).toContain("a step exited 3010 (Windows Installer: done, restart required): restart the server when convenient");
  });
});

// Issue 11, item 3: a second writer waits up to --lock-timeout, then is refused; it never interleaves.
describe("--lock-timeout", () => {
  it("a second apply that cannot get the server's apply lock in time is refused-busy (exit 3) and changes nothing", async () => {
    const dir = await brokenLab({ configuration: 1, profile: "kb920659" }, [4, 5, 6], { decorate: false });
    const labJson = `${dir}/lab.json`;
    const state = JSON.parse(await fsp.readFile(labJson, "utf8"));
    // every command of the first apply is slow: it holds the lock for a few seconds
    await fsp.writeFile(labJson, JSON.stringify({ ...state, faults: { delayMs: 700, fail: [], editConfigBefore: [] } }, null, 2));
    const spec = specFor({ configuration: 1, profile: "kb920659" });
    const first = converge(new LabTransport(dir), spec);
    await new Promise((r) => setTimeout(r, 300));
    const second = await runCli(["apply", "--yes", "--target", `lab:${dir}`, "--configuration", "1", "--profile", "kb920659", "--lock-timeout", "0", "--format", "json"]);
    expect(second.code, second.err).toBe(3);
    expect(JSON.parse(second.out).status).toBe("refused-busy");
    expect((await first).status).toBe("applied");
    const bad = await runCli(["apply", "--yes", "--target", `lab:${dir}`, "--lock-timeout", "soon"]);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('--lock-timeout: expected 0..86400000 milliseconds, got "soon"');
  }, 60_000);
});
