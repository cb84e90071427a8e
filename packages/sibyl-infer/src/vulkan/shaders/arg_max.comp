#version 450
#extension GL_EXT_shader_explicit_arithmetic_types_int8 : require
#extension GL_EXT_shader_8bit_storage : require
// Index of the largest value along the last axis, as int32; ties go to the lowest index.
// One invocation per row of `axis` elements. The input is int8, uint8 or int32 (little-endian).

#define DTYPE_I8 1u
#define DTYPE_U8 2u
#define DTYPE_I32 3u

layout(push_constant) uniform Params {
    uint rows;
    uint axis;
    uint input_dtype;
} params;

layout(std430, set = 0, binding = 0) readonly buffer Input { uint8_t input_bytes[]; };
layout(std430, set = 0, binding = 1) writeonly buffer Output { int indices[]; };

#include "bytes.glsl"
#include "grid.glsl"

int element(uint index) {
    if (params.input_dtype == DTYPE_I32) {
        uint base = index * 4u;
        return int(uint(input_bytes[base]) | (uint(input_bytes[base + 1u]) << 8)
                   | (uint(input_bytes[base + 2u]) << 16) | (uint(input_bytes[base + 3u]) << 24));
    }
    return widen_byte(input_bytes[index], params.input_dtype == DTYPE_I8 ? 1u : 0u);
}

void main() {
    uint row = element_index();
    if (row >= params.rows) {
        return;
    }
    uint first = row * params.axis;
    int best_value = element(first);
    uint best = 0u;
    for (uint i = 1u; i < params.axis; i++) {
        int value = element(first + i);
        if (value > best_value) {
            best_value = value;
            best = i;
        }
    }
    indices[row] = int(best);
}
