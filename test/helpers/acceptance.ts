import { expect } from "vitest";
import { resolveLayout } from "../../core/model/layout";
import { checkTarget, converge } from "../../ops/converge";
import { BREAKS, type Break } from "../../lab/create";
import { LabTransport, type LabAgentKind } from "../../transports/lab";
import {
  brokenLab,
  configBytes,
  CUSTOM_SECTION,
  expectOnlyOwnedChanged,
  failsOf,
  harmlessBreak,
  keyOf,
  OPERATOR_COMMENT,
  probeLab,
  specFor,
  unknownsOf,
  type Combo,
} from "./converge";

/**
 * One convergence acceptance case on a lab server, with either agent: check (1 round trip) sees the
 * breaks, converge (read + apply = 2 round trips) repairs them, a fresh check finds no fail finding,
 * the HTTP probe of the served lab is green, nothing the spec does not own changed in
 * applicationHost.config, and a second converge has nothing to do (1 round trip, empty plan).
 */

export const breaksLabel = (breaks: readonly Break[]) => (breaks.length === BREAKS.length ? "all breaks" : breaks.join("+"));

/**
 * Whether a client's-eye probe can see the breaks (cause 1 too: the served lab enforces NTFS read for
 * the anonymous user, lab/http/anonymousAcl.ts).
 */
function httpVisible(c: Combo, breaks: readonly Break[]): boolean {
  const layout = resolveLayout(specFor(c), "WSUS01");
  // clients of modern Configuration 2 use the WSUS site on 8530: the Default Web Site's anonymous flag (6)
  // does not reach them, and SharePoint (7) takes over the Default Web Site only.
  const clientOnDefault = layout.clientSite.role === "default";
  return breaks.some((b) => !harmlessBreak(c, b) && (clientOnDefault || ![6, 7].includes(b as number)));
}

export async function convergeAcceptance(combo: Combo, breaks: readonly Break[], agent: LabAgentKind): Promise<void> {
    const dir = await brokenLab(combo, breaks);
    const spec = specFor(combo);
    const layout = resolveLayout(spec, "WSUS01");
    const sharePoint = breaks.includes(7);

    // check: one round trip, every break is seen (SharePoint's exclusions as "not known": the agent sees
    // SharePoint installed but no command reads its managed paths, scripts/agent.ps1)
    const checker = new LabTransport(dir, {}, agent);
    const checked = await checkTarget(checker, spec);
    expect(checker.roundTrips).toBe(1);
    expect(failsOf(checked.report.findings).length + unknownsOf(checked.report.findings).length).toBeGreaterThan(0);
    if (sharePoint) expect(unknownsOf(checked.report.findings).map(keyOf)).toEqual(["sharepoint-exclusions#7"]);

    const visible = httpVisible(combo, breaks);
    if (visible) expect((await probeLab(dir, spec)).compliant, "the probe sees the break").toBe(false);

    const before = await configBytes(dir);
    const t = new LabTransport(dir, {}, agent);
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
    const again = new LabTransport(dir, {}, agent);
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
    const t2 = new LabTransport(dir, {}, agent);
    const second = await converge(t2, spec);
    expect(second.status).toBe("nothing-to-do");
    expect(second.plan.steps).toEqual([]);
    expect(second.roundTrips).toBe(1);
    expect(t2.roundTrips).toBe(1);
    expect((await configBytes(dir)).equals(after)).toBe(true);
}
