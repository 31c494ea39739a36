/**
 * Run a bench module as compiled JavaScript in a fresh Node process. The policy pack runs under
 * ts-node (TypeScript's own transpile) in real use; tsx/esbuild adds name-keeping helpers to every
 * function that would inflate the figures, so such benches run on `tsc` output instead.
 */
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BenchRow } from "./run";

const ROOT = join(__dirname, "..");

export function runCompiled(modulePath: string, exportName = "benchRows"): BenchRow[] {
  const out = mkdtempSync(join(tmpdir(), "wsus-bench-js-"));
  try {
    execFileSync(process.execPath, [require.resolve("typescript/bin/tsc"), "-p", join(ROOT, "tsconfig.json"), "--noEmit", "false", "--outDir", out, "--declaration", "false", "--sourceMap", "false"], { cwd: ROOT, stdio: "inherit" });
    copyFileSync(join(ROOT, "package.json"), join(out, "package.json"));
    symlinkSync(join(ROOT, "node_modules"), join(out, "node_modules"), "dir");
    const script = `require(${JSON.stringify(join(out, modulePath))}).${exportName}().then((r) => process.stdout.write(JSON.stringify(r)), (e) => { console.error(e); process.exit(1); })`;
    return JSON.parse(execFileSync(process.execPath, ["-e", script], { cwd: out, encoding: "utf8", maxBuffer: 16 * 2 ** 20 }));
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}
