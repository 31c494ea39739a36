import { describe, expect, it } from "vitest";
import { selfUpdateAnonymous } from "../../core/rules/selfupdateAnonymous";
import { healthy, run, vdir } from "../support/state";

describe("selfupdate-anonymous (cause 4)", () => {
  it("passes when anonymous is on", () => {
    expect(run(selfUpdateAnonymous, healthy({ configuration: 2 }))).toEqual([]);
  });

  it("fails per site where SelfUpdate is not anonymous, with the apphost location fix", () => {
    const h = healthy({ configuration: 2 });
    vdir(h.state, "WSUS Administration", "SelfUpdate").auth.anonymous = false;
    const f = run(selfUpdateAnonymous, h);
    expect(f).toEqual([expect.objectContaining({ cause: 4, status: "fail", target: "WSUS Administration/SelfUpdate" })]);
    expect(f[0].repair).toEqual([{ kind: "set-auth", site: "WSUS Administration", path: "/SelfUpdate", auth: "anonymous", enabled: true }]);
    expect(f[0].remediation).toBe(
      '%windir%\\system32\\inetsrv\\appcmd.exe set config "WSUS Administration/SelfUpdate" -section:system.webServer/security/authentication/anonymousAuthentication /enabled:True /commit:apphost',
    );
  });

  it("reports unknown when the effective setting is not known", () => {
    const h = healthy();
    vdir(h.state, "Default Web Site", "SelfUpdate").auth.anonymous = null;
    expect(run(selfUpdateAnonymous, h)).toEqual([expect.objectContaining({ status: "unknown", cause: 4 })]);
  });
});
