/**
 * Fleet benchmarks on lab servers: round trips per server (ours vs a per-resource baseline that reads
 * and writes each vdir, auth setting and ACL separately, the way Ansible tasks or fine-grained IaC
 * resources do), and a 1,000-server fleet check with 50 ms injected per round trip.
 */
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { resolveLayout } from "../core/model/layout";
import { parseSpec } from "../core/model/spec";
import { createLab } from "../lab/create";
import { LabAgentHost } from "../lab/agentHost";
import { checkTarget, converge } from "../ops/converge";
import { runFleet } from "../ops/fleet";
import { LabTransport } from "../transports/lab";
import type { BenchRow } from "./run";

const LATENCY = 50;

/** N lab servers: one built, the rest copied (creating each from scratch only costs bench time). */
async function makeFleet(n: number, breaks: (1 | 2 | 3 | 4 | 5 | 6 | 7 | 8)[] = []): Promise<{ root: string; dirs: string[] }> {
  const root = mkdtempSync(join(tmpdir(), "wsus-fleet-"));
  const first = join(root, "s0");
  await createLab(first, { configuration: 2, breaks });
  const dirs = [first];
  for (let i = 1; i < n; i++) {
    const d = join(root, `s${i}`);
    // Identical copies (IUSR_<COMPUTERNAME> ties the name to lab.json's groups, so it stays the same).
    cpSync(first, d, { recursive: true });
    dirs.push(d);
  }
  return { root, dirs };
}

/** The per-resource way: one round trip per thing read (each vdir, each auth section, the ACL, the group, the files). */
function perResourceReads(configuration: 1 | 2): string[] {
  const layout = resolveLayout(parseSpec({ configuration }));
  const cmds: string[] = [];
  for (const site of layout.sites) {
    cmds.push(`appcmd list site "${site.name}"`);
    for (const v of site.vdirs) {
      cmds.push(`appcmd list ${v.kind} "${site.name}/${v.name}"`);
      cmds.push(`appcmd list config "${site.name}/${v.name}" -section:system.webServer/security/authentication/anonymousAuthentication`);
      cmds.push(`appcmd list config "${site.name}/${v.name}" -section:system.webServer/security/authentication/windowsAuthentication`);
    }
  }
  cmds.push(`icacls "${layout.selfUpdatePath}"`, "net localgroup Users", `dir /s /b /a-d "${layout.selfUpdatePath}"`);
  return cmds;
}

async function perResourceRoundTrips(dir: string, commands: string[]): Promise<number> {
  const host = new LabAgentHost(dir);
  for (const c of commands) {
    await new Promise((r) => setTimeout(r, LATENCY));
    await host.run(c);
  }
  return commands.length;
}

export async function benchRows(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const spec = parseSpec({ configuration: 2 });

  // Round trips, ours vs per-resource, on the same lab servers.
  {
    const { root, dirs } = await makeFleet(20, [4, 5, 6]);
    let checkTrips = 0;
    let convergeTrips = 0;
    for (const d of dirs.slice(0, 10)) {
      const t = new LabTransport(d);
      await checkTarget(t, spec);
      checkTrips += t.roundTrips;
    }
    let steps = 0;
    for (const d of dirs.slice(10)) {
      const t = new LabTransport(d);
      const r = await converge(t, spec);
      convergeTrips += r.roundTrips;
      steps += r.plan.steps.length;
    }
    const reads = perResourceReads(2);
    // per resource converge: read every resource, then one write and one verify read per change
    const baselineConverge = reads.length + (2 * steps) / 10;
    rows.push({ name: "round trips per server: check", value: checkTrips / 10, unit: "trips", goal: { op: "<=", value: 1 }, detail: `per-resource baseline: ${reads.length} (${(reads.length / (checkTrips / 10)).toFixed(0)}× more)` });
    rows.push({ name: "round trips per server: converge (3 KB causes)", value: convergeTrips / 10, unit: "trips", goal: { op: "<=", value: 2 }, detail: `per-resource baseline: ${baselineConverge} (${(baselineConverge / (convergeTrips / 10)).toFixed(0)}× more), ${steps / 10} repair steps` });
    // wall time for one server, both ways, with the same 50 ms per round trip
    const t0 = performance.now();
    await checkTarget(new LabTransport(dirs[0], { latencyMs: LATENCY }), spec);
    const ours = performance.now() - t0;
    const t1 = performance.now();
    await perResourceRoundTrips(dirs[1], reads);
    const theirs = performance.now() - t1;
    rows.push({ name: "one server check at 50 ms/round trip: ours vs per-resource", value: Math.round(ours), unit: "ms", detail: `per-resource: ${Math.round(theirs)} ms (${(theirs / ours).toFixed(1)}× slower)` });
    rmSync(root, { recursive: true, force: true });
  }

  // 1,000 servers, 50 ms per round trip.
  {
    const n = Number(process.env.WSUS_IIS_BENCH_FLEET ?? 1000);
    const tc = performance.now();
    const { root, dirs } = await makeFleet(n);
    const setup = performance.now() - tc;
    const rssBefore = process.memoryUsage().rss;
    let peakRss = rssBefore;
    const timer = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 20);
    const concurrency = 128;
    const t0 = performance.now();
    const outcomes = await runFleet(dirs, concurrency, (d) => checkTarget(new LabTransport(d, { latencyMs: LATENCY }), spec));
    const wall = performance.now() - t0;
    clearInterval(timer);
    const ok = outcomes.filter((o) => o.ok && o.value!.report.compliant).length;
    if (ok !== n) throw new Error(`fleet bench: ${n - ok} servers not compliant/unreachable: ${outcomes.find((o) => !o.ok)?.error?.message}`);
    rows.push({ name: `fleet check: ${n} lab servers, 50 ms/round trip, concurrency ${concurrency}`, value: Math.round(wall), unit: "ms", goal: { op: "<=", value: 5000 }, detail: `${(wall / n).toFixed(1)} ms/server amortised; fleet set-up ${Math.round(setup)} ms (not counted)` });
    rows.push({ name: `fleet check: peak RSS growth (${n} servers)`, value: Math.round((peakRss - rssBefore) / 2 ** 20), unit: "MB", detail: `process peak RSS ${Math.round(peakRss / 2 ** 20)} MB` });
    rmSync(root, { recursive: true, force: true });
  }
  return rows;
}
