// Drive a policy pack through @pulumi/pulumi's run-policy-pack entry point over the Analyzer gRPC service,
// the way the engine does (`pulumi-analyzer-policy <engine> .` with cwd = the policy pack directory).
// (notes/pulumi-testing.md §4b). gRPC and protobuf modules come from @pulumi/pulumi's own resolution root
// (grpcDeps) so the generated stubs' instanceof checks see the same module instances.
import { createRequire } from "node:module";
import { emptyproto, grpc, structproto, unary, UNKNOWN } from "./grpcDeps";
import { startPlugin, type PluginProcess } from "./plugin";

export { grpc, UNKNOWN };

const req = createRequire(__filename);
const pulumiRequire = createRequire(req.resolve("@pulumi/pulumi/package.json"));

const analyzerrpc = pulumiRequire("./proto/analyzer_grpc_pb");
const analyzerproto = pulumiRequire("./proto/analyzer_pb");
export const runPolicyPackEntry = req.resolve("@pulumi/pulumi/cmd/run-policy-pack/index.js");
/** Pulumi's special-signature key and secret signature inside Structs. */
export const SIG_KEY = "4dabf18193072939515e22adb298388d";
export const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

export type Level = "advisory" | "mandatory" | "remediate" | "disabled";
const LEVELS: Level[] = ["advisory", "mandatory", "disabled", "remediate"]; // proto enum order

export interface TestResource {
  type: string;
  name: string;
  urn?: string;
  props: Record<string, unknown>;
  /** urn */
  parent?: string;
  dependencies?: string[];
}

export interface Diagnostic {
  policyName: string;
  message: string;
  enforcementLevel: Level;
  urn: string;
}

const urnOf = (r: TestResource) => r.urn ?? `urn:pulumi:dev::wsus-iis::${r.type}::${r.name}`;

function options(r: TestResource) {
  const o = new analyzerproto.AnalyzerResourceOptions();
  o.setProtect(false);
  if (r.parent) o.setParent(r.parent);
  return o; // must be set, or @pulumi/policy answers "A more recent version of the Pulumi CLI is required"
}

function analyzeRequest(r: TestResource) {
  const q = new analyzerproto.AnalyzeRequest();
  q.setType(r.type);
  q.setName(r.name);
  q.setUrn(urnOf(r));
  q.setProperties(structproto.Struct.fromJavaScript(r.props));
  q.setOptions(options(r));
  return q;
}

export class AnalyzerHarness {
  private constructor(
    private plugin: PluginProcess,
    private client: any,
  ) {}

  static async start(policyPackDir: string, timeoutMs = 90_000): Promise<AnalyzerHarness> {
    const plugin = await startPlugin([runPolicyPackEntry, "127.0.0.1:1", "."], { cwd: policyPackDir, timeoutMs });
    const client = new analyzerrpc.AnalyzerClient(`127.0.0.1:${plugin.port}`, grpc.credentials.createInsecure());
    return new AnalyzerHarness(plugin, client);
  }

  get stderr() {
    return this.plugin.stderr();
  }

  async getAnalyzerInfo() {
    const ai: any = await unary(this.client, "getAnalyzerInfo", new emptyproto.Empty());
    return {
      name: ai.getName() as string,
      displayName: ai.getDisplayname() as string,
      version: ai.getVersion() as string,
      supportsConfig: ai.getSupportsconfig() as boolean,
      policies: ai.getPoliciesList().map((p: any) => ({
        name: p.getName() as string,
        displayName: p.getDisplayname() as string,
        description: p.getDescription() as string,
        enforcementLevel: LEVELS[p.getEnforcementlevel()],
        configSchema: p.getConfigschema()?.getProperties()?.toJavaScript() as Record<string, any> | undefined,
        type: p.getPolicyType() === analyzerproto.PolicyType.POLICY_TYPE_STACK ? "stack" : "resource",
      })),
    };
  }

  /** The engine validates config against configSchema and applies defaults BEFORE calling Configure. */
  async configure(config: Record<string, { enforcementLevel?: Level; [k: string]: unknown }>) {
    const q = new analyzerproto.ConfigureAnalyzerRequest();
    const m = q.getPolicyconfigMap();
    for (const [name, { enforcementLevel, ...props }] of Object.entries(config)) {
      const pc = new analyzerproto.PolicyConfig();
      if (enforcementLevel) pc.setEnforcementlevel(LEVELS.indexOf(enforcementLevel));
      pc.setProperties(structproto.Struct.fromJavaScript(props));
      m.set(name, pc);
    }
    await unary(this.client, "configure", q);
  }

  private static diagnostics(resp: any): { diagnostics: Diagnostic[]; notApplicable: { policyName: string; reason: string }[] } {
    return {
      diagnostics: resp.getDiagnosticsList().map((d: any) => ({
        policyName: d.getPolicyname() as string,
        message: d.getMessage() as string,
        enforcementLevel: LEVELS[d.getEnforcementlevel()],
        urn: d.getUrn() as string,
      })),
      notApplicable: resp.getNotApplicableList().map((n: any) => ({ policyName: n.getPolicyName() as string, reason: n.getReason() as string })),
    };
  }

  async analyze(r: TestResource) {
    return AnalyzerHarness.diagnostics(await unary(this.client, "analyze", analyzeRequest(r)));
  }

  async analyzeStack(resources: TestResource[]) {
    const q = new analyzerproto.AnalyzeStackRequest();
    q.setResourcesList(
      resources.map((r) => {
        const ar = new analyzerproto.AnalyzerResource();
        ar.setType(r.type);
        ar.setName(r.name);
        ar.setUrn(urnOf(r));
        ar.setProperties(structproto.Struct.fromJavaScript(r.props));
        ar.setOptions(options(r));
        if (r.parent) ar.setParent(r.parent);
        ar.setDependenciesList(r.dependencies ?? []);
        return ar;
      }),
    );
    return AnalyzerHarness.diagnostics(await unary(this.client, "analyzeStack", q));
  }

  /** Remediate takes an AnalyzeRequest; it runs the policies whose effective level is `remediate`. */
  async remediate(r: TestResource) {
    const resp: any = await unary(this.client, "remediate", analyzeRequest(r));
    return {
      remediations: resp.getRemediationsList().map((x: any) => ({
        policyName: x.getPolicyname() as string,
        properties: x.getProperties()?.toJavaScript() as Record<string, any> | undefined,
        diagnostic: x.getDiagnostic() as string,
      })),
    };
  }

  async close() {
    this.client.close();
    await this.plugin.kill();
  }
}
