import { describe, expect, it } from "vitest";
import { BOOTSTRAP, CMD_LINE_LIMIT, decodeAnswer, decodeRequest, encodeAnswer, encodeRequest, powershellArgv, stripClixml, WireError } from "../core/agent/wire";
import type { AgentRequest } from "../core/agent/protocol";
import { describePwsh, runPwsh } from "./helpers/pwsh";

/**
 * The wire protocol (core/agent/wire.ts) and the bootstrap under a real PowerShell. Windows PowerShell
 * 5.1 itself cannot run here; pwsh runs the same script text, and test/ps51-syntax.test.ts keeps the
 * scripts in the 5.1 subset.
 */

const collectReq: AgentRequest = { op: "collect", params: { aclPaths: ["C:\\Program Files\\Update Services\\Selfupdate"], fileDirs: [], groups: ["S-1-5-32-545"] } };

/** Run the bootstrap the way a Windows host gets it: the encoded command, the payload on stdin. */
async function bootstrap(script: string, request: unknown = collectReq) {
  const [, ...args] = powershellArgv();
  const stdin = `${Buffer.from(script, "utf8").toString("base64")}\n${Buffer.from(JSON.stringify(request), "utf8").toString("base64")}\n`;
  const r = await runPwsh(args, { input: stdin });
  return { stdout: r.stdout.toString("utf8"), stderr: r.stderr, exitCode: r.exitCode };
}

const answerOf = (stdout: string) => {
  const line = stdout.split(/\r?\n/).find((l) => l.startsWith("wsus-iis:"))!;
  return JSON.parse(Buffer.from(line.slice(9), "base64").toString("utf8"));
};

describe("wire: what goes on the command line and the pipes", () => {
  it("the whole powershell.exe command line fits cmd.exe's 8,191-character limit (OpenSSH for Windows runs it under cmd /c)", () => {
    const line = powershellArgv().join(" ");
    expect(line.length).toBeLessThan(CMD_LINE_LIMIT);
    expect(powershellArgv().slice(0, 6)).toEqual(["powershell.exe", "-NoProfile", "-NonInteractive", "-ExecutionPolicy", "Bypass", "-EncodedCommand"]);
    // -EncodedCommand is base64 of UTF-16LE (about_PowerShell_exe; Ansible's _encode_script)
    expect(Buffer.from(powershellArgv()[6], "base64").toString("utf16le")).toBe(BOOTSTRAP);
  });

  it("stdin is two lines of pure ASCII whatever the request holds (localized names, accents)", () => {
    const req: AgentRequest = { op: "collect", params: { aclPaths: ["C:\\Programme\\Über Dienste"], fileDirs: ["D:\\Données"], groups: ["S-1-5-32-545"] } };
    const text = encodeRequest(req);
    expect(/^[\x20-\x7e\n]*$/.test(text)).toBe(true);
    expect(text.split("\n").filter(Boolean)).toHaveLength(2);
    expect(decodeRequest(text).request).toEqual(req);
  });

  it("the answer is one ASCII line; noise around it is ignored; a missing line is an error naming stderr", () => {
    const answer = { op: "collect", ok: true, configHash: "x", journal: [], evidence: { schema: "wsus-iis/evidence@2", applicationHostConfig: "<configuration>NT-AUTORITÄT</configuration>" } };
    const line = encodeAnswer(answer as never);
    expect(/^[\x20-\x7e]*\n$/.test(line)).toBe(true);
    expect(decodeAnswer(`Windows PowerShell banner\r\n${line}trailing noise\r\n`)).toMatchObject({ op: "collect", evidence: { applicationHostConfig: "<configuration>NT-AUTORITÄT</configuration>" } });
    const e = (() => {
      try {
        decodeAnswer("", "#< CLIXML\r\n<Objs Version=\"1.1.0.1\" xmlns=\"http://schemas.microsoft.com/powershell/2004/04\"><S S=\"Error\">boom: access denied_x000D__x000A_</S></Objs>");
      } catch (err) {
        return err as WireError;
      }
    })();
    expect(e).toBeInstanceOf(WireError);
    expect(e!.message).toBe("no answer from the agent: boom: access denied");
  });

  it("an error answer is an error, with the agent's message", () => {
    const line = encodeAnswer({ op: "error", ok: false, error: { message: "Cannot find path 'C:\\x'" } });
    expect(() => decodeAnswer(line)).toThrow(/the agent failed: Cannot find path/);
  });

  it("strips #< CLIXML progress records (Ansible's test sample) and decodes _x000D__x000A_ in error records", () => {
    // byte-exact sample from ansible/ansible test/units/plugins/shell/test_powershell.py
    const progress =
      '#< CLIXML\r\n<Objs Version="1.1.0.1" xmlns="http://schemas.microsoft.com/powershell/2004/04"><Obj S="progress" RefId="0"><TN RefId="0"><T>System.Management.Automation.PSCustomObject</T><T>System.Object</T></TN><MS><I64 N="SourceId">1</I64><PR N="Record"><AV>Preparing modules for first use.</AV><AI>0</AI><Nil /><PI>-1</PI><PC>-1</PC><T>Completed</T><SR>-1</SR><SD> </SD></PR></MS></Obj></Objs>';
    expect(stripClixml(progress)).toBe("");
    const error =
      '#< CLIXML\r\n<Objs Version="1.1.0.1" xmlns="http://schemas.microsoft.com/powershell/2004/04"><S S="Error">fake : The term \'fake\' is not recognized as the name of a cmdlet. Check _x000D__x000A_</S><S S="Error">the spelling of the name, or if a path was included._x000D__x000A_</S></Objs>';
    expect(stripClixml(error)).toBe("fake : The term 'fake' is not recognized as the name of a cmdlet. Check \r\nthe spelling of the name, or if a path was included.");
    expect(stripClixml("plain error")).toBe("plain error");
  });
});

describePwsh("wire: the bootstrap under a real PowerShell", () => {
  it("runs the script as one scriptblock and answers with one base64 line, exit 0", async () => {
    const r = await bootstrap("param($RequestJson)\n$r = ConvertFrom-Json $RequestJson\n'{\"op\":\"echo\",\"groups\":\"' + $r.params.groups[0] + '\"}'");
    expect(r.exitCode).toBe(0);
    expect(answerOf(r.stdout)).toEqual({ op: "echo", groups: "S-1-5-32-545" });
  });

  it("statement-by-statement hazards of `-Command -` do not apply: blank lines inside blocks, `{` on the next line, Stop across statements", async () => {
    // PowerShell #3223 (blank line ends a block at the prompt), #2068 (`{` on the next line), #21808 (Stop not carried)
    const script = [
      "param($RequestJson)",
      "$ErrorActionPreference = 'Stop'",
      "function Get-Two",
      "{",
      "",
      "  2",
      "}",
      "if ($true)",
      "{",
      "",
      "  $x = Get-Two",
      "}",
      "'{\"x\":' + $x + '}'",
    ].join("\r\n");
    const r = await bootstrap(script);
    expect(r.exitCode).toBe(0);
    expect(answerOf(r.stdout)).toEqual({ x: 2 });
  });

  it("a throwing agent answers an error object and exits 1; nothing after the throw runs", async () => {
    const r = await bootstrap("param($RequestJson)\n$ErrorActionPreference='Stop'\nGet-Item -LiteralPath '/no/such/file'\n'{\"op\":\"collect\"}'");
    expect(r.exitCode).toBe(1);
    const a = answerOf(r.stdout);
    expect(a.op).toBe("error");
    expect(a.error.message).toMatch(/no\/such\/file/);
    expect(() => decodeAnswer(r.stdout, r.stderr)).toThrow(/the agent failed/);
  });

  it("a syntax error is an error answer with exit 1, not a silent 0 (PowerShell #21784)", async () => {
    const r = await bootstrap("param($RequestJson)\nif ($true) {\n'{}'");
    expect(r.exitCode).toBe(1);
    expect(answerOf(r.stdout).op).toBe("error");
  });

  it("garbage on stdin is an error answer, exit 1", async () => {
    const [, ...args] = powershellArgv();
    const r = await runPwsh(args, { input: "not base64 at all\n" });
    expect(r.exitCode).toBe(1);
    expect(answerOf(r.stdout.toString("utf8")).error.message).toMatch(/two base64 lines/);
  });

  it("stray pipeline output before the answer is dropped: the last object is the answer", async () => {
    const r = await bootstrap("param($RequestJson)\n'noise'\n42\n'{\"op\":\"last\"}'");
    expect(r.exitCode).toBe(0);
    expect(answerOf(r.stdout)).toEqual({ op: "last" });
  });
});
