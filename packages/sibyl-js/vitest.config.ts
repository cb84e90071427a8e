import { fileURLToPath } from "node:url";

import { defineConfig } from "vitest/config";

/** The examples import the package by its name, as a dApp does. */
export const resolve = {
  alias: { "sibyl-js": fileURLToPath(new URL("src/index.ts", import.meta.url)) },
};

// Unit tests: no chain. The chain tests have their own config (vitest.chain.config.ts).
export default defineConfig({
  resolve,
  test: { include: ["test/**/*.test.ts"], exclude: ["test/chain/**"] },
});
