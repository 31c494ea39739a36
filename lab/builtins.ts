import { promises as fsp } from "node:fs";
import * as path from "node:path";
import { type CommandResult, decodeText, type LabContext, NL } from "./context";
import { compareNames, formatWindowsPath, mkdirWindows, parseWindowsPath, writeWindowsFile } from "./fs";

/** cmd's `type` and `dir`, and the small tools `hostname` and `msiexec` (the lab's fake Selfupdate.msi). */

export async function typeCommand(ctx: LabContext, argv: string[]): Promise<CommandResult> {
  const files = argv.filter((a) => !a.startsWith("/"));
  if (files.length === 0) return { stdout: "", stderr: `The syntax of the command is incorrect.${NL}`, exitCode: 1 };
  let stdout = "";
  let stderr = "";
  let exitCode = 0;
  for (const f of files) {
    const h = await ctx.host(f);
    if (h.kind === "dir") {
      stderr += `Access is denied.${NL}`;
      exitCode = 1;
      continue;
    }
    if (h.kind !== "file") {
      stderr += `The system cannot find the file specified.${NL}`;
      if (files.length > 1) stderr += `Error occurred while processing: ${f}.${NL}`;
      exitCode = 1;
      continue;
    }
    if (files.length > 1) stderr += `${NL}${f}${NL}${NL}${NL}`;
    const buf = await fsp.readFile(h.hostPath);
    // type converts UTF-16 (with BOM) for the console; other files are copied byte for byte
    stdout += buf.length >= 2 && buf[0] === 0xff && buf[1] === 0xfe ? decodeText(buf) : buf.toString("utf8");
  }
  return { stdout, stderr, exitCode };
}

interface DirOptions {
  recurse: boolean;
  bare: boolean;
  attr: "files" | "dirs" | "all";
  paths: string[];
}

function parseDirArgs(argv: string[]): DirOptions | CommandResult {
  const o: DirOptions = { recurse: false, bare: false, attr: "all", paths: [] };
  for (const a of argv) {
    if (!a.startsWith("/")) {
      o.paths.push(a);
      continue;
    }
    for (const sw of a.split("/").filter(Boolean)) {
      const l = sw.toLowerCase();
      if (l === "s") o.recurse = true;
      else if (l === "b") o.bare = true;
      else if (/^a:?-d$/.test(l)) o.attr = "files";
      else if (/^a:?d$/.test(l)) o.attr = "dirs";
      else if (/^a:?$/.test(l)) o.attr = "all";
      else if (/^(o:?-?[negsd]*|-?p|w|d|l|n|x|c|4|q|r)$/.test(l)) continue;
      else return { stdout: "", stderr: `Invalid switch - "${sw}".${NL}`, exitCode: 1 };
    }
  }
  return o;
}

function wildcard(pattern: string): RegExp {
  const re = pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
  return new RegExp(`^${re}$`, "i");
}

interface Entry {
  win: string;
  name: string;
  dir: boolean;
  size: number;
  mtime: Date;
}

export async function dirCommand(ctx: LabContext, argv: string[]): Promise<CommandResult> {
  const parsed = parseDirArgs(argv);
  if ("exitCode" in parsed) return parsed;
  const o = parsed;
  if (o.paths.length === 0) o.paths.push(ctx.cwd);
  const out: string[] = [];
  let found = 0;
  let missingPath = false;
  for (const p of o.paths) {
    // a wildcard in the last segment is a pattern, not part of the path
    const cut = Math.max(p.lastIndexOf("\\"), p.lastIndexOf("/"));
    const lastRaw = p.slice(cut + 1);
    const hasWildcard = /[*?]/.test(lastRaw);
    const abs = hasWildcard ? await ctx.abs(cut >= 0 ? p.slice(0, cut + 1) || "\\" : ".") : await ctx.abs(p);
    const parsedPath = parseWindowsPath(abs);
    const last = parsedPath.segments[parsedPath.segments.length - 1] ?? "";
    let base: string;
    let pattern: RegExp;
    let matchAll = false;
    const h = await ctx.host(abs);
    if (hasWildcard) {
      base = abs;
      pattern = wildcard(lastRaw);
      matchAll = lastRaw === "*" || lastRaw === "*.*";
    } else if (h.kind === "dir") {
      base = abs;
      pattern = /^/;
      matchAll = true;
    } else if (h.kind === "file") {
      base = formatWindowsPath({ drive: parsedPath.drive, segments: parsedPath.segments.slice(0, -1) });
      pattern = wildcard(last);
    } else {
      missingPath = true;
      continue;
    }
    const baseHost = await ctx.host(base);
    if (baseHost.kind !== "dir") {
      missingPath = true;
      continue;
    }
    const shownBase = abs.length >= base.length ? abs.slice(0, base.length) : base;
    const blocks: { dirWin: string; entries: Entry[] }[] = [];
    const walk = async (hostDir: string, winDir: string) => {
      const dirents = await fsp.readdir(hostDir, { withFileTypes: true });
      const entries: Entry[] = [];
      for (const d of dirents.sort((a, b) => compareNames(a.name, b.name))) {
        if (!d.isFile() && !d.isDirectory()) continue;
        if (!pattern.test(d.name)) continue;
        if (o.attr === "files" && d.isDirectory()) continue;
        if (o.attr === "dirs" && d.isFile()) continue;
        const st = await fsp.stat(path.join(hostDir, d.name));
        entries.push({ win: `${winDir.replace(/\\+$/, "")}\\${d.name}`, name: d.name, dir: d.isDirectory(), size: st.size, mtime: st.mtime });
      }
      // cmd lists . and .. in every folder but a drive root (not with /b, /a-d or a pattern)
      if (!o.bare && matchAll && o.attr !== "files" && !/^[A-Za-z]:\\?$/.test(winDir)) {
        const st = await fsp.stat(hostDir);
        entries.unshift({ win: winDir, name: ".", dir: true, size: 0, mtime: st.mtime }, { win: winDir, name: "..", dir: true, size: 0, mtime: st.mtime });
      }
      blocks.push({ dirWin: winDir, entries });
      if (o.recurse) {
        for (const d of dirents.filter((x) => x.isDirectory()).sort((a, b) => compareNames(a.name, b.name))) {
          await walk(path.join(hostDir, d.name), `${winDir.replace(/\\+$/, "")}\\${d.name}`);
        }
      }
    };
    await walk(baseHost.hostPath, shownBase);
    for (const b of blocks) found += b.entries.filter((e) => e.name !== "." && e.name !== "..").length;
    if (o.bare) {
      for (const b of blocks) for (const e of b.entries) out.push(o.recurse ? e.win : e.name);
    } else {
      out.push(...longFormat(parsedPath.drive, blocks, o.recurse));
    }
  }
  if (found === 0) return { stdout: o.bare ? "" : out.map((l) => l + NL).join(""), stderr: `File Not Found${NL}`, exitCode: 1 };
  return { stdout: out.map((l) => l + NL).join(""), stderr: missingPath ? `File Not Found${NL}` : "", exitCode: 0 };
}

function stamp(d: Date): string {
  const p = (n: number) => String(n).padStart(2, "0");
  const h = d.getHours() % 12 || 12;
  return `${p(d.getMonth() + 1)}/${p(d.getDate())}/${d.getFullYear()}  ${p(h)}:${p(d.getMinutes())} ${d.getHours() < 12 ? "AM" : "PM"}`;
}

const num = (n: number) => n.toLocaleString("en-US");

function longFormat(drive: string, blocks: { dirWin: string; entries: Entry[] }[], recurse: boolean): string[] {
  const out = [` Volume in drive ${drive} has no label.`, ` Volume Serial Number is 5A3C-1F2E`];
  let totalFiles = 0;
  let totalBytes = 0;
  for (const b of blocks) {
    if (recurse && b.entries.length === 0) continue;
    out.push("", ` Directory of ${b.dirWin}`, "");
    let files = 0;
    let bytes = 0;
    let dirs = 0;
    for (const e of b.entries) {
      if (e.dir) {
        dirs++;
        out.push(`${stamp(e.mtime)}    <DIR>          ${e.name}`);
      } else {
        files++;
        bytes += e.size;
        out.push(`${stamp(e.mtime)}    ${num(e.size).padStart(14)} ${e.name}`);
      }
    }
    totalFiles += files;
    totalBytes += bytes;
    out.push(`${String(files).padStart(16)} File(s) ${num(bytes).padStart(14)} bytes`);
    if (!recurse) out.push(`${String(dirs).padStart(16)} Dir(s)  52,428,800,000 bytes free`);
  }
  if (recurse) {
    out.push("", "     Total Files Listed:", `${String(totalFiles).padStart(16)} File(s) ${num(totalBytes).padStart(14)} bytes`);
    out.push(`${String(0).padStart(16)} Dir(s)  52,428,800,000 bytes free`);
  }
  return out;
}

export async function hostnameCommand(ctx: LabContext, argv: string[]): Promise<CommandResult> {
  if (argv.length > 0) return { stdout: "", stderr: `sethostname: Use the Network Control Panel Applet to set hostname.${NL}hostname -s is not supported.${NL}`, exitCode: 1 };
  return { stdout: (await ctx.state()).computerName + NL, stderr: "", exitCode: 0 };
}

// ---- msiexec and the fake packages ----

/** First line of the lab's fake .msi files; the rest of the file is a JSON manifest. */
export const FAKE_MSI_MAGIC = "WSUS-IIS-LAB-MSI 1";

export interface FakeMsiManifest {
  productName: string;
  /** Windows folder the files go to. */
  targetDir: string;
  /** Relative path (backslashes) -> file content (UTF-8 text). */
  files: Record<string, string>;
}

export function fakeMsi(manifest: FakeMsiManifest): string {
  return `${FAKE_MSI_MAGIC}\r\n${JSON.stringify(manifest, null, 1)}\r\n`;
}

export async function msiexecCommand(ctx: LabContext, argv: string[]): Promise<CommandResult> {
  let pkg: string | undefined;
  let mode: "install" | "repair" | "uninstall" | undefined;
  let log: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const l = a.toLowerCase();
    if (l === "/i" || l === "/package" || l === "-i") {
      mode = "install";
      pkg = argv[++i];
    } else if (/^[/-]f[pecdaumsvo]*$/.test(l)) {
      mode = "repair";
      pkg = argv[++i];
    } else if (l === "/x" || l === "/uninstall") {
      mode = "uninstall";
      pkg = argv[++i];
    } else if (/^[/-]q[nbrf]?[+-]?$/.test(l) || l === "/quiet" || l === "/passive" || l === "/norestart" || l === "/forcerestart" || l === "/promptrestart") {
      continue;
    } else if (/^[/-]l[iwearucmopvx*+!]*$/.test(l) || l === "/log") {
      log = argv[++i];
    } else if (/^[A-Za-z_][A-Za-z0-9_.]*=/.test(a)) {
      continue;
    } else {
      return { stdout: "", stderr: "", exitCode: 1639 }; // ERROR_INVALID_COMMAND_LINE (msiexec shows its usage dialog)
    }
  }
  if (!mode || pkg === undefined) return { stdout: "", stderr: "", exitCode: 1639 };
  const h = await ctx.host(pkg);
  if (h.kind !== "file") return { stdout: "", stderr: "", exitCode: 1619 }; // ERROR_INSTALL_PACKAGE_OPEN_FAILED
  const text = (await fsp.readFile(h.hostPath, "utf8")).replace(/^\uFEFF/, "");
  const nl = text.indexOf("\n");
  if (text.slice(0, nl).trim() !== FAKE_MSI_MAGIC) return { stdout: "", stderr: "", exitCode: 1620 }; // ERROR_INSTALL_PACKAGE_INVALID
  let manifest: FakeMsiManifest;
  try {
    manifest = JSON.parse(text.slice(nl + 1));
  } catch {
    return { stdout: "", stderr: "", exitCode: 1620 };
  }
  // Windows Installer semantics (Microsoft Learn, "Command-Line Options" and "MsiExec.exe Error
  // Messages"): /f repairs a product "currently installed" (else 1605, ERROR_UNKNOWN_PRODUCT);
  // /i on an installed product does not bring back missing files (../shared/notes/REAL_WINDOWS.md).
  const state = await ctx.state();
  const installed = state.products.some((p) => p.toLowerCase() === manifest.productName.toLowerCase());
  if (mode === "repair" && !installed) return { stdout: "", stderr: "", exitCode: 1605 };
  if (mode === "install" && installed) return { stdout: "", stderr: "", exitCode: 0 };
  if (mode === "uninstall") state.products = state.products.filter((p) => p.toLowerCase() !== manifest.productName.toLowerCase());
  else if (!installed) state.products.push(manifest.productName);
  ctx.markDirty();
  const target = manifest.targetDir;
  await mkdirWindows(ctx.dir, target);
  for (const [rel, content] of Object.entries(manifest.files)) {
    const win = `${target.replace(/\\+$/, "")}\\${rel}`;
    const hh = await ctx.host(win);
    if (mode === "uninstall") {
      if (hh.kind === "file") await fsp.rm(hh.hostPath);
      continue;
    }
    await writeWindowsFile(ctx.dir, win, content);
  }
  if (log !== undefined) {
    const logPath = await ctx.abs(log);
    const lines = [
      `=== Verbose logging started: ${new Date().toISOString()}  Build type: SHIP UNICODE 5.00.10011.00  Calling process: C:\\Windows\\system32\\msiexec.exe ===`,
      `MSI (s) (lab): Product: ${manifest.productName} -- ${mode === "uninstall" ? "Removal" : "Installation"} completed successfully.`,
      `MSI (s) (lab): Windows Installer ${mode === "uninstall" ? "removed" : "installed"} the product. Product Name: ${manifest.productName}. Installation success or error status: 0.`,
      `=== Logging stopped: ${new Date().toISOString()} ===`,
    ];
    await writeWindowsFile(ctx.dir, logPath, Buffer.from("\uFEFF" + lines.join("\r\n") + "\r\n", "utf16le"));
  }
  return { stdout: "", stderr: "", exitCode: 0 };
}
