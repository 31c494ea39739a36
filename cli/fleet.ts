import { readFileSync } from "node:fs";
import { Command } from "commander";
import { SingleBar } from "cli-progress";
import { runFleet, type FleetOutcome } from "../ops/fleet";
import { openTransport, TargetError, type Transport } from "../transports";
import { parseTarget } from "../transports/target";
import { CliError } from "./errors";

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

export function targetsOf(opts: FleetOptions): string[] {
  const list = [...(opts.target ?? [])];
  if (opts.targets) {
    let text: string;
    try {
      text = readFileSync(opts.targets, "utf8");
    } catch (e) {
      throw new CliError(`cannot read --targets ${opts.targets}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    const trimmed = text.trim();
    if (trimmed.startsWith("[")) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(trimmed);
      } catch (e) {
        throw new CliError(`--targets ${opts.targets} is not valid JSON: ${(e as Error).message}`);
      }
      if (!Array.isArray(parsed) || !parsed.every((x) => typeof x === "string")) throw new CliError(`--targets ${opts.targets}: expected a JSON array of target strings`);
      list.push(...parsed);
    } else {
      list.push(...text.split(/\r?\n/).map((l) => l.replace(/#.*$/, "").trim()).filter(Boolean));
    }
  }
  for (const t of list) {
    try {
      parseTarget(t);
    } catch (e) {
      if (e instanceof TargetError) throw new CliError(`--target: ${e.message}`);
      throw e;
    }
  }
  return [...new Set(list)];
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
