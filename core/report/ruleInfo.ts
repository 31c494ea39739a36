import type { Spec } from "../model/spec";
import { RULES, rulesFor } from "../rules";
import type { Rule } from "../rules/rule";
import type { RuleInfo } from "./types";

/**
 * How each rule is repaired, in a sentence or two: the help a SARIF viewer shows next to an alert. Each
 * finding's own `remediation` holds the exact command for that server; this is the idea behind it. Every
 * rule id has one (test/report.test.ts), so a new rule cannot ship without its help text.
 */
export const RULE_REMEDIATION: Record<string, string> = {
  "selfupdate-acl":
    "Grant Administrators and SYSTEM Full Control and Users Read & Execute on the SelfUpdate folder and below (icacls /grant with (OI)(CI)), remove Deny entries that hit IIS's anonymous user, and keep that user in Users (repairs.addIusrToUsers) or give it its own Read & Execute entry.",
  "selfupdate-vdir": "Create the SelfUpdate virtual directory (appcmd add vdir) pointing to <install folder>\\Selfupdate, or point the existing one there.",
  "selfupdate-client-port": "Serve SelfUpdate on the site clients reach: bind the site that holds it to the client port (the WUServer URL's port: 80, or 8530 on a modern Configuration 2 server).",
  "selfupdate-anonymous": "Turn anonymous authentication on for the SelfUpdate virtual directory (appcmd set config … -section:system.webServer/security/authentication/anonymousAuthentication /enabled:true).",
  "default-site-loopback": "Bind the site clients use to All Unassigned, or add a 127.0.0.1 binding without a host header (appcmd set site /+bindings), so that the server answers http://127.0.0.1:<client port>/.",
  "default-site-anonymous": "Turn anonymous authentication on at the Default Web Site root.",
  "sharepoint-exclusions": "Exclude /selfupdate, /clientwebservice and the spec's paths from SharePoint's managed paths (WSS 3.0: stsadm -o addpath -type exclusion). A manual step.",
  "selfupdate-files": "Reinstall the SelfUpdate files (wuident.cab, iuident.cab) by repairing Selfupdate.msi with msiexec (opt in with repairs.reinstallSelfUpdate).",
  "layout-vdirs": "Create the missing WSUS virtual directories and applications on the right site (appcmd add vdir / add app), or fix their physical paths.",
  "layout-windows-auth": "On the Windows-auth vdir (WSUSAdmin, ApiRemoting30 or the spec's console vdir) turn anonymous authentication off and Windows authentication on.",
  "layout-anonymous": "Turn anonymous authentication on for every WSUS client virtual directory.",
  "layout-require-ssl": "Set Require SSL on ApiRemoting30, ClientWebService, DssAuthWebService, ServerSyncWebService and SimpleAuthWebService, and off on the others (appcmd set config -section:system.webServer/security/access /sslFlags).",
  "profile-fits-server": "Check with the profile the server has (--profile auto reads it). Nothing is repaired while an explicit profile does not fit.",
  "wsuspool-queue-length": "Raise the WSUS application pool's queue length to health.minQueueLength (appcmd set apppool WsusPool /queueLength:2000).",
  "wsuspool-private-memory": "Remove the WSUS application pool's private-memory limit (appcmd set apppool WsusPool /recycling.periodicRestart.privateMemory:0).",
  "wsuspool-virtual-memory": "Remove the WSUS application pool's virtual-memory limit (appcmd set apppool WsusPool /recycling.periodicRestart.memory:0).",
  "wsuspool-periodic-restart": "Turn the WSUS application pool's timed recycling off (appcmd set apppool WsusPool /recycling.periodicRestart.time:00:00:00).",
  "wsuspool-idle-timeout": "Keep the WSUS application pool running when idle (appcmd set apppool WsusPool /processModel.idleTimeout:00:00:00).",
  "wsuspool-ping": "Turn worker-process pinging off for the WSUS application pool (appcmd set apppool WsusPool /processModel.pingingEnabled:false).",
  "wsus-impersonation-off":
    "Turn ASP.NET impersonation off where it is on (appcmd set config \"<site>/<path>\" -section:system.web/identity /impersonate:false /commit:apphost). Set in a web.config, it is a manual step (an IIS backup does not save web.config files).",
  "wsus-dynamic-compression": "Add the xpress httpCompression scheme with dll=<install folder>\\WebServices\\suscomp.dll and doDynamicCompression true (appcmd set config -section:system.webServer/httpCompression), or run KB 4490414's DynamicCompression.vbs. Set health.compression: false to skip.",
  "wsus-site-started": "Start the site (appcmd start site /site.name:\"WSUS Administration\"). Starting comes after every configuration change of the plan.",
  "wsuspool-started": "Start the application pool (appcmd start apppool /apppool.name:WsusPool). If it stops again, read the Application event log (WAS, rapid-fail protection).",
};

/** What a report lists about a rule. */
export function ruleInfoOf(rule: Rule): RuleInfo {
  const remediation = RULE_REMEDIATION[rule.id];
  return { id: rule.id, cause: rule.cause, title: rule.title, description: rule.description, group: rule.group, helpUri: rule.helpUri, ...(remediation ? { remediation } : {}) };
}

/** Every rule of every group. */
export const ALL_RULE_INFO: readonly RuleInfo[] = RULES.map(ruleInfoOf);

/** The rules a spec judges (its `rules` groups, default `kb`): what a report of that spec lists. */
export function ruleInfoFor(spec: Pick<Spec, "rules">): RuleInfo[] {
  return rulesFor(spec).map(ruleInfoOf);
}
