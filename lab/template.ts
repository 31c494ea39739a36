import type { Layout, SiteRequirement, VdirRequirement } from "../core/model/layout";
import { joinWindowsPath } from "../core/model/paths";
import { escapeAttr } from "./xml";

/**
 * A healthy WSUS server's %windir%\System32\inetsrv\config\applicationHost.config, in the format IIS
 * 10 writes (UTF-8 with BOM, CRLF, four-space indentation, IIS's own comments), trimmed to what a
 * server with the Web Server role and WSUS has: configSections with the real delegation defaults
 * (anonymousAuthentication / windowsAuthentication / access are overrideModeDefault="Deny"), the
 * DefaultAppPool and WsusPool pools, the sites from the layout, server-level authentication
 * (anonymous on as IUSR, Windows off), and one `<location path="Site/Vdir" overrideMode="Allow">`
 * per WSUS endpoint with explicit anonymous/Windows flags, as WSUS setup writes them. The WSUS
 * applications (and the WSUS site's root) run in WsusPool, tuned per KB 4490414; httpCompression holds
 * KB 4490414's xpress scheme (suscomp.dll); no ASP.NET impersonation anywhere (KB 2737219).
 */

export const DEFAULT_SITE_ID = 1;
/** The random-looking id WSUS setup gives its site (seen in a real FREB log, KB2737219). */
export const WSUS_SITE_ID = 1572271583;

const a = escapeAttr;

function bindingsFor(layout: Layout, site: SiteRequirement): string[] {
  // the spec's binding policy shapes the site clients reach SelfUpdate on
  const policy = layout.spec.bindings;
  const out =
    site === layout.clientSite && policy.mode === "addresses"
      ? policy.addresses.map((ip) => {
          const host = ip.includes(":") && !ip.startsWith("[") ? `[${ip}]` : ip;
          return `<binding protocol="http" bindingInformation="${a(host)}:${site.httpPort}:" />`;
        })
      : [`<binding protocol="http" bindingInformation="*:${site.httpPort}:" />`];
  if (site.httpsPort !== null) out.push(`<binding protocol="https" bindingInformation="*:${site.httpsPort}:" />`);
  return out;
}

function siteXml(layout: Layout, site: SiteRequirement, id: number, installDir: string): string[] {
  const I = "    ";
  const vdirs = site.vdirs.filter((v) => v.kind === "vdir");
  const apps = site.vdirs.filter((v) => v.kind === "app");
  const lines: string[] = [];
  lines.push(`<site name="${a(site.name)}" id="${id}">`);
  if (site.role === "default") {
    lines.push(`${I}<application path="/">`);
    lines.push(`${I}${I}<virtualDirectory path="/" physicalPath="%SystemDrive%\\inetpub\\wwwroot" />`);
  } else {
    lines.push(`${I}<application path="/" applicationPool="WsusPool">`);
    lines.push(`${I}${I}<virtualDirectory path="/" physicalPath="${a(joinWindowsPath(installDir, "WebServices", "Root"))}" />`);
  }
  for (const v of vdirs) lines.push(`${I}${I}<virtualDirectory path="/${a(v.name)}" physicalPath="${a(v.physicalPath)}" />`);
  lines.push(`${I}</application>`);
  for (const v of apps) {
    lines.push(`${I}<application path="/${a(v.name)}" applicationPool="WsusPool">`);
    lines.push(`${I}${I}<virtualDirectory path="/" physicalPath="${a(v.physicalPath)}" />`);
    lines.push(`${I}</application>`);
  }
  lines.push(`${I}<bindings>`);
  for (const b of bindingsFor(layout, site)) lines.push(`${I}${I}${b}`);
  lines.push(`${I}</bindings>`);
  if (site.role === "default") {
    // set by an administrator at some point; unrelated to WSUS (edits must leave it alone)
    lines.push(`${I}<traceFailedRequestsLogging enabled="true" directory="%SystemDrive%\\inetpub\\logs\\FailedReqLogFiles" maxLogFiles="50" />`);
  } else {
    lines.push(`${I}<limits connectionTimeout="00:02:00" />`);
  }
  lines.push(`</site>`);
  return lines;
}

function locationXml(siteName: string, v: VdirRequirement): string[] {
  const I = "    ";
  const windows = v.auth === "windows";
  const lines = [`<location path="${a(siteName)}/${a(v.name)}" overrideMode="Allow">`, `${I}<system.webServer>`, `${I}${I}<security>`];
  if (v.requireSsl === true) lines.push(`${I}${I}${I}<access sslFlags="Ssl" />`);
  lines.push(
    `${I}${I}${I}<authentication>`,
    `${I}${I}${I}${I}<anonymousAuthentication enabled="${windows ? "false" : "true"}" />`,
    `${I}${I}${I}${I}<windowsAuthentication enabled="${windows ? "true" : "false"}" />`,
    `${I}${I}${I}</authentication>`,
    `${I}${I}</security>`,
    `${I}</system.webServer>`,
    `</location>`,
  );
  return lines;
}

const indent = (lines: string[], n: number) => lines.map((l) => (l === "" ? "" : "    ".repeat(n) + l));

export function applicationHostConfig(layout: Layout): string {
  const installDir = layout.spec.installDir;
  // Every IIS has its Default Web Site; in modern Configuration 2 on 8530 it holds nothing of WSUS.
  const all: SiteRequirement[] = layout.sites.some((s) => s.role === "default")
    ? layout.sites
    : [{ role: "default", name: layout.spec.defaultSite.name, httpPort: layout.spec.defaultSite.httpPort, httpsPort: null, vdirs: [] }, ...layout.sites];
  const siteIds = all.map((s) => (s.role === "default" ? DEFAULT_SITE_ID : WSUS_SITE_ID));
  const suscomp = joinWindowsPath(installDir, "WebServices", "suscomp.dll");

  const sites = all.flatMap((s, i) => siteXml(layout, s, siteIds[i], installDir));
  const locations = layout.sites.flatMap((s) => s.vdirs.flatMap((v) => locationXml(s.name, v)));

  const lines = [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<!--`,
    ``,
    `    IIS configuration sections.`,
    ``,
    `    For schema documentation, see`,
    `    %windir%\\system32\\inetsrv\\config\\schema\\IIS_schema.xml.`,
    `    `,
    `    Please make a backup of this file before making any changes to it.`,
    ``,
    `-->`,
    ``,
    `<configuration>`,
    ``,
    `    <!--`,
    ``,
    `        The <configSections> section controls the registration of sections.`,
    `        Section is the basic unit of deployment, locking, searching and`,
    `        containment for configuration settings.`,
    `        `,
    `        Every section belongs to one section group.`,
    `        A section group is a container of logically-related sections.`,
    `        `,
    `        Sections cannot be nested.`,
    `        Section groups may be nested.`,
    `        `,
    `        <section`,
    `            name=""  [Required, Collection Key] [XML name of the section]`,
    `            allowDefinition="Everywhere" [MachineOnly|MachineToApplication|AppHostOnly|Everywhere] [Level where it can be set]`,
    `            overrideModeDefault="Allow"  [Allow|Deny] [Default delegation mode]`,
    `            allowLocation="true"  [true|false] [Allowed in location tags]`,
    `        />`,
    `        `,
    `        The recommended way to unlock sections is by using a location tag:`,
    `        <location path="Default Web Site" overrideMode="Allow">`,
    `            <system.webServer>`,
    `                <asp />`,
    `            </system.webServer>`,
    `        </location>`,
    ``,
    `    -->`,
    `    <configSections>`,
    `        <sectionGroup name="system.applicationHost">`,
    `            <section name="applicationPools" allowDefinition="AppHostOnly" overrideModeDefault="Deny" />`,
    `            <section name="configHistory" allowDefinition="AppHostOnly" overrideModeDefault="Deny" />`,
    `            <section name="customMetadata" allowDefinition="AppHostOnly" overrideModeDefault="Deny" />`,
    `            <section name="listenerAdapters" allowDefinition="AppHostOnly" overrideModeDefault="Deny" />`,
    `            <section name="log" allowDefinition="AppHostOnly" overrideModeDefault="Deny" />`,
    `            <section name="serviceAutoStartProviders" allowDefinition="AppHostOnly" overrideModeDefault="Deny" />`,
    `            <section name="sites" allowDefinition="AppHostOnly" overrideModeDefault="Deny" />`,
    `            <section name="webLimits" allowDefinition="AppHostOnly" overrideModeDefault="Deny" />`,
    `        </sectionGroup>`,
    ``,
    `        <sectionGroup name="system.webServer">`,
    `            <section name="asp" overrideModeDefault="Deny" />`,
    `            <section name="caching" overrideModeDefault="Allow" />`,
    `            <section name="cgi" overrideModeDefault="Deny" />`,
    `            <section name="defaultDocument" overrideModeDefault="Allow" />`,
    `            <section name="directoryBrowse" overrideModeDefault="Allow" />`,
    `            <section name="fastCgi" allowDefinition="AppHostOnly" overrideModeDefault="Deny" />`,
    `            <section name="globalModules" allowDefinition="AppHostOnly" overrideModeDefault="Deny" />`,
    `            <section name="handlers" overrideModeDefault="Deny" />`,
    `            <section name="httpCompression" allowDefinition="AppHostOnly" overrideModeDefault="Deny" />`,
    `            <section name="httpErrors" overrideModeDefault="Deny" />`,
    `            <section name="httpLogging" overrideModeDefault="Deny" />`,
    `            <section name="httpProtocol" overrideModeDefault="Allow" />`,
    `            <section name="httpRedirect" overrideModeDefault="Allow" />`,
    `            <section name="httpTracing" overrideModeDefault="Deny" />`,
    `            <section name="isapiFilters" allowDefinition="MachineToApplication" overrideModeDefault="Deny" />`,
    `            <section name="modules" allowDefinition="MachineToApplication" overrideModeDefault="Deny" />`,
    `            <section name="odbcLogging" overrideModeDefault="Deny" />`,
    `            <sectionGroup name="security">`,
    `                <section name="access" overrideModeDefault="Deny" />`,
    `                <section name="applicationDependencies" overrideModeDefault="Deny" />`,
    `                <sectionGroup name="authentication">`,
    `                    <section name="anonymousAuthentication" overrideModeDefault="Deny" />`,
    `                    <section name="basicAuthentication" overrideModeDefault="Deny" />`,
    `                    <section name="clientCertificateMappingAuthentication" overrideModeDefault="Deny" />`,
    `                    <section name="digestAuthentication" overrideModeDefault="Deny" />`,
    `                    <section name="iisClientCertificateMappingAuthentication" overrideModeDefault="Deny" />`,
    `                    <section name="windowsAuthentication" overrideModeDefault="Deny" />`,
    `                </sectionGroup>`,
    `                <section name="authorization" overrideModeDefault="Allow" />`,
    `                <section name="ipSecurity" overrideModeDefault="Deny" />`,
    `                <section name="dynamicIpSecurity" overrideModeDefault="Deny" />`,
    `                <section name="isapiCgiRestriction" allowDefinition="AppHostOnly" overrideModeDefault="Deny" />`,
    `                <section name="requestFiltering" overrideModeDefault="Allow" />`,
    `            </sectionGroup>`,
    `            <section name="serverRuntime" overrideModeDefault="Deny" />`,
    `            <section name="serverSideInclude" overrideModeDefault="Deny" />`,
    `            <section name="staticContent" overrideModeDefault="Allow" />`,
    `            <sectionGroup name="tracing">`,
    `                <section name="traceFailedRequests" overrideModeDefault="Allow" />`,
    `                <section name="traceProviderDefinitions" overrideModeDefault="Deny" />`,
    `            </sectionGroup>`,
    `            <section name="urlCompression" overrideModeDefault="Allow" />`,
    `            <section name="validation" overrideModeDefault="Allow" />`,
    `            <sectionGroup name="webdav">`,
    `                <section name="globalSettings" overrideModeDefault="Deny" />`,
    `                <section name="authoring" overrideModeDefault="Deny" />`,
    `                <section name="authoringRules" overrideModeDefault="Deny" />`,
    `            </sectionGroup>`,
    `            <section name="webSocket" overrideModeDefault="Deny" />`,
    `        </sectionGroup>`,
    `        <sectionGroup name="system.ftpServer">`,
    `            <section name="log" overrideModeDefault="Deny" allowDefinition="AppHostOnly" />`,
    `            <section name="firewallSupport" overrideModeDefault="Deny" allowDefinition="AppHostOnly" />`,
    `            <section name="caching" overrideModeDefault="Deny" allowDefinition="AppHostOnly" />`,
    `            <section name="providerDefinitions" overrideModeDefault="Deny" />`,
    `            <sectionGroup name="security">`,
    `                <section name="ipSecurity" overrideModeDefault="Deny" />`,
    `                <section name="requestFiltering" overrideModeDefault="Deny" />`,
    `                <section name="authorization" overrideModeDefault="Deny" />`,
    `                <section name="authentication" overrideModeDefault="Deny" />`,
    `            </sectionGroup>`,
    `            <section name="serverRuntime" overrideModeDefault="Deny" allowDefinition="AppHostOnly" />`,
    `        </sectionGroup>`,
    `    </configSections>`,
    ``,
    `    <configProtectedData>`,
    `        <providers>`,
    `            <add name="IISWASOnlyRsaProvider" type="" description="Uses RsaCryptoServiceProvider to encrypt and decrypt" keyContainerName="iisWasKey" cspProviderName="" useMachineContainer="true" useOAEP="false" />`,
    `            <add name="AesProvider" type="Microsoft.ApplicationHost.AesProtectedConfigurationProvider" description="Uses an AES session key to encrypt and decrypt" keyContainerName="iisConfigurationKey" cspProviderName="" useOAEP="false" useMachineContainer="true" />`,
    `            <add name="IISWASOnlyAesProvider" type="Microsoft.ApplicationHost.AesProtectedConfigurationProvider" description="Uses an AES session key to encrypt and decrypt" keyContainerName="iisWasKey" cspProviderName="" useOAEP="false" useMachineContainer="true" />`,
    `        </providers>`,
    `    </configProtectedData>`,
    ``,
    `    <system.applicationHost>`,
    ``,
    `        <applicationPools>`,
    `            <add name="DefaultAppPool" />`,
    // WsusPool tuned per KB 4490414 (queue length 2000, private and virtual memory limits 0, the 29-hour
    // recycle off, idle time-out 0, ping off): the healthy lab passes the health rules. WSUS setup itself
    // writes queueLength 1000, privateMemory 1843200 … (the breaks pool-queue-length / pool-private-memory).
    `            <add name="WsusPool" autoStart="true" managedRuntimeVersion="v4.0" managedPipelineMode="Integrated" queueLength="2000">`,
    `                <processModel identityType="NetworkService" idleTimeout="00:00:00" pingingEnabled="false" />`,
    `                <recycling>`,
    `                    <periodicRestart memory="0" privateMemory="0" time="00:00:00" />`,
    `                </recycling>`,
    `            </add>`,
    `            <applicationPoolDefaults managedRuntimeVersion="v4.0">`,
    `                <processModel identityType="ApplicationPoolIdentity" />`,
    `            </applicationPoolDefaults>`,
    `        </applicationPools>`,
    ``,
    `        <!--`,
    ``,
    `          The <customMetadata> section is used internally by the Admin Base Objects`,
    `          (ABO) Compatibility component. Please do not modify its content.`,
    ``,
    `        -->`,
    `        <customMetadata />`,
    ``,
    `        <!--`,
    ``,
    `          The <listenerAdapters> section defines the protocols with which the`,
    `          Windows Process Activation Service (WAS) binds.`,
    ``,
    `        -->`,
    `        <listenerAdapters>`,
    `            <add name="http" />`,
    `        </listenerAdapters>`,
    ``,
    `        <log>`,
    `            <centralBinaryLogFile enabled="true" directory="%SystemDrive%\\inetpub\\logs\\LogFiles" />`,
    `            <centralW3CLogFile enabled="true" directory="%SystemDrive%\\inetpub\\logs\\LogFiles" />`,
    `        </log>`,
    ``,
    `        <sites>`,
    ...indent(sites, 3),
    `            <siteDefaults>`,
    `                <logFile logFormat="W3C" directory="%SystemDrive%\\inetpub\\logs\\LogFiles" />`,
    `                <traceFailedRequestsLogging directory="%SystemDrive%\\inetpub\\logs\\FailedReqLogFiles" />`,
    `            </siteDefaults>`,
    `            <applicationDefaults applicationPool="DefaultAppPool" />`,
    `            <virtualDirectoryDefaults allowSubDirConfig="true" />`,
    `        </sites>`,
    ``,
    `        <webLimits />`,
    ``,
    `    </system.applicationHost>`,
    ``,
    `    <system.webServer>`,
    ``,
    `        <asp />`,
    ``,
    `        <caching enabled="true" enableKernelCache="true">`,
    `        </caching>`,
    ``,
    `        <cgi />`,
    ``,
    `        <defaultDocument enabled="true">`,
    `            <files>`,
    `                <add value="Default.htm" />`,
    `                <add value="Default.asp" />`,
    `                <add value="index.htm" />`,
    `                <add value="index.html" />`,
    `                <add value="iisstart.htm" />`,
    `                <add value="default.aspx" />`,
    `            </files>`,
    `        </defaultDocument>`,
    ``,
    `        <directoryBrowse enabled="false" />`,
    ``,
    `        <fastCgi />`,
    ``,
    `        <!--`,
    ``,
    `          The <globalModules> section defines all native-code modules.`,
    `          To enable a module, specify it in the <modules> section.`,
    ``,
    `        -->`,
    `        <globalModules>`,
    `            <add name="HttpLoggingModule" image="%windir%\\System32\\inetsrv\\loghttp.dll" />`,
    `            <add name="UriCacheModule" image="%windir%\\System32\\inetsrv\\cachuri.dll" />`,
    `            <add name="TokenCacheModule" image="%windir%\\System32\\inetsrv\\cachtokn.dll" />`,
    `            <add name="DynamicCompressionModule" image="%windir%\\System32\\inetsrv\\compdyn.dll" />`,
    `            <add name="StaticCompressionModule" image="%windir%\\System32\\inetsrv\\compstat.dll" />`,
    `            <add name="DefaultDocumentModule" image="%windir%\\System32\\inetsrv\\defdoc.dll" />`,
    `            <add name="DirectoryListingModule" image="%windir%\\System32\\inetsrv\\dirlist.dll" />`,
    `            <add name="ProtocolSupportModule" image="%windir%\\System32\\inetsrv\\protsup.dll" />`,
    `            <add name="StaticFileModule" image="%windir%\\System32\\inetsrv\\static.dll" />`,
    `            <add name="AnonymousAuthenticationModule" image="%windir%\\System32\\inetsrv\\authanon.dll" />`,
    `            <add name="WindowsAuthenticationModule" image="%windir%\\System32\\inetsrv\\authsspi.dll" />`,
    `            <add name="RequestFilteringModule" image="%windir%\\System32\\inetsrv\\modrqflt.dll" />`,
    `            <add name="CustomErrorModule" image="%windir%\\System32\\inetsrv\\custerr.dll" />`,
    `            <add name="IsapiModule" image="%windir%\\System32\\inetsrv\\isapi.dll" />`,
    `            <add name="ConfigurationValidationModule" image="%windir%\\System32\\inetsrv\\validcfg.dll" />`,
    `            <add name="ManagedEngineV4.0_64bit" image="%windir%\\Microsoft.NET\\Framework64\\v4.0.30319\\webengine4.dll" preCondition="integratedMode,runtimeVersionv4.0,bitness64" />`,
    `        </globalModules>`,
    ``,
    `        <httpCompression directory="%SystemDrive%\\inetpub\\temp\\IIS Temporary Compressed Files">`,
    `            <scheme name="xpress" doStaticCompression="false" doDynamicCompression="true" dll="${a(suscomp)}" staticCompressionLevel="10" dynamicCompressionLevel="0" />`,
    `            <dynamicTypes>`,
    `                <add mimeType="text/*" enabled="true" />`,
    `                <add mimeType="*/*" enabled="false" />`,
    `            </dynamicTypes>`,
    `            <staticTypes>`,
    `                <add mimeType="text/*" enabled="true" />`,
    `                <add mimeType="*/*" enabled="false" />`,
    `            </staticTypes>`,
    `        </httpCompression>`,
    ``,
    `        <httpErrors lockAttributes="allowAbsolutePathsWhenDelegated,defaultPath">`,
    `            <error statusCode="401" prefixLanguageFilePath="%SystemDrive%\\inetpub\\custerr" path="401.htm" />`,
    `            <error statusCode="403" prefixLanguageFilePath="%SystemDrive%\\inetpub\\custerr" path="403.htm" />`,
    `            <error statusCode="404" prefixLanguageFilePath="%SystemDrive%\\inetpub\\custerr" path="404.htm" />`,
    `            <error statusCode="405" prefixLanguageFilePath="%SystemDrive%\\inetpub\\custerr" path="405.htm" />`,
    `            <error statusCode="406" prefixLanguageFilePath="%SystemDrive%\\inetpub\\custerr" path="406.htm" />`,
    `            <error statusCode="412" prefixLanguageFilePath="%SystemDrive%\\inetpub\\custerr" path="412.htm" />`,
    `            <error statusCode="500" prefixLanguageFilePath="%SystemDrive%\\inetpub\\custerr" path="500.htm" />`,
    `            <error statusCode="501" prefixLanguageFilePath="%SystemDrive%\\inetpub\\custerr" path="501.htm" />`,
    `            <error statusCode="502" prefixLanguageFilePath="%SystemDrive%\\inetpub\\custerr" path="502.htm" />`,
    `        </httpErrors>`,
    ``,
    `        <httpLogging dontLog="false" />`,
    ``,
    `        <httpProtocol>`,
    `            <customHeaders>`,
    `                <clear />`,
    `                <add name="X-Powered-By" value="ASP.NET" />`,
    `            </customHeaders>`,
    `            <redirectHeaders>`,
    `                <clear />`,
    `            </redirectHeaders>`,
    `        </httpProtocol>`,
    ``,
    `        <httpRedirect enabled="false" />`,
    ``,
    `        <odbcLogging />`,
    ``,
    `        <security>`,
    ``,
    `            <access sslFlags="None" />`,
    ``,
    `            <applicationDependencies>`,
    `                <application name="Active Server Pages" groupId="ASP" />`,
    `            </applicationDependencies>`,
    ``,
    `            <authentication>`,
    ``,
    // IIS 7+ writes the built-in IUSR (IIS docs); the KB's world runs anonymous requests as IUSR_<COMPUTERNAME>
    `                <anonymousAuthentication enabled="true" userName="${a(layout.anonymousIdentity.principal)}" />`,
    ``,
    `                <basicAuthentication enabled="false" />`,
    ``,
    `                <clientCertificateMappingAuthentication enabled="false" />`,
    ``,
    `                <digestAuthentication enabled="false" />`,
    ``,
    `                <iisClientCertificateMappingAuthentication enabled="false">`,
    `                </iisClientCertificateMappingAuthentication>`,
    ``,
    `                <windowsAuthentication enabled="false">`,
    `                    <providers>`,
    `                        <add value="Negotiate" />`,
    `                        <add value="NTLM" />`,
    `                    </providers>`,
    `                </windowsAuthentication>`,
    ``,
    `            </authentication>`,
    ``,
    `            <authorization>`,
    `                <add accessType="Allow" users="*" />`,
    `            </authorization>`,
    ``,
    `            <ipSecurity allowUnlisted="true" />`,
    ``,
    `            <isapiCgiRestriction notListedIsapisAllowed="false" notListedCgisAllowed="false">`,
    `                <add path="%windir%\\Microsoft.NET\\Framework64\\v4.0.30319\\webengine4.dll" allowed="true" groupId="ASP.NET_v4.0" description="ASP.NET_v4.0" />`,
    `            </isapiCgiRestriction>`,
    ``,
    `            <requestFiltering>`,
    `                <fileExtensions allowUnlisted="true" applyToWebDAV="true">`,
    `                    <add fileExtension=".asa" allowed="false" />`,
    `                    <add fileExtension=".asax" allowed="false" />`,
    `                    <add fileExtension=".config" allowed="false" />`,
    `                    <add fileExtension=".mdb" allowed="false" />`,
    `                </fileExtensions>`,
    `                <verbs allowUnlisted="true" applyToWebDAV="true" />`,
    `                <hiddenSegments applyToWebDAV="true">`,
    `                    <add segment="web.config" />`,
    `                    <add segment="bin" />`,
    `                    <add segment="App_Data" />`,
    `                </hiddenSegments>`,
    `            </requestFiltering>`,
    ``,
    `        </security>`,
    ``,
    `        <serverRuntime />`,
    ``,
    `        <serverSideInclude ssiExecDisable="false" />`,
    ``,
    `        <staticContent lockAttributes="isDocFooterFileName">`,
    `            <mimeMap fileExtension=".cab" mimeType="application/octet-stream" />`,
    `            <mimeMap fileExtension=".htm" mimeType="text/html" />`,
    `            <mimeMap fileExtension=".html" mimeType="text/html" />`,
    `            <mimeMap fileExtension=".xml" mimeType="text/xml" />`,
    `            <mimeMap fileExtension=".exe" mimeType="application/octet-stream" />`,
    `            <mimeMap fileExtension=".msu" mimeType="application/octet-stream" />`,
    `            <mimeMap fileExtension=".psf" mimeType="application/octet-stream" />`,
    `        </staticContent>`,
    ``,
    `        <tracing>`,
    `            <traceFailedRequests>`,
    `                <add path="*">`,
    `                    <traceAreas>`,
    `                        <add provider="WWW Server" areas="Authentication,Security,Filter,StaticFile,CGI,Compression,Cache,RequestNotifications,Module" verbosity="Verbose" />`,
    `                    </traceAreas>`,
    `                    <failureDefinitions statusCodes="401.3,404,500" />`,
    `                </add>`,
    `            </traceFailedRequests>`,
    `        </tracing>`,
    ``,
    `        <urlCompression />`,
    ``,
    `        <validation />`,
    ``,
    `    </system.webServer>`,
    `    <location path="" overrideMode="Allow">`,
    `        <system.webServer>`,
    `            <modules>`,
    `                <add name="HttpLoggingModule" lockItem="true" />`,
    `                <add name="UriCacheModule" lockItem="true" />`,
    `                <add name="DynamicCompressionModule" lockItem="true" />`,
    `                <add name="DefaultDocumentModule" lockItem="true" />`,
    `                <add name="StaticFileModule" lockItem="true" />`,
    `                <add name="AnonymousAuthenticationModule" lockItem="true" />`,
    `                <add name="WindowsAuthenticationModule" lockItem="true" />`,
    `                <add name="RequestFilteringModule" lockItem="true" />`,
    `                <add name="CustomErrorModule" lockItem="true" />`,
    `                <add name="IsapiModule" lockItem="true" />`,
    `                <add name="ConfigurationValidationModule" lockItem="true" />`,
    `            </modules>`,
    `            <handlers accessPolicy="Read, Script">`,
    `                <add name="ISAPI-dll" path="*.dll" verb="*" modules="IsapiModule" resourceType="File" requireAccess="Execute" allowPathInfo="true" />`,
    `                <add name="StaticFile" path="*" verb="*" modules="StaticFileModule,DefaultDocumentModule" resourceType="Either" requireAccess="Read" />`,
    `            </handlers>`,
    `        </system.webServer>`,
    `    </location>`,
    ...indent(locations, 1),
    `</configuration>`,
    ``,
  ];
  return "\uFEFF" + lines.join("\r\n");
}
