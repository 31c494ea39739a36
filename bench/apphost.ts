import { performance } from "node:perf_hooks";
import { parseApplicationHostConfig, toSiteStates } from "../core/evidence/applicationHost";

/**
 * Benchmark piece: a large, realistic applicationHost.config (a hosting box with thousands of WSUS-like
 * sites) parsed and turned into SiteState[]. Goal: ≤ 300 ms for 5,000 sites (≈ 10 MB).
 */

const WSUS_APPS = [
  "ApiRemoting30",
  "ClientWebService",
  "DssAuthWebService",
  "ServerSyncWebService",
  "SimpleAuthWebService",
  "ReportingWebService",
  "Inventory",
] as const;

const HEADER = `\uFEFF<?xml version="1.0" encoding="UTF-8"?>\r
<!--\r
    Generated for the wsus-iis benchmark: IIS applicationHost.config with many WSUS-like sites.\r
-->\r
<configuration>\r
  <configSections>\r
    <sectionGroup name="system.applicationHost">\r
      <section name="applicationPools" allowDefinition="AppHostOnly" overrideModeDefault="Deny" />\r
      <section name="sites" allowDefinition="AppHostOnly" overrideModeDefault="Deny" />\r
      <section name="webLimits" allowDefinition="AppHostOnly" overrideModeDefault="Deny" />\r
    </sectionGroup>\r
    <sectionGroup name="system.webServer">\r
      <section name="handlers" overrideModeDefault="Deny" />\r
      <section name="staticContent" overrideModeDefault="Allow" />\r
      <sectionGroup name="security">\r
        <section name="access" overrideModeDefault="Deny" />\r
        <sectionGroup name="authentication">\r
          <section name="anonymousAuthentication" overrideModeDefault="Deny" />\r
          <section name="windowsAuthentication" overrideModeDefault="Deny" />\r
        </sectionGroup>\r
      </sectionGroup>\r
    </sectionGroup>\r
  </configSections>\r
  <system.applicationHost>\r
    <applicationPools>\r
      <add name="DefaultAppPool" />\r
      <add name="WsusPool" managedRuntimeVersion="v4.0" queueLength="2000">\r
        <processModel identityType="NetworkService" idleTimeout="00:00:00" pingingEnabled="false" />\r
        <recycling><periodicRestart privateMemory="0" time="00:00:00" /></recycling>\r
      </add>\r
      <applicationPoolDefaults managedRuntimeVersion="v4.0"><processModel identityType="ApplicationPoolIdentity" /></applicationPoolDefaults>\r
    </applicationPools>\r
    <listenerAdapters><add name="http" /><add name="net.tcp" /></listenerAdapters>\r
    <sites>\r
`;

function site(i: number): string {
  const name = `WSUS Site ${String(i).padStart(5, "0")}`;
  const root = i % 2 === 0 ? "%ProgramFiles%\\Update Services" : "C:\\Program Files\\Update Services";
  const httpPort = 10000 + 2 * (i % 25000);
  const parts: string[] = [];
  parts.push(`      <site name="${name}" id="${1572271583 + i}">\r\n`);
  parts.push(`        <application path="/" applicationPool="WsusPool">\r\n`);
  parts.push(`          <virtualDirectory path="/" physicalPath="${root}\\WebServices\\Root" />\r\n`);
  parts.push(`          <virtualDirectory path="/Content" physicalPath="D:\\WSUS${i}\\WsusContent" />\r\n`);
  parts.push(`          <virtualDirectory path="/Selfupdate" physicalPath="${root}\\Selfupdate" />\r\n`);
  parts.push(`        </application>\r\n`);
  for (const app of WSUS_APPS) {
    const dir = app === "Inventory" ? `${root}\\Inventory` : `${root}\\WebServices\\${app}`;
    parts.push(`        <application path="/${app}" applicationPool="WsusPool">\r\n`);
    parts.push(`          <virtualDirectory path="/" physicalPath="${dir}" />\r\n`);
    parts.push(`        </application>\r\n`);
  }
  parts.push(`        <bindings>\r\n`);
  parts.push(`          <binding protocol="http" bindingInformation="*:${httpPort}:" />\r\n`);
  parts.push(`          <binding protocol="https" bindingInformation="*:${httpPort + 1}:" sslFlags="0" />\r\n`);
  if (i % 3 === 0) {
    parts.push(`          <binding protocol="http" bindingInformation="10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}:80:wsus${i}.corp.contoso.com" />\r\n`);
  } else if (i % 3 === 1) {
    parts.push(`          <binding protocol="https" bindingInformation="[2001:db8::${(i & 0xffff).toString(16)}]:443:WSUS${i}.Corp.Contoso.com" />\r\n`);
  }
  parts.push(`        </bindings>\r\n`);
  if (i % 50 === 0) {
    parts.push(`        <logFile directory="D:\\Logs\\W3SVC${i}" logExtFileFlags="Date, Time, ClientIP, UserName, HttpStatus" />\r\n`);
    parts.push(`        <!-- moved logs for site ${i} -->\r\n`);
  }
  parts.push(`      </site>\r\n`);
  return parts.join("");
}

/** Every site: ApiRemoting30 Windows-only + SSL; every 10th site also site-level and Selfupdate/ClientWebService locations. */
function locations(i: number): string {
  const name = `WSUS Site ${String(i).padStart(5, "0")}`;
  let out =
    `  <location path="${name}/ApiRemoting30">\r\n` +
    `    <system.webServer><security><access sslFlags="Ssl" /><authentication><anonymousAuthentication enabled="false" />` +
    `<windowsAuthentication enabled="true" /></authentication></security></system.webServer>\r\n` +
    `  </location>\r\n`;
  if (i % 10 === 0) {
    out +=
      `  <location path="${name}" overrideMode="Allow">\r\n` +
      `    <system.webServer>\r\n` +
      `      <security><authentication><anonymousAuthentication enabled="true" userName="" /></authentication></security>\r\n` +
      `      <staticContent><mimeMap fileExtension=".cab" mimeType="application/octet-stream" /></staticContent>\r\n` +
      `    </system.webServer>\r\n` +
      `  </location>\r\n` +
      `  <location path="${name}/ClientWebService">\r\n` +
      `    <system.webServer><security><access sslFlags="Ssl, SslNegotiateCert" /></security></system.webServer>\r\n` +
      `  </location>\r\n` +
      `  <location path="${name}/Selfupdate">\r\n` +
      `    <system.webServer><security><access sslFlags="None" /></security></system.webServer>\r\n` +
      `  </location>\r\n`;
  }
  return out;
}

/** A well-formed applicationHost.config (BOM, CRLF, comments, unknown elements) with `siteCount` WSUS-like sites. */
export function generateApplicationHostConfig(siteCount: number): string {
  const parts: string[] = [HEADER];
  for (let i = 1; i <= siteCount; i++) parts.push(site(i));
  parts.push(
    `      <siteDefaults><logFile logFormat="W3C" directory="%SystemDrive%\\inetpub\\logs\\LogFiles" /></siteDefaults>\r\n` +
      `      <applicationDefaults applicationPool="DefaultAppPool" />\r\n` +
      `      <virtualDirectoryDefaults allowSubDirConfig="true" />\r\n` +
      `    </sites>\r\n` +
      `    <webLimits />\r\n` +
      `  </system.applicationHost>\r\n` +
      `  <system.webServer>\r\n` +
      `    <security>\r\n` +
      `      <access sslFlags="None" />\r\n` +
      `      <authentication>\r\n` +
      `        <anonymousAuthentication enabled="true" userName="IUSR" />\r\n` +
      `        <windowsAuthentication enabled="false" />\r\n` +
      `      </authentication>\r\n` +
      `    </security>\r\n` +
      `  </system.webServer>\r\n`,
  );
  for (let i = 1; i <= siteCount; i++) parts.push(locations(i));
  parts.push(`</configuration>\r\n`);
  return parts.join("");
}

export interface BenchResult {
  name: string;
  sizeMB: number;
  ms: number;
  peakRssMB: number;
  goalMs: 300;
}

/** Generate 5,000 sites, then time parseApplicationHostConfig + toSiteStates: median of 5 runs after 1 warm-up. */
export async function benchApplicationHost(): Promise<BenchResult> {
  const siteCount = 5000;
  const xml = generateApplicationHostConfig(siteCount);
  const run = () => {
    const states = toSiteStates(parseApplicationHostConfig(xml));
    if (states.length !== siteCount) throw new Error(`expected ${siteCount} sites, got ${states.length}`);
  };
  run(); // warm-up
  const times: number[] = [];
  for (let r = 0; r < 5; r++) {
    await new Promise((resolve) => setImmediate(resolve));
    const t0 = performance.now();
    run();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return {
    name: `applicationHost.config: parse + toSiteStates (${siteCount.toLocaleString("en-US")} sites)`,
    sizeMB: Math.round((Buffer.byteLength(xml, "utf8") / (1024 * 1024)) * 100) / 100,
    ms: Math.round(times[2] * 10) / 10,
    peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
    goalMs: 300,
  };
}

/** Rows for bench/run.ts: the parse alone, and parse + normalise + every rule, the way `check` runs. */
export async function benchRows(): Promise<import("./run").BenchRow[]> {
  const { checkEvidence } = await import("../core/check.js");
  const parsed = await benchApplicationHost();
  const xml = generateApplicationHostConfig(5000);
  const evidence = { schema: "wsus-iis/evidence@1", computerName: "WSUS01", applicationHostConfig: xml };
  const times: number[] = [];
  for (let r = 0; r < 6; r++) {
    const t0 = performance.now();
    const report = checkEvidence({ configuration: 2 }, evidence);
    times.push(performance.now() - t0);
    if (report.findings.length === 0) throw new Error("bench: expected findings from the generated config");
  }
  const sorted = times.slice(1).sort((a, b) => a - b);
  const median = Math.round(sorted[2] * 10) / 10;
  return [
    { name: "applicationHost.config parse + toSiteStates", value: parsed.ms, unit: "ms", detail: `${parsed.sizeMB} MB, 5,000 sites, median of 5` },
    { name: "check (parse + normalise + all rules), 5,000 sites", value: median, unit: "ms", goal: { op: "<=", value: 300 }, detail: `${parsed.sizeMB} MB, median of 5 after warm-up` },
    { name: "peak RSS of the bench process", value: Math.round(process.resourceUsage().maxRSS / 1024), unit: "MB", detail: "includes the generated 24 MB string and tsx" },
  ];
}
