import { describe, expect, it } from "vitest";
import { detect, profileSignals } from "../../core/model/detect";
import { resolveLayout } from "../../core/model/layout";
import { parseSpec, type SpecInput } from "../../core/model/spec";
import { plan } from "../../core/plan/planner";
import { evaluate, layoutFor, toReport } from "../../core/rules";
import { stateFromLayout } from "../../core/state/fromDeclaration";
import type { ObservedState } from "../../core/state/schema";

/**
 * profile: auto and configuration: auto (issue 10). A "server" here is the state a concrete layout
 * declares, marked as read from evidence, with the Default Web Site every IIS has.
 * Signals (../shared/notes/GROUND_TRUTH.md): ApiRemoting30 / Inventory = WSUS 3.0 SP2+; WSUSAdmin = WSUS 2.0;
 * anonymous user IUSR = IIS 7+, IUSR_<COMPUTERNAME> = IIS 6 (or FTP 6 compatibility).
 */
function server(profile: "kb920659" | "modern", configuration: 1 | 2): ObservedState {
  const spec = parseSpec({ computerName: "WSUS01", profile, configuration, sharePoint: { expected: "no" } });
  const state = structuredClone(stateFromLayout(resolveLayout(spec)));
  state.source = "evidence";
  if (!state.sites.some((s) => s.id === 1)) {
    // a default WSUS 4+ install leaves the Default Web Site as IIS made it: empty, *:80:
    state.sites.unshift({ name: "Default Web Site", id: 1, bindings: [{ protocol: "http", ip: "*", port: 80, host: "" }], rootAuth: { anonymous: true, anonymousUser: "IUSR", windows: false, requireSsl: false }, vdirs: [] });
  }
  state.groups = { "S-1-5-32-545": { name: "BUILTIN\\Users", sid: "S-1-5-32-545", members: [{ name: "NT AUTHORITY\\Authenticated Users", sid: "S-1-5-11" }] } };
  return state;
}
const auto = (extra: SpecInput = {}) => parseSpec({ sharePoint: { expected: "no" }, ...extra });

describe("detect (profile auto, configuration auto)", () => {
  it("auto is the default for both", () => {
    expect(auto()).toMatchObject({ profile: "auto", configuration: "auto" });
  });

  it.each([
    ["modern", 2],
    ["modern", 1],
    ["kb920659", 1],
    ["kb920659", 2],
  ] as const)("reads a %s Configuration %i server as such, with reasons", (profile, configuration) => {
    const d = detect(auto(), server(profile, configuration));
    expect(d).toMatchObject({ profile, configuration, source: { profile: "server", configuration: "server" } });
    expect(d.reasons[0]).toMatch(new RegExp(`^profile ${profile} detected: /${profile === "modern" ? "ApiRemoting30" : "WSUSAdmin"}`));
    expect(d.reasons[1]).toMatch(new RegExp(`^Configuration ${configuration} detected`));
  });

  it("the anonymous user decides only when no endpoint tells; no sign at all means modern", () => {
    const s = server("modern", 1);
    for (const site of s.sites) site.vdirs = site.vdirs.filter((v) => !/apiremoting30|inventory/i.test(v.path));
    for (const site of s.sites) site.rootAuth.anonymousUser = "IUSR_WSUS01";
    expect(profileSignals(s)).toEqual({ modern: [], kb920659: ["the anonymous user is IUSR_WSUS01 (the IIS 6 account)"] });
    expect(detect(auto(), s).profile).toBe("kb920659");
    for (const site of s.sites) site.rootAuth.anonymousUser = null;
    expect(detect(auto(), s)).toMatchObject({ profile: "modern", reasons: [expect.stringContaining("no sign of WSUS 2.0"), expect.any(String)] });
  });

  it("a localised WSUS site is found by the endpoints it holds, not by its name", () => {
    const s = server("modern", 2);
    s.sites.find((x) => x.id !== 1)!.name = "WSUS-Verwaltung";
    expect(detect(auto(), s)).toMatchObject({ configuration: 2, reasons: [expect.any(String), expect.stringContaining("WSUS-Verwaltung")] });
  });

  it("a declaration (no server) resolves auto to a default WSUS 4+ install: modern, Configuration 2", () => {
    expect(detect(auto(), null)).toMatchObject({ profile: "modern", configuration: 2, source: { profile: "default", configuration: "default" } });
  });

  it("a spec value wins over the server and is named as such", () => {
    expect(detect(auto({ profile: "kb920659", configuration: 1 }), server("modern", 2))).toMatchObject({ profile: "kb920659", configuration: 1, source: { profile: "spec", configuration: "spec" } });
  });
});

describe("auto on real layouts: a healthy server is compliant whatever its layout", () => {
  it.each([
    ["modern", 2],
    ["modern", 1],
    ["kb920659", 1],
    ["kb920659", 2],
  ] as const)("%s Configuration %i: no findings, nothing to plan", (profile, configuration) => {
    const s = server(profile, configuration);
    const spec = auto({ computerName: "WSUS01" });
    expect(toReport(evaluate(spec, s)).findings).toEqual([]);
    expect(plan(spec, s).steps).toEqual([]);
    expect(layoutFor(spec, s)).toMatchObject({ profile, configuration });
  });

  it("modern Configuration 2 asks nothing of the Default Web Site (clients use 8530)", () => {
    const s = server("modern", 2);
    expect(s.sites.find((x) => x.id === 1)!.vdirs).toEqual([]);
    const layout = layoutFor(auto(), s);
    expect(layout.sites.map((x) => x.name)).toEqual(["WSUS Administration"]);
    expect(layout.clientSite.name).toBe("WSUS Administration");
    expect(layout.clientPort).toBe(8530);
  });

  it("modern Configuration 2 with clients on port 80 puts SelfUpdate and ClientWebService on the Default Web Site", () => {
    const layout = resolveLayout(parseSpec({ profile: "modern", configuration: 2, clientPort: 80 }));
    const dws = layout.sites.find((x) => x.role === "default")!;
    expect(dws.vdirs.map((v) => v.name.toLowerCase()).sort()).toEqual(["clientwebservice", "selfupdate"]);
  });
});

describe("profile-fits-server: an explicit profile against the other layout", () => {
  it("kb920659 on an IIS 7+ / WSUS 4 server: one warning, and no repair towards WSUS 2.0 is planned", () => {
    const s = server("modern", 2);
    const spec = auto({ profile: "kb920659", computerName: "WSUS01" });
    const findings = evaluate(spec, s);
    const fit = findings.find((f) => f.rule === "profile-fits-server")!;
    expect(fit).toMatchObject({ severity: "warning", status: "fail", message: expect.stringContaining("shows the modern layout") });
    const p = plan(spec, s);
    expect(p.steps).toEqual([]);
    expect(JSON.stringify(p)).not.toMatch(/"kind":"(add-app|add-vdir|grant-acl)"/);
    expect(p.manual.some((m) => /WSUSAdmin|IUSR_WSUS01/.test(m.text))).toBe(true);
  });

  it("auto never mismatches; modern on a modern server neither", () => {
    const s = server("modern", 2);
    expect(evaluate(auto(), s).filter((f) => f.rule === "profile-fits-server")).toEqual([]);
    expect(evaluate(auto({ profile: "modern" }), s).filter((f) => f.rule === "profile-fits-server")).toEqual([]);
  });
});
