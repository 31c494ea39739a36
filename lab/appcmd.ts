import { promises as fsp } from "node:fs";
import * as path from "node:path";
import { EvidenceError } from "../core/evidence/errors";
import {
  APPHOST_CONFIG,
  type AppInfo,
  type AttrType,
  effectiveSection,
  findApp,
  findSection,
  findSite,
  findVdir,
  INETSRV_BACKUP_DIR,
  INETSRV_CONFIG_DIR,
  locationsFor,
  normalizeValue,
  type PoolInfo,
  readPools,
  readSites,
  sectionGroup,
  type SectionDef,
  type SiteInfo,
  type VdirInfo,
} from "./appHost";
import { type CommandResult, type LabContext, decodeText, NL } from "./context";
import { locationKey } from "../core/evidence/applicationHost";
import { labHealthView } from "./health";
import { mkdirWindows, writeAtomic, writeWindowsFile } from "./fs";
import { appcmdXmlLines, poolRuntimeState, poolXmlRow, setRuntimeState, siteBindingsText, siteRuntimeState, siteXmlRow } from "./runtime";
import { attr, child, type XBuild, type XElement, XmlDoc, XmlParseError, render } from "./xml";

/**
 * `%windir%\system32\inetsrv\appcmd.exe`: list/add/set/delete of sites, apps, vdirs and config
 * sections, set of application pools, start/stop of sites and pools, and backups, with appcmd's output
 * lines, ERROR texts (on stdout, like appcmd) and exit codes (the Win32 code of the failure: 1168 not
 * found, 183 already exists, 87 bad parameter, 13 invalid data, 33 lock violation, 1056 already
 * started, 1062 not started).
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
    /** The message carries its own `hresult:…, message:…` (a failed runtime command), else it is the message. */
    readonly raw = false,
  ) {
    super(message);
  }
}

const err = (message: string, code: number, raw = false): never => {
  throw new AppcmdError(message, code, raw);
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

const VERBS = new Set(["list", "add", "set", "delete", "restore", "start", "stop"]);

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
      out.push(`ERROR ( ${e.raw ? "" : "message:"}${e.message} )`);
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
    case "set apppool":
      return setPool(ctx, args, ident, out);
    case "start site":
    case "stop site":
    case "start apppool":
    case "stop apppool":
      return startStop(ctx, verb as "start" | "stop", object as "site" | "apppool", args, ident, out);
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

const bindingsText = siteBindingsText;

/** `/xml`: appcmd's XML form of a listing (lab/runtime.ts), one element per object. */
function emitXml(out: string[], type: string, rows: [string, string][][]): void {
  out.push(...appcmdXmlLines(type, rows));
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
  const siteState = (s: SiteInfo) => siteRuntimeState(state, s);
  const name = ident ?? args.get("site.name") ?? args.get("name");
  let sites = readSites(doc);
  if (name !== undefined) {
    sites = sites.filter((s) => s.name.toLowerCase() === name.toLowerCase());
    if (sites.length === 0) err(`Cannot find SITE object with identifier "${name}".`, EXIT_NOT_FOUND);
  }
  const id = args.get("id") ?? args.get("site.id");
  if (id !== undefined) sites = sites.filter((s) => s.id === id);
  const wantState = args.get("state");
  if (wantState !== undefined) sites = sites.filter((s) => siteState(s).toLowerCase() === wantState.toLowerCase());
  const asConfig = args.has("config");
  const asXml = args.has("xml");
  args.get("text");
  args.rejectUnused();
  if (asXml && !asConfig) return emitXml(out, "SITE", sites.map((s) => siteXmlRow(state, s)));
  for (const s of sites) {
    if (asConfig) {
      out.push(...siteConfigText(doc, s.el));
      continue;
    }
    const st = siteState(s);
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
  const asXml = args.has("xml");
  args.get("text");
  args.rejectUnused();
  let apps = readSites(doc).flatMap((s) => s.apps);
  if (appName !== undefined) {
    apps = apps.filter((a) => a.id.toLowerCase() === appName.toLowerCase());
    if (apps.length === 0) err(`Cannot find APP object with identifier "${appName}".`, EXIT_NOT_FOUND);
  }
  if (siteName !== undefined) apps = apps.filter((a) => a.site.name.toLowerCase() === siteName.toLowerCase());
  if (pool !== undefined) apps = apps.filter((a) => a.applicationPool.toLowerCase() === pool.toLowerCase());
  if (asXml) {
    return emitXml(
      out,
      "APP",
      apps.map((a) => [
        ["APP.NAME", a.id],
        ["APPPOOL.NAME", a.applicationPool],
        ["SITE.NAME", a.site.name],
        ["path", a.path],
      ]),
    );
  }
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
  const asXml = args.has("xml");
  args.get("text");
  args.rejectUnused();
  let vdirs = readSites(doc).flatMap((s) => s.apps.flatMap((a) => a.vdirs));
  if (vdirName !== undefined) {
    vdirs = vdirs.filter((v) => v.id.toLowerCase() === vdirName.toLowerCase());
    if (vdirs.length === 0) err(`Cannot find VDIR object with identifier "${vdirName}".`, EXIT_NOT_FOUND);
  }
  if (appName !== undefined) vdirs = vdirs.filter((v) => v.app.id.toLowerCase() === appName.toLowerCase());
  if (asXml) {
    return emitXml(
      out,
      "VDIR",
      vdirs.map((v) => [
        ["VDIR.NAME", v.id],
        ["APP.NAME", v.app.id],
        ["path", v.path],
        ["physicalPath", v.physicalPath],
      ]),
    );
  }
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
  const state = await ctx.state();
  const name = ident ?? args.get("apppool.name");
  const wantState = args.get("state");
  const asXml = args.has("xml");
  args.get("text");
  args.rejectUnused();
  let pools = readPools(doc);
  if (name !== undefined) {
    pools = pools.filter((p) => p.name.toLowerCase() === name.toLowerCase());
    if (pools.length === 0) err(`Cannot find APPPOOL object with identifier "${name}".`, EXIT_NOT_FOUND);
  }
  if (wantState !== undefined) pools = pools.filter((p) => poolRuntimeState(state, p).toLowerCase() === wantState.toLowerCase());
  if (asXml) return emitXml(out, "APPPOOL", pools.map((p) => poolXmlRow(state, p)));
  for (const p of pools) {
    const st = poolRuntimeState(state, p);
    emit(
      out,
      args,
      "APPPOOL",
      p.name,
      [
        ["APPPOOL.NAME", p.name],
        ["managedPipelineMode", p.managedPipelineMode],
        ["managedRuntimeVersion", p.managedRuntimeVersion],
        ["state", st],
      ],
      p.el,
      `MgdVersion:${p.managedRuntimeVersion},MgdMode:${p.managedPipelineMode},state:${st}`,
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
  if (section.webConfig && configPath !== "") eff.attrs = await effectiveWithWebConfigs(ctx, section, configPath, eff.attrs);
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
  const chain = [sectionGroup(section), ...section.elements];
  const leaf: XBuild = { name: chain[chain.length - 1], attrs: eff.attrs, children: eff.children.map(toBuild) };
  let b = leaf;
  for (let i = chain.length - 2; i >= 0; i--) b = { name: chain[i], children: [b] };
  // an element with no attributes and no children prints as an empty element pair in appcmd's output
  out.push(...render(b, "", "  ", "\n").split("\n"));
}

/**
 * system.web/identity for a site path with the web.config files on the way: the effective value the
 * health rules see (lab/health.ts → core/state/health.ts healthFromEvidence, the one implementation of
 * that inheritance), at the deepest application or virtual directory holding the path.
 */
async function effectiveWithWebConfigs(ctx: LabContext, section: SectionDef, configPath: string, attrs: [string, string][]): Promise<[string, string][]> {
  let view;
  try {
    view = await labHealthView(ctx.dir);
  } catch (e) {
    if (e instanceof EvidenceError) err(`Configuration error${NL}${e.message}${NL}.`, 13);
    throw e;
  }
  const segments = configPath.split("/").filter(Boolean);
  for (let n = segments.length; n >= 1; n--) {
    const v = view!.health.impersonation[locationKey(segments.slice(0, n).join("/"))];
    if (v === undefined) continue;
    if (v === null) return attrs;
    const rest = attrs.filter(([k]) => k !== "impersonate");
    return section.name === "system.web/identity" ? [["impersonate", String(v)], ...rest] : attrs;
  }
  return attrs;
}

const APPHOST_COMMIT = /^(apphost|MACHINE\/WEBROOT\/APPHOST)$/i;

/** A collection edit of `set config`: `/+"[k='v',…]"`, `/-"[k='v']"`, `/[k='v'].attr:value`. */
interface CollectionOp {
  op: "add" | "remove" | "set";
  /** The selector's attributes, canonical names and normalised values, in the order given. */
  sel: [string, string][];
  set?: [string, string];
}

function canonicalAttr(attrs: Record<string, AttrType>, name: string): string | undefined {
  return Object.keys(attrs).find((k) => k.toLowerCase() === name.toLowerCase());
}

function checkedValue(attrs: Record<string, AttrType>, name: string, raw: string): [string, string] {
  const attrName = canonicalAttr(attrs, name);
  if (!attrName) err(`Unknown attribute "${name}".  Replace with -? for help.`, EXIT_BAD_PARAM);
  const v = normalizeValue(attrs[attrName!], raw);
  if (v === null) err(`Failed to process attribute "${attrName}".  The value "${raw}" is not valid for this attribute.`, 13);
  return [attrName!, v!];
}

/** The collection edit a parameter asks for, or null when it is a plain attribute. */
function collectionOp(section: SectionDef, p: Param): CollectionOp | null {
  const coll = section.collection;
  if (!coll) return null;
  const add = /^\+\s*(\[.*\])$/.exec(p.name);
  const remove = /^-\s*(\[.*\])$/.exec(p.name);
  const setIn = /^(\[.*\])\.([A-Za-z][\w]*)$/.exec(p.name);
  const m = add ?? remove ?? setIn;
  if (!m) return null;
  const parsed = parseSelector(m[1]);
  if (!parsed) err(`Failed to parse the collection element "${m[1]}".`, EXIT_BAD_PARAM);
  const sel = Object.entries(parsed!).map(([k, v]) => checkedValue(coll.attrs, k, v));
  if (!sel.some(([k]) => k === coll.key)) err(`Missing required attribute "${coll.key}".`, EXIT_BAD_PARAM);
  if (add) {
    if (p.value !== undefined) err(`Unknown attribute "${p.name}:${p.value}".  Replace with -? for help.`, EXIT_BAD_PARAM);
    return { op: "add", sel };
  }
  if (remove) return { op: "remove", sel };
  return { op: "set", sel, set: checkedValue(coll.attrs, setIn![2], p.value ?? "") };
}

async function setConfig(ctx: LabContext, args: Args, ident: string | undefined, out: string[]): Promise<void> {
  const { doc, hostPath } = await loadDoc(ctx);
  const section = sectionOf(args);
  const commit = args.get("commit");
  const configPath = configPathOf(ident);
  const changes: [string, string][] = [];
  const ops: CollectionOp[] = [];
  for (const p of args.unused()) {
    const op = collectionOp(section, p);
    if (op) ops.push(op);
    else changes.push(checkedValue(section.attrs, p.name, p.value ?? ""));
    args.markUsed(p);
  }
  if (changes.length === 0 && ops.length === 0) err(`Must specify at least one attribute to set.`, EXIT_BAD_PARAM);
  // the server level (no path) is applicationHost.config with or without /commit:apphost
  if (configPath !== "" && (commit === undefined || !APPHOST_COMMIT.test(commit))) {
    if (section.webConfig) {
      requireSiteOfPath(doc, configPath);
      return setInWebConfig(ctx, doc, section, configPath, changes, ops, out);
    }
    // The IIS sections the lab knows are overrideModeDefault="Deny": IIS refuses them in a
    // site's web.config unless unlocked.
    err(
      `Configuration error${NL}Filename: \\\\?\\${webConfigOf(doc, configPath)}${NL}Line Number: 0${NL}Description: This configuration section cannot be used at this path. This happens when the section is locked at a parent level. Locking is either by default (overrideModeDefault="Deny"), or set explicitly by a location tag with overrideMode="Deny" or the legacy allowOverride="false".${NL}.`,
      33,
    );
  }
  requireSiteOfPath(doc, configPath);

  let current = doc;
  if (configPath !== "" && locationsFor(current, configPath).length === 0) {
    const locs = current.root.children.filter((c) => c.name === "location");
    // sections the lab knows that are locked by default get the location IIS writes to unlock them; an
    // unlocked one (system.web) a plain location (no source found for what appcmd writes then)
    const attrs: [string, string][] = section.webConfig ? [["path", configPath]] : [["path", configPath], ["overrideMode", "Allow"]];
    const markup: XBuild = { name: "location", attrs, children: [nest([sectionGroup(section), ...section.elements], [])] };
    current = XmlDoc.parse(locs.length ? current.insert(current.root, markup, { after: locs[locs.length - 1] }) : current.insert(current.root, markup));
  }
  const container = (d: XmlDoc): XElement => (configPath === "" ? d.root : locationsFor(d, configPath)[0]);
  current = applySection(current, container, section, changes, ops);
  await saveText(hostPath, current.toString());
  const where = `MACHINE/WEBROOT/APPHOST${configPath ? "/" + configPath : ""}`;
  out.push(`Applied configuration changes to section "${section.name}" for "${where}" at configuration commit path "MACHINE/WEBROOT/APPHOST"`);
}

/**
 * Edit a section below `container` (the root element, or a `<location>`): create the elements on the way,
 * set the attributes, apply the collection edits. Returns the edited document (every step re-parsed).
 */
function applySection(doc: XmlDoc, container: (d: XmlDoc) => XElement, section: SectionDef, changes: [string, string][], ops: CollectionOp[]): XmlDoc {
  let current = doc;
  const reparse = (text: string) => (current = XmlDoc.parse(text));
  const chain = [sectionGroup(section), ...section.elements];
  const at = (n: number): XElement => {
    let el: XElement | undefined = container(current);
    for (const name of chain.slice(0, n)) el = el && child(el, name);
    return el!;
  };
  // walk down, creating what is missing
  for (let i = 0; i < chain.length; i++) {
    const parent = at(i);
    if (!child(parent, chain[i])) reparse(current.insert(parent, nest(chain.slice(i), [])));
  }
  for (const [name, value] of changes) reparse(current.setAttr(at(chain.length), name, value));
  const coll = section.collection;
  for (const op of ops) {
    const sectionEl = at(chain.length);
    const items = sectionEl.children.filter((c) => c.name === coll!.element);
    const matches = (el: XElement) => op.sel.every(([k, v]) => (attr(el, k) ?? "").toLowerCase() === v.toLowerCase());
    if (op.op === "add") {
      const key = op.sel.find(([k]) => k === coll!.key)![1];
      if (items.some((el) => (attr(el, coll!.key) ?? "").toLowerCase() === key.toLowerCase())) {
        err(`Cannot add duplicate collection entry of type '${coll!.element}' with unique key attribute '${coll!.key}' set to '${key}'`, EXIT_EXISTS);
      }
      const markup: XBuild = { name: coll!.element, attrs: op.sel };
      // after the last element of the collection, else before the section's other children (IIS writes a
      // collection's elements first, as in httpCompression: <scheme …/> then <dynamicTypes>)
      const last = items[items.length - 1];
      const first = sectionEl.children[0];
      reparse(last ? current.insert(sectionEl, markup, { after: last }) : first ? current.insert(sectionEl, markup, { before: first }) : current.insert(sectionEl, markup));
      continue;
    }
    const hit = items.find(matches);
    if (!hit) err(`Cannot find requested collection element.`, EXIT_NOT_FOUND);
    reparse(op.op === "remove" ? current.remove(hit!) : current.setAttr(hit!, op.set![0], op.set![1]));
  }
  return current;
}

/** A new web.config as IIS writes configuration files (UTF-8 with BOM, CRLF, four-space indentation; no source shows one IIS created, the lab follows applicationHost.config). */
const NEW_WEB_CONFIG = `\uFEFF<?xml version="1.0" encoding="UTF-8"?>\r\n<configuration>\r\n</configuration>\r\n`;

/**
 * `appcmd set config "Site/path" -section:system.web/identity /impersonate:…` without /commit:apphost: the
 * web.config of the path's physical folder, created when missing (the folder must exist), edited in place
 * otherwise (its own `<configuration><system.web><identity>`; `<location>` tags of the file are left alone).
 * The folder missing: appcmd's configuration error with ERROR_PATH_NOT_FOUND (3) (no source found for the
 * exact text).
 */
async function setInWebConfig(ctx: LabContext, doc: XmlDoc, section: SectionDef, configPath: string, changes: [string, string][], ops: CollectionOp[], out: string[]): Promise<void> {
  const file = await ctx.expand(webConfigOf(doc, configPath));
  const folder = file.replace(/\\[^\\]*$/, "");
  if (!/^[A-Za-z]:\\/.test(file) || (await ctx.host(folder)).kind !== "dir") {
    err(`Cannot write configuration file${NL}Filename: \\\\?\\${file}${NL}Error: The system cannot find the path specified.${NL}`, 3);
  }
  const h = await ctx.host(file);
  let text = NEW_WEB_CONFIG;
  if (h.kind === "file") text = decodeText(await fsp.readFile(h.hostPath));
  let wc: XmlDoc;
  try {
    wc = XmlDoc.parse(text);
  } catch (e) {
    if (e instanceof XmlParseError) err(`Configuration error${NL}Filename: \\\\?\\${file}${NL}Line Number: ${e.line}${NL}Description: Configuration file is not well-formed XML${NL}.`, 13);
    throw e;
  }
  if (wc!.root.name !== "configuration") err(`Configuration error${NL}Filename: \\\\?\\${file}${NL}Line Number: 1${NL}Description: The root element must be <configuration>.${NL}.`, 13);
  const edited = applySection(wc!, (d) => d.root, section, changes, ops).toString();
  XmlDoc.parse(edited);
  if (h.kind === "file") await writeAtomic(h.hostPath, Buffer.from(edited, "utf8"));
  else await writeWindowsFile(ctx.dir, h.windowsPath, Buffer.from(edited, "utf8"));
  const where = `MACHINE/WEBROOT/APPHOST/${configPath}`;
  out.push(`Applied configuration changes to section "${section.name}" for "${where}" at configuration commit path "${where}"`);
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

// ---- application pools: set, and runtime start/stop ----

/**
 * `appcmd set apppool NAME /attr:value` (or `/apppool.name:NAME`): attributes of the pool's `<add>` and of
 * its child elements by dotted path (`/processModel.idleTimeout:00:00:00`,
 * `/recycling.periodicRestart.privateMemory:0`, as in the IIS configuration reference's AppCmd samples
 * for applicationPools/add/processModel and recycling/periodicRestart); missing child elements are
 * created. Types from the IIS settings schema (uint, timeSpan, bool). Not range-checked beyond that: the
 * schema's own ranges (queueLength 10..65535 …) were not found in a public source.
 */
const POOL_ATTRS: Readonly<Record<string, AttrType>> = {
  queueLength: { kind: "uint" },
  autoStart: { kind: "bool" },
  managedRuntimeVersion: { kind: "string" },
  managedPipelineMode: { kind: "enum", values: ["Integrated", "Classic"] },
  "processModel.idleTimeout": { kind: "timeSpan" },
  "processModel.pingingEnabled": { kind: "bool" },
  "recycling.periodicRestart.privateMemory": { kind: "uint" },
  "recycling.periodicRestart.memory": { kind: "uint" },
  "recycling.periodicRestart.time": { kind: "timeSpan" },
};

function findPool(doc: XmlDoc, name: string): PoolInfo | undefined {
  return readPools(doc).find((p) => p.name.toLowerCase() === name.toLowerCase());
}

async function setPool(ctx: LabContext, args: Args, ident: string | undefined, out: string[]): Promise<void> {
  const { doc, hostPath } = await loadDoc(ctx);
  const name = ident ?? args.get("apppool.name");
  if (!name) err(`Must specify the APPPOOL.NAME parameter.`, EXIT_BAD_PARAM);
  const pool = findPool(doc, name!);
  if (!pool) err(`Cannot find APPPOOL object with identifier "${name}".`, EXIT_NOT_FOUND);
  const changes: [string[], string, string][] = [];
  for (const p of args.unused()) {
    const [path, value] = checkedValue(POOL_ATTRS as Record<string, AttrType>, p.name, p.value ?? "");
    const parts = path.split(".");
    changes.push([parts.slice(0, -1), parts[parts.length - 1], value]);
    args.markUsed(p);
  }
  if (changes.length === 0) err(`Must specify at least one attribute to set.`, EXIT_BAD_PARAM);
  let current = doc;
  const reparse = (text: string) => (current = XmlDoc.parse(text));
  const addEl = () => findPool(current, pool!.name)!.el;
  for (const [chain, attrName, value] of changes) {
    const at = (n: number): XElement => {
      let el: XElement | undefined = addEl();
      for (const c of chain.slice(0, n)) el = el && child(el, c);
      return el!;
    };
    for (let i = 0; i < chain.length; i++) if (!child(at(i), chain[i])) reparse(current.insert(at(i), nest(chain.slice(i), [])));
    reparse(current.setAttr(at(chain.length), attrName, value));
  }
  await saveText(hostPath, current.toString());
  out.push(`APPPOOL object "${pool!.name}" changed`);
}

/**
 * `appcmd start|stop site NAME` (`/site.name:NAME`) and `appcmd start|stop apppool NAME`
 * (`/apppool.name:NAME`): runtime state only, kept in lab.json (lab/runtime.ts), never in
 * applicationHost.config. Success prints `"NAME" successfully started.` / `… stopped.` (the form of a
 * public appcmd transcript: `"QL_Laptop" successfully started.`).
 *
 * Starting a started object / stopping a stopped one: real appcmd fails, but no public source shows its
 * exact answer. The lab fails too (the fail-safe choice: a caller that starts what already runs, e.g. after
 * someone else started it between a check and an apply, sees it), in appcmd's form for a failed
 * runtime command (`ERROR ( hresult:…, message:Command execution failed. … )`, as quoted in
 * microsoft/azure-pipelines-extensions#187) with the Win32 codes ERROR_SERVICE_ALREADY_RUNNING (1056,
 * 0x80070420) and ERROR_SERVICE_NOT_ACTIVE (1062, 0x80070426) and their system messages; the exit code is
 * the Win32 code, like every other appcmd failure in the lab.
 */
async function startStop(ctx: LabContext, verb: "start" | "stop", object: "site" | "apppool", args: Args, ident: string | undefined, out: string[]): Promise<void> {
  const { doc } = await loadDoc(ctx);
  const state = await ctx.state();
  const name = ident ?? args.get(object === "site" ? "site.name" : "apppool.name");
  args.get("wait"); // `/wait` (wait for the state change) has nothing to wait for here
  args.rejectUnused();
  const TYPE = object.toUpperCase();
  if (!name) err(`Must specify the ${TYPE}.NAME parameter.`, EXIT_BAD_PARAM);
  let current: string;
  let canonical: string;
  if (object === "site") {
    const site = findSite(doc, name!);
    if (!site) err(`Cannot find ${TYPE} object with identifier "${name}".`, EXIT_NOT_FOUND);
    current = siteRuntimeState(state, site!);
    canonical = site!.name;
  } else {
    const pool = findPool(doc, name!);
    if (!pool) err(`Cannot find ${TYPE} object with identifier "${name}".`, EXIT_NOT_FOUND);
    current = poolRuntimeState(state, pool!);
    canonical = pool!.name;
  }
  if (verb === "start" && current === "Started") err(`hresult:80070420, message:Command execution failed.${NL}An instance of the service is already running.${NL}`, 1056, true);
  if (verb === "stop" && current === "Stopped") err(`hresult:80070426, message:Command execution failed.${NL}The service has not been started.${NL}`, 1062, true);
  setRuntimeState(state, object === "site" ? "sites" : "appPools", canonical!, verb === "start" ? "Started" : "Stopped");
  ctx.markDirty();
  out.push(`"${canonical!}" successfully ${verb === "start" ? "started" : "stopped"}.`);
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
