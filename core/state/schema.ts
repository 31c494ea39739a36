import { z } from "zod";
import { HealthState } from "./health";

/**
 * The normalised state the rules judge. It is built either from a server's evidence (drift) or from a
 * declaration (policy pack), so both go through the same rules. `null` always means "not known":
 * a rule that needs it reports `unknown` instead of guessing.
 */

export const Binding = z.object({
  protocol: z.string(), // lower case: http, https, net.tcp …
  /** "*" for All Unassigned (also written "" or 0.0.0.0); IPv6 without brackets, lower case. */
  ip: z.string(),
  port: z.number().int(),
  host: z.string(), // lower case, "" for none
});

export const AuthState = z.object({
  anonymous: z.boolean().nullable(),
  /**
   * The account anonymous requests run as (anonymousAuthentication/@userName, effective through the
   * locations): "" = the application pool identity; null = set nowhere (IIS then uses IUSR).
   */
  anonymousUser: z.string().nullable(),
  windows: z.boolean().nullable(),
  /** access/@sslFlags contains Ssl. */
  requireSsl: z.boolean().nullable(),
});

export const VdirState = z.object({
  /** URL path from the site root with its leading slash, as configured (e.g. "/Selfupdate"). */
  path: z.string(),
  kind: z.enum(["app", "vdir"]),
  /** Expanded physical path, or null when unknown. */
  physicalPath: z.string().nullable(),
  auth: AuthState,
});

export const SiteState = z.object({
  name: z.string(),
  id: z.number().int().nullable(),
  bindings: z.array(Binding),
  rootAuth: AuthState,
  /** Every application and virtual directory below the root, root excluded. */
  vdirs: z.array(VdirState),
});

export const Ace = z.object({
  principal: z.string(),
  /** Known SID (well-known names are mapped), or null. */
  sid: z.string().nullable(),
  type: z.enum(["allow", "deny"]),
  /** Access mask (FILE_* bits, generic rights mapped). */
  mask: z.number().int(),
  /** Rights as printed, e.g. "RX" or "GR,GE". */
  rights: z.string(),
  inherited: z.boolean(),
  objectInherit: z.boolean(),
  containerInherit: z.boolean(),
  inheritOnly: z.boolean(),
  noPropagate: z.boolean(),
});

export const DirAcl = z.object({ path: z.string(), aces: z.array(Ace) });

/** A member of a local group: its name as the server printed it, and its SID when known. */
export const GroupMember = z.object({ name: z.string(), sid: z.string().nullable() });

/** A local group: its name on the server (localised), its SID when known, its members. */
export const LocalGroup = z.object({ name: z.string(), sid: z.string().nullable(), members: z.array(GroupMember) });

/**
 * What one `<location>` (or the server level) of applicationHost.config SETS for the auth and SSL
 * settings the rules judge; an absent key means "inherit" (IIS configuration inheritance).
 */
export const LocationSettings = z.object({
  anonymous: z.boolean().optional(),
  /** anonymousAuthentication/@userName: the account anonymous requests run as; "" = the application pool identity. */
  anonymousUser: z.string().optional(),
  windows: z.boolean().optional(),
  /** access/@sslFlags as written, e.g. "Ssl, SslNegotiateCert" or "None". */
  sslFlags: z.string().optional(),
});

export const ObservedState = z.object({
  source: z.enum(["evidence", "declaration"]),
  computerName: z.string().nullable(),
  sites: z.array(SiteState),
  /** Keyed by pathKey(); null = no ACL evidence at all. */
  acls: z.record(z.string(), DirAcl).nullable(),
  /** Keyed by the group's SID when known (S-1-5-32-545), else its lower-case name; null = no group evidence. */
  groups: z.record(z.string(), LocalGroup).nullable(),
  /** Keyed by pathKey() of the directory; values are relative paths below it. */
  files: z.record(z.string(), z.object({ path: z.string(), files: z.array(z.string()) })).nullable(),
  /** excludedPaths null = SharePoint's exclusions could not be read. */
  sharePoint: z.object({ installed: z.boolean(), excludedPaths: z.array(z.string()).nullable() }).nullable(),
  /**
   * The settings each `<location>` sets, keyed by locationKey() ("" = server level, "default web site",
   * "default web site/wsusadmin" …): where a setting is pinned and where it is inherited. Known for a
   * server's evidence; absent for a declaration. With it, a change at a parent shows in every child that
   * inherits it (core/plan/simulate.ts), which is what the plan's safety checks need.
   */
  locations: z.record(z.string(), LocationSettings).nullable().optional(),
  /**
   * What the health rules judge (core/state/health.ts): application pools, the pool of each
   * application, compression schemes, impersonation, runtime state. Absent for a declaration and for
   * states built before issue 13; the health rules then say unknown.
   */
  health: HealthState.nullable().optional(),
});

export type Binding = z.infer<typeof Binding>;
export type AuthState = z.infer<typeof AuthState>;
export type VdirState = z.infer<typeof VdirState>;
export type SiteState = z.infer<typeof SiteState>;
export type Ace = z.infer<typeof Ace>;
export type DirAcl = z.infer<typeof DirAcl>;
export type LocalGroup = z.infer<typeof LocalGroup>;
export type GroupMember = z.infer<typeof GroupMember>;
export type ObservedState = z.infer<typeof ObservedState>;
export type LocationSettings = z.infer<typeof LocationSettings>;
