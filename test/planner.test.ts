import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { evaluate, toReport } from "../core/rules";
import { plan } from "../core/plan/planner";
import { simulate } from "../core/plan/simulate";
import type { VdirState } from "../core/state/schema";
import { healthy, removeVdir, site } from "./support/state";

type H = ReturnType<typeof healthy>;
const eachVdir = (h: H, name: string, fn: (v: VdirState) => void) =>
  h.state.sites.forEach((s) => s.vdirs.filter((v) => v.path.toLowerCase() === `/${name.toLowerCase()}`).forEach(fn));
const clientSite = (h: H) => site(h.state, h.layout.clientSite.name);
/** Each break as the lab makes it (lab/create.ts); false = does not apply to this layout. */
const BREAKS: Record<string, (h: H) => void | false> = {
  // the anonymous user out of Users, itself and through Authenticated Users (what makes it a 401.3)
  "1": (h) => {
    const users = h.state.groups!["S-1-5-32-545"];
    users.members = users.members.filter((m) => !/iusr/i.test(m.name) && m.sid !== "S-1-5-11");
  },
  "2": (h) => h.state.sites.forEach((s) => removeVdir(h.state, s.name, h.layout.selfUpdateName)),
  "3": (h) => {
    // like the lab: drop SelfUpdate from the client-port site when another site keeps it, else move the port
    const onPort = h.state.sites.filter((s) => s.bindings.some((b) => b.port === h.layout.clientPort));
    if (h.state.sites.length > 1) onPort.forEach((s) => removeVdir(h.state, s.name, h.layout.selfUpdateName));
    else clientSite(h).bindings = [{ protocol: "http", ip: "*", port: 8080, host: "" }];
  },
  "4": (h) => eachVdir(h, h.layout.selfUpdateName, (v) => (v.auth.anonymous = false)),
  "5": (h) => {
    clientSite(h).bindings = [{ protocol: "http", ip: "192.0.2.10", port: h.layout.clientPort, host: "" }];
  },
  // cause 6 is the Default Web Site's, and only when clients use it
  "6": (h) => (h.layout.clientSite.role === "default" ? (site(h.state, "Default Web Site").rootAuth.anonymous = false) : false),
  "8": (h) => Object.values(h.state.files!).forEach((f) => (f.files = [])),
  "missing-vdir": (h) => h.state.sites.forEach((s) => removeVdir(h.state, s.name, "ClientWebService")),
  "windows-auth-anonymous": (h) => eachVdir(h, h.layout.windowsAuthVdir, (v) => Object.assign(v.auth, { anonymous: true, windows: false })),
};

const after = (h: H, p: ReturnType<typeof plan>) => evaluate(h.spec, p.steps.reduce((s, st) => simulate(s, st.action, h.layout.selfUpdateFiles), h.state));
/** Every failed finding left, warnings included: with the opt-ins on, those are repaired too. */
const converged = (h: H, p: ReturnType<typeof plan>) => after(h, p).filter((f) => f.status === "fail");

describe("planner", () => {
  it("plans nothing for a compliant server", () => {
    for (const profile of ["kb920659", "modern"] as const)
      for (const configuration of [1, 2] as const) expect(plan(healthy({ profile, configuration }).spec, healthy({ profile, configuration }).state)).toMatchObject({ steps: [], manual: [], unresolved: [] });
  });

  for (const profile of ["kb920659", "modern"] as const)
    for (const configuration of [1, 2] as const)
      it(`converges every single break and all together in the model (${profile}, configuration ${configuration})`, () => {
        for (const [name, brk] of Object.entries(BREAKS)) {
          const h = healthy({ profile, configuration, repairs: { reinstallSelfUpdate: true, addIusrToUsers: true } });
          if (brk(h) === false) continue;
          const p = plan(h.spec, h.state);
          expect(p.steps.length, name).toBeGreaterThan(0);
          expect(converged(h, p), name).toEqual([]);
        }
        const all = healthy({ profile, configuration, repairs: { reinstallSelfUpdate: true, addIusrToUsers: true } });
        for (const brk of Object.values(BREAKS)) brk(all);
        expect(converged(all, plan(all.spec, all.state))).toEqual([]);
      });

  // Issue 10: KB 920659's resolution lists the anonymous account's own Read & Execute as the alternative to
  // Users membership, so cause 1 converges without opt-ins; the membership stays a warning.
  it("cause 1 converges without opt-ins (both profiles): a grant to the anonymous account, the membership a warning", () => {
    for (const profile of ["kb920659", "modern"] as const) {
      const h = healthy({ profile, configuration: 2 });
      BREAKS["1"](h);
      const p = plan(h.spec, h.state);
      expect(p.steps.map((s) => s.command), profile).toEqual([
        `icacls "C:\\Program Files\\Update Services\\Selfupdate" /grant ${profile === "modern" ? "*S-1-5-17" : "IUSR_WSUS01"}:(OI)(CI)(RX)`,
      ]);
      const left = after(h, p).filter((f) => f.status === "fail");
      expect(left.map((f) => [f.rule, f.severity]), profile).toEqual([["selfupdate-acl", "warning"]]);
      expect(toReport(after(h, p)).compliant, profile).toBe(true);
    }
  });

  it("adds 127.0.0.1 next to the specific binding instead of replacing it", () => {
    const h = healthy();
    BREAKS["5"](h);
    const p = plan(h.spec, h.state);
    expect(p.steps.map((s) => s.command)).toEqual([
      "%windir%\\system32\\inetsrv\\appcmd.exe set site /site.name:\"Default Web Site\" /+bindings.[protocol='http',bindingInformation='127.0.0.1:80:']",
    ]);
  });

  it("reports opt-in repairs as manual steps and their findings as unresolved", () => {
    const h = healthy();
    BREAKS["8"](h);
    const p = plan(h.spec, h.state);
    expect(p.steps).toEqual([]);
    expect(p.manual).toEqual([expect.objectContaining({ cause: 8, text: expect.stringContaining("Selfupdate.msi") })]);
    expect(p.unresolved).toEqual([expect.objectContaining({ rule: "selfupdate-files" })]);
    h.spec.repairs.reinstallSelfUpdate = true;
    expect(plan(h.spec, h.state).steps.map((s) => s.action.kind)).toEqual(["install-msi"]);
  });

  it("orders containers before contents and tags each step with its rule and cause", () => {
    const h = healthy({ configuration: 2 });
    h.state.sites = h.state.sites.filter((s) => s.name !== "WSUS Administration");
    const p = plan(h.spec, h.state);
    expect(p.steps[0]).toMatchObject({ index: 1, rule: "layout-vdirs", cause: null, action: { kind: "add-site", site: "WSUS Administration" } });
    expect(p.steps.filter((s) => s.action.kind === "add-app").map((s) => (s.action as { name: string }).name)).toEqual([
      "ClientWebService", "SimpleAuthWebService", "WSUSAdmin", "ReportingWebService", "DssAuthWebService", "ServerSyncWebService",
    ]);
    expect(p.touches).toEqual(["iis"]);
  });

  it("property: no plan ever makes the Windows-auth vdir anonymous or deletes anything", () => {
    fc.assert(
      fc.property(
        fc.constantFrom("kb920659" as const, "modern" as const),
        fc.constantFrom(1 as const, 2 as const),
        fc.subarray(Object.keys(BREAKS)),
        fc.boolean(),
        (profile, configuration, breaks, winOpen) => {
          const h = healthy({ profile, configuration });
          for (const b of breaks) BREAKS[b](h);
          if (winOpen) eachVdir(h, h.layout.windowsAuthVdir, (v) => (v.auth.anonymous = true));
          const p = plan(h.spec, h.state);
          for (const s of p.steps) {
            expect(s.command).not.toMatch(/\/-|delete|remove|\/del/i);
            if (s.action.kind === "set-auth" && s.action.path.toLowerCase() === `/${h.layout.windowsAuthVdir.toLowerCase()}`) {
              expect(s.action.auth === "anonymous" ? s.action.enabled : !s.action.enabled).toBe(false);
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
