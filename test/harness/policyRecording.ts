// setMocks plus a recorder of every RegisterResource request (type, name, parent URN, custom, inputs as the
// engine would receive them), so components or a whole program run under mocks can be fed to the policy
// pack's Analyzer like `pulumi preview --policy-pack` (notes/pulumi-testing.md §4c). Also: the
// serializeFunction stub every mock test that constructs WsusIisServer (a dynamic resource) needs (§1 gotcha 5).
import * as pulumi from "@pulumi/pulumi";
import { createRequire } from "node:module";

export interface Registered {
  /**
   * The URN the real engine gives the resource: the qualified type carries the parent's whole chain
   * (`Layout$IisSite$VirtualDirectory`). The MockMonitor keeps only the parent's own type (`mockUrn`).
   */
  urn: string;
  mockUrn: string;
  type: string;
  name: string;
  /** Engine-style URN of the parent. */
  parent?: string;
  custom: boolean;
  /** deserializeProperties(object): secrets stay wrapped ({ [SIG_KEY]: SECRET_SIG, value }). */
  inputs: Record<string, any>;
  /** The RegisterResource Struct as JSON (what the engine stores and hands to analyzers). */
  wire: Record<string, any>;
  /** Outputs registered later with registerOutputs (components). */
  outputs?: Record<string, any>;
}

const req = createRequire(__filename);

/**
 * `new dynamic.Resource` serialises its provider with the V8 inspector, which cannot work on code vitest has
 * transformed. Stub it BEFORE the first WsusIisServer is constructed (serialised providers are cached).
 */
export function stubSerializeFunction(): void {
  const sc = req("@pulumi/pulumi/runtime/closure/serializeClosure");
  sc.serializeFunction = async (_f: unknown, args: { exportName?: string } = {}) => ({
    text: `exports.${args.exportName ?? "handler"} = () => ({}); // stub: provider serialisation is tested in a child process`,
    exportName: "handler",
    containsSecrets: false,
  });
}

/** Mock state for a resource: WsusIisServer answers like a converged, compliant server. */
export function defaultNewResource(a: pulumi.runtime.MockResourceArgs): { id: string; state: Record<string, any> } {
  if (a.type === "pulumi-nodejs:dynamic/wsus-iis:WsusIisServer") {
    return {
      id: `${a.name}-id`,
      state: { ...a.inputs, compliant: true, findings: [], appliedCommands: [], configHash: "0".repeat(64), status: "nothing-to-do" },
    };
  }
  return { id: `${a.name}-id`, state: a.inputs };
}

export async function setRecordingMocks(
  mocks: Partial<pulumi.runtime.Mocks> = {},
  project = "wsus-iis",
  stack = "dev",
  preview = false,
): Promise<Registered[]> {
  const records: Registered[] = [];
  await pulumi.runtime.setMocks(
    { newResource: mocks.newResource ?? defaultNewResource, call: mocks.call ?? ((a) => a.inputs) },
    project,
    stack,
    preview,
  );
  const monitor: any = pulumi.runtime.getMonitor(); // the MockMonitor setMocks installed
  const register = monitor.registerResource.bind(monitor);
  const engineUrnOf = new Map<string, string>(); // mock URN -> engine URN
  monitor.registerResource = (r: any, cb: any) => {
    const mockParent: string = r.getParent();
    const parent = mockParent ? engineUrnOf.get(mockParent) ?? mockParent : undefined;
    const mockUrn: string = monitor.newUrn(mockParent, r.getType(), r.getName());
    const qualified = parent ? `${parent.split("::")[2]}$${r.getType()}` : r.getType();
    const urn = `urn:pulumi:${stack}::${project}::${qualified}::${r.getName()}`;
    engineUrnOf.set(mockUrn, urn);
    records.push({
      urn,
      mockUrn,
      type: r.getType(),
      name: r.getName(),
      parent,
      custom: r.getCustom(),
      inputs: pulumi.runtime.deserializeProperties(r.getObject()),
      wire: r.getObject()?.toJavaScript() ?? {},
    });
    return register(r, cb);
  };
  const registerOutputs = monitor.registerResourceOutputs?.bind(monitor);
  if (registerOutputs) {
    monitor.registerResourceOutputs = (r: any, cb: any) => {
      const rec = records.findLast((x) => x.mockUrn === r.getUrn()); // the latest registration under that URN
      if (rec) rec.outputs = r.getOutputs()?.toJavaScript() ?? {};
      return registerOutputs(r, cb);
    };
  }
  return records;
}

/** Resolve an Output's value (works under mocks). */
export function valueOf<T>(o: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => o.apply((v) => (resolve(v), v)));
}

/** Whether an Output is secret (internal but stable field, used by Pulumi's own tests). */
export function isSecret(o: pulumi.Output<unknown>): Promise<boolean> {
  return (o as any).isSecret as Promise<boolean>;
}

/** Wait until every registration started so far has been recorded (component children register asynchronously). */
export async function settle(...resources: pulumi.Resource[]): Promise<void> {
  await Promise.all(resources.map((r) => valueOf(r.urn)));
  await new Promise((r) => setTimeout(r, 50));
}
