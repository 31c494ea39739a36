// Size and cold-load cost of the serialized WsusIisServer provider, measured the way the engine uses
// it: the real constructor serializes it in one process, a fresh process loads it like
// cmd/dynamic-provider and answers a first Check. Needs an up-to-date dist/ (see build.ts).
import { ROOT } from "./build";
import { captureProvider, ProviderHost } from "./providerChild";

export interface ProviderMeasurement {
  /** Length of the `__provider` text in bytes (UTF-8). */
  bytes: number;
  /** `new WsusIisServer(...)` until its URN resolved, serialization included (median, ms). */
  serializeMs: number;
  /** requireFromString(text).handler() in a fresh process (median, ms). */
  loadMs: number;
  /** The first call (Check) in that process: loads wsus-iis/provider-runtime, zod and the project's modules (median, ms). */
  firstCallMs: number;
  /** A second Check in the same process (median, ms). */
  warmCallMs: number;
  /** loadMs + firstCallMs: what a fresh plugin spends before its first answer (median, ms). */
  coldMs: number;
  runs: number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const round = (x: number) => Math.round(x * 10) / 10;

export async function measureProvider(opts: { runs?: number; root?: string } = {}): Promise<ProviderMeasurement> {
  const root = opts.root ?? ROOT;
  const runs = Math.max(1, opts.runs ?? 3);
  const news = { spec: {}, target: "lab:/nonexistent/measure" };
  const bytes: number[] = [];
  const serialize: number[] = [];
  const load: number[] = [];
  const first: number[] = [];
  const warm: number[] = [];
  for (let i = 0; i < runs; i++) {
    const cap = captureProvider(news, { root });
    bytes.push(Buffer.byteLength(cap.inputs.__provider, "utf8"));
    serialize.push(cap.serializeMs);
    const host = await ProviderHost.start(cap.inputs.__provider, { cwd: root, root });
    try {
      load.push(host.loadMs);
      const a = await host.call("check", {}, news);
      if (!a.ok) throw new Error(`check failed in the measured provider: ${a.error?.message}`);
      first.push(a.ms);
      warm.push((await host.call("check", {}, news)).ms);
    } finally {
      await host.close();
    }
  }
  return {
    bytes: median(bytes),
    serializeMs: round(median(serialize)),
    loadMs: round(median(load)),
    firstCallMs: round(median(first)),
    warmCallMs: round(median(warm)),
    coldMs: round(median(load.map((l, i) => l + first[i]))),
    runs,
  };
}
