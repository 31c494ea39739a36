import { createHash } from "node:crypto";
import { existsSync, promises as fsp } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

/**
 * The lab's host program (lab/shim.ts) as one JavaScript file that starts fast: the agent starts it
 * for every command it runs. From a build (dist/), the compiled file is used as is; from the
 * TypeScript sources, it is bundled once with esbuild (tsx's own dependency) per content of the
 * sources, into node_modules/.cache/wsus-iis (or the OS temp folder).
 */
const ROOT = path.resolve(__dirname, "..", "..");

let cached: Promise<string> | undefined;

export function shimScript(): Promise<string> {
  cached ??= build();
  return cached;
}

async function sourceHash(): Promise<string> {
  const h = createHash("sha256");
  const walk = async (dir: string) => {
    const entries = (await fsp.readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1));
    for (const e of entries) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.name.endsWith(".ts")) h.update(p).update(await fsp.readFile(p));
    }
  };
  for (const d of ["core", "lab"]) await walk(path.join(ROOT, d));
  h.update(JSON.stringify(require(path.join(ROOT, "package.json")).dependencies ?? {}));
  return h.digest("hex").slice(0, 16);
}

async function build(): Promise<string> {
  const compiled = path.join(__dirname, "..", "shim.js");
  if (__filename.endsWith(".js") && existsSync(compiled)) return compiled;
  const hash = await sourceHash();
  const cacheDirs = [path.join(ROOT, "node_modules", ".cache", "wsus-iis"), path.join(os.tmpdir(), "wsus-iis-cache")];
  for (const dir of cacheDirs) {
    const out = path.join(dir, `lab-shim-${hash}.cjs`);
    if (existsSync(out)) return out;
    try {
      await fsp.mkdir(dir, { recursive: true });
      const esbuild = await import("esbuild");
      const tmp = `${out}.${process.pid}.tmp`;
      await esbuild.build({
        entryPoints: [path.join(ROOT, "lab", "shim.ts")],
        bundle: true,
        platform: "node",
        target: "node20",
        format: "cjs",
        outfile: tmp,
        logLevel: "silent",
      });
      await fsp.rename(tmp, out);
      return out;
    } catch (e) {
      if (dir === cacheDirs[cacheDirs.length - 1]) throw e;
    }
  }
  throw new Error("unreachable");
}
