// The attestation digest, commitment and key-possession digest of packages/sibyl-api
// (src/attestation.rs documents the byte layouts), so that a dApp can recompute what the escrow
// checked. tests/attestation.test.ts pins them to the known answers the Rust tests also check.
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { sha256 } from "@noble/hashes/sha2.js";

export const COMMITMENT_DOMAIN = "sibyl/commitment/v1";
export const ATTESTATION_DOMAIN = "sibyl/attestation/v1";
export const KEY_POSSESSION_DOMAIN = "sibyl/attestation-key/v1";
/** A compact secp256k1 signature (`r ‖ s`). */
export const SIGNATURE_LEN = 64;
/** A compressed SEC1 secp256k1 public key. */
export const PUBKEY_LEN = 33;

const U64_MAX = (1n << 64n) - 1n;

/** A job id: a bigint, or a number as the generated clients carry it (exact below 2^53). */
export type JobId = bigint | number;

/** sha256 of the canonical output bytes: the output hash operators commit to. */
export function outputHash(output: Uint8Array): Uint8Array {
  return sha256(output);
}

/** sha256 of the raw input bytes. */
export function inputHash(input: Uint8Array): Uint8Array {
  return sha256(input);
}

/** The commitment an operator posts before it reveals `outputHash` with `salt`. */
export function commitment(
  jobId: JobId,
  outputHash: Uint8Array,
  salt: Uint8Array,
  operator: string,
): Uint8Array {
  return sha256(
    concat(
      lengthPrefixed(utf8(COMMITMENT_DOMAIN)),
      u64(jobId),
      hash32(outputHash, "output hash"),
      lengthPrefixed(salt),
      lengthPrefixed(utf8(operator)),
    ),
  );
}

/** The 32-byte message an operator's attestation key signs for a job's output. */
export function attestationDigest(
  chainId: string,
  escrow: string,
  jobId: JobId,
  modelHash: Uint8Array,
  inputHash: Uint8Array,
  outputHash: Uint8Array,
): Uint8Array {
  return sha256(
    concat(
      lengthPrefixed(utf8(ATTESTATION_DOMAIN)),
      lengthPrefixed(utf8(chainId)),
      lengthPrefixed(utf8(escrow)),
      u64(jobId),
      hash32(modelHash, "model hash"),
      hash32(inputHash, "input hash"),
      hash32(outputHash, "output hash"),
    ),
  );
}

/** The 32-byte message a new attestation key signs to be registered for `operator`. */
export function keyPossessionDigest(
  chainId: string,
  staking: string,
  operator: string,
  pubkey: Uint8Array,
): Uint8Array {
  return sha256(
    concat(
      lengthPrefixed(utf8(KEY_POSSESSION_DOMAIN)),
      lengthPrefixed(utf8(chainId)),
      lengthPrefixed(utf8(staking)),
      lengthPrefixed(utf8(operator)),
      lengthPrefixed(pubkey),
    ),
  );
}

/**
 * Whether `signature` (64 bytes, `r ‖ s`) by `pubkey` (33 bytes) signs `digest` used directly as
 * the message hash, as the contracts check it: high-S signatures are accepted like the host's
 * `secp256k1_verify` accepts them.
 */
export function verifySignature(
  signature: Uint8Array,
  digest: Uint8Array,
  pubkey: Uint8Array,
): boolean {
  if (signature.length !== SIGNATURE_LEN || pubkey.length !== PUBKEY_LEN || digest.length !== 32) {
    return false;
  }
  try {
    return secp256k1.verify(signature, digest, pubkey, { prehash: false, lowS: false });
  } catch {
    // Not a curve point, or r or s out of range.
    return false;
  }
}

function utf8(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

function lengthPrefixed(bytes: Uint8Array): Uint8Array {
  const prefix = new Uint8Array(4);
  new DataView(prefix.buffer).setUint32(0, bytes.length, false);
  return concat(prefix, bytes);
}

function u64(jobId: JobId): Uint8Array {
  // BigInt() refuses a fractional number; an unsafe integer may already have been rounded.
  if (typeof jobId === "number" && !Number.isSafeInteger(jobId)) {
    throw new RangeError(`job id ${jobId} is not exact as a number: pass a bigint`);
  }
  const value = BigInt(jobId);
  if (value < 0n || value > U64_MAX) {
    throw new RangeError(`job id ${value} is not a u64`);
  }
  const bytes = new Uint8Array(8);
  new DataView(bytes.buffer).setBigUint64(0, value, false);
  return bytes;
}

function hash32(bytes: Uint8Array, what: string): Uint8Array {
  if (bytes.length !== 32) {
    throw new RangeError(`${what} must be 32 bytes, got ${bytes.length}`);
  }
  return bytes;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
