#!/usr/bin/env node
"use strict";
// A fresh process that loads a serialized dynamic provider exactly like @pulumi/pulumi's
// cmd/dynamic-provider does (require-from-string with filename '', then .handler()) and calls its
// methods on request. Run it with cwd = the project directory (the plugin's cwd): the provider
// resolves its runtime from there.
//
//   node scripts/provider-host.cjs <file holding the __provider text>
//
// stdout: one JSON line per message. First {"ready":true,"loadMs":…}, then for each request line
// {"id","method","args"} on stdin a reply {"id","ok":true,"result","ms"} or {"id","ok":false,"error":{name,message,stack},"ms"}.
// Ends when stdin closes.
const fs = require("node:fs");
const readline = require("node:readline");
const { createRequire } = require("node:module");

// The plugin's own copy: require-from-string as @pulumi/pulumi resolves it.
const pulumiRequire = createRequire(require.resolve("@pulumi/pulumi/package.json"));
const requireFromString = pulumiRequire("require-from-string");

const send = (m) => process.stdout.write(JSON.stringify(m) + "\n");
const t0 = performance.now();
let provider;
try {
  provider = requireFromString(fs.readFileSync(process.argv[2], "utf8")).handler();
} catch (e) {
  send({ ready: false, error: { name: e && e.name, message: String(e && e.message), stack: String(e && e.stack) } });
  process.exit(1);
}
send({ ready: true, loadMs: performance.now() - t0 });

let pending = Promise.resolve();
readline.createInterface({ input: process.stdin }).on("line", (line) => {
  if (!line.trim()) return;
  const { id, method, args } = JSON.parse(line);
  // One call at a time, in order (like the engine does for one resource).
  pending = pending.then(async () => {
    const t = performance.now();
    try {
      if (typeof provider[method] !== "function") throw new Error(`provider has no method ${method}`);
      const result = await provider[method](...(args || []));
      send({ id, ok: true, result: result === undefined ? null : result, ms: performance.now() - t });
    } catch (e) {
      send({ id, ok: false, error: { name: e && e.name, message: String(e && e.message), stack: String(e && e.stack) }, ms: performance.now() - t });
    }
  });
});
