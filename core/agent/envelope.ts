import { readFileSync } from "node:fs";
import { join } from "node:path";
import { psHereString, readPsHereString } from "../commands/quote";
import type { AgentRequest } from "./protocol";

/**
 * What goes down the wire to a Windows host: scripts/agent.ps1 preceded by the request as a
 * single-quoted PowerShell here-string (JSON.stringify yields one line, so the `'@` terminator
 * cannot occur inside it). The lab's stand-in for `powershell -Command -` reads the request back out.
 */
export const POWERSHELL_COMMAND = ["powershell.exe", "-NoProfile", "-NonInteractive", "-ExecutionPolicy", "Bypass", "-Command", "-"];

let agentScript: string | undefined;
export function agentScriptText(): string {
  agentScript ??= readFileSync(join(__dirname, "..", "..", "scripts", "agent.ps1"), "utf8");
  return agentScript;
}

export function wrapRequest(request: AgentRequest): string {
  return `$RequestJson = ${psHereString(JSON.stringify(request))}\n${agentScriptText()}\n`;
}

/** The request inside an envelope (the lab's side of `powershell -Command -`). */
export function unwrapRequest(stdin: string): unknown {
  const prefix = "$RequestJson = ";
  const json = stdin.startsWith(prefix) ? readPsHereString(stdin.slice(prefix.length)) : null;
  if (json === null) throw new Error("not a wsus-iis agent envelope");
  return JSON.parse(json);
}
