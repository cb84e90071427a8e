#version 450
#extension GL_EXT_shader_explicit_arithmetic_types_int64 : require
// Test-only: evaluates requantize.glsl on known-answer cases. Each case is 6 ints; `mode`
// selects the function:
//   0: saturating_rounding_doubling_high_mul(a, b)                 case = [a, b, ...]
//   1: rounding_divide_by_pot(x, exponent)                         case = [x, exponent, ...]
//   2: requantize(acc, multiplier, shift, zero_point, min, max)    case = all 6

layout(local_size_x = 64, local_size_y = 1, local_size_z = 1) in;

layout(push_constant) uniform Params {
    uint cases;
    uint mode;
} params;

layout(std430, set = 0, binding = 0) readonly buffer Cases { int cases[]; };
layout(std430, set = 0, binding = 1) writeonly buffer Results { int results[]; };

#include "requantize.glsl"

void main() {
    uint index = gl_GlobalInvocationID.x;
    if (index >= params.cases) {
        return;
    }
    uint base = index * 6u;
    int a = cases[base];
    int b = cases[base + 1u];
    if (params.mode == 0u) {
        results[index] = saturating_rounding_doubling_high_mul(a, b);
    } else if (params.mode == 1u) {
        results[index] = rounding_divide_by_pot(a, b);
    } else {
        results[index] = requantize(a, b, cases[base + 2u], cases[base + 3u], cases[base + 4u],
                                    cases[base + 5u]);
    }
}
