// In-process helpers that call a policy's validateResource / validateStack / remediateResource directly,
// with args shaped like @pulumi/policy's server builds them (notes/pulumi-testing.md §4a). Logic only:
// no unknown-value proxy, no enforcement levels (the gRPC tests cover those).
import type {
  PolicyResource,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationArgs,
  StackValidationPolicy,
} from "@pulumi/policy";

export interface Violation {
  message: string;
  urn?: string;
}
export interface DirectInput {
  type: string;
  name: string;
  props: Record<string, any>;
  urn?: string;
  parent?: string;
  config?: Record<string, any>;
}

class NotApplicable extends Error {
  constructor(public reason?: string) {
    super(reason ?? "Policy does not apply");
  }
}
const urnOf = (i: { type: string; name: string; urn?: string }) => i.urn ?? `urn:pulumi:dev::wsus-iis::${i.type}::${i.name}`;
const opts = (parent?: string) => ({
  protect: false,
  ignoreChanges: [],
  aliases: [],
  additionalSecretOutputs: [],
  customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
  ...(parent ? { parent } : {}),
});

export function resourceArgs(i: DirectInput): ResourceValidationArgs {
  return {
    type: i.type,
    props: i.props,
    urn: urnOf(i),
    name: i.name,
    opts: opts(i.parent),
    stackTags: new Map(),
    isType: () => false,
    asType: (() => undefined) as any,
    getConfig: <T extends object>() => ({ ...(i.config ?? {}) }) as T,
    notApplicable: (reason?: string): never => {
      throw new NotApplicable(reason);
    },
  } as ResourceValidationArgs;
}

export async function validateResource(p: ResourceValidationPolicy, i: DirectInput): Promise<{ violations: string[]; notApplicable?: string }> {
  const violations: string[] = [];
  const fns = p.validateResource ? (Array.isArray(p.validateResource) ? p.validateResource : [p.validateResource]) : [];
  try {
    for (const fn of fns) await fn(resourceArgs(i), (message: string) => violations.push(message));
  } catch (e) {
    if (e instanceof NotApplicable) return { violations, notApplicable: e.reason };
    throw e;
  }
  return { violations };
}

/** Remediation on a copy of the props (remediations write into args.props, as the SDK intends). */
export async function remediate(p: ResourceValidationPolicy, i: DirectInput) {
  return p.remediateResource ? await p.remediateResource(resourceArgs({ ...i, props: structuredClone(i.props) })) : undefined;
}

export async function validateStack(p: StackValidationPolicy, resources: DirectInput[], config: Record<string, any> = {}): Promise<Violation[]> {
  const byUrn = new Map<string, PolicyResource>();
  const prs = resources.map((i) => {
    const pr = {
      type: i.type,
      props: i.props,
      urn: urnOf(i),
      name: i.name,
      opts: opts(i.parent),
      dependencies: [],
      propertyDependencies: {},
      isType: () => false,
      asType: () => undefined,
    } as unknown as PolicyResource;
    byUrn.set(pr.urn, pr);
    return pr;
  });
  resources.forEach((i, n) => {
    if (i.parent) (prs[n] as { parent?: PolicyResource }).parent = byUrn.get(i.parent);
  });
  const violations: Violation[] = [];
  const args = {
    resources: prs,
    stackTags: new Map(),
    getConfig: <T extends object>() => config as T,
    notApplicable: (reason?: string): never => {
      throw new NotApplicable(reason);
    },
  } as StackValidationArgs;
  await p.validateStack(args, (message: string, urn?: string) => violations.push({ message, urn }));
  return violations;
}
