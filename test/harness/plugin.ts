// Start a Pulumi plugin process the way the engine does: it prints its gRPC port as the first stdout line.
import { spawn, type ChildProcess } from "node:child_process";

export interface PluginProcess {
  port: number;
  proc: ChildProcess;
  stderr: () => string;
  stdout: () => string;
  kill: () => Promise<void>;
}

export function startPlugin(nodeArgs: string[], opts: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<PluginProcess> {
  const proc = spawn(process.execPath, nodeArgs, { cwd: opts.cwd, env: { ...process.env, ...opts.env }, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  proc.stderr!.on("data", (d) => (err += d));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill("SIGKILL");
      reject(new Error(`plugin did not print a port in time; stderr:\n${err}`));
    }, opts.timeoutMs ?? 20_000);
    proc.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`plugin exited early (${code}); stdout:\n${out}\nstderr:\n${err}`));
    });
    proc.stdout!.on("data", (d) => {
      const before = out;
      out += d;
      if (!before.includes("\n") && out.includes("\n")) {
        const port = Number(out.split("\n")[0].trim());
        clearTimeout(timer);
        proc.removeAllListeners("exit");
        resolve({
          port,
          proc,
          stderr: () => err,
          stdout: () => out,
          kill: () =>
            new Promise<void>((res) => {
              if (proc.exitCode !== null || proc.signalCode !== null) return res();
              const hard = setTimeout(() => proc.kill("SIGKILL"), 5_000);
              proc.once("exit", () => {
                clearTimeout(hard);
                res();
              });
              proc.kill("SIGTERM");
            }),
        });
      }
    });
  });
}
