import { labAnonymousCanRead } from "../../lab/http/anonymousAcl";
import type { Command } from "commander";
import { EvidenceError } from "../../core/evidence/errors";
import { LabError } from "../../lab/http/drive";
import { serveLab, type Endpoint, type LabServer, type NotServed } from "../../lab/http/server";
import { CliError } from "../errors";

/**
 * `wsus-iis lab serve DIR [--port-map 80=18080,8530=18530] [--json]`: serve a lab folder over HTTP on
 * loopback addresses until SIGINT / SIGTERM. Added to the `lab` command group by registerLabServe().
 */

export interface LabServeOptions {
  portMap?: string;
  json?: boolean;
}

export interface LabServeIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** Stop when aborted instead of waiting for SIGINT / SIGTERM (tests, embedding). */
  signal?: AbortSignal;
  /** Called once the server is up. */
  onReady?: (server: LabServer) => void;
}

/** Parse `80=18080,8530=18530` (a mapped port of 0 = an ephemeral port). Throws CliError naming --port-map. */
export function parsePortMap(text: string | undefined): Record<number, number> {
  const map: Record<number, number> = {};
  if (text === undefined) return map;
  const pieces = text.split(",").map((p) => p.trim()).filter((p) => p !== "");
  if (pieces.length === 0) throw new CliError(`--port-map: expected PORT=PORT[,PORT=PORT...], got ${JSON.stringify(text)}`);
  for (const piece of pieces) {
    const m = /^(\d{1,5})=(\d{1,5})$/.exec(piece);
    if (!m) throw new CliError(`--port-map: expected PORT=PORT such as 80=18080, got ${JSON.stringify(piece)}`);
    const from = Number(m[1]);
    const to = Number(m[2]);
    if (from < 1 || from > 65535) throw new CliError(`--port-map: binding port expected 1..65535, got ${from}`);
    if (to > 65535) throw new CliError(`--port-map: listen port expected 0..65535 (0 = any free port), got ${to}`);
    if (from in map && map[from] !== to) throw new CliError(`--port-map: port ${from} mapped twice`);
    map[from] = to;
  }
  return map;
}

export function formatEndpoints(endpoints: readonly Endpoint[], notServed: readonly NotServed[]): string {
  const width = Math.max(0, ...endpoints.map((e) => e.site.length), ...notServed.map((n) => n.site.length));
  const lines: string[] = [];
  for (const e of endpoints) lines.push(`${e.site.padEnd(width)}  ${e.url}  (binding ${e.binding})`);
  for (const n of notServed) lines.push(`${n.site.padEnd(width)}  not served  (${n.protocol} binding ${n.binding}): ${n.reason}`);
  if (lines.length === 0) lines.push("(no bindings)");
  return lines.join("\n") + "\n";
}

export async function runLabServe(dir: string, options: LabServeOptions, io: LabServeIo): Promise<void> {
  const portMap = parsePortMap(options.portMap);
  let server: LabServer;
  try {
    server = await serveLab(dir, {
      portMap,
      anonymousCanRead: labAnonymousCanRead,
      onWarning: (m) => io.stderr(`wsus-iis lab serve: ${m}\n`),
    });
  } catch (e) {
    if (e instanceof LabError || e instanceof EvidenceError) throw new CliError(e.message);
    throw e;
  }
  try {
    if (options.json) io.stdout(JSON.stringify({ dir, endpoints: server.endpoints, notServed: server.notServed }, null, 2) + "\n");
    else io.stdout(formatEndpoints(server.endpoints, server.notServed));
    if (!options.json) io.stderr("Serving; press Ctrl+C to stop.\n");
    io.onReady?.(server);
    await waitForStop(io.signal);
  } finally {
    await server.close();
  }
}

function waitForStop(signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal) {
      if (signal.aborted) return resolve();
      signal.addEventListener("abort", () => resolve(), { once: true });
      return;
    }
    const stop = () => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      resolve();
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
}

/** Add `serve` to an existing `lab` command group. */
export function registerLabServe(labCommand: Command): void {
  labCommand
    .command("serve")
    .description("serve a lab folder's IIS sites over HTTP on loopback addresses (127.0.0.0/8), re-reading its config on every request")
    .argument("<dir>", "lab folder (holds lab.json)")
    .option("--port-map <map>", "binding port to listen port, e.g. 80=18080,8530=18530 (unmapped ports above 1024 are used as is, others get a free port)")
    .option("--json", "print the endpoints as JSON")
    .action(async (dir: string, opts: LabServeOptions) => {
      await runLabServe(dir, opts, {
        stdout: (t) => process.stdout.write(t),
        stderr: (t) => process.stderr.write(t),
      });
    });
}
