/**
 * The wsus-iis library (package entry `wsus-iis`): Pulumi components and the dynamic provider, and the
 * same model, rules, planner and operations the CLI uses. The root index.ts is the stack program, not
 * this.
 */
export * from "./components";
export { WsusIisServer, type WsusIisServerArgs } from "./provider";
export { parseSpec, SpecSchema, SpecError, type Spec, type SpecInput } from "./core/model/spec";
export { resolveLayout, type Layout } from "./core/model/layout";
export { checkEvidence } from "./core/check";
export { Evidence, EVIDENCE_SCHEMA_ID } from "./core/evidence/schema";
export { RULES, evaluate, toReport, type Finding, type Report, type Rule } from "./core/rules";
export { plan, type Plan } from "./core/plan/planner";
export { stateFromEvidence } from "./core/state/fromEvidence";
export { stateFromLayout } from "./core/state/fromDeclaration";
export { checkTarget, planTarget, converge } from "./ops/converge";
export { openTransport, parseTarget, TransportError, type Transport } from "./transports";
export { probe } from "./core/probe";
