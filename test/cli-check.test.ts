import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Ajv from "ajv-draft-04";
import addFormats from "ajv-formats";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KB_RULES } from "../core/rules";
import { createLab } from "../lab/create";
import { collectEvidence } from "../lab/evidence";
import { runCommand } from "../lab/shell";
import { cli } from "./support/cli";

const dir = mkdtempSync(join(tmpdir(), "wsus-cli-check-"));
const file = (name: string) => join(dir, name);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

beforeAll(async () => {
  for (const [name, breaks] of [["healthy", []], ["broken", [1, 3, 4, 5, 6, 7, 8]]] as const) {
    await createLab(file(`lab-${name}`), { configuration: 2, profile: "kb920659", breaks: [...breaks] });
    writeFileSync(file(`${name}.json`), JSON.stringify(await collectEvidence(file(`lab-${name}`))));
  }
  // the real IIS Express file from the fixtures: a real applicationHost.config without any WSUS
  const xml = readFileSync(join(__dirname, "..", "..", "shared", "fixtures", "applicationhost", "iisexpress-applicationhost.config"), "utf8");
  writeFileSync(file("iisexpress.json"), JSON.stringify({ schema: "wsus-iis/evidence@1", computerName: "DEV01", applicationHostConfig: xml }));
}, 60_000);

const noStack = (s: string) => expect(s).not.toMatch(/\n\s+at .+\(.*:\d+:\d+\)/);

describe("wsus-iis check --evidence", () => {
  it("exit 0 and COMPLIANT for a healthy server", () => {
    const r = cli(["check", "--evidence", file("healthy.json"), "--configuration", "2"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^WSUS01 \[evidence:.*healthy\.json\]: COMPLIANT/);
  });

  it("all KB causes at once: exit 1, every cause reported, each with a fix", () => {
    const r = cli(["check", "--evidence", file("broken.json"), "--configuration", "2", "--format", "json"]);
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout);
    expect(out.compliant).toBe(false);
    const fails = out.findings.filter((f: { status: string }) => f.status === "fail");
    expect(new Set(fails.map((f: { cause: number }) => f.cause))).toEqual(new Set([1, 3, 4, 5, 6, 8]));
    expect(fails.every((f: { remediation: string }) => f.remediation.length > 0)).toBe(true);
    // cause 7: SharePoint is seen installed, its exclusions cannot be read from the server: not known, with what to check
    expect(out.findings.filter((f: { status: string }) => f.status === "unknown")).toEqual([expect.objectContaining({ cause: 7, remediation: expect.stringContaining("SharePoint") })]);
    const text = cli(["check", "--evidence", file("broken.json"), "--configuration", "2"]).stdout;
    for (const c of [1, 3, 4, 5, 6, 8]) expect(text).toContain(`[cause ${c}] FAIL`);
    expect(text).toMatch(/\[cause 7\] UNKNOWN/);
    expect(text).toContain("fix: ");
  });

  it("SARIF output validates against the SARIF 2.1.0 schema", () => {
    const r = cli(["check", "--evidence", file("broken.json"), "--configuration", "2", "--format", "sarif", "--output", file("out.sarif")]);
    expect(r.code).toBe(1);
    const sarif = JSON.parse(readFileSync(file("out.sarif"), "utf8"));
    const schema = JSON.parse(readFileSync(require.resolve("@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json"), "utf8"));
    const ajv = new Ajv({ strict: false, allErrors: true, unicodeRegExp: false } as never);
    addFormats(ajv as never);
    const validate = ajv.compile(schema);
    expect(validate(sarif), JSON.stringify(validate.errors?.slice(0, 3))).toBe(true);
    expect(sarif.runs[0].results.length).toBeGreaterThan(6);
    // GitHub code scanning needs a repository-relative physical location and stable fingerprints
    for (const res of sarif.runs[0].results) {
      expect(res.locations[0].physicalLocation.artifactLocation.uri).toBe("wsus-iis/WSUS01");
      expect(res.partialFingerprints["wsusIisFinding/v1"]).toMatch(/^[0-9a-f]{32}$/);
    }
    expect(new Set(sarif.runs[0].results.map((r: { partialFingerprints: Record<string, string> }) => r.partialFingerprints["wsusIisFinding/v1"])).size).toBe(sarif.runs[0].results.length);
    writeFileSync(file("spec.yaml"), "configuration: 2\n");
    const withConfig = cli(["check", "--evidence", file("broken.json"), "--config", file("spec.yaml"), "--format", "sarif"], { cwd: dir });
    expect(JSON.parse(withConfig.stdout).runs[0].results[0].locations[0].physicalLocation.artifactLocation.uri).toBe("spec.yaml");
  });

  it("JUnit output has one testcase per rule (of the default kb group: the health group is opt-in, --rules)", () => {
    const r = cli(["check", "--evidence", file("broken.json"), "--configuration", "2", "--format", "junit"]);
    expect(r.code).toBe(1);
    expect((r.stdout.match(/<testcase /g) ?? []).length).toBe(KB_RULES.length);
    expect(r.stdout).toMatch(/<failure /);
  });

  it("judges a real, non-WSUS applicationHost.config (IIS Express fixture) without crashing", () => {
    const r = cli(["check", "--evidence", file("iisexpress.json"), "--format", "json"]);
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout);
    expect(out.findings.map((f: { rule: string }) => f.rule)).toContain("selfupdate-vdir");
    // no WSUS endpoint and the anonymous user is "" (IIS Express runs as the user): auto takes the layout
    // of every supported server, and says so
    expect(out.layout).toEqual({
      profile: "modern",
      configuration: 1,
      reasons: [expect.stringContaining("profile modern: no sign of WSUS 2.0"), "Configuration 1 detected: no WSUS site besides the Default Web Site"],
    });
    // no site is named "Default Web Site": the site with IIS id 1 (WebSite1) plays its role
    expect(out.findings.filter((f: { rule: string }) => f.rule === "layout-vdirs").map((f: { message: string }) => f.message)).toContain("virtual directory /Content is missing on WebSite1");
    expect(out.findings.find((f: { rule: string }) => f.rule === "default-site-loopback")).toBeUndefined();
  });
});

// Issue 10 acceptance: evidence with nothing but applicationHost.config leaves the ACL, group and file
// rules unable to run; a pipeline must be able to tell that from a healthy server.
describe("--fail-on unknown: thin evidence is not a healthy server", () => {
  beforeAll(() => {
    const full = JSON.parse(readFileSync(file("healthy.json"), "utf8"));
    writeFileSync(file("thin.json"), JSON.stringify({ schema: full.schema, computerName: full.computerName, applicationHostConfig: full.applicationHostConfig }));
  });

  it("exit 0 without it, and the verdict line says how many checks could not run", () => {
    const r = cli(["check", "--evidence", file("thin.json")]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^WSUS01 \[evidence:.*thin\.json\]: COMPLIANT \(\d+ rules checked, [1-9]\d* could not be checked\)$/m);
    expect(r.stdout).toContain("Could not check (evidence missing):");
  });

  it("exit 1 with it, in every format; JUnit skips the unknown rules with the reason, SARIF gives them level note", () => {
    for (const format of ["text", "json", "junit", "sarif"]) {
      expect(cli(["check", "--evidence", file("thin.json"), "--fail-on", "unknown", "--format", format]).code, format).toBe(1);
    }
    const junit = cli(["check", "--evidence", file("thin.json"), "--format", "junit"]).stdout;
    expect(junit).toMatch(/<skipped message="Could not check \(evidence missing\): [^"]+"/);
    expect(junit).not.toMatch(/<failure /);
    const sarif = JSON.parse(cli(["check", "--evidence", file("thin.json"), "--format", "sarif"]).stdout);
    const levels = new Set(sarif.runs[0].results.map((x: { level: string }) => x.level));
    expect([...levels]).toEqual(["note"]);
    // a healthy, fully collected server passes --fail-on unknown; a bad value is named
    expect(cli(["check", "--evidence", file("healthy.json"), "--fail-on", "unknown"]).code).toBe(0);
    const bad = cli(["check", "--evidence", file("thin.json"), "--fail-on", "sometimes"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--fail-on: expected one of error, unknown, warning, got "sometimes"');
  });

  it("--fail-on warning also fails on a warning (the anonymous account out of Users, reading through its own ACE)", async () => {
    await createLab(file("lab-warn"), { configuration: 1, profile: "kb920659", breaks: [1] });
    await runCommand(file("lab-warn"), 'icacls "C:\\Program Files\\Update Services\\Selfupdate" /grant IUSR_WSUS01:(OI)(CI)(RX)');
    writeFileSync(file("warn.json"), JSON.stringify(await collectEvidence(file("lab-warn"))));
    const r = cli(["check", "--evidence", file("warn.json")]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/COMPLIANT \(\d+ rules checked, 1 warning, 0 could not be checked\)/);
    expect(r.stdout).toContain("[cause 1] WARNING BUILTIN\\Users");
    expect(cli(["check", "--evidence", file("warn.json"), "--fail-on", "unknown"]).code).toBe(0);
    expect(cli(["check", "--evidence", file("warn.json"), "--fail-on", "warning"]).code).toBe(1);
  }, 30_000);
});

describe("bad input: exit 2, a clear message naming the field, no stack trace", () => {
  it("a reader that stops early (| head) is not an error", () => {
    const r = spawnSync("bash", ["-c", `node bin/wsus-iis.js probe --help | head -1 >/dev/null; echo "exit=\${PIPESTATUS[0]}"`], {
      cwd: join(__dirname, ".."),
      encoding: "utf8",
    });
    expect(r.stderr).toBe("");
    expect(r.stdout.trim()).toBe("exit=0");
  });

  it.each([
    [["check", "--evidence", "/nonexistent/e.json"], /cannot read evidence file \/nonexistent\/e\.json: ENOENT/],
    [["check"], /check needs --evidence FILE or --target/],
    [["check", "--evidence", "EVID", "--configuration", "3"], /--configuration: expected 1, 2 or auto, got "3"/],
    [["check", "--evidence", "EVID", "--profile", "kb"], /profile \(--profile\): Invalid option: expected one of "auto"\|"kb920659"\|"modern", got "kb"/],
    [["check", "--evidence", "EVID", "--format", "xml"], /--format: expected one of text, json, sarif, junit, got "xml"/],
  ])("%j", (args, message) => {
    const r = cli(args.map((a) => (a === "EVID" ? file("healthy.json") : a)));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    noStack(r.stderr);
  });

  it("config file with a bad port names the field and value", () => {
    writeFileSync(file("bad.yaml"), "configuration: 2\nadminSite:\n  httpPort: 70000\n");
    const r = cli(["check", "--evidence", file("healthy.json"), "--config", file("bad.yaml")]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("adminSite.httpPort: expected 1..65535, got 70000");
    noStack(r.stderr);
  });

  it("hostile names are refused at validation", () => {
    writeFileSync(file("hostile.json"), JSON.stringify({ defaultSite: { name: 'x" & calc & "' }, installDir: "C:\\Program Files\\%PATH%" }));
    const r = cli(["check", "--evidence", file("healthy.json"), "--config", file("hostile.json")]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('defaultSite.name: expected a site name of letters, digits, space and . _ - ( ) only, got "x\\" & calc & \\""');
    expect(r.stderr).toContain("installDir: expected an absolute Windows path");
  });

  it.each([
    ["not JSON", "{", /is not valid JSON/],
    ["wrong schema", JSON.stringify({ schema: "other@1", applicationHostConfig: "<configuration/>" }), /evidence: schema: Invalid discriminator value\. Expected 'wsus-iis\/evidence@1' \| 'wsus-iis\/evidence@2', got "other@1"/],
    ["malformed XML", JSON.stringify({ schema: "wsus-iis/evidence@1", applicationHostConfig: "<configuration><sites></configuration>" }), /applicationHostConfig: not well-formed XML at line 1, column \d+/],
    ["garbled icacls", JSON.stringify({ schema: "wsus-iis/evidence@1", applicationHostConfig: "<configuration/>", acls: { "C:\\x": "C:\\x ???\r\n   garbage here\r\n" } }), /acls\["C:\\\\x"\]/],
  ])("evidence: %s", (_name, content, message) => {
    writeFileSync(file("bad-evidence.json"), content);
    const r = cli(["check", "--evidence", file("bad-evidence.json")]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    noStack(r.stderr);
  });
});
