// The mini engine's first name: `pulumi up/preview --policy-pack` without the CLI. Everything now lives in
// engine.ts (state across runs, refresh, destroy); this module keeps the old import path working.
export { runEngine, runRefresh, runDestroy, FileStack, readCheckpoint, writeCheckpoint } from "./engine";
export type { EngineOptions, EngineResult, Step, StepOp, RefreshStep, RefreshResult, DestroyResult, ProviderCall, Checkpoint, ResourceState } from "./engine";
export { stripSecrets as unsecret } from "./engineModel";
