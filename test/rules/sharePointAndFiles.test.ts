import { describe, expect, it } from "vitest";
import { selfUpdateFiles } from "../../core/rules/selfupdateFiles";
import { sharePointExclusions } from "../../core/rules/sharePointExclusions";
import { healthy, run } from "../support/state";

describe("sharepoint-exclusions (cause 7)", () => {
  it("passes when SharePoint is not installed, or excludes the paths (case/slash-insensitive)", () => {
    const h = healthy({ sharePoint: { expected: "auto" } });
    h.state.sharePoint = { installed: false, excludedPaths: [] };
    expect(run(sharePointExclusions, h)).toEqual([]);
    h.state.sharePoint = { installed: true, excludedPaths: ["/SelfUpdate/", "/ClientWebService", "/iuident.cab"] };
    expect(run(sharePointExclusions, h)).toEqual([]);
  });

  it("fails when SharePoint is installed without the exclusions", () => {
    const h = healthy({ sharePoint: { expected: "auto" } });
    h.state.sharePoint = { installed: true, excludedPaths: ["/selfupdate"] };
    expect(run(sharePointExclusions, h)).toEqual([
      expect.objectContaining({ cause: 7, status: "fail", message: expect.stringContaining("/clientwebservice, /iuident.cab") }),
    ]);
  });

  it("is unknown without evidence unless SharePoint is declared absent", () => {
    const h = healthy({ sharePoint: { expected: "auto" } });
    h.state.sharePoint = null;
    expect(run(sharePointExclusions, h)).toEqual([expect.objectContaining({ status: "unknown", cause: 7 })]);
    const no = healthy({ sharePoint: { expected: "no" } });
    no.state.sharePoint = null;
    expect(run(sharePointExclusions, no)).toEqual([]);
  });

  it("judges a declaration that expects SharePoint but drops the KB minimum paths", () => {
    const h = healthy({ sharePoint: { expected: "yes", excludedPaths: ["/iuident.cab"] } });
    expect(run(sharePointExclusions, h)[0].message).toContain("/selfupdate, /clientwebservice");
  });
});

describe("selfupdate-files (cause 8)", () => {
  it("passes when the files are there (case-insensitive)", () => {
    const h = healthy();
    const key = Object.keys(h.state.files!)[0];
    h.state.files![key].files = ["WUIDENT.CAB", "iuident.cab", "AU\\x86\\wuaucomp.cab"];
    expect(run(selfUpdateFiles, h)).toEqual([]);
  });

  it("fails naming the missing files, with the Selfupdate.msi fix", () => {
    const h = healthy({ selfUpdateFiles: ["wuident.cab", "iuident.cab", "AU\\x86\\wuaucomp.cab"] });
    const key = Object.keys(h.state.files!)[0];
    h.state.files![key].files = ["iuident.cab"];
    const f = run(selfUpdateFiles, h);
    expect(f).toEqual([expect.objectContaining({ cause: 8, status: "fail" })]);
    expect(f[0].message).toContain("wuident.cab, AU\\x86\\wuaucomp.cab");
    expect(f[0].remediation).toContain("Setup\\Selfupdate.msi");
  });

  it("is unknown without a listing of the folder", () => {
    const h = healthy();
    h.state.files = {};
    expect(run(selfUpdateFiles, h)).toEqual([expect.objectContaining({ status: "unknown" })]);
  });
});
