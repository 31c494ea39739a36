/**
 * Pulumi components for a WSUS server's IIS layout (KB 920659).
 *
 * - WsusIisLayout: the whole layout of one server; creates the building blocks below (to show and
 *   judge the layout) and the one WsusIisServer dynamic resource that checks and converges the server.
 * - IisSite, VirtualDirectory, DirectoryAcl: declarative building blocks (no provider of their own);
 *   convergence happens only through WsusIisServer. The policy pack judges them.
 * - presets.configuration1/2({ profile }): spec inputs for the KB's two layouts.
 */
export { WsusIisLayout, summarize, type WsusIisLayoutArgs, type ServerCredentials, type LayoutSummary } from "./layout";
export { IisSite, VirtualDirectory, DirectoryAcl, type IisSiteArgs, type VirtualDirectoryArgs, type DirectoryAclArgs, type AclEntryArgs } from "./blocks";
export { presets, withOverrides, type PresetOptions } from "./presets";
export { TYPES } from "./tokens";
export { ComponentArgsError } from "./validate";
export { deployStack, parseServersConfig, specOf, StackConfigError, type ServerEntry, type StackResult } from "./stack";
