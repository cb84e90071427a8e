"""Writer for Sibyl model files (format version 1) and the canonical tensor encoding.

Mirrors packages/sibyl-model/src/format/writer.rs and docs/model-format.md byte for byte; the Rust
tests parse what this writes and check that re-encoding gives the same bytes.
"""

import hashlib
import struct

MODEL_MAGIC = b"SIBYLMDL"
MODEL_VERSION = 1
DTYPE = {"i8": 1, "u8": 2, "i32": 3}
OP = {"fully_connected": 1, "conv2d": 2, "max_pool2d": 3, "avg_pool2d": 4, "add": 5, "reshape": 6, "arg_max": 7}
PER_TENSOR, PER_CHANNEL = 0, 1


def u32(v):
    return struct.pack("<I", int(v))


def i32(v):
    return struct.pack("<i", int(v))


def spec(dtype, shape):
    return bytes([DTYPE[dtype], len(shape)]) + b"".join(u32(d) for d in shape)


def output_stage(requants, zero_point, clamp):
    """requants: list of (multiplier, shift); one entry = per tensor."""
    out = bytes([PER_TENSOR if len(requants) == 1 else PER_CHANNEL])
    for m, s in requants:
        out += i32(m) + i32(s)
    return out + i32(zero_point) + i32(clamp[0]) + i32(clamp[1])


def fully_connected(weights, bias, input_zero_point, requants, zero_point, clamp):
    out_features, in_features = weights.shape
    return (OP["fully_connected"],
            u32(in_features) + u32(out_features) + i32(input_zero_point)
            + weights.astype("<i1").tobytes() + bias.astype("<i4").tobytes()
            + output_stage(requants, zero_point, clamp))


def conv2d(weights, bias, input_zero_point, requants, zero_point, clamp, stride=(1, 1), padding=(0, 0, 0, 0), groups=1):
    """weights: OHWI [out, kh, kw, in/groups]; padding: (top, bottom, left, right)."""
    out_c, kh, kw, icg = weights.shape
    head = b"".join(u32(v) for v in (out_c, kh, kw, icg, groups, stride[0], stride[1], *padding))
    return (OP["conv2d"],
            head + i32(input_zero_point) + weights.astype("<i1").tobytes() + bias.astype("<i4").tobytes()
            + output_stage(requants, zero_point, clamp))


def max_pool2d(kernel, stride, padding=(0, 0, 0, 0)):
    return (OP["max_pool2d"], b"".join(u32(v) for v in (*kernel, *stride, *padding)))


def reshape(shape):
    return (OP["reshape"], bytes([len(shape)]) + b"".join(u32(d) for d in shape))


def arg_max():
    return (OP["arg_max"], b"")


def model_file(input_spec, output_spec, layers):
    out = MODEL_MAGIC + struct.pack("<H", MODEL_VERSION) + spec(*input_spec) + spec(*output_spec) + u32(len(layers))
    for code, payload in layers:
        out += bytes([code]) + u32(len(payload)) + payload
    return out


def canonical_tensor(dtype, shape, data):
    """"SIBT" | version 1 | dtype | rank | dims u32 LE | element bytes LE."""
    return b"SIBT" + bytes([1, DTYPE[dtype], len(shape)]) + b"".join(u32(d) for d in shape) + data


def sha256_hex(data):
    return hashlib.sha256(data).hexdigest()
