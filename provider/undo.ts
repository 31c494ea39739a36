import { z } from "zod";
import { rightsToMask } from "../core/acl/rights";
import type { CollectParams } from "../core/agent/protocol";
import { assertSafe, commandLine, quoteArg, switchArg } from "../core/commands/quote";
import { normalizeBinding } from "../core/evidence/applicationHost";
import { isMember } from "../core/evidence/netLocalGroup";
import { pathKey } from "../core/model/paths";
import { aceIs } from "../core/acl/effective";
import { principal } from "../core/model/principals";
import { groupBySid } from "../core/rules/query";
import type { PlanStep } from "../core/plan/planner";
import { APPCMD, netGroupName } from "../core/plan/render";
import type { ObservedState, SiteState } from "../core/state/schema";

/**
 * What a WsusIisServer resource added to a server, and how to take exactly that away again
 * (`removeOnDelete: true`). Only additions are recorded: sites, bindings, applications, virtual
 * directories, ACEs and group members that the resource's applied plans created. Settings it changed
 * on things that already existed (authentication, SSL, physical paths) are not undone: putting them
 * back would re-break the server, and the lab/IIS keep no "previous value" to restore.
 *
 * The record travels in the resource's state (`owned`); at delete time it is checked against a fresh
 * read, so what someone removed or changed since is left alone.
 */
export const OwnedItem = z.discriminatedUnion("kind", [
  z.strictObject({ kind: z.literal("site"), site: z.string().min(1) }),
  z.strictObject({ kind: z.literal("binding"), site: z.string().min(1), protocol: z.literal("http"), ip: z.string().min(1), port: z.number().int() }),
  z.strictObject({ kind: z.literal("app"), site: z.string().min(1), name: z.string().min(1) }),
  z.strictObject({ kind: z.literal("vdir"), site: z.string().min(1), name: z.string().min(1) }),
  /** An explicit allow ACE `(OI)(CI)(rights)` granted to a principal that had no explicit ACE on the path before. */
  /** `sid`: the grant went by SID (and so does its removal); absent in records from before SIDs. */
  z.strictObject({ kind: z.literal("ace"), path: z.string().min(1), principal: z.string().min(1), sid: z.string().nullable().optional(), rights: z.enum(["F", "RX"]) }),
  /** `group` is the group's name on the server (net localgroup takes names); `groupSid` finds it again. */
  z.strictObject({ kind: z.literal("group-member"), group: z.string().min(1), groupSid: z.string().nullable().optional(), member: z.string().min(1) }),
]);
export type OwnedItem = z.infer<typeof OwnedItem>;
export const OwnedList = z.array(OwnedItem);

/** Undo order: contents before containers, IIS before ACLs, group members last (see undoSteps). */
const UNDO_ORDER: Record<OwnedItem["kind"], number> = { vdir: 0, app: 1, binding: 2, site: 3, ace: 4, "group-member": 5 };

export function ownedKey(o: OwnedItem): string {
  switch (o.kind) {
    case "site":
      return `site|${o.site.toLowerCase()}`;
    case "binding":
      return `binding|${o.site.toLowerCase()}|${o.protocol}|${normalizeBinding(o.protocol, bindingInformation(o.ip, o.port)).ip}|${o.port}`;
    case "app":
    case "vdir":
      return `${o.kind}|${o.site.toLowerCase()}|${o.name.toLowerCase()}`;
    case "ace":
      return `ace|${pathKey(o.path)}|${o.principal.toLowerCase()}`;
    case "group-member":
      return `group-member|${o.group.toLowerCase()}|${o.member.toLowerCase()}`;
  }
}

/** Union of two records, first occurrence wins, order kept. */
export function mergeOwned(a: readonly OwnedItem[], b: readonly OwnedItem[]): OwnedItem[] {
  const seen = new Set<string>();
  const out: OwnedItem[] = [];
  for (const o of [...a, ...b]) {
    const k = ownedKey(o);
    if (!seen.has(k)) {
      seen.add(k);
      out.push(o);
    }
  }
  return out;
}

function explicitAces(state: ObservedState, path: string, principalName: string, sid?: string | null) {
  const acl = state.acls?.[pathKey(path)];
  if (!acl) return null;
  const cn = state.computerName ?? undefined;
  const want = sid ?? principal(principalName, cn).key;
  return acl.aces.filter((a) => !a.inherited && aceIs(a, want, cn));
}

/**
 * The additions among the steps of an applied plan. `before` is the state the plan was made from:
 * an ACE is recorded only when the principal had no explicit ACE on that path before (then
 * `icacls /remove:g` takes away exactly what the grant added; otherwise the grant merged into an ACE
 * that was there before and is not ours to remove).
 */
export function ownedFromSteps(steps: readonly PlanStep[], before: ObservedState): OwnedItem[] {
  const out: OwnedItem[] = [];
  for (const { action: a } of steps) {
    switch (a.kind) {
      case "add-site":
        out.push({ kind: "site", site: a.site });
        break;
      case "add-binding":
        out.push({ kind: "binding", site: a.site, protocol: "http", ip: a.ip, port: a.port });
        break;
      case "add-app":
        out.push({ kind: "app", site: a.site, name: a.name });
        break;
      case "add-vdir":
        out.push({ kind: "vdir", site: a.site, name: a.name });
        break;
      case "grant-acl": {
        const had = explicitAces(before, a.path, a.principal, a.sid);
        if (had !== null && had.length === 0) out.push({ kind: "ace", path: a.path, principal: a.principal, sid: a.sid, rights: a.rights });
        break;
      }
      case "add-group-member":
        out.push({ kind: "group-member", group: a.group, groupSid: a.groupSid, member: a.member });
        break;
      default:
        break;
    }
  }
  return mergeOwned([], out);
}

/** What to read before undoing: the layout's usual collect plus the owned ACL paths and groups. */
export function undoCollectParams(base: CollectParams, owned: readonly OwnedItem[]): CollectParams {
  const aclPaths = [...base.aclPaths];
  const groups = [...base.groups];
  for (const o of owned) {
    if (o.kind === "ace" && !aclPaths.some((p) => pathKey(p) === pathKey(o.path))) aclPaths.push(o.path);
    const sid = o.kind === "group-member" ? (o.groupSid ?? principal(o.group).sid) : null;
    if (sid && !groups.includes(sid)) groups.push(sid);
  }
  return { aclPaths, fileDirs: [...base.fileDirs], groups };
}

const bindingIp = (ip: string) => (ip.includes(":") ? `[${ip}]` : ip);
const bindingInformation = (ip: string, port: number) => `${bindingIp(ip)}:${port}:`;

/** Values inside appcmd's '…' collection syntax must not contain a quote or space either. */
function quoteFree(v: string): string {
  if (/['"\s]/.test(v)) throw new Error(`binding value ${JSON.stringify(v)} contains a quote or space`);
  return quoteArg(v);
}

/** The one Windows command line that removes an owned item. */
export function renderUndo(o: OwnedItem): string {
  switch (o.kind) {
    case "vdir":
      return commandLine(APPCMD, "delete", "vdir", quoteArg(`${o.site}/${o.name}`));
    case "app":
      return commandLine(APPCMD, "delete", "app", quoteArg(`${o.site}/${o.name}`));
    case "site":
      return commandLine(APPCMD, "delete", "site", quoteArg(o.site));
    case "binding":
      return commandLine(
        APPCMD,
        "set",
        "site",
        switchArg("site.name", o.site),
        `/-bindings.[protocol='${o.protocol}',bindingInformation='${quoteFree(bindingInformation(assertSafe(o.ip), o.port))}']`,
      );
    case "ace":
      // /remove:g removes the principal's grant ACEs on this path only: undoSteps checks that the only one is ours.
      return commandLine("icacls", quoteArg(o.path), "/remove:g", quoteArg(o.sid ? `*${o.sid}` : o.principal));
    case "group-member":
      return commandLine("net", "localgroup", quoteArg(netGroupName(o.group)), quoteArg(o.member), "/delete");
  }
}

export interface UndoStep {
  index: number;
  item: OwnedItem;
  command: string;
}

export interface UndoPlan {
  steps: UndoStep[];
  /** Owned items left alone, with the reason (already gone, changed since, removed with their site). */
  skipped: { item: OwnedItem; reason: string }[];
}

const findSite = (state: ObservedState, name: string): SiteState | undefined => state.sites.find((s) => s.name.toLowerCase() === name.toLowerCase());

/**
 * The commands that remove the owned items still present in `current`, in a safe order: vdirs, apps,
 * bindings, sites, ACEs, then group members last (the agent's rollback restores IIS config and
 * ACLs but cannot re-add a removed member, so nothing may fail after a member removal).
 */
export function undoSteps(owned: readonly OwnedItem[], current: ObservedState): UndoPlan {
  const skipped: UndoPlan["skipped"] = [];
  const keep: OwnedItem[] = [];
  const cn = current.computerName ?? undefined;
  const siteGoes = (name: string) => owned.some((o) => o.kind === "site" && o.site.toLowerCase() === name.toLowerCase() && findSite(current, o.site));
  for (const o of owned) {
    switch (o.kind) {
      case "site":
        if (findSite(current, o.site)) keep.push(o);
        else skipped.push({ item: o, reason: "site no longer exists" });
        break;
      case "vdir":
      case "app": {
        const site = findSite(current, o.site);
        const v = site?.vdirs.find((x) => x.path.toLowerCase() === `/${o.name.toLowerCase()}`);
        if (site && siteGoes(o.site)) skipped.push({ item: o, reason: "removed with its site" });
        else if (!v) skipped.push({ item: o, reason: "no longer exists" });
        else if (v.kind !== o.kind) skipped.push({ item: o, reason: `is now ${v.kind === "app" ? "an application" : "a virtual directory"}, not what was added` });
        else keep.push(o);
        break;
      }
      case "binding": {
        const site = findSite(current, o.site);
        const want = normalizeBinding(o.protocol, bindingInformation(o.ip, o.port));
        const has = site?.bindings.some((b) => b.protocol === want.protocol && b.ip === want.ip && b.port === want.port && b.host === "");
        if (site && siteGoes(o.site)) skipped.push({ item: o, reason: "removed with its site" });
        else if (!has) skipped.push({ item: o, reason: "no longer exists" });
        else keep.push(o);
        break;
      }
      case "ace": {
        const aces = explicitAces(current, o.path, o.principal, o.sid);
        const mask = rightsToMask(o.rights);
        if (aces === null) skipped.push({ item: o, reason: "the folder's ACL could not be read" });
        else if (aces.length === 0) skipped.push({ item: o, reason: "no longer exists" });
        else if (
          aces.length !== 1 ||
          aces[0].type !== "allow" ||
          !aces[0].objectInherit ||
          !aces[0].containerInherit ||
          aces[0].inheritOnly ||
          aces[0].noPropagate ||
          aces[0].mask !== mask
        ) {
          skipped.push({ item: o, reason: "the principal's ACEs on this folder changed since they were granted; left as is" });
        } else keep.push(o);
        break;
      }
      case "group-member": {
        const sid = o.groupSid ?? principal(o.group).sid;
        const g = sid ? groupBySid(current, sid) : current.groups?.[o.group.toLowerCase()];
        if (!g) skipped.push({ item: o, reason: "the group could not be read" });
        else if (!isMember(g, o.member, cn)) skipped.push({ item: o, reason: "no longer a member" });
        else keep.push(o);
        break;
      }
    }
  }
  const ordered = keep.map((item, i) => ({ item, i })).sort((x, y) => UNDO_ORDER[x.item.kind] - UNDO_ORDER[y.item.kind] || y.i - x.i);
  return { steps: ordered.map(({ item }, n) => ({ index: n + 1, item, command: renderUndo(item) })), skipped };
}
