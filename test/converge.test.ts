import { afterAll, describe, expect, it } from "vitest";
import { resolveLayout } from "../core/model/layout";
import { parseSpec } from "../core/model/spec";
import { runCommand } from "../lab/shell";
import { converge } from "../ops/converge";
import { BREAKS, type Break } from "../lab/create";
import { defaultLabAgent, LabTransport } from "../transports/lab";
import { breaksLabel, convergeAcceptance } from "./helpers/acceptance";
import {
  COMBOS,
  configBytes,
  expectOnlyOwnedChanged,
  failsOf,
  harmlessBreak,
  keyOf,
  unknownsOf,
  brokenLab,
  probeLab,
  removeTempDirs,
  specFor,
} from "./helpers/converge";

/**
 * Convergence acceptance on lab servers: for every KB cause and layout break, alone and all together,
 * in both configurations and both profiles: check (1 round trip) sees it, converge (read + apply = 2
 * round trips) repairs it, a fresh check finds no fail finding, the HTTP probe of the served lab is
 * green, nothing the spec does not own changed in applicationHost.config, and a second converge has
 * nothing to do (1 round trip, empty plan).
 *
 * Spec: the opt-in repairs (`reinstallSelfUpdate`, `addIusrToUsers`) are on, so causes 8 and 1 are
 * repaired automatically; without them they are manual (tested below). Cause 7 (SharePoint exclusions)
 * cannot be read from a server: its finding stays "unknown", for a person to check.
 *
 * The agent is the TypeScript one unless WSUS_IIS_LAB_AGENT=powershell, which runs this whole matrix
 * with scripts/agent.ps1 under pwsh (test/converge-powershell.test.ts runs part of it that way always).
 */

afterAll(removeTempDirs);

const CASES: readonly (readonly Break[])[] = [...BREAKS.map((b) => [b]), BREAKS];

describe.each(COMBOS)("converge on the lab, Configuration $configuration, profile $profile", (combo) => {
  const cases = CASES.filter((b) => b.length > 1 || !harmlessBreak(combo, b[0]));
  it.each(cases.map((b) => [breaksLabel(b), b] as const))("%s: check sees it, converge repairs it, nothing else changes", async (_name, breaks) => {
    await convergeAcceptance(combo, breaks, defaultLabAgent());
  });
});

describe("converge without the opt-in repairs", () => {
  it.each(COMBOS)("Configuration $configuration, $profile: causes 1, 7, 8 leave exactly the findings the plan names as manual", async (combo) => {
    const breaks: Break[] = [1, 2, 4, 7, 8];
    const dir = await brokenLab(combo, breaks, { decorate: false });
    const spec = specFor(combo, {});
    const r = await converge(new LabTransport(dir), spec);
    expect(r.status).toBe("applied");
    expect(r.roundTrips).toBe(2);
    const left = failsOf(r.after.findings);
    // the SelfUpdate files (no reinstall without the opt-in) stay; SharePoint's exclusions stay not known
    expect(left.map(keyOf)).toEqual(expect.arrayContaining(["selfupdate-files#8"]));
    expect(unknownsOf(r.after.findings).map(keyOf)).toEqual(["sharepoint-exclusions#7"]);
    // every finding left is one the plan reported as manual, and nothing else is left
    const manual = new Set(r.plan.manual.map(keyOf));
    for (const f of left) expect(manual, `${keyOf(f)}: ${f.message}`).toContain(keyOf(f));
    expect(left.map(keyOf).sort()).toEqual(r.plan.unresolved.map(keyOf).sort());
    expect(r.plan.manual.some((m) => /msiexec|Selfupdate\.msi|reinstall/i.test(m.text))).toBe(true);
    // and a second converge does not pretend it could do more
    const second = await converge(new LabTransport(dir), spec);
    expect(second.status).toBe("nothing-to-do");
    expect(second.plan.steps).toEqual([]);
    expect(failsOf(second.after.findings).map(keyOf).sort()).toEqual(left.map(keyOf).sort());
  });
});

// Issue 10: KB 920659's resolution lists the anonymous account's own Read & Execute as the alternative
// to Users membership; so cause 1 converges with no opt-in, the membership staying a warning.
describe("cause 1 converges without opt-ins", () => {
  it.each(COMBOS)("Configuration $configuration, $profile: compliant after one apply, clients served, the membership a warning", async (combo) => {
    const dir = await brokenLab(combo, [1], { decorate: false });
    const spec = specFor(combo, {});
    const r = await converge(new LabTransport(dir), spec);
    expect(r.status).toBe("applied");
    expect(r.after.compliant).toBe(true);
    const left = failsOf(r.after.findings);
    expect(left.every((f) => f.severity === "warning" && f.rule === "selfupdate-acl")).toBe(true);
    // kb920659's break takes the IIS 6 account out of Users: that stays a warning, with the opt-in named
    if (combo.profile === "kb920659") expect(left.map((f) => f.message)).toEqual([expect.stringContaining("is not in BUILTIN\\Users")]);
    expect((await probeLab(dir, spec)).compliant).toBe(true);
  });
});

// ../shared/notes/REAL_WINDOWS.md: an application's root vdir is `Site/App/` ("VDIR object "MySite/app1/"
// added", appcmd docs sample); `Site/App` fails with "Cannot find VDIR object".
describe("an application's root directory moved away", () => {
  it("is set back through `appcmd set vdir \"Site/App/\"` and converges", async () => {
    const dir = await brokenLab({ configuration: 1, profile: "kb920659" }, [], { decorate: false });
    const cws = "C:\\Program Files\\Update Services\\WebServices\\ClientWebService";
    expect((await runCommand(dir, 'appcmd set vdir "Default Web Site/ClientWebService/" /physicalPath:"C:\\Elsewhere"')).exitCode).toBe(0);
    const spec = parseSpec({ configuration: 1, profile: "kb920659", vdirs: { ClientWebService: { physicalPath: cws } } });
    const r = await converge(new LabTransport(dir), spec);
    expect(r.plan.steps.map((s) => s.command)).toEqual([`%windir%\\system32\\inetsrv\\appcmd.exe set vdir "Default Web Site/ClientWebService/" /physicalPath:"${cws}"`]);
    expect(r.status).toBe("applied");
    expect(failsOf(r.after.findings)).toEqual([]);
  });
});

describe("breaks 3 and 5 together on the Default Web Site's port 80", () => {
  // Break 3 (Configuration 1, or kb920659 Configuration 2 once break 2 removed SelfUpdate everywhere)
  // moves `*:80:` to `*:8080:`; break 5 then binds `192.0.2.10:80:`. A `*` on 8080 must not make port
  // 80 count as reachable on 127.0.0.1: default-site-loopback judges each port on its own.
  it.each([COMBOS[0], COMBOS[2]])("Configuration $configuration, $profile: the repaired server answers clients on 127.0.0.1:80", async (combo) => {
    const dir = await brokenLab(combo, [2, 3, 5], { decorate: false });
    const spec = specFor(combo);
    const r = await converge(new LabTransport(dir), spec);
    expect(failsOf(r.after.findings)).toEqual([]);
    expect((await probeLab(dir, spec)).compliant).toBe(true);
  });
});

describe("the unchanged-config comparison is not vacuous", () => {
  it("flags edits outside the plan's elements and accepts edits inside them", async () => {
    const combo = COMBOS[3];
    const dir = await brokenLab(combo, [4]);
    const spec = specFor(combo);
    const layout = resolveLayout(spec, "WSUS01");
    const before = await configBytes(dir);
    const r = await converge(new LabTransport(dir), spec);
    const after = await configBytes(dir);
    expect(() => expectOnlyOwnedChanged(before, after, r.plan, layout)).not.toThrow();
    const edit = (from: string | RegExp, to: string) => {
      const text = after.toString("utf8");
      const next = text.replace(from, to);
      expect(next).not.toBe(text);
      return Buffer.from(next, "utf8");
    };
    const unowned: [string, Buffer][] = [
      ["another site's binding", edit("*:8181:", "*:8182:")],
      ["a comment's whitespace", edit("do not touch -->", "do not touch  -->")],
      ["the custom section", edit('value="x &amp; y"', 'value="x &amp; z"')],
      ["an element the plan did not touch", edit(/(<application path="\/ClientWebService"[^>]*applicationPool=")WsusPool/, "$1DefaultAppPool")],
      ["the Windows-auth location", edit(/(<location path="WSUS Administration\/ApiRemoting30"[\s\S]*?<windowsAuthentication enabled=")true/, "$1false")],
    ];
    for (const [what, bytes] of unowned) expect(() => expectOnlyOwnedChanged(before, bytes, r.plan, layout), what).toThrow();
    // the SelfUpdate anonymous flags are the plan's to set: any value passes the comparison
    const owned = edit(/(<location path="WSUS Administration\/Selfupdate"[\s\S]*?<anonymousAuthentication enabled=")true/i, "$1false");
    expect(() => expectOnlyOwnedChanged(before, owned, r.plan, layout)).not.toThrow();
  });
});
