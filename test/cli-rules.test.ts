// Issue 13: the rule groups on the command line. `--rules kb|health|kb,health` on check, plan and apply
// (default kb), the spec's `rules` from --config and --targets, the reports that name the groups, and
// `wsus-iis rules`. The default check must read exactly as before.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Ajv from "ajv-draft-04";
import addFormats from "ajv-formats";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HEALTH_RULES } from "../core/rules/health";
import { KB_RULES, RULES } from "../core/rules";
import { KB4490414 } from "../core/rules/sources";
import { createLab } from "../lab/create";
import { collectEvidence } from "../lab/evidence";
import { cli } from "./support/cli";

const dir = mkdtempSync(join(tmpdir(), "wsus-cli-rules-"));
const file = (name: string) => join(dir, name);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const HEALTH_IDS = new Set(HEALTH_RULES.map((r) => r.id));
const KB_IDS = new Set(KB_RULES.map((r) => r.id));
type JsonFinding = { rule: string; status: string; group?: string };
const json = (args: string[]) => {
  const r = cli(args);
  return { ...r, doc: JSON.parse(r.stdout) };
};

/** WSUS setup's private-memory limit (KB 4490414: 1,843,200 KB) on an otherwise KB 4490414-shaped WsusPool. */
const LIMITED_POOL =
  '<add name="WsusPool" managedRuntimeVersion="v4.0" managedPipelineMode="Integrated" queueLength="2000"><processModel identityType="NetworkService" idleTimeout="00:00:00" pingingEnabled="false" /><recycling><periodicRestart memory="0" privateMemory="1843200" time="00:00:00" /></recycling></add>';

beforeAll(async () => {
  // a server healthy for KB 920659 whose WsusPool has WSUS setup's private-memory limit (the evidence is
  // edited, so the test does not depend on how the lab breaks pools)
  await createLab(file("lab"), { configuration: 2, profile: "modern" });
  const evidence = (await collectEvidence(file("lab"))) as { applicationHostConfig: string };
  const pool = /<add name="WsusPool"[^>]*\/>|<add name="WsusPool"[\s\S]*?<\/add>/;
  expect(evidence.applicationHostConfig).toMatch(pool);
  evidence.applicationHostConfig = evidence.applicationHostConfig.replace(pool, LIMITED_POOL);
  writeFileSync(file("wsus.json"), JSON.stringify(evidence));
  await createLab(file("lab-b"), { configuration: 1, profile: "kb920659" });
}, 60_000);

describe("--rules on check", () => {
  it("the default is kb: the same bytes as --rules kb in every format, no health finding, no group named", () => {
    for (const format of ["text", "json", "junit", "sarif"]) {
      const byDefault = cli(["check", "--evidence", file("wsus.json"), "--format", format]);
      const kb = cli(["check", "--evidence", file("wsus.json"), "--format", format, "--rules", "kb"]);
      expect(byDefault.code, format).toBe(0);
      expect(kb.stdout, format).toBe(byDefault.stdout);
    }
    const text = cli(["check", "--evidence", file("wsus.json")]).stdout;
    expect(text).toMatch(new RegExp(`^WSUS01 \\[evidence:.*wsus\\.json\\]: COMPLIANT \\(${KB_RULES.length} rules checked, 0 could not be checked\\)\\n`));
    expect(text).not.toMatch(/health/i);
    const { doc } = json(["check", "--evidence", file("wsus.json"), "--format", "json"]);
    expect(Object.keys(doc)).toEqual(["compliant", "findings", "layout"]);
  });

  it("--rules kb,health: the health rules judge too (exit 1 on WSUS setup's WsusPool), text under two headings", () => {
    const r = cli(["check", "--evidence", file("wsus.json"), "--rules", "kb,health"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("");
    expect(r.stdout).toMatch(/^WSUS01 \[evidence:.*\]: NOT COMPLIANT \(\d+ problems?, \d+ could not be checked\)\n/);
    expect(r.stdout).toContain(`\n  KB 920659: ${KB_RULES.length} rules checked, 0 could not be checked\n`);
    expect(r.stdout).toMatch(/\n {2}WSUS IIS health: \d+ problems?, \d+ could not be checked\n/);
    expect(r.stdout).toContain("\n    [health] FAIL WsusPool  (rule wsuspool-private-memory)\n");
    expect(r.stdout).toContain(`WSUS IIS health rules: KB 4490414 ${KB4490414}`);
  });

  it("--rules kb,health in JSON: ruleGroups and every finding's group; --rules health judges that group alone", () => {
    const both = json(["check", "--evidence", file("wsus.json"), "--rules", "kb,health", "--format", "json"]).doc;
    expect(both.ruleGroups).toEqual(["kb", "health"]);
    const fails = both.findings as JsonFinding[];
    expect(fails.length).toBeGreaterThan(0);
    for (const f of fails) expect(f.group, f.rule).toBe(HEALTH_IDS.has(f.rule) ? "health" : "kb");
    expect(fails.map((f) => f.rule)).toContain("wsuspool-private-memory");
    // the order of the groups given does not matter, nor spaces around the comma
    expect(json(["check", "--evidence", file("wsus.json"), "--rules", " health , kb", "--format", "json"]).doc).toEqual(both);
    const health = json(["check", "--evidence", file("wsus.json"), "--rules", "health", "--format", "json"]).doc;
    expect(health.ruleGroups).toEqual(["health"]);
    expect((health.findings as JsonFinding[]).every((f) => HEALTH_IDS.has(f.rule) && f.group === "health")).toBe(true);
  });

  it("SARIF with --rules kb,health: valid 2.1.0; every rule has its help URL, help text and group", () => {
    const r = cli(["check", "--evidence", file("wsus.json"), "--rules", "kb,health", "--format", "sarif"]);
    const sarif = JSON.parse(r.stdout);
    const schema = JSON.parse(readFileSync(require.resolve("@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json"), "utf8"));
    const ajv = new Ajv({ strict: false, allErrors: true, unicodeRegExp: false } as never);
    addFormats(ajv as never);
    const validate = ajv.compile(schema);
    expect(validate(sarif), JSON.stringify(validate.errors?.slice(0, 3))).toBe(true);
    const rules = sarif.runs[0].tool.driver.rules as { id: string; helpUri: string; help: { text: string; markdown: string }; properties: { group: string } }[];
    expect(rules.map((x) => x.id)).toEqual(RULES.map((x) => x.id));
    for (const rule of rules) {
      const engine = RULES.find((x) => x.id === rule.id)!;
      expect(rule.helpUri).toBe(engine.helpUri);
      expect(rule.help.text).toContain(engine.helpUri);
      expect(rule.help.text).toContain("Fix: ");
      expect(rule.help.markdown).toContain("**Fix:** ");
      expect(rule.properties.group).toBe(engine.group);
    }
    expect(sarif.runs[0].properties.servers[0].ruleGroups).toEqual(["kb", "health"]);
    // the default SARIF lists the KB group's rules only, each with its help too
    const kb = JSON.parse(cli(["check", "--evidence", file("wsus.json"), "--format", "sarif"]).stdout);
    expect(kb.runs[0].tool.driver.rules.map((x: { id: string }) => x.id)).toEqual([...KB_IDS]);
    expect(kb.runs[0].tool.driver.rules.every((x: { help?: { text: string } }) => x.help?.text.includes("Fix: "))).toBe(true);
  });

  it("JUnit with --rules kb,health: one testcase per rule of both groups, the health ones in their own class", () => {
    const out = cli(["check", "--evidence", file("wsus.json"), "--rules", "kb,health", "--format", "junit"]).stdout;
    expect((out.match(/<testcase /g) ?? []).length).toBe(RULES.length);
    expect((out.match(/<testcase classname="wsus-iis\.WSUS01\.health"/g) ?? []).length).toBe(HEALTH_RULES.length);
    expect(out).toContain('<property name="rule-groups" value="kb,health"/>');
    expect(out).toMatch(/<failure message="[^"]*" type="health">/);
  });

  it("the spec file's rules judge; --rules on the command line wins over it, as --profile does", () => {
    writeFileSync(file("health.yaml"), "rules: [kb, health]\n");
    const fromFile = json(["check", "--evidence", file("wsus.json"), "--config", file("health.yaml"), "--format", "json"]).doc;
    expect(fromFile.ruleGroups).toEqual(["kb", "health"]);
    const overridden = json(["check", "--evidence", file("wsus.json"), "--config", file("health.yaml"), "--rules", "kb", "--format", "json"]);
    expect(overridden.code).toBe(0);
    expect(overridden.doc.ruleGroups).toBeUndefined();
    expect((overridden.doc.findings as JsonFinding[]).some((f) => HEALTH_IDS.has(f.rule))).toBe(false);
    // the spec's thresholds apply: a pool limit accepted by health.privateMemoryKb is no finding
    writeFileSync(file("lenient.yaml"), "rules: [health]\nhealth: { privateMemoryKb: 1000000 }\n");
    const lenient = json(["check", "--evidence", file("wsus.json"), "--config", file("lenient.yaml"), "--format", "json"]).doc;
    expect((lenient.findings as JsonFinding[]).map((f) => f.rule)).not.toContain("wsuspool-private-memory");
  });
});

describe("--rules: bad input is one line naming the option and the value, exit 2, before anything is read", () => {
  it.each([
    ["helth", '--rules: expected kb, health or kb,health, got "helth"'],
    ["", '--rules: expected kb, health or kb,health, got ""'],
    ["kb,,health", '--rules: expected kb, health or kb,health, got "kb,,health"'],
    ["KB", '--rules: expected kb, health or kb,health, got "KB"'],
    ["kb;health", '--rules: expected kb, health or kb,health, got "kb;health"'],
  ])("%j", (value, message) => {
    for (const cmd of [["check"], ["plan"], ["apply", "--yes"]]) {
      const r = cli([...cmd, "--target", "lab:/nonexistent/never-read", "--rules", value]);
      expect(r.code, cmd[0]).toBe(2);
      expect(r.stderr, cmd[0]).toBe(`wsus-iis: ${message}\n`);
    }
    // checked before the evidence file is read
    expect(cli(["check", "--evidence", "/nonexistent/e.json", "--rules", value]).stderr).toBe(`wsus-iis: ${message}\n`);
  });

  it("a bad rules field in the spec file or a --targets entry is named with where it came from", () => {
    writeFileSync(file("bad.yaml"), "rules: [kb, helth]\n");
    const r = cli(["check", "--evidence", file("wsus.json"), "--config", file("bad.yaml")]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('rules.1: expected kb or health, got "helth"');
    writeFileSync(file("bad-targets.yaml"), `- target: lab:${file("lab")}\n  rules: kb,health\n`);
    const t = cli(["check", "--targets", file("bad-targets.yaml")]);
    expect(t.code).toBe(2);
    expect(t.stderr).toContain(`invalid spec for --targets ${file("bad-targets.yaml")}[0]:`);
    expect(t.stderr).toMatch(/ {2}rules: .*got "kb,health"/);
  });

  it("--help of check, plan and apply documents it", () => {
    for (const cmd of ["check", "plan", "apply"]) {
      const help = cli([cmd, "--help"]).stdout.replace(/\s+/g, " ");
      expect(help, cmd).toContain("--rules <groups> rule groups to judge, comma-separated: kb (KB 920659 and the WSUS layout; the default), health (");
    }
  });
});

describe("--rules on plan, apply and --targets", () => {
  it("plan --rules kb,health: the health repairs are planned, tagged [health]; the default plan has none", () => {
    const r = cli(["plan", "--evidence", file("wsus.json"), "--rules", "kb,health"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/\. \[health\] %windir%\\system32\\inetsrv\\appcmd\.exe set apppool WsusPool \/recycling\.periodicRestart\.privateMemory:0\n/);
    const plain = cli(["plan", "--evidence", file("wsus.json")]);
    expect(plain.code).toBe(0);
    expect(plain.stdout).toMatch(/: nothing to change\n/);
    expect(plain.stdout).not.toContain("[health]");
  });

  it("a --targets entry carries its own rules: that server is judged with the health group, the other with the default", () => {
    const f = file("fleet.yaml");
    writeFileSync(f, `- target: lab:${file("lab")}\n  rules: [kb, health]\n- lab:${file("lab-b")}\n`);
    const r = cli(["check", "--targets", f, "--format", "json", "--no-progress"]);
    const out = JSON.parse(r.stdout);
    const byTarget = Object.fromEntries(out.servers.map((s: { target: string }) => [s.target, s]));
    expect(byTarget[`lab:${file("lab")}`].ruleGroups).toEqual(["kb", "health"]);
    expect(byTarget[`lab:${file("lab-b")}`].ruleGroups).toBeUndefined();
    expect((byTarget[`lab:${file("lab-b")}`].findings as JsonFinding[]).some((x) => HEALTH_IDS.has(x.rule))).toBe(false);
    // the entry's own field wins over --rules, as per-server fields win over every base option
    const forced = JSON.parse(cli(["check", "--targets", f, "--rules", "kb", "--format", "json", "--no-progress"]).stdout);
    expect(forced.servers.map((s: { ruleGroups?: string[] }) => s.ruleGroups)).toEqual([["kb", "health"], undefined]);
  });
});

describe("wsus-iis rules", () => {
  it("lists every rule of both groups with its origin, severity and article", () => {
    const r = cli(["rules"]);
    expect(r.code).toBe(0);
    const lines = r.stdout.split("\n");
    expect(lines[0]).toBe(`KB 920659 (--rules kb, the default): ${KB_RULES.length} rules`);
    expect(lines).toContain(`WSUS IIS health (--rules kb,health or health): ${HEALTH_RULES.length} rules`);
    for (const rule of RULES) expect(r.stdout, rule.id).toMatch(new RegExp(`\\n  ${rule.id} +\\[`));
    expect(r.stdout).toMatch(/\n {2}wsuspool-private-memory +\[health\] +error +Private memory limit \(KB 4490414\)\n/);
    expect(r.stdout).toMatch(/\n {2}selfupdate-anonymous +\[cause 4\] +error +/);
    expect(r.stdout).toContain(`\nKB 4490414: ${KB4490414}\n`);
  });

  it("--format json: id, group, cause, severity, title, description, help URL and the repair idea; --rules filters", () => {
    const all = JSON.parse(cli(["rules", "--format", "json"]).stdout);
    expect(all.map((x: { id: string }) => x.id)).toEqual(RULES.map((x) => x.id));
    expect(all.find((x: { id: string }) => x.id === "wsuspool-queue-length")).toEqual({
      id: "wsuspool-queue-length",
      group: "health",
      cause: null,
      severity: "error",
      title: "Queue length",
      description: expect.stringContaining("KB 4490414"),
      helpUri: KB4490414,
      remediation: expect.stringContaining("/queueLength:2000"),
    });
    const health = JSON.parse(cli(["rules", "--rules", "health", "--format", "json"]).stdout);
    expect(health.map((x: { id: string }) => x.id)).toEqual(HEALTH_RULES.map((x) => x.id));
    const bad = cli(["rules", "--rules", "helth"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe('wsus-iis: --rules: expected kb, health or kb,health, got "helth"\n');
  });
});
