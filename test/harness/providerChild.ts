// Child-process helpers for the serialized provider: capture `__provider` from the real WsusIisServer
// constructor (scripts/capture-provider.cjs, plain Node), and host it in a fresh process that loads it
// like cmd/dynamic-provider does (scripts/provider-host.cjs).
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import * as readline from "node:readline";
import { ROOT } from "./build";

/* eslint-disable @typescript-eslint/no-explicit-any */
export interface Captured {
  type: string;
  name: string;
  inputs: Record<string, any>;
  serializeMs: number;
}

/**
 * Run the real `new WsusIisServer("srv", args)` under setMocks in a child process and return what the
 * engine would receive. `module`: "wsus-iis/provider" (dist, default) or "./provider/index.ts" with tsx
 * (`tsx: true`) or with the language host's ts-node (`tsNode: true`, as `typescript: true` in Pulumi.yaml runs it).
 * In `args`, `{ $secret: v }` becomes pulumi.secret(v).
 */
export function captureProvider(args: Record<string, unknown>, opts: { module?: string; tsx?: boolean; tsNode?: boolean; root?: string } = {}): Captured {
  const root = opts.root ?? ROOT;
  const argv = [...(opts.tsx ? ["--import", "tsx"] : []), path.join(root, "scripts", "capture-provider.cjs"), JSON.stringify(args), ...(opts.module ? [opts.module] : [])];
  const env = { ...process.env, WSUS_CAPTURE_TS_NODE: opts.tsNode ? "1" : "" };
  const out = execFileSync(process.execPath, argv, { cwd: root, encoding: "utf8", timeout: 60_000, env });
  return JSON.parse(out.trim().split("\n").pop()!);
}

export interface CallReply {
  ok: boolean;
  result?: any;
  error?: { name?: string; message: string; stack: string };
  ms: number;
}

/** A fresh process holding one serialized provider (loaded like cmd/dynamic-provider); call its methods. */
export class ProviderHost {
  private nextId = 1;
  private readonly waiting = new Map<number, (r: CallReply) => void>();
  private stderrText = "";

  private constructor(
    private readonly proc: ChildProcess,
    private readonly tmp: string,
    readonly loadMs: number,
  ) {}

  /** cwd: the plugin's cwd (the project directory) from which the provider resolves wsus-iis. */
  static start(providerText: string, opts: { cwd?: string; env?: NodeJS.ProcessEnv; root?: string } = {}): Promise<ProviderHost> {
    const root = opts.root ?? ROOT;
    const tmp = mkdtempSync(path.join(tmpdir(), "wsus-provider-text-"));
    const file = path.join(tmp, "provider.js");
    writeFileSync(file, providerText);
    const proc = spawn(process.execPath, [path.join(root, "scripts", "provider-host.cjs"), file], {
      cwd: opts.cwd ?? root,
      env: { ...process.env, ...opts.env },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stderr = "";
    proc.stderr!.on("data", (d) => (stderr += d));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        proc.kill("SIGKILL");
        reject(new Error(`provider host did not start; stderr:\n${stderr}`));
      }, 30_000);
      let host: ProviderHost | undefined;
      readline.createInterface({ input: proc.stdout! }).on("line", (line) => {
        const m = JSON.parse(line);
        if (!host) {
          clearTimeout(timer);
          if (!m.ready) return reject(new Error(`provider failed to load: ${m.error?.message}`));
          host = new ProviderHost(proc, tmp, m.loadMs);
          proc.stderr!.removeAllListeners("data");
          host.stderrText = stderr;
          proc.stderr!.on("data", (d) => (host!.stderrText += d));
          return resolve(host);
        }
        host.waiting.get(m.id)?.(m);
        host.waiting.delete(m.id);
      });
      proc.on("exit", (code) => {
        clearTimeout(timer);
        if (!host) reject(new Error(`provider host exited (${code}); stderr:\n${stderr}`));
        else for (const [, w] of host.waiting) w({ ok: false, error: { message: `provider host exited (${code})`, stack: "" }, ms: 0 });
      });
    });
  }

  get stderr(): string {
    return this.stderrText;
  }

  call(method: string, ...args: unknown[]): Promise<CallReply> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.waiting.set(id, resolve);
      this.proc.stdin!.write(JSON.stringify({ id, method, args }) + "\n");
    });
  }

  /** call() that returns the result or throws an Error carrying the provider's message. */
  async invoke<T = any>(method: string, ...args: unknown[]): Promise<T> {
    const r = await this.call(method, ...args);
    if (!r.ok) throw new Error(r.error!.message);
    return r.result as T;
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        rmSync(this.tmp, { recursive: true, force: true });
        resolve();
      };
      if (this.proc.exitCode !== null || this.proc.signalCode !== null) return done();
      const hard = setTimeout(() => this.proc.kill("SIGKILL"), 5_000);
      this.proc.once("exit", () => {
        clearTimeout(hard);
        done();
      });
      this.proc.stdin!.end();
    });
  }
}
