// The CI examples (examples/*.yml): valid YAML, the three workflows (policy enforcement, drift detection with a
// SARIF upload, provisioning), and every `wsus-iis` command line they contain parses with the CLI's own
// commander program (actions replaced by no-ops: nothing runs).
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { Command, CommanderError } from "commander";
import { register as registerTsx } from "tsx/cjs/api";
import { afterAll, describe, expect, it } from "vitest";
import { parseDocument } from "yaml";
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

/** Every step object (has `uses`, `task`, `run` or `script`). */
function steps(node: unknown): Record<string, any>[] {
  if (Array.isArray(node)) return node.flatMap(steps);
  if (node && typeof node === "object") {
    const o = node as Record<string, any>;
    const own = ["uses", "task", "run", "script"].some((k) => k in o) ? [o] : [];
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

const wsusIisCalls = (all: string[][]) => all.filter((w) => w[0] === "wsus-iis" || (w[0] === "npx" && w[1] === "wsus-iis")).map((w) => w.slice(w.indexOf("wsus-iis") + 1));
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

/** Option names of a subcommand, as typed (`--format`, `--no-progress`). */
function optionNames(name: string): string[] {
  const cmd = buildProgram().commands.find((c) => c.name() === name);
  if (!cmd) throw new Error(`no wsus-iis command ${name}`);
  return cmd.options.flatMap((o) => [o.long, o.short].filter((x): x is string => !!x));
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

describe("the CLI-parse check itself", () => {
  it("accepts a real invocation and rejects unknown options and commands", () => {
    expect(parseWithCli(["check", "--targets", "servers.txt", "--format", "sarif", "--output", "x.sarif", "--no-progress"])).toEqual({
      command: "check",
      opts: expect.objectContaining({ targets: "servers.txt", format: "sarif", output: "x.sarif", progress: false }),
    });
    expect(() => parseWithCli(["check", "--target-file", "x"])).toThrow(CommanderError);
    expect(() => parseWithCli(["chek"])).toThrow(CommanderError);
  });
});

describe("examples/github-actions.yml", () => {
  const wf = load("github-actions.yml");
  const all = scripts(wf, ["run"]).flatMap(commands);

  it("three jobs: policy enforcement on PRs, scheduled drift detection, provisioning on main", () => {
    expect(Object.keys(wf.on)).toEqual(expect.arrayContaining(["pull_request", "push", "schedule"]));
    expect(wf.on.schedule[0].cron).toMatch(/^\S+ \S+ \S+ \S+ \S+$/);
    expect(Object.keys(wf.jobs)).toEqual(["policy", "drift", "provision"]);
    expect(wf.jobs.policy.if).toContain("pull_request");
    expect(wf.jobs.drift.if).toContain("schedule");
    expect(wf.jobs.provision.if).toContain("refs/heads/main");
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

  it("every wsus-iis invocation parses with the CLI; the SARIF it writes is the one uploaded", () => {
    const calls = wsusIisCalls(all);
    checkWsusIisCalls(calls);
    const check = parseWithCli(calls.find((a) => a[0] === "check")!);
    expect(check.opts).toMatchObject({ targets: "servers.txt", format: "sarif", output: "wsus.sarif" });
    const upload = steps(wf.jobs.drift.steps).find((s) => String(s.uses).startsWith("github/codeql-action/upload-sarif@"));
    expect(upload?.with.sarif_file).toBe(check.opts.output);
    expect(wf.jobs.drift.permissions["security-events"]).toBe("write");
  });
});

describe("examples/azure-pipelines.yml", () => {
  const pl = load("azure-pipelines.yml");
  const all = scripts(pl, ["script", "bash"]).flatMap(commands);

  it("three stages: policy enforcement on PRs, scheduled drift detection, provisioning on main", () => {
    expect(pl.stages.map((s: { stage: string }) => s.stage)).toEqual(["policy", "drift", "provision"]);
    expect(pl.schedules[0]).toMatchObject({ cron: expect.stringMatching(/^\S+ \S+ \S+ \S+ \S+$/), always: true });
    expect(pl.stages[0].condition).toContain("PullRequest");
    expect(pl.stages[1].condition).toContain("Schedule");
    expect(pl.stages[2].condition).toContain("refs/heads/main");
  });

  it("pulumi: preview and up with the policy pack, refresh --preview-only", () => {
    for (const w of [...pulumiCalls(all, "preview"), ...pulumiCalls(all, "up")]) expect(w.join(" ")).toContain("--policy-pack policies");
    expect(pulumiCalls(all, "preview")).toHaveLength(1);
    expect(pulumiCalls(all, "up")).toHaveLength(1);
    expect(pulumiCalls(all, "refresh")[0]).toEqual(expect.arrayContaining(["--preview-only"]));
  });

  it("every wsus-iis invocation parses with the CLI; the SARIF lands in the published CodeAnalysisLogs artifact", () => {
    const calls = wsusIisCalls(all);
    checkWsusIisCalls(calls);
    const check = parseWithCli(calls.find((a) => a[0] === "check")!);
    expect(check.opts).toMatchObject({ targets: "servers.txt", format: "sarif", output: "$(Build.ArtifactStagingDirectory)/CodeAnalysisLogs/wsus.sarif" });
    const publish = steps(pl.stages[1]).find((s) => s.task === "PublishBuildArtifacts@1");
    expect(publish?.inputs).toEqual({ PathtoPublish: "$(Build.ArtifactStagingDirectory)/CodeAnalysisLogs", ArtifactName: "CodeAnalysisLogs" });
    expect(path.posix.dirname(String(check.opts.output))).toBe(publish?.inputs.PathtoPublish);
  });
});
