#version 450
#extension GL_EXT_shader_explicit_arithmetic_types_int8 : require
#extension GL_EXT_shader_explicit_arithmetic_types_int64 : require
#extension GL_EXT_shader_8bit_storage : require
// TFLite-style quantized add of two tensors of one shape, output int8:
//   l' = MBQM((l - zl) << left_shift, ml, sl)
//   r' = MBQM((r - zr) << left_shift, mr, sr)
//   out = requantize(l' + r', mo, so, zo, act_min, act_max)
// where MBQM is multiply_by_quantized_multiplier; the validator bounds every step below 2^31.

layout(push_constant) uniform Params {
    uint elements;
    uint lhs_signed;
    uint rhs_signed;
    int left_shift;
    int lhs_zero_point;
    int lhs_multiplier;
    int lhs_shift;
    int rhs_zero_point;
    int rhs_multiplier;
    int rhs_shift;
    int output_multiplier;
    int output_shift;
    int output_zero_point;
    int act_min;
    int act_max;
} params;

layout(std430, set = 0, binding = 0) readonly buffer Lhs { uint8_t lhs_bytes[]; };
layout(std430, set = 0, binding = 1) readonly buffer Rhs { uint8_t rhs_bytes[]; };
layout(std430, set = 0, binding = 2) writeonly buffer Output { uint8_t output_bytes[]; };

#include "bytes.glsl"
#include "grid.glsl"
#include "requantize.glsl"

void main() {
    uint index = element_index();
    if (index >= params.elements) {
        return;
    }
    int lhs = widen_byte(lhs_bytes[index], params.lhs_signed) - params.lhs_zero_point;
    int rhs = widen_byte(rhs_bytes[index], params.rhs_signed) - params.rhs_zero_point;
    int scaled_lhs = multiply_by_quantized_multiplier(
        lhs << params.left_shift, params.lhs_multiplier, params.lhs_shift);
    int scaled_rhs = multiply_by_quantized_multiplier(
        rhs << params.left_shift, params.rhs_multiplier, params.rhs_shift);
    int value = requantize(scaled_lhs + scaled_rhs, params.output_multiplier,
                           params.output_shift, params.output_zero_point, params.act_min,
                           params.act_max);
    output_bytes[index] = narrow_to_byte(value);
}
