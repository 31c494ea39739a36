import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { generateApplicationHostConfig } from "../bench/apphost";
import {
  effectiveAuth,
  IisConfig,
  locationKey,
  normalizeBinding,
  parseApplicationHostConfig,
  sslFlagsRequireSsl,
  toSiteStates,
} from "../core/evidence/applicationHost";
import { EvidenceError } from "../core/evidence/errors";
import { Binding, SiteState } from "../core/state/schema";

const FIXTURE = "/work/shared/fixtures/applicationhost/iisexpress-applicationhost.config";

/** Effective auth; anonymousUser is anonymousAuthentication/@userName (null: set nowhere, so IUSR). */
function auth(anonymous: boolean | null, windows: boolean | null, requireSsl: boolean | null, anonymousUser: string | null = null) {
  return { anonymous, anonymousUser, windows, requireSsl };
}

/** The EvidenceError `fn` throws (fails the test when it throws anything else or nothing). */
function evidenceError(fn: () => unknown): EvidenceError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(EvidenceError);
    return err as EvidenceError;
  }
  throw new Error("expected an EvidenceError");
}

describe("parseApplicationHostConfig on the real IIS Express applicationHost.config", () => {
  const xml = readFileSync(FIXTURE, "utf8");
  const config = parseApplicationHostConfig(xml);

  it("is read with its UTF-8 BOM and CRLF-free layout and matches the IisConfig schema", () => {
    expect(xml.charCodeAt(0)).toBe(0xfeff);
    expect(() => IisConfig.parse(config)).not.toThrow();
  });

  it("finds both sites with ids, bindings, applications and virtual directories", () => {
    expect(config.sites).toEqual([
      {
        name: "WebSite1",
        id: 1,
        bindings: [{ protocol: "http", bindingInformation: ":8080:localhost" }],
        applications: [
          { path: "/", applicationPool: null, virtualDirectories: [{ path: "/", physicalPath: "%IIS_SITES_HOME%\\WebSite1" }] },
        ],
      },
      {
        name: "WebAppWithAzureAD",
        id: 2,
        bindings: [
          { protocol: "http", bindingInformation: "*:31884:localhost" },
          { protocol: "https", bindingInformation: "*:44351:localhost" },
        ],
        applications: [
          {
            path: "/",
            applicationPool: "Clr4IntegratedAppPool",
            virtualDirectories: [{ path: "/", physicalPath: "C:\\dev\\webappwithazuread\\WebAppWithAzureAD" }],
          },
        ],
      },
    ]);
  });

  it("reads the server-level security settings and nothing from commented-out or auth-less locations", () => {
    // <access sslFlags="None" />, <anonymousAuthentication enabled="true" userName="" /> (IIS Express runs
    // anonymous requests as the user running it: userName="" is the process / pool identity),
    // <windowsAuthentication enabled="false"> with <providers>. The file's <location path="" overrideMode="Allow">
    // only holds modules/handlers, <location path="WebAppWithAzureAD"> only handlers/aspNetCore/httpCompression,
    // and the <location path="Default Web Site"> sample sits inside a comment.
    expect([...config.authByLocation.entries()]).toEqual([["", { sslFlags: "None", anonymous: true, anonymousUser: "", windows: false }]]);
    expect(config.authByLocation.has("webappwithazuread")).toBe(false);
    expect(config.authByLocation.has("default web site")).toBe(false);
  });

  it("resolves the effective auth: WebAppWithAzureAD inherits the server level (its location sets no auth)", () => {
    expect(effectiveAuth(config, "WebAppWithAzureAD", "/")).toEqual(auth(true, false, false, ""));
    expect(effectiveAuth(config, "webappwithazuread", "/any/deeper/path")).toEqual(auth(true, false, false, ""));
    expect(effectiveAuth(config, "WebSite1", "/")).toEqual(auth(true, false, false, ""));
  });

  it("builds SiteStates: `:8080:localhost` is All Unassigned, no children below the root", () => {
    const states = toSiteStates(config);
    for (const s of states) expect(() => SiteState.parse(s)).not.toThrow();
    expect(states).toEqual([
      {
        name: "WebSite1",
        id: 1,
        bindings: [{ protocol: "http", ip: "*", port: 8080, host: "localhost" }],
        rootAuth: auth(true, false, false, ""),
        vdirs: [],
      },
      {
        name: "WebAppWithAzureAD",
        id: 2,
        bindings: [
          { protocol: "http", ip: "*", port: 31884, host: "localhost" },
          { protocol: "https", ip: "*", port: 44351, host: "localhost" },
        ],
        rootAuth: auth(true, false, false, ""),
        vdirs: [],
      },
    ]);
  });
});

const WSUS_ROOT = "%ProgramFiles%\\Update Services";

function wsusApp(name: string, dir = `${WSUS_ROOT}\\WebServices\\${name}`): string {
  return `        <application path="/${name}" applicationPool="WsusPool">
          <virtualDirectory path="/" physicalPath="${dir}" />
        </application>`;
}

function securityLocation(path: string, inner: string): string {
  return `  <location path="${path}">
    <system.webServer>
      <security>
${inner}
      </security>
    </system.webServer>
  </location>`;
}

/** A WSUS server as the ground truth describes it, plus a few traps for the location matching. */
const WSUS_CONFIG = `<?xml version="1.0" encoding="UTF-8"?>
<configuration>
  <system.applicationHost>
    <sites>
      <site name="Default Web Site" id="1">
        <application path="/">
          <virtualDirectory path="/" physicalPath="%SystemDrive%\\inetpub\\wwwroot" />
        </application>
        <bindings>
          <binding protocol="http" bindingInformation="*:80:" />
        </bindings>
      </site>
      <site name="WSUS Administration" id="1572271583">
        <application path="/" applicationPool="WsusPool">
          <virtualDirectory path="/" physicalPath="${WSUS_ROOT}\\WebServices\\Root" />
          <virtualDirectory path="/Content" physicalPath="D:\\WSUS\\WsusContent\\" />
          <virtualDirectory path="/Selfupdate" physicalPath="${WSUS_ROOT}\\Selfupdate" />
        </application>
${wsusApp("ApiRemoting30")}
${wsusApp("ClientWebService")}
${wsusApp("SimpleAuthWebService")}
${wsusApp("Inventory", `${WSUS_ROOT}\\Inventory`)}
        <application path="/App" applicationPool="WsusPool">
          <virtualDirectory path="/x" physicalPath="c:/data//x/" />
        </application>
        <bindings>
          <binding protocol="http" bindingInformation="*:8530:" />
          <binding protocol="https" bindingInformation="*:8531:" />
        </bindings>
      </site>
    </sites>
  </system.applicationHost>
  <system.webServer>
    <security>
      <access sslFlags="None" />
      <authentication>
        <anonymousAuthentication enabled="true" userName="IUSR" />
        <windowsAuthentication enabled="false" />
      </authentication>
    </security>
  </system.webServer>
${securityLocation("WSUS Administration", `        <authentication><anonymousAuthentication enabled="true" /></authentication>`)}
${securityLocation(
  "WSUS Administration/ApiRemoting30",
  `        <access sslFlags="Ssl" />
        <authentication>
          <anonymousAuthentication enabled="false" />
          <windowsAuthentication enabled="true" />
        </authentication>`,
)}
${securityLocation("WSUS Administration/ClientWebService", `        <access sslFlags="Ssl, SslNegotiateCert" />`)}
${securityLocation("/wsus administration/SELFUPDATE/", `        <authentication><anonymousAuthentication enabled="true" /></authentication>`)}
${securityLocation(
  "WSUS Administration/Self",
  `        <authentication><anonymousAuthentication enabled="false" /><windowsAuthentication enabled="true" /></authentication>`,
)}
${securityLocation("WSUS Administration/Inventory", `        <authentication><windowsAuthentication enabled="true" /></authentication>`)}
${securityLocation("WSUS Administration/Inventory/sub", `        <authentication><windowsAuthentication enabled="false" /></authentication>`)}
</configuration>
`;

describe("a WSUS applicationHost.config", () => {
  const config = parseApplicationHostConfig(WSUS_CONFIG);

  it("records per location only what is set, keyed case-insensitively without outer slashes", () => {
    expect(config.authByLocation.get("")).toEqual({ sslFlags: "None", anonymous: true, anonymousUser: "IUSR", windows: false });
    expect(config.authByLocation.get("wsus administration")).toEqual({ anonymous: true });
    expect(config.authByLocation.get("wsus administration/apiremoting30")).toEqual({
      sslFlags: "Ssl",
      anonymous: false,
      windows: true,
    });
    expect(config.authByLocation.get("wsus administration/selfupdate")).toEqual({ anonymous: true });
    expect(config.authByLocation.get("wsus administration/clientwebservice")).toEqual({ sslFlags: "Ssl, SslNegotiateCert" });
  });

  it("ApiRemoting30 is Windows-only with SSL; the other endpoints stay anonymous", () => {
    expect(effectiveAuth(config, "WSUS Administration", "/ApiRemoting30")).toEqual(auth(false, true, true, "IUSR"));
    expect(effectiveAuth(config, "WSUS Administration", "/ApiRemoting30/WebService.asmx")).toEqual(auth(false, true, true, "IUSR"));
    expect(effectiveAuth(config, "WSUS Administration", "/ClientWebService")).toEqual(auth(true, false, true, "IUSR"));
    expect(effectiveAuth(config, "WSUS Administration", "/SimpleAuthWebService")).toEqual(auth(true, false, false, "IUSR"));
    expect(effectiveAuth(config, "WSUS Administration", "/")).toEqual(auth(true, false, false, "IUSR"));
  });

  it("matches locations case-insensitively on site and path", () => {
    expect(effectiveAuth(config, "wsus ADMINISTRATION", "/apiremoting30/")).toEqual(auth(false, true, true, "IUSR"));
    expect(effectiveAuth(config, "WSUS Administration", "/SelfUpdate")).toEqual(auth(true, false, false, "IUSR"));
  });

  it("a sibling prefix (Site/Self) does not apply to Site/Selfupdate, only to Self and below", () => {
    expect(effectiveAuth(config, "WSUS Administration", "/Selfupdate")).toEqual(auth(true, false, false, "IUSR"));
    expect(effectiveAuth(config, "WSUS Administration", "/Selfupdate/wuident.cab")).toEqual(auth(true, false, false, "IUSR"));
    expect(effectiveAuth(config, "WSUS Administration", "/Self")).toEqual(auth(false, true, false, "IUSR"));
    expect(effectiveAuth(config, "WSUS Administration", "/Self/x")).toEqual(auth(false, true, false, "IUSR"));
  });

  it("a deeper location overrides its parent, and only below itself", () => {
    expect(effectiveAuth(config, "WSUS Administration", "/Inventory")).toEqual(auth(true, true, false, "IUSR"));
    expect(effectiveAuth(config, "WSUS Administration", "/Inventory/sub")).toEqual(auth(true, false, false, "IUSR"));
    expect(effectiveAuth(config, "WSUS Administration", "/Inventory/sub/deeper")).toEqual(auth(true, false, false, "IUSR"));
    expect(effectiveAuth(config, "WSUS Administration", "/Inventory/subway")).toEqual(auth(true, true, false, "IUSR"));
  });

  it("other sites only see the server level", () => {
    expect(effectiveAuth(config, "Default Web Site", "/ApiRemoting30")).toEqual(auth(true, false, false, "IUSR"));
    expect(effectiveAuth(config, "No Such Site", "/")).toEqual(auth(true, false, false, "IUSR"));
  });

  it("turns sites into SiteStates: apps, vdirs joined to their app, expanded physical paths, auth per path", () => {
    const [dws, wsus] = toSiteStates(config);
    expect(dws).toEqual({
      name: "Default Web Site",
      id: 1,
      bindings: [{ protocol: "http", ip: "*", port: 80, host: "" }],
      rootAuth: auth(true, false, false, "IUSR"),
      vdirs: [],
    });
    expect(wsus.name).toBe("WSUS Administration");
    expect(wsus.id).toBe(1572271583);
    expect(wsus.bindings).toEqual([
      { protocol: "http", ip: "*", port: 8530, host: "" },
      { protocol: "https", ip: "*", port: 8531, host: "" },
    ]);
    expect(wsus.rootAuth).toEqual(auth(true, false, false, "IUSR"));
    expect(wsus.vdirs).toEqual([
      { path: "/Content", kind: "vdir", physicalPath: "D:\\WSUS\\WsusContent", auth: auth(true, false, false, "IUSR") },
      { path: "/Selfupdate", kind: "vdir", physicalPath: "C:\\Program Files\\Update Services\\Selfupdate", auth: auth(true, false, false, "IUSR") },
      {
        path: "/ApiRemoting30",
        kind: "app",
        physicalPath: "C:\\Program Files\\Update Services\\WebServices\\ApiRemoting30",
        auth: auth(false, true, true, "IUSR"),
      },
      {
        path: "/ClientWebService",
        kind: "app",
        physicalPath: "C:\\Program Files\\Update Services\\WebServices\\ClientWebService",
        auth: auth(true, false, true, "IUSR"),
      },
      {
        path: "/SimpleAuthWebService",
        kind: "app",
        physicalPath: "C:\\Program Files\\Update Services\\WebServices\\SimpleAuthWebService",
        auth: auth(true, false, false, "IUSR"),
      },
      { path: "/Inventory", kind: "app", physicalPath: "C:\\Program Files\\Update Services\\Inventory", auth: auth(true, true, false, "IUSR") },
      // An application without a "/" virtual directory: physical path unknown.
      { path: "/App", kind: "app", physicalPath: null, auth: auth(true, false, false, "IUSR") },
      { path: "/App/x", kind: "vdir", physicalPath: "C:\\data\\x", auth: auth(true, false, false, "IUSR") },
    ]);
    for (const s of [dws, wsus]) expect(() => SiteState.parse(s)).not.toThrow();
  });

  it("expands physical paths with the given environment (variable names in any case)", () => {
    const [dws, wsus] = toSiteStates(config, { SystemDrive: "E:", ProgramFiles: "E:\\Apps" });
    expect(wsus.vdirs.find((v) => v.path === "/Selfupdate")?.physicalPath).toBe("E:\\Apps\\Update Services\\Selfupdate");
    expect(dws.vdirs).toEqual([]);
    // Unknown variables stay as written.
    const [, w2] = toSiteStates(config, {});
    expect(w2.vdirs[1].physicalPath).toBe("%ProgramFiles%\\Update Services\\Selfupdate");
  });

  it("toSiteStates agrees with effectiveAuth for every path", () => {
    for (const s of toSiteStates(config)) {
      expect(s.rootAuth).toEqual(effectiveAuth(config, s.name, "/"));
      for (const v of s.vdirs) expect(v.auth).toEqual(effectiveAuth(config, s.name, v.path));
    }
  });
});

describe("auth resolution when the file says nothing", () => {
  it("gives null for whatever is set nowhere on the chain", () => {
    const config = parseApplicationHostConfig(`<configuration>
      <system.applicationHost><sites><site name="S" id="7"><application path="/"><virtualDirectory path="/" physicalPath="C:\\s" /></application></site></sites></system.applicationHost>
      <location path="S/a"><system.webServer><security><access sslFlags="SslNegotiateCert" /></security></system.webServer></location>
    </configuration>`);
    expect(config.authByLocation.size).toBe(1);
    expect(effectiveAuth(config, "S", "/")).toEqual(auth(null, null, null));
    expect(effectiveAuth(config, "S", "/a")).toEqual(auth(null, null, false));
    expect(toSiteStates(config)[0].rootAuth).toEqual(auth(null, null, null));
  });

  it("<location path=\"\"> is the server level too and later declarations override earlier ones", () => {
    const config = parseApplicationHostConfig(`<configuration>
      <system.webServer><security><authentication><anonymousAuthentication enabled="true" /></authentication></security></system.webServer>
      <location path="" overrideMode="Allow"><system.webServer><security><authentication><windowsAuthentication enabled="True" /></authentication></security></system.webServer></location>
      <location path="S"><system.webServer><security><authentication><anonymousAuthentication enabled="true" /></authentication></security></system.webServer></location>
      <location path="s/"><system.webServer><security><authentication><anonymousAuthentication enabled="false" /></authentication></security></system.webServer></location>
    </configuration>`);
    expect(config.authByLocation.get("")).toEqual({ anonymous: true, windows: true });
    expect(config.authByLocation.get("s")).toEqual({ anonymous: false });
    expect(effectiveAuth(config, "S", "/")).toEqual(auth(false, true, null));
  });

  it("sslFlags: Ssl as one flag of a comma list (or bit 8 when numeric); None and other flags are no SSL", () => {
    expect(sslFlagsRequireSsl("Ssl")).toBe(true);
    expect(sslFlagsRequireSsl("Ssl, SslNegotiateCert")).toBe(true);
    expect(sslFlagsRequireSsl("SslNegotiateCert,ssl")).toBe(true);
    expect(sslFlagsRequireSsl("Ssl128")).toBe(false);
    expect(sslFlagsRequireSsl("SslNegotiateCert, SslRequireCert")).toBe(false);
    expect(sslFlagsRequireSsl("None")).toBe(false);
    expect(sslFlagsRequireSsl("")).toBe(false);
    expect(sslFlagsRequireSsl("40")).toBe(true);
    expect(sslFlagsRequireSsl("32")).toBe(false);
  });

  it("locationKey: lower case, no outer or doubled slashes, trimmed segments", () => {
    expect(locationKey("")).toBe("");
    expect(locationKey("/")).toBe("");
    expect(locationKey("/WSUS Administration//ApiRemoting30/")).toBe("wsus administration/apiremoting30");
    expect(locationKey(" Default Web Site ")).toBe("default web site");
  });
});

describe("tolerance: BOM, CRLF, comments, processing instructions, unknown elements", () => {
  const xml =
    "\uFEFF" +
    [
      `<?xml version="1.0" encoding="UTF-8"?>`,
      `<!-- header comment with <site name="InComment"> markup -->`,
      `<configuration>`,
      `  <?custom-pi some data?>`,
      `  <configSections><sectionGroup name="system.applicationHost"><section name="sites" /></sectionGroup></configSections>`,
      `  <unknownSection><sites><site name="NotASite" id="9" /></sites></unknownSection>`,
      `  <system.applicationHost>`,
      `    <applicationPools><add name="WsusPool"><processModel identityType="NetworkService" /></add></applicationPools>`,
      `    <sites>`,
      `      <!-- a comment between sites -->`,
      `      <site name="A&amp;B" id="3" serverAutoStart="true">`,
      `        <limits maxBandwidth="65536" />`,
      `        <unknown><application path="/Hidden"><virtualDirectory path="/" physicalPath="C:\\hidden" /></application></unknown>`,
      `        <application path="/" applicationPool="P">`,
      `          <virtualDirectoryDefaults logonMethod="ClearText" />`,
      `          <virtualDirectory path="/" physicalPath="C:\\a"><extra /></virtualDirectory>`,
      `          <![CDATA[ <virtualDirectory path="/cdata" physicalPath="C:\\no" /> ]]>`,
      `        </application>`,
      `        <bindings><!-- c --><binding protocol="HTTP" bindingInformation="0.0.0.0:80:WWW.Example.COM"><extra /></binding><clear /></bindings>`,
      `        <logFile directory="D:\\logs" />`,
      `      </site>`,
      `      <site name="NoId"><bindings /></site>`,
      `      <siteDefaults><logFile logFormat="W3C" /><traceFailedRequestsLogging enabled="false" /></siteDefaults>`,
      `      <applicationDefaults applicationPool="DefaultAppPool" />`,
      `      <virtualDirectoryDefaults allowSubDirConfig="true" />`,
      `    </sites>`,
      `  </system.applicationHost>`,
      `  <system.webServer>`,
      `    <modules><add name="AnonymousAuthenticationModule" /></modules>`,
      `    <security><authentication><basicAuthentication enabled="true" /><anonymousAuthentication enabled="false" /></authentication></security>`,
      `  </system.webServer>`,
      `  <location path="A&amp;B"><system.web><authentication mode="Windows" /></system.web></location>`,
      `  <location path="A&amp;B/x"><system.webServer><other><security><access sslFlags="Ssl" /></security></other></system.webServer></location>`,
      `</configuration>`,
      `<!-- trailing comment -->`,
      ``,
    ].join("\r\n");

  it("parses only the known paths", () => {
    const config = parseApplicationHostConfig(xml);
    expect(config.sites).toEqual([
      {
        name: "A&B",
        id: 3,
        bindings: [{ protocol: "HTTP", bindingInformation: "0.0.0.0:80:WWW.Example.COM" }],
        applications: [{ path: "/", applicationPool: "P", virtualDirectories: [{ path: "/", physicalPath: "C:\\a" }] }],
      },
      { name: "NoId", id: null, bindings: [], applications: [] },
    ]);
    expect([...config.authByLocation.entries()]).toEqual([["", { anonymous: false }]]);
    const [a] = toSiteStates(config);
    expect(a.bindings).toEqual([{ protocol: "http", ip: "*", port: 80, host: "www.example.com" }]);
    expect(a.rootAuth).toEqual(auth(false, null, null));
  });

  it("gives the same result with LF line ends and without the BOM", () => {
    const lf = xml.slice(1).replace(/\r\n/g, "\n");
    expect(parseApplicationHostConfig(lf)).toEqual(parseApplicationHostConfig(xml));
  });
});

describe("normalizeBinding", () => {
  const b = (protocol: string, ip: string, port: number, host: string): Binding => ({ protocol, ip, port, host });

  it("All Unassigned: *, empty and 0.0.0.0", () => {
    expect(normalizeBinding("http", "*:80:")).toEqual(b("http", "*", 80, ""));
    expect(normalizeBinding("http", ":8080:localhost")).toEqual(b("http", "*", 8080, "localhost"));
    expect(normalizeBinding("https", "0.0.0.0:443:")).toEqual(b("https", "*", 443, ""));
  });

  it("specific IPv4 and host names, lower-cased", () => {
    expect(normalizeBinding("HTTPS", "10.0.0.5:8531:WSUS.Contoso.COM")).toEqual(b("https", "10.0.0.5", 8531, "wsus.contoso.com"));
    expect(normalizeBinding("http", "127.0.0.1:80:")).toEqual(b("http", "127.0.0.1", 80, ""));
  });

  it("IPv6 without brackets, lower case", () => {
    expect(normalizeBinding("http", "[::1]:80:")).toEqual(b("http", "::1", 80, ""));
    expect(normalizeBinding("https", "[2001:DB8::1]:443:Host.Example")).toEqual(b("https", "2001:db8::1", 443, "host.example"));
    expect(normalizeBinding("http", "[fe80::1%4]:8530:")).toEqual(b("http", "fe80::1%4", 8530, ""));
  });

  it("other protocols: best effort, port 0 when there is none", () => {
    expect(normalizeBinding("net.tcp", "808:*")).toEqual(b("net.tcp", "*", 808, "*"));
    expect(normalizeBinding("net.pipe", "*")).toEqual(b("net.pipe", "*", 0, "*"));
    expect(normalizeBinding("msmq.formatname", "LocalHost")).toEqual(b("msmq.formatname", "*", 0, "localhost"));
    expect(normalizeBinding("net.msmq", "localhost")).toEqual(b("net.msmq", "*", 0, "localhost"));
  });

  it("malformed values never throw", () => {
    expect(normalizeBinding("http", "")).toEqual(b("http", "*", 0, ""));
    expect(normalizeBinding("http", "*:http:")).toEqual(b("http", "*", 0, ""));
    expect(normalizeBinding("http", "*:99999:")).toEqual(b("http", "*", 0, ""));
    expect(normalizeBinding("http", "[::1")).toEqual(b("http", "[::1", 0, ""));
    fc.assert(
      fc.property(fc.string(), fc.string(), (protocol, info) => {
        const r = normalizeBinding(protocol, info);
        expect(() => Binding.parse(r)).not.toThrow();
        expect(r.port).toBeGreaterThanOrEqual(0);
        expect(r.port).toBeLessThanOrEqual(65535);
      }),
    );
  });
});

describe("errors", () => {
  it("malformed XML: EvidenceError naming the field, line and column, no stack-trace text", () => {
    const xml = [`<?xml version="1.0"?>`, `<configuration>`, `  <system.applicationHost>`, `    <sites>`, `  </system.applicationHost>`, `</configuration>`].join("\r\n");
    const err = evidenceError(() => parseApplicationHostConfig(xml));
    expect(err.field).toBe("applicationHostConfig");
    expect(err.name).toBe("EvidenceError");
    expect(err.message).toMatch(/^applicationHostConfig: not well-formed XML at line 5, column \d+: .+/);
    expect(err.message).not.toMatch(/\n|\bat .*\.js/);
  });

  it("reports other well-formedness errors the same way", () => {
    for (const [xml, line] of [
      [`<configuration>\n<site name="a" id=1 />\n</configuration>`, 2],
      [`<configuration>\n\n  &nbsp;\n</configuration>`, 3],
      [`<configuration></configuration>\n<configuration />`, 2],
      [`<configuration a="1" a="2" />`, 1],
      [`<configuration>`, 1],
    ] as const) {
      const err = evidenceError(() => parseApplicationHostConfig(xml));
      expect(err.message).toMatch(new RegExp(`^applicationHostConfig: not well-formed XML at line ${line}, column \\d+: `));
    }
  });

  it("a document whose root is not <configuration>", () => {
    const err = evidenceError(() => parseApplicationHostConfig(`<?xml version="1.0"?>\n<sites><site name="x" /></sites>`));
    expect(err.field).toBe("applicationHostConfig");
    expect(err.message).toBe("applicationHostConfig: the root element is <sites>, expected <configuration> (is this an applicationHost.config?)");
  });

  it("an empty document or one without any element", () => {
    expect(evidenceError(() => parseApplicationHostConfig("")).message).toBe("applicationHostConfig: the document is empty");
    expect(evidenceError(() => parseApplicationHostConfig("\uFEFF \r\n")).message).toBe("applicationHostConfig: the document is empty");
    expect(evidenceError(() => parseApplicationHostConfig("<!-- only a comment -->")).message).toMatch(
      /^applicationHostConfig: not well-formed XML at line 1, column \d+: /,
    );
  });
});

describe("bench generator", () => {
  it("produces a well-formed config with 9 WSUS children per site and auth locations", () => {
    const config = parseApplicationHostConfig(generateApplicationHostConfig(20));
    expect(config.sites).toHaveLength(20);
    const states = toSiteStates(config);
    for (const s of states) {
      expect(s.vdirs).toHaveLength(9);
      expect(s.bindings.length).toBeGreaterThanOrEqual(2);
      expect(s.vdirs.find((v) => v.path === "/ApiRemoting30")?.auth).toMatchObject({ anonymous: false, windows: true, requireSsl: true });
      expect(s.rootAuth).toEqual(effectiveAuth(config, s.name, "/"));
      for (const v of s.vdirs) expect(v.auth).toEqual(effectiveAuth(config, s.name, v.path));
    }
    expect(states[9].vdirs.find((v) => v.path === "/ClientWebService")?.auth.requireSsl).toBe(true);
  });
});
