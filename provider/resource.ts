import * as pulumi from "@pulumi/pulumi";
import type { SpecInput } from "../core/model/spec";
import type { Finding } from "../core/rules/finding";
import { wsusIisProvider } from "./provider";
import type { OwnedItem } from "./undo";

/** ssh credentials for `ssh://` targets; kept secret in state. */
export interface WsusIisServerCredentials {
  /** Path of the ssh private key (`ssh -i`); otherwise ssh-agent / the user's default keys. */
  sshIdentity?: pulumi.Input<string>;
  /** known_hosts file the host key is verified against (default: the user's). */
  knownHostsFile?: pulumi.Input<string>;
}

export interface WsusIisServerArgs {
  /**
   * The desired IIS layout (core/model/spec.ts). `{}` = profile and configuration auto: read from the
   * server before anything is repaired (the `layout` output says what was found and why).
   */
  spec: pulumi.Input<SpecInput>;
  /** `lab:DIR`, `local` or `ssh://user@host[:port]`. Changing it replaces the resource (another server). */
  target: pulumi.Input<string>;
  credentials?: pulumi.Input<WsusIisServerCredentials>;
  /**
   * On delete, remove what this resource added (vdirs, apps, sites, bindings, ACEs it granted, group
   * members it added) and nothing else. Default false: the server is left as it is.
   */
  removeOnDelete?: pulumi.Input<boolean>;
}

/**
 * One WSUS server's IIS layout, converged by the wsus-iis dynamic provider: create/update run
 * one read + one apply round trip (drift guard, backup, rollback); refresh reads compliance live.
 * Type token: `pulumi-nodejs:dynamic/wsus-iis:WsusIisServer`.
 */
export class WsusIisServer extends pulumi.dynamic.Resource {
  declare public readonly spec: pulumi.Output<SpecInput>;
  declare public readonly target: pulumi.Output<string>;
  declare public readonly credentials: pulumi.Output<{ sshIdentity?: string; knownHostsFile?: string } | undefined>;
  declare public readonly removeOnDelete: pulumi.Output<boolean | undefined>;
  /** No fail finding after the last converge / refresh. */
  declare public readonly compliant: pulumi.Output<boolean>;
  declare public readonly findings: pulumi.Output<Finding[]>;
  /** Commands the last create/update ran on the server. */
  declare public readonly appliedCommands: pulumi.Output<string[]>;
  /** sha256 of applicationHost.config as last seen. */
  declare public readonly configHash: pulumi.Output<string>;
  /** "applied" / "nothing-to-do" (last converge) or "observed" (read without a converge before). */
  declare public readonly status: pulumi.Output<string>;
  declare public readonly backupName: pulumi.Output<string | null>;
  declare public readonly roundTrips: pulumi.Output<number>;
  /** What this resource added to the server (what removeOnDelete removes). */
  declare public readonly owned: pulumi.Output<OwnedItem[]>;
  /** Repair steps the last refresh found pending (drift); `pulumi up` applies them. */
  declare public readonly pendingSteps: pulumi.Output<number>;
  /** Fixes a person has to make. */
  declare public readonly manualSteps: pulumi.Output<string[]>;
  /** Profile and configuration judged against, and why (read from the server when the spec says auto). */
  declare public readonly layout: pulumi.Output<{ profile: "kb920659" | "modern"; configuration: 1 | 2; reasons: string[] }>;

  constructor(name: string, args: WsusIisServerArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      wsusIisProvider,
      name,
      {
        spec: args.spec,
        target: args.target,
        credentials: args.credentials === undefined ? undefined : pulumi.secret(args.credentials),
        removeOnDelete: args.removeOnDelete,
        compliant: undefined,
        findings: undefined,
        appliedCommands: undefined,
        configHash: undefined,
        status: undefined,
        backupName: undefined,
        roundTrips: undefined,
        owned: undefined,
        pendingSteps: undefined,
        manualSteps: undefined,
        layout: undefined,
      },
      { ...opts, additionalSecretOutputs: [...new Set([...(opts?.additionalSecretOutputs ?? []), "credentials"])] },
      "wsus-iis",
      "WsusIisServer",
    );
  }
}
