import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseWindowsCommandLine } from "../core/commands/argv";
import { commandLine, psHereString, quoteArg, readPsHereString, switchArg, UnsafeArgumentError } from "../core/commands/quote";
import { unwrapRequest, wrapRequest } from "../core/agent/envelope";
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
          { kind: "grant-acl", path, principal: site, rights: "RX" },
          { kind: "add-group-member", group: "Users", member: site },
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
          if (a.kind === "add-group-member") expect(argv).toEqual(["net", "localgroup", "Users", site, "/add"]);
        }
      }),
      { numRuns: 1500 },
    );
  });
});

describe("PowerShell here-strings (the agent envelope)", () => {
  it("property: one-line text comes back verbatim, anything with a line break is refused", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 80 }), (text) => {
        let wrapped: string;
        try {
          wrapped = psHereString(text);
        } catch (e) {
          expect(e).toBeInstanceOf(UnsafeArgumentError);
          expect(text).toMatch(/[\r\n]/);
          return;
        }
        expect(readPsHereString(wrapped)).toBe(text);
        // the terminator appears exactly once, at the start of the last line
        expect(wrapped.split("\n").filter((l) => l.startsWith("'@"))).toEqual(["'@"]);
      }),
      { numRuns: 2000 },
    );
  });

  it("a request with hostile strings travels inside the envelope unchanged", () => {
    const hostile = "x'@\u2028\"; Remove-Item C:\\ -Recurse; $(calc) `n";
    const req = { op: "collect" as const, params: { aclPaths: [hostile], fileDirs: [], groups: [hostile] } };
    const env = wrapRequest(req);
    expect(unwrapRequest(env)).toEqual(req);
    expect(env.startsWith("$RequestJson = @'\n{")).toBe(true);
  });
});
