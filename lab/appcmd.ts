import { promises as fsp } from "node:fs";
import * as path from "node:path";
import {
  APPHOST_CONFIG,
  type AppInfo,
  effectiveSection,
  findApp,
  findSection,
  findSite,
  findVdir,
  INETSRV_BACKUP_DIR,
  INETSRV_CONFIG_DIR,
  locationsFor,
  normalizeValue,
  readPools,
  readSites,
  type SectionDef,
  type SiteInfo,
  type VdirInfo,
} from "./appHost";
import { type CommandResult, type LabContext, NL } from "./context";
import { mkdirWindows, writeAtomic, writeWindowsFile } from "./fs";
import { attr, child, type XBuild, type XElement, XmlDoc, XmlParseError, render } from "./xml";

/**
 * `%windir%\system32\inetsrv\appcmd.exe`: list/add/set/delete of sites, apps, vdirs and config
 * sections, and backups, with appcmd's output lines, ERROR texts (on stdout, like appcmd) and exit
 * codes (the Win32 code of the failure: 1168 not found, 183 already exists, 87 bad parameter,
 * 13 invalid data, 33 lock violation).
 */

export const EXIT_NOT_FOUND = 1168;
export const EXIT_EXISTS = 183;
export const EXIT_BAD_PARAM = 87;

interface Param {
  name: string;
  value: string | undefined;
}

class AppcmdError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

const err = (message: string, code: number): never => {
  throw new AppcmdError(message, code);
};

const OBJECTS: Record<string, string> = {
  site: "site",
  sites: "site",
  app: "app",
  apps: "app",
  vdir: "vdir",
  vdirs: "vdir",
  apppool: "apppool",
  apppools: "apppool",
  config: "config",
  configs: "config",
  backup: "backup",
  backups: "backup",
};

const VERBS = new Set(["list", "add", "set", "delete", "restore"]);

/** Split `/name:value` at the first colon outside `[...]`. */
function parseParam(arg: string): Param {
  const body = arg.slice(1);
  let depth = 0;
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c === "[") depth++;
    else if (c === "]") depth = Math.max(0, depth - 1);
    else if (c === ":" && depth === 0) return { name: body.slice(0, i), value: body.slice(i + 1) };
  }
  return { name: body, value: undefined };
}

class Args {
  readonly params: Param[] = [];
  readonly positional: string[] = [];
  private used = new Set<Param>();

  constructor(args: string[]) {
    for (const a of args) {
      if (/^[/-]./.test(a)) this.params.push(parseParam(a));
      else this.positional.push(a);
    }
  }

  get(name: string): string | undefined {
    const n = name.toLowerCase();
    const p = this.params.find((x) => x.name.toLowerCase() === n);
    if (p) this.used.add(p);
    return p ? (p.value ?? "") : undefined;
  }

  has(name: string): boolean {
    return this.get(name) !== undefined;
  }

  unused(): Param[] {
    return this.params.filter((p) => !this.used.has(p));
  }

  markUsed(p: Param): void {
    this.used.add(p);
  }

  /** Fail on parameters nobody asked for (appcmd: "Unknown attribute"). */
  rejectUnused(): void {
    const bad = this.unused()[0];
    if (bad) err(`Unknown attribute "${bad.name}".  Replace with -? for help.`, EXIT_BAD_PARAM);
  }
}

export async function appcmd(ctx: LabContext, argv: string[]): Promise<CommandResult> {
  const out: string[] = [];
  try {
    await run(ctx, argv, out);
    return { stdout: out.map((l) => l + NL).join(""), stderr: "", exitCode: 0 };
  } catch (e) {
    if (e instanceof AppcmdError) {
      out.push(`ERROR ( message:${e.message} )`);
      return { stdout: out.map((l) => l + NL).join(""), stderr: "", exitCode: e.exitCode };
    }
    if (e instanceof XmlParseError) {
      out.push(
        `ERROR ( message:Configuration error ${NL}Filename: ${await ctx.sys(APPHOST_CONFIG)}${NL}Line Number: ${e.line}${NL}Description: Configuration file is not well-formed XML${NL}. )`,
      );
      return { stdout: out.map((l) => l + NL).join(""), stderr: "", exitCode: 13 };
    }
    throw e;
  }
}

function usage(): string[] {
  return [
    "General purpose IIS command line administration tool.",
    "",
    "APPCMD (command) (object-type) <identifier> < /parameter1:value1 ... >",
    "",
    "Supported object types (in the wsus-iis lab):",
    "",
    "  SITE      Administration of virtual sites",
    "  APP       Administration of applications",
    "  VDIR      Administration of virtual directories",
    "  APPPOOL   Administration of application pools",
    "  CONFIG    Administration of general configuration sections",
    "  BACKUP    Administration of server configuration backups",
    "",
    "(To list commands supported by each object use /?, e.g. 'appcmd.exe site /?')",
  ];
}

async function run(ctx: LabContext, argv: string[], out: string[]): Promise<void> {
  if (argv.length === 0 || argv[0] === "/?" || argv[0] === "-?") {
    out.push(...usage());
    return;
  }
  const verb = argv[0].toLowerCase();
  const objectWord = (argv[1] ?? "").toLowerCase();
  const object = OBJECTS[objectWord];
  if (!VERBS.has(verb) && !OBJECTS[verb]) err(`Unknown command "${argv[0]}".  Run 'appcmd.exe /?' to display supported commands.`, EXIT_BAD_PARAM);
  if (!object) err(`Object type "${argv[1] ?? ""}" is not supported.  Run 'appcmd.exe /?' to display supported objects.`, EXIT_BAD_PARAM);
  const args = new Args(argv.slice(2));
  if (args.positional.length > 1) err(`Unexpected parameter "${args.positional[1]}".  Replace with -? for help.`, EXIT_BAD_PARAM);
  const ident = args.positional[0];

  const key = `${verb} ${object}`;
  switch (key) {
    case "list site":
      return listSites(ctx, args, ident, out);
    case "list app":
      return listApps(ctx, args, ident, out);
    case "list vdir":
      return listVdirs(ctx, args, ident, out);
    case "list apppool":
      return listPools(ctx, args, ident, out);
    case "list config":
      return listConfig(ctx, args, ident, out);
    case "list backup":
      return listBackups(ctx, args, ident, out);
    case "add site":
      return addSite(ctx, args, ident, out);
    case "add app":
      return addApp(ctx, args, ident, out);
    case "add vdir":
      return addVdir(ctx, args, ident, out);
    case "add backup":
      return addBackup(ctx, args, ident, out);
    case "set site":
      return setSite(ctx, args, ident, out);
    case "set app":
      return setApp(ctx, args, ident, out);
    case "set vdir":
      return setVdir(ctx, args, ident, out);
    case "set config":
      return setConfig(ctx, args, ident, out);
    case "delete site":
    case "delete app":
    case "delete vdir":
      return deleteObject(ctx, object, args, ident, out);
    case "delete backup":
      return deleteBackup(ctx, args, ident, out);
    case "restore backup":
      return restoreBackup(ctx, args, ident, out);
  }
  err(`The command "${argv[0]}" is not supported on object "${argv[1]}".`, EXIT_BAD_PARAM);
}

// ---- applicationHost.config I/O ----

async function loadDoc(ctx: LabContext): Promise<{ doc: XmlDoc; hostPath: string }> {
  const h = await ctx.host(await ctx.sys(APPHOST_CONFIG));
  if (h.kind !== "file") err(`Cannot read configuration file ${NL}Filename: ${h.windowsPath}`, 2);
  const buf = await fsp.readFile(h.hostPath);
  return { doc: XmlDoc.parse(buf.toString("utf8")), hostPath: h.hostPath };
}

async function saveText(hostPath: string, text: string): Promise<void> {
  // re-parse before writing: an edit must never leave a file IIS could not load
  XmlDoc.parse(text);
  await writeAtomic(hostPath, Buffer.from(text, "utf8"));
}

// ---- list ----

function siteState(site: SiteInfo, w3svc: string | undefined): string {
  if (w3svc !== undefined && w3svc.toLowerCase() !== "running") return "Unknown";
  return attr(site.el, "serverAutoStart")?.toLowerCase() === "false" ? "Stopped" : "Started";
}

function bindingsText(site: SiteInfo): string {
  return site.bindings.map((b) => `${b.protocol}/${b.bindingInformation}`).join(",");
}

/** `/text:NAME` selection, `/text:*` block, or the default one-line form. */
function emit(out: string[], args: Args, type: string, id: string, fields: [string, string][], el: XElement, summary: string): void {
  const text = args.get("text");
  if (text === undefined) {
    out.push(`${type} "${id}" (${summary})`);
    return;
  }
  if (text === "*") {
    out.push(type);
    for (const [k, v] of fields) out.push(`  ${k}: ${v}`);
    out.push(`  [${el.name}]`);
    for (const a of el.attrs) out.push(`    ${a.name}:"${a.value}"`);
    return;
  }
  const f = fields.find(([k]) => k.toLowerCase() === text.toLowerCase()) ?? ([...el.attrs.map((a) => [a.name, a.value])] as [string, string][]).find(([k]) => k.toLowerCase() === text.toLowerCase());
  out.push(f ? f[1] : "");
}

async function listSites(ctx: LabContext, args: Args, ident: string | undefined, out: string[]): Promise<void> {
  const { doc } = await loadDoc(ctx);
  const state = await ctx.state();
  const w3svc = Object.entries(state.services).find(([k]) => k.toLowerCase() === "w3svc")?.[1];
  const name = ident ?? args.get("site.name") ?? args.get("name");
  let sites = readSites(doc);
  if (name !== undefined) {
    sites = sites.filter((s) => s.name.toLowerCase() === name.toLowerCase());
    if (sites.length === 0) err(`Cannot find SITE object with identifier "${name}".`, EXIT_NOT_FOUND);
  }
  const id = args.get("id") ?? args.get("site.id");
  if (id !== undefined) sites = sites.filter((s) => s.id === id);
  const wantState = args.get("state");
  if (wantState !== undefined) sites = sites.filter((s) => siteState(s, w3svc).toLowerCase() === wantState.toLowerCase());
  const asConfig = args.has("config");
  args.get("text");
  args.rejectUnused();
  for (const s of sites) {
    if (asConfig) {
      out.push(...siteConfigText(doc, s.el));
      continue;
    }
    const st = siteState(s, w3svc);
    emit(
      out,
      args,
      "SITE",
      s.name,
      [
        ["SITE.NAME", s.name],
        ["SITE.ID", s.id],
        ["bindings", bindingsText(s)],
        ["state", st],
      ],
      s.el,
      `id:${s.id},bindings:${bindingsText(s)},state:${st}`,
    );
  }
}

/** `appcmd list site X /config`: the element, re-indented from its own column. */
function siteConfigText(doc: XmlDoc, el: XElement): string[] {
  const indent = doc.indentOf(el) ?? "";
  return doc
    .source(el)
    .split(/\r?\n/)
    .map((l) => (l.startsWith(indent) ? l.slice(indent.length) : l.trimStart()));
}

async function listApps(ctx: LabContext, args: Args, ident: string | undefined, out: string[]): Promise<void> {
  const { doc } = await loadDoc(ctx);
  const siteName = args.get("site.name");
  const pool = args.get("apppool.name") ?? args.get("applicationPool");
  const appName = ident ?? args.get("app.name");
  args.get("text");
  args.rejectUnused();
  let apps = readSites(doc).flatMap((s) => s.apps);
  if (appName !== undefined) {
    apps = apps.filter((a) => a.id.toLowerCase() === appName.toLowerCase());
    if (apps.length === 0) err(`Cannot find APP object with identifier "${appName}".`, EXIT_NOT_FOUND);
  }
  if (siteName !== undefined) apps = apps.filter((a) => a.site.name.toLowerCase() === siteName.toLowerCase());
  if (pool !== undefined) apps = apps.filter((a) => a.applicationPool.toLowerCase() === pool.toLowerCase());
  for (const a of apps) {
    emit(
      out,
      args,
      "APP",
      a.id,
      [
        ["APP.NAME", a.id],
        ["APPPOOL.NAME", a.applicationPool],
        ["SITE.NAME", a.site.name],
        ["path", a.path],
        ["applicationPool", a.applicationPool],
      ],
      a.el,
      `applicationPool:${a.applicationPool}`,
    );
  }
}

async function listVdirs(ctx: LabContext, args: Args, ident: string | undefined, out: string[]): Promise<void> {
  const { doc } = await loadDoc(ctx);
  const appName = args.get("app.name");
  const vdirName = ident ?? args.get("vdir.name");
  args.get("text");
  args.rejectUnused();
  let vdirs = readSites(doc).flatMap((s) => s.apps.flatMap((a) => a.vdirs));
  if (vdirName !== undefined) {
    vdirs = vdirs.filter((v) => v.id.toLowerCase() === vdirName.toLowerCase());
    if (vdirs.length === 0) err(`Cannot find VDIR object with identifier "${vdirName}".`, EXIT_NOT_FOUND);
  }
  if (appName !== undefined) vdirs = vdirs.filter((v) => v.app.id.toLowerCase() === appName.toLowerCase());
  for (const v of vdirs) {
    emit(
      out,
      args,
      "VDIR",
      v.id,
      [
        ["VDIR.NAME", v.id],
        ["APP.NAME", v.app.id],
        ["path", v.path],
        ["physicalPath", v.physicalPath],
      ],
      v.el,
      `physicalPath:${v.physicalPath}`,
    );
  }
}

async function listPools(ctx: LabContext, args: Args, ident: string | undefined, out: string[]): Promise<void> {
  const { doc } = await loadDoc(ctx);
  const name = ident ?? args.get("apppool.name");
  args.get("text");
  args.rejectUnused();
  let pools = readPools(doc);
  if (name !== undefined) {
    pools = pools.filter((p) => p.name.toLowerCase() === name.toLowerCase());
    if (pools.length === 0) err(`Cannot find APPPOOL object with identifier "${name}".`, EXIT_NOT_FOUND);
  }
  for (const p of pools) {
    emit(
      out,
      args,
      "APPPOOL",
      p.name,
      [
        ["APPPOOL.NAME", p.name],
        ["managedPipelineMode", p.managedPipelineMode],
        ["managedRuntimeVersion", p.managedRuntimeVersion],
        ["state", "Started"],
      ],
      p.el,
      `MgdVersion:${p.managedRuntimeVersion},MgdMode:${p.managedPipelineMode},state:Started`,
    );
  }
}

// ---- config sections ----

const APPHOST_PREFIX = /^MACHINE\/WEBROOT\/APPHOST\/?/i;

function configPathOf(ident: string | undefined): string {
  return (ident ?? "").replace(/\\/g, "/").replace(APPHOST_PREFIX, "").replace(/^\/+|\/+$/g, "");
}

function sectionOf(args: Args): SectionDef {
  const name = args.get("section");
  if (name === undefined || name === "") err(`Must specify the -section parameter.`, EXIT_BAD_PARAM);
  const s = findSection(name!);
  if (!s) err(`Unknown config section "${name}".  Replace with -? for help.`, EXIT_BAD_PARAM);
  return s!;
}

function requireSiteOfPath(doc: XmlDoc, configPath: string): void {
  if (configPath === "") return;
  const siteName = configPath.split("/")[0];
  if (!findSite(doc, siteName)) err(`Cannot find SITE object with identifier "${siteName}".`, EXIT_NOT_FOUND);
}

function toBuild(el: XElement): XBuild {
  return { name: el.name, attrs: el.attrs.map((a) => [a.name, a.value] as [string, string]), children: el.children.map(toBuild) };
}

async function listConfig(ctx: LabContext, args: Args, ident: string | undefined, out: string[]): Promise<void> {
  const { doc } = await loadDoc(ctx);
  const section = sectionOf(args);
  const text = args.get("text");
  args.rejectUnused();
  const configPath = configPathOf(ident);
  requireSiteOfPath(doc, configPath);
  const eff = effectiveSection(doc, section, configPath);
  if (text !== undefined) {
    if (text === "*") {
      out.push("CONFIG");
      out.push(`  CONFIG.SECTION: ${section.name}`);
      out.push(`  path: MACHINE/WEBROOT/APPHOST${configPath ? "/" + configPath : ""}`);
      out.push(`  overrideMode: Inherit`);
      out.push(`  locked: false`);
      out.push(`  [${section.name}]`);
      for (const [k, v] of eff.attrs) out.push(`    ${k}:"${v}"`);
      return;
    }
    out.push(eff.attrs.find(([k]) => k.toLowerCase() === text.toLowerCase())?.[1] ?? "");
    return;
  }
  const chain = ["system.webServer", ...section.elements];
  const leaf: XBuild = { name: chain[chain.length - 1], attrs: eff.attrs, children: eff.children.map(toBuild) };
  let b = leaf;
  for (let i = chain.length - 2; i >= 0; i--) b = { name: chain[i], children: [b] };
  // an element with no attributes and no children prints as an empty element pair in appcmd's output
  out.push(...render(b, "", "  ", "\n").split("\n"));
}

async function setConfig(ctx: LabContext, args: Args, ident: string | undefined, out: string[]): Promise<void> {
  const { doc, hostPath } = await loadDoc(ctx);
  const section = sectionOf(args);
  const commit = args.get("commit");
  const configPath = configPathOf(ident);
  const changes: [string, string][] = [];
  for (const p of args.unused()) {
    const attrName = Object.keys(section.attrs).find((k) => k.toLowerCase() === p.name.toLowerCase());
    if (!attrName) err(`Unknown attribute "${p.name}".  Replace with -? for help.`, EXIT_BAD_PARAM);
    const v = normalizeValue(section.attrs[attrName!], p.value ?? "");
    if (v === null) err(`Failed to process attribute "${attrName}".  The value "${p.value ?? ""}" is not valid for this attribute.`, 13);
    changes.push([attrName!, v!]);
    args.markUsed(p);
  }
  if (changes.length === 0) err(`Must specify at least one attribute to set.`, EXIT_BAD_PARAM);
  if (configPath !== "" && (commit === undefined || !/^(apphost|MACHINE\/WEBROOT\/APPHOST)$/i.test(commit))) {
    // The lab models applicationHost.config only; these sections are overrideModeDefault="Deny", so
    // IIS would refuse them in a site's web.config unless unlocked.
    err(
      `Configuration error${NL}Filename: \\\\?\\${webConfigOf(doc, configPath)}${NL}Line Number: 0${NL}Description: This configuration section cannot be used at this path. This happens when the section is locked at a parent level. Locking is either by default (overrideModeDefault="Deny"), or set explicitly by a location tag with overrideMode="Deny" or the legacy allowOverride="false".${NL}.`,
      33,
    );
  }
  requireSiteOfPath(doc, configPath);

  let current = doc;
  const reparse = (text: string) => (current = XmlDoc.parse(text));
  const chain = ["system.webServer", ...section.elements];

  // the element that holds the section: the root <system.webServer> or a <location path=…>
  const container = (): XElement => {
    if (configPath === "") return current.root;
    return locationsFor(current, configPath)[0];
  };
  if (configPath !== "" && locationsFor(current, configPath).length === 0) {
    const locs = current.root.children.filter((c) => c.name === "location");
    const markup: XBuild = { name: "location", attrs: [["path", configPath], ["overrideMode", "Allow"]], children: [nest(chain, [])] };
    reparse(locs.length ? current.insert(current.root, markup, { after: locs[locs.length - 1] }) : current.insert(current.root, markup));
  }
  // walk down, creating what is missing
  let parent = container();
  for (let i = 0; i < chain.length; i++) {
    let next = child(parent, chain[i]);
    if (!next) {
      reparse(current.insert(parent, nest(chain.slice(i), [])));
      parent = relocate(current, configPath, chain.slice(0, i));
      next = child(parent, chain[i])!;
    }
    parent = next;
  }
  for (const [name, value] of changes) {
    reparse(current.setAttr(parent, name, value));
    parent = relocate(current, configPath, chain);
  }
  await saveText(hostPath, current.toString());
  const where = `MACHINE/WEBROOT/APPHOST${configPath ? "/" + configPath : ""}`;
  out.push(`Applied configuration changes to section "${section.name}" for "${where}" at configuration commit path "MACHINE/WEBROOT/APPHOST"`);
}

/** The web.config a set without /commit:apphost would write to (the path's physical folder). */
function webConfigOf(doc: XmlDoc, configPath: string): string {
  if (configPath === "") return "C:\\Windows\\System32\\inetsrv\\config\\applicationHost.config";
  const [siteName, ...rest] = configPath.split("/");
  const site = findSite(doc, siteName);
  const url = "/" + rest.join("/");
  let best: { prefix: string; physical: string } | null = null;
  for (const a of site?.apps ?? []) {
    for (const v of a.vdirs) {
      const prefix = ((a.path === "/" ? "" : a.path) + v.path).replace(/\/+$/, "") || "/";
      const k = prefix.toLowerCase();
      const u = url.toLowerCase();
      if ((u === k || u.startsWith(k === "/" ? "/" : k + "/")) && (!best || prefix.length > best.prefix.length)) best = { prefix, physical: v.physicalPath };
    }
  }
  if (!best) return "web.config";
  const tail = url.slice(best.prefix === "/" ? 1 : best.prefix.length + 1).replace(/\//g, "\\");
  return `${best.physical.replace(/\\+$/, "")}${tail ? "\\" + tail : ""}\\web.config`;
}

function nest(chain: string[], attrs: [string, string][]): XBuild {
  let b: XBuild = { name: chain[chain.length - 1], attrs };
  for (let i = chain.length - 2; i >= 0; i--) b = { name: chain[i], children: [b] };
  return b;
}

/** Find the element at `chain` below the section container again after a re-parse. */
function relocate(doc: XmlDoc, configPath: string, chain: string[]): XElement {
  let el: XElement | undefined = configPath === "" ? doc.root : locationsFor(doc, configPath)[0];
  for (const n of chain) el = el && child(el, n);
  return el!;
}

// ---- add ----

interface ParsedBinding {
  protocol: string;
  bindingInformation: string;
}

function parseBindingList(text: string): ParsedBinding[] {
  return text.split(",").map((b) => {
    const i = b.indexOf("/");
    if (i <= 0) err(`The binding "${b}" is invalid.  Bindings must be specified as protocol/bindingInformation.`, EXIT_BAD_PARAM);
    const binding = { protocol: b.slice(0, i), bindingInformation: b.slice(i + 1) };
    validateBinding(binding);
    return binding;
  });
}

function validateBinding(b: ParsedBinding): void {
  if (!/^(http|https)$/i.test(b.protocol)) return; // other protocols have their own formats
  const m = /^(\*|[0-9.]+|\[[0-9A-Fa-f:.]+\]|):(\d+):(.*)$/.exec(b.bindingInformation);
  const port = m ? Number(m[2]) : NaN;
  if (!m || port < 1 || port > 65535) err(`The binding information "${b.bindingInformation}" is invalid.  It must be specified as IPAddress:Port:HostHeader.`, 13);
}

async function addSite(ctx: LabContext, args: Args, ident: string | undefined, out: string[]): Promise<void> {
  let { doc, hostPath } = await loadDoc(ctx);
  const name = args.get("name") ?? ident;
  const id = args.get("id");
  const bindings = args.get("bindings");
  const physicalPath = args.get("physicalPath");
  args.rejectUnused();
  if (!name) err(`Must specify the NAME parameter.`, EXIT_BAD_PARAM);
  const sites = readSites(doc);
  if (sites.some((s) => s.name.toLowerCase() === name!.toLowerCase())) err(`Failed to add duplicate collection element "${name}".`, EXIT_EXISTS);
  const siteId = id ?? String(Math.max(0, ...sites.map((s) => Number(s.id) || 0)) + 1);
  if (!/^\d+$/.test(siteId)) err(`Failed to process attribute "id".  The value "${siteId}" is not a valid unsigned integer.`, 13);
  if (sites.some((s) => s.id === siteId)) err(`Cannot add duplicate collection entry of type 'site' with unique key attribute 'id' set to '${siteId}'`, EXIT_EXISTS);
  const parsed = bindings ? parseBindingList(bindings) : [];
  const children: XBuild[] = [];
  if (physicalPath !== undefined) children.push({ name: "application", attrs: [["path", "/"]], children: [{ name: "virtualDirectory", attrs: [["path", "/"], ["physicalPath", physicalPath]] }] });
  if (parsed.length) children.push({ name: "bindings", children: parsed.map((b) => ({ name: "binding", attrs: [["protocol", b.protocol], ["bindingInformation", b.bindingInformation]] })) });
  const markup: XBuild = { name: "site", attrs: [["name", name!], ["id", siteId]], children };
  const sitesParent = readSitesParent(doc);
  const last = sites[sites.length - 1];
  const text = last ? doc.insert(sitesParent, markup, { after: last.el }) : doc.insert(sitesParent, markup, { before: sitesParent.children[0] });
  await saveText(hostPath, text);
  out.push(`SITE object "${name}" added`);
  if (physicalPath !== undefined) {
    out.push(`APP object "${name}/" added`);
    out.push(`VDIR object "${name}/" added`);
  }
}

function readSitesParent(doc: XmlDoc): XElement {
  const s = child(child(doc.root, "system.applicationHost") ?? doc.root, "sites");
  if (!s) err(`Cannot find the system.applicationHost/sites section.`, EXIT_NOT_FOUND);
  return s!;
}

function normalizeUrlPath(p: string): string {
  const s = "/" + p.replace(/\\/g, "/").replace(/^\/+/, "");
  return s.length > 1 ? s.replace(/\/+$/, "") : s;
}

async function addApp(ctx: LabContext, args: Args, ident: string | undefined, out: string[]): Promise<void> {
  const { doc, hostPath } = await loadDoc(ctx);
  const siteName = args.get("site.name");
  const appPath = args.get("path");
  const physicalPath = args.get("physicalPath");
  const pool = args.get("applicationPool");
  args.rejectUnused();
  if (ident !== undefined) err(`Unexpected parameter "${ident}".  Replace with -? for help.`, EXIT_BAD_PARAM);
  if (!siteName) err(`Must specify the SITE.NAME parameter.`, EXIT_BAD_PARAM);
  if (!appPath) err(`Must specify the PATH parameter.`, EXIT_BAD_PARAM);
  const site = findSite(doc, siteName!);
  if (!site) err(`Cannot find SITE object with identifier "${siteName}".`, EXIT_NOT_FOUND);
  const p = normalizeUrlPath(appPath!);
  if (site!.apps.some((a) => a.path.toLowerCase() === p.toLowerCase())) err(`Failed to add duplicate collection element "${p}".`, EXIT_EXISTS);
  const attrs: [string, string][] = [["path", p]];
  if (pool !== undefined) attrs.push(["applicationPool", pool]);
  const children: XBuild[] = physicalPath !== undefined ? [{ name: "virtualDirectory", attrs: [["path", "/"], ["physicalPath", physicalPath]] }] : [];
  const markup: XBuild = { name: "application", attrs, children };
  const lastApp = site!.apps[site!.apps.length - 1];
  const text = lastApp
    ? doc.insert(site!.el, markup, { after: lastApp.el })
    : site!.el.children.length
      ? doc.insert(site!.el, markup, { before: site!.el.children[0] })
      : doc.insert(site!.el, markup);
  await saveText(hostPath, text);
  const id = `${site!.name}${p}`;
  out.push(`APP object "${id}" added`);
  if (physicalPath !== undefined) out.push(`VDIR object "${id}/" added`);
}

async function addVdir(ctx: LabContext, args: Args, ident: string | undefined, out: string[]): Promise<void> {
  const { doc, hostPath } = await loadDoc(ctx);
  const appName = args.get("app.name");
  const vpath = args.get("path");
  const physicalPath = args.get("physicalPath");
  args.rejectUnused();
  if (ident !== undefined) err(`Unexpected parameter "${ident}".  Replace with -? for help.`, EXIT_BAD_PARAM);
  if (!appName) err(`Must specify the APP.NAME parameter.`, EXIT_BAD_PARAM);
  if (!vpath) err(`Must specify the PATH parameter.`, EXIT_BAD_PARAM);
  const app = findAppLoose(doc, appName!);
  if (!app) err(`Cannot find APP object with identifier "${appName}".`, EXIT_NOT_FOUND);
  const p = normalizeUrlPath(vpath!);
  if (app!.vdirs.some((v) => v.path.toLowerCase() === p.toLowerCase())) err(`Failed to add duplicate collection element "${p}".`, EXIT_EXISTS);
  const attrs: [string, string][] = [["path", p]];
  if (physicalPath !== undefined) attrs.push(["physicalPath", physicalPath]);
  const markup: XBuild = { name: "virtualDirectory", attrs };
  const lastVdir = app!.vdirs[app!.vdirs.length - 1];
  const text = lastVdir ? doc.insert(app!.el, markup, { after: lastVdir.el }) : doc.insert(app!.el, markup);
  await saveText(hostPath, text);
  out.push(`VDIR object "${app!.site.name}${app!.path === "/" ? "" : app!.path}${p}" added`);
}

/** appcmd accepts the root application both as "Site/" and "Site". */
function findAppLoose(doc: XmlDoc, id: string): AppInfo | undefined {
  return findApp(doc, id) ?? (!id.includes("/") ? findApp(doc, id + "/") : undefined);
}

// ---- set ----

function parseSelector(text: string): Record<string, string> | null {
  const m = /^\[(.*)\]$/.exec(text.trim());
  if (!m) return null;
  const out: Record<string, string> = {};
  const re = /\s*([A-Za-z][\w.]*)\s*=\s*'([^']*)'\s*(,|$)/gy;
  let pos = 0;
  const body = m[1];
  while (pos < body.length) {
    re.lastIndex = pos;
    const x = re.exec(body);
    if (!x) return null;
    out[x[1]] = x[2];
    pos = re.lastIndex;
  }
  return out;
}

function matchesSelector(el: XElement, sel: Record<string, string>): boolean {
  return Object.entries(sel).every(([k, v]) => (attr(el, k) ?? "").toLowerCase() === v.toLowerCase());
}

async function setSite(ctx: LabContext, args: Args, ident: string | undefined, out: string[]): Promise<void> {
  let { doc, hostPath } = await loadDoc(ctx);
  const name = ident ?? args.get("site.name");
  if (!name) err(`Must specify the SITE.NAME parameter.`, EXIT_BAD_PARAM);
  if (!findSite(doc, name!)) err(`Cannot find SITE object with identifier "${name}".`, EXIT_NOT_FOUND);
  const site = () => findSite(doc, name!)!;
  const apply = (text: string) => (doc = XmlDoc.parse(text));
  let changed = false;
  for (const p of args.unused()) {
    args.markUsed(p);
    const n = p.name;
    const add = /^\+bindings\.?(\[.*\])$/i.exec(n);
    const remove = /^-bindings\.?(\[.*\])$/i.exec(n);
    const setIn = /^bindings\.?(\[.*\])\.(protocol|bindingInformation|sslFlags)$/i.exec(n);
    if (add || remove) {
      const sel = parseSelector((add ?? remove)![1]);
      if (!sel) err(`Failed to parse the collection element "${(add ?? remove)![1]}".`, EXIT_BAD_PARAM);
      const s = site();
      if (add) {
        const protocol = sel!.protocol;
        const info = sel!.bindingInformation;
        if (protocol === undefined || info === undefined) err(`Missing required attribute "${protocol === undefined ? "protocol" : "bindingInformation"}".`, EXIT_BAD_PARAM);
        validateBinding({ protocol, bindingInformation: info });
        if (s.bindings.some((b) => b.protocol.toLowerCase() === protocol.toLowerCase() && b.bindingInformation.toLowerCase() === info.toLowerCase())) {
          err(`Cannot add duplicate collection entry of type 'binding' with combined key attributes 'protocol, bindingInformation' respectively set to '${protocol}, ${info}'${NL}`, EXIT_EXISTS);
        }
        const markup: XBuild = { name: "binding", attrs: Object.entries(sel!) as [string, string][] };
        if (s.bindingsEl) {
          const lastB = s.bindings[s.bindings.length - 1];
          apply(lastB ? doc.insert(s.bindingsEl, markup, { after: lastB.el }) : doc.insert(s.bindingsEl, markup));
        } else {
          apply(doc.insert(s.el, { name: "bindings", children: [markup] }));
        }
      } else {
        const hit = s.bindings.find((b) => matchesSelector(b.el, sel!));
        if (!hit) err(`Cannot find requested collection element.`, EXIT_NOT_FOUND);
        apply(doc.remove(hit!.el));
      }
      changed = true;
      continue;
    }
    if (setIn) {
      const sel = parseSelector(setIn[1]);
      if (!sel) err(`Failed to parse the collection element "${setIn[1]}".`, EXIT_BAD_PARAM);
      const hit = site().bindings.find((b) => matchesSelector(b.el, sel!));
      if (!hit) err(`Cannot find requested collection element.`, EXIT_NOT_FOUND);
      const attrName = setIn[2];
      if (/^bindingInformation$/i.test(attrName)) validateBinding({ protocol: hit!.protocol, bindingInformation: p.value ?? "" });
      apply(doc.setAttr(hit!.el, attrName, p.value ?? ""));
      changed = true;
      continue;
    }
    if (/^bindings$/i.test(n)) {
      const parsed = parseBindingList(p.value ?? "");
      const s = site();
      const markup: XBuild = { name: "bindings", children: parsed.map((b) => ({ name: "binding", attrs: [["protocol", b.protocol], ["bindingInformation", b.bindingInformation]] })) };
      if (s.bindingsEl) {
        apply(doc.remove(s.bindingsEl));
      }
      apply(doc.insert(site().el, markup));
      changed = true;
      continue;
    }
    if (/^(id|serverAutoStart|name)$/i.test(n)) {
      const attrName = n.toLowerCase() === "serverautostart" ? "serverAutoStart" : n.toLowerCase();
      let v = p.value ?? "";
      if (attrName === "serverAutoStart") {
        const b = normalizeValue({ kind: "bool" }, v);
        if (b === null) err(`Failed to process attribute "serverAutoStart".  The value "${v}" is not valid for this attribute.`, 13);
        v = b!;
      }
      if (attrName === "id" && !/^\d+$/.test(v)) err(`Failed to process attribute "id".  The value "${v}" is not a valid unsigned integer.`, 13);
      apply(doc.setAttr(site().el, attrName, v));
      changed = true;
      continue;
    }
    err(`Unknown attribute "${n}".  Replace with -? for help.`, EXIT_BAD_PARAM);
  }
  if (!changed) err(`Must specify at least one attribute to set.`, EXIT_BAD_PARAM);
  await saveText(hostPath, doc.toString());
  out.push(`SITE object "${site()?.name ?? name}" changed`);
}

async function setApp(ctx: LabContext, args: Args, ident: string | undefined, out: string[]): Promise<void> {
  let { doc, hostPath } = await loadDoc(ctx);
  const id = ident ?? args.get("app.name");
  if (!id) err(`Must specify the APP.NAME parameter.`, EXIT_BAD_PARAM);
  const app = findAppLoose(doc, id!);
  if (!app) err(`Cannot find APP object with identifier "${id}".`, EXIT_NOT_FOUND);
  const allowed = ["applicationPool", "enabledProtocols", "preloadEnabled", "serviceAutoStartEnabled"];
  let changed = false;
  for (const p of args.unused()) {
    const attrName = allowed.find((a) => a.toLowerCase() === p.name.toLowerCase());
    if (!attrName) err(`Unknown attribute "${p.name}".  Replace with -? for help.`, EXIT_BAD_PARAM);
    args.markUsed(p);
    const el = findAppLoose(doc, id!)!.el;
    doc = XmlDoc.parse(doc.setAttr(el, attrName!, p.value ?? ""));
    changed = true;
  }
  if (!changed) err(`Must specify at least one attribute to set.`, EXIT_BAD_PARAM);
  await saveText(hostPath, doc.toString());
  out.push(`APP object "${app!.id}" changed`);
}

async function setVdir(ctx: LabContext, args: Args, ident: string | undefined, out: string[]): Promise<void> {
  let { doc, hostPath } = await loadDoc(ctx);
  const id = ident ?? args.get("vdir.name");
  if (!id) err(`Must specify the VDIR.NAME parameter.`, EXIT_BAD_PARAM);
  const vdir = findVdir(doc, id!);
  if (!vdir) err(`Cannot find VDIR object with identifier "${id}".`, EXIT_NOT_FOUND);
  const allowed = ["physicalPath", "userName", "password", "logonMethod", "allowSubDirConfig"];
  let changed = false;
  for (const p of args.unused()) {
    const attrName = allowed.find((a) => a.toLowerCase() === p.name.toLowerCase());
    if (!attrName) err(`Unknown attribute "${p.name}".  Replace with -? for help.`, EXIT_BAD_PARAM);
    args.markUsed(p);
    const el = findVdir(doc, id!)!.el;
    doc = XmlDoc.parse(doc.setAttr(el, attrName!, p.value ?? ""));
    changed = true;
  }
  if (!changed) err(`Must specify at least one attribute to set.`, EXIT_BAD_PARAM);
  await saveText(hostPath, doc.toString());
  out.push(`VDIR object "${vdir!.id}" changed`);
}

// ---- delete ----

async function deleteObject(ctx: LabContext, object: string, args: Args, ident: string | undefined, out: string[]): Promise<void> {
  const { doc, hostPath } = await loadDoc(ctx);
  const idParam = object === "site" ? "site.name" : object === "app" ? "app.name" : "vdir.name";
  const id = ident ?? args.get(idParam);
  args.rejectUnused();
  const TYPE = object.toUpperCase();
  if (!id) err(`Must specify the ${idParam.toUpperCase()} parameter.`, EXIT_BAD_PARAM);
  let target: SiteInfo | AppInfo | VdirInfo | undefined;
  if (object === "site") target = findSite(doc, id!);
  else if (object === "app") target = findAppLoose(doc, id!);
  else target = findVdir(doc, id!);
  if (!target) err(`Cannot find ${TYPE} object with identifier "${id}".`, EXIT_NOT_FOUND);
  await saveText(hostPath, doc.remove(target!.el));
  const shown = "id" in target! && object !== "site" ? (target as AppInfo | VdirInfo).id : (target as SiteInfo).name;
  out.push(`${TYPE} object "${shown}" deleted`);
}

// ---- backups ----

const BACKUP_NAME = /^[^\\/:*?"<>|]+$/;

async function backupDir(ctx: LabContext, name: string): Promise<{ hostPath: string; exists: boolean }> {
  const h = await ctx.host(await ctx.sys(`${INETSRV_BACKUP_DIR}\\${name}`));
  return { hostPath: h.hostPath, exists: h.kind === "dir" };
}

function timestampName(d = new Date()): string {
  const p = (n: number) => String(n).padStart(2, "0");
  return `CFGBACKUP-${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
}

async function addBackup(ctx: LabContext, args: Args, ident: string | undefined, out: string[]): Promise<void> {
  const name = ident ?? args.get("name") ?? timestampName();
  args.rejectUnused();
  if (!BACKUP_NAME.test(name)) err(`The backup name "${name}" is invalid.`, EXIT_BAD_PARAM);
  const b = await backupDir(ctx, name);
  if (b.exists) err(`Failed to add duplicate collection element "${name}".`, EXIT_EXISTS);
  const src = await ctx.host(await ctx.sys(INETSRV_CONFIG_DIR));
  if (src.kind !== "dir") err(`Cannot find the configuration directory.`, EXIT_NOT_FOUND);
  const dest = `${await ctx.sys(INETSRV_BACKUP_DIR)}\\${name}`;
  await mkdirWindows(ctx.dir, dest);
  for (const f of await fsp.readdir(src.hostPath, { withFileTypes: true })) {
    // each file whole (an atomic write): a backup cut short must not restore half a config later
    if (f.isFile() && /\.config$/i.test(f.name)) await writeWindowsFile(ctx.dir, `${dest}\\${f.name}`, await fsp.readFile(path.join(src.hostPath, f.name)));
  }
  out.push(`BACKUP object "${name}" added`);
}

async function listBackups(ctx: LabContext, args: Args, ident: string | undefined, out: string[]): Promise<void> {
  args.get("text");
  args.rejectUnused();
  const root = await ctx.host(await ctx.sys(INETSRV_BACKUP_DIR));
  const names = root.kind === "dir" ? (await fsp.readdir(root.hostPath, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name) : [];
  names.sort((a, b) => a.toLowerCase().localeCompare(b.toLowerCase()));
  let shown = names;
  if (ident !== undefined) {
    shown = names.filter((n) => n.toLowerCase() === ident.toLowerCase());
    if (shown.length === 0) err(`Cannot find BACKUP object with identifier "${ident}".`, EXIT_NOT_FOUND);
  }
  for (const n of shown) out.push(`BACKUP "${n}"`);
}

async function restoreBackup(ctx: LabContext, args: Args, ident: string | undefined, out: string[]): Promise<void> {
  const name = ident ?? args.get("name");
  args.get("stop");
  args.rejectUnused();
  if (!name) err(`Must specify the BACKUP.NAME parameter.`, EXIT_BAD_PARAM);
  const b = await backupDir(ctx, name!);
  if (!b.exists) err(`Cannot find BACKUP object with identifier "${name}".`, EXIT_NOT_FOUND);
  const dest = await ctx.sys(INETSRV_CONFIG_DIR);
  for (const f of await fsp.readdir(b.hostPath, { withFileTypes: true })) {
    // what add backup saves (.config files), not the temp file of a backup that was cut short
    if (!f.isFile() || !/\.config$/i.test(f.name)) continue;
    await writeWindowsFile(ctx.dir, `${dest}\\${f.name}`, await fsp.readFile(path.join(b.hostPath, f.name)));
  }
  out.push(`Restored configuration from backup "${name}"`);
}

async function deleteBackup(ctx: LabContext, args: Args, ident: string | undefined, out: string[]): Promise<void> {
  const name = ident ?? args.get("name");
  args.rejectUnused();
  if (!name) err(`Must specify the BACKUP.NAME parameter.`, EXIT_BAD_PARAM);
  const b = await backupDir(ctx, name!);
  if (!b.exists) err(`Cannot find BACKUP object with identifier "${name}".`, EXIT_NOT_FOUND);
  await fsp.rm(b.hostPath, { recursive: true, force: true });
  out.push(`BACKUP object "${name}" deleted`);
}
