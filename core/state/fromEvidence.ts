import { ambiguousSiteName, parseApplicationHostConfig, toSiteStates, withSchemaDefaults } from "../evidence/applicationHost";
import { EvidenceError } from "../evidence/errors";
import { icaclsField, parseIcaclsFor } from "../evidence/icacls";
import { localGroupFromText, netLocalGroupField, parseNetLocalGroup } from "../evidence/netLocalGroup";
import { Evidence } from "../evidence/schema";
import { dirAclFromSddl } from "../evidence/sddl";
import { principal } from "../model/principals";
import { describeIssues } from "../model/spec";
import { DEFAULT_WINDOWS_ENV, normalizeWindowsPath, pathKey } from "../model/paths";
import type { DirAcl, LocalGroup, ObservedState } from "./schema";
import { healthFromEvidence } from "./health";

/** Validate an evidence bundle, naming the bad field. */
export function parseEvidence(input: unknown): Evidence {
  const r = Evidence.safeParse(input);
  if (!r.success) {
    const all = describeIssues(r.error.issues, input).map((i) => `${i.path || "(root)"}: ${i.message}`);
    throw new EvidenceError("evidence", all.join("; "));
  }
  return r.data;
}

export function environmentOf(evidence: Pick<Evidence, "environment">): Record<string, string> {
  const env: Record<string, string> = { ...DEFAULT_WINDOWS_ENV };
  for (const [k, v] of Object.entries(evidence.environment ?? {})) env[k.toLowerCase()] = v;
  return env;
}

/**
 * Evidence (raw text as the server printed it) -> the normalised state the rules judge. `judgedWith`:
 * the spec it will be judged with; when its `rules` leave out the health group, the health state (a
 * second pass over applicationHost.config, the web.config files, the runtime lists) is not built, so a
 * default (`kb`) check costs what it did before issue 13 (`npm run bench`). Without it, everything is built.
 */
export function stateFromEvidence(input: unknown, judgedWith?: { rules?: readonly string[] }): ObservedState {
  const evidence = parseEvidence(input);
  const env = environmentOf(evidence);
  const config = parseApplicationHostConfig(evidence.applicationHostConfig);
  const sites = toSiteStates(config, env).map((s) =>
    // a site whose settings cannot be told stays unknown (no defaults filled in)
    ambiguousSiteName(s.name) ? s : { ...s, rootAuth: withSchemaDefaults(s.rootAuth), vdirs: s.vdirs.map((v) => ({ ...v, auth: withSchemaDefaults(v.auth) })) },
  );
  const computerName = evidence.computerName ?? null;

  const cn = computerName ?? undefined;
  const acls = evidence.acls
    ? Object.fromEntries(
        Object.entries(evidence.acls).map(([path, entry]): [string, DirAcl] => {
          const normalized = normalizeWindowsPath(path, env);
          const acl =
            typeof entry === "string"
              ? parseIcaclsFor(entry, normalized, cn, icaclsField(path))
              : dirAclFromSddl(normalized, entry.sddl, `${icaclsField(path)}.sddl`);
          // SDDL names trustees by SID; the server's names for them (when it sent them) make the ACEs
          // matchable by name too (IUSR_<COMPUTERNAME> has no well-known SID).
          const names = "accounts" in evidence ? (evidence.accounts ?? {}) : {};
          const aces = acl.aces.map((a) => (a.sid && names[a.sid] ? { ...a, principal: names[a.sid] } : a));
          return [pathKey(normalized), { path: normalized, aces }];
        }),
      )
    : null;

  const groups = evidence.localGroups
    ? Object.fromEntries(
        Object.entries(evidence.localGroups).map(([key, entry]): [string, LocalGroup] => {
          const group: LocalGroup =
            typeof entry === "string"
              ? localGroupFromText(parseNetLocalGroup(entry, key, netLocalGroupField(key)), cn)
              : { name: entry.name, sid: entry.sid.toUpperCase(), members: entry.members.map((m) => ({ name: m.name ?? m.sid ?? "?", sid: m.sid?.toUpperCase() ?? null })) };
          // Keyed by SID when known, so `VORDEFINIERT\Benutzer` and `Users` are the same group.
          const sid = group.sid ?? principal(key, cn).sid;
          return [sid ?? key.toLowerCase(), { ...group, sid }];
        }),
      )
    : null;

  const files = evidence.files
    ? Object.fromEntries(
        Object.entries(evidence.files).map(([dir, list]) => {
          const normalized = normalizeWindowsPath(dir, env);
          return [pathKey(normalized), { path: normalized, files: list }];
        }),
      )
    : null;

  return {
    source: "evidence",
    computerName,
    sites,
    acls,
    groups,
    files,
    sharePoint: evidence.sharePoint ? { installed: evidence.sharePoint.installed, excludedPaths: evidence.sharePoint.excludedPaths ?? null } : null,
    locations: Object.fromEntries(config.authByLocation),
    ...(judgedWith && !(judgedWith.rules ?? ["kb"]).includes("health")
      ? {}
      : {
          health: healthFromEvidence({
            applicationHostConfig: evidence.applicationHostConfig,
            config,
            env,
            ...("webConfigs" in evidence && evidence.webConfigs ? { webConfigs: evidence.webConfigs } : {}),
            ...("runtime" in evidence && evidence.runtime ? { runtime: evidence.runtime } : {}),
          }),
        }),
  };
}

export type { Evidence };
