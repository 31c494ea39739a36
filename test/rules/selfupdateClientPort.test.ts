import { describe, expect, it } from "vitest";
import { selfUpdateClientPort } from "../../core/rules/selfupdateClientPort";
import { healthy, removeVdir, run, site, vdir } from "../support/state";

describe("selfupdate-client-port (cause 3)", () => {
  it("passes when a site holding SelfUpdate listens on port 80", () => {
    expect(run(selfUpdateClientPort, healthy({ configuration: 2 }))).toEqual([]);
  });

  it("fails in Configuration 2 when SelfUpdate is only on the 8530 site", () => {
    const h = healthy({ configuration: 2 });
    removeVdir(h.state, "Default Web Site", "SelfUpdate");
    const f = run(selfUpdateClientPort, h);
    expect(f).toEqual([expect.objectContaining({ cause: 3, status: "fail", target: "Default Web Site/SelfUpdate" })]);
    expect(f[0].message).toContain("WSUS Administration (http ports 8530)");
    expect(f[0].repair).toEqual([
      { kind: "add-vdir", site: "Default Web Site", name: "SelfUpdate", physicalPath: "C:\\Program Files\\Update Services\\Selfupdate" },
      { kind: "set-auth", site: "Default Web Site", path: "/SelfUpdate", auth: "anonymous", enabled: true },
    ]);
    expect(f[0].remediation).toContain('appcmd.exe add vdir /app.name:"Default Web Site/" /path:/SelfUpdate /physicalPath:"C:\\Program Files\\Update Services\\Selfupdate"');
  });

  it("fails in Configuration 1 when the default site moved off port 80, and proposes adding a binding", () => {
    const h = healthy();
    site(h.state, "Default Web Site").bindings = [{ protocol: "http", ip: "*", port: 8080, host: "" }];
    const f = run(selfUpdateClientPort, h);
    expect(f).toHaveLength(1);
    expect(f[0].remediation).toContain("/+bindings.[protocol='http',bindingInformation='*:80:']");
  });

  it("follows the client port in the modern profile (Configuration 2 = 8530)", () => {
    // a default WSUS 4+ install: everything on the WSUS site, nothing WSUS on the Default Web Site
    const h = healthy({ profile: "modern", configuration: 2 });
    expect(h.state.sites.map((s) => s.name)).toEqual(["WSUS Administration"]);
    expect(run(selfUpdateClientPort, h)).toEqual([]);
    // SelfUpdate only on a port-80 site while clients use 8530: cause 3
    const h2 = healthy({ profile: "modern", configuration: 2 });
    const moved = structuredClone(vdir(h2.state, "WSUS Administration", "Selfupdate"));
    removeVdir(h2.state, "WSUS Administration", "Selfupdate");
    h2.state.sites.unshift({ name: "Default Web Site", id: 1, bindings: [{ protocol: "http", ip: "*", port: 80, host: "" }], rootAuth: { anonymous: true, anonymousUser: "IUSR", windows: false, requireSsl: false }, vdirs: [moved] });
    expect(run(selfUpdateClientPort, h2)).toEqual([expect.objectContaining({ cause: 3, target: "WSUS Administration/Selfupdate" })]);
  });

  it("stays silent when SelfUpdate exists nowhere (cause 2 explains it)", () => {
    const h = healthy();
    removeVdir(h.state, "Default Web Site", "SelfUpdate");
    expect(run(selfUpdateClientPort, h)).toEqual([]);
  });
});
