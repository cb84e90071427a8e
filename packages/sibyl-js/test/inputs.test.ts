import { describe, expect, it } from "vitest";

import { tokenAmount } from "../src/staking.js";
import { jobInput } from "../src/submit.js";

describe("jobInput", () => {
  it("sends bytes inline as base64 and passes a remote input through", () => {
    expect(jobInput(Uint8Array.of(0, 1, 2, 255))).toEqual({ inline: { data: "AAEC/w==" } });
    const remote = { remote: { hash: "ab".repeat(32), uri: "https://example.org/in", size: 64 } };
    expect(jobInput(remote)).toBe(remote);
  });
});

describe("tokenAmount", () => {
  it("accepts a positive whole number as a string or a bigint", () => {
    expect(tokenAmount("1000000")).toBe("1000000");
    expect(tokenAmount(" 0042 ")).toBe("42");
    expect(tokenAmount(5n)).toBe("5");
    expect(tokenAmount((1n << 128n) - 1n)).toBe("340282366920938463463374607431768211455");
  });

  it.each(["0", "-1", "1.5", "1e6", "", "12usibyl", (1n << 128n).toString()])(
    "refuses %j",
    (amount) => {
      expect(() => tokenAmount(amount)).toThrow(
        /is not an amount of tokens: give a positive whole/,
      );
    },
  );
});
