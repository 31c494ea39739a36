import { assertSafe, commandLine, quoteArg, switchArg, UnsafeArgumentError } from "../commands/quote";
import { AUTH_SECTIONS, type RepairAction } from "./actions";

export const APPCMD = "%windir%\\system32\\inetsrv\\appcmd.exe";

const bindingIp = (ip: string) => (ip.includes(":") ? `[${ip}]` : ip);

/**
 * appcmd addresses configuration as "Site/App/Vdir": a site name holding "/" or "\\" (legal in
 * applicationHost.config, read back from a server) would name another element, e.g. the site
 * "WSUS Administration/WSUSAdmin" is also the WSUSAdmin vdir of "WSUS Administration". Such a name never
 * reaches a command line. (No Microsoft source lists the characters IIS accepts in site names; refusing
 * both separators is the fail-safe side.)
 */
function siteArg(site: string): string {
  if (/[\/\\]/.test(site)) throw new UnsafeArgumentError(site, "a site name with / or \\ would make appcmd address another element");
  return site;
}

/** A repair action as the one Windows command line that performs it (null for manual steps). */
export function renderAction(a: RepairAction): string | null {
  if ("site" in a) siteArg(a.site);
  switch (a.kind) {
    case "add-site":
      return commandLine(APPCMD, "add", "site", switchArg("name", a.site), switchArg("bindings", `http/*:${a.port}:`), switchArg("physicalPath", a.physicalPath));
    case "add-binding":
      return commandLine(APPCMD, "set", "site", switchArg("site.name", a.site), `/+bindings.[protocol='http',bindingInformation='${quoteFree(bindingIp(a.ip))}:${a.port}:']`);
    case "add-app":
      return commandLine(
        APPCMD,
        "add",
        "app",
        switchArg("site.name", a.site),
        switchArg("path", `/${a.name}`),
        switchArg("physicalPath", a.physicalPath),
        ...(a.appPool ? [switchArg("applicationPool", a.appPool)] : []),
      );
    case "add-vdir":
      return commandLine(APPCMD, "add", "vdir", switchArg("app.name", `${a.site}/`), switchArg("path", `/${a.name}`), switchArg("physicalPath", a.physicalPath));
    case "set-vdir-path":
      return commandLine(APPCMD, "set", "vdir", quoteArg(`${a.site}${a.path}${a.app ? "/" : ""}`), switchArg("physicalPath", a.physicalPath));
    case "set-auth":
      return commandLine(
        APPCMD,
        "set",
        "config",
        quoteArg(`${a.site}${a.path}`),
        `-section:${AUTH_SECTIONS[a.auth]}`,
        switchArg("enabled", a.enabled ? "True" : "False"),
        "/commit:apphost",
      );
    case "set-ssl":
      return commandLine(APPCMD, "set", "config", quoteArg(`${a.site}${a.path}`), "-section:system.webServer/security/access", switchArg("sslFlags", a.requireSsl ? "Ssl" : "None"), "/commit:apphost");
    case "grant-acl":
      return commandLine("icacls", quoteArg(a.path), "/grant", quoteArg(`${a.sid ? `*${a.sid}` : a.principal}:(OI)(CI)(${a.rights})`));
    case "add-group-member":
      return commandLine("net", "localgroup", quoteArg(netGroupName(a.group)), quoteArg(a.member), "/add");
    case "install-msi":
      // msiexec is a GUI-subsystem program: cmd.exe returns at once unless told to wait (`start /wait`).
      // Repair first: /i on an installed product does not bring back missing files, /fa ("Forces all
      // files to be reinstalled") does; when the product is not installed /f exits 1605 and /i installs it
      // (Microsoft Learn, msiexec command-line options and error codes; cmd `if errorlevel N` is true for
      // an exit code of N or more). Exit 3010 (reboot required) is success (the agents treat it so).
      return `${commandLine("start", "/wait", "msiexec", "/fa", quoteArg(a.msi), "/qn", "/norestart")} & if errorlevel 1605 if not errorlevel 1606 ${commandLine("start", "/wait", "msiexec", "/i", quoteArg(a.msi), "/qn", "/norestart")}`;
    case "set-apppool":
      // appcmd set apppool "Contoso" /recycling.periodicRestart.privateMemory:… (IIS configuration reference,
      // applicationPools/add/recycling/periodicRestart, AppCmd.exe sample; processModel the same way)
      return commandLine(APPCMD, "set", "apppool", quoteArg(poolArg(a.pool)), `/${a.attribute}:${a.value}`);
    case "set-impersonation":
      // /commit:apphost: written where the finding saw it set, so `appcmd add backup` covers it
      return commandLine(APPCMD, "set", "config", quoteArg(`${a.site}${a.path}`), "-section:system.web/identity", "/impersonate:false", "/commit:apphost");
    case "set-compression": {
      // KB 4490414's scheme line; the collection syntax as in the IIS configuration reference for
      // httpCompression/scheme (appcmd set config -section:system.webServer/httpCompression /+"[name='…',…,dll='…']" /commit:apphost)
      const dll = quoteFree(a.dll, true);
      return a.exists
        ? commandLine(APPCMD, "set", "config", "-section:system.webServer/httpCompression", `"/[name='xpress'].dll:${dll}"`, "/[name='xpress'].doDynamicCompression:true", "/commit:apphost")
        : commandLine(
            APPCMD,
            "set",
            "config",
            "-section:system.webServer/httpCompression",
            `/+"[name='xpress',doStaticCompression='false',doDynamicCompression='true',dll='${dll}',staticCompressionLevel='10',dynamicCompressionLevel='0']"`,
            "/commit:apphost",
          );
    }
    case "start-apppool":
      return commandLine(APPCMD, "start", "apppool", switchArg("apppool.name", poolArg(a.pool)));
    case "start-site":
      return commandLine(APPCMD, "start", "site", switchArg("site.name", a.site));
    case "manual":
      return null;
  }
}

/** Pool names reach appcmd like site names: no path separators (appcmd's identifiers), nothing cmd.exe interprets. */
function poolArg(pool: string): string {
  if (/[\/\\]/.test(pool)) throw new UnsafeArgumentError(pool, "an application pool name with / or \\ is not passed to appcmd");
  return pool;
}

/** `net localgroup` wants the bare group name: `VORDEFINIERT\Benutzer` -> `Benutzer`. */
export function netGroupName(name: string): string {
  return name.slice(name.lastIndexOf("\\") + 1);
}

/** Values inside appcmd's '…' collection syntax must not contain a quote either. */
function quoteFree(v: string, spacesAllowed = false): string {
  if (spacesAllowed) {
    if (/['"]/.test(v)) throw new UnsafeArgumentError(v, "contains a quote (appcmd's '…' collection syntax)");
    return assertSafe(v);
  }
  if (/['"\s]/.test(v)) throw new Error(`binding value ${JSON.stringify(v)} contains a quote or space`);
  return quoteArg(v);
}

/** Human remediation text for a set of actions: the commands, or the manual instruction. */
export function describeActions(actions: RepairAction[]): string {
  return actions.map((a) => (a.kind === "manual" ? a.text : renderAction(a))).join("\n");
}
