/**
 * Run one operation over many servers with a bounded pool: one unreachable server never stops the
 * others, results keep the input order, and a progress callback sees every completion.
 */
export interface FleetOutcome<T> {
  target: string;
  ok: boolean;
  value?: T;
  error?: Error;
  ms: number;
}

export async function runFleet<T>(
  targets: readonly string[],
  concurrency: number,
  fn: (target: string) => Promise<T>,
  onDone?: (outcome: FleetOutcome<T>, done: number, total: number) => void,
): Promise<FleetOutcome<T>[]> {
  const results: FleetOutcome<T>[] = new Array(targets.length);
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < targets.length) {
      const i = next++;
      const t0 = performance.now();
      try {
        const value = await fn(targets[i]);
        results[i] = { target: targets[i], ok: true, value, ms: performance.now() - t0 };
      } catch (e) {
        results[i] = { target: targets[i], ok: false, error: e instanceof Error ? e : new Error(String(e)), ms: performance.now() - t0 };
      }
      onDone?.(results[i], ++done, targets.length);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, targets.length)) }, worker));
  return results;
}
