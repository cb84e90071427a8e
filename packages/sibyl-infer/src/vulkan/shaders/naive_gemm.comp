#version 450
// The untiled baseline for the benchmark only: one invocation per output, reading its row of the
// input and its channel's weights straight from the storage buffers. Same formula (zero point
// folded into the bias), bindings and push constants as fully_connected.comp. Dispatch: (ceil(out_features / 16),
// ceil(batch / 16), 1) workgroups.

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

layout(local_size_x = 16, local_size_y = 16, local_size_z = 1) in;

void main() {
    uint column = gl_GlobalInvocationID.x;
    uint row = gl_GlobalInvocationID.y;
    if (row >= params.batch || column >= params.out_features) {
        return;
    }
    int acc = 0;
    for (uint k = 0; k < params.in_features; k++) {
        acc += input_value(row * params.in_features + k)
            * int(weights[column * params.in_features + k]);
    }
    store_output(row * params.out_features + column, column, acc);
}
