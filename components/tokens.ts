/**
 * Pulumi type tokens of this package. Plain constants without imports, shared by the components and the
 * policy pack (policies/), which must not load the components themselves.
 */
export const TYPES = {
  layout: "wsus-iis:index:WsusIisLayout",
  site: "wsus-iis:index:IisSite",
  vdir: "wsus-iis:index:VirtualDirectory",
  acl: "wsus-iis:index:DirectoryAcl",
  /** The dynamic resource (provider/resource.ts): `pulumi-nodejs:dynamic/<module>:<type>`. */
  server: "pulumi-nodejs:dynamic/wsus-iis:WsusIisServer",
} as const;

export type TypeToken = (typeof TYPES)[keyof typeof TYPES];
