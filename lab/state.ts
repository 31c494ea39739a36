import { promises as fsp } from "node:fs";
import * as path from "node:path";
import { z } from "zod";
import { canonicalOrder, inheritFrom, type LabAce } from "./acl";
import { confineToLab, formatWindowsPath, kindOf, LabError, parseWindowsPath, removeStaleTempFilesOnce, resolveHostPath, writeAtomic } from "./fs";
import { LOCALES, localAccountName, localeOf } from "./locale";

/** `DIR/lab.json`: everything about the simulated server that is not a file on its drives. */
export const LAB_SCHEMA_ID = "wsus-iis/lab@1";

export const LabAceSchema = z.object({
  principal: z.string().min(1),
  type: z.enum(["allow", "deny"]).default("allow"),
  rights: z.string().min(1),
  inherited: z.boolean().default(false),
  oi: z.boolean().default(false),
  ci: z.boolean().default(false),
  io: z.boolean().default(false),
  np: z.boolean().default(false),
});

export const LabGroupSchema = z.object({ comment: z.string().default(""), members: z.array(z.string()).default([]) });

export const LabStateSchema = z.looseObject({
  schema: z.literal(LAB_SCHEMA_ID),
  computerName: z.string().min(1).max(15),
  /** Machine SID prefix of local accounts (S-1-5-21-a-b-c). */
  machineSid: z.string().default("S-1-5-21-3623811015-3361044348-30300820"),
  /**
   * Display language of the simulated Windows (lab/locale.ts): the account names and messages the
   * commands print and accept. What lab.json stores stays canonical English in every locale.
   */
  locale: z.enum(LOCALES).default("en-US"),
  /** Append every command line the lab runs to DIR/.host/commands.log (tests compare the two agents' lines). */
  trace: z.boolean().optional(),
  /** Faults for whichever agent runs commands (lab/shell.ts labFault): slow commands, failing ones, a concurrent edit. */
  faults: z
    .object({
      delayMs: z.number().int().min(0).max(600_000).default(0),
      fail: z.array(z.object({ match: z.string(), exitCode: z.number().int(), stderr: z.string().default("") })).default([]),
      editConfigBefore: z.array(z.string()).default([]),
    })
    .optional(),
  environment: z.record(z.string(), z.string()).default({}),
  /** Windows path (as written) -> its explicit ACEs. */
  acls: z.record(z.string(), z.array(LabAceSchema)).default({}),
  /** Paths whose ACL does not inherit from the parent (icacls shows no (I) entries). Drive roots never inherit. */
  protectedAcls: z.array(z.string()).default([]),
  /** Local user accounts (besides the built-in ones). */
  users: z.array(z.string()).default(["Administrator", "Guest", "DefaultAccount"]),
  groups: z.record(z.string(), LabGroupSchema).default({}),
  features: z
    .object({
      sharePoint: z.object({ installed: z.boolean().default(false), excludedPaths: z.array(z.string()).default([]) }).prefault({}),
    })
    .prefault({}),
  services: z.record(z.string(), z.string()).default({}),
  /**
   * Runtime state set by `appcmd start|stop site|apppool` (lab/runtime.ts): name -> Started/Stopped.
   * Not in applicationHost.config: appcmd start/stop only tells WAS/W3SVC (RSCA) and leaves autoStart /
   * serverAutoStart alone (mvolo.com, "Caution when stopping and starting an IIS application pool with
   * appcmd"). An object not listed is in its boot state (serverAutoStart / autoStart, default true).
   */
  runtime: z
    .object({
      sites: z.record(z.string(), z.enum(["Started", "Stopped"])).default({}),
      appPools: z.record(z.string(), z.enum(["Started", "Stopped"])).default({}),
    })
    .optional(),
  /** Windows Installer products installed (by product name): msiexec /f repairs only these. */
  products: z.array(z.string()).default([]),
  profile: z.string().optional(),
  configuration: z.number().optional(),
  breaks: z.array(z.union([z.number(), z.string()])).optional(),
  spec: z.unknown().optional(),
});

export type LabState = z.infer<typeof LabStateSchema>;

// defined next to the file layer, which raises it too (a path leading out of the lab)
export { LabError };

export function labJsonPath(dir: string): string {
  return path.join(dir, "lab.json");
}

export async function isLab(dir: string): Promise<boolean> {
  try {
    await confineToLab(dir, labJsonPath(dir)); // a lab's lab.json is in the lab, not behind a symlink out of it
    const raw = JSON.parse(await fsp.readFile(labJsonPath(dir), "utf8"));
    return raw?.schema === LAB_SCHEMA_ID;
  } catch {
    return false;
  }
}

export async function readLabState(dir: string): Promise<LabState> {
  await confineToLab(dir, labJsonPath(dir));
  let text: string;
  try {
    text = await fsp.readFile(labJsonPath(dir), "utf8");
  } catch {
    throw new LabError(`${dir} is not a lab (no lab.json); create one with \`wsus-iis lab create ${dir}\``);
  }
  // opening a lab is when writes a killed process left half done are cleaned up (lab/fs.ts)
  await removeStaleTempFilesOnce(dir);
  // Every emulated command reads lab.json; re-validating identical text is wasted work on big fleets.
  const cached = parsedCache.get(dir);
  if (cached && cached.text === text) return structuredClone(cached.state);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new LabError(`${labJsonPath(dir)}: not valid JSON: ${(e as Error).message}`);
  }
  const r = LabStateSchema.safeParse(raw);
  if (!r.success) {
    const first = r.error.issues[0];
    throw new LabError(`${labJsonPath(dir)}: ${first.path.join(".") || "(root)"}: ${first.message}`);
  }
  if (parsedCache.size >= PARSED_CACHE_MAX) parsedCache.delete(parsedCache.keys().next().value!);
  parsedCache.set(dir, { text, state: structuredClone(r.data) });
  return r.data;
}

const PARSED_CACHE_MAX = 4096;
const parsedCache = new Map<string, { text: string; state: LabState }>();

export async function writeLabState(dir: string, state: LabState): Promise<void> {
  await confineToLab(dir, labJsonPath(dir));
  await writeAtomic(labJsonPath(dir), JSON.stringify(state, null, 2) + "\n");
}

/** Environment lookup (case-insensitive), with the dynamic COMPUTERNAME. */
export function envOf(state: LabState): Map<string, string> {
  const m = new Map<string, string>();
  for (const [k, v] of Object.entries(state.environment)) m.set(k.toLowerCase(), v);
  if (!m.has("computername")) m.set("computername", state.computerName);
  return m;
}

// ---- ACL lookup ----

export function aclKey(p: string): string {
  return formatWindowsPath(parseWindowsPath(p)).toLowerCase();
}

function storedEntry(state: LabState, p: string): { key: string; aces: LabAce[] } | undefined {
  const want = aclKey(p);
  for (const [k, aces] of Object.entries(state.acls)) {
    let kk: string;
    try {
      kk = aclKey(k);
    } catch {
      continue;
    }
    if (kk === want) return { key: k, aces: aces as LabAce[] };
  }
  return undefined;
}

export function isProtected(state: LabState, p: string): boolean {
  const parsed = parseWindowsPath(p);
  if (parsed.segments.length === 0) return true;
  const want = aclKey(p);
  return state.protectedAcls.some((x) => {
    try {
      return aclKey(x) === want;
    } catch {
      return false;
    }
  });
}

export function setProtected(state: LabState, p: string, value: boolean): void {
  const want = aclKey(p);
  state.protectedAcls = state.protectedAcls.filter((x) => aclKey(x) !== want);
  if (value) state.protectedAcls.push(p);
}

/** The ACEs stored for the path itself (explicit ones; empty when it has no entry). */
export function ownAces(state: LabState, p: string): LabAce[] {
  return (storedEntry(state, p)?.aces ?? []).map((a) => ({ ...a }));
}

/** Replace the ACEs stored for a path (removes the entry when empty). */
export function setOwnAces(state: LabState, p: string, aces: LabAce[]): void {
  const existing = storedEntry(state, p);
  const key = existing?.key ?? p;
  if (aces.length === 0) delete state.acls[key];
  else state.acls[key] = canonicalOrder(aces);
}

/** The ACL icacls shows for an existing path: its own ACEs, then what it inherits. */
export async function effectiveAcl(labDir: string, state: LabState, winPath: string): Promise<LabAce[]> {
  const parsed = parseWindowsPath(winPath);
  let acl: LabAce[] = [];
  for (let i = 0; i <= parsed.segments.length; i++) {
    const p = formatWindowsPath({ drive: parsed.drive, segments: parsed.segments.slice(0, i) });
    let isDir = true;
    if (i === parsed.segments.length && i > 0) isDir = (await kindOf((await resolveHostPath(labDir, p)).hostPath)) !== "file";
    const inherited = i === 0 || isProtected(state, p) ? [] : inheritFrom(acl, isDir);
    const own = canonicalOrder(ownAces(state, p));
    acl = [...own, ...inherited];
  }
  return acl;
}

// ---- accounts ----

/*
 * Two names per account. The *internal* one is canonical English (`BUILTIN\Users`,
 * `NT AUTHORITY\Authenticated Users`, group key `Users`): that is what lab.json stores in ACEs and
 * group member lists, in every locale. The *display* one is what the lab's commands print and
 * accept, localized per the lab's `locale` (`VORDEFINIERT\Benutzer` on a de-DE lab); in en-US
 * both are the same.
 */

export interface Account {
  /** Name as icacls prints it in the lab's locale: `BUILTIN\Users`, `VORDEFINIERT\Benutzer`, `WSUS01\IUSR_WSUS01`. */
  display: string;
  /** Name as `net localgroup` lists a member in the lab's locale: local accounts without the computer name. */
  memberName: string;
  /** Canonical (English) name stored in lab.json ACEs: `BUILTIN\Users`. */
  internal: string;
  /** Canonical (English) name stored in lab.json group member lists: `Users`, `NT AUTHORITY\INTERACTIVE`. */
  internalMember: string;
  sid: string;
  alias?: string;
  kind: "wellknown" | "builtin-group" | "user" | "group";
}

const WELL_KNOWN: readonly { display: string; sid: string; alias?: string; short: string[] }[] = [
  { display: "NT AUTHORITY\\SYSTEM", sid: "S-1-5-18", alias: "SY", short: ["system", "local system"] },
  { display: "NT AUTHORITY\\LOCAL SERVICE", sid: "S-1-5-19", alias: "LS", short: ["local service"] },
  { display: "NT AUTHORITY\\NETWORK SERVICE", sid: "S-1-5-20", alias: "NS", short: ["network service"] },
  { display: "NT AUTHORITY\\Authenticated Users", sid: "S-1-5-11", alias: "AU", short: ["authenticated users"] },
  { display: "NT AUTHORITY\\INTERACTIVE", sid: "S-1-5-4", alias: "IU", short: ["interactive"] },
  { display: "NT AUTHORITY\\NETWORK", sid: "S-1-5-2", alias: "NU", short: ["network"] },
  { display: "NT AUTHORITY\\SERVICE", sid: "S-1-5-6", alias: "SU", short: ["service"] },
  { display: "NT AUTHORITY\\IUSR", sid: "S-1-5-17", short: ["iusr"] },
  { display: "Everyone", sid: "S-1-1-0", alias: "WD", short: ["everyone"] },
  { display: "CREATOR OWNER", sid: "S-1-3-0", alias: "CO", short: ["creator owner"] },
  { display: "CREATOR GROUP", sid: "S-1-3-1", alias: "CG", short: ["creator group"] },
  { display: "NT SERVICE\\TrustedInstaller", sid: "S-1-5-80-956008885-3418522649-1831038044-1853292631-2271478464", short: ["trustedinstaller"] },
  { display: "APPLICATION PACKAGE AUTHORITY\\ALL APPLICATION PACKAGES", sid: "S-1-15-2-1", alias: "AC", short: ["all application packages"] },
  { display: "APPLICATION PACKAGE AUTHORITY\\ALL RESTRICTED APPLICATION PACKAGES", sid: "S-1-15-2-2", short: ["all restricted application packages"] },
];

const BUILTIN_GROUPS: readonly { name: string; rid: number; alias?: string }[] = [
  { name: "Administrators", rid: 544, alias: "BA" },
  { name: "Users", rid: 545, alias: "BU" },
  { name: "Guests", rid: 546, alias: "BG" },
  { name: "Power Users", rid: 547, alias: "PU" },
  { name: "Backup Operators", rid: 551, alias: "BO" },
  { name: "Remote Desktop Users", rid: 555, alias: "RD" },
  { name: "IIS_IUSRS", rid: 568, alias: "IS" },
];

const FIXED_USER_RIDS: Record<string, number> = { administrator: 500, guest: 501, defaultaccount: 503, wdagutilityaccount: 504 };

/** Whether a group key of lab.json `groups` is a builtin group (stored under its English name). */
export function isBuiltinGroup(name: string): boolean {
  return BUILTIN_GROUPS.some((b) => b.name.toLowerCase() === name.toLowerCase());
}

/** Every account the lab knows, with display names in the lab's locale. */
export function accounts(state: LabState): Account[] {
  const locale = localeOf(state);
  const out: Account[] = [];
  for (const w of WELL_KNOWN) {
    const display = localAccountName(locale, w.sid, w.display);
    out.push({ display, memberName: display, internal: w.display, internalMember: w.display, sid: w.sid, alias: w.alias, kind: "wellknown" });
  }
  for (const b of BUILTIN_GROUPS) {
    const sid = `S-1-5-32-${b.rid}`;
    const display = localAccountName(locale, sid, `BUILTIN\\${b.name}`);
    out.push({ display, memberName: display.slice(display.lastIndexOf("\\") + 1), internal: `BUILTIN\\${b.name}`, internalMember: b.name, sid, alias: b.alias, kind: "builtin-group" });
  }
  let next = 1000;
  const cn = state.computerName.toUpperCase();
  // local accounts keep their names in every locale (the lab does not rename Administrator/Guest;
  // unverified: no source found for their localized names, see lab/README.md "Localization")
  for (const u of state.users) {
    const rid = FIXED_USER_RIDS[u.toLowerCase()] ?? next++;
    const alias = rid === 500 ? "LA" : rid === 501 ? "LG" : undefined;
    out.push({ display: `${cn}\\${u}`, memberName: u, internal: `${cn}\\${u}`, internalMember: u, sid: `${state.machineSid}-${rid}`, alias, kind: "user" });
  }
  for (const g of Object.keys(state.groups)) {
    if (isBuiltinGroup(g)) continue;
    out.push({ display: `${cn}\\${g}`, memberName: g, internal: `${cn}\\${g}`, internalMember: g, sid: `${state.machineSid}-${next++}`, kind: "group" });
  }
  return out;
}

/**
 * LookupAccountName over one set of names: `display` (+ the English short forms in en-US) for what
 * users type, `internal` for what lab.json stores.
 */
function lookup(state: LabState, all: Account[], name: string, view: "display" | "internal"): Account | null {
  const n = name.trim();
  const sidForm = /^\*?(S-1-[0-9-]+)$/i.exec(n);
  if (sidForm) return all.find((a) => a.sid.toUpperCase() === sidForm[1].toUpperCase()) ?? null;
  const english = view === "internal" || localeOf(state) === "en-US";
  const nameOf = (a: Account) => (view === "internal" ? a.internal : a.display).toLowerCase();
  const lower = n.toLowerCase();
  const i = lower.lastIndexOf("\\");
  const domain = i >= 0 ? lower.slice(0, i) : null;
  const bare = i >= 0 ? lower.slice(i + 1) : lower;
  const cn = state.computerName.toLowerCase();
  // the authorities of the well-known and builtin accounts in this view (BUILTIN, NT AUTHORITY … or VORDEFINIERT, NT-AUTORITÄT …)
  const localDomains = new Set(["."]);
  for (const a of all) {
    if (a.kind === "user" || a.kind === "group") continue;
    const d = nameOf(a);
    if (d.includes("\\")) localDomains.add(d.slice(0, d.lastIndexOf("\\")));
  }
  if (domain !== null && !localDomains.has(domain) && domain !== cn) return null;
  return (
    all.find((a) => nameOf(a) === lower) ??
    all.find((a) => {
      const d = nameOf(a);
      const aBare = d.slice(d.lastIndexOf("\\") + 1);
      if (aBare !== bare) {
        // English short forms (`local system`) only where the names are English
        const w = english ? WELL_KNOWN.find((x) => x.sid === a.sid) : undefined;
        if (!(domain === null && w?.short.includes(bare))) return false;
      }
      if (domain === null || domain === ".") return true;
      if (domain === cn) return a.kind === "user" || a.kind === "group";
      return d.startsWith(domain + "\\");
    }) ??
    null
  );
}

/**
 * Resolve an account name as Windows' LookupAccountName would on the lab's (localized) server:
 * `Users`, `BUILTIN\Users`, `*S-1-5-32-545`, `.\x`, `WSUS01\x`. On a de-DE or fr-FR lab the
 * localized names resolve (`VORDEFINIERT\Benutzer`, `Benutzer`) and the English names of accounts
 * that are localized there do not (`BUILTIN\Users` → null, as on a German Windows: error 1332);
 * SIDs always resolve.
 */
export function resolveAccount(state: LabState, name: string): Account | null {
  return lookup(state, accounts(state), name, "display");
}

/** Resolve a name as lab.json stores it (canonical English ACE principal or group member, or a SID), in any locale. */
export function resolveInternal(state: LabState, name: string): Account | null {
  return lookup(state, accounts(state), name, "internal");
}

/** What the lab's commands print for a stored ACE principal (`BUILTIN\Users` → `VORDEFINIERT\Benutzer` on a de-DE lab). */
export function displayPrincipal(state: LabState, internal: string): string {
  if (localeOf(state) === "en-US") return internal;
  return resolveInternal(state, internal)?.display ?? internal;
}

/** What `net localgroup` prints for a stored group member (`NT AUTHORITY\Authenticated Users` → `NT-AUTORITÄT\Authentifizierte Benutzer`). */
export function displayMember(state: LabState, internal: string): string {
  if (localeOf(state) === "en-US") return internal;
  return resolveInternal(state, internal)?.memberName ?? internal;
}

/** Look up an SDDL trustee (alias like BA or a SID). */
export function accountBySddl(state: LabState, trustee: string): Account | null {
  const all = accounts(state);
  const t = trustee.toUpperCase();
  if (t.startsWith("S-1-")) return all.find((a) => a.sid.toUpperCase() === t) ?? null;
  return all.find((a) => a.alias === t) ?? null;
}

export async function hostPathExists(p: string): Promise<boolean> {
  try {
    await fsp.access(p);
    return true;
  } catch {
    return false;
  }
}
