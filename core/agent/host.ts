/** What the agent needs from the machine it runs on: a command runner and two facts. */
export interface AgentHost {
  /** Run one Windows command line (cmd.exe syntax) and capture its output. */
  run(commandLine: string): Promise<{ stdout: string; stderr: string; exitCode: number }>;
  /** sha256 (hex) of a file's bytes, or null when it does not exist. */
  sha256(windowsPath: string): Promise<string | null>;
  /** Environment of the server (SystemDrive, windir, ProgramFiles …). */
  environment(): Promise<Record<string, string>>;
  /** SharePoint presence and exclusions, when the host can tell. */
  sharePoint(): Promise<{ installed: boolean; excludedPaths: string[] } | undefined>;
}
