import { resolveLayout, type Layout } from "../model/layout";
import { describeIssues, SpecSchema, type Spec, type SpecInput } from "../model/spec";
import { evaluate } from "../rules";
import { markImmutable } from "../rules/query";
import type { Rule, RuleFinding } from "../rules/rule";
import { stateFromLayout } from "../state/fromDeclaration";
import type { ObservedState } from "../state/schema";

/**
 * A declared spec (WsusIisLayout / WsusIisServer input) as the state it produces if applied as written:
 * `stateFromLayout(resolveLayout(parseSpec(spec)))`. The policy pack runs the rules over it.
 */
export type Declaration =
  | { ok: true; spec: Spec; layout: Layout; state: ObservedState }
  | { ok: false; issues: { path: string; message: string }[] };

// The Analyzer calls every policy with the same resource: build its declaration once. Keyed by content
// (props reach each policy as a fresh proxy), bounded, and treated as read-only by every caller.
const CACHE_MAX = 1024;
const cache = new Map<string, Declaration>();

export function declarationOf(specInput: unknown): Declaration {
  let key: string | undefined;
  try {
    key = JSON.stringify(specInput ?? {});
  } catch {
    key = undefined; // not plain data (cycles …): no caching
  }
  const hit = key === undefined ? undefined : cache.get(key);
  if (hit) return hit;
  // Build from the JSON copy: plain data, whatever proxies the caller's object came wrapped in.
  const d = buildDeclaration(key === undefined ? specInput : JSON.parse(key));
  if (key !== undefined) {
    if (cache.size >= CACHE_MAX) cache.delete(cache.keys().next().value!);
    cache.set(key, d);
  }
  return d;
}

function buildDeclaration(specInput: unknown): Declaration {
  const input = specInput ?? {};
  const r = SpecSchema.safeParse(input);
  if (!r.success) return { ok: false, issues: describeIssues(r.error.issues, input) };
  const layout = resolveLayout(r.data);
  return { ok: true, spec: r.data, layout, state: markImmutable(stateFromLayout(layout)) };
}

/** The failing findings of some rules over a declaration (unknowns are not violations of a declaration). */
export function failures(d: { spec: Spec; state: ObservedState; layout?: Layout }, rules: readonly Rule[]): RuleFinding[] {
  return evaluate(d.spec, d.state, rules, d.layout).filter((f) => f.status === "fail");
}

/** One line per finding, as the policy pack reports it (the policy's description names the KB cause). */
export function violationText(f: RuleFinding): string {
  return f.message.includes(f.target) ? f.message : `${f.target}: ${f.message}`;
}

// ---------------------------------------------------------------------------------------------
// Spec remediations: small, safe rewrites of a declared spec input. Each returns a new object, or
// undefined when there is nothing to change. They only touch what the named rule is about.
// ---------------------------------------------------------------------------------------------

type SpecObject = Record<string, unknown>;
const isObject = (v: unknown): v is SpecObject => typeof v === "object" && v !== null && !Array.isArray(v);

/** A binding policy listing addresses without 127.0.0.1 gets 127.0.0.1 added (KB cause 5: the SelfUpdate tree is fetched locally). */
export function addLoopbackAddress(specInput: unknown): SpecInput | undefined {
  if (!isObject(specInput) || !isObject(specInput.bindings)) return undefined;
  const b = specInput.bindings;
  if (b.mode !== "addresses" || !Array.isArray(b.addresses)) return undefined;
  if (b.addresses.some((a) => a === "127.0.0.1")) return undefined;
  return { ...specInput, bindings: { ...b, addresses: [...b.addresses, "127.0.0.1"] } } as SpecInput;
}
