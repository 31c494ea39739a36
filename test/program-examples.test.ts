// The CI examples (examples/*.yml) run as written:
// - valid YAML, the three workflows (policy enforcement, drift detection with a SARIF upload, provisioning);
// - which job or stage runs for which trigger, with the platforms' own dependency and condition rules
//   (modelled below, each rule with its source), and what a drift job does when drift is found;
// - every `wsus-iis` command line parses with the CLI's own commander program (actions replaced by
//   no-ops: nothing runs), and every file it reads is in the repository where the job looks for it, or is
//   written by an earlier step of the same job; the drift check's targets file parses with the CLI's own
//   fleet code and carries each server's configuration and profile;
// - every `pulumi` command line uses commands and flags the Pulumi CLI has: no Pulumi CLI here, so they are
//   checked against test/fixtures/pulumi-cli-v3.248.0.json, read from the cobra/pflag definitions in
//   pulumi/pulumi's Go sources at v3.248.0 (source file and line of each command and flag in the fixture),
//   and both examples install exactly that CLI version.
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { Command, CommanderError } from "commander";
import { register as registerTsx } from "tsx/cjs/api";
import { afterAll, describe, expect, it } from "vitest";
import { parseDocument } from "yaml";
import { fleetOf, specsOf } from "../cli/fleet";
import { CliError } from "../cli/errors";
import { buildProgram } from "../cli/main";

// cli/commands/index.ts loads the command modules with a runtime require(), which vitest leaves to Node:
// let Node's require load TypeScript the way bin/wsus-iis.js does (tsx/cjs).
const unregisterTsx = registerTsx();
afterAll(() => unregisterTsx());

const root = path.join(__dirname, "..");

function load(file: string): any {
  const doc = parseDocument(readFileSync(path.join(root, "examples", file), "utf8"));
  expect(doc.errors.map((e) => e.message)).toEqual([]);
  return doc.toJS();
}

/** Every string under the given keys anywhere in the document (GitHub `run`, Azure `script`). */
function scripts(node: unknown, keys: string[]): string[] {
  if (Array.isArray(node)) return node.flatMap((n) => scripts(n, keys));
  if (node && typeof node === "object") {
    return Object.entries(node).flatMap(([k, v]) => (keys.includes(k) && typeof v === "string" ? [v] : scripts(v, keys)));
  }
  return [];
}

/** Every step object (has `uses`, `task`, `run`, `script` or `checkout`). */
function steps(node: unknown): Record<string, any>[] {
  if (Array.isArray(node)) return node.flatMap(steps);
  if (node && typeof node === "object") {
    const o = node as Record<string, any>;
    const own = ["uses", "task", "run", "script", "checkout"].some((k) => k in o) ? [o] : [];
    return [...own, ...Object.values(o).flatMap(steps)];
  }
  return [];
}

/** Shell words of one command (quotes honoured; $VARS, $(x) and ${{ x }} kept as written). */
function words(command: string): string[] {
  const out: string[] = [];
  let cur = "";
  let quote: '"' | "'" | null = null;
  let inWord = false;
  for (let i = 0; i < command.length; i++) {
    const ch = command[i];
    if (quote) {
      if (ch === quote) quote = null;
      else cur += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) out.push(cur);
      cur = "";
      inWord = false;
    } else {
      cur += ch;
      inWord = true;
    }
  }
  if (inWord) out.push(cur);
  return out;
}

/** Simple commands of a script: continuations joined, split at newlines, &&, ||, | and ;. */
function commands(script: string): string[][] {
  return script
    .replace(/\\\r?\n/g, " ")
    .split(/\r?\n|&&|\|\||\||;/)
    .map((c) => words(c.replace(/#.*$/, "").trim()))
    .filter((w) => w.length > 0);
}

const isWsusIis = (w: string[]) => w[0] === "wsus-iis" || (w[0] === "npx" && w[1] === "wsus-iis");
const wsusIisCalls = (all: string[][]) => all.filter(isWsusIis).map((w) => w.slice(w.indexOf("wsus-iis") + 1));
const pulumiCalls = (all: string[][], sub: string) => all.filter((w) => w[0] === "pulumi" && w[1] === sub);

/** The CLI's program with every action replaced by a recorder: parsing validates commands and options only. */
function parseWithCli(args: string[]): { command: string; opts: Record<string, unknown> } {
  const program = buildProgram();
  let seen: { command: string; opts: Record<string, unknown> } | undefined;
  const quiet = (c: Command) => {
    c.exitOverride().configureOutput({ writeOut: () => {}, writeErr: () => {} });
    c.action((...a: unknown[]) => {
      const cmd = a[a.length - 1] as Command;
      seen = { command: cmd.name(), opts: cmd.opts() };
    });
    c.commands.forEach(quiet);
  };
  program.commands.forEach(quiet);
  program.exitOverride().configureOutput({ writeOut: () => {}, writeErr: () => {} });
  program.parse(["node", "wsus-iis", ...args]);
  if (!seen) throw new Error(`no command ran for: wsus-iis ${args.join(" ")}`);
  return seen;
}

/** A wsus-iis subcommand's options as the CLI defines them. */
function cliOptions(name: string) {
  const cmd = buildProgram().commands.find((c) => c.name() === name);
  if (!cmd) throw new Error(`no wsus-iis command ${name}`);
  return cmd.options;
}

/** Option names of a subcommand, as typed (`--format`, `--no-progress`). */
function optionNames(name: string): string[] {
  return cliOptions(name).flatMap((o) => [o.long, o.short].filter((x): x is string => !!x));
}

/** The options of a subcommand that name a file the command reads (`<file>` in the CLI's flags, not --output). */
function inputFileOptions(name: string): string[] {
  return cliOptions(name)
    .filter((o) => /<file>/.test(o.flags) && o.long !== "--output")
    .map((o) => o.attributeName());
}

function checkWsusIisCalls(calls: string[][]) {
  expect(calls.length).toBeGreaterThan(0);
  for (const args of calls) {
    const known = optionNames(args[0]);
    for (const flag of args.filter((a) => a.startsWith("-"))) expect(known, `${args[0]} ${flag}`).toContain(flag.split("=")[0]);
    const parsed = parseWithCli(args);
    expect(parsed.command).toBe(args[0]);
  }
}

// ---------------------------------------------------------------------------------------------------
// The Pulumi CLI, as its v3.248.0 sources define it (test/fixtures/pulumi-cli-v3.248.0.json).

interface PulumiFlag {
  name: string;
  short?: string;
  persistent: boolean;
  value: "none" | "required" | "optional";
  line: number;
  hidden?: boolean;
  deprecated?: boolean;
}
interface PulumiCommand {
  source: string;
  tag: string;
  aliases?: string[];
  args?: { max: number };
  flags: PulumiFlag[];
}
const pulumiCli: { tag: string; commit: string; commands: Record<string, PulumiCommand> } = JSON.parse(
  readFileSync(path.join(root, "test", "fixtures", "pulumi-cli-v3.248.0.json"), "utf8"),
);
const PULUMI_VERSION = pulumiCli.tag.replace(/^v/, "");

class PulumiUsageError extends Error {}

/**
 * Parse `pulumi …` words the way cobra and pflag would: subcommands by name or alias, then flags (long,
 * `=VALUE`, shorthand; persistent flags of every ancestor apply), then at most `args.max` positional
 * arguments. Unknown commands and flags, flags the CLI only registers under PULUMI_EXPERIMENTAL or
 * PULUMI_DEBUG_COMMANDS, and hidden or deprecated flags are refused.
 */
function parsePulumi(argv: string[]): { command: string; flags: Record<string, string[]>; args: string[] } {
  if (argv[0] !== "pulumi") throw new PulumiUsageError(`not a pulumi command line: ${argv.join(" ")}`);
  const chain: string[] = [""];
  let i = 1;
  const childOf = (parent: string, word: string) =>
    Object.entries(pulumiCli.commands).find(([k, c]) => {
      const parts = k.split(" ");
      const own = parts.pop()!;
      return k !== "" && parts.join(" ") === parent && (own === word || (c.aliases ?? []).includes(word));
    })?.[0];
  for (; i < argv.length && !argv[i].startsWith("-"); i++) {
    const next = childOf(chain[chain.length - 1], argv[i]);
    if (!next) break;
    chain.push(next);
  }
  const command = chain[chain.length - 1];
  if (command === "") throw new PulumiUsageError(`unknown command "${argv[1]}" for "pulumi" (not in the fixture: read it from the v3.248.0 source and add it)`);
  const cmd = pulumiCli.commands[command];
  const available = [
    ...cmd.flags,
    ...chain.slice(0, -1).flatMap((a) => pulumiCli.commands[a].flags.filter((f) => f.persistent)),
  ];
  const byLong = (n: string) => available.find((f) => f.name === n);
  const byShort = (s: string) => available.find((f) => f.short === s);
  const flags: Record<string, string[]> = {};
  const args: string[] = [];
  const use = (f: PulumiFlag | undefined, typed: string, inline: string | undefined, next: () => string | undefined) => {
    if (!f) throw new PulumiUsageError(`unknown flag: ${typed} (pulumi ${command})`);
    if (f.hidden || f.deprecated) throw new PulumiUsageError(`${typed} is ${f.hidden ? "hidden" : "deprecated"} in pulumi ${command} (${cmd.source}:${f.line})`);
    let value = inline;
    if (value === undefined && f.value === "required") {
      value = next();
      if (value === undefined) throw new PulumiUsageError(`flag needs an argument: ${typed} (pulumi ${command})`);
    }
    (flags[f.name] ??= []).push(value ?? "true");
  };
  let flagsDone = false;
  for (; i < argv.length; i++) {
    const a = argv[i];
    if (flagsDone || a === "-" || !a.startsWith("-")) {
      args.push(a);
      continue;
    }
    if (a === "--") {
      flagsDone = true;
      continue;
    }
    if (a.startsWith("--")) {
      const [name, ...rest] = a.slice(2).split("=");
      use(byLong(name), `--${name}`, rest.length ? rest.join("=") : undefined, () => argv[++i]);
      continue;
    }
    // shorthand: -s VALUE, -sVALUE, -s=VALUE, or a cluster of boolean shorthands (-yf)
    for (let j = 1; j < a.length; j++) {
      const f = byShort(a[j]);
      const rest = a.slice(j + 1);
      if (f && f.value !== "none" && rest.length) {
        use(f, `-${a[j]}`, rest.replace(/^=/, ""), () => undefined);
        break;
      }
      use(f, `-${a[j]}`, undefined, () => argv[++i]);
    }
  }
  const max = cmd.args?.max ?? 0;
  if (args.length > max) throw new PulumiUsageError(`pulumi ${command} takes at most ${max} argument(s), got ${JSON.stringify(args)}`);
  return { command, flags, args };
}

// ---------------------------------------------------------------------------------------------------
// Conditions, as the platforms evaluate them (the subset the examples use; anything else throws, so a
// condition the model cannot read fails the test instead of being guessed).

type Value = string | number | boolean | null;

/** Azure Pipelines expressions: functions over literals and variables['Name'] (docs/pipelines/process/expressions.md). */
function azureExpr(text: string, vars: Record<string, string>, status: (fn: string) => boolean): boolean {
  const tokens = text.match(/'(?:[^']|'')*'|[A-Za-z_][\w.]*|\d+(?:\.\d+)?|[(),[\]]/g) ?? [];
  let p = 0;
  const eat = (t?: string) => {
    const tok = tokens[p++];
    if (t !== undefined && tok !== t) throw new Error(`expected ${t} in ${text}, got ${tok}`);
    return tok;
  };
  // "eq … ordinal ignore-case comparison for strings" (Azure Pipelines expressions, functions)
  const same = (a: Value, b: Value) => String(a).toLowerCase() === String(b).toLowerCase();
  const value = (): Value => {
    const tok = eat();
    if (tok.startsWith("'")) return tok.slice(1, -1).replace(/''/g, "'");
    if (/^\d/.test(tok)) return Number(tok);
    if (/^true$/i.test(tok)) return true;
    if (/^false$/i.test(tok)) return false;
    if (tok === "variables") {
      eat("[");
      const name = String(value());
      eat("]");
      if (!(name in vars)) throw new Error(`variable ${name} not modelled (${text})`);
      return vars[name];
    }
    eat("(");
    const a: Value[] = [];
    if (tokens[p] === ")") eat(")");
    else
      for (;;) {
        a.push(value());
        if (eat() === ")") break;
      }
    switch (tok) {
      case "and":
        return a.every(Boolean);
      case "or":
        return a.some(Boolean);
      case "not":
        return !a[0];
      case "eq":
        return same(a[0], a[1]);
      case "ne":
        return !same(a[0], a[1]);
      case "in":
        return a.slice(1).some((b) => same(a[0], b));
      case "notIn":
        return !a.slice(1).some((b) => same(a[0], b));
      case "startsWith":
        return String(a[0]).toLowerCase().startsWith(String(a[1]).toLowerCase());
      case "succeeded":
      case "failed":
      case "succeededOrFailed":
      case "always":
      case "canceled":
        if (a.length) throw new Error(`${tok}() with arguments is not modelled (${text})`);
        return status(tok);
      default:
        throw new Error(`function ${tok} not modelled (${text})`);
    }
  };
  const v = value();
  if (p !== tokens.length) throw new Error(`trailing tokens in ${text}`);
  return Boolean(v);
}

/** GitHub Actions `if` expressions: ==, !=, &&, ||, !, contexts, and the functions used (Expressions docs). */
function githubExpr(text: string, ctx: Record<string, Value>, fns: Record<string, (...a: Value[]) => Value>): boolean {
  const src = text.trim().replace(/^\$\{\{([\s\S]*)\}\}$/, "$1");
  const tokens = src.match(/'(?:[^']|'')*'|==|!=|&&|\|\||[!(),]|[A-Za-z_][\w.-]*|\d+/g) ?? [];
  let p = 0;
  // "GitHub ignores case when comparing strings" (Expressions, operators)
  const eq = (a: Value, b: Value) => (typeof a === "string" && typeof b === "string" ? a.toLowerCase() === b.toLowerCase() : a === b);
  const primary = (): Value => {
    const tok = tokens[p++];
    if (tok === "!") return !primary();
    if (tok === "(") {
      const v = or();
      if (tokens[p++] !== ")") throw new Error(`expected ) in ${src}`);
      return v;
    }
    if (tok.startsWith("'")) return tok.slice(1, -1).replace(/''/g, "'");
    if (/^\d/.test(tok)) return Number(tok);
    if (tok === "true" || tok === "false") return tok === "true";
    if (tok === "null") return null;
    if (tokens[p] === "(") {
      p++;
      const a: Value[] = [];
      if (tokens[p] === ")") p++;
      else
        for (;;) {
          a.push(or());
          if (tokens[p++] === ")") break;
        }
      const fn = fns[tok];
      if (!fn) throw new Error(`function ${tok} not modelled (${src})`);
      return fn(...a);
    }
    if (!(tok in ctx)) throw new Error(`context ${tok} not modelled (${src})`);
    return ctx[tok];
  };
  const cmp = (): Value => {
    let v = primary();
    while (tokens[p] === "==" || tokens[p] === "!=") {
      const op = tokens[p++];
      const r = primary();
      v = op === "==" ? eq(v, r) : !eq(v, r);
    }
    return v;
  };
  const and = (): Value => {
    let v = cmp();
    while (tokens[p] === "&&") {
      p++;
      const r = cmp();
      v = Boolean(v) && Boolean(r);
    }
    return v;
  };
  const or = (): Value => {
    let v = and();
    while (tokens[p] === "||") {
      p++;
      const r = and();
      v = Boolean(v) || Boolean(r);
    }
    return v;
  };
  const v = or();
  if (p !== tokens.length) throw new Error(`trailing tokens in ${src}`);
  return Boolean(v);
}

/** "A default status check of success() is applied unless you include one of these functions" (GitHub Expressions). */
const hasStatusFunction = (cond: string) => /\b(success|failure|always|cancelled)\s*\(/.test(cond);

// The triggers of both examples, as each platform describes them.
// Azure: Build.Reason "IndividualCI: Continuous integration (CI) triggered by a Git push", "BatchedCI",
// "Schedule", "Manual", "PullRequest"; Build.SourceBranch e.g. "refs/heads/master", "refs/pull/1/merge"
// (predefined variables, docs/pipelines/build/variables.md).
const azureTriggers: Record<string, Record<string, string>> = {
  "push to main": { "Build.Reason": "IndividualCI", "Build.SourceBranch": "refs/heads/main" },
  "batched push to main": { "Build.Reason": "BatchedCI", "Build.SourceBranch": "refs/heads/main" },
  "pull request": { "Build.Reason": "PullRequest", "Build.SourceBranch": "refs/pull/1/merge" },
  schedule: { "Build.Reason": "Schedule", "Build.SourceBranch": "refs/heads/main" },
  "manual run on main": { "Build.Reason": "Manual", "Build.SourceBranch": "refs/heads/main" },
};
// GitHub: github.ref is refs/pull/<n>/merge for pull_request, the pushed branch for push, and the default
// branch for schedule and a workflow_dispatch from it ("Events that trigger workflows", GITHUB_REF).
const githubTriggers: Record<string, Record<string, Value>> = {
  "push to main": { "github.event_name": "push", "github.ref": "refs/heads/main" },
  "pull request": { "github.event_name": "pull_request", "github.ref": "refs/pull/1/merge" },
  schedule: { "github.event_name": "schedule", "github.ref": "refs/heads/main" },
  "manual run on main": { "github.event_name": "workflow_dispatch", "github.ref": "refs/heads/main" },
};

/**
 * Which Azure stages run for a trigger, every stage's jobs assumed to succeed. Stages Azure Pipelines'
 * way (docs/pipelines/process/stages.md): without `dependsOn` a stage depends on the previous one;
 * `dependsOn: []` removes that; the default condition is succeeded(), "all previous direct and indirect
 * dependencies" succeeded (docs/pipelines/process/includes/task-run-built-in-conditions.md); a skipped
 * stage is not a succeeded one (microsoft/azure-pipelines-yaml#318).
 */
function azureStagesRun(pl: any, vars: Record<string, string>): string[] {
  const stages: any[] = pl.stages;
  const deps = new Map<string, string[]>();
  stages.forEach((s, i) => {
    const d = s.dependsOn === undefined ? (i > 0 ? [stages[i - 1].stage] : []) : ([] as string[]).concat(s.dependsOn);
    deps.set(s.stage, d);
  });
  const closure = (name: string): string[] => [...new Set(deps.get(name)!.flatMap((d) => [d, ...closure(d)]))];
  const result = new Map<string, "Succeeded" | "Skipped">();
  for (const s of stages) {
    const all = closure(s.stage).map((d) => result.get(d)!);
    const status = (fn: string) =>
      fn === "succeeded" ? all.every((r) => r === "Succeeded") : fn === "always" ? true : fn === "succeededOrFailed" ? true : fn === "failed" ? false : false;
    result.set(s.stage, azureExpr(s.condition ?? "succeeded()", vars, status) ? "Succeeded" : "Skipped");
  }
  return stages.map((s) => s.stage).filter((n) => result.get(n) === "Succeeded");
}

/**
 * Which GitHub jobs run for an event, every job assumed to succeed. Jobs run in parallel unless `needs`
 * says otherwise; "if a job fails or is skipped, all jobs that need it are skipped unless the jobs use a
 * conditional expression that causes the job to continue"; the default status check success().
 */
function githubJobsRun(wf: any, ctx: Record<string, Value>): string[] {
  const result = new Map<string, "success" | "skipped">();
  const order = Object.keys(wf.jobs);
  const needsOf = (j: string): string[] => ([] as string[]).concat(wf.jobs[j].needs ?? []);
  const resolve = (j: string): "success" | "skipped" => {
    if (result.has(j)) return result.get(j)!;
    const needed = needsOf(j).map(resolve);
    const cond = String(wf.jobs[j].if ?? "");
    const fns = { success: () => needed.every((r) => r === "success"), always: () => true, failure: () => false, cancelled: () => false };
    const runs = (hasStatusFunction(cond) ? true : fns.success()) && (cond === "" || githubExpr(cond, ctx, fns));
    result.set(j, runs ? "success" : "skipped");
    return result.get(j)!;
  };
  return order.filter((j) => resolve(j) === "success");
}

type Outcome = "pass" | "fail";

/**
 * A GitHub job's steps with the given exit outcomes (others pass): which run, and the job's result.
 * `if` without a status function gets success(): no earlier step's conclusion is failure;
 * continue-on-error makes a failed step's conclusion success while its outcome stays failure.
 */
function githubJobRun(job: any, outcomeOf: (step: any) => Outcome, files: (ran: any[]) => Set<string>) {
  const ran: any[] = [];
  const ctx: Record<string, Value> = {};
  let failed = false;
  for (const step of job.steps) {
    const cond = String(step.if ?? "");
    const fns = {
      success: () => !failed,
      failure: () => failed,
      always: () => true,
      cancelled: () => false,
      hashFiles: (f: Value) => (files(ran).has(String(f)) ? "hash" : ""),
    };
    const runs = (hasStatusFunction(cond) ? true : !failed) && (cond === "" || githubExpr(cond, ctx, fns));
    if (!runs) {
      if (step.id) Object.assign(ctx, { [`steps.${step.id}.outcome`]: "skipped", [`steps.${step.id}.conclusion`]: "skipped" });
      continue;
    }
    ran.push(step);
    const outcome = outcomeOf(step) === "fail" ? "failure" : "success";
    const conclusion = outcome === "failure" && step["continue-on-error"] === true ? "success" : outcome;
    if (step.id) Object.assign(ctx, { [`steps.${step.id}.outcome`]: outcome, [`steps.${step.id}.conclusion`]: conclusion });
    if (conclusion === "failure") failed = true;
  }
  return { ran, result: failed ? "failure" : "success" };
}

/**
 * An Azure job's steps with the given exit outcomes: which run, and the job's result. A step's default
 * condition is succeeded(): the job status is Succeeded or SucceededWithIssues (azure-pipelines-agent
 * src/Agent.Worker/ExpressionManager.cs); succeededOrFailed() runs "even if a previous dependency has
 * failed, unless the run was canceled", always() always (docs/pipelines/process/includes/
 * task-run-built-in-conditions.md); a failed step with continueOnError becomes SucceededWithIssues
 * (src/Agent.Worker/StepsRunner.cs, "Fixup the step result if ContinueOnError"), "partially successful"
 * (Agent.JobStatus, predefined variables), not Failed.
 */
function azureJobRun(jobSteps: any[], outcomeOf: (step: any) => Outcome) {
  const ran: any[] = [];
  let status: "Succeeded" | "SucceededWithIssues" | "Failed" = "Succeeded";
  for (const step of jobSteps) {
    const runs = azureExpr(step.condition ?? "succeeded()", {}, (fn) =>
      fn === "succeeded" ? status !== "Failed" : fn === "failed" ? status === "Failed" : fn === "succeededOrFailed" || fn === "always",
    );
    if (!runs) continue;
    ran.push(step);
    if (outcomeOf(step) === "fail") status = step.continueOnError === true ? (status === "Failed" ? status : "SucceededWithIssues") : "Failed";
  }
  return { ran, result: status };
}

/** The steps of an Azure job, regular or deployment (runOnce hooks in order). */
function azureJobSteps(job: any): any[] {
  if (job.steps) return job.steps;
  const s = job.strategy?.runOnce ?? {};
  return ["preDeploy", "deploy", "routeTraffic", "postRouteTraffic"].flatMap((h) => s[h]?.steps ?? []);
}

const stepText = (s: any): string => String(s.run ?? s.script ?? s.bash ?? "");
const stepCommands = (s: any) => commands(stepText(s));
const runsPulumi = (s: any, sub: string) => stepCommands(s).some((w) => w[0] === "pulumi" && w[1] === sub);
const runsWsusIisCheck = (s: any) => stepCommands(s).some((w) => isWsusIis(w) && w[w.indexOf("wsus-iis") + 1] === "check");
/** A step that fails by itself (`exit 1`): every other step is taken to pass unless a test says otherwise. */
const exitsNonZero = (s: any): Outcome => (stepCommands(s).some((w) => w[0] === "exit" && w[1] !== "0") ? "fail" : "pass");

/** Paths an earlier step writes: `> PATH`, `install … PATH`, and a wsus-iis `--output PATH`. */
function writtenBy(stepList: any[]): Set<string> {
  const out = new Set<string>();
  for (const s of stepList)
    for (const w of stepCommands(s)) {
      w.forEach((x, i) => x === ">" && w[i + 1] && out.add(w[i + 1]));
      if (w[0] === "install" && !w.includes("-d")) out.add(w[w.length - 1]);
      if (isWsusIis(w)) w.forEach((x, i) => x === "--output" && w[i + 1] && out.add(w[i + 1]));
    }
  return out;
}

/**
 * Where a job's steps run, relative to the repository: "" when the job has the repository checked out at
 * its working directory before `step`, else why not. GitHub: actions/checkout without `path` puts it in
 * $GITHUB_WORKSPACE, "the default working directory on the runner for steps, and the default location of
 * your repository when using the checkout action" (docs.github.com, Variables reference). Azure: with "no
 * checkout steps, the default behavior is as if `checkout: self` were the first step"
 * (docs/pipelines/repos/multi-repo-checkout.md), but "a deployment job doesn't automatically clone the
 * source repo" (docs/pipelines/process/deployment-jobs.md); with one repository checked out,
 * Build.SourcesDirectory "will be the exact path to the code", with several it is not (predefined
 * variables); a script step with no workingDirectory runs there (Tasks/CmdLineV2/task.json: an empty
 * filePath input; azure-pipelines-agent src/Agent.Worker/TaskRunner.cs TranslateFilePathInput and
 * src/Agent.Worker/Build/BuildJobExtension.cs GetRootedPath: "prefix default path root
 * (build.sourcesDirectory)").
 */
function checkoutBefore(kind: "github" | "azure", job: any, jobSteps: any[], step: any): string {
  const before = jobSteps.slice(0, jobSteps.indexOf(step));
  if (kind === "github") {
    if (step["working-directory"] || job.defaults?.run?.["working-directory"]) return "the step runs in another working directory";
    const co = before.find((s) => String(s.uses ?? "").startsWith("actions/checkout@"));
    if (!co) return "no actions/checkout before the step";
    if (co.with?.path) return `actions/checkout puts the repository in ${co.with.path}`;
    return "";
  }
  if (step.workingDirectory) return "the step runs in another working directory";
  const cos = jobSteps.filter((s) => "checkout" in s);
  if (cos.length === 0) return job.deployment ? "a deployment job does not check out the repository by itself" : "";
  if (cos.length > 1) return "several checkouts: Build.SourcesDirectory is then not the repository";
  const [co] = cos;
  if (co.path) return "the checkout goes to another path";
  if (co.checkout !== "self") return `checkout: ${co.checkout}`;
  return before.includes(co) ? "" : "the checkout comes after the step";
}

interface Job {
  name: string;
  job: any;
  steps: any[];
}

/** The repository files and earlier-step files each wsus-iis line and each --policy-pack reads. */
function checkFilesRead(kind: "github" | "azure", jobs: Job[]) {
  let seen = 0;
  for (const { name, job, steps: jobSteps } of jobs)
    for (const step of jobSteps)
      for (const w of stepCommands(step)) {
        const reads: string[] = [];
        if (isWsusIis(w)) {
          const args = w.slice(w.indexOf("wsus-iis") + 1);
          const opts = parseWithCli(args).opts;
          for (const k of inputFileOptions(args[0])) if (typeof opts[k] === "string") reads.push(opts[k] as string);
        }
        if (w[0] === "pulumi") for (const pack of parsePulumi(w).flags["policy-pack"] ?? []) reads.push(pack);
        for (const file of reads) {
          seen++;
          const where = `${name}: ${w.join(" ")}: ${file}`;
          if (/^(~|\/|\$)/.test(file)) {
            // outside the repository: an earlier step of this job must write it
            expect(writtenBy(jobSteps.slice(0, jobSteps.indexOf(step))), where).toContain(file);
          } else {
            expect(checkoutBefore(kind, job, jobSteps, step), where).toBe("");
            expect(existsSync(path.join(root, file)), `${where} is not in the repository`).toBe(true);
          }
        }
      }
  expect(seen).toBeGreaterThan(0);
}

/** The drift check's targets file, read by the CLI's own fleet code: every entry valid, per-server fields. */
function checkTargetsFile(check: { opts: Record<string, unknown> }, args: string[]) {
  const file = String(check.opts.targets);
  // fleet-wide pins would override what each server's entry says
  expect(args).not.toContain("--configuration");
  expect(args).not.toContain("--profile");
  expect(/\.(ya?ml|json)$/i.test(file), `${file}: only a JSON/YAML targets file carries per-server fields`).toBe(true);
  const fleet = fleetOf({ targets: path.join(root, file), concurrency: "16" });
  const specs = specsOf(fleet, {});
  expect(fleet.length).toBeGreaterThan(1);
  const layouts = fleet.map((e) => [specs.get(e.target)!.configuration, specs.get(e.target)!.profile]);
  // it shows both: servers pinned by their entry, and servers left to auto (read from the server)
  expect(layouts.filter(([c, p]) => c !== "auto" && p !== "auto").length).toBeGreaterThan(0);
  expect(layouts).toContainEqual(["auto", "auto"]);
  for (const e of fleet) expect(e.target).toMatch(/^ssh:\/\//);
}

function jobsOfGithub(wf: any): Job[] {
  return Object.entries(wf.jobs).map(([name, job]: [string, any]) => ({ name, job, steps: job.steps }));
}
function jobsOfAzure(pl: any): Job[] {
  return pl.stages.flatMap((s: any) => s.jobs.map((j: any) => ({ name: `${s.stage}/${j.job ?? j.deployment}`, job: j, steps: azureJobSteps(j) })));
}

// ---------------------------------------------------------------------------------------------------

describe("the checks themselves", () => {
  it("wsus-iis: accepts a real invocation and rejects unknown options and commands", () => {
    expect(parseWithCli(["check", "--targets", "servers.txt", "--format", "sarif", "--output", "x.sarif", "--no-progress"])).toEqual({
      command: "check",
      opts: expect.objectContaining({ targets: "servers.txt", format: "sarif", output: "x.sarif", progress: false }),
    });
    expect(() => parseWithCli(["check", "--target-file", "x"])).toThrow(CommanderError);
    expect(() => parseWithCli(["chek"])).toThrow(CommanderError);
    expect(inputFileOptions("check").sort()).toEqual(["config", "evidence", "sshIdentity", "sshKnownHosts", "targets"]);
  });

  it("pulumi: the fixture names its source for every command, and parsing follows cobra/pflag", () => {
    expect(pulumiCli.tag).toBe("v3.248.0");
    expect(pulumiCli.commit).toMatch(/^[0-9a-f]{40}$/);
    for (const [name, c] of Object.entries(pulumiCli.commands)) {
      expect(c.source, name).toMatch(/^pkg\/cmd\/pulumi\/.+\.go$/);
      expect(c.tag, name).toBe(pulumiCli.tag);
      for (const f of c.flags) expect(f.line, `${name} --${f.name}`).toBeGreaterThan(0);
    }
    expect(parsePulumi(words('pulumi up --stack "acme/p/prod" --policy-pack policies --yes --non-interactive'))).toEqual({
      command: "up",
      flags: { stack: ["acme/p/prod"], "policy-pack": ["policies"], yes: ["true"], "non-interactive": ["true"] },
      args: [],
    });
    expect(parsePulumi(words("pulumi pre -s dev --refresh --diff")).flags).toEqual({ stack: ["dev"], refresh: ["true"], diff: ["true"] });
    expect(parsePulumi(words("pulumi stack output servers -s dev --json"))).toEqual({ command: "stack output", flags: { stack: ["dev"], json: ["true"] }, args: ["servers"] });
    expect(parsePulumi(words("pulumi refresh -yf --stack=dev")).flags).toEqual({ yes: ["true"], "skip-preview": ["true"], stack: ["dev"] });
    const bad = [
      "pulumi deploy --stack dev", // no such command
      "pulumi stack selec dev", // `stack` takes no argument: an unknown subcommand
      "pulumi up --preview-only", // refresh's flag, not up's
      "pulumi preview --yes", // up's flag, not preview's
      "pulumi refresh --policy-pack policies", // refresh runs no policy packs
      "pulumi up --remote", // only under PULUMI_EXPERIMENTAL
      "pulumi up --copilot", // deprecated
      "pulumi preview --client 127.0.0.1:1", // hidden
      "pulumi up --stack", // a value is required
      "pulumi preview extra", // preview takes no argument
      "pulumi stack output a b", // at most one property name
      "pulumi stack --show-ids output", // stack's local flag is not a subcommand's: then `output` is an argument
    ];
    for (const line of bad) expect(() => parsePulumi(words(line)), line).toThrow(PulumiUsageError);
  });

  it("the condition models: default dependencies, skipped dependencies, implicit success()", () => {
    const vars = { "Build.Reason": "IndividualCI", "Build.SourceBranch": "refs/heads/main" };
    const chain = { stages: [{ stage: "a", condition: "eq(variables['Build.Reason'], 'PullRequest')" }, { stage: "b", condition: "and(succeeded(), eq(variables['Build.Reason'], 'IndividualCI'))" }] };
    expect(azureStagesRun(chain, vars)).toEqual([]);
    expect(azureStagesRun({ stages: [chain.stages[0], { ...chain.stages[1], dependsOn: [] }] }, vars)).toEqual(["b"]);
    expect(azureStagesRun({ stages: [{ stage: "a" }, { stage: "b" }] }, vars)).toEqual(["a", "b"]);
    expect(() => azureExpr("eq(variables['Build.Unknown'], 'x')", vars, () => true)).toThrow(/not modelled/);
    const wf = { jobs: { a: { if: "github.event_name == 'pull_request'" }, b: { needs: "a", if: "github.event_name == 'push'" }, c: { needs: ["a"], if: "always() && github.event_name == 'push'" } } };
    expect(githubJobsRun(wf, githubTriggers["push to main"])).toEqual(["c"]);
    const job = { steps: [{ id: "x", run: "x", "continue-on-error": true }, { run: "y" }, { if: "steps.x.outcome == 'failure'", run: "z" }, { run: "w" }] };
    const r = githubJobRun(job, (s) => (s.run === "x" || s.run === "z" ? "fail" : "pass"), () => new Set());
    expect(r.ran.map((s) => s.run)).toEqual(["x", "y", "z"]);
    expect(r.result).toBe("failure");
    const az = azureJobRun([{ script: "x", continueOnError: true }, { script: "y" }], (s) => (s.script === "x" ? "fail" : "pass"));
    expect(az).toEqual({ ran: [{ script: "x", continueOnError: true }, { script: "y" }], result: "SucceededWithIssues" });
  });
});

describe("examples/github-actions.yml", () => {
  const wf = load("github-actions.yml");
  const all = scripts(wf, ["run"]).flatMap(commands);
  const jobs = jobsOfGithub(wf);

  it("three jobs: policy enforcement on PRs, scheduled drift detection, provisioning on main", () => {
    expect(Object.keys(wf.on)).toEqual(expect.arrayContaining(["pull_request", "push", "schedule"]));
    expect(wf.on.schedule[0].cron).toMatch(/^\S+ \S+ \S+ \S+ \S+$/);
    expect(Object.keys(wf.jobs)).toEqual(["policy", "drift", "provision"]);
  });

  it("each trigger runs exactly its job (jobs run in parallel; no `needs` on a skipped job)", () => {
    const run = Object.fromEntries(Object.entries(githubTriggers).map(([t, ctx]) => [t, githubJobsRun(wf, ctx)]));
    expect(run).toEqual({ "push to main": ["provision"], "pull request": ["policy"], schedule: ["drift"], "manual run on main": ["drift"] });
  });

  it("drift: a drifted stack or server fails the job, after the check has run and its SARIF is uploaded", () => {
    const job = wf.jobs.drift;
    const upload = job.steps.find((s: any) => String(s.uses).startsWith("github/codeql-action/upload-sarif@"));
    const check = job.steps.find(runsWsusIisCheck);
    for (const refresh of ["pass", "fail"] as Outcome[])
      for (const checked of ["pass", "fail"] as Outcome[]) {
        const r = githubJobRun(
          job,
          (s) => (runsPulumi(s, "refresh") ? refresh : s === check ? checked : exitsNonZero(s)),
          (ran) => writtenBy(ran),
        );
        const what = `refresh ${refresh}, check ${checked}`;
        expect(r.ran, what).toContain(check);
        expect(r.ran, what).toContain(upload);
        expect(r.result, what).toBe(refresh === "fail" || checked === "fail" ? "failure" : "success");
      }
  });

  it("pulumi: preview and up with the policy pack, refresh --preview-only", () => {
    const preview = pulumiCalls(all, "preview");
    const up = pulumiCalls(all, "up");
    const refresh = pulumiCalls(all, "refresh");
    expect(preview).toHaveLength(1);
    expect(up).toHaveLength(1);
    for (const w of [...preview, ...up]) expect(w.join(" ")).toContain("--policy-pack policies");
    expect(refresh[0]).toEqual(expect.arrayContaining(["--preview-only", "--expect-no-changes"]));
  });

  it("every pulumi command line uses commands and flags Pulumi v3.248.0 has; that CLI version is installed", () => {
    const lines = all.filter((w) => w[0] === "pulumi");
    expect(lines.length).toBeGreaterThan(0);
    for (const w of lines) expect(() => parsePulumi(w), w.join(" ")).not.toThrow();
    const installs = steps(wf.jobs).filter((s) => String(s.uses ?? "").startsWith("pulumi/actions@"));
    expect(installs).toHaveLength(Object.keys(wf.jobs).length);
    for (const s of installs) expect(String(s.with?.["pulumi-version"])).toBe(PULUMI_VERSION);
  });

  it("every wsus-iis invocation parses with the CLI; the SARIF it writes is the one uploaded", () => {
    const calls = wsusIisCalls(all);
    checkWsusIisCalls(calls);
    const check = parseWithCli(calls.find((a) => a[0] === "check")!);
    expect(check.opts).toMatchObject({ format: "sarif", output: "wsus.sarif", failOn: "unknown" });
    const upload = steps(wf.jobs.drift.steps).find((s) => String(s.uses).startsWith("github/codeql-action/upload-sarif@"));
    expect(upload?.with.sarif_file).toBe(check.opts.output);
    expect(wf.jobs.drift.permissions["security-events"]).toBe("write");
  });

  it("every file a command reads is in the checkout where the step runs, or written by an earlier step", () => {
    checkFilesRead("github", jobs);
  });

  it("the drift check's targets file carries each server's configuration and profile", () => {
    const args = wsusIisCalls(all).find((a) => a[0] === "check")!;
    checkTargetsFile(parseWithCli(args), args);
  });
});

describe("examples/azure-pipelines.yml", () => {
  const pl = load("azure-pipelines.yml");
  const all = scripts(pl, ["script", "bash"]).flatMap(commands);
  const jobs = jobsOfAzure(pl);

  it("three stages: policy enforcement on PRs, scheduled drift detection, provisioning on main", () => {
    expect(pl.stages.map((s: { stage: string }) => s.stage)).toEqual(["policy", "drift", "provision"]);
    expect(pl.schedules[0]).toMatchObject({ cron: expect.stringMatching(/^\S+ \S+ \S+ \S+ \S+$/), always: true });
  });

  it("each trigger runs exactly its stage (no stage waits for another trigger's skipped stage)", () => {
    const run = Object.fromEntries(Object.entries(azureTriggers).map(([t, vars]) => [t, azureStagesRun(pl, vars)]));
    expect(run).toEqual({
      "push to main": ["provision"],
      "batched push to main": ["provision"],
      "pull request": ["policy"],
      schedule: ["drift"],
      "manual run on main": ["provision"],
    });
  });

  it("drift: a drifted stack or server fails the job, after the check has run and its SARIF is published", () => {
    const jobSteps = azureJobSteps(pl.stages[1].jobs[0]);
    const publish = jobSteps.find((s) => s.task === "PublishBuildArtifacts@1");
    const check = jobSteps.find(runsWsusIisCheck);
    for (const refresh of ["pass", "fail"] as Outcome[])
      for (const checked of ["pass", "fail"] as Outcome[]) {
        const r = azureJobRun(jobSteps, (s) => (runsPulumi(s, "refresh") ? refresh : s === check ? checked : exitsNonZero(s)));
        const what = `refresh ${refresh}, check ${checked}`;
        expect(r.ran, what).toContain(check);
        expect(r.ran, what).toContain(publish);
        expect(r.result, what).toBe(refresh === "fail" || checked === "fail" ? "Failed" : "Succeeded");
      }
  });

  it("pulumi: preview and up with the policy pack, refresh --preview-only", () => {
    for (const w of [...pulumiCalls(all, "preview"), ...pulumiCalls(all, "up")]) expect(w.join(" ")).toContain("--policy-pack policies");
    expect(pulumiCalls(all, "preview")).toHaveLength(1);
    expect(pulumiCalls(all, "up")).toHaveLength(1);
    expect(pulumiCalls(all, "refresh")[0]).toEqual(expect.arrayContaining(["--preview-only", "--expect-no-changes"]));
  });

  it("every pulumi command line uses commands and flags Pulumi v3.248.0 has; that CLI version is installed", () => {
    const lines = all.filter((w) => w[0] === "pulumi");
    expect(lines.length).toBeGreaterThan(0);
    for (const w of lines) expect(() => parsePulumi(w), w.join(" ")).not.toThrow();
    // `curl -fsSL https://get.pulumi.com | sh -s -- --version X.Y.Z` (pulumi/get.pulumi.com dist/install.sh)
    const installs = steps(pl.stages).filter((s) => /get\.pulumi\.com/.test(stepText(s)));
    expect(installs).toHaveLength(jobs.length);
    for (const s of installs) {
      const sh = stepCommands(s).find((w) => w[0] === "sh")!;
      expect(sh.slice(sh.indexOf("--version"), sh.indexOf("--version") + 2), stepText(s)).toEqual(["--version", PULUMI_VERSION]);
    }
  });

  it("every wsus-iis invocation parses with the CLI; the SARIF lands in the published CodeAnalysisLogs artifact", () => {
    const calls = wsusIisCalls(all);
    checkWsusIisCalls(calls);
    const check = parseWithCli(calls.find((a) => a[0] === "check")!);
    expect(check.opts).toMatchObject({ format: "sarif", output: "$(Build.ArtifactStagingDirectory)/CodeAnalysisLogs/wsus.sarif", failOn: "unknown" });
    const publish = steps(pl.stages[1]).find((s) => s.task === "PublishBuildArtifacts@1");
    expect(publish?.inputs).toEqual({ PathtoPublish: "$(Build.ArtifactStagingDirectory)/CodeAnalysisLogs", ArtifactName: "CodeAnalysisLogs" });
    expect(path.posix.dirname(String(check.opts.output))).toBe(publish?.inputs.PathtoPublish);
  });

  it("every file a command reads is in the checkout where the step runs, or written by an earlier step", () => {
    checkFilesRead("azure", jobs);
  });

  it("the drift check's targets file carries each server's configuration and profile", () => {
    const args = wsusIisCalls(all).find((a) => a[0] === "check")!;
    checkTargetsFile(parseWithCli(args), args);
  });
});

describe("examples/servers.yaml", () => {
  it("is what both drift jobs check, and every entry is valid input to the CLI", () => {
    const targets = [load("github-actions.yml"), load("azure-pipelines.yml")].map((doc) => {
      const all = scripts(doc, ["run", "script"]).flatMap(commands);
      return parseWithCli(wsusIisCalls(all).find((a) => a[0] === "check")!).opts.targets;
    });
    expect(targets).toEqual(["examples/servers.yaml", "examples/servers.yaml"]);
    // a bad entry is refused by the same code, naming the entry
    expect(() => specsOf([{ target: "ssh://a@b", overrides: { profile: "modrn" }, origin: "--targets x[0]" }], {})).toThrow(CliError);
  });
});
