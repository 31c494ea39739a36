import { decodeOem, encodeOem } from "../core/text/oem";
import type { LabState } from "./state";

/**
 * Localized Windows: the account names and console messages a German or French Windows Server
 * prints, and the OEM code page its console programs write when their output is redirected.
 *
 * Only names and messages with a public source are translated; each entry cites it. Anything
 * without one stays English (or untranslated) and says `unverified` (see lab/README.md,
 * "Localization"). The lab stores accounts under their canonical English names (lab.json is
 * locale-independent); this module maps them to what a localized server prints and accepts.
 */

export const LOCALES = ["en-US", "de-DE", "fr-FR"] as const;
export type Locale = (typeof LOCALES)[number];
export const DEFAULT_LOCALE: Locale = "en-US";

export function isLocale(x: unknown): x is Locale {
  return typeof x === "string" && (LOCALES as readonly string[]).includes(x);
}

type Translations = Partial<Record<Exclude<Locale, "en-US">, string>>;

// ---- account names ----

/**
 * Authority (domain) names as LookupAccountSid returns them. A domain with no translation for a
 * locale stays as in English.
 */
const DOMAINS: Readonly<Record<string, Translations>> = {
  BUILTIN: {
    // `VORDEFINIERT\Administratoren` (https://github.com/awarre/Optimize-WsusServer/pull/11); `VORDEFINIERT\Benutzer` in a Get-Acl table (public script, GitHub code search)
    "de-DE": "VORDEFINIERT",
    // fr keeps BUILTIN: `BUILTIN\Utilisateurs:(I)(OI)(CI)(RX)` (malekal.com icacls page)
    "fr-FR": "BUILTIN",
  },
  "NT AUTHORITY": {
    // `NT-AUTORITÄT\SYSTEM` in a Get-Acl table (public script, GitHub code search); MicrosoftDocs/sql-docs install-sql-server-from-the-command-prompt.md account table
    "de-DE": "NT-AUTORITÄT",
    // `AUTORITE NT\Système:(I)(OI)(CI)(F)` (malekal.com icacls page)
    "fr-FR": "AUTORITE NT",
  },
  "NT SERVICE": {
    // `'NT SERVICE\TrustedInstaller'` in a German admin script's exclusion list (public script, GitHub code search; usage, not printed output)
    "de-DE": "NT SERVICE",
    // unverified: no source found (see lab/README.md "Localization")
  },
  // unverified: no source found for de-DE or fr-FR (see lab/README.md "Localization")
  "APPLICATION PACKAGE AUTHORITY": {},
};

/**
 * The account-name part (after the domain) per SID. A missing locale keeps the English name with
 * the localized domain (e.g. `AUTORITE NT\NETWORK`).
 */
const NAMES: Readonly<Record<string, Translations>> = {
  // SYSTEM
  "S-1-5-18": {
    // `NT-AUTORITÄT\SYSTEM` (public script, GitHub code search; MicrosoftDocs/sql-docs account table)
    "de-DE": "SYSTEM",
    // `AUTORITE NT\Système:(I)(OI)(CI)(F)` (malekal.com icacls page); mixed case, not the sql-docs table's `SYSTEM`
    "fr-FR": "Système",
  },
  // LOCAL SERVICE
  "S-1-5-19": {
    // `NT-AUTORITÄT\LOKALER DIENST` (MicrosoftDocs/sql-docs install-sql-server-from-the-command-prompt.md account table)
    "de-DE": "LOKALER DIENST",
    // `AUTORITE NT\SERVICE LOCAL` (same sql-docs table; its French NETWORK SERVICE entry matches real output, its SYSTEM/Administrators entries do not)
    "fr-FR": "SERVICE LOCAL",
  },
  // NETWORK SERVICE
  "S-1-5-20": {
    // `NT-AUTORITÄT\NETZWERKDIENST` (MicrosoftDocs/sql-docs account table; one weak hit prints `Netzwerkdienst`; lookups are case-insensitive)
    "de-DE": "NETZWERKDIENST",
    // `AUTORITE NT\SERVICE RÉSEAU` (MicrosoftDocs/sql-docs account table; Get-Process output, public script, GitHub code search)
    "fr-FR": "SERVICE RÉSEAU",
  },
  // Authenticated Users
  "S-1-5-11": {
    // `NT-AUTORITÄT\Authentifizierte Benutzer` in a Get-Acl table (public script, GitHub code search)
    "de-DE": "Authentifizierte Benutzer",
    // `AUTORITE NT\Utilisateurs authentifiés:(I)(M)` (malekal.com icacls page)
    "fr-FR": "Utilisateurs authentifiés",
  },
  // INTERACTIVE
  "S-1-5-4": {
    // `"NT-AUTORITÄT\INTERAKTIV"` compared with Get-Acl's IdentityReference in an admin script (public script, GitHub code search; usage, no printed output found)
    "de-DE": "INTERAKTIV",
    // `Permission    : AUTORITE NT\INTERACTIF AccessAllowed, …` (Get-PSSessionConfiguration output, public script, GitHub code search)
    "fr-FR": "INTERACTIF",
  },
  // NETWORK: unverified: no source found (see lab/README.md "Localization")
  "S-1-5-2": {},
  // SERVICE: unverified: no source found (see lab/README.md "Localization")
  "S-1-5-6": {},
  // IUSR: "the IIS account name will always be IUSR" whatever the language of Windows (MicrosoftDocs/iis-docs,
  // iis/get-started/planning-for-security/understanding-built-in-user-and-group-accounts-in-iis.md); only its domain is localized
  "S-1-5-17": {},
  // Everyone (no domain)
  "S-1-1-0": {
    // `Jeder:(special access:)` in German cacls output (public script, GitHub code search); German MachineKeys article lists `Jeder`
    "de-DE": "Jeder",
    // `C:\temp Tout le monde:(F)` (malekal.com icacls page)
    "fr-FR": "Tout le monde",
  },
  // CREATOR OWNER (no domain)
  "S-1-3-0": {
    // `'ERSTELLER-BESITZER'` in a German admin script's exclusion list (public script, GitHub code search; usage, no real printed output found)
    "de-DE": "ERSTELLER-BESITZER",
    // `CREATEUR PROPRIETAIRE:(I)(OI)(CI)(IO)(F)` in icacls output (public script, GitHub code search)
    "fr-FR": "CREATEUR PROPRIETAIRE",
  },
  // CREATOR GROUP: unverified: no source found (see lab/README.md "Localization")
  "S-1-3-1": {},
  // NT SERVICE\TrustedInstaller: not translated in de (German admin script, usage); fr unverified: no source found (see lab/README.md "Localization")
  "S-1-5-80-956008885-3418522649-1831038044-1853292631-2271478464": {},
  // ALL APPLICATION PACKAGES / ALL RESTRICTED APPLICATION PACKAGES: unverified: no source found (see lab/README.md "Localization")
  "S-1-15-2-1": {},
  "S-1-15-2-2": {},
  // BUILTIN\Administrators
  "S-1-5-32-544": {
    // `VORDEFINIERT\Administratoren` (https://github.com/awarre/Optimize-WsusServer/pull/11); wmic name `Administratoren` (https://github.com/0x6d69636b/windows_hardening/issues/36)
    "de-DE": "Administratoren",
    // `BUILTIN\Administrateurs:(I)(OI)(CI)(F)` (malekal.com icacls page)
    "fr-FR": "Administrateurs",
  },
  // BUILTIN\Users
  "S-1-5-32-545": {
    // `VORDEFINIERT\Benutzer` in a Get-Acl table (public script, GitHub code search); wmic name `Benutzer` (https://github.com/0x6d69636b/windows_hardening/issues/36)
    "de-DE": "Benutzer",
    // `BUILTIN\Utilisateurs:(I)(OI)(CI)(RX)` (malekal.com icacls page)
    "fr-FR": "Utilisateurs",
  },
  // BUILTIN\Guests
  "S-1-5-32-546": {
    // wmic name `Gäste` (https://github.com/0x6d69636b/windows_hardening/issues/36); the `VORDEFINIERT\` form is by the BUILTIN rule above
    "de-DE": "Gäste",
    // unverified: no source found (see lab/README.md "Localization")
  },
  // Power Users, Backup Operators, Remote Desktop Users: unverified: no source found (see lab/README.md "Localization")
  "S-1-5-32-547": {},
  "S-1-5-32-551": {},
  "S-1-5-32-555": {},
  // IIS_IUSRS: "the group name will be IIS_IUSRS" in every language (same iis-docs page as IUSR); wmic on German
  // Windows prints `IIS_IUSRS  S-1-5-32-568` (https://github.com/0x6d69636b/windows_hardening/issues/36)
  "S-1-5-32-568": {},
};

/** An authority name as a localized Windows prints it (`NT AUTHORITY` → `NT-AUTORITÄT`). */
export function localDomain(locale: Locale, domain: string): string {
  if (locale === "en-US") return domain;
  const d = Object.entries(DOMAINS).find(([k]) => k.toLowerCase() === domain.toLowerCase());
  return d?.[1][locale] ?? domain;
}

/**
 * The name a localized Windows prints for a well-known or builtin account, given its SID and its
 * English name as icacls prints it (`BUILTIN\Users` → `VORDEFINIERT\Benutzer`, `Everyone` → `Jeder`).
 * Accounts of the machine's own domain (local users and groups) are returned unchanged.
 */
export function localAccountName(locale: Locale, sid: string, english: string): string {
  if (locale === "en-US") return english;
  const i = english.lastIndexOf("\\");
  const domain = i >= 0 ? english.slice(0, i) : null;
  const name = i >= 0 ? english.slice(i + 1) : english;
  const entry = NAMES[sid.toUpperCase()];
  const localName = entry?.[locale] ?? name;
  if (domain === null) return localName;
  if (!(domain.toUpperCase() in DOMAINS)) return english;
  return `${localDomain(locale, domain)}\\${localName}`;
}

/** The `net localgroup` name of a builtin group (`Users` → `Benutzer`); other groups keep theirs. */
export function localGroupName(locale: Locale, englishGroup: string): string {
  const rid = BUILTIN_RIDS[englishGroup.toLowerCase()];
  if (rid === undefined) return englishGroup;
  const full = localAccountName(locale, `S-1-5-32-${rid}`, `BUILTIN\\${englishGroup}`);
  return full.slice(full.lastIndexOf("\\") + 1);
}

const BUILTIN_RIDS: Readonly<Record<string, number>> = {
  administrators: 544,
  users: 545,
  guests: 546,
  "power users": 547,
  "backup operators": 551,
  "remote desktop users": 555,
  iis_iusrs: 568,
};

// ---- messages ----

type Args = (string | number)[];
type Message = { "en-US": (...a: Args) => string } & Partial<Record<Exclude<Locale, "en-US">, (...a: Args) => string>>;

const MESSAGES = {
  /** ERROR_FILE_NOT_FOUND (2). */
  fileNotFound: {
    "en-US": () => "The system cannot find the file specified.",
    // `open //./pipe/docker_engine: Das System kann die angegebene Datei nicht finden.` (docker info on German Windows, public script, GitHub code search)
    "de-DE": () => "Das System kann die angegebene Datei nicht finden.",
    // `open //./pipe/docker_engine: Le fichier spécifié est introuvable.` (docker client source comment, public script, GitHub code search); `[WinError 2] Le fichier spécifié est introuvable`
    "fr-FR": () => "Le fichier spécifié est introuvable.",
  },
  /** ERROR_PATH_NOT_FOUND (3). */
  pathNotFound: {
    "en-US": () => "The system cannot find the path specified.",
    // unverified: no source found for de-DE / fr-FR (see lab/README.md "Localization")
  },
  /** ERROR_NONE_MAPPED (1332). */
  noMapping: {
    "en-US": () => "No mapping between account names and security IDs was done.",
    // `Administrators: Zuordnungen von Kontennamen und Sicherheitskennungen wurden nicht durchgeführt.` (https://github.com/MicrosoftDocs/windowsserverdocs/issues/6185)
    "de-DE": () => "Zuordnungen von Kontennamen und Sicherheitskennungen wurden nicht durchgeführt.",
    // `0x80070534 Le mappage entre les noms de compte et les ID de sécurité n’a pas été effectué.` (https://github.com/LoicVeirman/HardenAD/issues/113); typographic ’ as FormatMessage returns it
    "fr-FR": () => "Le mappage entre les noms de compte et les ID de sécurité n’a pas été effectué.",
  },
  /** ERROR_NO_SUCH_ALIAS (1376). */
  noSuchGroup: {
    "en-US": () => "The specified local group does not exist.",
    // Microsoft System Error Codes (1300-1699), German edition, 1376 (0x560)
    "de-DE": () => "Die angegebene lokale Gruppe ist nicht vorhanden.",
    // Microsoft System Error Codes (1300-1699), French edition, 1376 (0x560)
    "fr-FR": () => "Le groupe local spécifié n’existe pas.",
  },
  /** ERROR_MEMBER_NOT_IN_ALIAS (1377). */
  notMember: {
    "en-US": () => "The specified account name is not a member of the group.",
    // unverified: no source found for de-DE / fr-FR (see lab/README.md "Localization")
  },
  /** ERROR_MEMBER_IN_ALIAS (1378). */
  alreadyMember: {
    "en-US": () => "The specified account name is already a member of the group.",
    // unverified: no source found for de-DE / fr-FR (see lab/README.md "Localization")
  },
  /** net.exe's first error line. */
  systemError: {
    "en-US": (n) => `System error ${n} has occurred.`,
    // unverified: no source found for de-DE (only simulators print `Systemfehler 5 aufgetreten.`; see lab/README.md "Localization")
    // `L'erreur système 5 s'est produite.` (real net view / net stop output, public script, GitHub code search); seen for N=5 only
    "fr-FR": (n) => `L'erreur système ${n} s'est produite.`,
  },
  /** net.exe's success line. */
  commandCompleted: {
    "en-US": () => "The command completed successfully.",
    // `Der Befehl wurde erfolgreich ausgeführt.` (German Samba documentation, `net view` output; weak: old, client OS unclear)
    "de-DE": () => "Der Befehl wurde erfolgreich ausgeführt.",
    // `La commande s'est terminée correctement.` (w32tm output on French Windows Server, public script, GitHub code search)
    "fr-FR": () => "La commande s'est terminée correctement.",
  },
  /** icacls' last line. */
  icaclsSummary: {
    "en-US": (ok, failed) => `Successfully processed ${ok} files; Failed processing ${failed} files`,
    // `0 Dateien erfolgreich verarbeitet, bei 1 Dateien ist ein Verarbeitungsfehler aufgetreten.` (https://github.com/MicrosoftDocs/windowsserverdocs/issues/6185)
    "de-DE": (ok, failed) => `${ok} Dateien erfolgreich verarbeitet, bei ${failed} Dateien ist ein Verarbeitungsfehler aufgetreten.`,
    // `1 fichiers correctement traités ; échec du traitement de 0 fichiers` (malekal.com icacls page)
    "fr-FR": (ok, failed) => `${ok} fichiers correctement traités ; échec du traitement de ${failed} fichiers`,
  },
  /** icacls' line per changed file. */
  icaclsProcessed: {
    "en-US": (p) => `processed file: ${p}`,
    // unverified: no source found for de-DE / fr-FR (only simulators and fixtures, which disagree; see lab/README.md "Localization")
  },
} satisfies Record<string, Message>;

export type MessageKey = keyof typeof MESSAGES;

/** A console message in the lab's locale (English where no localized text has a source). */
export function msg(locale: Locale, key: MessageKey, ...args: Args): string {
  const m: Message = MESSAGES[key];
  return (m[locale as Exclude<Locale, "en-US">] ?? m["en-US"])(...args);
}

/** The locale of a lab (lab.json `locale`; en-US when absent). */
export function localeOf(state: Pick<LabState, "locale"> | { locale?: unknown }): Locale {
  return isLocale(state.locale) ? state.locale : DEFAULT_LOCALE;
}

// ---- OEM code pages ----

/**
 * The OEM code page of a locale (what CultureInfo.TextInfo.OEMCodePage returns, and what a console
 * program writes redirected output in): 437 for en-US, 850 for de-DE and fr-FR.
 */
export function oemCodePage(locale: Locale): 437 | 850 {
  return locale === "en-US" ? 437 : 850;
}

/**
 * The bytes a console program of the lab writes for `text`: redirected (a pipe or a file) in the
 * OEM code page of the lab's locale, as Windows console programs do (icacls, net); to a console
 * (a terminal) as UTF-8, the terminal's encoding. en-US labs write code page 437, which is ASCII
 * for everything but the rare non-ASCII character.
 */
export function consoleBytes(state: Pick<LabState, "locale"> | { locale?: unknown }, text: string, redirected: boolean): Buffer {
  return redirected ? encodeOem(text, oemCodePage(localeOf(state))) : Buffer.from(text, "utf8");
}

export { decodeOem, encodeOem };
