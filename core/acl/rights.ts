/**
 * NTFS access masks and the rights notation `icacls` prints.
 *
 * icacls prints an ACE's rights as one parenthesised, comma-separated group (`(RX)`, `(GR,GE)`,
 * `(M,WO,DC)`, `(RX,W)`, `(DE,Rc,WDAC,WO,S,AS,MA,RD,WD,AD,REA,WEA,X,DC,RA,WA)`): simple rights
 * (F, M, RX, R, W, D, N) possibly followed by specific rights. Tokens are accepted case-insensitively
 * (icacls prints `Rc`, its help says `RC`).
 *
 * Masks here are always "mapped": generic bits (GR/GW/GE/GA, as in `(OI)(CI)(IO)(GR,GE)`) are replaced
 * by the file rights they stand for (FILE_GENERIC_READ …), so masks can be compared bitwise.
 */

// Specific file/directory rights (winnt.h). The directory meaning shares the bit with the file one.
export const FILE_READ_DATA = 0x1;
export const FILE_LIST_DIRECTORY = 0x1;
export const FILE_WRITE_DATA = 0x2;
export const FILE_ADD_FILE = 0x2;
export const FILE_APPEND_DATA = 0x4;
export const FILE_ADD_SUBDIRECTORY = 0x4;
export const FILE_READ_EA = 0x8;
export const FILE_WRITE_EA = 0x10;
export const FILE_EXECUTE = 0x20;
export const FILE_TRAVERSE = 0x20;
export const FILE_DELETE_CHILD = 0x40;
export const FILE_READ_ATTRIBUTES = 0x80;
export const FILE_WRITE_ATTRIBUTES = 0x100;

// Standard rights.
export const DELETE = 0x10000;
export const READ_CONTROL = 0x20000;
export const WRITE_DAC = 0x40000;
export const WRITE_OWNER = 0x80000;
export const SYNCHRONIZE = 0x100000;
export const STANDARD_RIGHTS_REQUIRED = DELETE | READ_CONTROL | WRITE_DAC | WRITE_OWNER; // 0xF0000

export const ACCESS_SYSTEM_SECURITY = 0x1000000;
export const MAXIMUM_ALLOWED = 0x2000000;

/** 0x120089 — "Read". */
export const FILE_GENERIC_READ = READ_CONTROL | FILE_READ_DATA | FILE_READ_ATTRIBUTES | FILE_READ_EA | SYNCHRONIZE;
/** 0x120116. */
export const FILE_GENERIC_WRITE =
  READ_CONTROL | FILE_WRITE_DATA | FILE_WRITE_ATTRIBUTES | FILE_WRITE_EA | FILE_APPEND_DATA | SYNCHRONIZE;
/** 0x1200A0. */
export const FILE_GENERIC_EXECUTE = READ_CONTROL | FILE_READ_ATTRIBUTES | FILE_EXECUTE | SYNCHRONIZE;
/** 0x1F01FF — "Full control". */
export const FILE_ALL_ACCESS = STANDARD_RIGHTS_REQUIRED | SYNCHRONIZE | 0x1ff;

// Generic rights as they appear in an ACE (GENERIC_READ is bit 31; never kept in our masks).
export const GENERIC_READ = 0x80000000;
export const GENERIC_WRITE = 0x40000000;
export const GENERIC_EXECUTE = 0x20000000;
export const GENERIC_ALL = 0x10000000;

/** icacls simple rights. */
export const SIMPLE_RIGHTS: Readonly<Record<string, number>> = {
  F: FILE_ALL_ACCESS, // 0x1F01FF
  M: FILE_GENERIC_READ | FILE_GENERIC_WRITE | FILE_GENERIC_EXECUTE | DELETE, // 0x1301BF
  RX: FILE_GENERIC_READ | FILE_GENERIC_EXECUTE, // 0x1200A9
  R: FILE_GENERIC_READ, // 0x120089
  // Explorer's "Write": the write bits + SYNCHRONIZE, without READ_CONTROL (so (RX,W) = 0x1201BF).
  W: FILE_WRITE_DATA | FILE_APPEND_DATA | FILE_WRITE_EA | FILE_WRITE_ATTRIBUTES | SYNCHRONIZE, // 0x100116
  // icacls prints D where DELETE comes with SYNCHRONIZE (`(W,D,Rc,DC)`) and DE for a bare DELETE.
  D: DELETE | SYNCHRONIZE, // 0x110000
  // "No access": an ACE granting nothing. It is not a deny (icacls marks those with (DENY)).
  N: 0,
};

/** icacls specific rights (upper-case keys; generic ones already mapped to file rights). */
export const SPECIFIC_RIGHTS: Readonly<Record<string, number>> = {
  DE: DELETE,
  RC: READ_CONTROL,
  WDAC: WRITE_DAC,
  WO: WRITE_OWNER,
  S: SYNCHRONIZE,
  AS: ACCESS_SYSTEM_SECURITY,
  MA: MAXIMUM_ALLOWED,
  GR: FILE_GENERIC_READ,
  GW: FILE_GENERIC_WRITE,
  GE: FILE_GENERIC_EXECUTE,
  GA: FILE_ALL_ACCESS,
  RD: FILE_READ_DATA,
  WD: FILE_WRITE_DATA,
  AD: FILE_APPEND_DATA,
  REA: FILE_READ_EA,
  WEA: FILE_WRITE_EA,
  X: FILE_EXECUTE,
  DC: FILE_DELETE_CHILD,
  RA: FILE_READ_ATTRIBUTES,
  WA: FILE_WRITE_ATTRIBUTES,
};

/** Mandatory-label "rights" (`Mandatory Label\High Mandatory Level:(NW)`): not access rights. */
export const LABEL_POLICIES: ReadonlySet<string> = new Set(["NW", "NR", "NX"]);

/** The mask of one rights token, or undefined when it is not an icacls right. */
export function rightTokenMask(token: string): number | undefined {
  const t = token.trim().toUpperCase();
  return SIMPLE_RIGHTS[t] ?? SPECIFIC_RIGHTS[t];
}

/**
 * Mask of an icacls rights text: `F`, `RX`, `GR,GE`, `(RD,X,RA)`, `M,WO,DC` … (case-insensitive,
 * surrounding parentheses optional). Throws an Error naming the token it does not know.
 */
export function rightsToMask(text: string): number {
  let t = text.trim();
  if (t.startsWith("(") && t.endsWith(")")) t = t.slice(1, -1);
  const tokens = t.split(",").map((s) => s.trim());
  if (tokens.length === 0 || tokens.some((s) => s === "")) throw new Error(`empty rights token in "${text}"`);
  let mask = 0;
  for (const token of tokens) {
    const m = rightTokenMask(token);
    if (m === undefined) throw new Error(`unknown access right "${token}" in "${text}"`);
    mask |= m;
  }
  return mask >>> 0;
}

/**
 * What the WSUS folders need: "Full control" and "Read & execute". On a folder, Explorer's
 * "Read & execute", "List folder contents" and "Read" (the KB 920659 trio) together are exactly RX;
 * `R` is the baseline the WSUS ACL docs give for the web-service folders.
 */
export const REQUIRED = {
  F: FILE_ALL_ACCESS,
  RX: FILE_GENERIC_READ | FILE_GENERIC_EXECUTE,
  R: FILE_GENERIC_READ,
} as const;

export type RequiredRight = keyof typeof REQUIRED;

/**
 * Whether `mask` grants at least `required`.
 *
 * SYNCHRONIZE is ignored: it only lets a caller wait on the handle, Explorer/icacls simple rights and
 * generic mapping add it to every allow ACE, but specific-rights lists and hand-written SDDL often lack
 * it (icacls then prints `(RD,REA,X,RA,Rc)` instead of `(RX)`). Judging such an ACE as "not Read &
 * execute" would be a false failure. Every other bit of `required` must be present.
 */
export function covers(mask: number, required: number): boolean {
  const need = (required & ~SYNCHRONIZE) >>> 0;
  return ((mask & need) >>> 0) === need;
}

/**
 * A raw access mask with its generic bits (GENERIC_READ … GENERIC_ALL, as SDDL or a hex mask may hold
 * them) replaced by the file rights they stand for, the way Windows maps them for files.
 */
export function mapGenericRights(mask: number): number {
  let m = (mask & ~(GENERIC_READ | GENERIC_WRITE | GENERIC_EXECUTE | GENERIC_ALL)) >>> 0;
  if (mask & GENERIC_READ) m |= FILE_GENERIC_READ;
  if (mask & GENERIC_WRITE) m |= FILE_GENERIC_WRITE;
  if (mask & GENERIC_EXECUTE) m |= FILE_GENERIC_EXECUTE;
  if (mask & GENERIC_ALL) m |= FILE_ALL_ACCESS;
  return m >>> 0;
}
