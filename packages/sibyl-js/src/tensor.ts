// The canonical output tensor of docs/model-format.md ("Canonical output encoding"), as
// sibyl_model::Tensor::canonical_bytes writes it; decodeTensor refuses what from_canonical_bytes
// refuses, so a dApp and the operators agree on what a result means.

import { SibylError } from "./errors.js";

export type DType = "i8" | "u8" | "i32";

export interface Tensor {
  dtype: DType;
  /** Row-major dimensions (images are NHWC); empty for a scalar. */
  shape: number[];
  /** The elements in row-major order. */
  values: Int8Array | Uint8Array | Int32Array;
}

export const CANONICAL_MAGIC = "SIBT";
export const CANONICAL_VERSION = 1;
export const MAX_RANK = 8;

const DTYPES: Record<number, DType> = { 1: "i8", 2: "u8", 3: "i32" };
const HEADER_LEN = 7;

/** Why bytes are not a canonical tensor. */
export class TensorDecodeError extends SibylError {
  override name = "TensorDecodeError";
}

/** Decodes a job's output (`result.output`, base64-decoded). */
export function decodeTensor(bytes: Uint8Array): Tensor {
  if (bytes.length < HEADER_LEN) {
    throw new TensorDecodeError("canonical tensor is truncated");
  }
  if (new TextDecoder().decode(bytes.subarray(0, 4)) !== CANONICAL_MAGIC) {
    throw new TensorDecodeError('not a canonical tensor: the first 4 bytes are not "SIBT"');
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint8(4);
  if (version !== CANONICAL_VERSION) {
    throw new TensorDecodeError(
      `canonical tensor version ${version} is not supported; this client reads version 1`,
    );
  }
  const code = view.getUint8(5);
  const dtype = DTYPES[code];
  if (dtype === undefined) {
    throw new TensorDecodeError(`unknown dtype code ${code} (1 = int8, 2 = uint8, 3 = int32)`);
  }
  const rank = view.getUint8(6);
  if (rank > MAX_RANK) {
    throw new TensorDecodeError(`rank ${rank} is over the maximum of ${MAX_RANK}`);
  }
  const dataStart = HEADER_LEN + 4 * rank;
  if (bytes.length < dataStart) {
    throw new TensorDecodeError("canonical tensor is truncated");
  }
  const shape = Array.from({ length: rank }, (_, i) => view.getUint32(HEADER_LEN + 4 * i, true));
  // Products of u32 dimensions can pass 2^53: count in bigint so a huge shape cannot pass as a
  // small one.
  const elements = shape.reduce((count, dim) => count * BigInt(dim), 1n);
  const expected = elements * BigInt(dtype === "i32" ? 4 : 1);
  const found = bytes.length - dataStart;
  if (expected !== BigInt(found)) {
    throw new TensorDecodeError(
      `tensor ${dtype}[${shape.join(", ")}] needs ${expected} data bytes, found ${found}`,
    );
  }
  const data = bytes.slice(dataStart);
  const count = Number(elements);
  switch (dtype) {
    case "i8":
      return { dtype, shape, values: new Int8Array(data.buffer) };
    case "u8":
      return { dtype, shape, values: data };
    case "i32": {
      const values = new Int32Array(count);
      const dataView = new DataView(data.buffer);
      for (let i = 0; i < count; i++) {
        values[i] = dataView.getInt32(4 * i, true);
      }
      return { dtype, shape, values };
    }
  }
}
