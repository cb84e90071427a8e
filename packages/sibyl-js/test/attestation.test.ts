import { fromHex, toHex } from "@cosmjs/encoding";
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { describe, expect, it } from "vitest";

import {
  attestationDigest,
  commitment,
  inputHash,
  keyPossessionDigest,
  outputHash,
  verifySignature,
} from "../src/attestation.js";
import { vectors } from "./vectors.js";

/** Signs like the oracle: RFC 6979, the digest as the message hash, low s. */
function sign(digest: Uint8Array, privateKey: string): Uint8Array {
  return secp256k1.sign(digest, fromHex(privateKey), { prehash: false });
}

describe("attestation digests", () => {
  it.each(vectors.attestation_digests.map((c) => [c.name, c] as const))("%s", (_, c) => {
    expect(toHex(inputHash(fromHex(c.input)))).toBe(c.input_hash);
    expect(toHex(outputHash(fromHex(c.output)))).toBe(c.output_hash);
    const digest = attestationDigest(
      c.chain_id,
      c.escrow,
      BigInt(c.job_id),
      fromHex(c.model_hash),
      fromHex(c.input_hash),
      fromHex(c.output_hash),
    );
    expect(toHex(digest)).toBe(c.digest);
    expect(toHex(secp256k1.getPublicKey(fromHex(c.private_key), true))).toBe(c.public_key);
    expect(toHex(sign(digest, c.private_key))).toBe(c.signature);
    expect(verifySignature(fromHex(c.signature), digest, fromHex(c.public_key))).toBe(true);
  });

  it("covers the cases the layout must survive", () => {
    const names = vectors.attestation_digests.map((c) => c.name);
    expect(names).toEqual([
      "digits model, first test image, output [[2]]",
      "max job id",
      "job id above 2^53",
      "empty strings",
      "non-ASCII chain id and escrow",
    ]);
  });

  it("takes a job id as a number while it is exact, and refuses one that is not", () => {
    const [c] = vectors.attestation_digests;
    const args = [fromHex(c!.model_hash), fromHex(c!.input_hash), fromHex(c!.output_hash)] as const;
    expect(toHex(attestationDigest(c!.chain_id, c!.escrow, Number(c!.job_id), ...args))).toBe(
      c!.digest,
    );
    expect(() => attestationDigest("c", "e", 2 ** 53 + 2, ...args)).toThrow(/pass a bigint/);
    expect(() => attestationDigest("c", "e", 1n << 64n, ...args)).toThrow(/not a u64/);
    expect(() => attestationDigest("c", "e", 1, args[0], args[1], new Uint8Array(31))).toThrow(
      /output hash must be 32 bytes/,
    );
  });
});

describe("commitments", () => {
  it.each(vectors.commitments.map((c) => [c.name, c] as const))("%s", (_, c) => {
    const got = commitment(BigInt(c.job_id), fromHex(c.output_hash), fromHex(c.salt), c.operator);
    expect(toHex(got)).toBe(c.commitment);
  });

  it("includes an empty salt and two splits of the same bytes, which differ", () => {
    const byName = Object.fromEntries(vectors.commitments.map((c) => [c.name, c]));
    expect(byName["empty salt"]!.salt).toBe("");
    expect(byName["salt and operator split one way"]!.commitment).not.toBe(
      byName["salt and operator split another way"]!.commitment,
    );
  });
});

describe("key-possession digests", () => {
  it.each(vectors.key_possession_digests.map((c) => [c.name, c] as const))("%s", (_, c) => {
    const digest = keyPossessionDigest(c.chain_id, c.staking, c.operator, fromHex(c.public_key));
    expect(toHex(digest)).toBe(c.digest);
    if (c.private_key && c.signature) {
      expect(toHex(sign(digest, c.private_key))).toBe(c.signature);
      expect(verifySignature(fromHex(c.signature), digest, fromHex(c.public_key))).toBe(true);
    }
  });
});

describe("verifySignature", () => {
  const c = vectors.attestation_digests[0]!;
  const digest = fromHex(c.digest);
  const signature = fromHex(c.signature);
  const pubkey = fromHex(c.public_key);

  it("refuses another digest, another key and a signature over the hashed digest", () => {
    const other = digest.slice();
    other[0]! ^= 1;
    expect(verifySignature(signature, other, pubkey)).toBe(false);
    const otherKey = fromHex(vectors.attestation_digests[1]!.public_key);
    expect(verifySignature(signature, digest, otherKey)).toBe(false);
    const hashedAgain = secp256k1.sign(digest, fromHex(c.private_key));
    expect(verifySignature(hashedAgain, digest, pubkey)).toBe(false);
  });

  it("accepts the high-s twin of a signature, as the contracts' secp256k1_verify does", () => {
    const low = secp256k1.Signature.fromBytes(signature, "compact");
    const high = new secp256k1.Signature(low.r, secp256k1.Point.CURVE().n - low.s);
    expect(verifySignature(high.toBytes("compact"), digest, pubkey)).toBe(true);
  });

  it("refuses malformed input without throwing", () => {
    expect(verifySignature(signature.subarray(1), digest, pubkey)).toBe(false);
    expect(verifySignature(signature, digest, pubkey.subarray(1))).toBe(false);
    expect(verifySignature(new Uint8Array(64), digest, pubkey)).toBe(false);
    const notAPoint = pubkey.slice();
    notAPoint[0] = 0x05;
    expect(verifySignature(signature, digest, notAPoint)).toBe(false);
  });
});
