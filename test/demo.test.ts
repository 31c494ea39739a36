import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cli } from "./support/cli";

describe("the demo (npm start): break, detect, repair, prove over HTTP", () => {
  it.each([
    [["demo"]],
    [["demo", "--configuration", "1", "--profile", "modern", "--break", "2,5,6,8,missing-vdir"]],
    [["demo", "--configuration", "2", "--profile", "kb920659", "--break", "1,3,4,5,6,8,windows-auth-anonymous"]],
  ])("%j ends green after being red", (args) => {
    const r = cli(args);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/NOT COMPLIANT/);
    expect(r.stdout).toMatch(/^FAILED\.$/m);
    expect(r.stdout).toMatch(/apply: applied; backup wsus-iis-[0-9A-Za-z-]+; 2 round trips/);
    expect(r.stdout).toMatch(/^OK: a client can self-update\.$/m);
    expect(r.stdout).toMatch(/✔ before: \d+ problems, probe red → after: 0 problems, probe green/);
    // no profile is given to check or apply: the layout is read from the server and said
    const profile = args.includes("kb920659") ? "kb920659" : "modern";
    const configuration = args.includes("1") ? 1 : 2;
    expect(r.stdout).toContain(`layout: profile ${profile}, Configuration ${configuration} (profile ${profile} detected: `);
  });

  it("--dir never empties a folder that is not a lab (exit 2, the user's file kept)", () => {
    const dir = mkdtempSync(join(tmpdir(), "wsus-demo-dir-"));
    writeFileSync(join(dir, "keep.txt"), "mine");
    const r = cli(["demo", "--dir", dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--dir: .* is not a lab/);
    expect(readFileSync(join(dir, "keep.txt"), "utf8")).toBe("mine");
    rmSync(dir, { recursive: true, force: true });
  });

  it("bad options are named", () => {
    const r = cli(["demo", "--break", "9"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--break: .*9/);
  });
});
