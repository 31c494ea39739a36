// For setMocks tests that construct WsusIisServer (or components holding one) INSIDE vitest:
// Pulumi's closure serializer cannot serialize vitest-transformed code (notes/pulumi-testing.md §1,
// gotcha 5), and a failed serialization is cached per provider object. Call this BEFORE the first
// dynamic resource is constructed; the mocks then see `__provider` = the stub text below.
// The real serialization is tested in a child process (test/provider-serialize.test.ts).
import { createRequire } from "node:module";

export const STUB_PROVIDER_TEXT = "exports.handler = () => ({}); // serializeFunction stubbed for in-process tests";

export function stubProviderSerialization(): void {
  // The same CJS instance @pulumi/pulumi/dynamic requires lazily.
  const require_ = createRequire(__filename);
  const sc = require_("@pulumi/pulumi/runtime/closure/serializeClosure");
  sc.serializeFunction = async (_f: unknown, args: { exportName?: string } = {}) => ({
    text: STUB_PROVIDER_TEXT,
    exportName: args.exportName ?? "handler",
    containsSecrets: false,
  });
}
