/** The lab server: a simulated WSUS server in a folder (see lab/README.md). */
export { createLab, applyBreak, labLayout, parseBreak, BREAKS, HEALTH_BREAKS, ALL_BREAKS, BREAK_DESCRIPTIONS, type Break, type CreateLabOptions, type LabInfo } from "./create";
export { collectEvidence, evidenceParams, type CollectEvidenceOptions } from "./evidence";
export { labHealthView, type LabHealthView } from "./health";
export {
  runCommand,
  runScript,
  LabServer,
  TransportDropError,
  DEFAULT_CWD,
  type CommandResult,
  type LabServerOptions,
  type RunOptions,
  type ScriptResult,
} from "./shell";
export { isLab, readLabState, writeLabState, LabError, LAB_SCHEMA_ID, type LabState } from "./state";
export { commandLineToArgv, quoteArg, expandVariables, splitCommandLine } from "./cmdline";
export { XmlDoc } from "./xml";
