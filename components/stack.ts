import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { describeIssues, parseSpec, SpecError } from "../core/model/spec";
import { isProblem } from "../core/rules/finding";
import { parseTarget, TargetError } from "../transports/target";
import { WsusIisLayout } from "./layout";
import { presets, withOverrides } from "./presets";
import { ComponentArgsError } from "./validate";

/**
 * The stack program's logic (root index.ts only calls it): servers from stack config `wsus-iis:servers`,
 * one WsusIisLayout per server, compliance per server as stack outputs.
 *
 * ```yaml
 * config:
 *   wsus-iis:servers:
 *     - name: wsus01
 *       target: lab:./.lab/wsus01
 *       configuration: 1          # 1, 2 or auto (default auto)
 *       profile: kb920659         # kb920659, modern or auto (default auto)
 *       overrides: { computerName: WSUS01 }   # any spec field (core/model/spec.ts)
 *       credentials: { sshIdentity: ~/.ssh/wsus }   # always stored as secrets
 * ```
 */

export const ServerEntry = z.strictObject({
  /** Resource name of the server's WsusIisLayout (unique in the stack). */
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, { message: "expected a name of letters, digits and . _ - (max 63)" }),
  target: z.string().superRefine((t, ctx) => {
    try {
      parseTarget(t);
    } catch (e) {
      if (!(e instanceof TargetError)) throw e;
      ctx.addIssue({ code: "custom", message: e.message.replace(/^target "(?:[^"\\]|\\.)*": /, "") });
    }
  }),
  /**
   * auto (the default): read from the server before anything is repaired; the declared children show
   * the default WSUS 4+ install (modern, Configuration 2) until then.
   */
  configuration: z.union([z.literal(1), z.literal(2), z.literal("auto")], { message: "expected 1, 2 or auto" }).default("auto"),
  profile: z.enum(["auto", "kb920659", "modern"]).default("auto"),
  /** Spec fields on top of the configuration preset (nested objects merge one level deep). */
  overrides: z.record(z.string(), z.unknown()).default({}),
  credentials: z
    .strictObject({
      sshIdentity: z.string().min(1).optional(),
      knownHostsFile: z.string().min(1).optional(),
    })
    .optional(),
  removeOnDelete: z.boolean().optional(),
});
export type ServerEntry = z.output<typeof ServerEntry>;

export const ServersConfig = z
  .array(ServerEntry)
  .min(1, { message: "expected at least one server" })
  .superRefine((servers, ctx) => {
    const seen = new Map<string, number>();
    servers.forEach((s, i) => {
      const first = seen.get(s.name.toLowerCase());
      if (first !== undefined) ctx.addIssue({ code: "custom", path: [i, "name"], message: `duplicate name (servers[${first}] is also ${JSON.stringify(s.name)})` });
      else seen.set(s.name.toLowerCase(), i);
    });
  });

/** A stack configuration error: every bad field as `wsus-iis:servers[1].target: …`. */
export class StackConfigError extends Error {
  constructor(readonly issues: string[]) {
    super(`invalid stack configuration:\n${issues.map((i) => `  ${i}`).join("\n")}`);
    this.name = "StackConfigError";
  }
}

/** `["servers", 1, "target"]` → `wsus-iis:servers[1].target`. */
export function configPath(key: string, path: readonly PropertyKey[]): string {
  return path.reduce<string>((acc, p) => (typeof p === "number" || /^\d+$/.test(String(p)) ? `${acc}[${String(p)}]` : `${acc}.${String(p)}`), key);
}

const SPEC_TOP_LEVEL = new Set(["configuration", "profile"]);

/** Validate the `servers` config value; spec overrides are parsed with the spec schema and named under `overrides.`. */
export function parseServersConfig(raw: unknown, key = "wsus-iis:servers"): ServerEntry[] {
  const r = ServersConfig.safeParse(raw);
  if (!r.success) throw new StackConfigError(describeIssues(r.error.issues, raw).map((i) => `${configPath(key, i.path ? i.path.split(".") : [])}: ${i.message}`));
  const issues: string[] = [];
  r.data.forEach((s, i) => {
    try {
      specOf(s, `${key}[${i}]`);
    } catch (e) {
      if (e instanceof StackConfigError) issues.push(...e.issues);
      else throw e;
    }
  });
  if (issues.length) throw new StackConfigError(issues);
  return r.data;
}

/** The spec input of one server: its configuration's preset, profile, then the overrides. */
export function specOf(s: ServerEntry, where = "server") {
  const preset =
    s.configuration === 2
      ? presets.configuration2({ profile: s.profile })
      : s.configuration === 1
        ? presets.configuration1({ profile: s.profile })
        : { configuration: "auto" as const, profile: s.profile };
  if ("configuration" in s.overrides || "profile" in s.overrides) {
    throw new StackConfigError([`${where}.overrides: set configuration and profile on the server entry, not in overrides`]);
  }
  const spec = withOverrides(preset, s.overrides);
  try {
    parseSpec(spec); // now, so the error names the config path rather than the component

  } catch (e) {
    if (!(e instanceof SpecError)) throw e;
    throw new StackConfigError(e.issues.map((i) => `${where}.${SPEC_TOP_LEVEL.has(i.path.split(".")[0]) ? "" : "overrides."}${i.path.replace(/\.(\d+)(?=\.|$)/g, "[$1]")}: ${i.message}`));
  }
  return spec;
}

export interface ServerOutput {
  name: string;
  target: string;
  configuration: 1 | 2 | "auto";
  profile: string;
  compliant: pulumi.Output<boolean>;
  failing: pulumi.Output<number>;
}

export interface StackResult {
  layouts: WsusIisLayout[];
  /** Per server: compliant and the number of failing findings. */
  servers: pulumi.Output<Record<string, { target: string; configuration: 1 | 2 | "auto"; profile: string; compliant: boolean; failing: number }>>;
  /** Names of the servers that are not compliant. */
  drifted: pulumi.Output<string[]>;
  compliant: pulumi.Output<boolean>;
}

/** Read `wsus-iis:servers` and declare one WsusIisLayout per server. */
export function deployStack(config: pulumi.Config = new pulumi.Config("wsus-iis")): StackResult {
  const key = `${config.name}:servers`;
  const raw = config.getObject<unknown>("servers");
  if (raw === undefined) throw new StackConfigError([`${key}: required (a list of { name, target, configuration?, profile?, overrides?, credentials? })`]);
  const servers = parseServersConfig(raw, key);
  const layouts = servers.map((s, i) => {
    try {
      return new WsusIisLayout(s.name, {
        spec: specOf(s, `${key}[${i}]`),
        target: s.target,
        ...(s.credentials ? { credentials: pulumi.secret(s.credentials) } : {}),
        ...(s.removeOnDelete !== undefined ? { removeOnDelete: s.removeOnDelete } : {}),
      });
    } catch (e) {
      if (e instanceof ComponentArgsError) throw new StackConfigError(e.issues.map((x) => `${key}[${i}].${x.path}: ${x.message}`));
      throw e;
    }
  });
  const perServer = pulumi.all(
    layouts.map((l, i) =>
      pulumi.all([l.compliant, l.findings]).apply(([compliant, findings]) => ({
        name: servers[i].name,
        target: servers[i].target,
        configuration: servers[i].configuration,
        profile: servers[i].profile,
        compliant,
        failing: (findings ?? []).filter(isProblem).length,
      })),
    ),
  );
  return {
    layouts,
    servers: perServer.apply((list) => Object.fromEntries(list.map(({ name, ...rest }) => [name, rest]))),
    drifted: perServer.apply((list) => list.filter((s) => !s.compliant).map((s) => s.name)),
    compliant: perServer.apply((list) => list.every((s) => s.compliant)),
  };
}
