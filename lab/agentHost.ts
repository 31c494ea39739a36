import { createHash } from "node:crypto";
import { promises as fsp } from "node:fs";
import type { AgentHost } from "../core/agent/host";
import { expandEnv } from "../core/model/paths";
import { resolveHostPath } from "./fs";
import { LabServer, type LabServerOptions } from "./shell";
import { readLabState } from "./state";

/**
 * The lab as the agent's host: commands go through the lab's command emulation (so a plan's command
 * lines run exactly as they would be sent to Windows), facts come from lab.json and the lab's files.
 */
export class LabAgentHost implements AgentHost {
  readonly server: LabServer;
  constructor(
    readonly dir: string,
    options: LabServerOptions = {},
    server?: LabServer,
  ) {
    this.server = server ?? new LabServer(dir, options);
  }

  run(commandLine: string) {
    return this.server.run(commandLine);
  }

  async environment(): Promise<Record<string, string>> {
    return { ...(await readLabState(this.dir)).environment };
  }

  async sha256(windowsPath: string): Promise<string | null> {
    const env = Object.fromEntries(Object.entries(await this.environment()).map(([k, v]) => [k.toLowerCase(), v]));
    const r = await resolveHostPath(this.dir, expandEnv(windowsPath, env));
    if (!r.exists) return null;
    return createHash("sha256").update(await fsp.readFile(r.hostPath)).digest("hex");
  }

  async sharePoint() {
    const sp = (await readLabState(this.dir)).features.sharePoint;
    return { installed: sp.installed, excludedPaths: [...sp.excludedPaths] };
  }
}
