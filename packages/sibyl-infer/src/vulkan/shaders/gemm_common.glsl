// Shared by the fully-connected and convolution kernels: the extensions, the buffers and the
// requantizing epilogue. An including shader declares its push constants first, with at least
// `input_signed`, `output_zero_point`, `act_min` and `act_max`.
//
// The kernels compute, for every output row (batch item or output pixel) and output channel,
//   out = requantize(bias[channel] + sum_k (x[row][k] - input_zero_point) * weights[channel][k])
// with wrapping int32 accumulation: any order of the sum gives the same bits. The bias buffer
// holds bias[channel] - input_zero_point * sum_k weights[channel][k] (folded on the host), so
// the kernels sum raw x * w.

#extension GL_EXT_shader_explicit_arithmetic_types_int8 : require
#extension GL_EXT_shader_explicit_arithmetic_types_int64 : require
#extension GL_EXT_shader_8bit_storage : require
#extension GL_EXT_control_flow_attributes : require

#include "bytes.glsl"
#include "requantize.glsl"

layout(std430, set = 0, binding = 0) readonly buffer Input { uint8_t input_bytes[]; };
// Row-major [channels][k]: each output channel's weights are contiguous.
layout(std430, set = 0, binding = 1) readonly buffer Weights { int8_t weights[]; };
layout(std430, set = 0, binding = 2) readonly buffer Bias { int bias[]; };
// One multiplier and shift per output channel (a per-tensor stage is replicated on upload).
layout(std430, set = 0, binding = 3) readonly buffer Multipliers { int multipliers[]; };
layout(std430, set = 0, binding = 4) readonly buffer Shifts { int shifts[]; };
layout(std430, set = 0, binding = 5) writeonly buffer Output { uint8_t output_bytes[]; };

int input_value(uint index) {
    return widen_byte(input_bytes[index], params.input_signed);
}

// Requantizes one accumulator (bias not yet added) and stores it as an int8 byte.
void store_output(uint output_index, uint channel, int accumulator) {
    int value = requantize(accumulator + bias[channel], multipliers[channel], shifts[channel],
                           params.output_zero_point, params.act_min, params.act_max);
    output_bytes[output_index] = narrow_to_byte(value);
}
