import { markImmutable } from "../rules/query";
import { z } from "zod";
import { rightsToMask } from "../acl/rights";
import { CATALOG, resolveLayout, type Layout } from "../model/layout";
import { IpAddress, Port, SiteName, VdirName, WindowsPath } from "../model/names";
import { pathKey } from "../model/paths";
import { principal } from "../model/principals";
import { parseSpec, type Profile, type Spec, type SpecInput } from "../model/spec";
import type { Ace, Binding, ObservedState, SiteState } from "../state/schema";

/**
 * The declared properties of the building-block components (IisSite, VirtualDirectory, DirectoryAcl)
 * and the partial ObservedState each one amounts to. The components validate their arguments with these
 * schemas; the policy pack parses the registered inputs with the same schemas and runs the SAME rules
 * over the partial state (a site with one vdir, a folder with one ACL), so there is one rule engine.
 */

/** `*` (All Unassigned), or an IPv4/IPv6 literal. */
const BindingIp = z.union([z.literal("*"), IpAddress]);

export const BindingDecl = z.strictObject({
  protocol: z.enum(["http", "https"]).default("http"),
  ip: BindingIp.default("*"),
  port: Port,
  host: z.string().max(255).default(""),
});
export type BindingDecl = z.output<typeof BindingDecl>;
export type BindingDeclInput = z.input<typeof BindingDecl>;

export const IisSiteProps = z.strictObject({
  name: SiteName,
  /** default: the KB's port-80 "Default Web Site"; admin: the WSUS site (Configuration 2); other: anything else. */
  role: z.enum(["default", "admin", "other"]).optional(),
  bindings: z.array(BindingDecl).default([]),
  /** Anonymous authentication at the site root (unset = not declared). */
  anonymous: z.boolean().optional(),
});
export type IisSiteProps = z.output<typeof IisSiteProps>;
export type IisSitePropsInput = z.input<typeof IisSiteProps>;

export const VdirAuthDecl = z.strictObject({
  anonymous: z.boolean().optional(),
  windows: z.boolean().optional(),
});

export const VirtualDirectoryProps = z.strictObject({
  site: SiteName,
  name: VdirName,
  kind: z.enum(["app", "vdir"]).default("vdir"),
  physicalPath: WindowsPath,
  /** Unset flags are "not declared" (IIS inherits them); the rules then have nothing to judge. */
  auth: VdirAuthDecl.prefault({}),
  requireSsl: z.boolean().optional(),
});
export type VirtualDirectoryProps = z.output<typeof VirtualDirectoryProps>;
export type VirtualDirectoryPropsInput = z.input<typeof VirtualDirectoryProps>;

export const AclEntryDecl = z.strictObject({
  principal: z.string().min(1).max(256),
  rights: z.enum(["F", "RX"]),
});

export const DirectoryAclProps = z.strictObject({
  path: WindowsPath,
  /** Allow entries, applied to the folder and everything below it ((OI)(CI)). */
  entries: z.array(AclEntryDecl),
  /** selfupdate: the WSUS SelfUpdate folder (KB cause 1). Unset: a folder named Selfupdate is one. */
  purpose: z.enum(["selfupdate", "other"]).optional(),
});
export type DirectoryAclProps = z.output<typeof DirectoryAclProps>;
export type DirectoryAclPropsInput = z.input<typeof DirectoryAclProps>;

/** How a building block is judged without a whole spec around it (policy options). */
export interface BlockContext {
  /** The rule profile; unset = inferred from the vdir name (ApiRemoting30 / Inventory are modern-only). */
  profile?: Profile;
  /** The one Windows-auth vdir; unset = the profile's default (WSUSAdmin / ApiRemoting30). */
  windowsAuthVdir?: string;
  /** modern profile: judge Require SSL on the WSUS SSL split. */
  ssl?: boolean;
}

export interface BlockDeclaration {
  spec: Spec;
  layout: Layout;
  state: ObservedState;
}

const lower = (s: string) => s.toLowerCase();
const catalogNames = (p: Profile) => CATALOG[p].map((c) => lower(c.name));

export function isSelfUpdateName(name: string): boolean {
  return lower(name) === "selfupdate";
}

/**
 * The profile a vdir is judged in: the configured one, else the one whose catalog has the name, exact
 * spelling first (`Selfupdate` is modern's, `SelfUpdate` the KB's), kb920659 when both or neither have it.
 */
export function profileForVdir(name: string, ctx: BlockContext): Profile {
  if (ctx.profile) return ctx.profile;
  if (ctx.windowsAuthVdir && lower(ctx.windowsAuthVdir) === "apiremoting30") return "modern";
  const exact = (p: Profile) => CATALOG[p].some((c) => c.name === name);
  if (exact("modern") && !exact("kb920659")) return "modern";
  if (exact("kb920659")) return "kb920659";
  return !catalogNames("kb920659").includes(lower(name)) && catalogNames("modern").includes(lower(name)) ? "modern" : "kb920659";
}

const declaredSite = (name: string, id: number, bindings: Binding[], anonymous: boolean | null, vdirs: SiteState["vdirs"] = []): SiteState => ({
  name,
  id,
  bindings,
  rootAuth: { anonymous, anonymousUser: null, windows: null, requireSsl: null },
  vdirs,
});

const stateOf = (sites: SiteState[], acls: ObservedState["acls"] = null): ObservedState => ({
  source: "declaration",
  computerName: null,
  sites,
  acls,
  groups: null,
  files: null,
  sharePoint: null,
});

function declaration(input: SpecInput, state: ObservedState): BlockDeclaration {
  const spec = parseSpec(input);
  return { spec, layout: resolveLayout(spec), state: markImmutable(state) };
}

/**
 * A VirtualDirectory as a one-site, one-vdir state. Its site plays the Default Web Site role in
 * Configuration 1, where every WSUS vdir of the profile lives, so the rules find it by name.
 */
export function virtualDirectoryDeclaration(props: VirtualDirectoryProps, ctx: BlockContext = {}): BlockDeclaration {
  const profile = profileForVdir(props.name, ctx);
  const site = declaredSite(props.site, 1, [{ protocol: "http", ip: "*", port: 80, host: "" }], null, [
    {
      path: `/${props.name}`,
      kind: props.kind,
      physicalPath: props.physicalPath,
      auth: { anonymous: props.auth.anonymous ?? null, anonymousUser: null, windows: props.auth.windows ?? null, requireSsl: props.requireSsl ?? null },
    },
  ]);
  return declaration(
    {
      configuration: 1,
      profile,
      defaultSite: { name: props.site },
      ...(ctx.windowsAuthVdir ? { windowsAuthVdir: ctx.windowsAuthVdir } : {}),
      ...(ctx.ssl !== undefined ? { ssl: ctx.ssl } : {}),
      sharePoint: { expected: "no" },
    },
    stateOf([site]),
  );
}

/** Whether an IisSite plays the KB's Default Web Site (port 80) role. */
export function isDefaultSite(props: IisSiteProps): boolean {
  return props.role === "default" || (props.role === undefined && lower(props.name) === "default web site");
}

/** An IisSite in the Default Web Site role as a one-site state (bindings and root authentication). */
export function iisSiteDeclaration(props: IisSiteProps): BlockDeclaration {
  const bindings: Binding[] = props.bindings.map((b) => ({
    protocol: b.protocol,
    ip: b.ip === "*" || b.ip === "0.0.0.0" ? "*" : b.ip.replace(/^\[(.*)\]$/, "$1").toLowerCase(),
    port: b.port,
    host: b.host.toLowerCase(),
  }));
  const httpPort = bindings.find((b) => b.protocol === "http")?.port ?? 80;
  return declaration(
    { configuration: 1, defaultSite: { name: props.name, httpPort }, sharePoint: { expected: "no" } },
    stateOf([declaredSite(props.name, 1, bindings, props.anonymous ?? null)]),
  );
}

/** Whether a DirectoryAcl is the SelfUpdate folder's. */
export function isSelfUpdateAcl(props: DirectoryAclProps): boolean {
  if (props.purpose) return props.purpose === "selfupdate";
  const last = props.path.replace(/\\+$/, "").split("\\").pop() ?? "";
  return isSelfUpdateName(last);
}

/** A DirectoryAcl as the SelfUpdate folder's ACL (explicit allow entries with (OI)(CI)); group membership is not declared. */
export function directoryAclDeclaration(props: DirectoryAclProps, ctx: BlockContext = {}): BlockDeclaration {
  const aces: Ace[] = props.entries.map((e) => ({
    principal: e.principal,
    sid: principal(e.principal).sid,
    type: "allow",
    mask: rightsToMask(e.rights),
    rights: e.rights,
    inherited: false,
    objectInherit: true,
    containerInherit: true,
    inheritOnly: false,
    noPropagate: false,
  }));
  return declaration(
    { profile: ctx.profile ?? "kb920659", selfUpdatePath: props.path, sharePoint: { expected: "no" } },
    stateOf([], { [pathKey(props.path)]: { path: props.path, aces } }),
  );
}
