"""Pure-numpy simulation of Sibyl's integer operators (docs/integer-ops.md).

Everything is computed in int64 and checked to stay inside int32 where the Rust reference uses
int32, so the results equal the Rust CPU reference bit for bit.
"""

import numpy as np

INT32_MIN, INT32_MAX = -(1 << 31), (1 << 31) - 1


def check_i32(x, what):
    if x.size and (x.min() < INT32_MIN or x.max() > INT32_MAX):
        raise OverflowError(f"{what} leaves int32")
    return x


def srdhm(a, b):
    """gemmlowp SaturatingRoundingDoublingHighMul: floor(a*b/2^31 + 1/2), saturating MIN*MIN."""
    a = np.asarray(a, dtype=np.int64)
    b = np.asarray(b, dtype=np.int64)
    ab = a * b
    x = ab + np.where(ab >= 0, 1 << 30, 1 - (1 << 30))
    q = np.where(x >= 0, x >> 31, -((-x) >> 31))  # truncating division by 2^31
    return np.where((a == INT32_MIN) & (b == INT32_MIN), INT32_MAX, q)


def rounding_divide_by_pot(x, exponent):
    """gemmlowp RoundingDivideByPOT: x / 2^exponent, ties away from zero."""
    x = np.asarray(x, dtype=np.int64)
    exponent = np.asarray(exponent, dtype=np.int64)
    mask = (np.int64(1) << exponent) - 1
    remainder = x & mask
    threshold = (mask >> 1) + (x < 0)
    return (x >> exponent) + (remainder > threshold)


def multiply_by_quantized_multiplier(x, multiplier, shift):
    x = np.asarray(x, dtype=np.int64)
    shift = np.asarray(shift, dtype=np.int64)
    left = np.maximum(shift, 0)
    right = np.maximum(-shift, 0)
    shifted = check_i32(x << left, "left shift")
    return rounding_divide_by_pot(srdhm(shifted, multiplier), right)


def requantize(acc, multiplier, shift, zero_point, act_min, act_max):
    scaled = multiply_by_quantized_multiplier(acc, multiplier, shift)
    return np.clip(scaled + zero_point, act_min, act_max)


def im2col_nhwc(x, kh, kw, stride, padding, pad_value):
    """x: [n, h, w, c] -> patches [n, oh, ow, kh*kw*c] in (ky, kx, c) order."""
    top, bottom, left, right = padding
    n, h, w, c = x.shape
    padded = np.full((n, h + top + bottom, w + left + right, c), pad_value, dtype=x.dtype)
    padded[:, top:top + h, left:left + w, :] = x
    oh = (h + top + bottom - kh) // stride[0] + 1
    ow = (w + left + right - kw) // stride[1] + 1
    cols = np.empty((n, oh, ow, kh, kw, c), dtype=x.dtype)
    for ky in range(kh):
        for kx in range(kw):
            cols[:, :, :, ky, kx, :] = padded[:, ky:ky + stride[0] * oh:stride[0], kx:kx + stride[1] * ow:stride[1], :]
    return cols.reshape(n, oh, ow, kh * kw * c)


def conv2d(x, layer):
    """Groups = 1 NHWC convolution with OHWI weights, padding holds the input zero point."""
    w = layer["weights"].astype(np.int64)
    out_c, kh, kw, _ = w.shape
    centred = x.astype(np.int64) - layer["input_zero_point"]
    patches = im2col_nhwc(centred, kh, kw, layer["stride"], layer["padding"], 0)
    acc = check_i32(patches @ w.reshape(out_c, -1).T + layer["bias"], "conv accumulator")
    return requantize(acc, layer["multipliers"], layer["shifts"], layer["output_zero_point"], *layer["clamp"])


def fully_connected(x, layer):
    acc = (x.astype(np.int64) - layer["input_zero_point"]) @ layer["weights"].astype(np.int64).T + layer["bias"]
    check_i32(acc, "fc accumulator")
    return requantize(acc, layer["multipliers"], layer["shifts"], layer["output_zero_point"], *layer["clamp"])


def max_pool2d(x, kernel, stride):
    """No padding: each window is the max of its kh × kw elements."""
    n, h, w, c = x.shape
    oh = (h - kernel[0]) // stride[0] + 1
    ow = (w - kernel[1]) // stride[1] + 1
    out = np.full((n, oh, ow, c), np.iinfo(np.int64).min, dtype=np.int64)
    for ky in range(kernel[0]):
        for kx in range(kernel[1]):
            out = np.maximum(out, x[:, ky:ky + stride[0] * oh:stride[0], kx:kx + stride[1] * ow:stride[1], :])
    return out


def arg_max(x):
    """Index of the largest value on the last axis, lowest index on ties (numpy's argmax rule)."""
    return np.argmax(x, axis=-1)[..., None]
