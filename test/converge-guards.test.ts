import { createHash } from "node:crypto";
import { promises as fsp } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import type { AgentRequest, AgentResponse } from "../core/agent/protocol";
import { checkTarget, converge } from "../ops/converge";
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
  async request(req: AgentRequest): Promise<AgentResponse> {
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

  it("a byte change at the read's last command (after the config was read) → refused-drift", async () => {
    // The read hashes the file before reading it, so an edit after the read is caught. (The agent used to
    // hash at the end of the read: an edit during the read was blessed with the new hash and the plan,
    // made from the old text, was applied over it.)
    const dir = await brokenLab(KB2, [2, 4, 5, 6]);
    const n = await readCommandsOf(dir, KB2);
    let edited: Buffer | undefined;
    await refusedThenConverges(
      dir,
      () =>
        converge(
          new LabTransport(dir, {
            beforeCommand: async (i) => {
              if (i !== n) return;
              await byteEdit(dir);
              edited = await configBytes(dir);
            },
          }),
          specFor(KB2),
        ),
      async () => edited!,
    );
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
  it("mid-plan: the site a later step needs disappears → rolled-back, config identical to before the apply, failed step reported", async () => {
    const combo = MODERN2;
    const dir = await brokenLab(combo, [1, 2, 4, 5, 6]);
    const before = await snapshot(dir);
    // someone deletes the WSUS site while the plan runs, right before the step that adds a vdir to it
    const target = 'add vdir /app.name:"WSUS Administration/"';
    const t = new LabTransport(dir, {
      beforeCommand: async (_i, line) => {
        if (line.includes(target)) await must(dir, `${APPCMD} delete site "WSUS Administration"`);
      },
    });
    const r = await converge(t, specFor(combo));
    expect(r.status).toBe("rolled-back");
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
    // backup, ACL save, then restore of both
    expect(r.apply!.results[0].command).toContain(` add backup ${r.apply!.backupName}`);
    expect(r.apply!.rollback).toHaveLength(2);
    expect(r.apply!.rollback.every((x) => x.exitCode === 0)).toBe(true);
    expect(r.apply!.rollback[0].command).toContain(`restore backup ${r.apply!.backupName}`);
    expect(r.apply!.rollback[1].command).toMatch(/^icacls .* \/restore /);
    // everything as before the apply, including the site the concurrent delete removed after the backup
    expectSameSnapshot(await snapshot(dir), before);
    // the backup stays for people
    expect((await runCommand(dir, `${APPCMD} list backup ${r.apply!.backupName}`)).exitCode).toBe(0);
    // and the next converge repairs everything
    const next = await converge(new LabTransport(dir), specFor(combo));
    expect(next.status).toBe("applied");
    expect(failsOf(next.after.findings)).toEqual([]);
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
