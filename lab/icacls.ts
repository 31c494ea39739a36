import { promises as fsp } from "node:fs";
import * as path from "node:path";
import { aceToSddl, canonicalOrder, formatRights, icaclsBlock, type LabAce, parseRights, parseSddlDacl } from "./acl";
import { type CommandResult, decodeText, type LabContext, NL } from "./context";
import { formatWindowsPath, parentExists, parseWindowsPath, writeWindowsFile } from "./fs";
import { type Locale, localeOf, msg } from "./locale";
import {
  accountBySddl,
  displayPrincipal,
  effectiveAcl,
  isProtected,
  type LabState,
  ownAces,
  resolveAccount,
  resolveInternal,
  setOwnAces,
  setProtected,
} from "./state";

/**
 * icacls.exe: display (`icacls path [/t]`), `/grant[:r]`, `/deny`, `/remove[:g|:d]`,
 * `/inheritance:e|d|r`, `/reset`, `/save file [/t]`, `/restore file`; `/c /q /l` accepted. Output
 * and exit codes as icacls prints them (2 file not found, 3 path not found, 87 invalid parameter,
 * 1332 unknown account). Account names and messages in the lab's locale (lab/locale.ts); ACEs are
 * stored under the canonical English principal (`BUILTIN\Users`) in every locale.
 */

/** The messages of one run, in the lab's locale. */
function texts(locale: Locale) {
  return {
    summary: (ok: number, failed: number) => msg(locale, "icaclsSummary", ok, failed),
    processed: (p: string) => msg(locale, "icaclsProcessed", p),
    noMapping: (name: string) => `${name}: ${msg(locale, "noMapping")}`,
    fileNotFound: (p: string) => `${p}: ${msg(locale, "fileNotFound")}`,
    pathNotFound: (p: string) => `${p}: ${msg(locale, "pathNotFound")}`,
  };
}

interface Grant {
  text: string;
  principal: string;
  oi: boolean;
  ci: boolean;
  io: boolean;
  np: boolean;
  mask: number;
}

/** `Users:(OI)(CI)(RX)`, `Users:RX`, `*S-1-5-32-545:(OI)(CI)RX`, `Users:(OI)(CI)(GR,GE)`. */
function parseGrant(text: string): Grant | null {
  const i = text.lastIndexOf(":");
  if (i <= 0) return null;
  const principal = text.slice(0, i);
  let rest = text.slice(i + 1);
  const g: Grant = { text, principal, oi: false, ci: false, io: false, np: false, mask: 0 };
  let rights: string | null = null;
  while (rest.length) {
    const m = /^\(([^)]*)\)/.exec(rest);
    const token = m ? m[1] : rest;
    rest = m ? rest.slice(m[0].length) : "";
    const up = token.toUpperCase();
    if (up === "OI") g.oi = true;
    else if (up === "CI") g.ci = true;
    else if (up === "IO") g.io = true;
    else if (up === "NP") g.np = true;
    else if (up === "I") continue;
    else {
      if (rights !== null) return null;
      rights = token;
    }
  }
  if (rights === null) return null;
  const mask = parseRights(rights);
  if (mask === null) return null;
  g.mask = mask;
  return g;
}

interface Options {
  target: string;
  ops: { kind: "grant" | "grant:r" | "deny" | "remove" | "remove:g" | "remove:d"; items: string[] }[];
  inheritance?: "e" | "d" | "r";
  reset: boolean;
  save?: string;
  restore?: string;
  recurse: boolean;
  continueOnError: boolean;
  quiet: boolean;
}

// unverified: no source found for localized usage text or `Invalid parameter` (see lab/README.md "Localization")
function invalid(param: string): CommandResult {
  return { stdout: "", stderr: `Invalid parameter "${param}"${NL}`, exitCode: 87 };
}

function parseArgs(argv: string[]): Options | CommandResult {
  if (argv.length === 0 || argv[0] === "/?") {
    return {
      stdout: [
        "ICACLS name /save aclfile [/T] [/C] [/L] [/Q]",
        "    stores the DACLs for the files and folders that match the name",
        "    into aclfile for later use with /restore.",
        "",
        "ICACLS directory [/substitute SidOld SidNew [...]] /restore aclfile",
        "                 [/C] [/L] [/Q]",
        "    applies the stored DACLs to files in directory.",
        "",
        "ICACLS name [/grant[:r] Sid:perm[...]]",
        "       [/deny Sid:perm [...]]",
        "       [/remove[:g|:d]] Sid[...]] [/T] [/C] [/L] [/Q]",
        "       [/setintegritylevel Level:policy[...]]",
        "",
        "    /grant[:r] Sid:perm grants the specified user access rights. With :r,",
        "        the permissions replace any previously granted explicit permissions.",
        "        Without :r, the permissions are added to any previously granted",
        "        explicit permissions.",
        "",
      ]
        .map((l) => l + NL)
        .join(""),
      stderr: "",
      exitCode: argv.length === 0 ? 87 : 0,
    };
  }
  const o: Options = { target: argv[0], ops: [], reset: false, recurse: false, continueOnError: false, quiet: false };
  if (o.target.startsWith("/")) return invalid(o.target);
  let i = 1;
  while (i < argv.length) {
    const a = argv[i];
    const lower = a.toLowerCase();
    const takeItems = (): string[] => {
      const items: string[] = [];
      i++;
      while (i < argv.length && !argv[i].startsWith("/")) items.push(argv[i++]);
      return items;
    };
    if (lower === "/grant" || lower === "/grant:r" || lower === "/deny") {
      const items = takeItems();
      if (items.length === 0) return invalid(a);
      o.ops.push({ kind: lower.slice(1) as "grant" | "grant:r" | "deny", items });
      continue;
    }
    if (lower === "/remove" || lower === "/remove:g" || lower === "/remove:d") {
      const items = takeItems();
      if (items.length === 0) return invalid(a);
      o.ops.push({ kind: lower.slice(1) as "remove" | "remove:g" | "remove:d", items });
      continue;
    }
    if (/^\/inheritance:[edr]$/.test(lower)) {
      o.inheritance = lower.slice(-1) as "e" | "d" | "r";
      i++;
      continue;
    }
    if (lower === "/save" || lower === "/restore") {
      const file = argv[i + 1];
      if (file === undefined || file.startsWith("/")) return invalid(a);
      if (lower === "/save") o.save = file;
      else o.restore = file;
      i += 2;
      continue;
    }
    if (lower === "/reset") o.reset = true;
    else if (lower === "/t") o.recurse = true;
    else if (lower === "/c") o.continueOnError = true;
    else if (lower === "/q") o.quiet = true;
    else if (lower === "/l") {
      /* symlinks: nothing to do in the lab */
    } else return invalid(a);
    i++;
  }
  const modes = [o.ops.length > 0 || o.inheritance !== undefined, o.reset, o.save !== undefined, o.restore !== undefined].filter(Boolean).length;
  if (modes > 1) return invalid(o.save !== undefined ? "/save" : o.restore !== undefined ? "/restore" : "/reset");
  if (o.restore !== undefined && o.recurse) return invalid("/T");
  return o;
}

/** The paths a command applies to: the target, and with /t everything below it. */
async function targets(ctx: LabContext, shown: string, recurse: boolean): Promise<{ shown: string; win: string; isDir: boolean }[]> {
  const h = await ctx.host(shown);
  const first = { shown, win: h.windowsPath, isDir: h.kind === "dir" };
  if (!recurse || h.kind !== "dir") return [first];
  const out = [first];
  const walk = async (hostDir: string, winDir: string, shownDir: string) => {
    const entries = (await fsp.readdir(hostDir, { withFileTypes: true })).sort((a, b) => (a.name.toUpperCase() < b.name.toUpperCase() ? -1 : 1));
    for (const e of entries) {
      const w = `${winDir}\\${e.name}`;
      const s = `${shownDir.replace(/\\+$/, "")}\\${e.name}`;
      out.push({ shown: s, win: w, isDir: e.isDirectory() });
      if (e.isDirectory()) await walk(path.join(hostDir, e.name), w, s);
    }
  };
  await walk(h.hostPath, h.windowsPath, shown);
  return out;
}

async function notFound(ctx: LabContext, shown: string, t: ReturnType<typeof texts>): Promise<{ text: string; code: number }> {
  const parsed = parseWindowsPath(await ctx.abs(shown));
  const parent = formatWindowsPath({ drive: parsed.drive, segments: parsed.segments.slice(0, -1) });
  const parentKind = parsed.segments.length ? (await ctx.host(parent)).kind : "dir";
  return parentKind === "dir"
    ? { text: t.fileNotFound(shown), code: 2 }
    : { text: t.pathNotFound(shown), code: 3 };
}

export async function icacls(ctx: LabContext, argv: string[]): Promise<CommandResult> {
  const parsed = parseArgs(argv);
  if ("exitCode" in parsed) return parsed;
  const o = parsed;
  const state = await ctx.state();
  const tx = texts(localeOf(state));
  const summary = tx.summary;
  const h = await ctx.host(o.target);
  if (!h.exists) {
    const nf = await notFound(ctx, o.target, tx);
    return { stdout: summary(0, 1) + NL, stderr: nf.text + NL, exitCode: nf.code };
  }

  if (o.restore !== undefined) return restore(ctx, state, o, tx);

  const list = await targets(ctx, o.target, o.recurse);

  // display
  if (o.ops.length === 0 && o.inheritance === undefined && !o.reset && o.save === undefined) {
    const out: string[] = [];
    for (const t of list) {
      // stored principals are canonical English; print them as the lab's locale names them
      const acl = (await effectiveAcl(ctx.dir, state, t.win)).map((a) => ({ ...a, principal: displayPrincipal(state, a.principal) }));
      out.push(...icaclsBlock(t.shown, acl));
      if (list.length > 1) out.push("");
    }
    if (list.length === 1) out.push("");
    out.push(summary(list.length, 0));
    return { stdout: out.map((l) => l + NL).join(""), stderr: "", exitCode: 0 };
  }

  if (o.save !== undefined) {
    const base = parseWindowsPath(h.windowsPath);
    const parentSegs = base.segments.length - 1;
    let text = "";
    const out: string[] = [];
    for (const t of list) {
      const segs = parseWindowsPath(t.win).segments.slice(Math.max(0, parentSegs));
      const name = segs.length ? segs.join("\\") : t.win;
      const acl = await effectiveAcl(ctx.dir, state, t.win);
      const sddl = acl.map((a) => aceToSddl(a, sidOf(state, a.principal))).join("");
      text += `${name}\r\nD:${isProtected(state, t.win) ? "P" : ""}AI${sddl}S:AINO_ACCESS_CONTROL\r\n`;
      if (!o.quiet) out.push(tx.processed(t.shown));
    }
    const file = await ctx.abs(o.save);
    if (!(await parentExists(ctx.dir, file)) || (await ctx.host(file)).kind === "dir") {
      return { stdout: summary(0, list.length) + NL, stderr: tx.pathNotFound(o.save) + NL, exitCode: 3 };
    }
    await writeWindowsFile(ctx.dir, file, Buffer.from(text, "utf16le"));
    out.push(summary(list.length, 0));
    return { stdout: out.map((l) => l + NL).join(""), stderr: "", exitCode: 0 };
  }

  // resolve every principal first: an unknown account fails the whole command before any change
  const grants: { kind: string; grant?: Grant; principal?: string }[] = [];
  for (const op of o.ops) {
    for (const item of op.items) {
      if (op.kind.startsWith("remove")) {
        const acc = resolveAccount(state, item);
        if (!acc) return { stdout: summary(0, 1) + NL, stderr: tx.noMapping(item) + NL, exitCode: 1332 };
        grants.push({ kind: op.kind, principal: acc.internal });
        continue;
      }
      const g = parseGrant(item);
      if (!g) return invalid(item);
      const acc = resolveAccount(state, g.principal);
      if (!acc) return { stdout: summary(0, 1) + NL, stderr: tx.noMapping(g.principal) + NL, exitCode: 1332 };
      g.principal = acc.internal;
      grants.push({ kind: op.kind, grant: g });
    }
  }

  const out: string[] = [];
  for (const t of list) {
    let aces = ownAces(state, t.win);
    if (o.reset) {
      aces = [];
      setProtected(state, t.win, false);
    }
    if (o.inheritance === "d") {
      if (!isProtected(state, t.win)) {
        const inherited = (await effectiveAcl(ctx.dir, state, t.win)).filter((a) => a.inherited).map((a) => ({ ...a, inherited: false }));
        aces = [...aces, ...inherited];
        setProtected(state, t.win, true);
      }
    } else if (o.inheritance === "r") setProtected(state, t.win, true);
    else if (o.inheritance === "e") setProtected(state, t.win, false);

    const replaced = new Set<string>();
    for (const g of grants) {
      if (g.principal) {
        const sid = sidOf(state, g.principal).sid;
        aces = aces.filter(
          (a) =>
            a.inherited ||
            sidOf(state, a.principal).sid !== sid ||
            (g.kind === "remove:g" && a.type !== "allow") ||
            (g.kind === "remove:d" && a.type !== "deny"),
        );
        continue;
      }
      const gr = g.grant!;
      const type = g.kind === "deny" ? "deny" : "allow";
      const sid = sidOf(state, gr.principal).sid;
      if (g.kind === "grant:r" && !replaced.has(sid)) {
        aces = aces.filter((a) => a.inherited || a.type !== "allow" || sidOf(state, a.principal).sid !== sid);
        replaced.add(sid);
      }
      // directories keep the inheritance flags; files ignore them
      const flags = t.isDir ? { oi: gr.oi, ci: gr.ci, io: gr.io, np: gr.np } : { oi: false, ci: false, io: false, np: false };
      const same = aces.find(
        (a) => !a.inherited && a.type === type && sidOf(state, a.principal).sid === sid && a.oi === flags.oi && a.ci === flags.ci && a.io === flags.io && a.np === flags.np,
      );
      if (same) same.rights = formatRights((parseRights(same.rights) ?? 0) | gr.mask);
      else aces.push({ principal: gr.principal, type, rights: formatRights(gr.mask), inherited: false, ...flags });
    }
    setOwnAces(state, t.win, canonicalOrder(aces));
    if (!o.quiet) out.push(tx.processed(t.shown));
  }
  ctx.markDirty();
  out.push(summary(list.length, 0));
  return { stdout: out.map((l) => l + NL).join(""), stderr: "", exitCode: 0 };
}

/** SID of a stored (canonical English) principal. */
function sidOf(state: LabState, principal: string): { sid: string; alias?: string } {
  const acc = resolveInternal(state, principal);
  if (acc) return { sid: acc.sid, alias: acc.alias };
  const raw = /^\*?(S-1-[0-9-]+)$/i.exec(principal);
  return { sid: raw ? raw[1].toUpperCase() : principal };
}

async function restore(ctx: LabContext, state: LabState, o: Options, tx: ReturnType<typeof texts>): Promise<CommandResult> {
  const summary = tx.summary;
  const h = await ctx.host(o.target);
  // unverified: no source found for a localized "The directory name is invalid." / "The data is invalid." (see lab/README.md "Localization")
  if (h.kind !== "dir") return { stdout: summary(0, 1) + NL, stderr: `${o.target}: The directory name is invalid.${NL}`, exitCode: 267 };
  const fileHost = await ctx.host(o.restore!);
  if (fileHost.kind !== "file") return { stdout: "", stderr: tx.fileNotFound(o.restore!) + NL, exitCode: 2 };
  const text = decodeText(await fsp.readFile(fileHost.hostPath)).replace(/^\uFEFF/, "");
  const rows = text.split(/\r?\n/).filter((l) => l.length > 0);
  const out: string[] = [];
  let okCount = 0;
  let failed = 0;
  const errors: string[] = [];
  for (let r = 0; r + 1 < rows.length; r += 2) {
    const name = rows[r];
    const dacl = parseSddlDacl(rows[r + 1]);
    const win = `${h.windowsPath.replace(/\\+$/, "")}\\${name}`;
    const shown = `${o.target.replace(/\\+$/, "")}\\${name}`;
    const target = await ctx.host(win);
    if (!dacl || !target.exists) {
      failed++;
      // unverified: no source found for a localized "The parameter is incorrect." (see lab/README.md "Localization")
      errors.push(!dacl ? `${shown}: The parameter is incorrect.` : tx.fileNotFound(shown));
      if (!o.continueOnError) break;
      continue;
    }
    const aces: LabAce[] = dacl.aces
      .filter((a) => !a.inherited)
      .map((a) => {
        const acc = accountBySddl(state, a.trustee);
        return {
          principal: acc?.internal ?? (a.trustee.toUpperCase().startsWith("S-1-") ? a.trustee.toUpperCase() : a.trustee),
          type: a.type,
          rights: formatRights(a.mask),
          inherited: false,
          oi: a.oi,
          ci: a.ci,
          io: a.io,
          np: a.np,
        };
      });
    setOwnAces(state, target.windowsPath, aces);
    setProtected(state, target.windowsPath, dacl.protected);
    okCount++;
    if (!o.quiet) out.push(tx.processed(shown));
  }
  if (rows.length % 2 === 1 && failed === 0 && okCount === 0) errors.push(`${o.restore}: The data is invalid.`);
  ctx.markDirty();
  out.push(summary(okCount, failed));
  return { stdout: out.map((l) => l + NL).join(""), stderr: errors.map((e) => e + NL).join(""), exitCode: failed ? 1 : 0 };
}

