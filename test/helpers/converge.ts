import { spawn } from "node:child_process";
import { promises as fsp } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { SaxesParser } from "saxes";
import { expect } from "vitest";
import { resolveLayout, type Layout } from "../../core/model/layout";
import { parseSpec, type Spec } from "../../core/model/spec";
import type { Plan } from "../../core/plan/planner";
import type { Finding } from "../../core/rules/finding";
import { probe, type ProbeResult } from "../../core/probe";
import { applyBreak, createLab, type Break } from "../../lab/create";
import type { Locale } from "../../lab/locale";
import { resolveHostPath } from "../../lab/fs";
import { labAnonymousCanRead } from "../../lab/http/anonymousAcl";
import { serveLab } from "../../lab/http/server";
import { runCommand } from "../../lab/shell";
import { freePort } from "./http-lab";

/**
 * Shared pieces of the convergence acceptance tests (test/converge*.test.ts, test/ssh.test.ts): lab
 * folders decorated with things the spec does not own, an independent XML reading of
 * applicationHost.config (saxes, with comments and raw offsets) to prove that an apply leaves them
 * alone, and the client's-eye HTTP probe of a served lab.
 */

export const CONFIG_WIN_PATH = "C:\\Windows\\System32\\inetsrv\\config\\applicationHost.config";
/** Opt in to the repairs that are manual by default (cause 1 membership, cause 8 reinstall). */
export const OPT_IN = { reinstallSelfUpdate: true, addIusrToUsers: true } as const;

export const COMBOS = [
  { configuration: 1, profile: "kb920659" },
  { configuration: 1, profile: "modern" },
  { configuration: 2, profile: "kb920659" },
  { configuration: 2, profile: "modern" },
] as const;
export type Combo = (typeof COMBOS)[number];

const roots: string[] = [];
export async function tempDir(prefix = "wsus-iis-converge-"): Promise<string> {
  const d = await fsp.mkdtemp(path.join(os.tmpdir(), prefix));
  roots.push(d);
  return d;
}
export async function removeTempDirs(): Promise<void> {
  await Promise.all(roots.splice(0).map((d) => fsp.rm(d, { recursive: true, force: true })));
}

export function specFor(c: Combo, repairs: Partial<Spec["repairs"]> = OPT_IN): Spec {
  return parseSpec({ configuration: c.configuration, profile: c.profile, repairs });
}

export const OPERATOR_COMMENT = "<!-- operator note: the Intranet site belongs to HR, do not touch -->";
export const CUSTOM_SECTION_DECL = '<section name="operatorNotes" overrideModeDefault="Allow" />';
export const CUSTOM_SECTION = [
  '<operatorNotes owner="ops" ticket="CHG-1234">',
  "        <!-- keep these in this order -->",
  '        <note key="a" value="1" />',
  '        <note key="b" value="x &amp; y" />',
  "    </operatorNotes>",
].join("\r\n");

async function must(dir: string, line: string): Promise<void> {
  const r = await runCommand(dir, line);
  if (r.exitCode !== 0) throw new Error(`${line}: exit ${r.exitCode}\n${r.stdout}${r.stderr}`);
}

export async function configBytes(dir: string): Promise<Buffer> {
  return fsp.readFile((await resolveHostPath(dir, CONFIG_WIN_PATH)).hostPath);
}

/**
 * Things a WSUS server's applicationHost.config holds that the spec does not own: another site
 * (Intranet, with a location of its own), an operator's comment and a custom section declared in
 * configSections. Added through the lab's appcmd where it can, by a text edit otherwise.
 */
export async function decorate(dir: string): Promise<void> {
  await fsp.mkdir((await resolveHostPath(dir, "C:\\inetpub\\intranet")).hostPath, { recursive: true });
  await must(dir, '%windir%\\system32\\inetsrv\\appcmd.exe add site /name:"Intranet" /id:7 /bindings:http/*:8181: /physicalPath:"C:\\inetpub\\intranet"');
  await must(dir, '%windir%\\system32\\inetsrv\\appcmd.exe set config "Intranet" -section:system.webServer/security/authentication/windowsAuthentication /enabled:True /commit:apphost');
  const file = (await resolveHostPath(dir, CONFIG_WIN_PATH)).hostPath;
  let text = await fsp.readFile(file, "utf8");
  const sections = text.indexOf("</configSections>");
  if (sections < 0) throw new Error("no </configSections>");
  text = `${text.slice(0, sections)}    ${CUSTOM_SECTION_DECL}\r\n    ${text.slice(sections)}`;
  const end = text.lastIndexOf("</configuration>");
  text = `${text.slice(0, end)}    ${OPERATOR_COMMENT}\r\n    ${CUSTOM_SECTION}\r\n\r\n${text.slice(end)}`;
  await fsp.writeFile(file, text);
}

/** A lab in a fresh temp folder: healthy, decorated, then broken. */
export async function brokenLab(c: Combo, breaks: readonly Break[], opts: { decorate?: boolean; locale?: Locale } = {}): Promise<string> {
  const dir = await tempDir();
  await createLab(dir, { configuration: c.configuration, profile: c.profile, locale: opts.locale });
  if (opts.decorate !== false) await decorate(dir);
  for (const b of breaks) await applyBreak(dir, b);
  return dir;
}

/** A copy of a lab folder (the same server twice, for comparing two runs). */
export async function cloneLab(dir: string): Promise<string> {
  const copy = await tempDir("wsus-iis-clone-");
  await fsp.cp(dir, copy, { recursive: true });
  return copy;
}

/**
 * A break that leaves this layout's clients served, so there is nothing to find or repair: users-hardened
 * where the IIS 6 account is itself a member of Users (kb920659 labs), break 6 (the Default Web Site's
 * root) in modern Configuration 2, whose clients use the WSUS site on 8530.
 */
export function harmlessBreak(c: Combo, brk: Break): boolean {
  return (brk === "users-hardened" && c.profile === "kb920659") || (brk === 6 && c.profile === "modern" && c.configuration === 2);
}

/** Problems and warnings: every failed finding (the acceptance tests want none left, warnings included). */
export const failsOf = (findings: readonly Finding[]) => findings.filter((f) => f.status === "fail");
export const unknownsOf = (findings: readonly Finding[]) => findings.filter((f) => f.status === "unknown");
export const keyOf = (f: { rule: string; cause: number | null }) => `${f.rule}#${f.cause ?? "-"}`;

// ---- applicationHost.config as an XML tree (independent of the lab's own XmlDoc) ----

export interface XNode {
  type: "element" | "comment";
  name: string;
  attrs: [string, string][];
  children: XNode[];
  /** Offsets in the text without BOM: the node's raw markup is text.slice(start, end). */
  start: number;
  end: number;
  /** comment text */
  text?: string;
}

export function parseXml(source: string): { root: XNode; text: string; comments: XNode[] } {
  const text = source.replace(/^\uFEFF/, "");
  const parser = new SaxesParser({ position: true });
  const stack: XNode[] = [];
  const comments: XNode[] = [];
  let root: XNode | undefined;
  parser.on("error", (e) => {
    throw e;
  });
  parser.on("opentag", (tag) => {
    const startTagEnd = parser.position;
    const start = text.lastIndexOf("<", startTagEnd - 1);
    const attrs = Object.entries(tag.attributes as Record<string, string>);
    const el: XNode = { type: "element", name: tag.name, attrs, children: [], start, end: startTagEnd };
    if (stack.length) stack[stack.length - 1].children.push(el);
    else root = el;
    stack.push(el);
  });
  parser.on("closetag", () => {
    stack.pop()!.end = parser.position;
  });
  parser.on("comment", (c) => {
    const end = parser.position;
    const node: XNode = { type: "comment", name: "#comment", attrs: [], children: [], start: text.lastIndexOf("<!--", end - 1), end, text: c };
    comments.push(node);
    if (stack.length) stack[stack.length - 1].children.push(node);
  });
  parser.write(text).close();
  if (!root) throw new Error("no root element");
  return { root, text, comments };
}

const attrOf = (n: XNode, name: string) => n.attrs.find(([k]) => k === name)?.[1];
const same = (a: string | undefined, b: string) => a !== undefined && a.toLowerCase() === b.toLowerCase();
const childrenNamed = (n: XNode, name: string) => n.children.filter((c) => c.type === "element" && c.name === name);

/** A predicate over element paths: true for what a plan step may have added or changed. */
type Owned = (n: XNode, ancestors: XNode[]) => boolean;

/** What the plan's steps touch in applicationHost.config, as predicates over elements. */
export function ownedBy(plan: Plan): Owned[] {
  const out: Owned[] = [];
  const inSite = (site: string, ancestors: XNode[]) => ancestors.some((a) => a.name === "site" && same(attrOf(a, "name"), site));
  const inLocation = (p: string, ancestors: XNode[]) => ancestors.some((a) => a.name === "location" && same(attrOf(a, "path"), p));
  for (const { action: a } of plan.steps) {
    switch (a.kind) {
      case "add-site":
        out.push((n) => n.name === "site" && same(attrOf(n, "name"), a.site));
        break;
      case "add-binding":
        out.push((n, anc) => n.name === "binding" && inSite(a.site, anc) && same(attrOf(n, "bindingInformation"), `${a.ip.includes(":") ? `[${a.ip}]` : a.ip}:${a.port}:`));
        break;
      case "add-app":
        out.push((n, anc) => n.name === "application" && inSite(a.site, anc) && same(attrOf(n, "path"), `/${a.name}`));
        break;
      case "add-vdir":
        out.push((n, anc) => n.name === "virtualDirectory" && inSite(a.site, anc) && same(attrOf(n, "path"), `/${a.name}`));
        break;
      case "set-vdir-path":
        out.push((n, anc) => n.name === "virtualDirectory" && inSite(a.site, anc) && same(attrOf(n, "path"), a.path));
        break;
      case "set-auth": {
        const section = a.auth === "anonymous" ? "anonymousAuthentication" : "windowsAuthentication";
        out.push((n, anc) => n.name === section && inLocation(`${a.site}${a.path}`, anc));
        break;
      }
      case "set-ssl":
        out.push((n, anc) => n.name === "access" && inLocation(`${a.site}${a.path}`, anc));
        break;
      default:
        break; // ACLs, groups, files: not in applicationHost.config
    }
  }
  return out;
}

/** Plain tree without the owned elements and without containers left empty by that (both sides alike). */
export function pruned(n: XNode, owned: Owned[], ancestors: XNode[] = []): unknown {
  const kids: unknown[] = [];
  for (const c of n.children) {
    if (c.type === "comment") {
      kids.push({ comment: c.text });
      continue;
    }
    if (owned.some((o) => o(c, [...ancestors, n]))) continue;
    const p = pruned(c, owned, [...ancestors, n]) as { name: string; attrs: unknown[]; children: unknown[] };
    // `appcmd set config` creates <system.webServer><security><authentication> around a new section
    // element, and <location> elements for new paths: empty once the owned element is gone.
    const wrapper = ["system.webServer", "security", "authentication"].includes(p.name) || (p.name === "location" && !ancestors.length);
    if (wrapper && p.children.length === 0 && (p.name === "location" ? true : p.attrs.length === 0)) continue;
    kids.push(p);
  }
  return { name: n.name, attrs: n.attrs, children: kids };
}

/**
 * Everything in applicationHost.config that the plan does not own is unchanged: the element trees minus
 * the touched elements are equal, and the comments, the sites outside the layout, configSections, the
 * application pools and the custom section are byte-identical.
 */
export function expectOnlyOwnedChanged(beforeRaw: Buffer, afterRaw: Buffer, plan: Plan, layout: Layout): void {
  const bs = beforeRaw.toString("utf8");
  const as = afterRaw.toString("utf8");
  expect(as.startsWith("\uFEFF")).toBe(bs.startsWith("\uFEFF"));
  expect(as.includes("\n") && !/[^\r]\n/.test(as)).toBe(bs.includes("\n") && !/[^\r]\n/.test(bs)); // CRLF kept
  const before = parseXml(bs);
  const after = parseXml(as);
  const owned = ownedBy(plan);
  expect(pruned(after.root, owned)).toEqual(pruned(before.root, owned));

  const raw = (doc: ReturnType<typeof parseXml>, n: XNode) => doc.text.slice(n.start, n.end);
  expect(after.comments.map((c) => raw(after, c))).toEqual(before.comments.map((c) => raw(before, c)));

  const find = (doc: ReturnType<typeof parseXml>, pred: (n: XNode, anc: XNode[]) => boolean): XNode[] => {
    const found: XNode[] = [];
    const walk = (n: XNode, anc: XNode[]) => {
      if (pred(n, anc)) found.push(n);
      for (const c of n.children) if (c.type === "element") walk(c, [...anc, n]);
    };
    walk(doc.root, []);
    return found;
  };
  const layoutSites = layout.sites.map((s) => s.name.toLowerCase());
  const unowned: ((n: XNode, anc: XNode[]) => boolean)[] = [
    (n) => n.name === "configSections",
    (n) => n.name === "applicationPools",
    (n) => n.name === "operatorNotes",
    (n) => n.name === "site" && !layoutSites.includes((attrOf(n, "name") ?? "").toLowerCase()),
    (n, anc) => n.name === "location" && anc.length === 1 && !layoutSites.some((s) => (attrOf(n, "path") ?? "").toLowerCase().split("/")[0] === s),
    // site-level elements an administrator set (traceFailedRequestsLogging, limits)
    (n, anc) => ["traceFailedRequestsLogging", "limits"].includes(n.name) && anc[anc.length - 1]?.name === "site",
  ];
  for (const pred of unowned) {
    const b = find(before, pred).map((n) => raw(before, n));
    const a = find(after, pred).map((n) => raw(after, n));
    expect(a).toEqual(b);
  }
}

// ---- the client's view: the HTTP probe against the served lab ----

/** Serve the lab (80 and 8530 on free loopback ports) and probe it as a Windows Update client would. */
export async function probeLab(dir: string, spec: Spec): Promise<ProbeResult> {
  const layout = resolveLayout(spec, "WSUS01");
  // port 0: the lab server picks free ports itself (a port picked here and bound later could be taken
  // by another test's server in between, and the probe would judge the wrong lab)
  const server = await serveLab(dir, { portMap: { 80: 0, 8530: 0 }, pollMs: 0, anonymousCanRead: labAnonymousCanRead });
  const ports: Record<number, number> = {};
  for (const configPort of [80, 8530]) {
    const served = server.endpoints.find((e) => Number(e.binding.split(":").at(-2)) === configPort);
    // nothing listens for that port (a broken binding): any port nobody serves
    ports[configPort] = served?.port ?? (await freePort());
  }
  try {
    // the Windows-auth vdir is checked on the URL's own port: the site that holds it
    const adminSite = layout.sites.find((s) => s.vdirs.some((v) => v.name.toLowerCase() === layout.windowsAuthVdir.toLowerCase()))!;
    return await probe(`http://127.0.0.1:${ports[adminSite.httpPort]}`, { profile: layout.profile, clientPort: ports[layout.clientPort], timeoutMs: 3000 });
  } finally {
    await server.close();
  }
}

// ---- the CLI as a user runs it ----

export const BIN = path.resolve(__dirname, "..", "..", "bin", "wsus-iis.js");

/** `node bin/wsus-iis.js ARGS` in a child process, stdin a pipe (never a terminal) fed with `input`. */
export function runCli(args: string[], opts: { input?: string; env?: Record<string, string>; timeoutMs?: number } = {}): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, NO_COLOR: "1", ...opts.env }, stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.setEncoding("utf8").on("data", (c: string) => (out += c));
    child.stderr.setEncoding("utf8").on("data", (c: string) => (err += c));
    const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 60_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, out, err });
    });
    child.stdin.on("error", () => undefined); // the child may exit before reading everything
    child.stdin.end(opts.input ?? "");
  });
}
