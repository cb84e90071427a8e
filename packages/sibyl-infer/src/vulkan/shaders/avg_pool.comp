#version 450
#extension GL_EXT_shader_explicit_arithmetic_types_int8 : require
#extension GL_EXT_shader_8bit_storage : require
// Average pooling over the real elements of each window (padding is skipped), NHWC:
//   out = clamp(round(sum / count), act_min, act_max), rounding half away from zero:
//   sum >= 0: (sum + count / 2) / count;  sum < 0: -((-sum + count / 2) / count)
// which is the reference's truncating (sum - count / 2) / count. Only non-negative numbers are
// divided. The validator bounds |sum| below 2^31. The output has the input's dtype.

layout(push_constant) uniform Params {
    uint elements;
    uint in_h;
    uint in_w;
    uint channels;
    uint out_h;
    uint out_w;
    uint kernel_h;
    uint kernel_w;
    uint stride_h;
    uint stride_w;
    uint pad_top;
    uint pad_left;
    uint input_signed;
    int act_min;
    int act_max;
} params;

layout(std430, set = 0, binding = 0) readonly buffer Input { uint8_t input_bytes[]; };
layout(std430, set = 0, binding = 1) writeonly buffer Output { uint8_t output_bytes[]; };

#include "bytes.glsl"
#include "grid.glsl"
#include "pool_window.glsl"

int rounded_average(int sum, int count) {
    if (sum >= 0) {
        return (sum + count / 2) / count;
    }
    return -((-sum + count / 2) / count);
}

void main() {
    uint index = element_index();
    if (index >= params.elements) {
        return;
    }
    Window window = window_of(index);
    int sum = 0;
    for (int y = window.y_begin; y < window.y_end; y++) {
        for (int x = window.x_begin; x < window.x_end; x++) {
            sum += widen_byte(input_bytes[window_input_index(window, y, x)], params.input_signed);
        }
    }
    int count = (window.y_end - window.y_begin) * (window.x_end - window.x_begin);
    int average = rounded_average(sum, count);
    output_bytes[index] = narrow_to_byte(clamp(average, params.act_min, params.act_max));
}
