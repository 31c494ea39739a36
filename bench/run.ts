/**
 * `npm run bench`: every speed and memory goal of the project, measured on this machine and written
 * as a table to bench/RESULTS.md (and printed). Each bench returns rows; goals are compared, not asserted.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import os from "node:os";

export interface BenchRow {
  name: string;
  value: number;
  unit: string;
  goal?: { op: "<=" | ">="; value: number };
  detail?: string;
}

type Bench = { title: string; run: () => Promise<BenchRow[]> };

const BENCHES: Bench[] = [
  {
    title: "applicationHost.config parse + evaluate",
    run: async () => (await import("./apphost.js")).benchRows(),
  },
  {
    title: "policy pack on 10,000 resources",
    // compiled by tsc like ts-node does for run-policy-pack (see compiled.ts)
    run: async () => (await import("./compiled.js")).runCompiled("bench/policies.js"),
  },
  {
    title: "dynamic provider: serialized size and cold load",
    run: async () => {
      const { ensureBuilt } = await import("../test/harness/build.js");
      ensureBuilt();
      const m = await (await import("../test/harness/measure.js")).measureProvider({ runs: 3 });
      return [
        { name: "dynamic provider: serialized __provider", value: m.bytes, unit: "bytes", detail: `serialize ${Math.round(m.serializeMs)} ms (constructor until URN)` },
        { name: "dynamic provider: cold load in a fresh plugin process", value: Math.round(m.loadMs * 10) / 10, unit: "ms", detail: `first call (loads runtime, zod, project) ${Math.round(m.firstCallMs)} ms; warm call ${m.warmCallMs.toFixed(1)} ms` },
      ];
    },
  },
  {
    title: "soak: random break/converge cycles",
    run: async () => (await import("./soak.js")).benchRows(),
  },
  {
    title: "real agent: PowerShell round trips",
    run: async () => (await import("./agent.js")).benchRows(),
  },
  {
    title: "fleet: round trips and 1,000-server check",
    run: async () => (await import("./fleet.js")).benchRows(),
  },
];

function verdict(r: BenchRow): string {
  if (!r.goal) return "";
  const met = r.goal.op === "<=" ? r.value <= r.goal.value : r.value >= r.goal.value;
  return `${r.goal.op} ${r.goal.value} ${r.unit}: ${met ? "met" : "NOT met"}`;
}

async function main() {
  const only = process.argv.slice(2);
  const rows: BenchRow[] = [];
  for (const b of BENCHES) {
    if (only.length && !only.some((o) => b.title.toLowerCase().includes(o.toLowerCase()))) continue;
    process.stderr.write(`bench: ${b.title} …\n`);
    rows.push(...(await b.run()));
  }
  const header = `# Benchmark results\n\nMachine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? "cpu"}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${new Date().toISOString()}\n\n`;
  const line = (r: BenchRow) => `| ${r.name} | ${r.value} ${r.unit} | ${verdict(r)} | ${r.detail ?? ""} |`;
  // A partial run (`npm run bench -- fleet`) replaces its own rows and keeps the others' last figures.
  const file = join(__dirname, "RESULTS.md");
  const kept = only.length && existsSync(file) ? readFileSync(file, "utf8").split("\n").filter((l) => /^\| (?!benchmark |---)/.test(l) && !rows.some((r) => l.startsWith(`| ${r.name} |`))) : [];
  const table = ["| benchmark | value | goal | detail |", "|---|---:|---|---|", ...kept, ...rows.map(line)].join("\n");
  const md = header + table + "\n";
  writeFileSync(file, md);
  process.stdout.write(header + ["| benchmark | value | goal | detail |", "|---|---:|---|---|", ...rows.map(line)].join("\n") + "\n");
}

main().catch((e) => {
  process.stderr.write(`bench failed: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exitCode = 1;
});
