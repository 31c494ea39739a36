import { describe, expect, it } from "vitest";
import { layoutAnonymous, layoutRequireSsl, layoutWindowsAuth } from "../../core/rules/layoutAuth";
import { layoutVdirs } from "../../core/rules/layoutVdirs";
import { healthy, removeVdir, run, site, vdir } from "../support/state";

describe("layout-vdirs", () => {
  it("passes on healthy layouts", () => {
    for (const configuration of [1, 2] as const)
      for (const profile of ["kb920659", "modern"] as const) expect(run(layoutVdirs, healthy({ configuration, profile }))).toEqual([]);
  });

  it("reports each missing vdir on the site that needs it", () => {
    const h = healthy({ configuration: 2 });
    removeVdir(h.state, "Default Web Site", "ClientWebService");
    removeVdir(h.state, "WSUS Administration", "WSUSAdmin");
    expect(run(layoutVdirs, h).map((f) => f.target)).toEqual(["Default Web Site/ClientWebService", "WSUS Administration/WSUSAdmin"]);
  });

  it("reports SelfUpdate missing from the admin site only when the KB rules don't already explain it", () => {
    const h = healthy({ configuration: 2 });
    removeVdir(h.state, "WSUS Administration", "SelfUpdate");
    expect(run(layoutVdirs, h).map((f) => f.target)).toEqual(["WSUS Administration/SelfUpdate"]);
    const gone = healthy({ configuration: 2 });
    removeVdir(gone.state, "WSUS Administration", "SelfUpdate");
    removeVdir(gone.state, "Default Web Site", "SelfUpdate");
    expect(run(layoutVdirs, gone)).toEqual([]);
  });

  it("finds a localised WSUS site by the vdirs it holds", () => {
    const h = healthy({ configuration: 2, profile: "modern" });
    site(h.state, "WSUS Administration").name = "WSUS-Verwaltung";
    expect(run(layoutVdirs, h)).toEqual([]);
    removeVdir(h.state, "WSUS-Verwaltung", "Inventory");
    expect(run(layoutVdirs, h).map((f) => f.target)).toEqual(["WSUS-Verwaltung/Inventory"]);
  });

  it("reports a missing admin site in Configuration 2", () => {
    const h = healthy({ configuration: 2 });
    h.state.sites = h.state.sites.filter((s) => s.name !== "WSUS Administration");
    expect(run(layoutVdirs, h)).toEqual([expect.objectContaining({ target: "WSUS Administration", message: expect.stringContaining("does not exist") })]);
  });

  it("checks Content's physical path only when contentDir is set", () => {
    const h = healthy({ profile: "modern" });
    vdir(h.state, "Default Web Site", "Content").physicalPath = "D:\\Elsewhere";
    expect(run(layoutVdirs, h)).toEqual([]);
    const strict = healthy({ profile: "modern", contentDir: "D:\\WSUS" });
    vdir(strict.state, "Default Web Site", "Content").physicalPath = "E:\\WSUS\\WsusContent";
    expect(run(layoutVdirs, strict)).toEqual([expect.objectContaining({ message: "/Content points to E:\\WSUS\\WsusContent, expected D:\\WSUS\\WsusContent" })]);
  });
});

describe("layout-windows-auth", () => {
  it("passes when the Windows-auth vdir is Windows-only", () => {
    expect(run(layoutWindowsAuth, healthy())).toEqual([]);
    expect(run(layoutWindowsAuth, healthy({ profile: "modern", configuration: 2 }))).toEqual([]);
  });

  it("fails when it is anonymous or Windows auth is off (WSUSAdmin / ApiRemoting30)", () => {
    const h = healthy();
    Object.assign(vdir(h.state, "Default Web Site", "WSUSAdmin").auth, { anonymous: true, windows: false });
    expect(run(layoutWindowsAuth, h).map((f) => f.message)).toEqual([
      expect.stringContaining("must not be anonymous"),
      expect.stringContaining("Windows authentication is off"),
    ]);
    const m = healthy({ profile: "modern" });
    vdir(m.state, "Default Web Site", "ApiRemoting30").auth.anonymous = true;
    expect(run(layoutWindowsAuth, m)).toEqual([expect.objectContaining({ target: "Default Web Site/ApiRemoting30" })]);
  });
});

describe("layout-anonymous", () => {
  it("fails for each non-SelfUpdate client vdir that is not anonymous", () => {
    const h = healthy({ configuration: 2 });
    expect(run(layoutAnonymous, h)).toEqual([]);
    vdir(h.state, "Default Web Site", "ClientWebService").auth.anonymous = false;
    vdir(h.state, "WSUS Administration", "SelfUpdate").auth.anonymous = false; // cause 4's business
    expect(run(layoutAnonymous, h).map((f) => f.target)).toEqual(["Default Web Site/ClientWebService"]);
  });
});

describe("layout-require-ssl", () => {
  it("does not care unless ssl is set (modern)", () => {
    const h = healthy({ profile: "modern" });
    vdir(h.state, "Default Web Site", "ClientWebService").auth.requireSsl = true;
    expect(run(layoutRequireSsl, h)).toEqual([]);
  });

  it("wants exactly the five SSL endpoints when ssl is on", () => {
    const h = healthy({ profile: "modern", ssl: true });
    expect(run(layoutRequireSsl, h)).toEqual([]);
    vdir(h.state, "Default Web Site", "Selfupdate").auth.requireSsl = true;
    vdir(h.state, "Default Web Site", "SimpleAuthWebService").auth.requireSsl = false;
    expect(run(layoutRequireSsl, h).map((f) => f.target).sort()).toEqual(["Default Web Site/Selfupdate", "Default Web Site/SimpleAuthWebService"]);
  });
});
