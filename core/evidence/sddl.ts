import type { Ace, DirAcl } from "../state/schema";
import { wellKnownName } from "../model/principals";
import { FILE_ALL_ACCESS, FILE_GENERIC_EXECUTE, FILE_GENERIC_READ, FILE_GENERIC_WRITE, GENERIC_ALL, GENERIC_EXECUTE, GENERIC_READ, GENERIC_WRITE, mapGenericRights } from "../acl/rights";
import { EvidenceError } from "./errors";

/**
 * Security descriptors in SDDL, as `(Get-Acl PATH).Sddl` and `icacls PATH /save` give them:
 * `O:BAG:SYD:PAI(A;OICI;FA;;;SY)(A;OICIID;0x1200a9;;;BU)…S:AI…`. SDDL names every trustee by SID
 * (or a two-letter alias of a well-known SID), so it reads the same on an English, German or French
 * server, unlike `icacls` text (`VORDEFINIERT\Benutzer`, `AUTORITE NT\Système`).
 *
 * Sources (Microsoft Learn, win32 docs): "Security Descriptor String Format" (O:, G:, D:, S: parts and
 * the P/AI/AR flags), "ACE Strings" (`ace_type;ace_flags;rights;object_guid;inherit_object_guid;account_sid;(resource_attribute)`,
 * flags OI CI NP IO ID, rights FA FR FW FX GA GR GW GX RC SD WD WO or hex) and "SID Strings" (the aliases).
 */

/** SID string aliases of "SID Strings" that name a fixed SID (domain- and machine-relative ones left out). */
export const SDDL_ALIASES: Readonly<Record<string, string>> = {
  AA: "S-1-5-32-579",
  AC: "S-1-15-2-1",
  AN: "S-1-5-7",
  AO: "S-1-5-32-548",
  AU: "S-1-5-11",
  BA: "S-1-5-32-544",
  BG: "S-1-5-32-546",
  BO: "S-1-5-32-551",
  BU: "S-1-5-32-545",
  CD: "S-1-5-32-574",
  CG: "S-1-3-1",
  CO: "S-1-3-0",
  CY: "S-1-5-32-569",
  ED: "S-1-5-9",
  ER: "S-1-5-32-573",
  ES: "S-1-5-32-576",
  HA: "S-1-5-32-578",
  HI: "S-1-16-12288",
  // "IS: Anonymous Internet users … DOMAIN_ALIAS_RID_IUSERS" = IIS_IUSRS (S-1-5-32-568), not IUSR.
  IS: "S-1-5-32-568",
  // "IU: Interactively logged-on user" = INTERACTIVE (S-1-5-4), not IUSR (IUSR has no alias).
  IU: "S-1-5-4",
  LS: "S-1-5-19",
  LU: "S-1-5-32-559",
  LW: "S-1-16-4096",
  ME: "S-1-16-8192",
  MP: "S-1-16-8448",
  MU: "S-1-5-32-558",
  NO: "S-1-5-32-556",
  NS: "S-1-5-20",
  NU: "S-1-5-2",
  OW: "S-1-3-4",
  PO: "S-1-5-32-550",
  PS: "S-1-5-10",
  PU: "S-1-5-32-547",
  RA: "S-1-5-32-575",
  RC: "S-1-5-12",
  RD: "S-1-5-32-555",
  RE: "S-1-5-32-552",
  RM: "S-1-5-32-580",
  RU: "S-1-5-32-554",
  SI: "S-1-16-16384",
  SO: "S-1-5-32-549",
  SS: "S-1-18-2",
  SU: "S-1-5-6",
  SY: "S-1-5-18",
  UD: "S-1-5-84-0-0-0-0-0",
  WD: "S-1-1-0",
  WR: "S-1-5-33",
};

/** Rights tokens of "ACE Strings". The directory-service bits share their values with the file rights. */
const RIGHT_TOKENS: Readonly<Record<string, number>> = {
  GA: GENERIC_ALL,
  GR: GENERIC_READ,
  GW: GENERIC_WRITE,
  GX: GENERIC_EXECUTE,
  RC: 0x20000,
  SD: 0x10000,
  WD: 0x40000,
  WO: 0x80000,
  FA: FILE_ALL_ACCESS,
  FR: FILE_GENERIC_READ,
  FW: FILE_GENERIC_WRITE,
  FX: FILE_GENERIC_EXECUTE,
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

const SID_TEXT = /^S-1-\d+(?:-\d+)+$/i;

/** A trustee of an ACE string: a SID, or an alias (domain-relative aliases come back as `SDDL:XX`). */
export function sddlTrusteeSid(trustee: string): string {
  const t = trustee.trim();
  if (SID_TEXT.test(t)) return t.toUpperCase();
  return SDDL_ALIASES[t.toUpperCase()] ?? `SDDL:${t.toUpperCase()}`;
}

function parseRights(text: string): number | null {
  if (/^0x[0-9a-f]{1,8}$/i.test(text)) return parseInt(text.slice(2), 16) >>> 0;
  if (/^\d{1,10}$/.test(text)) return Number(text) >>> 0;
  if (text.length === 0 || text.length % 2 !== 0) return null;
  let mask = 0;
  for (let i = 0; i < text.length; i += 2) {
    const bits = RIGHT_TOKENS[text.slice(i, i + 2).toUpperCase()];
    if (bits === undefined) return null;
    mask |= bits;
  }
  return mask >>> 0;
}

/** The top-level `(…)` groups of an ACL string, nested parentheses (resource attributes) kept inside. */
function aceStrings(acl: string): { aces: string[]; rest: string } {
  const aces: string[] = [];
  let i = 0;
  while (i < acl.length && acl[i] === "(") {
    let depth = 0;
    let j = i;
    for (; j < acl.length; j++) {
      if (acl[j] === "(") depth++;
      else if (acl[j] === ")" && --depth === 0) break;
    }
    if (depth !== 0) break;
    aces.push(acl.slice(i + 1, j));
    i = j + 1;
  }
  return { aces, rest: acl.slice(i) };
}

/**
 * Split `O:…G:…D:…S:…` into its parts, reading them in sequence: O: and G: hold one SID or alias;
 * D: and S: hold flags, then `(…)` ACE strings. Null when the text does not follow that grammar.
 */
function sdParts(sddl: string): Partial<Record<"O" | "G" | "D" | "S", string>> | null {
  const out: Partial<Record<"O" | "G" | "D" | "S", string>> = {};
  let i = 0;
  while (i < sddl.length) {
    const tag = sddl[i];
    if (!/[OGDS]/.test(tag) || sddl[i + 1] !== ":" || out[tag as "O"] !== undefined) return null;
    i += 2;
    const start = i;
    if (tag === "O" || tag === "G") {
      const m = /^(S-1-\d+(?:-\d+)+|[A-Z]{2})/i.exec(sddl.slice(i));
      if (!m) return null;
      i += m[0].length;
    } else {
      while (i < sddl.length && /[A-Z_]/i.test(sddl[i]) && !(/[OGDS]/.test(sddl[i]) && sddl[i + 1] === ":")) i++;
      while (sddl[i] === "(") {
        let depth = 0;
        for (; i < sddl.length; i++) {
          if (sddl[i] === "(") depth++;
          else if (sddl[i] === ")" && --depth === 0) break;
        }
        if (depth !== 0) return null;
        i++;
      }
    }
    out[tag as "O"] = sddl.slice(start, i);
  }
  return out;
}

export interface ParsedSddl {
  owner: string | null;
  /** D:P — the DACL does not inherit from the parent. */
  protected: boolean;
  /** null = the descriptor has no DACL part (nothing can be said about access). */
  aces: Ace[] | null;
}

/**
 * Parse an SDDL security descriptor into the ACEs the rules judge. Generic rights are mapped to file
 * rights (as Windows does for the effective copy of an ACE), trustees become SIDs.
 *
 * Fail-safe choices where SDDL allows more than a folder's DACL normally holds (no source shows these
 * on the WSUS folders): a conditional or object *allow* ACE (XA, OA, ZA) is left out, because it may not
 * apply; a conditional or object *deny* (XD, OD) is kept as a deny. `D:NO_ACCESS_CONTROL` (a null DACL,
 * everyone has full access) is reported as one Everyone Full Control ACE.
 */
export function parseSddl(sddl: string, field = "sddl"): ParsedSddl {
  if (typeof sddl !== "string" || sddl.trim() === "") throw new EvidenceError(field, "expected an SDDL string such as O:BAG:SYD:PAI(A;OICI;FA;;;SY)");
  const text = sddl.trim();
  const parts = sdParts(text);
  if (!parts) throw new EvidenceError(field, `not an SDDL security descriptor: ${JSON.stringify(text.slice(0, 80))}`);
  if (parts.D === undefined) {
    if (parts.O === undefined && parts.G === undefined && parts.S === undefined) throw new EvidenceError(field, `not an SDDL security descriptor: ${JSON.stringify(text.slice(0, 80))}`);
    return { owner: parts.O ? sddlTrusteeSid(parts.O) : null, protected: false, aces: null };
  }
  const dacl = parts.D;
  const flagsEnd = dacl.indexOf("(");
  const flags = (flagsEnd < 0 ? dacl : dacl.slice(0, flagsEnd)).toUpperCase();
  if (flags.includes("NO_ACCESS_CONTROL")) {
    return { owner: parts.O ? sddlTrusteeSid(parts.O) : null, protected: false, aces: [everyoneFull()] };
  }
  if (!/^(P|AR|AI)*$/.test(flags)) throw new EvidenceError(field, `unknown DACL flags ${JSON.stringify(flags)} in ${JSON.stringify(text.slice(0, 80))}`);
  const { aces: strings, rest } = aceStrings(flagsEnd < 0 ? "" : dacl.slice(flagsEnd));
  if (rest.trim() !== "") throw new EvidenceError(field, `cannot parse the DACL after ${strings.length} ACE(s): ${JSON.stringify(rest.slice(0, 60))}`);
  const aces: Ace[] = [];
  strings.forEach((s, n) => {
    const f = s.split(";");
    if (f.length < 6) throw new EvidenceError(field, `ACE ${n + 1} (${JSON.stringify(s)}): expected type;flags;rights;object;inherit-object;sid`);
    const type = f[0].toUpperCase();
    const isDeny = type === "D" || type === "OD" || type === "XD";
    const isAllow = type === "A" || type === "OA" || type === "XA" || type === "ZA";
    if (!isDeny && !isAllow) throw new EvidenceError(field, `ACE ${n + 1} (${JSON.stringify(s)}): ACE type ${JSON.stringify(f[0])} is not an access ACE`);
    if (isAllow && type !== "A") return; // may not apply: never counted as granting access
    const aceFlags = f[1].toUpperCase();
    const has = (x: string) => {
      for (let i = 0; i < aceFlags.length; i += 2) if (aceFlags.slice(i, i + 2) === x) return true;
      return false;
    };
    for (let i = 0; i < aceFlags.length; i += 2) {
      if (!["OI", "CI", "NP", "IO", "ID", "SA", "FA", "TP", "CR"].includes(aceFlags.slice(i, i + 2))) {
        throw new EvidenceError(field, `ACE ${n + 1} (${JSON.stringify(s)}): unknown ACE flag ${JSON.stringify(aceFlags.slice(i, i + 2))}`);
      }
    }
    const raw = parseRights(f[2]);
    if (raw === null) throw new EvidenceError(field, `ACE ${n + 1} (${JSON.stringify(s)}): unknown access rights ${JSON.stringify(f[2])}`);
    const sid = sddlTrusteeSid(f[5]);
    aces.push({
      principal: wellKnownName(sid) ?? sid,
      sid,
      type: isDeny ? "deny" : "allow",
      mask: mapGenericRights(raw),
      rights: f[2],
      inherited: has("ID"),
      objectInherit: has("OI"),
      containerInherit: has("CI"),
      inheritOnly: has("IO"),
      noPropagate: has("NP"),
    });
  });
  return { owner: parts.O ? sddlTrusteeSid(parts.O) : null, protected: flags.includes("P"), aces };
}

function everyoneFull(): Ace {
  return {
    principal: "Everyone",
    sid: "S-1-1-0",
    type: "allow",
    mask: FILE_ALL_ACCESS,
    rights: "NO_ACCESS_CONTROL",
    inherited: false,
    objectInherit: true,
    containerInherit: true,
    inheritOnly: false,
    noPropagate: false,
  };
}

/** The DACL of a folder from its SDDL, as the rules' DirAcl; EvidenceError when there is none. */
export function dirAclFromSddl(path: string, sddl: string, field: string): DirAcl {
  const parsed = parseSddl(sddl, field);
  if (parsed.aces === null) throw new EvidenceError(field, "the security descriptor has no DACL (D:) part");
  return { path, aces: parsed.aces };
}
