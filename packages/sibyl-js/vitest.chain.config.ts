import { defineConfig } from "vitest/config";

import { resolve } from "./vitest.config.js";

// Chain tests: the real local wasmd node and real `sibyl-oracle run` operators
// (test/chain/setup.ts).
export default defineConfig({
  resolve,
  test: {
    include: ["test/chain/**/*.chain.test.ts"],
    globalSetup: ["test/chain/setup.ts"],
    // One file at a time: the operators and the chain share two cores in CI.
    fileParallelism: false,
    testTimeout: 180_000,
    hookTimeout: 180_000,
  },
});
