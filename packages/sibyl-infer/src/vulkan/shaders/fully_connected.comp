#version 450
// Fully-connected layer as a tiled int8 GEMM:
//   out[n][o] = requantize(bias[o] + sum_k (in[n][k] - input_zero_point) * weights[o][k])
// computed as requantize(folded_bias[o] + sum_k in[n][k] * weights[o][k]) with
// folded_bias[o] = bias[o] - input_zero_point * sum_k weights[o][k] (host side, wrapping).
// Dispatch: (ceil(out_features / 64), ceil(batch / 64), 1) workgroups.

layout(push_constant) uniform Params {
    uint batch;
    uint in_features;
    uint out_features;
    int input_zero_point;
    uint input_signed;
    int output_zero_point;
    int act_min;
    int act_max;
} params;

#include "gemm_common.glsl"

#define GEMM_ROWS params.batch
#define GEMM_COLUMNS params.out_features
#define GEMM_K params.in_features
#define OUTPUT_CHANNELS params.out_features

uint raw_a(uint group, uint row, uint k) {
    return uint(input_bytes[row * params.in_features + k]);
}

// Rows start on a word when in_features is a multiple of 4 (the caller checks).
#define ALIGNED_A_WORD(row, k) input_words[((row) * params.in_features + (k)) >> 2]

#include "tiled_gemm.glsl"

void main() {
    tiled_gemm();
}
