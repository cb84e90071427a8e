// The tiled int8 GEMM core: a 16 x 16 workgroup computes a 64 x 64 tile of outputs, 4 x 4 per
// invocation, walking K in steps of 16 through shared memory.
//
// The including shader defines, before including this file:
//   GEMM_ROWS, GEMM_COLUMNS, GEMM_K  the GEMM size (columns = output channels of one group),
//   OUTPUT_CHANNELS                  the row stride of the output,
//   int centred_a(uint group, uint row, uint k)  the input value minus its zero point (0 for
//                                                padding), called only for row < ROWS, k < K.
// Workgroup (x, y, z) = (column tile, row tile, group).
//
// Every shared-memory element is written in each K step before the barrier that precedes its
// reads: out-of-range rows, columns and k are written as 0, which adds nothing to a sum.

#define TILE 64
#define TILE_K 16
#define WORKGROUP_SIDE 16
#define WORKGROUP_SIZE (WORKGROUP_SIDE * WORKGROUP_SIDE)
#define PER_INVOCATION (TILE / WORKGROUP_SIDE)
#define LOADS_PER_INVOCATION (TILE * TILE_K / WORKGROUP_SIZE)

layout(local_size_x = WORKGROUP_SIDE, local_size_y = WORKGROUP_SIDE, local_size_z = 1) in;

// [k][row or column], padded by one so that the column-wise stores do not hit one bank.
shared int tile_a[TILE_K][TILE + 1];
shared int tile_b[TILE_K][TILE + 1];

void tiled_gemm() {
    uint group = gl_WorkGroupID.z;
    uint tx = gl_LocalInvocationID.x;
    uint ty = gl_LocalInvocationID.y;
    uint invocation = ty * WORKGROUP_SIDE + tx;
    uint first_row = gl_WorkGroupID.y * TILE;
    uint first_column = gl_WorkGroupID.x * TILE;
    uint first_channel = group * GEMM_COLUMNS;

    int acc[PER_INVOCATION][PER_INVOCATION];
    [[unroll]] for (uint i = 0; i < PER_INVOCATION; i++) {
        [[unroll]] for (uint j = 0; j < PER_INVOCATION; j++) {
            acc[i][j] = 0;
        }
    }

    for (uint k0 = 0; k0 < GEMM_K; k0 += TILE_K) {
        // Consecutive invocations load consecutive k of one row: contiguous bytes in memory.
        [[unroll]] for (uint load = 0; load < LOADS_PER_INVOCATION; load++) {
            uint element = invocation + load * WORKGROUP_SIZE;
            uint line = element / TILE_K;
            uint kk = element % TILE_K;
            uint k = k0 + kk;
            uint row = first_row + line;
            uint column = first_column + line;
            tile_a[kk][line] = (row < GEMM_ROWS && k < GEMM_K) ? centred_a(group, row, k) : 0;
            tile_b[kk][line] = (column < GEMM_COLUMNS && k < GEMM_K)
                ? int(weights[(first_channel + column) * GEMM_K + k])
                : 0;
        }
        barrier();
        [[unroll]] for (uint kk = 0; kk < TILE_K; kk++) {
            int a[PER_INVOCATION];
            int b[PER_INVOCATION];
            [[unroll]] for (uint i = 0; i < PER_INVOCATION; i++) {
                a[i] = tile_a[kk][ty + i * WORKGROUP_SIDE];
                b[i] = tile_b[kk][tx + i * WORKGROUP_SIDE];
            }
            [[unroll]] for (uint i = 0; i < PER_INVOCATION; i++) {
                [[unroll]] for (uint j = 0; j < PER_INVOCATION; j++) {
                    acc[i][j] += a[i] * b[j];
                }
            }
        }
        barrier();
    }

    [[unroll]] for (uint i = 0; i < PER_INVOCATION; i++) {
        uint row = first_row + ty + i * WORKGROUP_SIDE;
        [[unroll]] for (uint j = 0; j < PER_INVOCATION; j++) {
            uint column = first_column + tx + j * WORKGROUP_SIDE;
            if (row < GEMM_ROWS && column < GEMM_COLUMNS) {
                uint channel = first_channel + column;
                store_output(row * OUTPUT_CHANNELS + channel, channel, acc[i][j]);
            }
        }
    }
}
