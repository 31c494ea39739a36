/**
 * The wsus-iis CrossGuard policies: one resource policy per rule of the rule engine (core/rules; both
 * groups, kb and health), two stack policies. Exported separately from the PolicyPack (index.ts) because `new PolicyPack()` starts
 * the Analyzer server at once: tests import this module without starting anything.
 *
 * No rule logic lives here. A WsusIisLayout / WsusIisServer is judged by running the rule over
 * `stateFromLayout(resolveLayout(parseSpec(spec)))` (core/policyInputs/declaration.ts), the state the
 * declaration produces; a building block (VirtualDirectory, IisSite, DirectoryAcl) by running the rule
 * over the partial state its declared properties amount to (core/policyInputs/blocks.ts).
 */
import type {
  EnforcementLevel,
  PolicyConfigSchema,
  PolicyResource,
  ReportViolation,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationPolicy,
} from "@pulumi/policy";
import * as posixPath from "node:path/posix";
import { TYPES } from "../components/tokens";
import type { Profile } from "../core/model/spec";
import {
  DirectoryAclProps,
  IisSiteProps,
  VirtualDirectoryProps,
  directoryAclDeclaration,
  iisSiteDeclaration,
  isDefaultSite,
  isSelfUpdateAcl,
  isSelfUpdateName,
  profileForVdir,
  virtualDirectoryDeclaration,
  type BlockContext,
  type BlockDeclaration,
} from "../core/policyInputs/blocks";
import {
  addLoopbackAddress,
  declarationOf,
  failures,
  violationText,
} from "../core/policyInputs/declaration";
import { RULES, ruleById } from "../core/rules";
import type { Finding } from "../core/rules/finding";
import type { Rule } from "../core/rules/rule";
import { formatTarget, parseTarget, type Target } from "../transports/target";

export { TYPES };

export const KB_URL = "https://learn.microsoft.com/troubleshoot/windows-server/installing-updates-features-roles/wsus-selfupdate-not-send-automatic-updates";

type Block = "vdir" | "site" | "acl";

// ---------------------------------------------------------------------------------------------
// What a resource is, for the policies
// ---------------------------------------------------------------------------------------------

/** Types in a URN's qualified type (`parent$child$self`), self last. */
export function urnTypes(urn: string): string[] {
  const qualified = urn.split("::")[2] ?? "";
  return qualified.split("$");
}

/**
 * Inside a WsusIisLayout: the layout itself is judged (once), not its children. The engine's URNs carry
 * the whole parent chain (`Layout$IisSite$VirtualDirectory`); the parent's URN is checked as well.
 */
export function insideLayout(urn: string, parentUrn?: string): boolean {
  return urnTypes(urn).slice(0, -1).includes(TYPES.layout) || (!!parentUrn && urnTypes(parentUrn).includes(TYPES.layout));
}

type Subject =
  | { kind: "declaration"; spec: unknown }
  | { kind: "vdir"; props: unknown }
  | { kind: "site"; props: unknown }
  | { kind: "acl"; props: unknown };

function subjectOf(args: Pick<ResourceValidationArgs, "type" | "urn" | "props" | "opts">): Subject | { skip: string } {
  // Validation and remediation use the same view: a layout's server and children are skipped for
  // validation (the layout reports once); remediation treats the server under a layout as its own
  // (its inputs are what converges) and leaves the children alone (their inputs change nothing).
  switch (args.type) {
    case TYPES.layout:
      return { kind: "declaration", spec: args.props.spec };
    case TYPES.server:
      if (insideLayout(args.urn, args.opts?.parent)) return { skip: "judged on its WsusIisLayout (same spec)" };
      return { kind: "declaration", spec: args.props.spec };
    case TYPES.vdir:
    case TYPES.site:
    case TYPES.acl:
      if (insideLayout(args.urn, args.opts?.parent)) return { skip: "part of a WsusIisLayout, which is judged as a whole" };
      return { kind: args.type === TYPES.vdir ? "vdir" : args.type === TYPES.site ? "site" : "acl", props: args.props };
    default:
      return { skip: `not a wsus-iis resource` };
  }
}

/** Plain data without the policy SDK's proxies (reading an unknown value still throws first, as it should). */
const plain = <T>(v: T): T => (v === undefined ? v : JSON.parse(JSON.stringify(v)));

// ---------------------------------------------------------------------------------------------
// Config (the engine applies configSchema defaults; the SDK does not, so every default is repeated here)
// ---------------------------------------------------------------------------------------------

interface BlockConfig {
  profile?: Profile;
  windowsAuthVdir?: string;
  ssl?: boolean;
}
interface ClientPortConfig extends BlockConfig {
  allowedClientPorts?: number[];
}

const BLOCK_SCHEMA: PolicyConfigSchema["properties"] = {
  profile: {
    type: "string",
    enum: ["kb920659", "modern"],
    description: "Profile used to judge building blocks (VirtualDirectory, IisSite, DirectoryAcl), which carry no spec. Unset: inferred from the vdir name (kb920659 unless the name exists only in the modern layout). Layouts and servers are judged with their own spec's profile.",
  },
  windowsAuthVdir: {
    type: "string",
    description: "Name of the one Windows-auth vdir for building blocks. Unset: the profile's default (WSUSAdmin / ApiRemoting30).",
  },
};

export const DEFAULT_ALLOWED_CLIENT_PORTS = [80, 8530];

const blockContext = (c: BlockConfig): BlockContext => ({
  ...(c.profile ? { profile: c.profile } : {}),
  ...(c.windowsAuthVdir ? { windowsAuthVdir: c.windowsAuthVdir } : {}),
  ...(c.ssl !== undefined ? { ssl: c.ssl } : {}),
});

// ---------------------------------------------------------------------------------------------
// Resource policies, one per rule
// ---------------------------------------------------------------------------------------------

interface RulePolicyOptions {
  rule: Rule;
  enforcementLevel: EnforcementLevel;
  /** Building blocks the rule can judge on their own. */
  blocks?: Block[];
  configSchema?: PolicyConfigSchema["properties"];
  /** Extra checks on a declaration that the rule engine cannot see (policy options). */
  extra?: (d: Extract<ReturnType<typeof declarationOf>, { ok: true }>, config: ClientPortConfig & HealthConfig) => string[];
  remediateSpec?: (spec: unknown) => unknown | undefined;
  remediateBlock?: (block: Block, props: Record<string, unknown>, config: BlockConfig) => Record<string, unknown> | undefined;
  remediationSteps?: string;
}

// Every rule policy judges the same building block: validate and build its declaration once per
// content (bounded; read-only for callers). A string is the reason the block is not applicable.
const BLOCK_CACHE_MAX = 1024;
const blockCache = new Map<string, ReturnType<typeof buildBlockDeclaration>>();

function blockDeclaration(kind: Block, props: unknown, config: BlockConfig) {
  const key = JSON.stringify([kind, props, config]);
  let d = blockCache.get(key);
  if (d === undefined) {
    d = buildBlockDeclaration(kind, JSON.parse(key)[1], config);
    if (blockCache.size >= BLOCK_CACHE_MAX) blockCache.delete(blockCache.keys().next().value!);
    blockCache.set(key, d);
  }
  return d;
}

function buildBlockDeclaration(kind: Block, props: unknown, config: BlockConfig): BlockDeclaration | string {
  const ctx = blockContext(config);
  if (kind === "vdir") {
    const p = VirtualDirectoryProps.safeParse(plain(props));
    if (!p.success) return "the declared properties are invalid";
    return virtualDirectoryDeclaration(p.data, ctx);
  }
  if (kind === "site") {
    const p = IisSiteProps.safeParse(plain(props));
    if (!p.success) return "the declared properties are invalid";
    if (!isDefaultSite(p.data)) return "not the Default Web Site (role default)";
    return iisSiteDeclaration(p.data);
  }
  const p = DirectoryAclProps.safeParse(plain(props));
  if (!p.success) return "the declared properties are invalid";
  if (!isSelfUpdateAcl(p.data)) return "not the SelfUpdate folder (purpose selfupdate)";
  return directoryAclDeclaration(p.data, ctx);
}

/** What a health policy's description adds: the group is opt-in, and a declaration carries only its thresholds. */
const HEALTH_NOTE = " (WSUS IIS health, opt-in with spec rules: [kb, health]; a declaration's thresholds are judged here, the server's state by wsus-no-drift)";

function rulePolicy(o: RulePolicyOptions): ResourceValidationPolicy {
  const { rule } = o;
  const validateResource = (args: ResourceValidationArgs, reportViolation: ReportViolation) => {
    const subject = subjectOf(args);
    if ("skip" in subject) return args.notApplicable(subject.skip);
    const config = args.getConfig<ClientPortConfig & HealthConfig>();
    if (subject.kind === "declaration") {
      // declarationOf reads the spec through JSON (an unknown preview value throws there, as it should).
      const d = declarationOf(subject.spec);
      if (!d.ok) return args.notApplicable("the spec is invalid (see policy wsus-spec-valid)");
      // The health group is opt-in (`rules: [kb, health]`): its thresholds mean nothing to a spec without it.
      if (rule.group !== "kb" && !d.spec.rules.includes(rule.group)) {
        return args.notApplicable(`the spec does not ask for the ${rule.group} rules (rules: [${d.spec.rules.join(", ")}])`);
      }
      // The KB policies judge every declaration, whatever its `rules` say: a spec cannot switch off the
      // organisation's mandatory policies by leaving out the kb group.
      for (const f of failures(rule.group === "kb" && !d.spec.rules.includes("kb") ? { ...d, spec: { ...d.spec, rules: ["kb", ...d.spec.rules] } } : d, [rule])) {
        reportViolation(violationText(f));
      }
      for (const message of o.extra?.(d, config) ?? []) reportViolation(message);
      return;
    }
    if (!o.blocks?.includes(subject.kind)) return args.notApplicable(`${rule.id} does not apply to ${args.type} on its own`);
    const decl = blockDeclaration(subject.kind, subject.props, config);
    if (typeof decl === "string") return args.notApplicable(decl);
    for (const f of failures(decl, [rule])) reportViolation(violationText(f));
  };

  const remediateResource =
    o.remediateSpec || o.remediateBlock
      ? (args: ResourceValidationArgs) => {
          const subject = args.type === TYPES.server ? { kind: "declaration" as const, spec: args.props.spec } : subjectOf(args);
          if ("skip" in subject) return undefined;
          // Write into args.props and return it (the SDK's pattern): props is a secrets-preserving proxy, so
          // the other inputs (secret credentials, __provider) go back to the engine exactly as they came.
          if (subject.kind === "declaration") {
            const spec = o.remediateSpec?.(plain(subject.spec));
            if (spec === undefined) return undefined;
            args.props.spec = spec;
            return args.props;
          }
          const changed = o.remediateBlock?.(subject.kind, plain(args.props) as Record<string, unknown>, args.getConfig<BlockConfig>());
          if (changed === undefined) return undefined;
          Object.assign(args.props, changed);
          return args.props;
        }
      : undefined;

  const health = rule.group === "health";
  return {
    name: rule.id,
    displayName: rule.title,
    description: `${rule.description}${rule.cause !== null ? ` (KB 920659 cause ${rule.cause})` : health ? HEALTH_NOTE : ""}`,
    enforcementLevel: o.enforcementLevel,
    severity: rule.cause !== null ? "high" : rule.severity === "error" ? "medium" : "low",
    tags: ["wsus", "iis", rule.cause !== null ? `kb920659-cause-${rule.cause}` : health ? "wsus-health" : "wsus-layout"],
    url: rule.helpUri,
    ...(o.remediationSteps ? { remediationSteps: o.remediationSteps } : {}),
    ...(o.blocks?.length || o.configSchema ? { configSchema: { properties: { ...(o.blocks?.length ? BLOCK_SCHEMA : {}), ...(o.configSchema ?? {}) } } } : {}),
    validateResource,
    ...(remediateResource ? { remediateResource } : {}),
  };
}

const rule = (id: string): Rule => {
  const r = ruleById(id);
  if (!r) throw new Error(`policy pack: no rule ${id} in core/rules`);
  return r;
};

/** VirtualDirectory remediation: set auth flags, keep the rest. */
const vdirAuth = (props: Record<string, unknown>, auth: { anonymous?: boolean; windows?: boolean }) => ({
  auth: { ...((props.auth as object) ?? {}), ...auth },
});

const isWindowsAuthVdir = (name: string, config: BlockConfig) => {
  const profile = profileForVdir(name, blockContext(config));
  const windows = config.windowsAuthVdir ?? (profile === "modern" ? "ApiRemoting30" : "WSUSAdmin");
  return name.toLowerCase() === windows.toLowerCase();
};

export const selfUpdateAclPolicy = rulePolicy({ rule: rule("selfupdate-acl"), enforcementLevel: "mandatory", blocks: ["acl"] });

export const selfUpdateVdirPolicy = rulePolicy({ rule: rule("selfupdate-vdir"), enforcementLevel: "mandatory" });

export const selfUpdateClientPortPolicy = rulePolicy({
  rule: rule("selfupdate-client-port"),
  enforcementLevel: "mandatory",
  configSchema: {
    allowedClientPorts: {
      type: "array",
      items: { type: "integer", minimum: 1, maximum: 65535 },
      default: DEFAULT_ALLOWED_CLIENT_PORTS,
      description: "Ports WSUS clients may use (the WUServer URL's port): 80 in KB 920659, 8530 for WSUS 3.0+ on the WSUS site.",
    },
  },
  extra: (d, config) => {
    const allowed = config.allowedClientPorts ?? DEFAULT_ALLOWED_CLIENT_PORTS;
    return allowed.includes(d.layout.clientPort)
      ? []
      : [`clients would use port ${d.layout.clientPort}, which is not an allowed client port (${allowed.join(", ")}); SelfUpdate must be served on the client port`];
  },
});

// (A spec naming SelfUpdate or another anonymous WSUS vdir as windowsAuthVdir no longer parses: it is a
// wsus-spec-valid violation, core/model/spec.ts. What is left to remediate here is the building block.)
export const selfUpdateAnonymousPolicy = rulePolicy({
  rule: rule("selfupdate-anonymous"),
  enforcementLevel: "mandatory",
  blocks: ["vdir"],
  remediationSteps: "Set auth.anonymous = true on a SelfUpdate VirtualDirectory.",
  remediateBlock: (block, props) =>
    block === "vdir" && typeof props.name === "string" && isSelfUpdateName(props.name) && (props.auth as { anonymous?: boolean } | undefined)?.anonymous === false
      ? vdirAuth(props, { anonymous: true })
      : undefined,
});

export const defaultSiteLoopbackPolicy = rulePolicy({
  rule: rule("default-site-loopback"),
  enforcementLevel: "mandatory",
  blocks: ["site"],
  remediationSteps: "Add 127.0.0.1 to spec.bindings.addresses.",
  remediateSpec: addLoopbackAddress,
});

export const defaultSiteAnonymousPolicy = rulePolicy({ rule: rule("default-site-anonymous"), enforcementLevel: "mandatory", blocks: ["site"] });

export const sharePointExclusionsPolicy = rulePolicy({ rule: rule("sharepoint-exclusions"), enforcementLevel: "mandatory" });

export const selfUpdateFilesPolicy = rulePolicy({ rule: rule("selfupdate-files"), enforcementLevel: "mandatory" });

export const layoutVdirsPolicy = rulePolicy({ rule: rule("layout-vdirs"), enforcementLevel: "mandatory" });

export const layoutWindowsAuthPolicy = rulePolicy({
  rule: rule("layout-windows-auth"),
  enforcementLevel: "mandatory",
  blocks: ["vdir"],
  remediationSteps: "On the Windows-auth VirtualDirectory set auth { anonymous: false, windows: true }.",
  remediateBlock: (block, props, config) => {
    if (block !== "vdir" || typeof props.name !== "string" || !isWindowsAuthVdir(props.name, config)) return undefined;
    const auth = (props.auth ?? {}) as { anonymous?: boolean; windows?: boolean };
    return auth.anonymous === true || auth.windows === false ? vdirAuth(props, { anonymous: false, windows: true }) : undefined;
  },
});

export const layoutAnonymousPolicy = rulePolicy({
  rule: rule("layout-anonymous"),
  enforcementLevel: "mandatory",
  blocks: ["vdir"],
  remediationSteps: "Set auth.anonymous = true on the WSUS client VirtualDirectory.",
  remediateBlock: (block, props, config) => {
    if (block !== "vdir" || typeof props.name !== "string" || isSelfUpdateName(props.name) || isWindowsAuthVdir(props.name, config)) return undefined;
    const p = VirtualDirectoryProps.safeParse(props);
    if (!p.success || p.data.auth.anonymous !== false) return undefined;
    // Only the profile's WSUS endpoints: the rule judges exactly those.
    const d = virtualDirectoryDeclaration(p.data, blockContext(config));
    return failures(d, [rule("layout-anonymous")]).length ? vdirAuth(props, { anonymous: true }) : undefined;
  },
});

/**
 * profile-fits-server compares an explicit profile with what a server shows; a declaration has no server,
 * so it never fires here (the provider's findings carry it to wsus-no-drift). Advisory like the rule.
 */
export const profileFitsPolicy = rulePolicy({ rule: rule("profile-fits-server"), enforcementLevel: "advisory" });

export const layoutRequireSslPolicy = rulePolicy({
  rule: rule("layout-require-ssl"),
  enforcementLevel: "advisory",
  blocks: ["vdir"],
  configSchema: {
    ssl: { type: "boolean", description: "Building blocks (modern profile): judge Require SSL on the WSUS SSL split (5 endpoints on, 4 off). Unset: not judged." },
  },
});

// ---------------------------------------------------------------------------------------------
// The health group (issue 13): WsusPool settings, ASP.NET impersonation, dynamic compression, runtime state
// ---------------------------------------------------------------------------------------------

/**
 * The health rules judge a server, never a declaration: a declaration says nothing about the pool's
 * current settings or whether a site runs; the converge sets them (core/rules/health). What a declaration
 * does say is the thresholds its converge would set (`spec.health`), so a health policy whose setting has
 * a threshold judges that against the organisation's own (the policy's config; defaults: KB 4490414's
 * values). A server's health findings reach the pack through wsus-no-drift. All advisory by default.
 */

interface HealthConfig {
  minQueueLength?: number;
  privateMemoryKb?: number;
  virtualMemoryKb?: number;
  periodicRestartMinutes?: number;
  idleTimeoutMinutes?: number;
  allowPinging?: boolean;
  requireCompression?: boolean;
}

/** KB 4490414's values: what the policies accept when not configured (the SDK applies no configSchema default). */
export const HEALTH_POLICY_DEFAULTS = {
  minQueueLength: 2000,
  privateMemoryKb: 0,
  virtualMemoryKb: 0,
  periodicRestartMinutes: 0,
  idleTimeoutMinutes: 0,
  allowPinging: false,
  requireCompression: false,
} as const satisfies Required<HealthConfig>;

type HealthSettings = Extract<ReturnType<typeof declarationOf>, { ok: true }>["spec"]["health"];

/**
 * A setting where 0 is Microsoft's value (no limit, no timed restart, never idle out) and a spec may ask
 * for another: the policy's value N accepts 0 or at least N, and 0 (the default) accepts 0 only.
 */
function zeroOrAtLeast(o: { field: "privateMemoryKb" | "virtualMemoryKb" | "periodicRestartMinutes" | "idleTimeoutMinutes"; unit: string; what: string; description: string; max: number }) {
  return {
    configSchema: {
      [o.field]: { type: "integer", minimum: 0, maximum: o.max, default: 0, description: o.description },
    } as PolicyConfigSchema["properties"],
    extra: (d: { spec: { health: HealthSettings } }, config: HealthConfig): string[] => {
      const declared = d.spec.health[o.field];
      const accepted = config[o.field] ?? HEALTH_POLICY_DEFAULTS[o.field];
      if (declared === 0 || (accepted !== 0 && declared >= accepted)) return [];
      const allowed = accepted === 0 ? "accepts only 0" : `accepts 0 or at least ${accepted} ${o.unit}`;
      return [`spec.health.${o.field} is ${declared}: the WSUS application pool would keep ${o.what} of ${declared} ${o.unit}; this policy ${allowed} (KB 4490414)`];
    },
  };
}

const healthPolicy = (id: string, o: Partial<Pick<RulePolicyOptions, "configSchema" | "extra">> = {}) => rulePolicy({ rule: rule(id), enforcementLevel: "advisory", ...o });

export const wsusPoolQueueLengthPolicy = healthPolicy("wsuspool-queue-length", {
  configSchema: {
    minQueueLength: {
      type: "integer",
      minimum: 10,
      maximum: 65535,
      default: HEALTH_POLICY_DEFAULTS.minQueueLength,
      description: "The lowest spec.health.minQueueLength accepted (KB 4490414: 2000). A hardening baseline that wants 1000 or less (DISA IIS STIG) lowers it, knowing that WSUS scan storms then get 503s.",
    },
  },
  extra: (d, config) => {
    const accepted = config.minQueueLength ?? HEALTH_POLICY_DEFAULTS.minQueueLength;
    const declared = d.spec.health.minQueueLength;
    return declared >= accepted ? [] : [`spec.health.minQueueLength is ${declared}: the WSUS application pool would queue fewer than the ${accepted} requests this policy asks for, and scan storms get 503 (KB 4490414)`];
  },
});

export const wsusPoolPrivateMemoryPolicy = healthPolicy(
  "wsuspool-private-memory",
  zeroOrAtLeast({ field: "privateMemoryKb", unit: "KB", what: "a private-memory limit", max: 4294967295, description: "The smallest spec.health.privateMemoryKb accepted besides 0 (no limit, KB 4490414's value). 0 (default): only no limit." }),
);

export const wsusPoolVirtualMemoryPolicy = healthPolicy(
  "wsuspool-virtual-memory",
  zeroOrAtLeast({ field: "virtualMemoryKb", unit: "KB", what: "a virtual-memory limit", max: 4294967295, description: "The smallest spec.health.virtualMemoryKb accepted besides 0 (no limit, KB 4490414's value). 0 (default): only no limit." }),
);

export const wsusPoolPeriodicRestartPolicy = healthPolicy(
  "wsuspool-periodic-restart",
  zeroOrAtLeast({ field: "periodicRestartMinutes", unit: "minutes", what: "a periodic restart", max: 432000, description: "The shortest spec.health.periodicRestartMinutes accepted besides 0 (no timed recycling, KB 4490414's value). 0 (default): only off." }),
);

export const wsusPoolIdleTimeoutPolicy = healthPolicy(
  "wsuspool-idle-timeout",
  zeroOrAtLeast({ field: "idleTimeoutMinutes", unit: "minutes", what: "an idle time-out", max: 43200, description: "The shortest spec.health.idleTimeoutMinutes accepted besides 0 (never shut down when idle, KB 4490414's value). 0 (default): only 0." }),
);

export const wsusPoolPingPolicy = healthPolicy("wsuspool-ping", {
  configSchema: {
    allowPinging: { type: "boolean", default: HEALTH_POLICY_DEFAULTS.allowPinging, description: "Accept spec.health.pingingEnabled: true (KB 4490414: ping off)." },
  },
  extra: (d, config) =>
    d.spec.health.pingingEnabled && !(config.allowPinging ?? HEALTH_POLICY_DEFAULTS.allowPinging)
      ? ["spec.health.pingingEnabled is true: WAS would keep pinging the WSUS worker process, and kill one busy building the metadata cache (KB 4490414)"]
      : [],
});

export const wsusImpersonationOffPolicy = healthPolicy("wsus-impersonation-off");

export const wsusDynamicCompressionPolicy = healthPolicy("wsus-dynamic-compression", {
  configSchema: {
    requireCompression: {
      type: "boolean",
      default: HEALTH_POLICY_DEFAULTS.requireCompression,
      description: "Report a spec with health.compression: false, which skips the xpress (suscomp.dll) check. KB 4490414 calls compression optional, so off by default.",
    },
  },
  extra: (d, config) =>
    !d.spec.health.compression && (config.requireCompression ?? HEALTH_POLICY_DEFAULTS.requireCompression)
      ? ["spec.health.compression is false: WSUS's dynamic compression (xpress, suscomp.dll) would not be checked, and clients may download metadata uncompressed (KB 4490414)"]
      : [],
});

export const wsusSiteStartedPolicy = healthPolicy("wsus-site-started");

export const wsusPoolStartedPolicy = healthPolicy("wsuspool-started");

export const healthPolicies: ResourceValidationPolicy[] = [
  wsusPoolQueueLengthPolicy,
  wsusPoolPrivateMemoryPolicy,
  wsusPoolVirtualMemoryPolicy,
  wsusPoolPeriodicRestartPolicy,
  wsusPoolIdleTimeoutPolicy,
  wsusPoolPingPolicy,
  wsusImpersonationOffPolicy,
  wsusDynamicCompressionPolicy,
  wsusSiteStartedPolicy,
  wsusPoolStartedPolicy,
];

/** Every rule has its policy (checked by the tests): the pack and the rule engine cannot drift apart. */
export const rulePolicies: ResourceValidationPolicy[] = [
  selfUpdateAclPolicy,
  selfUpdateVdirPolicy,
  selfUpdateClientPortPolicy,
  selfUpdateAnonymousPolicy,
  defaultSiteLoopbackPolicy,
  defaultSiteAnonymousPolicy,
  sharePointExclusionsPolicy,
  selfUpdateFilesPolicy,
  layoutVdirsPolicy,
  layoutWindowsAuthPolicy,
  layoutAnonymousPolicy,
  layoutRequireSslPolicy,
  profileFitsPolicy,
  ...healthPolicies,
];

/** A spec that does not parse can't be judged: one mandatory violation naming every bad field. */
export const specValidPolicy: ResourceValidationPolicy = {
  name: "wsus-spec-valid",
  displayName: "The WSUS IIS spec is valid",
  description: "The spec of a WsusIisLayout / WsusIisServer parses (core/model/spec.ts); the other policies judge only valid specs.",
  enforcementLevel: "mandatory",
  severity: "high",
  tags: ["wsus", "iis"],
  validateResource: (args, reportViolation) => {
    const subject = subjectOf(args);
    if ("skip" in subject) return args.notApplicable(subject.skip);
    if (subject.kind !== "declaration") return args.notApplicable("building blocks are validated when constructed");
    const d = declarationOf(plain(subject.spec));
    if (!d.ok) for (const i of d.issues) reportViolation(`spec.${i.path}: ${i.message}`);
  },
};

// ---------------------------------------------------------------------------------------------
// Stack policies
// ---------------------------------------------------------------------------------------------

/**
 * The server a target string reaches: lab folders compared as normalised paths, ssh by host and port
 * (any user, host case-insensitive), `local` as itself. Unparsable targets are compared as written.
 */
export function serverKey(target: string): string {
  let t: Target;
  try {
    t = parseTarget(target.trim());
  } catch {
    return target.trim();
  }
  if (t.kind === "lab") return formatTarget({ kind: "lab", dir: posixPath.normalize(t.dir.replace(/\\/g, "/")).replace(/\/+$/, "") || "." });
  if (t.kind === "ssh") return formatTarget({ kind: "ssh", host: t.host.toLowerCase(), port: t.port });
  return formatTarget(t);
}

const targetOf = (r: PolicyResource): string | undefined => {
  const own = r.props.target;
  if (typeof own === "string") return own;
  const parentTarget = r.parent?.props.target;
  return typeof parentTarget === "string" ? parentTarget : undefined;
};

export const uniqueTargetsPolicy: StackValidationPolicy = {
  name: "wsus-unique-targets",
  displayName: "One declaration per WSUS server",
  description: "No two WsusIisLayouts (or WsusIisServers) target the same server: they would fight over its IIS configuration.",
  enforcementLevel: "mandatory",
  severity: "high",
  tags: ["wsus", "iis"],
  validateStack: (args, reportViolation) => {
    for (const type of [TYPES.layout, TYPES.server]) {
      const seen = new Map<string, PolicyResource>();
      for (const r of args.resources.filter((x) => x.type === type)) {
        const target = targetOf(r);
        if (target === undefined) continue;
        const key = serverKey(target);
        const first = seen.get(key);
        if (first) {
          reportViolation(`${r.name} and ${first.name} both target ${key} (${JSON.stringify(targetOf(first))} and ${JSON.stringify(target)})`, r.urn);
        } else {
          seen.set(key, r);
        }
      }
    }
  },
};

interface DriftConfig {
  ignoreRules?: string[];
  failOnUnknown?: boolean;
}

export const noDriftPolicy: StackValidationPolicy = {
  name: "wsus-no-drift",
  displayName: "No WSUS server has open findings",
  description: "After `pulumi up` / `pulumi refresh`, every WsusIisServer's findings output holds no failing finding (drift from KB 920659 or the layout, and from the WSUS IIS health rules when the server's spec asks for them, that convergence did not or could not repair).",
  enforcementLevel: "mandatory",
  severity: "high",
  tags: ["wsus", "iis", "drift"],
  configSchema: {
    properties: {
      ignoreRules: { type: "array", items: { type: "string" }, default: [], description: "Rule ids whose findings are accepted (e.g. sharepoint-exclusions while a manual step is pending)." },
      failOnUnknown: { type: "boolean", default: false, description: "Also report findings with status unknown (evidence missing)." },
    },
  },
  validateStack: (args, reportViolation) => {
    const { ignoreRules = [], failOnUnknown = false } = args.getConfig<DriftConfig>();
    for (const r of args.resources.filter((x) => x.type === TYPES.server)) {
      const findings = r.props.findings as Finding[] | undefined;
      if (!Array.isArray(findings)) continue; // not checked yet (e.g. first preview)
      const open = findings.filter((f) => (f.status === "fail" || (failOnUnknown && f.status === "unknown")) && !ignoreRules.includes(f.rule));
      if (open.length === 0) continue;
      const where = targetOf(r) ?? r.name;
      const lines = open.map((f) => `  [${f.rule}${f.cause ? ` cause ${f.cause}` : ""}] ${f.target}: ${f.message}`);
      reportViolation(`${where}: ${open.length} open finding${open.length === 1 ? "" : "s"}\n${lines.join("\n")}`, r.urn);
    }
  },
};

export const policies = [...rulePolicies, specValidPolicy, uniqueTargetsPolicy, noDriftPolicy];

/** For tests and docs: every rule id has a policy of the same name. */
export const ruleIdsWithoutPolicy = (): string[] => RULES.map((r) => r.id).filter((id) => !rulePolicies.some((p) => p.name === id));
