import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import Ajv from "ajv-draft-04";
import addFormats from "ajv-formats";
import fc from "fast-check";
import { SaxesParser } from "saxes";
import { describe, expect, it } from "vitest";
import { Report, type Finding } from "../core/rules/finding";
import { KB_RULES, RULES as ENGINE_RULES } from "../core/rules";
import { KB2737219, KB4490414 } from "../core/rules/sources";
import {
  ALL_RULE_INFO,
  KB_URL,
  RULE_REMEDIATION,
  RuleInfo,
  ruleInfoFor,
  ServerReport,
  escapeXmlAttr,
  failsOn,
  escapeXmlText,
  renderJson,
  renderJunit,
  renderSarif,
  renderText,
  stripIllegalXmlChars,
} from "../core/report";

// ---------------------------------------------------------------------------------------------- fixtures

const RULES: RuleInfo[] = [
  { id: "clientwebservice-app", cause: null, title: "ClientWebService is an application", description: "WSUS Administration/ClientWebService must be an IIS application." },
  { id: "selfupdate-folder-acl", cause: 1, title: "SelfUpdate folder readable by IUSR", description: "The SelfUpdate folder grants read to the anonymous user." },
  { id: "selfupdate-vdir", cause: 2, title: "SelfUpdate virtual directory exists", description: "Default Web Site has a Selfupdate virtual directory." },
  { id: "selfupdate-anonymous", cause: 4, title: "SelfUpdate allows anonymous access", description: "Anonymous authentication is enabled on Selfupdate." },
  { id: "default-site-loopback", cause: 5, title: "Default Web Site listens on 127.0.0.1", description: "IP-restricted bindings include 127.0.0.1." },
  { id: "sharepoint-exclusions", cause: 7, title: "SharePoint excludes WSUS paths", description: "SharePoint managed paths exclude the WSUS virtual directories." },
  { id: "selfupdate-files", cause: 8, title: "SelfUpdate files present", description: "Selfupdate.msi laid down its files." },
];

const f = (p: Partial<Finding> & Pick<Finding, "rule" | "cause" | "target">): Finding => ({
  severity: "error",
  status: "fail",
  message: `${p.rule} broken on ${p.target}`,
  remediation: `repair ${p.target}`,
  ...p,
});

const HOSTILE = `bad <tag attr="x"> & 'quoted' \u0001 bell\u0007 esc\u001b[31m end`;

// Deliberately out of KB order: the renderers must order them.
const BROKEN_FINDINGS: Finding[] = [
  f({ rule: "clientwebservice-app", cause: null, target: "WSUS Administration/ClientWebService", message: "ClientWebService is a plain virtual directory." }),
  f({ rule: "sharepoint-exclusions", cause: 7, target: "SharePoint", status: "unknown", message: "SharePoint configuration could not be read.", remediation: "Collect the SharePoint managed paths." }),
  f({ rule: "selfupdate-anonymous", cause: 4, target: "Default Web Site/Selfupdate", message: HOSTILE, remediation: "Enable anonymous authentication:\nappcmd set config ..." }),
  f({ rule: "selfupdate-folder-acl", cause: 1, target: "C:\\Program Files\\Update Services\\Selfupdate", message: "IUSR has no read access." }),
  f({ rule: "selfupdate-folder-acl", cause: 1, target: "BUILTIN\\Users", status: "unknown", message: "Group membership not collected.", remediation: "Collect local group membership." }),
  f({ rule: "default-site-loopback", cause: 5, target: "Default Web Site", severity: "warning", message: "Bound to 10.0.0.5:80 only." }),
  f({ rule: "selfupdate-anonymous", cause: 4, target: "WSUS Administration/Selfupdate", message: "Anonymous access disabled." }),
];

const compliant: ServerReport = { server: "WSUS01", report: { compliant: true, findings: [] }, rules: RULES };
const broken: ServerReport = {
  server: "WSUS02",
  target: "wsus02.yaml",
  report: { compliant: false, findings: BROKEN_FINDINGS },
  rules: RULES,
};
const fleet = [compliant, broken];

const stripAnsi = (s: string) => s.replace(/\u001b\[[0-9;]*m/g, "");

// ---------------------------------------------------------------------------------------------- types

describe("ServerReport schema", () => {
  it("accepts the fixtures and rejects a bad cause", () => {
    expect(ServerReport.parse(broken)).toEqual(broken);
    expect(() => RuleInfo.parse({ id: "x", cause: 9, title: "", description: "" })).toThrow();
    expect(() => ServerReport.parse({ server: "", report: compliant.report, rules: [] })).toThrow();
  });
});

// ---------------------------------------------------------------------------------------------- text

describe("renderText", () => {
  it("compliant server: one verdict line, no findings, no colour", () => {
    const out = renderText([compliant]);
    expect(out).toBe("WSUS01: COMPLIANT (7 rules checked, 0 could not be checked)\n");
  });

  it("broken server: verdict counts, KB order, layout after causes, unknowns last", () => {
    const out = renderText([broken]);
    expect(out).not.toContain("\u001b");
    const lines = out.split("\n");
    expect(lines[0]).toBe("WSUS02 [wsus02.yaml]: NOT COMPLIANT (4 problems, 1 warning, 2 could not be checked)");
    const at = (needle: string) => {
      const i = out.indexOf(needle);
      expect(i, needle).toBeGreaterThanOrEqual(0);
      return i;
    };
    const order = [
      at("[cause 1] FAIL C:\\Program Files\\Update Services\\Selfupdate"),
      at("[cause 4] FAIL Default Web Site/Selfupdate"),
      at("[cause 4] FAIL WSUS Administration/Selfupdate"),
      at("[cause 5] WARNING Default Web Site"),
      at("[layout] FAIL WSUS Administration/ClientWebService"),
      at("Could not check (evidence missing):"),
      at("[cause 1] UNKNOWN BUILTIN\\Users"),
      at("[cause 7] UNKNOWN SharePoint"),
    ];
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    // message and fix are indented under their finding; multi-line remediation stays indented
    expect(out).toContain("\n      IUSR has no read access.\n      fix: repair C:\\Program Files\\Update Services\\Selfupdate\n");
    expect(out).toContain("      fix: Enable anonymous authentication:\n           appcmd set config ...\n");
    expect(out).toContain(KB_URL);
  });

  it("never passes control characters from findings to the terminal", () => {
    const plain = renderText([broken]);
    const colored = renderText([broken], { color: true });
    expect(plain).toContain("esc\\u001b[31m end");
    expect(plain).toContain("\\u0001 bell\\u0007");
    expect(plain).not.toMatch(/[\u0000-\u0008\u000b-\u001f]/);
    // the only escape sequences in colour output are our own SGR codes
    expect(stripAnsi(colored)).not.toContain("\u001b");
  });

  it("colour only when asked, and it adds nothing but SGR codes", () => {
    const colored = renderText([broken], { color: true });
    expect(colored).toContain("\u001b[31mFAIL\u001b[39m");
    expect(colored).toContain("\u001b[35mUNKNOWN\u001b[39m");
    expect(stripAnsi(colored)).toBe(renderText([broken]));
    expect(renderText([compliant], { color: true })).toContain("\u001b[32m");
  });

  it("two servers: both blocks and a fleet line", () => {
    const out = renderText(fleet);
    expect(out.startsWith("WSUS01: COMPLIANT")).toBe(true);
    expect(out).toContain("\n\nWSUS02 [wsus02.yaml]: NOT COMPLIANT");
    expect(out).toContain("1 of 2 servers compliant, 1 with checks that could not run");
  });

  // Issue 10: thin evidence must never read like a healthy server.
  it("a compliant server whose rules could not all run says so on the verdict line", () => {
    const thin: ServerReport = { ...compliant, report: { compliant: true, findings: broken.report.findings.filter((f) => f.status === "unknown") } };
    expect(renderText([thin]).split("\n")[0]).toBe("WSUS01: COMPLIANT (7 rules checked, 2 could not be checked)");
    const warned: ServerReport = { ...compliant, report: { compliant: true, findings: broken.report.findings.filter((f) => f.severity === "warning") } };
    expect(renderText([warned]).split("\n")[0]).toBe("WSUS01: COMPLIANT (7 rules checked, 1 warning, 0 could not be checked)");
  });
});

describe("failsOn (--fail-on)", () => {
  const only = (pred: (f: Finding) => boolean) => ({ compliant: true, findings: broken.report.findings.filter(pred) });
  it("error: only failed errors; unknown: also unknowns; warning: also warnings", () => {
    expect(failsOn(compliant.report, "warning")).toBe(false);
    expect(failsOn(only((f) => f.status === "unknown"), "error")).toBe(false);
    expect(failsOn(only((f) => f.status === "unknown"), "unknown")).toBe(true);
    expect(failsOn(only((f) => f.severity === "warning" && f.status === "fail"), "unknown")).toBe(false);
    expect(failsOn(only((f) => f.severity === "warning" && f.status === "fail"), "warning")).toBe(true);
    expect(failsOn(broken.report, "error")).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------- json

describe("renderJson", () => {
  it("one compliant server: exactly the Report schema, pretty, trailing newline", () => {
    const out = renderJson([compliant]);
    expect(out).toBe('{\n  "compliant": true,\n  "findings": []\n}\n');
  });

  it("one broken server: findings kept verbatim, nothing else", () => {
    const doc = JSON.parse(renderJson([broken]));
    expect(Object.keys(doc)).toEqual(["compliant", "findings"]);
    expect(Report.parse(doc)).toEqual(broken.report);
    expect(doc.findings).toEqual(BROKEN_FINDINGS);
  });

  it("two servers: fleet shape, compliant only if all are", () => {
    const out = renderJson(fleet);
    expect(out.endsWith("}\n")).toBe(true);
    const doc = JSON.parse(out);
    expect(doc).toEqual({
      compliant: false,
      servers: [
        { server: "WSUS01", compliant: true, findings: [] },
        { server: "WSUS02", target: "wsus02.yaml", compliant: false, findings: BROKEN_FINDINGS },
      ],
    });
    expect(JSON.parse(renderJson([compliant, { ...compliant, server: "WSUS03" }])).compliant).toBe(true);
    expect(JSON.parse(renderJson([])).compliant).toBe(false);
  });
});

// ---------------------------------------------------------------------------------------------- sarif

// The official SARIF 2.1.0 schema (rtm.5, draft-04) as shipped by Microsoft's @microsoft/jest-sarif package.
const require_ = createRequire(__filename);
const SCHEMA_PATH = require_.resolve("@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json");
const sarifSchema = JSON.parse(readFileSync(SCHEMA_PATH, "utf8"));
// unicodeRegExp: false — rtm.5's `language` pattern `^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$` has a stray "]"
// (fixed in the OASIS errata as `^[a-zA-Z]{2}(-[a-zA-Z]{2})?$`) that is only legal without the RegExp "u" flag.
const ajv = new Ajv({ strict: false, allErrors: true, unicodeRegExp: false });
addFormats(ajv);
const validateSarif = ajv.compile(sarifSchema);
const expectValidSarif = (log: unknown) => {
  const ok = validateSarif(log);
  expect(validateSarif.errors ?? [], ajv.errorsText(validateSarif.errors)).toEqual([]);
  expect(ok).toBe(true);
};

describe("renderSarif", () => {
  it("uses the real SARIF 2.1.0 schema", () => {
    expect(sarifSchema.title).toMatch(/SARIF\) Version 2\.1\.0/);
    expect(sarifSchema.properties.version.enum).toEqual(["2.1.0"]);
  });

  it("compliant server: valid, all rules described, no results", () => {
    const log = renderSarif([compliant], { toolVersion: "0.1.0" });
    expectValidSarif(log);
    expect(log.$schema).toBe("https://json.schemastore.org/sarif-2.1.0.json");
    expect(log.version).toBe("2.1.0");
    expect(log.runs).toHaveLength(1);
    const driver = log.runs[0].tool.driver;
    expect(driver).toMatchObject({ name: "wsus-iis", version: "0.1.0" });
    expect(driver.rules!.map((r) => r.id)).toEqual(RULES.map((r) => r.id));
    expect(driver.rules![3]).toMatchObject({
      id: "selfupdate-anonymous",
      name: "SelfupdateAnonymous",
      shortDescription: { text: "SelfUpdate allows anonymous access" },
      fullDescription: { text: "Anonymous authentication is enabled on Selfupdate." },
      helpUri: KB_URL,
      properties: { kbCause: 4 },
    });
    expect(driver.rules![0].properties!.kbCause).toBeNull();
    expect(log.runs[0].results).toEqual([]);
  });

  it("broken server: valid, one result per finding with the right rule, level and logical location", () => {
    const log = renderSarif([broken], { toolVersion: "0.1.0" });
    expectValidSarif(log);
    const run = log.runs[0];
    const results = run.results!;
    expect(results).toHaveLength(BROKEN_FINDINGS.length);
    results.forEach((r, i) => {
      const finding = BROKEN_FINDINGS[i];
      expect(run.tool.driver.rules![r.ruleIndex!].id).toBe(r.ruleId);
      expect(r.ruleId).toBe(finding.rule);
      expect(r.level).toBe(finding.status === "unknown" ? "note" : finding.severity);
      expect(r.message.text).toContain(finding.message);
      expect(r.message.text).toContain(finding.remediation);
      expect(r.locations).toEqual([
        {
          physicalLocation: { artifactLocation: { uri: "wsus-iis/WSUS02" }, region: { startLine: 1 } },
          logicalLocations: [{ name: finding.target, fullyQualifiedName: `WSUS02/${finding.target}`, kind: "resource" }],
        },
      ]);
      expect(r.properties).toEqual({ status: finding.status, cause: finding.cause, server: "WSUS02", target: "wsus02.yaml" });
    });
    // a Windows path target is still a logical location, never an artifact
    expect(results[3].locations![0].logicalLocations![0].fullyQualifiedName).toBe(
      "WSUS02/C:\\Program Files\\Update Services\\Selfupdate",
    );
    // the physical location is where code scanning files the alert (a repository path), never the server's folder
    const uris = log.runs[0].results!.map((x) => x.locations![0].physicalLocation!.artifactLocation!.uri!);
    expect(new Set(uris)).toEqual(new Set(["wsus-iis/WSUS02"]));
  });

  it("two servers: valid, one run, rules once, results of both", () => {
    const other: ServerReport = {
      server: "WSUS03",
      report: { compliant: false, findings: [f({ rule: "selfupdate-vdir", cause: 2, target: "Default Web Site" })] },
      rules: RULES,
    };
    const log = renderSarif([...fleet, other], { toolVersion: "1.2.3" });
    expectValidSarif(log);
    expect(log.runs).toHaveLength(1);
    expect(log.runs[0].tool.driver.rules).toHaveLength(RULES.length);
    const servers = log.runs[0].results!.map((r) => r.properties!.server);
    expect(servers).toEqual([...BROKEN_FINDINGS.map(() => "WSUS02"), "WSUS03"]);
  });

  it("a finding for a rule missing from `rules` still gets a valid ruleIndex", () => {
    const odd: ServerReport = {
      server: "S",
      report: { compliant: false, findings: [f({ rule: "not-listed", cause: null, target: "x" })] },
      rules: [],
    };
    const log = renderSarif([odd], { toolVersion: "0.1.0" });
    expectValidSarif(log);
    expect(log.runs[0].tool.driver.rules![log.runs[0].results![0].ruleIndex!].id).toBe("not-listed");
  });

  it("the validator rejects broken SARIF (the test can fail)", () => {
    const good = () => JSON.parse(JSON.stringify(renderSarif([broken], { toolVersion: "0.1.0" })));
    expect(validateSarif(good())).toBe(true);

    const wrongVersion = good();
    wrongVersion.version = "2.0.0";
    expect(validateSarif(wrongVersion)).toBe(false);

    const noMessage = good();
    delete noMessage.runs[0].results[0].message;
    expect(validateSarif(noMessage)).toBe(false);

    const badLevel = good();
    badLevel.runs[0].results[0].level = "fatal";
    expect(validateSarif(badLevel)).toBe(false);

    const noDriverName = good();
    delete noDriverName.runs[0].tool.driver.name;
    expect(validateSarif(noDriverName)).toBe(false);

    // formats are checked too (ajv-formats): informationUri must be a URI
    const badUri = good();
    badUri.runs[0].tool.driver.informationUri = "not a uri";
    expect(validateSarif(badUri)).toBe(false);
  });
});

// ---------------------------------------------------------------------------------------------- junit

interface XmlNode {
  name: string;
  attributes: Record<string, string>;
  children: XmlNode[];
  text: string;
}

/** Parse with a real XML parser (saxes); throws on anything not well-formed. */
function parseXml(xml: string): XmlNode {
  const parser = new SaxesParser();
  const stack: XmlNode[] = [];
  let root: XmlNode | undefined;
  parser.on("error", (e) => {
    throw e;
  });
  parser.on("opentag", (tag) => {
    const node: XmlNode = { name: tag.name, attributes: { ...(tag.attributes as Record<string, string>) }, children: [], text: "" };
    if (stack.length > 0) stack[stack.length - 1].children.push(node);
    else root = node;
    stack.push(node);
  });
  parser.on("text", (t) => {
    if (stack.length > 0) stack[stack.length - 1].text += t;
  });
  parser.on("closetag", () => void stack.pop());
  parser.write(xml).close();
  if (!root) throw new Error("no root element");
  return root;
}

const kids = (n: XmlNode, name: string) => n.children.filter((c) => c.name === name);
const num = (n: XmlNode, a: string) => Number(n.attributes[a]);

describe("renderJunit", () => {
  it("compliant server: one passing testcase per rule", () => {
    const root = parseXml(renderJunit([compliant]));
    expect(root.name).toBe("testsuites");
    const [suite, ...rest] = kids(root, "testsuite");
    expect(rest).toEqual([]);
    expect(suite.attributes).toMatchObject({ name: "WSUS01", tests: "7", failures: "0", errors: "0", skipped: "0" });
    const cases = kids(suite, "testcase");
    expect(cases).toHaveLength(7);
    expect(cases.every((c) => c.children.length === 0)).toBe(true);
    expect(cases.every((c) => c.attributes.classname === "wsus-iis.WSUS01")).toBe(true);
    // KB order, layout last
    expect(cases.map((c) => c.attributes.name)).toEqual([
      "selfupdate-folder-acl: SelfUpdate folder readable by IUSR",
      "selfupdate-vdir: SelfUpdate virtual directory exists",
      "selfupdate-anonymous: SelfUpdate allows anonymous access",
      "default-site-loopback: Default Web Site listens on 127.0.0.1",
      "sharepoint-exclusions: SharePoint excludes WSUS paths",
      "selfupdate-files: SelfUpdate files present",
      "clientwebservice-app: ClientWebService is an application",
    ]);
    expect(root.attributes).toMatchObject({ tests: "7", failures: "0", skipped: "0" });
  });

  it("broken server: failures and skips per rule, counts right, hostile text survives escaping", () => {
    const xml = renderJunit([broken]);
    const root = parseXml(xml);
    const suite = kids(root, "testsuite")[0];
    const cases = kids(suite, "testcase");
    const byRule = (id: string) => cases.find((c) => c.attributes.name.startsWith(`${id}: `))!;

    // failing rules: folder-acl (fail + unknown), anonymous (2 fails), layout; the loopback warning is output, not a failure
    const failed = cases.filter((c) => kids(c, "failure").length > 0);
    const skipped = cases.filter((c) => kids(c, "skipped").length > 0);
    expect(failed).toHaveLength(3);
    expect(skipped).toHaveLength(1);
    expect(suite.attributes).toMatchObject({ tests: "7", failures: "3", skipped: "1", errors: "0" });
    expect(root.attributes).toMatchObject({ tests: "7", failures: "3", skipped: "1", errors: "0" });
    expect(kids(byRule("default-site-loopback"), "system-out")[0].text).toContain("[cause 5] WARNING Default Web Site");
    expect(kids(suite, "properties")[0].children.map((p) => p.attributes)).toEqual([
      { name: "target", value: "wsus02.yaml" },
      { name: "compliant", value: "false" },
    ]);

    const anon = kids(byRule("selfupdate-anonymous"), "failure")[0];
    expect(anon.attributes.type).toBe("cause 4");
    expect(anon.attributes.message).toBe("2 targets: Default Web Site/Selfupdate; WSUS Administration/Selfupdate");
    const hostileClean = stripIllegalXmlChars(HOSTILE);
    expect(hostileClean).toBe(`bad <tag attr="x"> & 'quoted'  bell esc[31m end`);
    expect(anon.text).toContain(hostileClean);
    expect(anon.text).toContain("Anonymous access disabled.");
    expect(anon.text).toContain("fix: Enable anonymous authentication:\nappcmd set config ...");

    const acl = kids(byRule("selfupdate-folder-acl"), "failure")[0];
    expect(acl.attributes).toEqual({
      message: "C:\\Program Files\\Update Services\\Selfupdate: IUSR has no read access.",
      type: "cause 1",
    });
    expect(acl.text).toContain("UNKNOWN BUILTIN\\Users"); // the unknown finding of a failing rule is listed too

    expect(kids(byRule("clientwebservice-app"), "failure")[0].attributes.type).toBe("layout");
    expect(kids(byRule("sharepoint-exclusions"), "skipped")[0].attributes.message).toBe(
      "Could not check (evidence missing): SharePoint: SharePoint configuration could not be read.",
    );
    expect(byRule("selfupdate-files").children).toEqual([]);
    expect(xml).not.toMatch(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/);
  });

  it("hostile text in the failure message attribute round-trips", () => {
    const hostile: ServerReport = {
      server: `srv<&"'>\u0002`,
      report: { compliant: false, findings: [f({ rule: "r", cause: null, target: "t\nline2\ttab", message: HOSTILE })] },
      rules: [{ id: "r", cause: null, title: `t<&"'>`, description: "" }],
    };
    const root = parseXml(renderJunit([hostile]));
    const suite = kids(root, "testsuite")[0];
    expect(suite.attributes.name).toBe(`srv<&"'>`);
    const tc = kids(suite, "testcase")[0];
    expect(tc.attributes).toEqual({ classname: `wsus-iis.srv<&"'>`, name: `r: t<&"'>` });
    expect(kids(tc, "failure")[0].attributes.message).toBe(`t\nline2\ttab: ${stripIllegalXmlChars(HOSTILE)}`);
  });

  it("two servers: one testsuite each, totals add up", () => {
    const root = parseXml(renderJunit(fleet));
    const suites = kids(root, "testsuite");
    expect(suites.map((s) => s.attributes.name)).toEqual(["WSUS01", "WSUS02"]);
    expect(kids(suites[1], "testcase")[0].attributes.classname).toBe("wsus-iis.WSUS02");
    for (const a of ["tests", "failures", "skipped"]) {
      expect(num(root, a)).toBe(suites.reduce((n, s) => n + num(s, a), 0));
    }
    expect(root.attributes).toMatchObject({ tests: "14", failures: "3", skipped: "1" });
  });

  it("any string at all: output stays well-formed and attributes round-trip", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), fc.string({ unit: "binary" }), (server, message) => {
        const r: ServerReport = {
          server: server || "s",
          report: { compliant: false, findings: [f({ rule: "r", cause: 3, target: "t", message })] },
          rules: [{ id: "r", cause: 3, title: "x", description: "" }],
        };
        const suite = kids(parseXml(renderJunit([r])), "testsuite")[0];
        expect(suite.attributes.name).toBe(stripIllegalXmlChars(server || "s"));
        expect(kids(kids(suite, "testcase")[0], "failure")[0].attributes.message).toBe(
          stripIllegalXmlChars(`t: ${message}`),
        );
      }),
      { numRuns: 300 },
    );
  });
});

describe("xml escaping", () => {
  it("escapes the five markup characters and drops what XML 1.0 forbids", () => {
    expect(escapeXmlText(`<&"'>`)).toBe("&lt;&amp;&quot;&apos;&gt;");
    expect(escapeXmlAttr("a\nb\tc\rd")).toBe("a&#10;b&#9;c&#13;d");
    expect(escapeXmlText("a\nb\r")).toBe("a\nb&#13;");
    expect(stripIllegalXmlChars("a\u0000b\u000bc\ud800d\ufffee\uffff\u{1f600}")).toBe("abcde\u{1f600}");
  });
});

// ---------------------------------------------------------------------------------------------- rule groups (issue 13)

describe("rule groups: kb and health", () => {
  const KB_INFO: RuleInfo[] = RULES.map((r) => ({ ...r, group: "kb" as const, helpUri: KB_URL }));
  const HEALTH_INFO: RuleInfo[] = [
    { id: "wsuspool-private-memory", cause: null, group: "health", helpUri: KB4490414, title: "Private memory limit", description: "The WSUS application pool has no private-memory limit.", remediation: "Set <install folder>\\x & *it* to 0." },
    { id: "wsus-impersonation-off", cause: null, group: "health", helpUri: KB2737219, title: "ASP.NET impersonation off", description: "Impersonation is off." },
    { id: "wsuspool-started", cause: null, group: "health", helpUri: KB_URL, title: "The WSUS application pool is started", description: "Started." },
  ];
  const HEALTH_FINDINGS: Finding[] = [
    f({ rule: "wsuspool-started", cause: null, target: "WsusPool", status: "unknown", message: "no runtime state", remediation: "collect it" }),
    f({ rule: "wsuspool-private-memory", cause: null, target: "WsusPool", message: "private memory limit is 1843200 KB", remediation: "appcmd set apppool WsusPool /recycling.periodicRestart.privateMemory:0" }),
  ];
  const both: ServerReport = { ...broken, report: { compliant: false, findings: [...HEALTH_FINDINGS, ...BROKEN_FINDINGS] }, rules: [...KB_INFO, ...HEALTH_INFO] };
  const healthOnly: ServerReport = { ...broken, report: { compliant: false, findings: HEALTH_FINDINGS }, rules: HEALTH_INFO };
  const kbGrouped: ServerReport = { ...broken, rules: KB_INFO };

  it("RuleInfo takes a group, help URL and repair idea (all optional: a RuleInfo from before the groups still parses)", () => {
    expect(RuleInfo.parse(HEALTH_INFO[0])).toEqual(HEALTH_INFO[0]);
    expect(RuleInfo.parse(RULES[0])).toEqual(RULES[0]);
    expect(() => RuleInfo.parse({ ...HEALTH_INFO[0], group: "other" })).toThrow();
  });

  it("every rule of the engine has its RuleInfo with group, help URL and a repair idea; a default spec lists the KB group only", () => {
    expect(ALL_RULE_INFO.map((r) => r.id)).toEqual(ENGINE_RULES.map((r) => r.id));
    for (const r of ALL_RULE_INFO) {
      expect(RuleInfo.parse(r)).toEqual(r);
      expect(r.remediation, r.id).toMatch(/\S/);
      expect(r.helpUri, r.id).toMatch(/^https:\/\/learn\.microsoft\.com\//);
    }
    expect(Object.keys(RULE_REMEDIATION).sort()).toEqual(ENGINE_RULES.map((r) => r.id).sort());
    expect(ruleInfoFor({ rules: ["kb"] }).map((r) => r.id)).toEqual(KB_RULES.map((r) => r.id));
    expect(ruleInfoFor({ rules: ["health"] }).every((r) => r.group === "health")).toBe(true);
    expect(ruleInfoFor({ rules: ["kb", "health"] })).toHaveLength(ENGINE_RULES.length);
    expect(ALL_RULE_INFO.find((r) => r.id === "wsuspool-private-memory")).toMatchObject({ group: "health", helpUri: KB4490414 });
    expect(ALL_RULE_INFO.find((r) => r.id === "wsus-impersonation-off")).toMatchObject({ group: "health", helpUri: KB2737219 });
  });

  it("a KB-only report reads exactly as before in every format, with or without the group on its rules", () => {
    for (const r of [compliant, broken]) {
      const grouped = { ...r, rules: KB_INFO };
      expect(renderText([grouped])).toBe(renderText([r]));
      expect(renderText([grouped], { color: true })).toBe(renderText([r], { color: true }));
      expect(renderJson([grouped])).toBe(renderJson([r]));
      expect(renderJunit([grouped])).toBe(renderJunit([r]));
    }
    expect(renderJson([kbGrouped, compliant])).toBe(renderJson([broken, compliant]));
    expect(renderText([kbGrouped])).not.toMatch(/^ {2}KB 920659:|WSUS IIS health/m);
  });

  it("text: one heading per group judged, each with its counts, health findings labelled [health], the articles named", () => {
    const out = renderText([both]);
    const lines = out.split("\n");
    expect(lines[0]).toBe("WSUS02 [wsus02.yaml]: NOT COMPLIANT (5 problems, 1 warning, 3 could not be checked)");
    const at = (needle: string) => {
      const i = out.indexOf(needle);
      expect(i, needle).toBeGreaterThanOrEqual(0);
      return i;
    };
    const order = [
      at("\n  KB 920659: 4 problems, 1 warning, 2 could not be checked\n"),
      at("\n    [cause 1] FAIL C:\\Program Files\\Update Services\\Selfupdate"),
      at("\n    [layout] FAIL WSUS Administration/ClientWebService"),
      at("\n    Could not check (evidence missing):\n    [cause 1] UNKNOWN BUILTIN\\Users"),
      at("\n  WSUS IIS health: 1 problem, 1 could not be checked\n"),
      at("\n    [health] FAIL WsusPool  (rule wsuspool-private-memory)\n        private memory limit is 1843200 KB\n        fix: appcmd set apppool WsusPool /recycling.periodicRestart.privateMemory:0\n"),
      at("\n    Could not check (evidence missing):\n    [health] UNKNOWN WsusPool  (rule wsuspool-started)"),
      at(`\nCauses are those of KB 920659: ${KB_URL}\nWSUS IIS health rules: KB 4490414 ${KB4490414}\n                       KB 920659 ${KB_URL}\n`),
    ];
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    // impersonation has no finding: its article is not listed
    expect(out).not.toContain(KB2737219);
    expect(stripAnsi(renderText([both], { color: true }))).toBe(out);
  });

  it("text: only the groups judged; a clean group says how many rules it checked", () => {
    const out = renderText([healthOnly]);
    expect(out).not.toContain("KB 920659:");
    expect(out).toContain("\n  WSUS IIS health: 1 problem, 1 could not be checked\n");
    const clean = renderText([{ ...both, report: { compliant: true, findings: [] } }]);
    expect(clean).toBe(`WSUS02 [wsus02.yaml]: COMPLIANT (${RULES.length + HEALTH_INFO.length} rules checked, 0 could not be checked)\n  KB 920659: ${RULES.length} rules checked, 0 could not be checked\n  WSUS IIS health: ${HEALTH_INFO.length} rules checked, 0 could not be checked\n`);
    // a server that could not be reached: its finding (of no listed rule) comes before the group headings
    const unreachable: ServerReport = { ...both, report: { compliant: false, findings: [f({ rule: "target-reachable", cause: null, target: "ssh://x", status: "unknown", message: "refused" })] } };
    const u = renderText([unreachable]).split("\n");
    expect(u.slice(1, 4)).toEqual(["  Could not check (evidence missing):", "  [layout] UNKNOWN ssh://x  (rule target-reachable)", "      refused"]);
  });

  it("json: the groups judged and each finding's group are added (nothing renamed); fleet too", () => {
    const doc = JSON.parse(renderJson([both]));
    expect(Object.keys(doc)).toEqual(["compliant", "findings", "ruleGroups"]);
    expect(doc.ruleGroups).toEqual(["kb", "health"]);
    expect(doc.findings.map((x: { group: string }) => x.group)).toEqual(["health", "health", ...BROKEN_FINDINGS.map(() => "kb")]);
    // every field a consumer knew is still there, unchanged
    expect(Report.parse(doc)).toEqual(both.report);
    const fleetDoc = JSON.parse(renderJson([healthOnly, compliant]));
    expect(fleetDoc.servers[0].ruleGroups).toEqual(["health"]);
    expect(fleetDoc.servers[0].findings.every((x: { group: string }) => x.group === "health")).toBe(true);
    expect(fleetDoc.servers[1]).toEqual({ server: "WSUS01", compliant: true, findings: [] });
  });

  it("sarif: every rule has its helpUri, help text and markdown (what it requires, the repair idea, the article) and its group; valid 2.1.0", () => {
    const log = renderSarif([both], { toolVersion: "0.1.0" });
    expectValidSarif(log);
    const rules = log.runs[0].tool.driver.rules!;
    expect(rules.map((r) => r.id)).toEqual([...KB_INFO, ...HEALTH_INFO].map((r) => r.id));
    for (const r of rules) {
      expect(r.helpUri, r.id).toMatch(/^https:\/\//);
      expect(r.help!.text, r.id).toContain(r.helpUri!);
      expect(r.help!.markdown, r.id).toContain(`](${r.helpUri})`);
      expect(r.properties!.group).toBe(HEALTH_INFO.some((h) => h.id === r.id) ? "health" : "kb");
    }
    const mem = rules.find((r) => r.id === "wsuspool-private-memory")!;
    expect(mem).toMatchObject({ helpUri: KB4490414, properties: { kbCause: null, group: "health", tags: ["wsus", "iis", "wsus-health"] } });
    expect(mem.help!.text).toBe(
      `WSUS IIS health: The WSUS application pool has no private-memory limit.\n\nFix: Set <install folder>\\x & *it* to 0.\n\nEach result names the exact fix for its server; \`wsus-iis plan\` lists the commands and \`wsus-iis apply\` runs them (IIS backup, rollback).\n\nKB 4490414: ${KB4490414}`,
    );
    // markup in the texts is escaped: no HTML tag, no emphasis, the backslash kept
    expect(mem.help!.markdown).toContain("**Fix:** Set \\<install folder\\>\\\\x \\& \\*it\\* to 0.");
    expect(mem.help!.markdown!.endsWith(`[KB 4490414](${KB4490414})`)).toBe(true);
    expect(rules.find((r) => r.id === "selfupdate-anonymous")!.help!.text.startsWith("KB 920659 cause 4: Anonymous authentication is enabled on Selfupdate.")).toBe(true);
    expect(rules.find((r) => r.id === "clientwebservice-app")!.help!.text.startsWith("WSUS layout: ")).toBe(true);
    // a RuleInfo from before the groups: KB 920659 and no repair idea, still valid
    const legacy = renderSarif([broken], { toolVersion: "0.1.0" }).runs[0].tool.driver.rules!;
    expect(legacy.every((r) => r.helpUri === KB_URL && r.properties!.group === "kb" && !r.help!.text.includes("Fix:"))).toBe(true);
    // the run says which groups each server was judged with, when more than kb
    expect(log.runs[0].properties).toEqual({ servers: [{ server: "WSUS02", ruleGroups: ["kb", "health"] }] });
    expect(renderSarif([kbGrouped], { toolVersion: "0.1.0" }).runs[0].properties).toBeUndefined();
  });

  it("junit: health rules are testcases of their own class, failures typed health; the suite says which groups", () => {
    const root = parseXml(renderJunit([both]));
    const suite = kids(root, "testsuite")[0];
    const cases = kids(suite, "testcase");
    expect(cases).toHaveLength(RULES.length + HEALTH_INFO.length);
    const byRule = (id: string) => cases.find((c) => c.attributes.name.startsWith(`${id}: `))!;
    expect(byRule("selfupdate-anonymous").attributes.classname).toBe("wsus-iis.WSUS02");
    expect(byRule("wsuspool-private-memory").attributes.classname).toBe("wsus-iis.WSUS02.health");
    expect(kids(byRule("wsuspool-private-memory"), "failure")[0].attributes.type).toBe("health");
    expect(kids(byRule("wsuspool-private-memory"), "failure")[0].text).toContain("[health] FAIL WsusPool");
    expect(kids(byRule("wsuspool-started"), "skipped")).toHaveLength(1);
    // health rules come after the KB group's, in the order given
    expect(cases.slice(-3).map((c) => c.attributes.name.split(":")[0])).toEqual(HEALTH_INFO.map((h) => h.id));
    expect(kids(suite, "properties")[0].children.map((p) => p.attributes)).toContainEqual({ name: "rule-groups", value: "kb,health" });
    expect(suite.attributes).toMatchObject({ tests: String(RULES.length + HEALTH_INFO.length), failures: "4", skipped: "2" });
  });
});
