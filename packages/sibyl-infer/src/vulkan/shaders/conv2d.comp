#version 450
// 2-D convolution (NHWC input, OHWI weights, groups) as a tiled implicit GEMM: row = output
// pixel (n, oy, ox), column = output channel within the group, k = (ky, kx, c) in weight order.
//   out[n][oy][ox][o] = requantize(bias[o] + sum_{ky,kx,c} (in[n][y][x][g*cpg + c] - zp_in)
//                                               * weights[o][ky][kx][c])
// with y = oy * stride_h + ky - pad_top (same for x); positions outside the image hold the input
// zero point, so they add 0. As in fully_connected.comp the zero point's share is folded into the
// bias on the host and the kernel sums raw values (padding reads as the zero point's byte).
// Dispatch: (ceil(out_per_group / 64), ceil(pixels / 64), groups).

layout(push_constant) uniform Params {
    uint pixels;
    uint in_h;
    uint in_w;
    uint in_channels;
    uint out_h;
    uint out_w;
    uint kernel_h;
    uint kernel_w;
    uint channels_per_group;
    uint out_per_group;
    uint out_channels;
    uint stride_h;
    uint stride_w;
    uint pad_top;
    uint pad_left;
    int input_zero_point;
    uint input_signed;
    int output_zero_point;
    int act_min;
    int act_max;
} params;

#include "gemm_common.glsl"

#define GEMM_ROWS params.pixels
#define GEMM_COLUMNS params.out_per_group
#define GEMM_K (params.kernel_h * params.kernel_w * params.channels_per_group)
#define OUTPUT_CHANNELS params.out_channels

uint raw_a(uint group, uint pixel, uint k) {
    uint c = k % params.channels_per_group;
    uint tap = k / params.channels_per_group;
    uint kx = tap % params.kernel_w;
    uint ky = tap / params.kernel_w;
    uint ox = pixel % params.out_w;
    uint oy = (pixel / params.out_w) % params.out_h;
    uint n = pixel / (params.out_w * params.out_h);
    int y = int(oy * params.stride_h + ky) - int(params.pad_top);
    int x = int(ox * params.stride_w + kx) - int(params.pad_left);
    if (y < 0 || y >= int(params.in_h) || x < 0 || x >= int(params.in_w)) {
        return uint(params.input_zero_point) & 0xFFu;
    }
    uint index = ((n * params.in_h + uint(y)) * params.in_w + uint(x)) * params.in_channels
        + group * params.channels_per_group + c;
    return uint(input_bytes[index]);
}

#include "tiled_gemm.glsl"

void main() {
    tiled_gemm();
}
