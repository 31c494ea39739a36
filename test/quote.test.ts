import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseWindowsCommandLine } from "../core/commands/argv";
import { commandLine, quoteArg, serverPathArg, switchArg, UnsafeArgumentError } from "../core/commands/quote";
import { decodeRequest, encodeRequest } from "../core/agent/wire";
import { renderAction } from "../core/plan/render";
import { RepairAction } from "../core/plan/actions";

describe("Windows command-line parsing (CommandLineToArgvW rules)", () => {
  it.each([
    ['a b c', ["a", "b", "c"]],
    ['"a b" c', ["a b", "c"]],
    ['/physicalPath:"C:\\Program Files\\x"', ["/physicalPath:C:\\Program Files\\x"]],
    ['"C:\\dir\\\\" next', ["C:\\dir\\", "next"]],
    ['a\\\\\\"b', ['a\\"b']],
    ['a\\\\b', ["a\\\\b"]],
    ['"a""b"', ['a"b']],
    ['  spaced\t\targs  ', ["spaced", "args"]],
    ['""', [""]],
  ])("argument %s", (line, argv) => {
    expect(parseWindowsCommandLine(`prog ${line}`)).toEqual(["prog", ...argv]);
  });

  it("the program name knows only quotes (backslashes are literal)", () => {
    expect(parseWindowsCommandLine('"C:\\Program Files\\x\\" /y')).toEqual(["C:\\Program Files\\x\\", "/y"]);
    expect(parseWindowsCommandLine("%windir%\\system32\\inetsrv\\appcmd.exe list site")).toEqual(["%windir%\\system32\\inetsrv\\appcmd.exe", "list", "site"]);
  });
});

describe("quoting", () => {
  it("quotes spaces and empty values, doubles a trailing backslash inside quotes", () => {
    expect(quoteArg("plain")).toBe("plain");
    expect(quoteArg("Default Web Site")).toBe('"Default Web Site"');
    expect(quoteArg("")).toBe('""');
    expect(quoteArg("C:\\Program Files\\")).toBe('"C:\\Program Files\\\\"');
    expect(switchArg("physicalPath", "C:\\Program Files\\Update Services\\Selfupdate")).toBe('/physicalPath:"C:\\Program Files\\Update Services\\Selfupdate"');
  });

  it.each(['a"b', "50%", "a&calc", "x|y", "a^b", "<in", "out>", "bang!", "line\nbreak", "nul\0", "tick`"])("refuses %j", (v) => {
    expect(() => quoteArg(v)).toThrow(UnsafeArgumentError);
  });

  it("property: any value either is refused or comes back as exactly one argument, unchanged", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 40 }), fc.string({ unit: "binary", maxLength: 20 }), (v, w) => {
        let line: string;
        try {
          line = commandLine("appcmd", "set", quoteArg(v), switchArg("physicalPath", w));
        } catch (e) {
          expect(e).toBeInstanceOf(UnsafeArgumentError);
          return;
        }
        expect(parseWindowsCommandLine(line)).toEqual(["appcmd", "set", v, `/physicalPath:${w}`]);
        // nothing cmd.exe would act on survives
        expect(line).not.toMatch(/[&|<>^%!`\r\n]/);
      }),
      { numRuns: 3000 },
    );
  });

  it("property: hostile names in repair actions never escape their argument", () => {
    const hostile = fc.oneof(
      fc.string({ maxLength: 30 }),
      fc.constantFrom('x" & calc.exe & "', "a %PATH% b", "WSUS Administration", "C:\\Program Files (x86)\\U S\\", "' or 1=1", "ü ñ 文字"),
    );
    fc.assert(
      fc.property(hostile, hostile, (site, path) => {
        const actions: RepairAction[] = [
          { kind: "add-vdir", site, name: "Selfupdate", physicalPath: path },
          { kind: "set-auth", site, path: "/Selfupdate", auth: "anonymous", enabled: true },
          { kind: "grant-acl", path, principal: site, sid: null, rights: "RX" },
          { kind: "add-group-member", group: site, groupSid: null, member: site },
        ];
        for (const a of actions) {
          let line: string | null;
          try {
            line = renderAction(a);
          } catch (e) {
            expect(e).toBeInstanceOf(UnsafeArgumentError);
            continue;
          }
          const argv = parseWindowsCommandLine(line!);
          if (a.kind === "add-vdir") expect(argv).toContain(`/physicalPath:${path}`);
          if (a.kind === "set-auth") expect(argv[3]).toBe(`${site}/Selfupdate`);
          if (a.kind === "grant-acl") expect(argv.slice(1, 4)).toEqual([path, "/grant", `${site}:(OI)(CI)(RX)`]);
          // net localgroup takes the bare group name (VORDEFINIERT\\Benutzer -> Benutzer)
          if (a.kind === "add-group-member") expect(argv).toEqual(["net", "localgroup", site.slice(site.lastIndexOf("\\") + 1), site, "/add"]);
        }
      }),
      { numRuns: 1500 },
    );
  });
});

describe("the wire carries any request unchanged (base64 on stdin)", () => {
  it("property: hostile strings travel down as two ASCII lines and come back as sent", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 60 }), (hostile) => {
        const req = { op: "collect" as const, params: { aclPaths: [hostile, "x'@\u2028\"; Remove-Item C:\\ -Recurse; $(calc) `n"], fileDirs: [hostile], groups: ["S-1-5-32-545"] } };
        const text = encodeRequest(req, "# agent");
        expect(/^[A-Za-z0-9+/=\n]*$/.test(text)).toBe(true);
        expect(decodeRequest(text)).toEqual({ script: "# agent", request: req });
      }),
      { numRuns: 1000 },
    );
  });
});

describe("serverPathArg (a path under a server folder, left for cmd.exe to expand)", () => {
  it("keeps %ProgramData% for cmd.exe and refuses anything else that could carry a %", () => {
    expect(serverPathArg("ProgramData", "\\wsus-iis\\b-acl-0.txt")).toBe('"%ProgramData%\\wsus-iis\\b-acl-0.txt"');
    expect(parseWindowsCommandLine(`icacls x /save ${serverPathArg("ProgramData", "\\a b\\")}`)).toEqual(["icacls", "x", "/save", "%ProgramData%\\a b\\"]);
    expect(() => serverPathArg("PATH", "\\x")).toThrow(UnsafeArgumentError);
    expect(() => serverPathArg("ProgramData", "\\%USERNAME%")).toThrow(UnsafeArgumentError);
    expect(() => serverPathArg("ProgramData", '\\x" & calc')).toThrow(UnsafeArgumentError);
    expect(() => serverPathArg("ProgramData", "x")).toThrow(/backslash/);
  });
});
