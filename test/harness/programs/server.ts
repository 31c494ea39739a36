// A stack program for the mini engine's tests (test/engine-options.test.ts): one WsusIisServer, its args and
// resource options from stack config `wsus-iis-test:server` = { name, spec, target, removeOnDelete?, options? },
// options being { replaceOnChanges?, retainOnDelete?, ignoreChanges?, deleteBeforeReplace?, customTimeouts? }.
// Run through @pulumi/pulumi's cmd/run by test/harness/engine.ts, like Pulumi.yaml's `main` would.
import * as pulumi from "@pulumi/pulumi";
import { WsusIisServer } from "../../../provider/resource";

interface ServerConfig {
  name: string;
  spec: Record<string, unknown>;
  target: string;
  removeOnDelete?: boolean;
  options?: pulumi.CustomResourceOptions;
}

const cfg = new pulumi.Config("wsus-iis-test").requireObject<ServerConfig>("server");
const server = new WsusIisServer(cfg.name, { spec: cfg.spec, target: cfg.target, ...(cfg.removeOnDelete === undefined ? {} : { removeOnDelete: cfg.removeOnDelete }) }, cfg.options ?? {});

export const compliant = server.compliant;
export const status = server.status;
