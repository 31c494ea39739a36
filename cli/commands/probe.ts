import type { Command } from "commander";
import { KB_CAUSES } from "../../core/rules/finding";
import { probe, ProbeInputError, type ProbeResult } from "../../core/probe";
import { CliError, EXIT } from "../errors";

/**
 * `wsus-iis probe URL [--client-port 80|8530] [--profile auto|kb920659|modern] [--windows-auth-vdir NAME]
 *  [--format text|json] [--timeout MS]`: fetch what a Windows Update client fetches first, anonymously
 * over plain HTTP, and name the KB 920659 causes the answers point to. Exit 0 all ok (warnings allowed),
 * 1 a check failed, 2 bad input.
 *
 * Ports: the self-update / ClientWebService / site-root checks use --client-port, else the URL's port,
 * else 80; the Windows-auth vdir check uses the URL's port, else the client port. So
 * `probe http://wsus:8530 --client-port 80` checks KB Configuration 2 (clients on the port-80 site, the
 * admin vdir on the WSUS Administration site).
 */

const FLAGS: Record<string, string> = {
  url: "URL",
  clientPort: "--client-port",
  profile: "--profile",
  windowsAuthVdir: "--windows-auth-vdir",
  timeoutMs: "--timeout",
};

interface RawOptions {
  clientPort?: string;
  profile?: string;
  windowsAuthVdir?: string;
  format?: string;
  timeout?: string;
}

function intOption(flag: string, value: string | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) throw new CliError(`${flag}: expected ${min}..${max}, got ${/^\d+$/.test(v) ? v : JSON.stringify(value)}`);
  return Number(v);
}

function enumOption<T extends string>(flag: string, value: string | undefined, allowed: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value)) throw new CliError(`${flag}: expected ${allowed.join(" or ")}, got ${JSON.stringify(value)}`);
  return value as T;
}

const MARK = { pass: "ok  ", warn: "WARN", fail: "FAIL" } as const;

export function formatProbeText(r: ProbeResult): string {
  const lines: string[] = [];
  lines.push(`wsus-iis probe ${r.url}  (profile ${r.profile}${r.profileReason === "given" ? "" : `, ${r.profileReason}`}; client checks on ${r.clientBase}, Windows-auth vdir on ${r.adminBase})`);
  const width = Math.max(...r.checks.map((c) => c.name.length));
  for (const c of r.checks) {
    const causes = [c.causes.length > 0 ? `  [cause ${c.causes.join(" or ")}]` : "", c.rules.length > 0 ? `  [rule ${c.rules.join(" or ")}]` : ""].join("");
    lines.push(`  ${MARK[c.level]}  ${c.name.padEnd(width)}  GET ${c.url} -> ${c.status}${causes}`);
    lines.push(`        ${c.message}`);
  }
  if (r.compliant) {
    const warnings = r.checks.filter((c) => c.level === "warn").length;
    lines.push(warnings > 0 ? `OK: a client can self-update (${warnings} warning${warnings === 1 ? "" : "s"}).` : "OK: a client can self-update.");
  } else {
    lines.push("FAILED.");
    if (r.causes.length > 0) {
      lines.push("KB 920659 causes pointed to:");
      for (const n of r.causes) lines.push(`  ${n}. ${KB_CAUSES[n as keyof typeof KB_CAUSES]}`);
    }
    if (r.rules.length > 0) lines.push(`Rules pointed to (check --rules kb,health): ${r.rules.join(", ")}`);
  }
  return lines.join("\n") + "\n";
}

export async function runProbe(url: string, raw: RawOptions, write: (text: string) => void): Promise<number> {
  const format = enumOption("--format", raw.format, ["text", "json"] as const) ?? "text";
  const options = {
    clientPort: intOption("--client-port", raw.clientPort, 1, 65535),
    profile: enumOption("--profile", raw.profile, ["auto", "kb920659", "modern"] as const),
    windowsAuthVdir: raw.windowsAuthVdir,
    timeoutMs: intOption("--timeout", raw.timeout, 1, 600_000),
  };
  let result: ProbeResult;
  try {
    result = await probe(
      url,
      Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)),
    );
  } catch (e) {
    if (e instanceof ProbeInputError) throw new CliError(`${FLAGS[e.field] ?? e.field}: ${e.detail}`);
    throw e;
  }
  write(format === "json" ? JSON.stringify(result, null, 2) + "\n" : formatProbeText(result));
  return result.compliant ? EXIT.ok : EXIT.findings;
}

export function register(program: Command): void {
  program
    .command("probe")
    .description("Fetch what a Windows Update client fetches first (anonymously, plain HTTP) and name the KB 920659 causes the answers point to")
    .argument("<url>", "the WSUS server URL, e.g. http://wsus01:8530 (only its host and port are used)")
    .option("--client-port <port>", "port clients use for self-update (default: the URL's port, else 80)")
    .option("--profile <profile>", "auto (ask for ApiRemoting30 and WSUSAdmin, keep the one that exists), kb920659 (WSUSAdmin) or modern (ApiRemoting30)", "auto")
    .option("--windows-auth-vdir <name>", "the Windows-auth-only vdir to check instead of the profile's")
    .option("--format <format>", "text or json", "text")
    .option("--timeout <ms>", "per-request timeout in milliseconds", "5000")
    .addHelpText("after", "\nExit codes: 0 every check ok (warnings allowed), 1 a check failed, 2 bad input.")
    .action(async (url: string, opts: RawOptions) => {
      const code = await runProbe(url, opts, (t) => process.stdout.write(t));
      if (code !== EXIT.ok) process.exitCode = code;
    });
}
