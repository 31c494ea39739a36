// A minimal stand-in for `pulumi up/preview --policy-pack` (notes/pulumi-testing.md §5): serves
// pulumirpc.ResourceMonitor + pulumirpc.Engine, runs the stack program through @pulumi/pulumi's real
// language-host entry (cmd/run), forwards dynamic resources to the real dynamic-provider plugin and asks
// the real policy pack, in the engine's order (pkg/resource/deploy/step_generator.go): Check (custom
// resources), Remediate, Analyze — for every registered resource, components included — then Create; and
// AnalyzeStack on the final outputs once the program has finished.
// Not implemented: state across runs (Diff/Update/Delete), refresh, Read, invokes, transforms, hooks.
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { AnalyzerHarness, SECRET_SIG, SIG_KEY, grpc, type Diagnostic } from "./analyzer";
import { DynamicProviderHarness } from "./dynamicProvider";

const req = createRequire(__filename);
const pulumiRequire = createRequire(req.resolve("@pulumi/pulumi/package.json"));
const resrpc = pulumiRequire("./proto/resource_grpc_pb");
const resproto = pulumiRequire("./proto/resource_pb");
const engrpc = pulumiRequire("./proto/engine_grpc_pb");
const engproto = pulumiRequire("./proto/engine_pb");
const structproto = pulumiRequire("google-protobuf/google/protobuf/struct_pb");
const emptyproto = pulumiRequire("google-protobuf/google/protobuf/empty_pb");
const runProgramEntry = req.resolve("@pulumi/pulumi/cmd/run/index.js");

export interface EngineOptions {
  projectRoot: string;
  /** As Pulumi.yaml `main` passes it (e.g. "index.ts"), relative to projectRoot. */
  program: string;
  project: string;
  stack: string;
  preview?: boolean;
  /** "<project>:<key>" -> value (strings, as the CLI passes them). */
  config?: Record<string, string>;
  secretKeys?: string[];
  policyPackDir?: string;
  /** Policy config sent with Configure (the CLI's --policy-pack-config, defaults applied). */
  policyConfig?: Record<string, { enforcementLevel?: "advisory" | "mandatory" | "remediate" | "disabled"; [k: string]: unknown }>;
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
}

export interface Step {
  urn: string;
  type: string;
  name: string;
  custom: boolean;
  parent?: string;
  id?: string;
  inputs: Record<string, any>;
  outputs: Record<string, any>;
  op: "create" | "preview" | "component" | "remediated";
}

export interface EngineResult {
  exitCode: number | null;
  /** Step failures as the engine reports them (policy violations, Check failures, provider errors). */
  errors: string[];
  steps: Step[];
  stackOutputs: Record<string, any>;
  /** Every diagnostic of the pack: Analyze per resource, then AnalyzeStack. */
  policyViolations: (Diagnostic & { stage: "resource" | "stack" })[];
  remediations: { urn: string; policyName: string }[];
  logs: { severity: number; message: string; urn: string }[];
  stdout: string;
  stderr: string;
  /** What `pulumi` would print last: succeeded, or failed (a mandatory violation, an error). */
  result: "succeeded" | "failed";
}

export const unsecret = (v: any): any =>
  Array.isArray(v)
    ? v.map(unsecret)
    : v && typeof v === "object"
      ? v[SIG_KEY] === SECRET_SIG
        ? unsecret(v.value)
        : Object.fromEntries(Object.entries(v).map(([k, x]) => [k, unsecret(x)]))
      : v;

export async function runEngine(o: EngineOptions): Promise<EngineResult> {
  const steps: Step[] = [];
  const logs: EngineResult["logs"] = [];
  const policyViolations: EngineResult["policyViolations"] = [];
  const remediations: EngineResult["remediations"] = [];
  const errors: string[] = [];
  let sawError = false;
  let stackOutputs: Record<string, any> = {};
  let rootUrn = "";
  let dyn: DynamicProviderHarness | undefined;
  const analyzer = o.policyPackDir ? await AnalyzerHarness.start(o.policyPackDir) : undefined;
  if (analyzer && o.policyConfig) await analyzer.configure(o.policyConfig);
  const getDyn = async () => {
    if (!dyn) {
      dyn = await DynamicProviderHarness.start(o.projectRoot);
      await dyn.configure({});
    }
    return dyn;
  };
  // Like the engine: a failed step is reported by the ENGINE, and the program is told the monitor is going
  // away (UNAVAILABLE) so it stops quietly; anything else leaves the program hanging (notes §5).
  const fail = (cb: any, e: unknown) => {
    errors.push(String((e as any)?.details ?? (e as any)?.message ?? e));
    sawError = true;
    cb({ code: grpc.status.UNAVAILABLE, details: "resource monitor shut down while waiting on step's done channel" });
  };

  const monitor = {
    supportsFeature(call: any, cb: any) {
      const r = new resproto.SupportsFeatureResponse();
      r.setHassupport(["secrets", "resourceReferences"].includes(call.request.getId()));
      cb(null, r);
    },
    async registerResource(call: any, cb: any) {
      try {
        const q = call.request;
        const type: string = q.getType();
        const name: string = q.getName();
        const parent: string = q.getParent();
        const custom: boolean = q.getCustom();
        const parentQualified = parent ? parent.split("::")[2] : "";
        const qualified = parentQualified && parentQualified !== "pulumi:pulumi:Stack" ? `${parentQualified}$${type}` : type;
        const urn = `urn:pulumi:${o.stack}::${o.project}::${qualified}::${name}`;
        let inputs: Record<string, any> = q.getObject()?.toJavaScript() ?? {};
        let op: Step["op"] = custom ? (o.preview ? "preview" : "create") : "component";

        if (custom && type.startsWith("pulumi-nodejs:dynamic")) {
          const c = await (await getDyn()).check(urn, {}, unsecret(inputs)); // acceptSecrets=false: the engine unwraps
          if (c.failures.length) throw new Error(`${urn}: ${c.failures.map((f) => `${f.property}: ${f.reason}`).join("; ")}`);
          inputs = c.inputs;
        }
        if (analyzer) {
          const r = { type, name, urn, props: inputs, parent: parent || undefined };
          for (const rem of (await analyzer.remediate(r)).remediations) {
            if (rem.properties) {
              inputs = rem.properties;
              remediations.push({ urn, policyName: rem.policyName });
              op = op === "component" ? op : "remediated";
            }
          }
          const a = await analyzer.analyze({ ...r, props: inputs });
          policyViolations.push(...a.diagnostics.map((d) => ({ ...d, urn, stage: "resource" as const })));
          const mandatory = a.diagnostics.filter((d) => d.enforcementLevel === "mandatory");
          if (mandatory.length) {
            sawError = true;
            if (!o.preview) throw new Error(`policy violation: ${mandatory.map((d) => `[${d.policyName}] ${d.message}`).join("; ")}`);
          }
        }

        let id = "";
        let outputs: Record<string, any> = {};
        if (custom) {
          if (o.preview) {
            outputs = inputs; // no Create during preview; what the provider computes stays unknown
          } else if (type.startsWith("pulumi-nodejs:dynamic")) {
            const c = await (await getDyn()).create(urn, unsecret(inputs));
            id = c.id;
            outputs = c.properties;
            if (op === "remediated") op = "create";
          } else {
            throw new Error(`${type}: only dynamic resources have a provider in this engine`);
          }
        }
        steps.push({ urn, type, name, custom, parent: parent || undefined, id, inputs, outputs, op });
        const resp = new resproto.RegisterResourceResponse();
        resp.setUrn(urn);
        resp.setId(id);
        resp.setObject(structproto.Struct.fromJavaScript(outputs));
        cb(null, resp);
      } catch (e) {
        if (process.env.MINI_DEBUG) console.error("[policyEngine] registerResource failed:", e);
        fail(cb, e);
      }
    },
    registerResourceOutputs(call: any, cb: any) {
      const urn = call.request.getUrn();
      const outs = call.request.getOutputs()?.toJavaScript() ?? {};
      const s = steps.find((x) => x.urn === urn);
      if (s) s.outputs = { ...s.outputs, ...outs };
      if (urn === rootUrn || urn.includes("::pulumi:pulumi:Stack::")) stackOutputs = outs;
      cb(null, new emptyproto.Empty());
    },
    registerPackage(call: any, cb: any) {
      const r = new resproto.RegisterPackageResponse();
      r.setRef(`pkg-${call.request.getName()}`);
      cb(null, r);
    },
    signalAndWaitForShutdown(_call: any, cb: any) {
      cb(null, new emptyproto.Empty());
    },
  };
  const engine = {
    log(call: any, cb: any) {
      logs.push({ severity: call.request.getSeverity(), message: call.request.getMessage(), urn: call.request.getUrn() });
      cb(null, new emptyproto.Empty());
    },
    getRootResource(_c: any, cb: any) {
      const r = new engproto.GetRootResourceResponse();
      r.setUrn(rootUrn);
      cb(null, r);
    },
    setRootResource(c: any, cb: any) {
      rootUrn = c.request.getUrn();
      cb(null, new engproto.SetRootResourceResponse());
    },
  };

  const server = new grpc.Server();
  server.addService(resrpc.ResourceMonitorService, monitor as any);
  server.addService(engrpc.EngineService, engine as any);
  const port: number = await new Promise((res, rej) => server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (e, p) => (e ? rej(e) : res(p))));
  const addr = `127.0.0.1:${port}`;

  const args = [runProgramEntry, `--monitor=${addr}`, `--engine=${addr}`, `--project=${o.project}`, `--stack=${o.stack}`, `--pwd=${o.projectRoot}`, ...(o.preview ? ["--dry-run"] : []), o.program];
  const child = spawn(process.execPath, args, {
    cwd: o.projectRoot,
    env: { ...process.env, PULUMI_CONFIG: JSON.stringify(o.config ?? {}), PULUMI_CONFIG_SECRET_KEYS: JSON.stringify(o.secretKeys ?? []), ...o.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => (stdout += d));
  child.stderr.on("data", (d) => (stderr += d));
  const killer = setTimeout(() => {
    stderr += "\n[policyEngine] program timed out; killing";
    child.kill("SIGKILL");
  }, o.timeoutMs ?? 120_000);
  const exitCode: number | null = await new Promise((res) => child.on("exit", (c) => res(c)));
  clearTimeout(killer);

  if (analyzer && exitCode === 0 && errors.length === 0) {
    const s = await analyzer.analyzeStack(steps.map((x) => ({ type: x.type, name: x.name, urn: x.urn, props: x.outputs, parent: x.parent })));
    policyViolations.push(...s.diagnostics.map((d) => ({ ...d, stage: "stack" as const })));
    if (s.diagnostics.some((d) => d.enforcementLevel === "mandatory")) sawError = true;
  }
  await Promise.all([dyn?.close(), analyzer?.close(), new Promise<void>((r) => server.tryShutdown(() => r()))]);
  const result = exitCode === 0 && !sawError ? "succeeded" : "failed";
  return { exitCode, errors, steps, stackOutputs, policyViolations, remediations, logs, stdout, stderr, result };
}
