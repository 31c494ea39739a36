import { describe, expect, it } from "vitest";
import { selfUpdateVdir } from "../../core/rules/selfupdateVdir";
import { healthy, removeVdir, run, vdir } from "../support/state";

describe("selfupdate-vdir (cause 2)", () => {
  it("passes on a healthy layout, both configurations and profiles", () => {
    for (const configuration of [1, 2] as const)
      for (const profile of ["kb920659", "modern"] as const) expect(run(selfUpdateVdir, healthy({ configuration, profile }))).toEqual([]);
  });

  it("fails once when no site has SelfUpdate", () => {
    const h = healthy({ configuration: 2 });
    removeVdir(h.state, "Default Web Site", "SelfUpdate");
    removeVdir(h.state, "WSUS Administration", "SelfUpdate");
    const f = run(selfUpdateVdir, h);
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({ rule: "selfupdate-vdir", cause: 2, status: "fail", target: "Default Web Site/SelfUpdate" });
    expect(f[0].remediation).toContain('/physicalPath:"C:\\Program Files\\Update Services\\Selfupdate"');
  });

  it("fails on a wrong physical path (Appendix C's copy-paste error), case and env vars are normalised", () => {
    const h = healthy({ profile: "modern" });
    vdir(h.state, "Default Web Site", "Selfupdate").physicalPath = "C:\\Program Files\\Update Services\\WebServices\\ServerSyncWebService";
    expect(run(selfUpdateVdir, h)[0].message).toMatch(/points to .*ServerSyncWebService, expected C:\\Program Files\\Update Services\\Selfupdate/);
    vdir(h.state, "Default Web Site", "Selfupdate").physicalPath = "c:\\program files\\update services\\SELFUPDATE\\";
    expect(run(selfUpdateVdir, h)).toEqual([]);
  });

  it("accepts the KB's misspelt path only when configured", () => {
    const typo = "C:\\Program Files\\Update Service\\SelfUpdate";
    const strict = healthy();
    vdir(strict.state, "Default Web Site", "SelfUpdate").physicalPath = typo;
    expect(run(selfUpdateVdir, strict)).toHaveLength(1);
    const lenient = healthy({ acceptKbPathTypo: true });
    vdir(lenient.state, "Default Web Site", "SelfUpdate").physicalPath = typo;
    expect(run(selfUpdateVdir, lenient)).toEqual([]);
  });
});
