import fc from "fast-check";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkEvidence } from "../core/check";
import type { LabAce } from "../lab/acl";
import { createLab } from "../lab/create";
import { collectEvidence } from "../lab/evidence";
import { labAnonymousCanRead } from "../lab/http/anonymousAcl";
import { serveLab, type LabServer } from "../lab/http/server";
import { readLabState, setOwnAces, setProtected, writeLabState } from "../lab/state";

/**
 * Issue 10: "for random ACLs and group memberships, rule says readable ⇔ HTTP front answers 200".
 *
 * The rule (selfupdate-acl, through the agent's evidence: SDDL and the Users group by SID) and the lab's
 * HTTP front (IIS's 401.3 for the anonymous user, per file, from the file's own inherited ACL) both end
 * in core/acl/anonymous.ts, but they reach it by different roads: the rule judges the folder's ACL for
 * every file below it, the front each file's ACL as the lab's inheritance built it. This property checks
 * that the two roads agree for arbitrary ACLs, deny entries and Users memberships, on both anonymous
 * identities (built-in IUSR, and IUSR_WSUS01 on the KB's layout).
 *
 * "Readable" on the HTTP side = every file of the SelfUpdate tree answers 200. A rule verdict of
 * "unknown" (IIS_IUSRS, whose membership of the token the evidence cannot tell) makes no claim.
 */

const SELFUPDATE = "C:\\Program Files\\Update Services\\Selfupdate";
const FILES = ["wuident.cab", "iuident.cab", "AU/x64/NetServer/en/wuaucomp.cab", "AU/x86/NetServer/en/wuaucomp.cab"];

// Trustees as lab.json stores them (canonical English names).
const PRINCIPALS = [
  "BUILTIN\\Users",
  "NT AUTHORITY\\Authenticated Users",
  "NT AUTHORITY\\IUSR",
  "Everyone",
  "WSUS01\\IUSR_WSUS01",
  "BUILTIN\\Administrators",
  "NT AUTHORITY\\INTERACTIVE",
  "NT AUTHORITY\\SERVICE",
  "BUILTIN\\IIS_IUSRS",
] as const;
const MEMBERS = ["NT AUTHORITY\\Authenticated Users", "NT AUTHORITY\\INTERACTIVE", "IUSR_WSUS01", "NT AUTHORITY\\IUSR"] as const;

const aceArb: fc.Arbitrary<LabAce> = fc.record({
  principal: fc.constantFrom(...PRINCIPALS),
  type: fc.constantFrom("allow" as const, "allow" as const, "deny" as const),
  rights: fc.constantFrom("F", "RX", "R", "X", "RD", "W"),
  inherited: fc.constant(false),
  oi: fc.boolean(),
  ci: fc.boolean(),
  io: fc.boolean(),
  np: fc.boolean(),
});

const caseArb = fc.record({
  aces: fc.array(aceArb, { minLength: 0, maxLength: 5 }),
  protect: fc.boolean(),
  members: fc.subarray([...MEMBERS]),
});

const roots: string[] = [];
afterAll(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

describe.each([
  { profile: "modern" as const, identity: "NT AUTHORITY\\IUSR" },
  { profile: "kb920659" as const, identity: "IUSR_WSUS01" },
])("selfupdate-acl and the lab's HTTP front agree on anonymous reads ($identity)", ({ profile }) => {
  let dir: string;
  let server: LabServer;
  let port: number;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "wsus-anon-prop-"));
    roots.push(dir);
    await createLab(dir, { configuration: 1, profile });
    server = await serveLab(dir, { portMap: { 80: 0 }, pollMs: 0, anonymousCanRead: labAnonymousCanRead });
    await server.reload();
    port = server.endpoints.find((e) => e.binding === "*:80:")!.port;
  });
  afterAll(async () => server?.close());

  it("rule: files readable ⇔ every SelfUpdate file answers 200 (401.3 otherwise)", async () => {
    let decided = 0;
    let readable = 0;
    await fc.assert(
      fc.asyncProperty(caseArb, async ({ aces, protect, members }) => {
        const state = await readLabState(dir);
        setOwnAces(state, SELFUPDATE, aces);
        setProtected(state, SELFUPDATE, protect);
        state.groups.Users = { ...(state.groups.Users ?? { comment: "" }), members: [...members] };
        await writeLabState(dir, state);

        const report = checkEvidence({ profile, configuration: 1, computerName: "WSUS01" }, await collectEvidence(dir));
        const anon = report.findings.filter((f) => f.rule === "selfupdate-acl" && /IIS's anonymous user, cannot read|denied read access|depends on its groups/.test(f.message));
        const statuses = await Promise.all(FILES.map(async (f) => (await fetch(`http://127.0.0.1:${port}/selfupdate/${f}`)).status));
        if (anon.some((f) => f.status === "unknown")) return; // the rule makes no claim
        decided++;
        const ruleReadable = anon.length === 0;
        const httpReadable = statuses.every((s) => s === 200);
        if (ruleReadable) readable++;
        expect({ ruleReadable, statuses }).toEqual({ ruleReadable: httpReadable, statuses });
        // what is not served is refused the way IIS refuses it: 401 (401.3), never another status
        for (const s of statuses) expect([200, 401]).toContain(s);
      }),
      { numRuns: 120, seed: 20261127 },
    );
    // the property must have seen both verdicts, or it proves nothing
    expect(decided).toBeGreaterThan(60);
    expect(readable).toBeGreaterThan(5);
    expect(decided - readable).toBeGreaterThan(5);
  }, 120_000);
});
