#version 450
// Direct 2-D convolution for layers whose groups have few output channels (depthwise and
// similar), where most of a 64-wide GEMM tile would idle: one invocation per output element.
//   out[n][oy][ox][o] = requantize(bias'[o] + sum_{ky,kx,c} x[n][y][x][g*cpg + c]
//                                                * weights[o][ky][kx][c])
// Same formula, bindings and push constants as conv2d.comp: bias' has the input zero point's
// share folded in, and positions outside the image take the zero point's value.
// Dispatch: one invocation per output element (grid.glsl).

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
#include "grid.glsl"

void main() {
    uint index = element_index();
    if (index >= params.pixels * params.out_channels) {
        return;
    }
    uint channel = index % params.out_channels;
    uint pixel = index / params.out_channels;
    uint first_input_channel = (channel / params.out_per_group) * params.channels_per_group;
    uint ox = pixel % params.out_w;
    uint oy = (pixel / params.out_w) % params.out_h;
    uint n = pixel / (params.out_w * params.out_h);
    uint k = params.kernel_h * params.kernel_w * params.channels_per_group;
    uint weight = channel * k;
    int acc = 0;
    for (uint ky = 0; ky < params.kernel_h; ky++) {
        int y = int(oy * params.stride_h + ky) - int(params.pad_top);
        for (uint kx = 0; kx < params.kernel_w; kx++) {
            int x = int(ox * params.stride_w + kx) - int(params.pad_left);
            bool inside = y >= 0 && y < int(params.in_h) && x >= 0 && x < int(params.in_w);
            uint first = inside
                ? ((n * params.in_h + uint(y)) * params.in_w + uint(x)) * params.in_channels
                    + first_input_channel
                : 0u;
            for (uint c = 0; c < params.channels_per_group; c++) {
                int value = inside ? input_value(first + c) : params.input_zero_point;
                acc += value * int(weights[weight]);
                weight++;
            }
        }
    }
    store_output(pixel * params.out_channels + channel, channel, acc);
}
