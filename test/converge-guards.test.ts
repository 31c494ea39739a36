import { createHash } from "node:crypto";
import { promises as fsp } from "node:fs";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { AgentRequest, AgentAnswer } from "../core/agent/protocol";
import { checkTarget, converge } from "../ops/converge";
import { handle } from "../core/agent/runner";
import { LabAgentHost } from "../lab/agentHost";
import { resolveHostPath } from "../lab/fs";
import { runCommand } from "../lab/shell";
import { readLabState } from "../lab/state";
import { LabTransport } from "../transports/lab";
import type { Transport } from "../transports/transport";
import { brokenLab, CONFIG_WIN_PATH, configBytes, failsOf, keyOf, removeTempDirs, specFor, type Combo } from "./helpers/converge";

/**
 * The apply's guards on the lab: the drift guard (config sha256 taken by the read), and the rollback
 * of a failing plan (appcmd backup, icacls /save, group additions).
 */

afterAll(removeTempDirs);

const KB2: Combo = { configuration: 2, profile: "kb920659" };
const MODERN2: Combo = { configuration: 2, profile: "modern" };
const APPCMD = "%windir%\\system32\\inetsrv\\appcmd.exe";
const SELFUPDATE = "C:\\Program Files\\Update Services\\Selfupdate";
const MSI = "C:\\Program Files\\Update Services\\Setup\\Selfupdate.msi";

async function must(dir: string, line: string): Promise<void> {
  const r = await runCommand(dir, line);
  if (r.exitCode !== 0) throw new Error(`${line}: ${r.stdout}${r.stderr}`);
}

/** An unrelated change someone makes on the server: a new site, through appcmd. */
const addConcurrentSite = (dir: string) => must(dir, `${APPCMD} add site /name:"Concurrent" /id:99 /bindings:http/*:8282: /physicalPath:"C:\\inetpub\\wwwroot"`);

/** A byte-level edit of applicationHost.config that no appcmd command makes. */
async function byteEdit(dir: string): Promise<void> {
  const file = (await resolveHostPath(dir, CONFIG_WIN_PATH)).hostPath;
  const text = await fsp.readFile(file, "utf8");
  const next = text.replace('maxLogFiles="50"', 'maxLogFiles="51"');
  if (next === text) throw new Error("byte edit found nothing to change");
  await fsp.writeFile(file, next);
}

/** Runs `between` after the read round trip and before the apply round trip. */
class EditBetweenTrips implements Transport {
  constructor(
    private readonly inner: Transport,
    private readonly between: () => Promise<void>,
  ) {}
  get target() {
    return this.inner.target;
  }
  get roundTrips() {
    return this.inner.roundTrips;
  }
  async request(req: AgentRequest): Promise<AgentAnswer> {
    if (req.op === "apply") await this.between();
    return this.inner.request(req);
  }
}

async function readCommandsOf(dir: string, combo: Combo): Promise<number> {
  const t = new LabTransport(dir);
  await checkTarget(t, specFor(combo));
  return t.commandsRun;
}

describe("drift guard: applicationHost.config changed between the read and the apply", () => {
  const refusedThenConverges = async (dir: string, run: () => Promise<Awaited<ReturnType<typeof converge>>>, edited: () => Promise<Buffer>) => {
    const spec = specFor(KB2);
    const beforeFails = failsOf((await checkTarget(new LabTransport(dir), spec)).report.findings).map(keyOf);
    const r = await run();
    expect(r.status).toBe("refused-drift");
    expect(r.roundTrips).toBe(2);
    expect(r.apply!.ok).toBe(false);
    expect(r.apply!.results).toEqual([]); // not even the backup ran
    expect(r.apply!.backupName).toBeNull();
    expect(r.plan.steps.length).toBeGreaterThanOrEqual(4);
    // nothing written: the file is exactly what the concurrent edit left
    const afterRefusal = await configBytes(dir);
    expect(afterRefusal.equals(await edited())).toBe(true);
    // the read-back in the same trip shows the server as it is (still broken)
    expect(failsOf(r.after.findings).map(keyOf).sort()).toEqual([...beforeFails].sort());
    // the hash the read-back reports is the edited file's
    expect(r.apply!.configHash).toBe(createHash("sha256").update(afterRefusal).digest("hex"));
    // the next converge plans from the edited file and succeeds, keeping the edit
    const next = await converge(new LabTransport(dir), spec);
    expect(next.status).toBe("applied");
    expect(failsOf(next.after.findings)).toEqual([]);
    return { afterRefusal, after: await configBytes(dir) };
  };

  it("an unrelated site added between the two round trips → refused-drift, the edit survives, the next converge succeeds", async () => {
    const dir = await brokenLab(KB2, [2, 4, 5, 6]);
    let edited: Buffer | undefined;
    const { after } = await refusedThenConverges(
      dir,
      () =>
        converge(
          new EditBetweenTrips(new LabTransport(dir), async () => {
            await addConcurrentSite(dir);
            edited = await configBytes(dir);
          }),
          specFor(KB2),
        ),
      async () => edited!,
    );
    expect(after.toString("utf8")).toContain('<site name="Concurrent" id="99"');
    expect((await runCommand(dir, `${APPCMD} list site Concurrent`)).stdout).toContain("http/*:8282:");
  });

  it("a byte change during the read, after the config text was read → refused-drift", async () => {
    // The read hashes the file before reading it, so an edit after that is caught. (The agent used to
    // hash at the end of the read: an edit during the read was blessed with the new hash and the plan,
    // made from the old text, was applied over it.) The edit lands while the agent reads the ACLs, which
    // comes after the config text in both agents (scripts/agent.ps1 Get-WsusEvidence, core/agent/runner.ts).
    const dir = await brokenLab(KB2, [2, 4, 5, 6]);
    let edited: Buffer | undefined;
    class EditDuringRead extends LabAgentHost {
      async aclSddl(p: string) {
        if (!edited) {
          await byteEdit(dir);
          edited = await configBytes(dir);
        }
        return super.aclSddl(p);
      }
    }
    let trips = 0;
    const t: Transport = {
      target: `lab:${dir}`,
      get roundTrips() {
        return trips;
      },
      async request(req: AgentRequest): Promise<AgentAnswer> {
        trips++;
        return handle(trips === 1 ? new EditDuringRead(dir) : new LabAgentHost(dir), req);
      },
    };
    await refusedThenConverges(dir, () => converge(t, specFor(KB2)), async () => edited!);
    expect((await configBytes(dir)).toString("utf8")).toContain('maxLogFiles="51"');
  });

  it("an edit before the apply's first command lands after the guard: applied, and the splicing edits keep it", async () => {
    // The guard compares hashes before the apply runs anything; a change made after that moment (here:
    // right before `appcmd add backup`) is not refused. The steps edit the file in place, so the
    // concurrent change is kept, and the backup taken next already contains it.
    const dir = await brokenLab(KB2, [2, 4, 5, 6]);
    const n = await readCommandsOf(dir, KB2);
    const t = new LabTransport(dir, { beforeCommand: (i) => (i === n + 1 ? addConcurrentSite(dir) : undefined) });
    const r = await converge(t, specFor(KB2));
    expect(r.status).toBe("applied");
    expect(r.apply!.results[0].command).toContain(" add backup ");
    expect(failsOf(r.after.findings)).toEqual([]);
    expect((await configBytes(dir)).toString("utf8")).toContain('<site name="Concurrent" id="99"');
  });
});

/** What rollback must restore: IIS config bytes, the SelfUpdate ACLs (recursive), the Users group. */
async function snapshot(dir: string) {
  const icacls = await runCommand(dir, `icacls "${SELFUPDATE}" /t`);
  const users = await runCommand(dir, "net localgroup Users");
  const state = await readLabState(dir);
  return {
    config: await configBytes(dir),
    icacls: icacls.stdout,
    users: users.stdout,
    acls: JSON.stringify(state.acls),
    // a set (order is not meaningful: icacls /restore re-adds the entry at the end)
    protectedAcls: JSON.stringify([...(state.protectedAcls ?? [])].map((p) => p.toLowerCase()).sort()),
  };
}

function expectSameSnapshot(a: Awaited<ReturnType<typeof snapshot>>, b: Awaited<ReturnType<typeof snapshot>>): void {
  expect(a.config.equals(b.config), "applicationHost.config bytes").toBe(true);
  expect(a.icacls).toBe(b.icacls);
  expect(a.users).toBe(b.users);
  expect(a.acls).toBe(b.acls);
  expect(a.protectedAcls).toBe(b.protectedAcls);
}

describe("a failing step: rollback restores IIS config, ACLs and group changes", () => {
  it("mid-plan, someone deletes the site a later step needs: that step fails, the IIS backup is NOT restored over their change (rollback-failed, with a note), ACLs are restored", async () => {
    const combo = MODERN2;
    const dir = await brokenLab(combo, [1, 2, 4, 5, 6]);
    const before = await snapshot(dir);
    // someone deletes the WSUS site while the plan runs, right before the step that adds a vdir to it
    const target = 'add vdir /app.name:"WSUS Administration/"';
    let afterTheirDelete: Buffer | undefined;
    const t = new LabTransport(dir, {
      beforeCommand: async (_i, line) => {
        if (line.includes(target)) {
          await must(dir, `${APPCMD} delete site "WSUS Administration"`);
          afterTheirDelete = await configBytes(dir);
        }
      },
    });
    const r = await converge(t, specFor(combo));
    expect(r.status).toBe("rollback-failed");
    expect(r.roundTrips).toBe(2);
    const failed = r.apply!.failed!;
    expect(failed.command).toContain(target);
    expect(failed.exitCode).not.toBe(0);
    const step = r.plan.steps.find((s) => s.command === failed.command)!;
    expect(failed.index).toBe(step.index);
    expect(step.index).toBeGreaterThan(1);
    expect(step.index).toBeLessThan(r.plan.steps.length); // mid-plan: steps ran before it, others never ran
    const ran = r.apply!.results.filter((x) => x.index > 0).map((x) => x.index);
    expect(ran).toEqual(Array.from({ length: step.index }, (_, i) => i + 1));
    // backup and ACL save first; the restore of the backup is skipped (it would bring their site back and
    // wipe whatever else they did), the ACL restore runs
    expect(r.apply!.results[0].command).toContain(` add backup ${r.apply!.backupName}`);
    expect(r.apply!.rollback.map((x) => [x.command.includes("restore backup"), x.exitCode])).toEqual([
      [true, -1],
      [false, 0],
    ]);
    expect(r.apply!.notes).toEqual([`applicationHost.config changed during the apply, not by it: backup ${r.apply!.backupName} was not restored`]);
    // their change stands: applicationHost.config is what their delete left, and the ACLs are as before
    expect((await configBytes(dir)).equals(afterTheirDelete!)).toBe(true);
    const now = await snapshot(dir);
    expect(now.acls).toBe(before.acls);
    expect(now.icacls).toBe(before.icacls);
    // the backup stays for people
    expect((await runCommand(dir, `${APPCMD} list backup ${r.apply!.backupName}`)).exitCode).toBe(0);
    // and the next converge repairs everything the spec owns (the WSUS site is declared)
    const next = await converge(new LabTransport(dir), specFor(combo));
    expect(next.status).toBe("applied");
    expect(failsOf(next.after.findings)).toEqual([]);
  });

  it("mid-plan without anyone else's edit: the failing step rolls back everything, config identical to before the apply", async () => {
    const combo = MODERN2;
    const dir = await brokenLab(combo, [1, 2, 4, 5, 6]);
    const before = await snapshot(dir);
    const state = await readLabState(dir);
    // the lab fails the 3rd step's kind of command (any agent that runs it gets the failure: lab.json faults)
    const plan = (await checkTarget(new LabTransport(dir), specFor(combo))).report; // make sure it is broken
    expect(plan.compliant).toBe(false);
    await fsp.writeFile(path.join(dir, "lab.json"), JSON.stringify({ ...state, faults: { fail: [{ match: "anonymousAuthentication /enabled:True", exitCode: 5, stderr: "ERROR ( message:Access is denied. )" }] } }, null, 2));
    const r = await converge(new LabTransport(dir), specFor(combo));
    expect(r.status).toBe("rolled-back");
    expect(r.apply!.notes).toEqual([]);
    expect(r.apply!.failed!.stderr).toContain("Access is denied.");
    expect(r.apply!.rollback.every((x) => x.exitCode === 0)).toBe(true);
    expect(r.apply!.rollback[0].command).toContain(`restore backup ${r.apply!.backupName}`);
    expectSameSnapshot(await snapshot(dir), before);
  });

  it.each([
    ["kb920659: IIS config + Users membership (net localgroup) then msiexec fails", KB2],
    ["modern: IIS config + SelfUpdate ACL (icacls /grant) then msiexec fails", MODERN2],
  ] as const)("last step: %s → all of it restored", async (_name, combo) => {
    const dir = await brokenLab(combo, [1, 2, 4, 5, 6, 8]);
    // the package msiexec needs is gone: the reinstall (last step) fails with 1619
    const msi = (await resolveHostPath(dir, MSI)).hostPath;
    const msiBytes = await fsp.readFile(msi);
    await fsp.rm(msi);
    const before = await snapshot(dir);
    const r = await converge(new LabTransport(dir), specFor(combo));
    expect(r.status).toBe("rolled-back");
    const failed = r.apply!.failed!;
    expect(failed.command).toMatch(/msiexec/);
    expect(failed.exitCode).toBe(1619);
    expect(failed.index).toBe(r.plan.steps.length);
    const kinds = r.plan.steps.map((s) => s.action.kind);
    expect(kinds).toContain(combo.profile === "kb920659" ? "add-group-member" : "grant-acl");
    // the steps before it did run and changed the server
    expect(r.apply!.results.filter((x) => x.index > 0 && x.index < failed.index).every((x) => x.exitCode === 0)).toBe(true);
    expect(r.apply!.rollback.length).toBeGreaterThanOrEqual(2);
    expect(r.apply!.rollback.every((x) => x.exitCode === 0)).toBe(true);
    if (combo.profile === "kb920659") expect(r.apply!.rollback.map((x) => x.command)).toContain("net localgroup Users IUSR_WSUS01 /delete");
    else expect(r.apply!.rollback.some((x) => /^icacls .* \/restore /.test(x.command))).toBe(true);
    expectSameSnapshot(await snapshot(dir), before);
    // the read-back in the same trip shows the pre-apply findings again
    expect(failsOf(r.after.findings).length).toBeGreaterThan(0);

    // put the package back: the next converge succeeds
    await fsp.writeFile(msi, msiBytes);
    const next = await converge(new LabTransport(dir), specFor(combo));
    expect(next.status).toBe("applied");
    expect(failsOf(next.after.findings)).toEqual([]);
  });
});
