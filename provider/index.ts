/** The wsus-iis Pulumi dynamic provider: one WsusIisServer resource per WSUS server. */
export { WsusIisServer, type WsusIisServerArgs, type WsusIisServerCredentials } from "./resource";
export { wsusIisProvider } from "./provider";
export type { ProviderInputs, ProviderOutputs, Credentials, CheckFailure, DiffResult } from "./runtime";
export type { OwnedItem } from "./undo";
/** The resource's type token. */
export const WSUS_IIS_SERVER_TYPE = "pulumi-nodejs:dynamic/wsus-iis:WsusIisServer";
