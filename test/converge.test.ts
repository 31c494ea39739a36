import { afterAll, describe, expect, it } from "vitest";
import { resolveLayout } from "../core/model/layout";
import { checkTarget, converge } from "../ops/converge";
import { BREAKS, type Break } from "../lab/create";
import { LabTransport } from "../transports/lab";
import {
  COMBOS,
  configBytes,
  CUSTOM_SECTION,
  expectOnlyOwnedChanged,
  failsOf,
  keyOf,
  unknownsOf,
  OPERATOR_COMMENT,
  brokenLab,
  probeLab,
  removeTempDirs,
  specFor,
  type Combo,
} from "./helpers/converge";

/**
 * Convergence acceptance on lab servers: for every KB cause and layout break, alone and all together,
 * in both configurations and both profiles: check (1 round trip) sees it, converge (read + apply = 2
 * round trips) repairs it, a fresh check finds no fail finding, the HTTP probe of the served lab is
 * green, nothing the spec does not own changed in applicationHost.config, and a second converge has
 * nothing to do (1 round trip, empty plan).
 *
 * Spec: the opt-in repairs (`reinstallSelfUpdate`, `addIusrToUsers`) are on, so causes 8 and 1 are
 * repaired automatically; without them they are manual (tested below). Cause 7 (SharePoint exclusions)
 * is always manual: its finding stays and the plan's `manual` names it.
 */

afterAll(removeTempDirs);

const label = (breaks: readonly Break[]) => (breaks.length === BREAKS.length ? "all breaks" : breaks.join("+"));
const CASES: readonly (readonly Break[])[] = [...BREAKS.map((b) => [b]), BREAKS];

/**
 * Whether a client's-eye probe can see the breaks (cause 1 too: the served lab enforces NTFS read for
 * the anonymous user, lab/http/anonymousAcl.ts).
 */
function httpVisible(c: Combo, breaks: readonly Break[]): boolean {
  const layout = resolveLayout(specFor(c), "WSUS01");
  // clients of modern Configuration 2 use the WSUS site on 8530: the Default Web Site's binding (5) and
  // anonymous flag (6) do not reach them; SharePoint (7) takes over the Default Web Site only.
  const clientOnDefault = layout.clientPort === layout.sites.find((s) => s.role === "default")!.httpPort;
  return breaks.some((b) => clientOnDefault || ![5, 6, 7].includes(b as number));
}

describe.each(COMBOS)("converge on the lab, Configuration $configuration, profile $profile", (combo) => {
  it.each(CASES.map((b) => [label(b), b] as const))("%s: check sees it, converge repairs it, nothing else changes", async (_name, breaks) => {
    const dir = await brokenLab(combo, breaks);
    const spec = specFor(combo);
    const layout = resolveLayout(spec, "WSUS01");
    const sharePoint = breaks.includes(7);

    // check: one round trip, every break is seen (SharePoint's exclusions as "not known": the agent sees
    // SharePoint installed but no command reads its managed paths, scripts/agent.ps1)
    const checker = new LabTransport(dir);
    const checked = await checkTarget(checker, spec);
    expect(checker.roundTrips).toBe(1);
    expect(failsOf(checked.report.findings).length + unknownsOf(checked.report.findings).length).toBeGreaterThan(0);
    if (sharePoint) expect(unknownsOf(checked.report.findings).map(keyOf)).toEqual(["sharepoint-exclusions#7"]);

    const visible = httpVisible(combo, breaks);
    if (visible) expect((await probeLab(dir, spec)).compliant, "the probe sees the break").toBe(false);

    const before = await configBytes(dir);
    const t = new LabTransport(dir);
    const r = await converge(t, spec);
    const cause7Only = sharePoint && breaks.length === 1;
    expect(r.roundTrips).toBe(cause7Only ? 1 : 2);
    expect(t.roundTrips).toBe(r.roundTrips);
    expect(r.status).toBe(cause7Only ? "nothing-to-do" : "applied");
    if (!cause7Only) {
      expect(r.apply!.failed).toBeNull();
      expect(r.apply!.results.every((x) => x.exitCode === 0)).toBe(true);
      expect(r.plan.steps.map((s) => s.index)).toEqual(r.plan.steps.map((_, i) => i + 1));
    }

    // what is left: no failure; SharePoint's exclusions stay "not known", for a person to check
    const left = failsOf(r.after.findings);
    expect(left).toEqual([]);
    expect(r.after.compliant).toBe(true);
    expect(unknownsOf(r.after.findings).map(keyOf)).toEqual(sharePoint ? ["sharepoint-exclusions#7"] : []);
    // the model's prediction of what stays unresolved is what the server reports
    expect(left.map(keyOf).sort()).toEqual(r.plan.unresolved.map(keyOf).sort());

    // a fresh read agrees with the apply's read-back
    const again = new LabTransport(dir);
    const fresh = await checkTarget(again, spec);
    expect(again.roundTrips).toBe(1);
    expect(failsOf(fresh.report.findings).map(keyOf)).toEqual(left.map(keyOf));

    // applicationHost.config: only what the plan owns changed
    const after = await configBytes(dir);
    expectOnlyOwnedChanged(before, after, r.plan, layout);
    expect(after.toString("utf8")).toContain(OPERATOR_COMMENT);
    expect(after.toString("utf8")).toContain(CUSTOM_SECTION);

    // the client's view
    {
      const seen = await probeLab(dir, spec);
      if (sharePoint && !(combo.configuration === 2 && combo.profile === "modern")) {
        expect(seen.compliant).toBe(false);
        expect(seen.causes).toContain(7);
      } else {
        expect(seen.checks.filter((c) => !c.ok)).toEqual([]);
        expect(seen.compliant).toBe(true);
      }
    }

    // idempotent: the second converge reads, plans nothing and does not write
    const t2 = new LabTransport(dir);
    const second = await converge(t2, spec);
    expect(second.status).toBe("nothing-to-do");
    expect(second.plan.steps).toEqual([]);
    expect(second.roundTrips).toBe(1);
    expect(t2.roundTrips).toBe(1);
    expect((await configBytes(dir)).equals(after)).toBe(true);
  });
});

describe("converge without the opt-in repairs", () => {
  it.each(COMBOS)("Configuration $configuration, $profile: causes 1, 7, 8 leave exactly the findings the plan names as manual", async (combo) => {
    const breaks: Break[] = [1, 2, 4, 7, 8];
    const dir = await brokenLab(combo, breaks, { decorate: false });
    const spec = specFor(combo, {});
    const r = await converge(new LabTransport(dir), spec);
    expect(r.status).toBe("applied");
    expect(r.roundTrips).toBe(2);
    const left = failsOf(r.after.findings);
    // the SelfUpdate files (no reinstall without the opt-in) stay; SharePoint's exclusions stay not known
    expect(left.map(keyOf)).toEqual(expect.arrayContaining(["selfupdate-files#8"]));
    expect(unknownsOf(r.after.findings).map(keyOf)).toEqual(["sharepoint-exclusions#7"]);
    // every finding left is one the plan reported as manual, and nothing else is left
    const manual = new Set(r.plan.manual.map(keyOf));
    for (const f of left) expect(manual, `${keyOf(f)}: ${f.message}`).toContain(keyOf(f));
    expect(left.map(keyOf).sort()).toEqual(r.plan.unresolved.map(keyOf).sort());
    expect(r.plan.manual.some((m) => /msiexec|Selfupdate\.msi|reinstall/i.test(m.text))).toBe(true);
    // and a second converge does not pretend it could do more
    const second = await converge(new LabTransport(dir), spec);
    expect(second.status).toBe("nothing-to-do");
    expect(second.plan.steps).toEqual([]);
    expect(failsOf(second.after.findings).map(keyOf).sort()).toEqual(left.map(keyOf).sort());
  });
});

describe("breaks 3 and 5 together on the Default Web Site's port 80", () => {
  // Break 3 (Configuration 1, or kb920659 Configuration 2 once break 2 removed SelfUpdate everywhere)
  // moves `*:80:` to `*:8080:`; break 5 then binds `192.0.2.10:80:`. A `*` on 8080 must not make port
  // 80 count as reachable on 127.0.0.1: default-site-loopback judges each port on its own.
  it.each([COMBOS[0], COMBOS[2]])("Configuration $configuration, $profile: the repaired server answers clients on 127.0.0.1:80", async (combo) => {
    const dir = await brokenLab(combo, [2, 3, 5], { decorate: false });
    const spec = specFor(combo);
    const r = await converge(new LabTransport(dir), spec);
    expect(failsOf(r.after.findings)).toEqual([]);
    expect((await probeLab(dir, spec)).compliant).toBe(true);
  });
});

describe("the unchanged-config comparison is not vacuous", () => {
  it("flags edits outside the plan's elements and accepts edits inside them", async () => {
    const combo = COMBOS[3];
    const dir = await brokenLab(combo, [4]);
    const spec = specFor(combo);
    const layout = resolveLayout(spec, "WSUS01");
    const before = await configBytes(dir);
    const r = await converge(new LabTransport(dir), spec);
    const after = await configBytes(dir);
    expect(() => expectOnlyOwnedChanged(before, after, r.plan, layout)).not.toThrow();
    const edit = (from: string | RegExp, to: string) => {
      const text = after.toString("utf8");
      const next = text.replace(from, to);
      expect(next).not.toBe(text);
      return Buffer.from(next, "utf8");
    };
    const unowned: [string, Buffer][] = [
      ["another site's binding", edit("*:8181:", "*:8182:")],
      ["a comment's whitespace", edit("do not touch -->", "do not touch  -->")],
      ["the custom section", edit('value="x &amp; y"', 'value="x &amp; z"')],
      ["an element the plan did not touch", edit(/(<application path="\/ClientWebService"[^>]*applicationPool=")WsusPool/, "$1DefaultAppPool")],
      ["the Windows-auth location", edit(/(<location path="WSUS Administration\/ApiRemoting30"[\s\S]*?<windowsAuthentication enabled=")true/, "$1false")],
    ];
    for (const [what, bytes] of unowned) expect(() => expectOnlyOwnedChanged(before, bytes, r.plan, layout), what).toThrow();
    // the SelfUpdate anonymous flags are the plan's to set: any value passes the comparison
    const owned = edit(/(<location path="WSUS Administration\/Selfupdate"[\s\S]*?<anonymousAuthentication enabled=")true/i, "$1false");
    expect(() => expectOnlyOwnedChanged(before, owned, r.plan, layout)).not.toThrow();
  });
});
