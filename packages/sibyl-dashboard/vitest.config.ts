import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/setup.ts"],
    // Deploying on the localnet and waiting for blocks.
    hookTimeout: 300_000,
    testTimeout: 120_000,
  },
});
