/**
 * NTFS ACL model of the lab: rights masks as icacls prints and parses them, SDDL for /save and
 * /restore, and inheritance (explicit ACEs are stored per path; a path inherits the (OI)/(CI) ACEs
 * of its parent's effective ACL unless its ACL is protected).
 */

export interface LabAce {
  /** Display name as icacls prints it (e.g. `BUILTIN\Users`, `WSUS01\IUSR_WSUS01`). */
  principal: string;
  type: "allow" | "deny";
  /** icacls notation: F, M, RX, R, W, or specific rights `GR,GE`, `AD` … */
  rights: string;
  inherited: boolean;
  oi: boolean;
  ci: boolean;
  io: boolean;
  np: boolean;
}

// ---- rights masks ----

export const MASK = {
  F: 0x1f01ff,
  M: 0x1301bf,
  RX: 0x1200a9,
  R: 0x120089,
  W: 0x100116,
  D: 0x10000,
} as const;

const SPECIFIC: readonly [string, number][] = [
  ["DE", 0x10000],
  ["RC", 0x20000],
  ["WDAC", 0x40000],
  ["WO", 0x80000],
  ["S", 0x100000],
  ["AS", 0x1000000],
  ["MA", 0x2000000],
  ["GR", 0x80000000],
  ["GW", 0x40000000],
  ["GE", 0x20000000],
  ["GA", 0x10000000],
  ["RD", 0x1],
  ["WD", 0x2],
  ["AD", 0x4],
  ["REA", 0x8],
  ["WEA", 0x10],
  ["X", 0x20],
  ["DC", 0x40],
  ["RA", 0x80],
  ["WA", 0x100],
];

const GENERIC = { GR: 0x80000000, GW: 0x40000000, GE: 0x20000000, GA: 0x10000000 } as const;
const GENERIC_BITS = 0xf0000000;

/** Parse icacls rights (`F`, `RX`, `GR,GE`, `RX,W` …) into an access mask; null when a token is unknown. */
export function parseRights(text: string): number | null {
  let mask = 0;
  for (const raw of text.split(",")) {
    const t = raw.trim().toUpperCase();
    if (t === "N") continue;
    const simple = (MASK as Record<string, number>)[t];
    if (simple !== undefined) {
      mask |= simple;
      continue;
    }
    const spec = SPECIFIC.find(([n]) => n === t);
    if (!spec) return null;
    mask |= spec[1];
  }
  return mask >>> 0;
}

/** The rights text icacls prints for a mask. */
export function formatRights(mask: number): string {
  mask >>>= 0;
  if (mask & GENERIC.GA || (mask & MASK.F) === MASK.F) return "F";
  if (mask === 0) return "N";
  const parts: string[] = [];
  let rem = mask;
  const take = (name: string, bits: number) => {
    parts.push(name);
    rem = (rem & ~bits) >>> 0;
  };
  if ((rem & MASK.M) === MASK.M) take("M", MASK.M);
  else {
    if ((rem & MASK.RX) === MASK.RX) take("RX", MASK.RX);
    else if ((rem & MASK.R) === MASK.R) take("R", MASK.R);
    // W's own bits; SYNCHRONIZE may already have gone with RX/R
    if ((rem & 0x116) === 0x116 && mask & 0x100000) take("W", MASK.W);
  }
  if (parts.length > 0 && rem & MASK.D) take("D", MASK.D);
  for (const [name, bits] of SPECIFIC) if ((rem & bits) >>> 0 === bits) take(name, bits);
  return parts.join(",");
}

/** Generic rights mapped to file rights, as Windows does for the effective copy of an inherited ACE. */
export function mapGeneric(mask: number): number {
  let m = (mask & ~GENERIC_BITS) >>> 0;
  if (mask & GENERIC.GR) m |= 0x120089;
  if (mask & GENERIC.GW) m |= 0x120116;
  if (mask & GENERIC.GE) m |= 0x1200a0;
  if (mask & GENERIC.GA) m |= MASK.F;
  return m >>> 0;
}

export function normalizeRights(text: string): string {
  const m = parseRights(text);
  return m === null ? text : formatRights(m);
}

// ---- display ----

export function aceFlagsText(a: Pick<LabAce, "inherited" | "oi" | "ci" | "np" | "io" | "type">): string {
  return (
    (a.inherited ? "(I)" : "") +
    (a.oi ? "(OI)" : "") +
    (a.ci ? "(CI)" : "") +
    (a.np ? "(NP)" : "") +
    (a.io ? "(IO)" : "") +
    (a.type === "deny" ? "(DENY)" : "")
  );
}

export function aceText(a: LabAce): string {
  return `${a.principal}:${aceFlagsText(a)}(${normalizeRights(a.rights)})`;
}

/** The `icacls <path>` block: path, one ACE per line, continuation lines aligned under the first ACE. */
export function icaclsBlock(shownPath: string, aces: LabAce[]): string[] {
  const pad = " ".repeat(shownPath.length + 1);
  if (aces.length === 0) return [`${shownPath} `];
  return aces.map((a, i) => (i === 0 ? `${shownPath} ${aceText(a)}` : `${pad}${aceText(a)}`));
}

// ---- inheritance ----

/**
 * The ACEs a child inherits from its parent's effective ACL (Windows' rules, as icacls shows them):
 * for a folder, a (CI) ACE applies and keeps propagating (one ACE, or an effective copy plus an
 * (IO) copy when its rights are generic or it is inherit-only); an (OI)-only ACE becomes inherit-only;
 * (NP) stops after one level. For a file, (OI) ACEs apply without flags.
 */
export function inheritFrom(parent: LabAce[], childIsDir: boolean): LabAce[] {
  const out: LabAce[] = [];
  for (const a of parent) {
    if (!a.oi && !a.ci) continue;
    const mask = parseRights(a.rights) ?? 0;
    const base = { principal: a.principal, type: a.type, inherited: true, np: false } as const;
    if (!childIsDir) {
      if (!a.oi) continue;
      if (a.principal === "CREATOR OWNER") continue;
      out.push({ ...base, rights: formatRights(mapGeneric(mask)), oi: false, ci: false, io: false });
      continue;
    }
    if (a.ci) {
      if (a.np) {
        if (a.principal !== "CREATOR OWNER") out.push({ ...base, rights: formatRights(mapGeneric(mask)), oi: false, ci: false, io: false });
        continue;
      }
      // Generic rights (GA, GR,GE …) and CREATOR OWNER need two ACEs on the child: one that applies
      // (generic rights mapped) and an inherit-only one that keeps propagating. Otherwise one ACE
      // does both, and the inherit-only flag is cleared because it now applies to the child.
      const split = (mask & GENERIC_BITS) !== 0 || a.principal === "CREATOR OWNER";
      if (!split) {
        out.push({ ...base, rights: a.rights, oi: a.oi, ci: true, io: false });
        continue;
      }
      if (a.principal !== "CREATOR OWNER") out.push({ ...base, rights: formatRights(mapGeneric(mask)), oi: false, ci: false, io: false });
      out.push({ ...base, rights: a.rights, oi: a.oi, ci: true, io: true });
      continue;
    }
    // (OI) only: propagates to files below this folder, does not apply to the folder itself
    if (a.np) continue;
    out.push({ ...base, rights: a.rights, oi: true, ci: false, io: true });
  }
  return out;
}

/** Canonical order: explicit deny, explicit allow, then inherited (kept in parent order). */
export function canonicalOrder(aces: LabAce[]): LabAce[] {
  const explicit = aces.filter((a) => !a.inherited);
  return [...explicit.filter((a) => a.type === "deny"), ...explicit.filter((a) => a.type === "allow"), ...aces.filter((a) => a.inherited)];
}

// ---- SDDL (icacls /save, /restore) ----

export interface SidInfo {
  sid: string;
  /** SDDL alias (BA, BU, SY …) when Windows has one. */
  alias?: string;
}

const SDDL_EXACT: readonly [string, number][] = [
  ["FA", 0x1f01ff],
  ["FR", 0x120089],
  ["FW", 0x120116],
  ["FX", 0x1200a0],
];
const SDDL_GENERIC_ORDER: readonly [string, number][] = [
  ["GA", GENERIC.GA],
  ["GX", GENERIC.GE],
  ["GW", GENERIC.GW],
  ["GR", GENERIC.GR],
];
const SDDL_TOKENS: Record<string, number> = {
  FA: 0x1f01ff,
  FR: 0x120089,
  FW: 0x120116,
  FX: 0x1200a0,
  GA: GENERIC.GA,
  GR: GENERIC.GR,
  GW: GENERIC.GW,
  GX: GENERIC.GE,
  SD: 0x10000,
  RC: 0x20000,
  WD: 0x40000,
  WO: 0x80000,
  CC: 0x1,
  DC: 0x2,
  LC: 0x4,
  SW: 0x8,
  RP: 0x10,
  WP: 0x20,
  DT: 0x40,
  LO: 0x80,
  CR: 0x100,
};

export function sddlRights(mask: number): string {
  mask >>>= 0;
  const exact = SDDL_EXACT.find(([, m]) => m === mask);
  if (exact) return exact[0];
  if ((mask & ~GENERIC_BITS) === 0 && mask !== 0) return SDDL_GENERIC_ORDER.filter(([, b]) => mask & b).map(([n]) => n).join("");
  return "0x" + mask.toString(16);
}

export function parseSddlRights(text: string): number | null {
  if (/^0x[0-9a-f]+$/i.test(text)) return parseInt(text.slice(2), 16) >>> 0;
  if (text.length % 2 !== 0) return null;
  let mask = 0;
  for (let i = 0; i < text.length; i += 2) {
    const bits = SDDL_TOKENS[text.slice(i, i + 2).toUpperCase()];
    if (bits === undefined) return null;
    mask |= bits;
  }
  return mask >>> 0;
}

export function aceToSddl(a: LabAce, sid: SidInfo): string {
  const flags = (a.oi ? "OI" : "") + (a.ci ? "CI" : "") + (a.np ? "NP" : "") + (a.io ? "IO" : "") + (a.inherited ? "ID" : "");
  return `(${a.type === "allow" ? "A" : "D"};${flags};${sddlRights(parseRights(a.rights) ?? 0)};;;${sid.alias ?? sid.sid})`;
}

export interface ParsedSddlAce {
  type: "allow" | "deny";
  oi: boolean;
  ci: boolean;
  np: boolean;
  io: boolean;
  inherited: boolean;
  mask: number;
  /** SID or SDDL alias as written. */
  trustee: string;
}

/** Parse the `D:PAI(...)(...)S:...` line of an icacls /save file. */
export function parseSddlDacl(line: string): { protected: boolean; aces: ParsedSddlAce[] } | null {
  const m = /^D:([A-Z]*)((?:\([^)]*\))*)(?:S:.*)?$/.exec(line.trim());
  if (!m) return null;
  const aces: ParsedSddlAce[] = [];
  for (const part of m[2].match(/\(([^)]*)\)/g) ?? []) {
    const f = part.slice(1, -1).split(";");
    if (f.length !== 6 || (f[0] !== "A" && f[0] !== "D")) return null;
    const mask = parseSddlRights(f[2]);
    if (mask === null) return null;
    const flags = f[1].toUpperCase();
    const has = (x: string) => {
      for (let i = 0; i < flags.length; i += 2) if (flags.slice(i, i + 2) === x) return true;
      return false;
    };
    aces.push({ type: f[0] === "A" ? "allow" : "deny", oi: has("OI"), ci: has("CI"), np: has("NP"), io: has("IO"), inherited: has("ID"), mask, trustee: f[5] });
  }
  return { protected: m[1].includes("P"), aces };
}
