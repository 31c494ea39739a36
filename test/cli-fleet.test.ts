import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLab } from "../lab/create";
import { parseTarget, serverIdentity } from "../transports/target";
import { cli } from "./support/cli";

/** A mixed fleet: each --targets entry may carry its own spec fields (configuration, profile …). */
const dir = mkdtempSync(join(tmpdir(), "wsus-cli-fleet-"));
const labs = { c1: join(dir, "c1"), c2: join(dir, "c2") };
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeAll(async () => {
  await createLab(labs.c1, { configuration: 1, profile: "kb920659" });
  await createLab(labs.c2, { configuration: 2, profile: "modern", breaks: [4] });
}, 60_000);

describe("fleet targets file with per-server spec fields", () => {
  it("judges each server against its own configuration and profile", () => {
    const f = join(dir, "fleet.yaml");
    writeFileSync(f, `- lab:${labs.c1}\n- target: lab:${labs.c2}\n  configuration: 2\n  profile: modern\n`);
    const r = cli(["check", "--targets", f, "--format", "json", "--no-progress"]);
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout);
    const byTarget = Object.fromEntries(out.servers.map((s: { target: string }) => [s.target, s]));
    expect(byTarget[`lab:${labs.c1}`].compliant).toBe(true);
    // break 4: SelfUpdate not anonymous, on the WSUS site (modern Configuration 2 has it nowhere else)
    expect(byTarget[`lab:${labs.c2}`].findings.map((x: { rule: string; target: string }) => `${x.rule} ${x.target}`)).toEqual([
      "selfupdate-anonymous WSUS Administration/Selfupdate",
    ]);
    // a per-server field wins over the detection: the modern server judged as the KB's Configuration 1
    const forced = join(dir, "forced.yaml");
    writeFileSync(forced, `- target: lab:${labs.c2}\n  configuration: 1\n  profile: kb920659\n`);
    const wrong = JSON.parse(cli(["check", "--targets", forced, "--format", "json", "--no-progress"]).stdout);
    const wrongRules = wrong.findings.map((x: { rule: string }) => x.rule);
    expect(wrongRules).toEqual(expect.arrayContaining(["layout-vdirs", "profile-fits-server"]));
    // without any field, auto reads each server's own layout
    const flat = cli(["check", "--target", `lab:${labs.c1}`, "--target", `lab:${labs.c2}`, "--format", "json", "--no-progress"]);
    const servers = JSON.parse(flat.stdout).servers;
    expect(servers.map((s: { layout: { profile: string; configuration: number } }) => [s.layout.profile, s.layout.configuration])).toEqual([
      ["kb920659", 1],
      ["modern", 2],
    ]);
    expect(servers[1].findings.map((x: { rule: string }) => x.rule)).toEqual(["selfupdate-anonymous"]);
  });

  it("apply repairs each server per its own spec", () => {
    const f = join(dir, "fleet.json");
    writeFileSync(f, JSON.stringify([`lab:${labs.c1}`, { target: `lab:${labs.c2}`, configuration: 2, profile: "modern" }]));
    const r = cli(["apply", "--targets", f, "--yes", "--format", "json"]);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout).servers;
    expect(out.map((s: { status: string }) => s.status)).toEqual(["nothing-to-do", "applied"]);
  });

  it("a bad per-server field is named with its entry, exit 2, nothing touched", () => {
    const f = join(dir, "bad.yaml");
    writeFileSync(f, `- target: lab:${labs.c1}\n  adminSite: { httpPort: 70000 }\n`);
    const r = cli(["apply", "--targets", f, "--yes"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`invalid spec for --targets ${f}[0]:`);
    expect(r.stderr).toContain("adminSite.httpPort: expected 1..65535, got 70000");
  });

  it("an entry without a target is refused", () => {
    const f = join(dir, "notarget.json");
    writeFileSync(f, JSON.stringify([{ configuration: 2 }]));
    const r = cli(["check", "--targets", f]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`--targets ${f}[0]: expected a target string or an object with a "target" field`);
  });
});

// Issue 11, item 3: `apply --target lab:D --target lab:D/` ran two applies on one server, whose rollback
// and changes undid each other. Targets are deduplicated by the server they reach.
describe("one writer per server: targets deduplicated by identity", () => {
  it("lab:D, lab:D/ and lab:./D are one server: one apply; ssh hosts by host and port", async () => {
    const d = join(dir, "dedupe");
    await createLab(d, { configuration: 1, profile: "kb920659", breaks: [4, 5] });
    const rel = relative(process.cwd(), d);
    const r = cli(["apply", "--yes", "--target", `lab:${d}`, "--target", `lab:${d}/`, "--target", `lab:${rel}`, "--format", "json"]);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ status: "applied", compliant: true }); // one server: a single result, not { servers }
    expect(r.stderr).toContain(`note: lab:${d}/ is the same server as lab:${d}: worked on once`);
    // the same server with different spec fields is bad input, before anything is touched
    const f = join(dir, "conflict.yaml");
    writeFileSync(f, `- target: lab:${d}\n  configuration: 1\n- target: lab:${d}/\n  configuration: 2\n`);
    const c = cli(["check", "--targets", f]);
    expect(c.code).toBe(2);
    expect(c.stderr).toMatch(/lab:.*dedupe\/ is the same server as lab:.*dedupe .* with other spec fields/);
  });

  it("serverIdentity: ssh by lower-cased host and port, the default port filled in", () => {
    const id = (t: string) => serverIdentity(parseTarget(t));
    expect(id("ssh://admin@WSUS01")).toBe(id("ssh://other@wsus01:22"));
    expect(id("ssh://wsus01:2222")).not.toBe(id("ssh://wsus01"));
    expect(id("local")).toBe("local");
  });
});
