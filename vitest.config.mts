import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // forks + isolate: Pulumi's mock runtime and provider cache are process-global (see notes/pulumi-testing.md).
    pool: "forks",
    isolate: true,
    testTimeout: 30_000,
    hookTimeout: 120_000,
  },
});
