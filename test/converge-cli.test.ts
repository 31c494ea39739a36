import { promises as fsp } from "node:fs";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { decodeAnswer, encodeRequest, powershellArgv } from "../core/agent/wire";
import { AgentResponse } from "../core/agent/protocol";
import { collectParams } from "../ops/params";
import { resolveLayout } from "../core/model/layout";
import { parseSpec } from "../core/model/spec";
import { brokenLab, configBytes, removeTempDirs, runCli, tempDir } from "./helpers/converge";
import { applyBreak } from "../lab/create";

/**
 * `wsus-iis plan / apply / check --target lab:DIR` as a user runs them: the real entry point
 * (`node bin/wsus-iis.js`) in a child process, no terminal on stdin, exit codes and JSON on stdout.
 */

afterAll(removeTempDirs);

const cli = runCli;

async function specFile(content: object): Promise<string> {
  const file = path.join(await tempDir("wsus-iis-cli-spec-"), "spec.json");
  await fsp.writeFile(file, JSON.stringify(content));
  return file;
}

describe("CLI against lab targets", () => {
  // Issue 10 acceptance: a lab created with --profile modern --configuration 2 and no breaks is compliant
  // under `check` with no --profile given, and the report says modern was detected.
  it("a healthy modern Configuration 2 lab: check with nothing given is COMPLIANT and says modern was detected", async () => {
    const dir = await tempDir("wsus-iis-cli-auto-");
    expect((await cli(["lab", "create", dir, "--profile", "modern", "--configuration", "2"])).code).toBe(0);
    const r = await cli(["check", "--target", `lab:${dir}`]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/: COMPLIANT \(13 rules checked, 0 could not be checked\)\n/);
    expect(r.out).toMatch(/^ {2}layout: profile modern, Configuration 2 \(profile modern detected: \/ApiRemoting30 on WSUS Administration/m);
    for (const format of ["json", "sarif", "junit"]) {
      const out = (await cli(["check", "--target", `lab:${dir}`, "--format", format])).out;
      expect(out, format).toContain("profile modern detected");
    }
  });

  it("check: exit 1 and the findings on a broken lab, exit 0 once repaired; plan prints the steps, apply repairs (2 round trips)", { timeout: 120_000 }, async () => {
    const dir = await brokenLab({ configuration: 2, profile: "modern" }, [2, 4, 5, 6, "windows-auth-anonymous"], { decorate: false });
    // no --profile, no --configuration: both auto, read from the server
    const spec: string[] = [];
    const target = ["--target", `lab:${dir}`];

    const check = await cli(["check", ...target, ...spec, "--format", "json"]);
    expect(check.code, check.err).toBe(1);
    const report = JSON.parse(check.out);
    expect(report.compliant).toBe(false);
    // (4 has no SelfUpdate vdir left to act on after 2; 6 is the Default Web Site's, which clients on 8530 never use)
    expect(report.findings.filter((f: { status: string }) => f.status === "fail").map((f: { cause: number }) => f.cause)).toEqual(expect.arrayContaining([2, 5, null]));
    expect(report.findings.some((f: { cause: number }) => f.cause === 6)).toBe(false);
    expect(report.layout).toMatchObject({ profile: "modern", configuration: 2 });

    const plan = await cli(["plan", ...target, ...spec, "--format", "json"]);
    expect(plan.code, plan.err).toBe(1);
    const planned = JSON.parse(plan.out);
    expect(planned.target).toBe(`lab:${dir}`);
    expect(planned.plan.steps.length).toBeGreaterThanOrEqual(4);
    expect(planned.plan.steps[0]).toMatchObject({ index: 1, command: expect.stringContaining("appcmd.exe") });
    const text = await cli(["plan", ...target, ...spec]);
    expect(text.code).toBe(1);
    expect(text.out).toContain(`lab:${dir}: ${planned.plan.steps.length} step(s)`);

    const before = await configBytes(dir);
    const apply = await cli(["apply", "--yes", ...target, ...spec, "--format", "json"]);
    expect(apply.code, apply.err).toBe(0);
    const applied = JSON.parse(apply.out);
    expect(applied).toMatchObject({ target: `lab:${dir}`, status: "applied", compliant: true, roundTrips: 2, failed: null, rollback: [] });
    expect(applied.backupName).toMatch(/^wsus-iis-\d{8}T\d{9}Z-[0-9a-f]{6}$/);
    expect(applied.plan.steps).toEqual(planned.plan.steps);
    expect((await configBytes(dir)).equals(before)).toBe(false);

    const recheck = await cli(["check", ...target, ...spec, "--format", "json"]);
    expect(recheck.code).toBe(0);
    expect(JSON.parse(recheck.out).compliant).toBe(true);
    const again = await cli(["apply", "--yes", ...target, ...spec, "--format", "json"]);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.out)).toMatchObject({ status: "nothing-to-do", roundTrips: 1, compliant: true });
    const nothing = await cli(["plan", ...target, ...spec]);
    expect(nothing.code).toBe(0);
    expect(nothing.out).toContain("nothing to change");
  });

  it("apply without --yes and without a terminal: exit 2, a clear message, nothing changed", async () => {
    const dir = await brokenLab({ configuration: 1, profile: "kb920659" }, [4], { decorate: false });
    const before = await configBytes(dir);
    const r = await cli(["apply", "--target", `lab:${dir}`], { input: "y\n" });
    expect(r.code).toBe(2);
    expect(r.err).toBe("wsus-iis: apply changes servers: pass --yes (no terminal to ask on)\n");
    expect(r.out).toBe("");
    expect((await configBytes(dir)).equals(before)).toBe(true);
  });

  it("manual findings left (SelfUpdate files without the reinstall opt-in, cause 8): apply exits 1 and says what is left", async () => {
    const dir = await brokenLab({ configuration: 1, profile: "kb920659" }, [4, 8], { decorate: false });
    const r = await cli(["apply", "--yes", "--target", `lab:${dir}`, "--format", "json"]);
    expect(r.code, r.err).toBe(1);
    const out = JSON.parse(r.out);
    expect(out).toMatchObject({ status: "applied", compliant: false });
    expect(out.plan.manual.map((m: { cause: number }) => m.cause)).toContain(8);
    expect(out.findings.filter((f: { status: string }) => f.status === "fail").map((f: { rule: string }) => f.rule)).toEqual(["selfupdate-files"]);
  });

  it("--targets FILE with two labs and one bad target: every server gets its row, the summary counts, exit 3", { timeout: 120_000 }, async () => {
    const a = await brokenLab({ configuration: 2, profile: "kb920659" }, [1, 2, 8], { decorate: false });
    const b = await brokenLab({ configuration: 2, profile: "kb920659" }, [5, 6], { decorate: false });
    const missing = path.join(await tempDir(), "no-such-lab");
    const list = path.join(await tempDir(), "targets.txt");
    await fsp.writeFile(list, `# two labs and one that is not there\nlab:${a}\nlab:${missing}   # gone\n\nlab:${b}\n`);
    const spec = await specFile({ configuration: 2, profile: "kb920659", repairs: { reinstallSelfUpdate: true, addIusrToUsers: true } });

    const r = await cli(["apply", "--yes", "--targets", list, "--config", spec, "--no-progress"]);
    expect(r.code, r.err).toBe(3);
    const rows = r.out.split("\n");
    expect(rows[0]).toMatch(/^server\s+status\s+detail$/);
    expect(rows.find((l) => l.startsWith(`lab:${a} `))).toMatch(/\sapplied\s+\d+ step\(s\), 2 round trip\(s\), compliant$/);
    expect(rows.find((l) => l.startsWith(`lab:${b} `))).toMatch(/\sapplied\s+\d+ step\(s\), 2 round trip\(s\), compliant$/);
    expect(rows.find((l) => l.startsWith(`lab:${missing} `))).toMatch(/\sunreachable\s+lab:.*no-such-lab/);
    expect(r.out).toContain("2 applied, 1 unreachable");
    // one progress line per server on stderr (no terminal)
    expect(r.err.split("\n").filter((l) => /^\[\d\/3\] /.test(l))).toHaveLength(3);

    // check over the same list: the two labs are compliant now, the bad one still makes it exit 3
    const check = await cli(["check", "--targets", list, "--config", spec, "--format", "json", "--no-progress"]);
    expect(check.code).toBe(3);
    expect(check.err).toContain("2 compliant, 1 unreachable");

    // JSON: one entry per server
    const json = await cli(["apply", "--yes", "--targets", list, "--config", spec, "--format", "json", "--no-progress"]);
    expect(json.code).toBe(3);
    const servers = JSON.parse(json.out).servers as { target: string; status: string }[];
    expect(servers.map((s) => [s.target, s.status])).toEqual([
      [`lab:${a}`, "nothing-to-do"],
      [`lab:${missing}`, "unreachable"],
      [`lab:${b}`, "nothing-to-do"],
    ]);
  });

  it("bad input is exit 2 before any server is touched", async () => {
    const dir = await brokenLab({ configuration: 1, profile: "kb920659" }, [4], { decorate: false });
    const before = await configBytes(dir);
    const r = await cli(["apply", "--yes", "--target", `lab:${dir}`, "--target", "ftp://nope"]);
    expect(r.code).toBe(2);
    expect(r.err).toContain("--target:");
    expect((await configBytes(dir)).equals(before)).toBe(true);
  });
});

describe("wsus-iis lab agent DIR (the ssh forced command, TypeScript agent)", () => {
  const collect = () => encodeRequest({ op: "collect", params: collectParams(resolveLayout(parseSpec({}), "WSUS01")) });
  const bootstrap = powershellArgv().join(" ");

  it("answers the wire's two base64 lines with one answer line, when the client asked for the agent's bootstrap", async () => {
    const dir = await brokenLab({ configuration: 1, profile: "kb920659" }, [4], { decorate: false });
    const r = await cli(["lab", "agent", dir], { input: collect(), env: { SSH_ORIGINAL_COMMAND: bootstrap } });
    expect(r.code, r.err).toBe(0);
    expect(r.err).toBe("");
    expect(r.out).toMatch(/^wsus-iis:[A-Za-z0-9+/=]+\n$/);
    const res = decodeAnswer(r.out);
    expect(res.op).toBe("collect");
    if (res.op !== "collect") return;
    expect(res.configHash).toMatch(/^[0-9a-f]{64}$/);
    expect(res.evidence.computerName).toBe("WSUS01");
    expect(res.evidence.applicationHostConfig).toContain("<configuration>");
  });

  it.each([
    ["not the wire format", "appcmd list site\n", /expected two base64 lines/],
    ["a request that is not JSON", encodeRequest({ op: "collect" } as never).split("\n")[0] + "\n" + Buffer.from("{op:collect}").toString("base64") + "\n", /the request is not JSON/],
    ["an unknown op", encodeRequest({ op: "delete-everything", params: {} } as never), /invalid request: op: /],
    [
      "an apply without steps",
      encodeRequest({ op: "apply", params: { expectedConfigHash: "0".repeat(64), backupName: "b", lockTimeoutMs: 0, guards: [], steps: [], rollback: [], collect: { aclPaths: [], fileDirs: [], groups: [] } } } as never),
      /invalid request: params\.steps: /,
    ],
    ["another script than this version's agent.ps1", encodeRequest({ op: "collect", params: { aclPaths: [], fileDirs: [], groups: [] } }, "Remove-Item C:\\ -Recurse"), /is not this lab's scripts\/agent\.ps1/],
    ["nothing at all", "", /expected two base64 lines on standard input .*\(0 bytes on stdin\)/],
  ])("%s: an error answer, exit 1, nothing changed", async (_name, input, message) => {
    const dir = await brokenLab({ configuration: 1, profile: "kb920659" }, [], { decorate: false });
    const before = await configBytes(dir);
    const r = await cli(["lab", "agent", dir], { input });
    expect(r.code).toBe(1);
    expect(() => decodeAnswer(r.out)).toThrow(message);
    expect((await configBytes(dir)).equals(before)).toBe(true);
  });

  it("a command other than the bootstrap is refused (an ssh forced command must not run what the client asks)", async () => {
    const dir = await brokenLab({ configuration: 1, profile: "kb920659" }, [], { decorate: false });
    const r = await cli(["lab", "agent", dir], { input: collect(), env: { SSH_ORIGINAL_COMMAND: "cmd /c del /s C:\\" } });
    expect(r.code).toBe(1);
    expect(() => decodeAnswer(r.out)).toThrow(/not the agent's bootstrap/);
  });

  it("a folder that is not a lab: an error answer, exit 1", async () => {
    const r = await cli(["lab", "agent", await tempDir()], { input: collect() });
    expect(r.code).toBe(1);
    expect(() => decodeAnswer(r.out)).toThrow(/is not a lab folder \(no lab\.json\)/);
  });
});

/**
 * Issue 11, item 2: apply what was shown. Interactive `apply` shows each server's plan; after the answer
 * exactly those steps go, with the config hash of the read they came from. The CLI runs under a pseudo
 * terminal (util-linux `script`), as a person would run it.
 */
describe("interactive apply sends the plan it showed", () => {
  async function interactive(dir: string, between: () => Promise<void>): Promise<{ code: number | null; out: string }> {
    const { spawn } = await import("node:child_process");
    const bin = path.join(__dirname, "..", "bin", "wsus-iis.js");
    const child = spawn("script", ["-qec", `${process.execPath} ${bin} apply --target lab:${dir} --no-progress`, "/dev/null"], {
      env: { ...process.env, NO_COLOR: "1" },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let out = "";
    let asked = false;
    const done = new Promise<number | null>((resolve) => child.on("close", resolve));
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString("utf8");
      if (!asked && out.includes("Apply to 1 server(s)? [y/N]")) {
        asked = true;
        void between().then(() => child.stdin.write("y\n"));
      }
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    const code = await done;
    clearTimeout(timer);
    return { code, out: out.replace(/\r/g, "") };
  }

  it("the server changed between the preview and the answer: refused-drift, nothing changed, exit 3, a hint to re-run", { timeout: 120_000 }, async () => {
    const dir = await brokenLab({ configuration: 1, profile: "kb920659" }, [4], { decorate: false });
    let changed: Buffer = Buffer.alloc(0);
    const r = await interactive(dir, async () => {
      // someone breaks something else while the person reads the plan
      await applyBreak(dir, 5);
      changed = await configBytes(dir);
    });
    expect(r.out).toContain("1 step(s)");
    expect(r.code).toBe(3);
    expect(r.out).toContain("refused-drift");
    expect(r.out).toContain("the server changed since its plan was read; nothing was changed: run apply again to see the new plan");
    // the longer plan the server now needs was not run behind the person's back
    expect((await configBytes(dir)).equals(changed)).toBe(true);
  });

  it("nothing changed in between: exactly the shown steps run", { timeout: 120_000 }, async () => {
    const dir = await brokenLab({ configuration: 1, profile: "kb920659" }, [4, 5], { decorate: false });
    const r = await interactive(dir, async () => undefined);
    expect(r.code).toBe(0);
    const shown = [...r.out.matchAll(/^\s+\d+\. \[[^\]]+\] (.+)$/gm)].map((m) => m[1]);
    expect(shown).toHaveLength(2);
    expect(r.out).toMatch(/applied\s+2 step\(s\), 2 round trip\(s\), compliant/);
  });
});
