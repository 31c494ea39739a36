import { readFileSync } from "node:fs";
import { Command } from "commander";
import { SingleBar } from "cli-progress";
import { runFleet, type FleetOutcome } from "../ops/fleet";
import { openTransport, TargetError, type Transport } from "../transports";
import { SshOptionError, sshFilePath, type SshOptions } from "../transports/ssh";
import { parseTarget, serverIdentity } from "../transports/target";
import type { Spec } from "../core/model/spec";
import { CliError } from "./errors";
import { fieldNamer, parseDataText, parseSpecInput, specInputOf, type SpecOptions } from "./spec";

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
    .option("--concurrency <n>", "servers worked on at once (1..1024)", "16")
    .option("--no-progress", "plain progress lines even on a terminal")
    .option("--ssh-identity <file>", "ssh private key (default: ssh-agent / your default keys; ~/ is expanded)")
    .option("--ssh-known-hosts <file>", "known_hosts file to verify host keys against (default: yours; ~/ is expanded)")
    .option("--timeout <ms>", "per-server request timeout in milliseconds (1..2147483647)", "120000");
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
  // The options first: a bad --timeout is bad input (exit 2) before any server is touched, not a
  // failure of each server (exit 3).
  fleetSettings(opts);
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
      // (YAML warnings are errors there too, one line with the line and column: cli/spec.ts)
      const parsed = parseDataText(text, opts.targets, "--targets");
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
  // One writer per server: targets that reach the same server are worked on once (two applies on one
  // server would undo each other's work through their rollbacks).
  const seen = new Map<string, FleetEntry>();
  const out: FleetEntry[] = [];
  for (const e of entries) {
    let id: string;
    try {
      id = serverIdentity(parseTarget(e.target));
    } catch (err) {
      if (err instanceof TargetError) throw new CliError(`${e.origin}: ${err.message}`);
      throw err;
    }
    const first = seen.get(id);
    if (!first) {
      seen.set(id, e);
      out.push(e);
      continue;
    }
    if (JSON.stringify(first.overrides ?? {}) !== JSON.stringify(e.overrides ?? {})) {
      throw new CliError(`${e.origin}: ${e.target} is the same server as ${first.target} (${first.origin}) with other spec fields: give each server once`);
    }
    if (e.target !== first.target) process.stderr.write(`note: ${e.target} is the same server as ${first.target}: worked on once\n`);
  }
  return out;
}

/**
 * Each server's spec: the base spec (--config and options) with the entry's overrides on top, all
 * validated up front so that bad input stops the run before any server is touched.
 */
export function specsOf(fleet: FleetEntry[], opts: SpecOptions): Map<string, Spec> {
  const baseInput = specInputOf(opts);
  const base = parseSpecInput(baseInput, opts.config ? ` (config ${opts.config} and options)` : "", fieldNamer(opts));
  return new Map(
    fleet.map((e) => [e.target, e.overrides && Object.keys(e.overrides).length ? parseSpecInput({ ...baseInput, ...e.overrides }, ` for ${e.origin}`, (p) => p) : base]),
  );
}

/** What the fleet options say, validated: everything a server's work needs besides its target and spec. */
export interface FleetSettings {
  concurrency: number;
  ssh: SshOptions;
}

/**
 * The largest --timeout: Node's timers take at most 2147483647 ms; "when delay is larger than 2147483647
 * or less than 1, the delay will be set to 1" (Node.js docs, timers), so a larger value would time every
 * request out at once.
 */
export const MAX_TIMEOUT_MS = 2_147_483_647;

/**
 * Validate the fleet options (exit 2 naming the option and the value): whole numbers only (no `1e3`,
 * `0x10`, ` 5`, `1.5`), in range; the ssh files expanded and checked (transports/ssh.ts sshFilePath).
 */
export function fleetSettings(opts: FleetOptions): FleetSettings {
  const concurrency = wholeNumber("--concurrency", opts.concurrency ?? "16", 1, 1024);
  const timeoutMs = wholeNumber("--timeout", opts.timeout ?? "120000", 1, MAX_TIMEOUT_MS, " ms");
  const file = (flag: string, option: "identityFile" | "knownHostsFile", value: string | undefined) => {
    if (value === undefined) return undefined;
    try {
      return sshFilePath(option, value);
    } catch (e) {
      if (e instanceof SshOptionError) throw new CliError(`${flag}: ${e.detail}`);
      throw e;
    }
  };
  file("--ssh-identity", "identityFile", opts.sshIdentity);
  file("--ssh-known-hosts", "knownHostsFile", opts.sshKnownHosts);
  // the transport expands the paths itself (the same function); handing it the options as given keeps
  // the given form known to it for redaction
  return { concurrency, ssh: { identityFile: opts.sshIdentity, knownHostsFile: opts.sshKnownHosts, timeoutMs } };
}

function wholeNumber(flag: string, value: string, min: number, max: number, unit = ""): number {
  const n = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!(n >= min && n <= max)) throw new CliError(`${flag}: expected a whole number ${min}..${max}${unit}, got ${JSON.stringify(value)}`);
  return n;
}

export function concurrencyOf(opts: FleetOptions): number {
  return fleetSettings(opts).concurrency;
}

export function transportFor(target: string, opts: FleetOptions): Transport {
  return openTransport(target, { ssh: fleetSettings(opts).ssh });
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
