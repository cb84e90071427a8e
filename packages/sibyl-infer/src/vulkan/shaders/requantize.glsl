// gemmlowp's double-rounding requantization, bit for bit the CPU reference in
// sibyl_model::quant (docs/integer-ops.md). Integer-only; no division of negative numbers, so the
// result does not depend on how a driver rounds signed division.
//
// Requires GL_EXT_shader_explicit_arithmetic_types_int64 (the device feature shaderInt64).

const int INT32_MIN = -2147483647 - 1;

// SaturatingRoundingDoublingHighMul: round(a * b / 2^31), ties away from zero; the one
// overflowing case a == b == INT32_MIN saturates to INT32_MAX.
int saturating_rounding_doubling_high_mul(int a, int b) {
    if (a == INT32_MIN && b == INT32_MIN) {
        return 2147483647;
    }
    int64_t ab = int64_t(a) * int64_t(b);
    int64_t nudge = ab >= 0 ? int64_t(1 << 30) : int64_t(1 - (1 << 30));
    int64_t nudged = ab + nudge;
    // Division by 2^31 truncating toward zero, done on the magnitude: |nudged| < 2^62.
    int64_t quotient = nudged >= 0 ? (nudged >> 31) : -((-nudged) >> 31);
    return int(quotient);
}

// RoundingDivideByPOT: x / 2^exponent rounded to nearest, ties away from zero; exponent in 0..31.
int rounding_divide_by_pot(int x, int exponent) {
    int mask = int((1u << uint(exponent)) - 1u);
    int remainder = x & mask;
    int threshold = (mask >> 1) + (x < 0 ? 1 : 0);
    return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

// RoundingDivideByPOT(SRDHM(x << max(shift, 0), multiplier), max(-shift, 0)); the left shift keeps
// the low 32 bits, exactly as the reference (validated models never lose bits there).
int multiply_by_quantized_multiplier(int x, int multiplier, int shift) {
    int left_shift = max(shift, 0);
    int right_shift = max(-shift, 0);
    return rounding_divide_by_pot(
        saturating_rounding_doubling_high_mul(x << left_shift, multiplier), right_shift);
}

// clamp(MultiplyByQuantizedMultiplier(acc) + zero_point, act_min, act_max); the zero-point
// addition is done in 64 bits, so it cannot wrap (the reference saturates: same clamped result).
int requantize(int acc, int multiplier, int shift, int zero_point, int act_min, int act_max) {
    int64_t scaled = int64_t(multiply_by_quantized_multiplier(acc, multiplier, shift));
    return int(clamp(scaled + int64_t(zero_point), int64_t(act_min), int64_t(act_max)));
}
