/**
 * The soak at bench scale (the test suite runs a bounded one): many random break/converge cycles per
 * configuration/profile; each must reach zero fail findings in one apply and leave nothing to do.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseSpec } from "../core/model/spec";
import { applyBreak, BREAKS, createLab, type Break } from "../lab/create";
import { converge } from "../ops/converge";
import { LabTransport } from "../transports/lab";
import type { BenchRow } from "./run";

/** Small deterministic PRNG (mulberry32), so a failing cycle can be replayed. */
function rng(seed: number) {
  return () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export async function benchRows(): Promise<BenchRow[]> {
  const cyclesPerCombo = Number(process.env.WSUS_IIS_SOAK_CYCLES ?? 100);
  const repairable = BREAKS.filter((b) => b !== 7) as Break[];
  const root = mkdtempSync(join(tmpdir(), "wsus-soak-"));
  let cycles = 0;
  let converged = 0;
  let harmless = 0;
  let steps = 0;
  const t0 = performance.now();
  try {
    for (const configuration of [1, 2] as const) {
      for (const profile of ["kb920659", "modern"] as const) {
        const dir = join(root, `${configuration}-${profile}`);
        await createLab(dir, { configuration, profile });
        const spec = parseSpec({ configuration, profile, repairs: { reinstallSelfUpdate: true, addIusrToUsers: true } });
        const t = new LabTransport(dir);
        const random = rng(configuration * 100 + profile.length);
        for (let c = 0; c < cyclesPerCombo; c++) {
          let applied = 0;
          for (const b of repairable) {
            if (random() < 0.35) {
              try {
                await applyBreak(dir, b);
                applied++;
              } catch {
                /* this break no longer applies to the repaired layout */
              }
            }
          }
          if (applied === 0) continue;
          cycles++;
          const r = await converge(t, spec);
          steps += r.plan.steps.length;
          const again = await converge(t, spec);
          // a break that changed nothing the rules judge (the Default Web Site's anonymous flag in modern
          // Configuration 2, Users hardened where IUSR reads through its own ACE) needs no apply: converged too
          if (r.status === "nothing-to-do" && r.after.compliant) harmless++;
          if ((r.status === "applied" || r.status === "nothing-to-do") && r.after.compliant && again.status === "nothing-to-do") converged++;
        }
      }
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  const ms = performance.now() - t0;
  return [
    { name: "soak: random break/converge cycles converged in one apply", value: converged, unit: `of ${cycles}`, goal: { op: ">=", value: cycles }, detail: `${steps} repair steps, ${harmless} cycles whose breaks were harmless (nothing to do), ${Math.round(ms / cycles)} ms per cycle (converge + verify + second converge)` },
  ];
}
