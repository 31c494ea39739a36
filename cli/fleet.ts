import { readFileSync } from "node:fs";
import { Command } from "commander";
import { SingleBar } from "cli-progress";
import { runFleet, type FleetOutcome } from "../ops/fleet";
import { openTransport, TargetError, type Transport } from "../transports";
import { parseTarget } from "../transports/target";
import { parse as parseYaml } from "yaml";
import type { Spec } from "../core/model/spec";
import { CliError } from "./errors";
import { parseSpecInput, specInputOf, type SpecOptions } from "./spec";

export interface FleetOptions {
  target?: string[];
  targets?: string;
  concurrency: string;
  progress?: boolean;
  sshIdentity?: string;
  sshKnownHosts?: string;
  timeout?: string;
}

/** The options every command that talks to servers shares. */
export function addFleetOptions(cmd: Command): Command {
  return cmd
    .option("--target <target...>", "server(s): lab:DIR, local, or ssh://user@host[:port] (repeatable)")
    .option("--targets <file>", "file with one target per line (# comments), or a JSON array of targets")
    .option("--concurrency <n>", "servers worked on at once", "16")
    .option("--no-progress", "plain progress lines even on a terminal")
    .option("--ssh-identity <file>", "ssh private key (default: ssh-agent / your default keys)")
    .option("--ssh-known-hosts <file>", "known_hosts file to verify host keys against (default: yours)")
    .option("--timeout <ms>", "per-server request timeout in milliseconds", "120000");
}

/** One server of a fleet: its target and, from a --targets file, spec fields that differ from the base spec. */
export interface FleetEntry {
  target: string;
  overrides?: Record<string, unknown>;
  /** Where the entry came from, for error messages (`--targets servers.yaml[2]`). */
  origin: string;
}

/**
 * The servers to work on: `--target` (repeatable) and `--targets FILE`. The file is one target per line
 * (# comments), or a JSON/YAML list whose items are target strings or objects `{ target, …spec fields }`
 * (e.g. `{ target: ssh://admin@wsus02, configuration: 2, profile: modern }` in a mixed fleet).
 */
export function fleetOf(opts: FleetOptions): FleetEntry[] {
  const entries: FleetEntry[] = (opts.target ?? []).map((t) => ({ target: t, origin: "--target" }));
  if (opts.targets) {
    let text: string;
    try {
      text = readFileSync(opts.targets, "utf8");
    } catch (e) {
      throw new CliError(`cannot read --targets ${opts.targets}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    const structured = /\.(ya?ml|json)$/i.test(opts.targets) || text.trim().startsWith("[");
    if (structured) {
      let parsed: unknown;
      try {
        parsed = /\.ya?ml$/i.test(opts.targets) ? parseYaml(text) : JSON.parse(text);
      } catch (e) {
        throw new CliError(`--targets ${opts.targets} is not valid ${/\.ya?ml$/i.test(opts.targets) ? "YAML" : "JSON"}: ${(e as Error).message.split("\n")[0]}`);
      }
      if (!Array.isArray(parsed)) throw new CliError(`--targets ${opts.targets}: expected a list of targets`);
      parsed.forEach((item, i) => {
        const origin = `--targets ${opts.targets}[${i}]`;
        if (typeof item === "string") entries.push({ target: item, origin });
        else if (item && typeof item === "object" && !Array.isArray(item) && typeof (item as { target?: unknown }).target === "string") {
          const { target, ...overrides } = item as Record<string, unknown>;
          entries.push({ target: target as string, overrides, origin });
        } else throw new CliError(`${origin}: expected a target string or an object with a "target" field`);
      });
    } else {
      text.split(/\r?\n/).forEach((l, i) => {
        const t = l.replace(/#.*$/, "").trim();
        if (t) entries.push({ target: t, origin: `--targets ${opts.targets}:${i + 1}` });
      });
    }
  }
  const seen = new Set<string>();
  const out: FleetEntry[] = [];
  for (const e of entries) {
    try {
      parseTarget(e.target);
    } catch (err) {
      if (err instanceof TargetError) throw new CliError(`${e.origin}: ${err.message}`);
      throw err;
    }
    if (!seen.has(e.target)) {
      seen.add(e.target);
      out.push(e);
    }
  }
  return out;
}

/**
 * Each server's spec: the base spec (--config and options) with the entry's overrides on top, all
 * validated up front so that bad input stops the run before any server is touched.
 */
export function specsOf(fleet: FleetEntry[], opts: SpecOptions): Map<string, Spec> {
  const baseInput = specInputOf(opts);
  const base = parseSpecInput(baseInput, opts.config ? ` (config ${opts.config} and options)` : "");
  return new Map(
    fleet.map((e) => [e.target, e.overrides && Object.keys(e.overrides).length ? parseSpecInput({ ...baseInput, ...e.overrides }, ` for ${e.origin}`, (p) => p) : base]),
  );
}

export function concurrencyOf(opts: FleetOptions): number {
  const n = Number(opts.concurrency);
  if (!Number.isInteger(n) || n < 1 || n > 1024) throw new CliError(`--concurrency: expected 1..1024, got ${JSON.stringify(opts.concurrency)}`);
  return n;
}

export function transportFor(target: string, opts: FleetOptions): Transport {
  const timeoutMs = Number(opts.timeout ?? "120000");
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new CliError(`--timeout: expected milliseconds > 0, got ${JSON.stringify(opts.timeout)}`);
  return openTransport(target, { ssh: { identityFile: opts.sshIdentity, knownHostsFile: opts.sshKnownHosts, timeoutMs } });
}

/**
 * Run `fn` over the targets with a progress bar on a terminal (stderr), or one plain line per server
 * otherwise. Single-target runs stay quiet.
 */
export async function withProgress<T>(targets: string[], opts: FleetOptions, fn: (t: string) => Promise<T>, label: (o: FleetOutcome<T>) => string): Promise<FleetOutcome<T>[]> {
  const many = targets.length > 1;
  const useBar = many && opts.progress !== false && process.stderr.isTTY === true;
  const bar = useBar ? new SingleBar({ format: "{bar} {value}/{total} servers | {last}", stream: process.stderr, hideCursor: true }) : undefined;
  bar?.start(targets.length, 0, { last: "" });
  const outcomes = await runFleet(targets, concurrencyOf(opts), fn, (o, done, total) => {
    if (bar) bar.update(done, { last: `${o.target}: ${label(o)}` });
    else if (many) process.stderr.write(`[${done}/${total}] ${o.target}: ${label(o)}\n`);
  });
  bar?.stop();
  return outcomes;
}

/** A fixed-width summary table: one row per server. */
export function summaryTable(rows: { target: string; status: string; detail: string }[]): string {
  const w = Math.max(6, ...rows.map((r) => r.target.length));
  const s = Math.max(6, ...rows.map((r) => r.status.length));
  const counts = new Map<string, number>();
  for (const r of rows) counts.set(r.status, (counts.get(r.status) ?? 0) + 1);
  return [
    `${"server".padEnd(w)}  ${"status".padEnd(s)}  detail`,
    ...rows.map((r) => `${r.target.padEnd(w)}  ${r.status.padEnd(s)}  ${r.detail}`),
    "",
    [...counts].map(([k, v]) => `${v} ${k}`).join(", "),
    "",
  ].join("\n");
}
