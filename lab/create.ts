import { promises as fsp } from "node:fs";
import * as path from "node:path";
import { type Layout, resolveLayout } from "../core/model/layout";
import { joinWindowsPath } from "../core/model/paths";
import { parseSpec, type Spec, type SpecInput, SpecError } from "../core/model/spec";
import type { LabAce } from "./acl";
import { findSite, readSites, XmlDoc } from "./appHost";
import { fakeMsi } from "./builtins";
import { quoteArg } from "./cmdline";
import { mkdirWindows, resolveHostPath, writeWindowsFile } from "./fs";
import { DEFAULT_LOCALE, isLocale, LOCALES, type Locale, localAccountName, localeOf, localGroupName } from "./locale";
import { DEFAULT_CWD, runCommand, TOOL_FILES, toolStubText } from "./shell";
import { isLab, LAB_SCHEMA_ID, LabError, type LabState, readLabState, writeLabState } from "./state";
import { applicationHostConfig } from "./template";
import { labLocalGroup } from "./windowsApi";

/**
 * `createLab(dir, options)`: a simulated WSUS server in a folder (see lab/README.md), healthy per
 * the layout of the given configuration/profile, then broken on purpose (`breaks`) through the lab's
 * own commands, so a break is exactly what the real command would have done.
 */

export type Break =
  | 1
  | 2
  | 3
  | 4
  | 5
  | 6
  | 7
  | 8
  | "missing-vdir"
  | "windows-auth-anonymous"
  | "wrong-path"
  | "users-hardened"
  // the health group (issue 13)
  | "pool-private-memory"
  | "pool-queue-length"
  | "pool-stopped"
  | "site-stopped"
  | "impersonation"
  | "impersonation-webconfig"
  | "compression";

/** The product Selfupdate.msi installs (the lab's name for it; KB 920659 gives none). */
export const SELFUPDATE_PRODUCT = "Windows Server Update Services SelfUpdate";

/**
 * The KB 920659 breaks (and the layout ones): what a `kb` converge repairs. Tests that apply "every break"
 * and expect the default check to come back compliant iterate these.
 */
export const BREAKS: readonly Break[] = [1, 2, 3, 4, 5, 6, 7, 8, "missing-vdir", "windows-auth-anonymous", "wrong-path", "users-hardened"];

/** The `health` group's breaks (issue 13): judged and repaired only with `rules: [kb, health]`. */
export const HEALTH_BREAKS: readonly Break[] = ["pool-private-memory", "pool-queue-length", "pool-stopped", "site-stopped", "impersonation", "impersonation-webconfig", "compression"];

/** Every break `createLab`, `applyBreak` and `parseBreak` take. */
export const ALL_BREAKS: readonly Break[] = [...BREAKS, ...HEALTH_BREAKS];

export const BREAK_DESCRIPTIONS: Readonly<Record<string, string>> = {
  "1": "kb920659: IUSR_<COMPUTERNAME> (and Authenticated Users, through which it would still be in Users) removed from Users; modern: Users ACE removed from the SelfUpdate folder",
  "2": "SelfUpdate virtual directory removed from every site",
  "3": "SelfUpdate not on a site bound to the client port (removed there, or the binding moved to 8080)",
  "4": "anonymous access off on SelfUpdate",
  "5": "the site clients use (Default Web Site in the KB's layouts, the WSUS site in modern Configuration 2) bound to 192.0.2.10 instead of All Unassigned (no 127.0.0.1)",
  "6": "anonymous access off on the Default Web Site",
  "7": "SharePoint installed without excluded paths",
  "8": "SelfUpdate files deleted",
  "missing-vdir": "ClientWebService removed from every site",
  "windows-auth-anonymous": "the Windows-auth vdir set to anonymous on, Windows off",
  "wrong-path": "SelfUpdate physical path set to ...\\WebServices\\ServerSyncWebService (Appendix C's copy-paste error)",
  "users-hardened": "Authenticated Users removed from Users (a hardening baseline): IIS's anonymous user no longer reads what only Users may",
  "pool-private-memory": "the WSUS application pool's private memory limit set to 1843200 KB (WSUS setup's value, KB 4490414): it recycles under load",
  "pool-queue-length": "the WSUS application pool's queue length set to 1000 (the IIS default; KB 4490414 wants 2000)",
  "pool-stopped": "the WSUS application pool stopped (appcmd stop apppool): every request its applications serve gets 503",
  "site-stopped": "the WSUS site stopped (appcmd stop site; the Default Web Site in Configuration 1): its ports refuse connections",
  impersonation: "ASP.NET impersonation on at the WSUS site root, in applicationHost.config (/commit:apphost): every WSUS endpoint answers 500.24 (KB 2737219)",
  "impersonation-webconfig": "ASP.NET impersonation on at the WSUS site root, in the site folder's web.config: every WSUS endpoint answers 500.24 (KB 2737219)",
  compression: "the xpress compression scheme (suscomp.dll, KB 4490414) removed from httpCompression",
};

const NAMED_BREAKS = ALL_BREAKS.filter((b): b is Extract<Break, string> => typeof b === "string");
const BREAK_LIST = `1..8, ${NAMED_BREAKS.slice(0, -1).join(", ")} or ${NAMED_BREAKS[NAMED_BREAKS.length - 1]}`;

/** Parse a break given as text ("4", "wrong-path"); throws LabError naming the bad value. */
export function parseBreak(text: string): Break {
  const t = text.trim().toLowerCase();
  if (/^[1-8]$/.test(t)) return Number(t) as Break;
  const named = ALL_BREAKS.find((b) => typeof b === "string" && b === t);
  if (named !== undefined) return named;
  throw new LabError(`unknown break "${text}": expected ${BREAK_LIST}`);
}

export interface CreateLabOptions {
  configuration?: 1 | 2;
  profile?: "kb920659" | "modern";
  /** NetBIOS name (default WSUS01). */
  computerName?: string;
  breaks?: Break[];
  /** More of the desired state (install dir, ports, ssl …); configuration/profile/computerName above win. */
  spec?: SpecInput;
  /**
   * Recreate `dir` when it is already a lab (its contents are replaced). Without it, only a missing or
   * empty folder is used; a non-empty folder that is not a lab is refused even with it.
   */
  force?: boolean;
  /** Display language of the simulated Windows: account names and messages (lab/locale.ts; default en-US). */
  locale?: Locale;
}

export interface LabInfo {
  dir: string;
  spec: Spec;
  layout: Layout;
  computerName: string;
}

const ENVIRONMENT = (computerName: string): Record<string, string> => ({
  ALLUSERSPROFILE: "C:\\ProgramData",
  APPDATA: "C:\\Users\\Administrator\\AppData\\Roaming",
  CommonProgramFiles: "C:\\Program Files\\Common Files",
  COMPUTERNAME: computerName,
  ComSpec: "C:\\Windows\\system32\\cmd.exe",
  LOCALAPPDATA: "C:\\Users\\Administrator\\AppData\\Local",
  NUMBER_OF_PROCESSORS: "4",
  OS: "Windows_NT",
  Path: "C:\\Windows\\system32;C:\\Windows;C:\\Windows\\System32\\Wbem;C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\;C:\\Windows\\system32\\inetsrv",
  PATHEXT: ".COM;.EXE;.BAT;.CMD;.VBS;.VBE;.JS;.JSE;.WSF;.WSH;.MSC",
  PROCESSOR_ARCHITECTURE: "AMD64",
  ProgramData: "C:\\ProgramData",
  ProgramFiles: "C:\\Program Files",
  "ProgramFiles(x86)": "C:\\Program Files (x86)",
  PUBLIC: "C:\\Users\\Public",
  SystemDrive: "C:",
  SystemRoot: "C:\\Windows",
  TEMP: "C:\\Users\\Administrator\\AppData\\Local\\Temp",
  TMP: "C:\\Users\\Administrator\\AppData\\Local\\Temp",
  USERDOMAIN: computerName,
  USERNAME: "Administrator",
  USERPROFILE: "C:\\Users\\Administrator",
  windir: "C:\\Windows",
});

// ---- ACLs as Windows sets them ----

const ace = (principal: string, rights: string, flags: string = "", type: "allow" | "deny" = "allow"): LabAce => ({
  principal,
  type,
  rights,
  inherited: false,
  oi: flags.includes("OI"),
  ci: flags.includes("CI"),
  io: flags.includes("IO"),
  np: flags.includes("NP"),
});

const TI = "NT SERVICE\\TrustedInstaller";
const SYSTEM = "NT AUTHORITY\\SYSTEM";
const ADMINS = "BUILTIN\\Administrators";
const USERS = "BUILTIN\\Users";
const AUTH_USERS = "NT AUTHORITY\\Authenticated Users";
const NETWORK_SERVICE = "NT AUTHORITY\\NETWORK SERVICE";
const ALL_APP = "APPLICATION PACKAGE AUTHORITY\\ALL APPLICATION PACKAGES";
const ALL_RESTRICTED = "APPLICATION PACKAGE AUTHORITY\\ALL RESTRICTED APPLICATION PACKAGES";

/** `icacls C:\Windows` / `C:\Program Files` on Windows Server (generic rights stored as GA / GR,GE). */
const SYSTEM_FOLDER: LabAce[] = [
  ace(TI, "F"),
  ace(TI, "GA", "CI IO"),
  ace(SYSTEM, "M"),
  ace(SYSTEM, "GA", "OI CI IO"),
  ace(ADMINS, "M"),
  ace(ADMINS, "GA", "OI CI IO"),
  ace(USERS, "RX"),
  ace(USERS, "GR,GE", "OI CI IO"),
  ace("CREATOR OWNER", "GA", "OI CI IO"),
  ace(ALL_APP, "RX"),
  ace(ALL_APP, "GR,GE", "OI CI IO"),
  ace(ALL_RESTRICTED, "RX"),
  ace(ALL_RESTRICTED, "GR,GE", "OI CI IO"),
];

function initialAcls(layout: Layout): { acls: Record<string, LabAce[]>; protectedAcls: string[] } {
  const acls: Record<string, LabAce[]> = {
    "C:\\": [
      ace(SYSTEM, "F", "OI CI"),
      ace(ADMINS, "F", "OI CI"),
      ace(USERS, "RX", "OI CI"),
      ace(USERS, "AD", "CI"),
      ace(USERS, "WD", "CI IO"),
      ace("CREATOR OWNER", "GA", "OI CI IO"),
    ],
    "C:\\Windows": SYSTEM_FOLDER,
    "C:\\Program Files": SYSTEM_FOLDER,
    // the fixture acl-outputs/icacls-inetpub-default.txt
    "C:\\inetpub": [
      ace(TI, "F"),
      ace(TI, "GA", "OI CI IO"),
      ace(SYSTEM, "F"),
      ace(SYSTEM, "GA", "OI CI IO"),
      ace(ADMINS, "F"),
      ace(ADMINS, "GA", "OI CI IO"),
      ace(USERS, "RX"),
      ace(USERS, "GR,GE", "OI CI IO"),
      ace("CREATOR OWNER", "GA", "OI CI IO"),
    ],
    "C:\\inetpub\\wwwroot": [ace("BUILTIN\\IIS_IUSRS", "RX", "OI CI")],
  };
  const protectedAcls = ["C:\\Windows", "C:\\Program Files", "C:\\inetpub"];
  // WSUS 3.0 SP2 Appendix D / windowsserverdocs "Permissions on WSUS directories"
  acls[layout.selfUpdatePath] = [ace(ADMINS, "F", "OI CI"), ace(SYSTEM, "F", "OI CI"), ace(USERS, "RX", "OI CI")];
  protectedAcls.push(layout.selfUpdatePath);
  const seen = new Set<string>([layout.selfUpdatePath.toLowerCase()]);
  for (const site of layout.sites) {
    for (const v of site.vdirs) {
      const key = v.physicalPath.toLowerCase();
      if (seen.has(key)) continue;
      seen.add(key);
      if (v.kind === "app") {
        acls[v.physicalPath] = [ace(NETWORK_SERVICE, "R", "OI CI"), ace(USERS, "R", "OI CI"), ace(AUTH_USERS, "R", "OI CI"), ace(ADMINS, "F", "OI CI"), ace(SYSTEM, "F", "OI CI")];
        protectedAcls.push(v.physicalPath);
      } else {
        // WsusContent: NETWORK SERVICE Full Control, the rest inherited from the drive
        acls[v.physicalPath] = [ace(NETWORK_SERVICE, "F", "OI CI")];
      }
    }
  }
  return { acls, protectedAcls };
}

// ---- files ----

const ENDPOINT_FILES: Readonly<Record<string, Record<string, string>>> = {
  clientwebservice: { "Client.asmx": '<%@ WebService Language="C#" Class="Microsoft.UpdateServices.Internal.ClientWebService" %>', "wusserverversion.xml": '<?xml version="1.0" encoding="utf-8"?>\r\n<ServerVersion>3.2.7600.226</ServerVersion>' },
  simpleauthwebservice: { "SimpleAuth.asmx": '<%@ WebService Language="C#" Class="Microsoft.UpdateServices.Internal.SimpleAuthWebService" %>' },
  reportingwebservice: { "ReportingWebService.asmx": '<%@ WebService Language="C#" Class="Microsoft.UpdateServices.Internal.Reporting.ReportingWebService" %>' },
  apiremoting30: { "WebService.asmx": '<%@ WebService Language="C#" Class="Microsoft.UpdateServices.Internal.ApiRemoting" %>' },
  serversyncwebservice: { "ServerSyncWebService.asmx": '<%@ WebService Language="C#" Class="Microsoft.UpdateServices.Internal.ServerSyncWebService" %>' },
  dssauthwebservice: { "DssAuthWebService.asmx": '<%@ WebService Language="C#" Class="Microsoft.UpdateServices.Internal.DssAuthWebService" %>' },
  inventory: { "Inventory.asmx": '<%@ WebService Language="C#" Class="Microsoft.UpdateServices.Internal.Inventory" %>' },
  wsusadmin: { "default.aspx": '<%@ Page Language="C#" Inherits="Microsoft.UpdateServices.WebServices.Administration.Home" %>' },
};

/**
 * The web.config of the WSUS site root and of each WSUS application. No system.web/identity: KB 2737219
 * says impersonation is not enabled by default and shows its symptom (500.24 on every WSUS endpoint) from
 * a setting on the site inherited by the applications, which an explicit `impersonate="false"` in each
 * application's web.config would have stopped (a web.config overrides the applicationHost.config
 * `<location>` of its own path, core/state/health.ts).
 */
const WEB_CONFIG = [
  `<?xml version="1.0" encoding="utf-8"?>`,
  `<configuration>`,
  `  <system.web>`,
  `    <compilation debug="false" />`,
  `    <trust level="Full" />`,
  `  </system.web>`,
  `</configuration>`,
  ``,
].join("\r\n");

/** The SelfUpdate tree: the layout's files plus the WSUS 2.0-era client binaries. */
export function selfUpdatePayload(layout: Layout): Record<string, string> {
  const files: Record<string, string> = {};
  const names = [...layout.selfUpdateFiles, "AU\\x86\\NetServer\\en\\wuaucomp.cab", "AU\\x64\\NetServer\\en\\wuaucomp.cab"];
  for (const f of names) {
    if (Object.keys(files).some((k) => k.toLowerCase() === f.toLowerCase())) continue;
    files[f] = `MSCF\u0000\u0000\u0000\u0000 wsus-iis lab: placeholder cabinet ${f}\r\n`;
  }
  return files;
}

async function writeFiles(dir: string, layout: Layout): Promise<void> {
  const install = layout.spec.installDir;
  for (const tool of TOOL_FILES) await fsp.chmod(await writeWindowsFile(dir, tool, toolStubText(tool)), 0o755);
  await writeWindowsFile(dir, "C:\\Windows\\System32\\inetsrv\\config\\applicationHost.config", applicationHostConfig(layout));
  await writeWindowsFile(
    dir,
    "C:\\Windows\\System32\\inetsrv\\config\\redirection.config",
    '\uFEFF<configuration>\r\n\r\n    <configSections>\r\n        <section name="configurationRedirection" />\r\n    </configSections>\r\n\r\n    <configurationRedirection />\r\n\r\n</configuration>\r\n',
  );
  await writeWindowsFile(
    dir,
    "C:\\Windows\\System32\\inetsrv\\config\\administration.config",
    '\uFEFF<configuration>\r\n    <configSections>\r\n        <section name="moduleProviders" allowDefinition="AppHostOnly" overrideModeDefault="Deny" />\r\n    </configSections>\r\n    <moduleProviders />\r\n</configuration>\r\n',
  );
  await mkdirWindows(dir, "C:\\Windows\\System32\\inetsrv\\backup");
  await mkdirWindows(dir, "C:\\Windows\\Temp");
  await mkdirWindows(dir, DEFAULT_CWD);
  await mkdirWindows(dir, "C:\\Users\\Administrator\\AppData\\Local\\Temp");
  await mkdirWindows(dir, "C:\\inetpub\\logs\\LogFiles");
  await writeWindowsFile(
    dir,
    "C:\\inetpub\\wwwroot\\iisstart.htm",
    '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">\r\n<html xmlns="http://www.w3.org/1999/xhtml">\r\n<head>\r\n<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1" />\r\n<title>IIS Windows Server</title>\r\n</head>\r\n<body>\r\n<div id="container">\r\n<a href="http://go.microsoft.com/fwlink/?linkid=66138&amp;clcid=0x409"><img src="iisstart.png" alt="IIS" width="960" height="600" /></a>\r\n</div>\r\n</body>\r\n</html>\r\n',
  );

  // SelfUpdate files and the package that (re)installs them
  const payload = selfUpdatePayload(layout);
  for (const [rel, content] of Object.entries(payload)) await writeWindowsFile(dir, joinWindowsPath(layout.selfUpdatePath, rel), content);
  await writeWindowsFile(
    dir,
    joinWindowsPath(install, "Setup", "Selfupdate.msi"),
    fakeMsi({ productName: SELFUPDATE_PRODUCT, targetDir: layout.selfUpdatePath, files: payload }),
  );
  await writeWindowsFile(dir, joinWindowsPath(install, "WebServices", "suscomp.dll"), "MZ wsus-iis lab: placeholder suscomp.dll\r\n");

  // web services, content, the WSUS site root
  const done = new Set<string>();
  for (const site of layout.sites) {
    if (site.role === "admin") await writeWindowsFile(dir, joinWindowsPath(install, "WebServices", "Root", "web.config"), WEB_CONFIG);
    for (const v of site.vdirs) {
      if (done.has(v.physicalPath.toLowerCase())) continue;
      done.add(v.physicalPath.toLowerCase());
      if (v.isSelfUpdate) continue;
      if (v.kind === "app") {
        await writeWindowsFile(dir, joinWindowsPath(v.physicalPath, "web.config"), WEB_CONFIG);
        for (const [name, content] of Object.entries(ENDPOINT_FILES[v.name.toLowerCase()] ?? {})) {
          await writeWindowsFile(dir, joinWindowsPath(v.physicalPath, name), content + "\r\n");
        }
      } else {
        await writeWindowsFile(dir, joinWindowsPath(v.physicalPath, "3A", "3AB8D6CEE2B1A01C2B5D0F8CE7D6A1D1FC3B4E6F.cab"), "MSCF\u0000\u0000\u0000\u0000 wsus-iis lab: placeholder update content\r\n");
        await writeWindowsFile(dir, joinWindowsPath(v.physicalPath, "anonymousCheckFile.txt"), "");
      }
    }
  }
}

function initialState(spec: Spec, layout: Layout, specInput: SpecInput, computerName: string, locale: Locale): LabState {
  const { acls, protectedAcls } = initialAcls(layout);
  const kb = layout.profile === "kb920659";
  const iusr = `IUSR_${computerName.toUpperCase()}`;
  return {
    schema: LAB_SCHEMA_ID,
    computerName,
    machineSid: "S-1-5-21-3623811015-3361044348-30300820",
    // lab.json stays canonical English (ACE principals, group keys, members) in every locale
    locale,
    environment: ENVIRONMENT(computerName),
    acls,
    protectedAcls,
    users: ["Administrator", "DefaultAccount", "Guest", ...(kb ? [iusr, `IWAM_${computerName.toUpperCase()}`] : [])],
    groups: {
      Administrators: { comment: "Administrators have complete and unrestricted access to the computer/domain", members: ["Administrator"] },
      Guests: { comment: "Guests have the same access as members of the Users group by default, except for the Guest account which is further restricted", members: ["Guest"] },
      IIS_IUSRS: { comment: "Built-in group used by Internet Information Services.", members: ["NT AUTHORITY\\IUSR"] },
      Users: {
        comment: "Users are prevented from making accidental or intentional system-wide changes and can run most applications",
        members: ["NT AUTHORITY\\Authenticated Users", "NT AUTHORITY\\INTERACTIVE", ...(kb ? [iusr] : [])],
      },
      "WSUS Administrators": { comment: "Microsoft Windows Server Update Services Administrators", members: [] },
      "WSUS Reporters": { comment: "Microsoft Windows Server Update Services Reporters", members: [] },
    },
    features: { sharePoint: { installed: false, excludedPaths: [] } },
    services: { W3SVC: "Running", WAS: "Running", WsusService: "Running" },
    products: [SELFUPDATE_PRODUCT],
    profile: layout.profile,
    configuration: layout.configuration,
    spec: specInput,
  };
}

/** The entries of `dir`, or null when it does not exist. */
async function folderEntries(dir: string): Promise<string[] | null> {
  let st;
  try {
    st = await fsp.stat(dir);
  } catch {
    return null;
  }
  if (!st.isDirectory()) throw new LabError(`${dir} exists and is not a folder`);
  return fsp.readdir(dir);
}

const NOT_A_LAB = `no lab.json with schema ${LAB_SCHEMA_ID}`;

/**
 * Make `dir` ready for a new lab. Nothing is lost by accident: a missing or empty folder is used as
 * is; a non-empty one only with `force`, and only when it is a lab (whose own files are what gets
 * replaced); a folder that is not a lab is never emptied, forced or not.
 */
async function prepareDir(dir: string, force: boolean): Promise<void> {
  const entries = await folderEntries(dir);
  if (entries === null) {
    await fsp.mkdir(dir, { recursive: true });
    return;
  }
  if (entries.length === 0) return;
  const lab = await isLab(dir);
  if (!lab && !force) throw new LabError(`${dir} is not empty and is not a lab (${NOT_A_LAB}); lab create never replaces it`);
  if (!lab) throw new LabError(`${dir} is not a lab (${NOT_A_LAB}): --force replaces only a lab; empty the folder or choose another one`);
  if (!force) throw new LabError(`${dir} is already a lab: use --force to recreate it (what was changed in it is lost)`);
  for (const e of entries) await fsp.rm(path.join(dir, e), { recursive: true, force: true });
}

/** Build a lab in `dir`: healthy, then with the given breaks applied. */
export async function createLab(dir: string, options: CreateLabOptions = {}): Promise<LabInfo> {
  const base = (options.spec ?? {}) as Record<string, unknown>;
  const specInput = {
    ...base,
    // a default WSUS 4+ install: the WSUS site on 8530/8531, IIS 7+ layout
    configuration: options.configuration ?? base.configuration ?? 2,
    profile: options.profile ?? base.profile ?? "modern",
    computerName: options.computerName ?? base.computerName ?? "WSUS01",
  } as SpecInput;
  let spec: Spec;
  try {
    spec = parseSpec(specInput);
  } catch (e) {
    if (e instanceof SpecError) throw new LabError(e.message);
    throw e;
  }
  const computerName = spec.computerName!;
  const layout = resolveLayout(spec, computerName);
  for (const b of options.breaks ?? []) if (!ALL_BREAKS.includes(b)) throw new LabError(`unknown break ${JSON.stringify(b)}`);
  const locale = options.locale ?? DEFAULT_LOCALE;
  if (!isLocale(locale)) throw new LabError(`unknown locale ${JSON.stringify(locale)}: expected ${LOCALES.join(", ")}`);

  await prepareDir(dir, options.force ?? false);
  await writeLabState(dir, initialState(spec, layout, specInput, computerName, locale));
  await writeFiles(dir, layout);
  if (options.breaks?.length) {
    for (const b of options.breaks) await applyBreak(dir, b);
    const state = await readLabState(dir);
    state.breaks = options.breaks;
    await writeLabState(dir, state);
  }
  return { dir, spec, layout, computerName };
}

/** The spec and layout a lab was created with. */
export async function labLayout(dir: string): Promise<LabInfo> {
  const state = await readLabState(dir);
  const spec = parseSpec(state.spec ?? { configuration: state.configuration, profile: state.profile, computerName: state.computerName });
  return { dir, spec, layout: resolveLayout(spec, state.computerName), computerName: state.computerName };
}

// ---- breaks ----

async function must(dir: string, line: string): Promise<void> {
  const r = await runCommand(dir, line);
  if (r.exitCode !== 0) throw new LabError(`lab break failed: ${line}\n${r.stdout}${r.stderr}`.trim());
}

const APPCMD = "%windir%\\system32\\inetsrv\\appcmd.exe";
const q = quoteArg;

async function readDoc(dir: string): Promise<XmlDoc> {
  const h = await resolveHostPath(dir, "C:\\Windows\\System32\\inetsrv\\config\\applicationHost.config");
  return XmlDoc.parse(await fsp.readFile(h.hostPath, "utf8"));
}

/** Sites holding a vdir/app named `name` at the site root: [site name, appcmd id of the vdir or app, kind]. */
function holders(doc: XmlDoc, name: string): { site: string; id: string; kind: "vdir" | "app" }[] {
  const out: { site: string; id: string; kind: "vdir" | "app" }[] = [];
  const n = "/" + name.toLowerCase();
  for (const s of readSites(doc)) {
    for (const a of s.apps) {
      if (a.path.toLowerCase() === n) out.push({ site: s.name, id: a.id, kind: "app" });
      if (a.path === "/") for (const v of a.vdirs) if (v.path.toLowerCase() === n) out.push({ site: s.name, id: v.id, kind: "vdir" });
    }
  }
  return out;
}

function httpPortsOf(doc: XmlDoc, site: string): number[] {
  const s = findSite(doc, site);
  return (s?.bindings ?? []).filter((b) => b.protocol.toLowerCase() === "http").map((b) => Number(b.bindingInformation.split(":").slice(-2)[0]));
}

/** The site WSUS runs on: the WSUS site in Configuration 2, the Default Web Site (which holds WSUS) in Configuration 1. */
function wsusSiteOf(layout: Layout): string {
  return (layout.sites.find((s) => s.role === "admin") ?? layout.sites[0]).name;
}

/** The application pool the WSUS applications use (ClientWebService's, as applicationHost.config has it; WsusPool when none is found). */
function wsusPoolOf(doc: XmlDoc): string {
  for (const s of readSites(doc)) for (const a of s.apps) if (a.path.toLowerCase() === "/clientwebservice") return a.applicationPool;
  return "WsusPool";
}

/** `net localgroup Users "NT AUTHORITY\Authenticated Users" /delete`, unless an earlier break did it (1377 otherwise). */
async function removeAuthenticatedUsersFromUsers(dir: string, locale: Locale): Promise<void> {
  const users = await labLocalGroup(dir, "S-1-5-32-545");
  if (!users?.members.some((m) => m.sid === "S-1-5-11")) return;
  await must(dir, `net localgroup ${q(localGroupName(locale, "Users"))} ${q(localAccountName(locale, "S-1-5-11", "NT AUTHORITY\\Authenticated Users"))} /delete`);
}

/** Apply one break to an existing lab. */
export async function applyBreak(dir: string, brk: Break): Promise<void> {
  const { layout, computerName } = await labLayout(dir);
  // the break commands name accounts as an administrator on the lab's (localized) server would
  const locale = localeOf(await readLabState(dir));
  const doc = await readDoc(dir);
  const su = layout.selfUpdateName;
  const clientSite = layout.clientSite;
  const anon = "-section:system.webServer/security/authentication/anonymousAuthentication";
  const win = "-section:system.webServer/security/authentication/windowsAuthentication";

  switch (brk) {
    case 1:
      if (layout.profile === "kb920659") {
        // The KB's "IUSR_ComputerName account has been removed from the Users group": with Authenticated
        // Users still in Users the account would keep Users in its token (docs/research/iis-anonymous.md)
        await must(dir, `net localgroup ${q(localGroupName(locale, "Users"))} ${q(`IUSR_${computerName.toUpperCase()}`)} /delete`);
        await removeAuthenticatedUsersFromUsers(dir, locale);
      } else await must(dir, `icacls ${q(layout.selfUpdatePath)} /remove:g ${q(localAccountName(locale, "S-1-5-32-545", "BUILTIN\\Users"))}`);
      return;
    case "users-hardened":
      await removeAuthenticatedUsersFromUsers(dir, locale);
      return;
    case 2:
      for (const h of holders(doc, su)) await must(dir, `${APPCMD} delete ${h.kind} ${q(h.id)}`);
      return;
    case 3: {
      const all = holders(doc, su);
      const onPort = all.filter((h) => httpPortsOf(doc, h.site).includes(layout.clientPort));
      const elsewhere = all.filter((h) => !httpPortsOf(doc, h.site).includes(layout.clientPort));
      if (onPort.length && elsewhere.length) {
        for (const h of onPort) await must(dir, `${APPCMD} delete ${h.kind} ${q(h.id)}`);
        return;
      }
      for (const s of readSites(doc)) {
        for (const b of s.bindings) {
          const parts = b.bindingInformation.split(":");
          if (b.protocol.toLowerCase() !== "http" || Number(parts[parts.length - 2]) !== layout.clientPort) continue;
          parts[parts.length - 2] = "8080";
          const sel = (info: string) => `[protocol='${b.protocol}',bindingInformation='${info}']`;
          await must(dir, `${APPCMD} set site /site.name:${q(s.name)} ${q(`/-bindings.${sel(b.bindingInformation)}`)} ${q(`/+bindings.${sel(parts.join(":"))}`)}`);
        }
      }
      return;
    }
    case 4:
      for (const h of holders(doc, su)) await must(dir, `${APPCMD} set config ${q(`${h.site}/${su}`)} ${anon} /enabled:"False" /commit:apphost`);
      return;
    case 5: {
      const site = findSite(doc, clientSite.name)!;
      for (const b of site.bindings) {
        const parts = b.bindingInformation.split(":");
        if (b.protocol.toLowerCase() !== "http" || Number(parts[parts.length - 2]) !== clientSite.httpPort) continue;
        const sel = (info: string) => `[protocol='${b.protocol}',bindingInformation='${info}']`;
        await must(dir, `${APPCMD} set site /site.name:${q(site.name)} ${q(`/-bindings.${sel(b.bindingInformation)}`)}`);
      }
      const sel = `[protocol='http',bindingInformation='192.0.2.10:${clientSite.httpPort}:']`;
      await must(dir, `${APPCMD} set site /site.name:${q(site.name)} ${q(`/+bindings.${sel}`)}`);
      return;
    }
    case 6:
      // the KB's own: the Default Web Site (in modern Configuration 2 on 8530 clients never use it)
      await must(dir, `${APPCMD} set config ${q(layout.spec.defaultSite.name)} ${anon} /enabled:"False" /commit:apphost`);
      return;
    case 7: {
      const state = await readLabState(dir);
      state.features.sharePoint = { installed: true, excludedPaths: [] };
      await writeLabState(dir, state);
      return;
    }
    case 8: {
      const h = await resolveHostPath(dir, layout.selfUpdatePath);
      if (h.exists) await deleteFilesKeepFolders(h.hostPath);
      return;
    }
    case "missing-vdir":
      for (const h of holders(doc, "ClientWebService")) await must(dir, `${APPCMD} delete ${h.kind} ${q(h.id)}`);
      return;
    case "windows-auth-anonymous":
      for (const h of holders(doc, layout.windowsAuthVdir)) {
        await must(dir, `${APPCMD} set config ${q(`${h.site}/${layout.windowsAuthVdir}`)} ${anon} /enabled:"True" /commit:apphost`);
        await must(dir, `${APPCMD} set config ${q(`${h.site}/${layout.windowsAuthVdir}`)} ${win} /enabled:"False" /commit:apphost`);
      }
      return;
    case "wrong-path": {
      const target = joinWindowsPath(layout.spec.installDir, "WebServices", "ServerSyncWebService");
      for (const h of holders(doc, su)) {
        if (h.kind !== "vdir") continue;
        await must(dir, `${APPCMD} set vdir ${q(h.id)} ${q(`/physicalPath:${target}`)}`);
      }
      return;
    }
    // ---- the health group (issue 13), through the lab's appcmd like the repairs that undo them ----
    case "pool-private-memory":
      // KB 4490414's table: "Private Memory Limit (KB) … the default of 1,843,200 KB" (what WSUS setup writes)
      await must(dir, `${APPCMD} set apppool ${q(wsusPoolOf(doc))} /recycling.periodicRestart.privateMemory:1843200`);
      return;
    case "pool-queue-length":
      // KB 4490414: "Queue Length 2000 (up from default of 1000)"
      await must(dir, `${APPCMD} set apppool ${q(wsusPoolOf(doc))} /queueLength:1000`);
      return;
    case "pool-stopped":
      await must(dir, `${APPCMD} stop apppool /apppool.name:${q(wsusPoolOf(doc))}`);
      return;
    case "site-stopped":
      await must(dir, `${APPCMD} stop site /site.name:${q(wsusSiteOf(layout))}`);
      return;
    case "impersonation":
      await must(dir, `${APPCMD} set config ${q(wsusSiteOf(layout))} -section:system.web/identity /impersonate:true /commit:apphost`);
      return;
    case "impersonation-webconfig":
      // without /commit:apphost: the web.config of the site root's folder (created when it has none)
      await must(dir, `${APPCMD} set config ${q(wsusSiteOf(layout))} -section:system.web/identity /impersonate:true`);
      return;
    case "compression":
      await must(dir, `${APPCMD} set config -section:system.webServer/httpCompression ${q("/-[name='xpress']")} /commit:apphost`);
      return;
  }
}

async function deleteFilesKeepFolders(hostDir: string): Promise<void> {
  for (const e of await fsp.readdir(hostDir, { withFileTypes: true })) {
    const p = `${hostDir}/${e.name}`;
    if (e.isDirectory()) await deleteFilesKeepFolders(p);
    else await fsp.rm(p, { force: true });
  }
}

