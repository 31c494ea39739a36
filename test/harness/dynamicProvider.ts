// Drive @pulumi/pulumi's real dynamic-provider plugin (what `pulumi-resource-pulumi-nodejs` runs)
// over gRPC, the way the Pulumi engine does.
import { dynamicProviderEntry, emptyproto, grpc, provproto, provrpc, structproto, unary } from "./grpcDeps";
import { startPlugin, type PluginProcess } from "./plugin";

/* eslint-disable @typescript-eslint/no-explicit-any */
type Props = Record<string, any>;

/** A DiffResponse decoded whole (see diffFull). */
export interface ProviderDiff {
  changes: "some" | "none" | "unknown";
  replaces: string[];
  stables: string[];
  diffs: string[];
  deleteBeforeReplace: boolean;
  hasDetailedDiff: boolean;
  detailedDiff: Record<string, { kind: number; inputDiff: boolean }>;
}

export class DynamicProviderHarness {
  private constructor(
    private readonly plugin: PluginProcess,
    private readonly client: any,
  ) {}

  /** cwd matters: the serialized provider resolves require()/import() from the plugin's cwd (the project root). */
  static async start(projectRoot: string, env?: NodeJS.ProcessEnv): Promise<DynamicProviderHarness> {
    // argv[0] is the engine address; the dynamic provider only checks that it is present.
    const plugin = await startPlugin([dynamicProviderEntry, "127.0.0.1:1"], { cwd: projectRoot, env });
    const client = new provrpc.ResourceProviderClient(`127.0.0.1:${plugin.port}`, grpc.credentials.createInsecure());
    return new DynamicProviderHarness(plugin, client);
  }

  get stderr(): string {
    return this.plugin.stderr();
  }

  async getPluginInfo(): Promise<string> {
    const r: any = await unary(this.client, "getPluginInfo", new emptyproto.Empty());
    return r.getVersion();
  }

  /** The engine always sends `args`; the dynamic provider throws (and never answers) if it is missing. */
  async configure(config: Props = {}): Promise<{ acceptSecrets: boolean }> {
    const req = new provproto.ConfigureRequest();
    req.setArgs(structproto.Struct.fromJavaScript(config));
    req.setAcceptsecrets(true);
    req.setAcceptresources(true);
    const r: any = await unary(this.client, "configure", req);
    return { acceptSecrets: r.getAcceptsecrets() };
  }

  async check(urn: string, olds: Props, news: Props): Promise<{ inputs: Props; failures: { property: string; reason: string }[] }> {
    const req = new provproto.CheckRequest();
    req.setUrn(urn);
    req.setOlds(structproto.Struct.fromJavaScript(olds));
    req.setNews(structproto.Struct.fromJavaScript(news));
    const r: any = await unary(this.client, "check", req);
    return {
      inputs: r.getInputs()?.toJavaScript(),
      failures: r.getFailuresList().map((f: any) => ({ property: f.getProperty(), reason: f.getReason() })),
    };
  }

  async diff(urn: string, id: string, olds: Props, news: Props): Promise<{ changes: "some" | "none" | "unknown"; replaces: string[]; deleteBeforeReplace: boolean }> {
    const req = new provproto.DiffRequest();
    req.setUrn(urn);
    req.setId(id);
    req.setOlds(structproto.Struct.fromJavaScript(olds));
    req.setNews(structproto.Struct.fromJavaScript(news));
    const r: any = await unary(this.client, "diff", req);
    const C = provproto.DiffResponse.DiffChanges;
    const changes = r.getChanges() === C.DIFF_SOME ? "some" : r.getChanges() === C.DIFF_NONE ? "none" : "unknown";
    return { changes, replaces: r.getReplacesList(), deleteBeforeReplace: r.getDeletebeforereplace() };
  }

  /**
   * Diff as the engine sees it (sdk/go/common/resource/plugin/provider_plugin.go, `provider.Diff`): the request
   * carries `olds` (old OUTPUTS), `old_inputs` and `news`; the response is decoded whole, so a caller can see
   * what the plugin does NOT send (cmd/dynamic-provider sets only changes, replaces and deleteBeforeReplace:
   * no `diffs`, no `stables`, no `detailedDiff`).
   */
  async diffFull(urn: string, id: string, olds: Props, news: Props, oldInputs?: Props): Promise<ProviderDiff> {
    const req = new provproto.DiffRequest();
    req.setUrn(urn);
    req.setId(id);
    req.setOlds(structproto.Struct.fromJavaScript(olds));
    req.setNews(structproto.Struct.fromJavaScript(news));
    if (oldInputs) req.setOldInputs(structproto.Struct.fromJavaScript(oldInputs));
    const r: any = await unary(this.client, "diff", req);
    const C = provproto.DiffResponse.DiffChanges;
    const detailed: Record<string, { kind: number; inputDiff: boolean }> = {};
    r.getDetaileddiffMap().forEach((v: any, k: string) => (detailed[k] = { kind: v.getKind(), inputDiff: v.getInputdiff() }));
    return {
      changes: r.getChanges() === C.DIFF_SOME ? "some" : r.getChanges() === C.DIFF_NONE ? "none" : "unknown",
      replaces: r.getReplacesList(),
      stables: r.getStablesList(),
      diffs: r.getDiffsList(),
      deleteBeforeReplace: r.getDeletebeforereplace(),
      hasDetailedDiff: r.getHasdetaileddiff(),
      detailedDiff: detailed,
    };
  }

  /** `timeout` (seconds): what the engine sends from customTimeouts; cmd/dynamic-provider never reads it. */
  async create(urn: string, properties: Props, preview = false, timeout?: number): Promise<{ id: string; properties: Props }> {
    const req = new provproto.CreateRequest();
    req.setUrn(urn);
    req.setProperties(structproto.Struct.fromJavaScript(properties));
    req.setPreview(preview);
    if (timeout !== undefined) req.setTimeout(timeout);
    const r: any = await unary(this.client, "create", req);
    return { id: r.getId(), properties: r.getProperties()?.toJavaScript() };
  }

  async read(urn: string, id: string, properties: Props, inputs?: Props, timeout?: number): Promise<{ id: string; properties: Props; inputs?: Props }> {
    const req = new provproto.ReadRequest();
    req.setUrn(urn);
    req.setId(id);
    req.setProperties(structproto.Struct.fromJavaScript(properties));
    if (inputs) req.setInputs(structproto.Struct.fromJavaScript(inputs));
    if (timeout !== undefined) req.setTimeout(timeout);
    const r: any = await unary(this.client, "read", req);
    return { id: r.getId(), properties: r.getProperties()?.toJavaScript(), inputs: r.getInputs()?.toJavaScript() };
  }

  async update(urn: string, id: string, olds: Props, news: Props, oldInputs?: Props, timeout?: number): Promise<{ properties: Props }> {
    const req = new provproto.UpdateRequest();
    req.setUrn(urn);
    req.setId(id);
    req.setOlds(structproto.Struct.fromJavaScript(olds));
    req.setNews(structproto.Struct.fromJavaScript(news));
    if (oldInputs) req.setOldInputs(structproto.Struct.fromJavaScript(oldInputs));
    if (timeout !== undefined) req.setTimeout(timeout);
    const r: any = await unary(this.client, "update", req);
    return { properties: r.getProperties()?.toJavaScript() };
  }

  async delete(urn: string, id: string, properties: Props, oldInputs?: Props, timeout?: number): Promise<void> {
    const req = new provproto.DeleteRequest();
    req.setUrn(urn);
    req.setId(id);
    req.setProperties(structproto.Struct.fromJavaScript(properties));
    if (oldInputs) req.setOldInputs(structproto.Struct.fromJavaScript(oldInputs));
    if (timeout !== undefined) req.setTimeout(timeout);
    await unary(this.client, "delete", req);
  }

  async close(): Promise<void> {
    this.client.close();
    await this.plugin.kill();
  }
}
