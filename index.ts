/**
 * The wsus-iis stack program (Pulumi.yaml `main: index.ts`): one WsusIisLayout per server listed in the
 * stack config `wsus-iis:servers` (see components/stack.ts and Pulumi.lab.yaml), compliance per server
 * as stack outputs. Run with the policy pack: `pulumi preview --policy-pack policies`.
 */
import { deployStack } from "./components/stack";

const stack = deployStack();

/** Per server: target, configuration, profile, compliant, number of failing findings. */
export const servers = stack.servers;
/** Servers with failing findings after the last up/refresh. */
export const drifted = stack.drifted;
/** Every server compliant. */
export const compliant = stack.compliant;
