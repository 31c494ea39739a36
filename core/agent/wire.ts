import { readFileSync } from "node:fs";
import { join } from "node:path";
import { AgentRequest, AgentResponse } from "./protocol";

/**
 * The wire between a client and a Windows host (ssh, local) or the lab's stand-in for one.
 *
 * Why it looks like this (sources in ../shared/notes/REAL_WINDOWS.md):
 * - OpenSSH for Windows runs the command under `cmd.exe /c` (Win32-OpenSSH #1768), whose line limit is
 *   8,191 characters (Microsoft Learn, "Command prompt line string limitation"): only a short bootstrap
 *   fits on the command line, as `-EncodedCommand` (base64 of UTF-16LE, as Ansible's
 *   `_encode_script` builds it).
 * - `powershell -Command -` would run stdin statement by statement, as typed at a prompt: `Stop` does
 *   not carry across statements and the exit code is the last statement's (about_PowerShell_exe;
 *   PowerShell #3223, #21784). The bootstrap instead reads all of stdin and runs the agent as one
 *   scriptblock inside try/catch, the pattern of Ansible's bootstrap_wrapper.ps1.
 * - Redirected console output and stdin use the console code page (OEM 850 on German and French
 *   servers): both directions carry only ASCII. Down: two base64 lines (the agent script, the request
 *   JSON, both UTF-8). Up: one line `wsus-iis:<base64 of UTF-8 JSON>`; anything else on stdout is noise.
 * - A failure still answers: an `error` object and exit code 1.
 */

/** The bootstrap, kept short; Windows PowerShell 5.1 syntax. */
export const BOOTSTRAP = [
  "$ProgressPreference='SilentlyContinue'",
  "$e=New-Object Text.UTF8Encoding $false",
  "try{[Console]::InputEncoding=$e;[Console]::OutputEncoding=$e}catch{}",
  "function w($j){[Console]::Out.WriteLine('wsus-iis:'+[Convert]::ToBase64String($e.GetBytes([string]$j)))}",
  "try{",
  "$l=@($input)",
  "if($l.Count -lt 2){throw 'wsus-iis: expected two base64 lines on standard input (agent script, request)'}",
  "$s=[ScriptBlock]::Create($e.GetString([Convert]::FromBase64String($l[0])))",
  "$o=@(& $s -RequestJson $e.GetString([Convert]::FromBase64String($l[1])))",
  "if($o.Count -lt 1){throw 'wsus-iis: the agent returned nothing'}",
  "w $o[-1];exit 0",
  "}catch{",
  "$p='';if($_.InvocationInfo){$p=[string]$_.InvocationInfo.PositionMessage}",
  "w ('{\"op\":\"error\",\"ok\":false,\"error\":{\"message\":'+(ConvertTo-Json ([string]$_.Exception.Message))+',\"position\":'+(ConvertTo-Json $p)+'}}');exit 1",
  "}",
].join("\n");

/** cmd.exe's limit for a whole command line (Microsoft Learn). */
export const CMD_LINE_LIMIT = 8191;

/** Answers larger than this are refused (a broken or hostile endpoint must not exhaust the client). */
export const MAX_ANSWER_BYTES = 64 * 1024 * 1024;

export const ANSWER_PREFIX = "wsus-iis:";

/** `-EncodedCommand` takes base64 of the UTF-16LE script (about_PowerShell_exe). */
export function encodeCommand(script: string): string {
  return Buffer.from(script, "utf16le").toString("base64");
}

/** The program and arguments that start the agent on a Windows host. */
export function powershellArgv(): string[] {
  return ["powershell.exe", "-NoProfile", "-NonInteractive", "-ExecutionPolicy", "Bypass", "-EncodedCommand", encodeCommand(BOOTSTRAP)];
}

let agentScript: string | undefined;
/** scripts/agent.ps1, as shipped. */
export function agentScriptText(): string {
  agentScript ??= readFileSync(join(__dirname, "..", "..", "scripts", "agent.ps1"), "utf8");
  return agentScript;
}

/** What goes on the agent's standard input: two base64 lines. */
export function encodeRequest(request: AgentRequest, script = agentScriptText()): string {
  return `${Buffer.from(script, "utf8").toString("base64")}\n${Buffer.from(JSON.stringify(request), "utf8").toString("base64")}\n`;
}

export class WireError extends Error {
  constructor(
    message: string,
    readonly kind: "protocol" | "agent-error" | "too-large",
  ) {
    super(message);
    this.name = "WireError";
  }
}

/** The server side (the lab's stand-in for the bootstrap): the script and the request from stdin. */
export function decodeRequest(stdin: string): { script: string; request: unknown } {
  const lines = stdin.split(/\r?\n/).filter((l) => l.trim() !== "");
  if (lines.length < 2) throw new WireError("expected two base64 lines on standard input (agent script, request)", "protocol");
  const b64 = (s: string, what: string) => {
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(s.trim())) throw new WireError(`the ${what} line is not base64`, "protocol");
    return Buffer.from(s.trim(), "base64").toString("utf8");
  };
  const script = b64(lines[0], "agent script");
  const requestText = b64(lines[1], "request");
  try {
    return { script, request: JSON.parse(requestText) };
  } catch (e) {
    throw new WireError(`the request is not JSON: ${(e as Error).message}`, "protocol");
  }
}

/** The server side: the one answer line. */
export function encodeAnswer(response: AgentResponse | { op: "error"; ok: false; error: { message: string } }): string {
  return `${ANSWER_PREFIX}${Buffer.from(JSON.stringify(response), "utf8").toString("base64")}\n`;
}

/**
 * `#< CLIXML` on stderr (what powershell.exe prints for progress and error records when its output
 * is redirected; inspec/train #153, Ansible's `_parse_clixml`): the text of its `<S S="Error">`
 * strings, `_x000D__x000A_` escapes decoded. Other stderr is returned as is.
 */
export function stripClixml(stderr: string): string {
  if (!stderr.trimStart().startsWith("#< CLIXML")) return stderr;
  const parts: string[] = [];
  for (const m of stderr.matchAll(/<S S="Error">([\s\S]*?)<\/S>/g)) {
    parts.push(
      m[1]
        .replace(/_x([0-9A-Fa-f]{4})_/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)))
        .replace(/&lt;/g, "<")
        .replace(/&gt;/g, ">")
        .replace(/&quot;/g, '"')
        .replace(/&apos;/g, "'")
        .replace(/&amp;/g, "&"),
    );
  }
  const rest = stderr.replace(/#< CLIXML\r?\n?/, "").replace(/<Objs[\s\S]*?<\/Objs>/g, "").trim();
  return [parts.join("").trim(), rest].filter(Boolean).join("\n");
}

/**
 * The client side: the agent's answer from its stdout. Throws WireError: no answer line (with the
 * cleaned stderr as the reason), an undecodable or invalid answer, or an `error` answer.
 */
export function decodeAnswer(stdout: string, stderr = ""): AgentResponse {
  const line = stdout.split(/\r?\n/).find((l) => l.startsWith(ANSWER_PREFIX));
  if (line === undefined) {
    const why = stripClixml(stderr).trim().split(/\r?\n/).slice(-3).join(" ");
    const noise = stdout.trim().slice(0, 120);
    throw new WireError(`no answer from the agent${why ? `: ${why}` : noise ? `; it printed ${JSON.stringify(noise)}` : ""}`, "protocol");
  }
  const payload = line.slice(ANSWER_PREFIX.length).trim();
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(payload)) throw new WireError("the answer line is not base64", "protocol");
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(payload, "base64").toString("utf8"));
  } catch (e) {
    throw new WireError(`the answer is not JSON: ${(e as Error).message}`, "protocol");
  }
  const r = AgentResponse.safeParse(parsed);
  if (!r.success) {
    const i = r.error.issues[0];
    throw new WireError(`the answer does not follow the protocol: ${i?.path.join(".") || "(root)"}: ${i?.message}`, "protocol");
  }
  if (r.data.op === "error") throw new WireError(`the agent failed: ${r.data.error.message}${r.data.error.position ? ` (${r.data.error.position.trim().split(/\r?\n/)[0]})` : ""}`, "agent-error");
  return r.data;
}

/** Validate a request before it is sent (a bug here must never reach a server). */
export function checkRequest(request: AgentRequest): AgentRequest {
  return AgentRequest.parse(request);
}
