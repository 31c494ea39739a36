import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // forks + isolate: Pulumi's mock runtime and provider cache are process-global (see notes/pulumi-testing.md).
    pool: "forks",
    isolate: true,
    testTimeout: 30_000,
    hookTimeout: 120_000,
    // Builds dist/ when missing or stale: the serialized provider loads the compiled package (wsus-iis/provider-runtime).
    globalSetup: ["./test/harness/globalSetup.ts"],
  },
});
