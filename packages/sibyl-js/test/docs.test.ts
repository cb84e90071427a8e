import { readFileSync } from "node:fs";

import { expect, it } from "vitest";

it("the dApp guide shows examples/classify-digit.ts unchanged", () => {
  const guide = readFileSync(new URL("../../../docs/dapp-guide.md", import.meta.url), "utf8");
  const section = guide.slice(guide.indexOf("## From TypeScript"));
  const shown = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
  const example = readFileSync(new URL("../examples/classify-digit.ts", import.meta.url), "utf8");
  expect(shown).toBe(example);
});
