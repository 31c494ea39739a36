import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { effectiveAuth, parseApplicationHostConfig } from "../core/evidence/applicationHost";
import { effectiveSection, findSection, readSites } from "../lab/appHost";
import { createLab } from "../lab/create";
import { runCommand } from "../lab/shell";
import { XmlDoc } from "../lab/xml";

const FIXTURE = "/work/shared/fixtures/command-outputs/appcmd-list-outputs-iis-docs.txt";
const APPHOST = "C/Windows/System32/inetsrv/config/applicationHost.config";

/** The iis-docs samples: `## sampleNN` -> its text (command or output). */
function samples(): Record<string, string> {
  const out: Record<string, string> = {};
  let key: string | null = null;
  for (const line of readFileSync(FIXTURE, "utf8").split(/\r?\n/)) {
    const h = /^## (sample\d+)/.exec(line);
    if (h) {
      key = h[1];
      out[key] = "";
      continue;
    }
    if (key === null || line.startsWith("#")) continue;
    out[key] += line + "\n";
  }
  for (const k of Object.keys(out)) out[k] = out[k].replace(/\n+$/, "");
  return out;
}
const S = samples();

/**
 * The shape of an appcmd list line: object type, quoted identifier, and the ordered keys of the
 * parenthesised summary (`SITE "…" (id,bindings,state)`).
 */
function shape(line: string): string {
  const m = /^([A-Z]+) "([^"]*)" \((.*)\)$/.exec(line);
  if (!m) return `unparsed: ${line}`;
  const keys = [...`,${m[3]}`.matchAll(/,([A-Za-z]+):/g)].map((k) => k[1]);
  return `${m[1]} "…" (${keys.join(",")})`;
}

const roots: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(path.join(tmpdir(), "wsus-lab-appcmd-"));
  roots.push(d);
  return d;
}
afterAll(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

const lines = (s: string) => s.split("\r\n").filter((l) => l !== "");
const readConfig = (dir: string) => readFileSync(path.join(dir, APPHOST), "utf8");

describe("appcmd output matches the real format (iis-docs samples)", () => {
  let dir: string;
  beforeEach(async () => {
    dir = tempDir();
    // modern Configuration 2 with clients on port 80: SelfUpdate and ClientWebService on the Default Web Site too
    await createLab(dir, { configuration: 2, profile: "modern", spec: { clientPort: 80 } });
  });

  it("list sites: same line shape and value formats as sample10", async () => {
    const real = S.sample10.split("\n");
    const r = await runCommand(dir, S.sample9);
    expect(r.exitCode).toBe(0);
    const ours = lines(r.stdout);
    expect(ours).toHaveLength(2);
    const realShapes = new Set(real.map(shape));
    for (const l of ours) expect(realShapes).toContain(shape(l));
    // value formats: decimal id, protocol/ip:port:host bindings, Started/Stopped
    const valueRe = /^SITE "[^"]+" \(id:\d+,bindings:[a-zA-Z.]+\/[^,/]*:\d+:[^,]*(?:,[a-zA-Z.]+\/[^,/]*:\d+:[^,]*)*,state:(Started|Stopped)\)$/;
    for (const l of [...real, ...ours]) expect(l).toMatch(valueRe);
    expect(ours[0]).toBe('SITE "Default Web Site" (id:1,bindings:http/*:80:,state:Started)');
    expect(ours[1]).toBe('SITE "WSUS Administration" (id:1572271583,bindings:http/*:8530:,https/*:8531:,state:Started)');
  });

  it("list apps / list vdirs: sample31..34 verbatim commands give the same shapes", async () => {
    const apps = lines((await runCommand(dir, S.sample31)).stdout);
    expect(apps[0]).toBe(S.sample32);
    for (const l of apps) expect(shape(l)).toBe(shape(S.sample32));
    const vdirs = lines((await runCommand(dir, S.sample33)).stdout);
    for (const l of vdirs) expect(shape(l)).toBe(shape(S.sample34));
    // appcmd shows the raw configured value, %SystemDrive% unexpanded
    expect(vdirs[0]).toBe('VDIR "Default Web Site/" (physicalPath:%SystemDrive%\\inetpub\\wwwroot)');
    expect(vdirs).toContain('VDIR "Default Web Site/Selfupdate" (physicalPath:C:\\Program Files\\Update Services\\Selfupdate)');
  });

  it("add site / app / vdir: sample37, 39, 41 verbatim give exactly sample38, 40, 42", async () => {
    for (const [cmd, out] of [
      ["sample37", "sample38"],
      ["sample39", "sample40"],
      ["sample41", "sample42"],
    ]) {
      const r = await runCommand(dir, S[cmd]);
      expect(r.exitCode, S[cmd]).toBe(0);
      expect(r.stdout).toBe(S[out].split("\n").join("\r\n") + "\r\n");
    }
    // sample46/47: list apps now includes the new site's apps in the same format
    const all = lines((await runCommand(dir, S.sample46)).stdout);
    expect(all).toContain('APP "MySite/" (applicationPool:DefaultAppPool)');
    expect(all).toContain('APP "MySite/app1" (applicationPool:DefaultAppPool)');
    for (const l of S.sample47.split("\n")) expect(all).toContain(l);
  });

  it("list apppools and list site /config look like sample57 and sample99", async () => {
    const pools = lines((await runCommand(dir, "appcmd list apppools")).stdout);
    for (const l of pools) expect(l).toMatch(/^APPPOOL "[^"]+" \(MgdVersion:v[\d.]+,MgdMode:(Integrated|Classic),state:Started\)$/);
    expect(pools).toContain('APPPOOL "WsusPool" (MgdVersion:v4.0,MgdMode:Integrated,state:Started)');
    const cfg = lines((await runCommand(dir, S.sample98)).stdout);
    expect(cfg[0]).toBe(S.sample99.split("\n")[0]);
    expect(cfg.at(-1)).toBe("</site>");
  });

  it("list config prints the effective section like appcmd", async () => {
    const su = await runCommand(dir, 'appcmd list config "WSUS Administration/Selfupdate" -section:system.webServer/security/authentication/anonymousAuthentication');
    expect(su.stdout).toBe(
      [
        "<system.webServer>",
        "  <security>",
        "    <authentication>",
        '      <anonymousAuthentication enabled="true" userName="IUSR" />',
        "    </authentication>",
        "  </security>",
        "</system.webServer>",
        "",
      ].join("\r\n"),
    );
    const api = await runCommand(dir, 'appcmd list config "WSUS Administration/ApiRemoting30" -section:windowsAuthentication /text:enabled');
    expect(api.stdout).toBe("true\r\n");
    const anonApi = await runCommand(dir, 'appcmd list config "WSUS Administration/ApiRemoting30" -section:anonymousAuthentication /text:enabled');
    expect(anonApi.stdout).toBe("false\r\n");
  });
});

describe("appcmd errors and exit codes", () => {
  let dir: string;
  beforeEach(async () => {
    dir = tempDir();
    await createLab(dir, { configuration: 1, profile: "kb920659" });
  });

  it.each([
    ['appcmd list site "Nope"', 'ERROR ( message:Cannot find SITE object with identifier "Nope". )', 1168],
    ['appcmd list vdir "Default Web Site/Nope"', 'ERROR ( message:Cannot find VDIR object with identifier "Default Web Site/Nope". )', 1168],
    ["appcmd add app /site.name:Nope /path:/x /physicalPath:C:\\x", 'ERROR ( message:Cannot find SITE object with identifier "Nope". )', 1168],
    ['appcmd add vdir /app.name:"Nope/" /path:/x', 'ERROR ( message:Cannot find APP object with identifier "Nope/". )', 1168],
    ['appcmd add vdir /app.name:"Default Web Site/" /path:/SelfUpdate /physicalPath:C:\\x', 'ERROR ( message:Failed to add duplicate collection element "/SelfUpdate". )', 183],
    ['appcmd add site /name:"Default Web Site" /bindings:http/*:81:', 'ERROR ( message:Failed to add duplicate collection element "Default Web Site". )', 183],
    ['appcmd set vdir "Default Web Site/SelfUpdate" /fizz:1', 'ERROR ( message:Unknown attribute "fizz".  Replace with -? for help. )', 87],
    ["appcmd set site /site.name:\"Default Web Site\" /-bindings.[protocol='http',bindingInformation='10.9.9.9:80:']", "ERROR ( message:Cannot find requested collection element. )", 1168],
    ['appcmd restore backup "never"', 'ERROR ( message:Cannot find BACKUP object with identifier "never". )', 1168],
    ['appcmd set config "Default Web Site" -section:nosuchSection /enabled:true /commit:apphost', 'ERROR ( message:Unknown config section "nosuchSection".  Replace with -? for help. )', 87],
  ])("%s", async (line, message, code) => {
    const before = readConfig(dir);
    const r = await runCommand(dir, line);
    expect(r).toEqual({ stdout: message + "\r\n", stderr: "", exitCode: code });
    expect(readConfig(dir)).toBe(before);
  });

  it("refuses a locked section outside applicationHost.config (no /commit:apphost) with IIS's lock error", async () => {
    const r = await runCommand(dir, 'appcmd set config "Default Web Site/SelfUpdate" -section:anonymousAuthentication /enabled:false');
    expect(r.exitCode).toBe(33);
    expect(r.stdout).toMatch(/^ERROR \( message:Configuration error\r\nFilename: \\\\\?\\C:\\Program Files\\Update Services\\Selfupdate\\web\.config\r\n/);
    expect(r.stdout).toContain('overrideModeDefault="Deny"');
  });

  it("rejects bad values without writing", async () => {
    const before = readConfig(dir);
    expect((await runCommand(dir, 'appcmd set config "Default Web Site/SelfUpdate" -section:anonymousAuthentication /enabled:maybe /commit:apphost')).exitCode).toBe(13);
    expect((await runCommand(dir, 'appcmd set config "Default Web Site/SelfUpdate" -section:access /sslFlags:Bogus /commit:apphost')).exitCode).toBe(13);
    expect((await runCommand(dir, "appcmd set site /site.name:\"Default Web Site\" /+bindings.[protocol='http',bindingInformation='*:99999:']")).exitCode).toBe(13);
    expect(readConfig(dir)).toBe(before);
  });
});

describe("appcmd edits change only the edited element", () => {
  let dir: string;
  let original: string;
  beforeEach(async () => {
    dir = tempDir();
    // modern Configuration 2 with clients on port 80: SelfUpdate and ClientWebService on the Default Web Site too
    await createLab(dir, { configuration: 2, profile: "modern", spec: { clientPort: 80 } });
    original = readConfig(dir);
  });

  const invariants = (text: string) => {
    expect(text.startsWith("\uFEFF<?xml")).toBe(true);
    expect(text.replace(/\r\n/g, "")).not.toMatch(/[\r\n]/);
    XmlDoc.parse(text);
    parseApplicationHostConfig(text);
  };

  it("set vdir replaces one attribute value, nothing else", async () => {
    const r = await runCommand(dir, 'appcmd set vdir "WSUS Administration/Selfupdate" /physicalPath:"D:\\Self Update"');
    expect(r.stdout).toBe('VDIR object "WSUS Administration/Selfupdate" changed\r\n');
    const edited = readConfig(dir);
    invariants(edited);
    const oldEl = '<virtualDirectory path="/Selfupdate" physicalPath="C:\\Program Files\\Update Services\\Selfupdate" />';
    const i = original.lastIndexOf(oldEl); // WSUS Administration's comes after Default Web Site's
    expect(i).toBeGreaterThan(original.indexOf('<site name="WSUS Administration"'));
    expect(edited).toBe(original.slice(0, i) + oldEl.replace("C:\\Program Files\\Update Services\\Selfupdate", "D:\\Self Update") + original.slice(i + oldEl.length));
  });

  it("set config on an existing location changes one attribute; on a new path appends one <location>", async () => {
    await runCommand(dir, 'appcmd set config "Default Web Site/Selfupdate" -section:system.webServer/security/authentication/anonymousAuthentication /enabled:"False" /commit:apphost');
    let edited = readConfig(dir);
    invariants(edited);
    const loc = original.indexOf('<location path="Default Web Site/Selfupdate"');
    const attrAt = original.indexOf('<anonymousAuthentication enabled="true" />', loc);
    expect(edited).toBe(original.slice(0, attrAt) + '<anonymousAuthentication enabled="false" />' + original.slice(attrAt + '<anonymousAuthentication enabled="true" />'.length));

    const before = edited;
    const r = await runCommand(dir, 'appcmd set config "Default Web Site" -section:anonymousAuthentication /enabled:false /commit:apphost');
    expect(r.stdout).toBe(
      'Applied configuration changes to section "system.webServer/security/authentication/anonymousAuthentication" for "MACHINE/WEBROOT/APPHOST/Default Web Site" at configuration commit path "MACHINE/WEBROOT/APPHOST"\r\n',
    );
    edited = readConfig(dir);
    invariants(edited);
    const block = [
      '    <location path="Default Web Site" overrideMode="Allow">',
      "        <system.webServer>",
      "            <security>",
      "                <authentication>",
      '                    <anonymousAuthentication enabled="false" />',
      "                </authentication>",
      "            </security>",
      "        </system.webServer>",
      "    </location>",
    ].join("\r\n");
    expect(edited).toBe(before.replace("    </location>\r\n</configuration>", "    </location>\r\n" + block + "\r\n</configuration>"));
    // the semantic result, read by the product's own parser
    const cfg = parseApplicationHostConfig(edited);
    expect(effectiveAuth(cfg, "Default Web Site", "/").anonymous).toBe(false);
    expect(effectiveAuth(cfg, "Default Web Site", "/ClientWebService").anonymous).toBe(true);
  });

  it("set config adds a missing element inside an existing location (access sslFlags)", async () => {
    await runCommand(dir, 'appcmd set config "WSUS Administration/ClientWebService" -section:system.webServer/security/access /sslFlags:"Ssl" /commit:apphost');
    const edited = readConfig(dir);
    invariants(edited);
    const doc = XmlDoc.parse(edited);
    expect(effectiveSection(doc, findSection("access")!, "WSUS Administration/ClientWebService").attrs).toEqual([["sslFlags", "Ssl"]]);
    expect(effectiveSection(doc, findSection("access")!, "WSUS Administration/Inventory").attrs).toEqual([["sslFlags", "None"]]);
    // one line added, every other line the same
    const a = original.split("\r\n");
    const b = edited.split("\r\n");
    expect(b.length).toBe(a.length + 1);
    const added = b.findIndex((l, i) => l !== a[i]);
    expect(b[added]).toBe('                <access sslFlags="Ssl" />');
    expect([...b.slice(0, added), ...b.slice(added + 1)]).toEqual(a);
  });

  it("delete vdir / delete app remove their lines only; add puts them back in place", async () => {
    expect((await runCommand(dir, 'appcmd delete vdir "Default Web Site/Selfupdate"')).stdout).toBe('VDIR object "Default Web Site/Selfupdate" deleted\r\n');
    expect((await runCommand(dir, 'appcmd delete app "Default Web Site/ClientWebService"')).stdout).toBe('APP object "Default Web Site/ClientWebService" deleted\r\n');
    const edited = readConfig(dir);
    invariants(edited);
    // exactly the vdir's line and the application's three lines of the Default Web Site are gone
    const a = original.split("\r\n");
    const siteAt = a.findIndex((l) => l.includes('<site name="Default Web Site"'));
    const vdirAt = a.findIndex((l, i) => i > siteAt && l.includes('<virtualDirectory path="/Selfupdate"'));
    const appAt = a.findIndex((l, i) => i > siteAt && l.includes('<application path="/ClientWebService"'));
    const expected = a.filter((_, i) => i !== vdirAt && (i < appAt || i > appAt + 2));
    expect(edited.split("\r\n")).toEqual(expected);

    await runCommand(dir, 'appcmd add vdir /app.name:"Default Web Site/" /path:/Selfupdate /physicalPath:"C:\\Program Files\\Update Services\\Selfupdate"');
    await runCommand(dir, 'appcmd add app /site.name:"Default Web Site" /path:/ClientWebService /physicalPath:"C:\\Program Files\\Update Services\\WebServices\\ClientWebService" /applicationPool:WsusPool');
    expect(readConfig(dir)).toBe(original);
  });

  it("set site bindings: -/+ in one command, comments and other sites untouched", async () => {
    const r = await runCommand(
      dir,
      "appcmd set site /site.name:\"Default Web Site\" /-bindings.[protocol='http',bindingInformation='*:80:'] /+bindings.[protocol='http',bindingInformation='127.0.0.1:80:'] /+bindings.[protocol='http',bindingInformation='10.0.0.5:80:']",
    );
    expect(r.stdout).toBe('SITE object "Default Web Site" changed\r\n');
    const edited = readConfig(dir);
    invariants(edited);
    const site = readSites(XmlDoc.parse(edited)).find((s) => s.name === "Default Web Site")!;
    expect(site.bindings.map((b) => b.bindingInformation)).toEqual(["127.0.0.1:80:", "10.0.0.5:80:"]);
    const comments = (t: string) => t.match(/<!--[\s\S]*?-->/g);
    expect(comments(edited)).toEqual(comments(original));
    const wsus = (t: string) => t.slice(t.indexOf('<site name="WSUS Administration"'), t.indexOf("</sites>"));
    expect(wsus(edited)).toBe(wsus(original));
    expect(edited).toContain('<traceFailedRequestsLogging enabled="true" directory="%SystemDrive%\\inetpub\\logs\\FailedReqLogFiles" maxLogFiles="50" />');
    expect(edited).toContain('<sectionGroup name="system.ftpServer">');
  });

  it("backup / restore round trip restores the file byte for byte", async () => {
    expect((await runCommand(dir, 'appcmd add backup "pre-repair"')).stdout).toBe('BACKUP object "pre-repair" added\r\n');
    expect(readFileSync(path.join(dir, "C/Windows/System32/inetsrv/backup/pre-repair/applicationHost.config"), "utf8")).toBe(original);
    await runCommand(dir, 'appcmd delete vdir "WSUS Administration/Selfupdate"');
    await runCommand(dir, 'appcmd set config "WSUS Administration/Content" -section:anonymousAuthentication /enabled:false /commit:apphost');
    expect(readConfig(dir)).not.toBe(original);
    expect((await runCommand(dir, "appcmd list backup")).stdout).toBe('BACKUP "pre-repair"\r\n');
    expect((await runCommand(dir, 'appcmd add backup "pre-repair"')).exitCode).toBe(183);
    expect((await runCommand(dir, 'appcmd restore backup "pre-repair"')).stdout).toBe('Restored configuration from backup "pre-repair"\r\n');
    expect(readConfig(dir)).toBe(original);
    expect((await runCommand(dir, 'appcmd delete backup "pre-repair"')).stdout).toBe('BACKUP object "pre-repair" deleted\r\n');
    expect((await runCommand(dir, "appcmd list backup")).stdout).toBe("");
  });
});
