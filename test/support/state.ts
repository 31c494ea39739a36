import { resolveLayout } from "../../core/model/layout";
import { parseSpec, type SpecInput } from "../../core/model/spec";
import { evaluate } from "../../core/rules";
import type { Rule } from "../../core/rules/rule";
import { stateFromLayout } from "../../core/state/fromDeclaration";
import type { LocalGroup, ObservedState, SiteState, VdirState } from "../../core/state/schema";
import { principal } from "../../core/model/principals";

/** The groups part of a state: Users (by its SID) with these members. */
export function usersGroup(...members: string[]): Record<string, LocalGroup> {
  return { "S-1-5-32-545": { name: "BUILTIN\\Users", sid: "S-1-5-32-545", members: members.map((m) => ({ name: m, sid: principal(m).sid })) } };
}

/**
 * A compliant state for a spec (what the layout declares), to break one thing at a time. The rule tests
 * are written against the KB's own layout (kb920659, Configuration 1) unless they name another; the
 * product default (auto) is tested in test/rules/detect.test.ts.
 */
export function healthy(input: SpecInput = {}) {
  const spec = parseSpec({ computerName: "WSUS01", sharePoint: { expected: "no" }, profile: "kb920659", configuration: 1, ...input });
  const layout = resolveLayout(spec);
  const state: ObservedState = structuredClone(stateFromLayout(layout));
  if (!state.groups) state.groups = usersGroup("NT AUTHORITY\\Authenticated Users");
  return { spec, layout, state };
}

export function site(state: ObservedState, name: string): SiteState {
  const s = state.sites.find((x) => x.name.toLowerCase() === name.toLowerCase());
  if (!s) throw new Error(`test setup: no site ${name}`);
  return s;
}

export function vdir(state: ObservedState, siteName: string, name: string): VdirState {
  const v = site(state, siteName).vdirs.find((x) => x.path.toLowerCase() === `/${name.toLowerCase()}`);
  if (!v) throw new Error(`test setup: no vdir ${name} on ${siteName}`);
  return v;
}

export function removeVdir(state: ObservedState, siteName: string, name: string): void {
  const s = site(state, siteName);
  s.vdirs = s.vdirs.filter((x) => x.path.toLowerCase() !== `/${name.toLowerCase()}`);
}

/** Findings of one rule only. */
export function run(rule: Rule, h: ReturnType<typeof healthy>) {
  return evaluate(h.spec, h.state, [rule]);
}
