// gRPC + protobuf modules loaded from @pulumi/pulumi's own resolution root, so that the generated
// stubs' instanceof checks and grpc-js's credential checks see the SAME module instances the plugin uses.
import { createRequire } from "node:module";

const req = createRequire(__filename);
const pulumiRequire = createRequire(req.resolve("@pulumi/pulumi/package.json"));

/* eslint-disable @typescript-eslint/no-explicit-any */
export const grpc = pulumiRequire("@grpc/grpc-js") as typeof import("@grpc/grpc-js");
export const provrpc: any = pulumiRequire("./proto/provider_grpc_pb");
export const provproto: any = pulumiRequire("./proto/provider_pb");
export const structproto: any = pulumiRequire("google-protobuf/google/protobuf/struct_pb");
export const emptyproto: any = pulumiRequire("google-protobuf/google/protobuf/empty_pb");
export const dynamicProviderEntry = req.resolve("@pulumi/pulumi/cmd/dynamic-provider/index.js");

/** The engine's sentinel for unknown (computed) values inside Structs. */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** Promisify a unary grpc-js client call. */
export function unary<Resp>(client: any, method: string, request: unknown): Promise<Resp> {
  return new Promise((resolve, reject) => client[method](request, (err: Error | null, resp: Resp) => (err ? reject(err) : resolve(resp))));
}
