/**
 * The wsus-iis stack program (Pulumi.yaml `main: index.ts`): one WsusIisLayout per server listed in the
 * stack config `wsus-iis:servers` (see components/stack.ts and Pulumi.lab.yaml), compliance per server
 * as stack outputs. Run with the policy pack: `pulumi preview --policy-pack policies`.
 */
import { deployStack } from "./components/stack";

const stack = deployStack();

// Stack outputs are computed by the program, so they are as of the last `pulumi up` (or preview): a plain
// `pulumi refresh` updates the WsusIisServer resources' own state only, not component or stack outputs
// (pkg/resource/deploy at v3.248.0: refresh runs Read on custom resources; the program does not run).
// Use `pulumi up --refresh` to bring them up to date, or read the server resources' outputs.

/** Per server: target, configuration, profile, compliant, number of failing findings (as of the last up). */
export const servers = stack.servers;
/** Servers with failing findings after the last up. */
export const drifted = stack.drifted;
/** Every server compliant (as of the last up). */
export const compliant = stack.compliant;
