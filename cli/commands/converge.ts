import { createInterface } from "node:readline/promises";
import { Command } from "commander";
import { EvidenceError } from "../../core/evidence/errors";
import { plan as makePlan, type Plan } from "../../core/plan/planner";
import { judge, type LayoutChoice } from "../../core/check";
import { causeLabel, sanitizeForTerminal } from "../../core/report";
import { ruleById } from "../../core/rules";
import { stateFromEvidence } from "../../core/state/fromEvidence";
import { converge, journalNotices, planTarget, type ConvergeResult } from "../../ops/converge";
import { CliError, EXIT } from "../errors";
import { addFleetOptions, fleetOf, specsOf, summaryTable, transportFor, withProgress, type FleetOptions } from "../fleet";
import { failsOn, isProblem } from "../../core/report/failOn";
import { emit, FAIL_ON_HELP, parseFailOn } from "../output";
import { loadSpec, readDataFile, type SpecOptions } from "../spec";
import { addSpecOptions } from "./check";
import { DEFAULT_LOCK_TIMEOUT_MS } from "../../ops/params";
import type { Transport } from "../../transports/transport";

interface PlanOptions extends SpecOptions, FleetOptions {
  evidence?: string;
  format: string;
  output?: string;
}

/** The apply's own notes (a restore it did not dare) and what the server's journal says. */
const notesOf = (r: ConvergeResult) => [
  ...(r.apply?.rebootRequired ? ["a step exited 3010 (Windows Installer: done, restart required): restart the server when convenient"] : []),
  ...(r.apply?.notes ?? []),
  ...journalNotices(r.journal),
];

/** "cause 4", "layout" or "health" (a step of a health rule: WsusPool settings, impersonation, compression, start). */
const causeTag = (cause: number | null, rule?: string) => causeLabel(cause, (rule !== undefined ? ruleById(rule)?.group : undefined) ?? "kb");

export function formatPlanText(target: string, p: Plan, layout?: LayoutChoice): string {
  const out = [`${target}: ${p.refused.length ? "REFUSED (unsafe plan, nothing would be sent)" : p.steps.length === 0 ? "nothing to change" : `${p.steps.length} step(s)`}`];
  if (layout) out.push(`  layout: profile ${layout.profile}, Configuration ${layout.configuration} (${sanitizeForTerminal(layout.reasons.join("; "))})`);
  for (const s of p.steps) out.push(`  ${String(s.index).padStart(2)}. [${causeTag(s.cause, s.rule)}] ${s.command}`);
  if (p.manual.length) {
    out.push("  manual (not sent to the server):");
    for (const m of p.manual) out.push(`   - [${causeTag(m.cause, m.rule)}] ${m.text}`);
  }
  return out.join("\n") + "\n";
}

function parseLockTimeout(v: string | undefined): number {
  const t = (v ?? String(DEFAULT_LOCK_TIMEOUT_MS)).trim();
  if (!/^\d+$/.test(t) || Number(t) > 86_400_000) throw new CliError(`--lock-timeout: expected 0..86400000 milliseconds, got ${JSON.stringify(v)}`);
  return Number(t);
}

function parsePlanFormat(f: string): "text" | "json" {
  if (f !== "text" && f !== "json") throw new CliError(`--format: expected text or json, got ${JSON.stringify(f)}`);
  return f;
}

export function register(program: Command): void {
  const planCmd = program
    .command("plan")
    .description("Print the Windows commands (appcmd, icacls, net localgroup, msiexec) that would repair each server; changes nothing.")
    .option("--evidence <file>", "plan offline from an evidence bundle instead of reading a server");
  addSpecOptions(planCmd);
  addFleetOptions(planCmd)
    .option("--format <format>", "text or json", "text")
    .option("--output <file>", "write to a file instead of stdout")
    .action(async (opts: PlanOptions) => {
      const format = parsePlanFormat(opts.format);
      const fleet = fleetOf(opts);
      const targets = fleet.map((e) => e.target);
      if (!opts.evidence && targets.length === 0) throw new CliError("plan needs --evidence FILE or --target/--targets");
      const specs = specsOf(fleet, opts);
      let plans: { target: string; plan?: Plan; layout?: LayoutChoice; error?: string }[];
      if (opts.evidence) {
        const evidence = readDataFile(opts.evidence, "evidence file");
        try {
          const spec = loadSpec(opts);
          const state = stateFromEvidence(evidence, spec);
          plans = [{ target: `evidence:${opts.evidence}`, plan: makePlan(spec, state), layout: judge(spec, state).layout }];
        } catch (e) {
          if (e instanceof EvidenceError) throw new CliError(`evidence file ${opts.evidence}: ${e.message}`);
          throw e;
        }
      } else {
        const outcomes = await withProgress(targets, opts, async (t) => planTarget(transportFor(t, opts), specs.get(t)!), (o) => (o.ok ? `${o.value!.plan.steps.length} step(s)` : "unreachable"));
        plans = outcomes.map((o) => (o.ok ? { target: o.target, plan: o.value!.plan, layout: o.value!.layout } : { target: o.target, error: o.error!.message }));
      }
      const text =
        format === "json"
          ? JSON.stringify(plans.length === 1 && !plans[0].error ? { target: plans[0].target, plan: plans[0].plan, layout: plans[0].layout } : { servers: plans }, null, 2) + "\n"
          : plans.map((p) => (p.plan ? formatPlanText(p.target, p.plan, p.layout) : `${p.target}: UNREACHABLE: ${p.error}\n`)).join("\n");
      emit(text, opts.output);
      process.exitCode = plans.some((p) => p.error) ? EXIT.unreachable : plans.some((p) => p.plan!.steps.length || p.plan!.unresolved.length) ? EXIT.findings : EXIT.ok;
    });

  const applyCmd = program
    .command("apply")
    .description("Repair servers: read (1 round trip), plan, apply under the read's config hash with IIS backup and ACL save, roll back on failure, read back and verify (2nd round trip).")
    .option("-y, --yes", "do not ask for confirmation (required when not on a terminal)");
  addSpecOptions(applyCmd);
  addFleetOptions(applyCmd)
    .option("--format <format>", "text or json", "text")
    .option("--output <file>", "write the results to a file instead of stdout")
    .option("--fail-on <level>", FAIL_ON_HELP, "error")
    .option("--lock-timeout <ms>", "how long to wait for another apply running on the same server before giving up (milliseconds)", String(DEFAULT_LOCK_TIMEOUT_MS))
    .addHelpText(
      "after",
      "\nWithout --yes the plan of each server is shown and, after you answer, exactly that plan is sent with the\nconfig hash of the read it came from: a server that changed in between refuses it (refused-drift) and\nnothing is re-planned behind your back.\nExit codes: 0 every server compliant afterwards, 1 problems left (manual steps; with --fail-on unknown also rules that could not run), 2 bad input, 3 unreachable / refused (drift, unsafe plan, another apply running) / rolled back.",
    )
    .action(async (opts: PlanOptions & { yes?: boolean; failOn?: string; lockTimeout?: string }) => {
      const format = parsePlanFormat(opts.format);
      const failOn = parseFailOn(opts.failOn);
      const lockTimeoutMs = parseLockTimeout(opts.lockTimeout);
      const fleet = fleetOf(opts);
      const targets = fleet.map((e) => e.target);
      if (targets.length === 0) throw new CliError("apply needs --target/--targets");
      const specs = specsOf(fleet, opts);
      // What a person approved is what is sent: the previewed plans, with their reads' config hashes.
      const shown = new Map<string, { transport: Transport; read: Awaited<ReturnType<typeof planTarget>> }>();
      if (!opts.yes) {
        if (!process.stdin.isTTY) throw new CliError("apply changes servers: pass --yes (no terminal to ask on)");
        const previews = await withProgress(
          targets,
          opts,
          async (t) => {
            const transport = transportFor(t, opts);
            const read = await planTarget(transport, specs.get(t)!);
            shown.set(t, { transport, read });
            return read;
          },
          (o) => (o.ok ? `${o.value!.plan.steps.length} step(s)` : "unreachable"),
        );
        for (const p of previews) process.stdout.write(p.ok ? formatPlanText(p.target, p.value!.plan, p.value!.layout) : `${p.target}: UNREACHABLE: ${p.error!.message}\n`);
        const rl = createInterface({ input: process.stdin, output: process.stdout });
        const answer = (await rl.question(`Apply to ${targets.length} server(s)? [y/N] `)).trim().toLowerCase();
        rl.close();
        if (answer !== "y" && answer !== "yes") throw new CliError("nothing applied", EXIT.ok);
      }
      const label = (r: ConvergeResult) => `${r.status}${r.after.compliant ? "" : ` (${r.after.findings.filter(isProblem).length} problems left)`}`;
      const outcomes = await withProgress(
        targets,
        opts,
        async (t) => {
          const previewed = shown.get(t);
          if (!opts.yes && !previewed) throw new Error("not applied: its plan could not be shown");
          return converge(previewed?.transport ?? transportFor(t, opts), specs.get(t)!, { read: previewed?.read, lockTimeoutMs });
        },
        (o) => (o.ok ? label(o.value!) : "unreachable"),
      );
      const rows = outcomes.map((o) => {
        if (!o.ok) return { target: o.target, status: "unreachable", detail: o.error!.message };
        const r = o.value!;
        const failed = r.apply?.failed ? ` step ${r.apply.failed.index} failed: ${r.apply.failed.command} (exit ${r.apply.failed.exitCode}) ${(r.apply.failed.stderr || r.apply.failed.stdout).trim().split("\n")[0]}` : "";
        const drift = r.status === "refused-drift" ? ["the server changed since its plan was read; nothing was changed: run apply again to see the new plan"] : [];
        const notes = [...notesOf(r), ...drift, ...r.plan.refused.map((x) => `plan refused: ${x}`)].map((n) => `; note: ${n}`).join("");
        return { target: o.target, status: r.status, detail: `${r.plan.steps.length} step(s), ${r.roundTrips} round trip(s)${r.after.compliant ? ", compliant" : `, ${r.after.findings.filter(isProblem).length} problem(s) left`}${failed}${notes}` };
      });
      const json = outcomes.map((o) =>
        o.ok
          ? {
              target: o.target,
              status: o.value!.status,
              compliant: o.value!.after.compliant,
              layout: o.value!.layout,
              roundTrips: o.value!.roundTrips,
              plan: o.value!.plan,
              backupName: o.value!.apply?.backupName ?? null,
              failed: o.value!.apply?.failed ?? null,
              rollback: o.value!.apply?.rollback ?? [],
              notes: notesOf(o.value!),
              journal: o.value!.journal,
              findings: o.value!.after.findings,
            }
          : { target: o.target, status: "unreachable", error: o.error!.message },
      );
      emit(format === "json" ? JSON.stringify(json.length === 1 ? json[0] : { servers: json }, null, 2) + "\n" : summaryTable(rows), opts.output);
      // a corrupt config is a finding (exit 1), not a failure to reach or apply (exit 3)
      const bad = outcomes.some((o) => !o.ok || !["applied", "nothing-to-do", "config-unreadable"].includes(o.value!.status));
      process.exitCode = bad ? EXIT.unreachable : outcomes.some((o) => failsOn(o.value!.after, failOn)) ? EXIT.findings : EXIT.ok;
    });
}
