import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Command } from "commander";
import { parseSpec } from "../../core/model/spec";
import { probe } from "../../core/probe";
import { renderText } from "../../core/report";
import { isProblem } from "../../core/report/failOn";
import { createLab, parseBreak, type Break } from "../../lab";
import { LabError } from "../../lab/state";
import { labAnonymousCanRead } from "../../lab/http/anonymousAcl";
import { serveLab } from "../../lab/http/server";
import { checkTarget, converge } from "../../ops/converge";
import { LabTransport } from "../../transports/lab";
import { CliError, EXIT } from "../errors";
import { ruleInfoFor } from "../output";
import { formatPlanText } from "./converge";
import { formatProbeText } from "./probe";

interface DemoOptions {
  dir?: string;
  configuration: string;
  profile: string;
  break: string;
  keep?: boolean;
}

// Every KB cause that has an automatic repair and that clients of a default WSUS 4+ server (modern,
// Configuration 2, clients on 8530) can suffer: the SelfUpdate folder's Users entry gone (1), SelfUpdate
// not anonymous (4), the WSUS site on a specific IP (5), the SelfUpdate files deleted (8), and the admin
// vdir opened up. (Cause 6 is the Default Web Site's, which such clients never use; 3 and 2 are shown
// with --break.)
const DEFAULT_BREAKS = "1,4,5,8,windows-auth-anonymous";

/** A loopback port nothing listens on (to show what a client gets when no site answers). */
function unusedPort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.once("error", rej);
    srv.listen(0, "127.0.0.1", () => {
      const p = (srv.address() as AddressInfo).port;
      srv.close(() => res(p));
    });
  });
}

const say = (s = "") => process.stdout.write(s + "\n");
const header = (n: number, title: string) => say(`\n━━ ${n}. ${title} ${"━".repeat(Math.max(0, 66 - title.length))}`);

export function register(program: Command): void {
  program
    .command("demo")
    .description("The main job on the lab: break a simulated WSUS server the KB 920659 ways, detect, repair, and prove it over HTTP.")
    .option("--dir <dir>", "lab folder to use (default: a new temporary folder, removed afterwards)")
    .option("--configuration <n>", "1 or 2", "2")
    .option("--profile <name>", "the lab server's layout: modern (WSUS 3.0 SP2+, every supported Windows Server) or kb920659 (the KB's WSUS 2.0); the checks detect it", "modern")
    .option("--break <causes>", "what to break (KB causes 1..8, missing-vdir, windows-auth-anonymous, wrong-path)", DEFAULT_BREAKS)
    .option("--keep", "keep the lab folder")
    .action(async (opts: DemoOptions) => {
      if (opts.configuration !== "1" && opts.configuration !== "2") throw new CliError(`--configuration: expected 1 or 2, got ${JSON.stringify(opts.configuration)}`);
      if (opts.profile !== "kb920659" && opts.profile !== "modern") throw new CliError(`--profile: expected kb920659 or modern, got ${JSON.stringify(opts.profile)}`);
      let breaks: Break[];
      try {
        breaks = opts.break.split(",").filter(Boolean).map(parseBreak);
      } catch (e) {
        throw new CliError(`--break: ${(e as Error).message}`);
      }
      const configuration = Number(opts.configuration) as 1 | 2;
      const profile = opts.profile;
      const dir = opts.dir ? resolve(opts.dir) : mkdtempSync(join(tmpdir(), "wsus-iis-demo-"));
      // The repairs KB 920659 names but that change more than IIS config are opt-in; the demo opts in.
      // Profile and configuration are left to auto: check and apply read them from the server.
      const spec = parseSpec({ repairs: { reinstallSelfUpdate: true, addIusrToUsers: true } });
      const target = `lab:${dir}`;
      const server = await (async () => {
        header(1, `A WSUS server (Configuration ${configuration}, profile ${profile}), broken: ${breaks.join(", ")}`);
        let info;
        try {
          info = await createLab(dir, { configuration, profile, breaks, force: !!opts.dir });
        } catch (e) {
          // demo has no --force: it recreates a lab in --dir, and never empties another folder
          if (e instanceof LabError) throw new CliError(`--dir: ${e.message.replace(/: --force replaces only a lab.*$/, "")}; give an empty folder, a new one or an existing lab`);
          throw e;
        }
        say(`lab server ${info.computerName} in ${dir}`);
        return serveLab(dir, { portMap: { 80: 0, 8530: 0, 8531: 0, 443: 0 }, anonymousCanRead: labAnonymousCanRead });
      })();
      try {
        // Ports are mapped to free local ones, and bindings change with the repair: look them up each time.
        const refused = await unusedPort();
        const port = (p: number) => server.endpoints.find((e) => e.binding.startsWith("*:") && e.binding.endsWith(`:${p}:`))?.port ?? server.endpoints.find((e) => e.binding.endsWith(`:${p}:`))?.port;
        const clientPort = profile === "modern" && configuration === 2 ? 8530 : 80;
        const probeOnce = async () => {
          await server.reload();
          const adminPort = port(configuration === 2 ? 8530 : 80) ?? refused;
          return probe(`http://127.0.0.1:${adminPort}/`, { profile, clientPort: port(clientPort) ?? refused, timeoutMs: 3000 });
        };

        header(2, "Check: what KB 920659 says is wrong (one round trip)");
        const transport = new LabTransport(dir);
        const before = await checkTarget(transport, spec);
        process.stdout.write(renderText([{ server: before.evidence.computerName ?? target, target, report: before.report, layout: before.layout, rules: ruleInfoFor(spec) }], { color: process.stdout.isTTY }));

        header(3, "Probe: what a Windows Update client sees over HTTP");
        await server.reload();
        say(`HTTP front: ${server.endpoints.map((e) => `${e.site} ${e.binding} -> 127.0.0.1:${e.port}`).join("; ") || "nothing listening"}`);
        for (const n of server.notServed) say(`  not served: ${n.site} ${n.binding} (${n.reason})`);
        const probeBefore = await probeOnce();
        process.stdout.write(formatProbeText(probeBefore));

        header(4, "Repair: plan, then apply with backup, drift guard and rollback (second round trip)");
        const result = await converge(transport, spec);
        process.stdout.write(formatPlanText(target, result.plan, result.layout));
        say(`apply: ${result.status}; backup ${result.apply?.backupName ?? "none"}; ${result.roundTrips} round trips`);
        if (result.apply?.failed) say(`failed step ${result.apply.failed.index}: ${result.apply.failed.command}\n${result.apply.failed.stdout}${result.apply.failed.stderr}`);

        header(5, "Proof: probe and check again");
        const probeAfter = await probeOnce();
        process.stdout.write(formatProbeText(probeAfter));
        const after = await checkTarget(transport, spec);
        process.stdout.write(renderText([{ server: after.evidence.computerName ?? target, target, report: after.report, layout: after.layout, rules: ruleInfoFor(spec) }], { color: process.stdout.isTTY }));

        const green = after.report.compliant && probeAfter.compliant;
        say(
          `\n${green ? "✔" : "✘"} before: ${before.report.findings.filter(isProblem).length} problems, probe ${probeBefore.compliant ? "green" : "red"}` +
            ` → after: ${after.report.findings.filter(isProblem).length} problems, probe ${probeAfter.compliant ? "green" : "red"}`,
        );
        if (!green) process.exitCode = EXIT.findings;
      } finally {
        await server.close();
        if (!opts.dir && !opts.keep) rmSync(dir, { recursive: true, force: true });
        else say(`lab kept in ${dir}`);
      }
    });
}
