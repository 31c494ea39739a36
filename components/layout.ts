import * as pulumi from "@pulumi/pulumi";
import { resolveLayout, type AclRequirement, type Layout, type SiteRequirement } from "../core/model/layout";
import { SpecSchema, type SpecInput } from "../core/model/spec";
import type { Finding } from "../core/rules/finding";
import { stateFromLayout } from "../core/state/fromDeclaration";
import { parseTarget, TargetError } from "../transports/target";
import { WsusIisServer } from "../provider/resource";
import { DirectoryAcl, IisSite, VirtualDirectory } from "./blocks";
import { TYPES } from "./tokens";
import { ComponentArgsError, validateArgs } from "./validate";

export interface ServerCredentials {
  /** ssh private key file (ssh:// targets). */
  sshIdentity?: pulumi.Input<string>;
  /** known_hosts file to verify the host key against. */
  knownHostsFile?: pulumi.Input<string>;
}

export interface WsusIisLayoutArgs {
  /**
   * The desired IIS layout (core/model/spec.ts): configuration, profile, paths, sites, bindings,
   * overrides, repairs. Plain data: it is validated when the component is constructed and decides
   * which child components exist. `presets.configuration1/2({ profile })` give the KB's two layouts.
   */
  spec: SpecInput;
  /** The server: `lab:DIR`, `local` or `ssh://user@host[:port]`. */
  target: pulumi.Input<string>;
  /** Always stored as secrets (in this component's inputs and in WsusIisServer's). */
  credentials?: pulumi.Input<ServerCredentials>;
  /** Passed to WsusIisServer: on `pulumi destroy`, remove what it added (default: leave the server alone). */
  removeOnDelete?: pulumi.Input<boolean>;
}

/** The resolved layout, as plain data (what the child components show). */
export interface LayoutSummary {
  profile: Layout["profile"];
  configuration: Layout["configuration"];
  clientPort: number;
  windowsAuthVdir: string;
  selfUpdatePath: string;
  selfUpdateName: string;
  anonymousIdentity: Layout["anonymousIdentity"];
  selfUpdateAcl: AclRequirement[];
  selfUpdateFiles: string[];
  sites: SiteRequirement[];
}

export function summarize(layout: Layout): LayoutSummary {
  const { profile, configuration, clientPort, windowsAuthVdir, selfUpdatePath, selfUpdateName, anonymousIdentity, selfUpdateAcl, selfUpdateFiles, sites } = layout;
  return structuredClone({ profile, configuration, clientPort, windowsAuthVdir, selfUpdatePath, selfUpdateName, anonymousIdentity, selfUpdateAcl, selfUpdateFiles, sites });
}

const slug = (s: string) => s.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "");

/**
 * One WSUS server's IIS layout (KB 920659). The resource tree shows the layout: one IisSite per site,
 * under it one VirtualDirectory per WSUS vdir/app, a DirectoryAcl for the SelfUpdate folder, and the
 * one WsusIisServer dynamic resource that checks and converges the server. The building blocks are
 * declarative (they carry the declared properties for the policy pack); only WsusIisServer touches the
 * server.
 */
export class WsusIisLayout extends pulumi.ComponentResource {
  /** Whether the server has no failing finding after the last check/converge. */
  public readonly compliant: pulumi.Output<boolean>;
  public readonly findings: pulumi.Output<Finding[]>;
  /**
   * The declared layout (plain data): what the child components show. A spec with profile or
   * configuration `auto` is declared as a default WSUS 4+ install (modern, Configuration 2).
   */
  public readonly layout: pulumi.Output<LayoutSummary>;
  /**
   * What the server was judged and repaired against, and why: `auto` is read from the server before any
   * repair (the server's own layout may differ from the declared default above).
   */
  public readonly serverLayout: pulumi.Output<{ profile: "kb920659" | "modern"; configuration: 1 | 2; reasons: string[] }>;
  public readonly target: pulumi.Output<string>;
  public readonly sites: IisSite[];
  public readonly virtualDirectories: VirtualDirectory[];
  public readonly selfUpdateAcl: DirectoryAcl;
  public readonly server: WsusIisServer;

  constructor(name: string, args: WsusIisLayoutArgs, opts?: pulumi.ComponentResourceOptions) {
    const layout = WsusIisLayout.validate(name, args);
    const credentials = args.credentials === undefined ? undefined : pulumi.secret(args.credentials);
    super(
      TYPES.layout,
      name,
      { spec: args.spec, target: args.target, ...(credentials ? { credentials } : {}), ...(args.removeOnDelete !== undefined ? { removeOnDelete: args.removeOnDelete } : {}) },
      opts,
    );

    const declared = stateFromLayout(layout);
    this.sites = [];
    this.virtualDirectories = [];
    layout.sites.forEach((req, i) => {
      const site = new IisSite(
        `${name}-${req.role}`,
        {
          name: req.name,
          role: req.role,
          bindings: declared.sites[i].bindings.map((b) => ({ protocol: b.protocol as "http" | "https", ip: b.ip, port: b.port, host: b.host })),
          anonymous: true,
        },
        { parent: this },
      );
      this.sites.push(site);
      for (const v of req.vdirs) {
        this.virtualDirectories.push(
          new VirtualDirectory(
            `${name}-${req.role}-${slug(v.name)}`,
            {
              site: req.name,
              name: v.name,
              kind: v.kind,
              physicalPath: v.physicalPath,
              auth: { anonymous: v.auth === "anonymous", windows: v.auth === "windows" },
              ...(v.requireSsl === null ? {} : { requireSsl: v.requireSsl }),
            },
            { parent: site },
          ),
        );
      }
    });
    this.selfUpdateAcl = new DirectoryAcl(
      `${name}-selfupdate-acl`,
      { path: layout.selfUpdatePath, entries: layout.selfUpdateAcl.map((e) => ({ principal: e.principal, rights: e.rights })), purpose: "selfupdate" },
      { parent: this },
    );

    this.server = new WsusIisServer(
      `${name}-server`,
      {
        spec: args.spec,
        target: args.target,
        ...(credentials ? { credentials } : {}),
        ...(args.removeOnDelete !== undefined ? { removeOnDelete: args.removeOnDelete } : {}),
      },
      { parent: this },
    );

    this.compliant = this.server.compliant;
    this.findings = this.server.findings as pulumi.Output<Finding[]>;
    this.layout = pulumi.output(summarize(layout));
    this.serverLayout = this.server.layout;
    this.target = pulumi.output(args.target);
    this.registerOutputs({ compliant: this.compliant, findings: this.findings, layout: this.layout, serverLayout: this.serverLayout, target: this.target, spec: args.spec });
  }

  /** Validate the spec (and a plain target) before anything is registered; field-named errors. */
  private static validate(name: string, args: WsusIisLayoutArgs): Layout {
    if (args === undefined || args === null || typeof args !== "object") throw new ComponentArgsError("WsusIisLayout", name, [{ path: "", message: "expected { spec, target }" }]);
    if (pulumi.Output.isInstance(args.spec)) {
      throw new ComponentArgsError("WsusIisLayout", name, [{ path: "spec", message: "must be plain data (it decides the resource tree), not an Output" }]);
    }
    const spec = validateArgs("WsusIisLayout", name, SpecSchema, args.spec ?? {}, "spec.");
    if (!spec) {
      throw new ComponentArgsError("WsusIisLayout", name, [{ path: "spec", message: "must be plain data (it decides the resource tree); found an Output or Promise inside" }]);
    }
    if (typeof args.target === "string") {
      try {
        parseTarget(args.target);
      } catch (e) {
        if (e instanceof TargetError) {
          const message = `${e.message.replace(/^target "(?:[^"\\]|\\.)*": /, "")}, got ${JSON.stringify(args.target)}`;
          throw new ComponentArgsError("WsusIisLayout", name, [{ path: "target", message }]);
        }
        throw e;
      }
    } else if (args.target === undefined || args.target === null) {
      throw new ComponentArgsError("WsusIisLayout", name, [{ path: "target", message: "required: lab:DIR, local or ssh://user@host[:port]" }]);
    }
    return resolveLayout(spec);
  }
}
