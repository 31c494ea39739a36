import { parseApplicationHostConfig, toSiteStates } from "../evidence/applicationHost";
import { EvidenceError } from "../evidence/errors";
import { icaclsField, parseIcaclsFor } from "../evidence/icacls";
import { parseNetLocalGroup } from "../evidence/netLocalGroup";
import { Evidence } from "../evidence/schema";
import { describeIssues } from "../model/spec";
import { DEFAULT_WINDOWS_ENV, normalizeWindowsPath, pathKey } from "../model/paths";
import type { AuthState, ObservedState } from "./schema";

/**
 * IIS schema defaults for what no level of applicationHost.config sets: anonymous and Windows
 * authentication are off (IIS's own file turns anonymous on at server level), sslFlags is None.
 */
function withSchemaDefaults(a: AuthState): AuthState {
  return { anonymous: a.anonymous ?? false, windows: a.windows ?? false, requireSsl: a.requireSsl ?? false };
}

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

/** Evidence (raw text as the server printed it) -> the normalised state the rules judge. */
export function stateFromEvidence(input: unknown): ObservedState {
  const evidence = parseEvidence(input);
  const env = environmentOf(evidence);
  const config = parseApplicationHostConfig(evidence.applicationHostConfig);
  const sites = toSiteStates(config, env).map((s) => ({
    ...s,
    rootAuth: withSchemaDefaults(s.rootAuth),
    vdirs: s.vdirs.map((v) => ({ ...v, auth: withSchemaDefaults(v.auth) })),
  }));
  const computerName = evidence.computerName ?? null;

  const acls = evidence.acls
    ? Object.fromEntries(
        Object.entries(evidence.acls).map(([path, text]) => {
          const normalized = normalizeWindowsPath(path, env);
          const acl = parseIcaclsFor(text, normalized, computerName ?? undefined, icaclsField(path));
          return [pathKey(normalized), { path: normalized, aces: acl.aces }];
        }),
      )
    : null;

  const groups = evidence.localGroups
    ? Object.fromEntries(
        Object.entries(evidence.localGroups).map(([name, text]) => {
          const g = parseNetLocalGroup(text, name);
          return [name.toLowerCase(), { name, members: g.members }];
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
    sharePoint: evidence.sharePoint ?? null,
  };
}

export type { Evidence };
