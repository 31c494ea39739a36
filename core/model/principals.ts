/**
 * Principals are compared by SID where Windows has a well-known one: names are localised
 * ("VORDEFINIERT\Benutzer", "AUTORITE NT\Système") and printed with or without their domain.
 */
interface WellKnown {
  sid: string;
  /** Canonical English display name. */
  name: string;
  /** Lower-case names without domain, English and common localisations. */
  aliases: string[];
}

export const WELL_KNOWN: readonly WellKnown[] = [
  { sid: "S-1-5-32-544", name: "BUILTIN\\Administrators", aliases: ["administrators", "administratoren", "administrateurs", "administradores", "administratorzy", "administratori"] },
  { sid: "S-1-5-32-545", name: "BUILTIN\\Users", aliases: ["users", "benutzer", "utilisateurs", "usuarios", "utenti", "użytkownicy", "usuários"] },
  { sid: "S-1-5-18", name: "NT AUTHORITY\\SYSTEM", aliases: ["system", "système", "sistema", "local system"] },
  { sid: "S-1-5-17", name: "NT AUTHORITY\\IUSR", aliases: ["iusr"] },
  { sid: "S-1-5-20", name: "NT AUTHORITY\\NETWORK SERVICE", aliases: ["network service", "netzwerkdienst", "service réseau", "servicio de red"] },
  { sid: "S-1-5-11", name: "NT AUTHORITY\\Authenticated Users", aliases: ["authenticated users", "authentifizierte benutzer", "utilisateurs authentifiés", "usuarios autentificados"] },
  { sid: "S-1-1-0", name: "Everyone", aliases: ["everyone", "jeder", "tout le monde", "todos"] },
  { sid: "S-1-5-32-568", name: "BUILTIN\\IIS_IUSRS", aliases: ["iis_iusrs"] },
  { sid: "S-1-3-0", name: "CREATOR OWNER", aliases: ["creator owner", "ersteller-besitzer", "propriétaire créateur"] },
  { sid: "S-1-5-4", name: "NT AUTHORITY\\INTERACTIVE", aliases: ["interactive", "interaktiv", "interactif"] },
  // A service SID is derived from the service name, so it is the same on every machine (icacls and Get-Acl
  // of C:\inetpub on one system: ../shared/fixtures/acl-outputs/icacls-inetpub-default.txt, get-acl-sddl-inetpub-default.txt).
  { sid: "S-1-5-80-956008885-3418522649-1831038044-1853292631-2271478464", name: "NT SERVICE\\TrustedInstaller", aliases: ["trustedinstaller"] },
];

const BY_ALIAS = new Map<string, WellKnown>();
const BY_SID = new Map<string, WellKnown>();
for (const w of WELL_KNOWN) {
  BY_SID.set(w.sid, w);
  for (const a of w.aliases) BY_ALIAS.set(a, w);
}

export const SID = {
  administrators: "S-1-5-32-544",
  users: "S-1-5-32-545",
  system: "S-1-5-18",
  iusr: "S-1-5-17",
  networkService: "S-1-5-20",
  everyone: "S-1-1-0",
  authenticatedUsers: "S-1-5-11",
} as const;

export interface Principal {
  /** As written (trimmed). */
  name: string;
  /** Well-known SID, or a SID the text itself was (icacls prints `*S-1-…` for unresolved accounts). */
  sid: string | null;
  /** Comparison key: the SID when known, else the lower-case name without a local/builtin domain. */
  key: string;
}

/** Domains that mean "this machine / built in", so `WSUS01\IUSR_WSUS01` == `IUSR_WSUS01`. */
function stripLocalDomain(name: string, computerName?: string): string {
  const i = name.lastIndexOf("\\");
  if (i < 0) return name;
  const domain = name.slice(0, i).toLowerCase();
  const local = ["builtin", "nt authority", "nt-autorität", "autorite nt", "autorité nt", "nt service", "vordefiniert", "integrado", "."];
  if (local.includes(domain) || (computerName && domain === computerName.toLowerCase())) return name.slice(i + 1);
  return name;
}

export function principal(name: string, computerName?: string): Principal {
  const trimmed = name.trim();
  const rawSid = /^\*?(S-1-[0-9-]+)$/i.exec(trimmed);
  if (rawSid) {
    const sid = rawSid[1].toUpperCase();
    return { name: BY_SID.get(sid)?.name ?? trimmed, sid, key: sid };
  }
  const local = stripLocalDomain(trimmed, computerName);
  const isDomainQualified = local.includes("\\");
  const known = isDomainQualified ? undefined : BY_ALIAS.get(local.toLowerCase());
  if (known) return { name: trimmed, sid: known.sid, key: known.sid };
  return { name: trimmed, sid: null, key: local.toLowerCase() };
}

export function samePrincipal(a: string, b: string, computerName?: string): boolean {
  return principal(a, computerName).key === principal(b, computerName).key;
}

export function wellKnownName(sid: string): string | undefined {
  return BY_SID.get(sid)?.name;
}
