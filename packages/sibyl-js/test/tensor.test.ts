import { fromHex, toHex } from "@cosmjs/encoding";
import { describe, expect, it } from "vitest";

import { outputHash } from "../src/attestation.js";
import { TensorDecodeError, decodeTensor } from "../src/tensor.js";

describe("decodeTensor", () => {
  it("decodes the example of docs/model-format.md, whose hash is pinned there", () => {
    const bytes = fromHex("53494254" + "01" + "03" + "02" + "01000000" + "01000000" + "07000000");
    expect(decodeTensor(bytes)).toEqual({ dtype: "i32", shape: [1, 1], values: Int32Array.of(7) });
    expect(toHex(outputHash(bytes))).toBe(
      "eb4b768e5b1bc31597faac47f20f6e8c2294ffad737a8a8a5853f37036535c83",
    );
  });

  it("reads each dtype little-endian and signed as the model defines it", () => {
    const i32 = fromHex("534942540103010200000000000080ffffffff");
    expect(decodeTensor(i32).values).toEqual(Int32Array.of(-2147483648, -1));
    const i8 = fromHex("5349425401010103000000ff807f");
    expect(decodeTensor(i8)).toEqual({
      dtype: "i8",
      shape: [3],
      values: Int8Array.of(-1, -128, 127),
    });
    const u8 = fromHex("5349425401020201000000020000000aff");
    expect(decodeTensor(u8)).toEqual({
      dtype: "u8",
      shape: [1, 2],
      values: Uint8Array.of(10, 255),
    });
  });

  it("decodes a scalar (rank 0) and a tensor with a zero dimension", () => {
    expect(decodeTensor(fromHex("534942540103002a000000"))).toEqual({
      dtype: "i32",
      shape: [],
      values: Int32Array.of(42),
    });
    expect(decodeTensor(fromHex("53494254010101" + "00000000")).values).toHaveLength(0);
  });

  it("decodes a tensor that is a view into a larger buffer", () => {
    const buffer = fromHex("ff" + "5349425401030101000000" + "05000000");
    expect(decodeTensor(buffer.subarray(1)).values).toEqual(Int32Array.of(5));
  });

  it.each([
    ["", "canonical tensor is truncated"],
    ["534942540103", "canonical tensor is truncated"],
    ["5349425401030201000000", "canonical tensor is truncated"],
    ["5349425801030000000000", 'the first 4 bytes are not "SIBT"'],
    ["5349425402030000000000", "canonical tensor version 2 is not supported"],
    ["5349425401040000000000", "unknown dtype code 4"],
    ["53494254010309", "rank 9 is over the maximum of 8"],
    ["534942540103010200000001000000", "tensor i32[2] needs 8 data bytes, found 4"],
    ["53494254010301010000000100000002000000", "tensor i32[1] needs 4 data bytes, found 8"],
    ["53494254010102ffffffffffffffff", "needs 18446744065119617025 data bytes, found 0"],
  ])("refuses %s: %s", (hex, message) => {
    expect(() => decodeTensor(fromHex(hex))).toThrow(TensorDecodeError);
    expect(() => decodeTensor(fromHex(hex))).toThrow(message);
  });
});
