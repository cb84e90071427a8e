#version 450
#extension GL_EXT_shader_explicit_arithmetic_types_int8 : require
#extension GL_EXT_shader_8bit_storage : require
// Max pooling over the real elements of each window (padding is skipped), NHWC; the output has
// the input's dtype (int8 or uint8), so the maximum is stored unchanged.

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
} params;

layout(std430, set = 0, binding = 0) readonly buffer Input { uint8_t input_bytes[]; };
layout(std430, set = 0, binding = 1) writeonly buffer Output { uint8_t output_bytes[]; };

#include "bytes.glsl"
#include "grid.glsl"
#include "pool_window.glsl"

void main() {
    uint index = element_index();
    if (index >= params.elements) {
        return;
    }
    Window window = window_of(index);
    int best = -2147483647 - 1;
    for (int y = window.y_begin; y < window.y_end; y++) {
        for (int x = window.x_begin; x < window.x_end; x++) {
            best = max(best, widen_byte(input_bytes[window_input_index(window, y, x)],
                                        params.input_signed));
        }
    }
    output_bytes[index] = narrow_to_byte(best);
}
