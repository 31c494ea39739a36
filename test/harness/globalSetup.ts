// vitest globalSetup: build dist/ once per run when it is missing or older than the sources
// (the provider tests load the compiled provider the way the Pulumi plugin does).
import { ensureBuilt } from "./build";

export default function setup(): void {
  const r = ensureBuilt();
  if (r.built) {
    console.log(`[globalSetup] built dist/ in ${r.ms} ms (${r.reason})`);
    if (r.warnings) console.warn(`[globalSetup] tsc reported errors outside the provider (dist/ still emitted):\n${r.warnings.split("\n").slice(0, 10).join("\n")}`);
  }
}
