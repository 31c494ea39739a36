import * as pulumi from "@pulumi/pulumi";
import {
  DirectoryAclProps,
  IisSiteProps,
  VirtualDirectoryProps,
  type BindingDeclInput,
} from "../core/policyInputs/blocks";
import { TYPES } from "./tokens";
import { defined, validateArgs } from "./validate";

/*
 * Building blocks: declarative components over the same model as WsusIisLayout. They have no provider
 * of their own and change nothing on a server: convergence happens only through the WsusIisServer
 * dynamic resource (provider/resource.ts), which WsusIisLayout creates. Declare them on their own to
 * describe a non-standard layout; the policy pack (policies/) judges their registered inputs with the
 * same rules as everything else (a SelfUpdate vdir without anonymous access, the Windows-auth vdir
 * allowing anonymous, a SelfUpdate folder ACL below the KB minimum, a default site without 127.0.0.1).
 *
 * Their declared properties are the component's inputs (sent to the engine, which hands them to the
 * policy pack's resource policies) and its outputs (registerOutputs, seen by stack policies).
 */

export interface IisSiteArgs {
  name: pulumi.Input<string>;
  /** default: the KB's port-80 Default Web Site; admin: the WSUS site of Configuration 2. */
  role?: pulumi.Input<"default" | "admin" | "other">;
  bindings?: pulumi.Input<pulumi.Input<BindingDeclInput>[]>;
  /** Anonymous authentication at the site root. */
  anonymous?: pulumi.Input<boolean>;
}

/** An IIS site with its bindings. Declarative: see the note above. */
export class IisSite extends pulumi.ComponentResource {
  public readonly siteName: pulumi.Output<string>;
  public readonly role: pulumi.Output<string | undefined>;
  public readonly bindings: pulumi.Output<BindingDeclInput[]>;

  constructor(name: string, args: IisSiteArgs, opts?: pulumi.ComponentResourceOptions) {
    const props = IisSite.props(name, args);
    super(TYPES.site, name, props, opts);
    this.siteName = pulumi.output(props.name);
    this.role = pulumi.output(props.role);
    this.bindings = pulumi.output(props.bindings ?? []) as pulumi.Output<BindingDeclInput[]>;
    this.registerOutputs(props);
  }

  private static props(name: string, args: IisSiteArgs): IisSiteArgs {
    const parsed = validateArgs("IisSite", name, IisSiteProps, defined({ ...args }));
    return parsed ? defined({ ...parsed }) : defined({ ...args });
  }
}

export interface VirtualDirectoryArgs {
  /** The site it belongs to (IIS site name). */
  site: pulumi.Input<string>;
  /** One URL segment, e.g. SelfUpdate. */
  name: pulumi.Input<string>;
  /** app = IIS application, vdir = virtual directory (default). */
  kind?: pulumi.Input<"app" | "vdir">;
  physicalPath: pulumi.Input<string>;
  /** Unset flags are "not declared" (inherited in IIS); the policy pack has nothing to judge then. */
  auth: pulumi.Input<{ anonymous?: pulumi.Input<boolean>; windows?: pulumi.Input<boolean> }>;
  requireSsl?: pulumi.Input<boolean>;
}

/** A virtual directory or application with its authentication. Declarative: see the note above. */
export class VirtualDirectory extends pulumi.ComponentResource {
  public readonly site: pulumi.Output<string>;
  public readonly vdirName: pulumi.Output<string>;
  public readonly kind: pulumi.Output<"app" | "vdir">;
  public readonly physicalPath: pulumi.Output<string>;
  public readonly auth: pulumi.Output<{ anonymous?: boolean; windows?: boolean }>;
  public readonly requireSsl: pulumi.Output<boolean | undefined>;

  constructor(name: string, args: VirtualDirectoryArgs, opts?: pulumi.ComponentResourceOptions) {
    const props = VirtualDirectory.props(name, args);
    super(TYPES.vdir, name, props, opts);
    this.site = pulumi.output(props.site);
    this.vdirName = pulumi.output(props.name);
    this.kind = pulumi.output(props.kind ?? "vdir") as pulumi.Output<"app" | "vdir">;
    this.physicalPath = pulumi.output(props.physicalPath);
    this.auth = pulumi.output(props.auth) as pulumi.Output<{ anonymous?: boolean; windows?: boolean }>;
    this.requireSsl = pulumi.output(props.requireSsl);
    this.registerOutputs(props);
  }

  private static props(name: string, args: VirtualDirectoryArgs): VirtualDirectoryArgs {
    const parsed = validateArgs("VirtualDirectory", name, VirtualDirectoryProps, defined({ ...args }));
    return parsed ? defined({ ...parsed }) : defined({ kind: "vdir" as const, ...args });
  }
}

export interface AclEntryArgs {
  principal: pulumi.Input<string>;
  /** F = Full Control, RX = Read & Execute. */
  rights: pulumi.Input<"F" | "RX">;
}

export interface DirectoryAclArgs {
  /** Absolute Windows path of the folder. */
  path: pulumi.Input<string>;
  /** Allow entries applied to the folder and everything below it ((OI)(CI)). */
  entries: pulumi.Input<pulumi.Input<AclEntryArgs>[]>;
  /** selfupdate: the WSUS SelfUpdate folder (judged against KB cause 1); unset: a folder named Selfupdate is. */
  purpose?: pulumi.Input<"selfupdate" | "other">;
}

/** Required NTFS entries of a folder. Declarative: see the note above. */
export class DirectoryAcl extends pulumi.ComponentResource {
  public readonly path: pulumi.Output<string>;
  public readonly entries: pulumi.Output<{ principal: string; rights: "F" | "RX" }[]>;

  constructor(name: string, args: DirectoryAclArgs, opts?: pulumi.ComponentResourceOptions) {
    const props = DirectoryAcl.props(name, args);
    super(TYPES.acl, name, props, opts);
    this.path = pulumi.output(props.path);
    this.entries = pulumi.output(props.entries) as pulumi.Output<{ principal: string; rights: "F" | "RX" }[]>;
    this.registerOutputs(props);
  }

  private static props(name: string, args: DirectoryAclArgs): DirectoryAclArgs {
    const parsed = validateArgs("DirectoryAcl", name, DirectoryAclProps, defined({ ...args }));
    return parsed ? defined({ ...parsed }) : defined({ ...args });
  }
}
