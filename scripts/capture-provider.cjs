#!/usr/bin/env node
"use strict";
// Construct the REAL WsusIisServer under pulumi.runtime.setMocks in plain Node (no vitest transform,
// no tsx unless asked for) and print what the engine would receive for it as one JSON line:
// { type, name, inputs (incl. the serialized `__provider` text), serializeMs }.
//
//   node scripts/capture-provider.cjs ['<WsusIisServerArgs as JSON>'] [module]
//
// module defaults to "wsus-iis/provider" (the package's own export: dist/provider, like a user program
// would load it); `node --import tsx scripts/capture-provider.cjs '{…}' ./provider/index.ts` serializes
// from the TypeScript sources instead. With WSUS_CAPTURE_TS_NODE=1 the sources are compiled by the
// ts-node the Pulumi language host registers for `runtime.options.typescript: true` (cmd/run: the
// project's ts-node, or @pulumi/pulumi's vendored one, with the project's typescript and tsconfig.json).
// Args containing {"$secret": v} become pulumi.secret(v).
if (process.env.WSUS_CAPTURE_TS_NODE === "1") {
  const tsutils = require("@pulumi/pulumi/tsutils");
  const { tsnodeRequire, typescriptRequire } = tsutils.typeScriptRequireStrings();
  require(tsnodeRequire).register({ compiler: typescriptRequire, transpileOnly: true, project: "tsconfig.json", skipProject: false, compilerOptions: {} });
}
const pulumi = require("@pulumi/pulumi");
const path = require("node:path");

function revive(v) {
  if (Array.isArray(v)) return v.map(revive);
  if (v && typeof v === "object") {
    if (Object.keys(v).length === 1 && "$secret" in v) return pulumi.secret(revive(v.$secret));
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, revive(x)]));
  }
  return v;
}

(async () => {
  const captured = {};
  await pulumi.runtime.setMocks(
    {
      newResource: (a) => {
        captured[a.name] = { type: a.type, name: a.name, inputs: a.inputs };
        return { id: `${a.name}-id`, state: a.inputs };
      },
      call: (a) => a.inputs,
    },
    "proj",
    "dev",
    false,
  );
  const args = revive(JSON.parse(process.argv[2] || '{"spec":{},"target":"lab:/tmp/unused"}'));
  const spec = process.argv[3] || "wsus-iis/provider";
  const mod = require(spec.startsWith(".") ? path.resolve(spec) : spec);
  const t0 = performance.now();
  const res = new mod.WsusIisServer("srv", args);
  await new Promise((resolve) => res.urn.apply(() => resolve()));
  const serializeMs = performance.now() - t0;
  if (!captured.srv) throw new Error("the mock monitor saw no resource named srv");
  process.stdout.write(JSON.stringify({ ...captured.srv, serializeMs }) + "\n");
})().catch((e) => {
  console.error("capture-provider failed:", e && e.stack ? e.stack : e);
  process.exit(1);
});
