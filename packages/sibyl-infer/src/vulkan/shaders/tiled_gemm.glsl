// The tiled int8 GEMM core: an 8 x 8 workgroup computes a 64 x 64 tile of outputs, 8 x 8 per
// invocation, walking K in steps of 16 through shared memory. Shared memory holds the raw 8-bit
// values packed four to a 32-bit word (four consecutive k), so each shared load feeds four
// multiply-accumulates per output.
//
// The including shader defines, before including this file:
//   GEMM_ROWS, GEMM_COLUMNS, GEMM_K  the GEMM size (columns = output channels of one group),
//   OUTPUT_CHANNELS                  the row stride of the output,
//   uint raw_a(uint group, uint row, uint k)  the input byte (the zero point's byte for padding),
//                                             called only for row < ROWS and k < K.
// Workgroup (x, y, z) = (column tile, row tile, group).
//
// The sum is taken over raw input values: sum_k x * w. The input zero point's share,
// -zero_point * sum_k w, is folded into the bias on the host; wrapping int32 arithmetic makes
// the two forms equal bit for bit.
//
// Every shared-memory word is written in each K step before the barrier that precedes its reads:
// bytes of out-of-range rows, columns and k are written as 0 (a zero weight adds nothing).

#define TILE 64
#define TILE_K 16
#define K_WORDS (TILE_K / 4)
#define WORKGROUP_SIDE 8
#define WORKGROUP_SIZE (WORKGROUP_SIDE * WORKGROUP_SIDE)
#define PER_INVOCATION (TILE / WORKGROUP_SIDE)
#define WORD_LOADS (TILE * K_WORDS / WORKGROUP_SIZE)

layout(local_size_x = WORKGROUP_SIDE, local_size_y = WORKGROUP_SIDE, local_size_z = 1) in;

// [k word][row or column], padded by one word so that the stores of one word column do not all
// hit one bank.
shared uint tile_a[K_WORDS][TILE + 1];
shared uint tile_b[K_WORDS][TILE + 1];

// Byte `byte` of `word` as a value: signed for int8 inputs, unsigned for uint8.
int input_byte(uint word, int byte) {
    return params.input_signed != 0u ? bitfieldExtract(int(word), byte * 8, 8)
                                     : int(bitfieldExtract(word, byte * 8, 8));
}

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
        [[unroll]] for (uint load = 0; load < WORD_LOADS; load++) {
            uint element = invocation + load * WORKGROUP_SIZE;
            uint line = element / K_WORDS;
            uint word = element % K_WORDS;
            uint row = first_row + line;
            uint column = first_column + line;
            uint packed_a = 0u;
            uint packed_b = 0u;
            [[unroll]] for (uint byte = 0; byte < 4; byte++) {
                uint k = k0 + word * 4 + byte;
                if (k < GEMM_K) {
                    if (row < GEMM_ROWS) {
                        packed_a |= (raw_a(group, row, k) & 0xFFu) << (byte * 8);
                    }
                    if (column < GEMM_COLUMNS) {
                        uint weight = uint(int(weights[(first_channel + column) * GEMM_K + k]));
                        packed_b |= (weight & 0xFFu) << (byte * 8);
                    }
                }
            }
            tile_a[word][line] = packed_a;
            tile_b[word][line] = packed_b;
        }
        barrier();
        [[unroll]] for (uint word = 0; word < K_WORDS; word++) {
            uint a[PER_INVOCATION];
            uint b[PER_INVOCATION];
            [[unroll]] for (uint i = 0; i < PER_INVOCATION; i++) {
                a[i] = tile_a[word][ty + i * WORKGROUP_SIDE];
                b[i] = tile_b[word][tx + i * WORKGROUP_SIDE];
            }
            [[unroll]] for (int byte = 0; byte < 4; byte++) {
                int a_values[PER_INVOCATION];
                int b_values[PER_INVOCATION];
                [[unroll]] for (uint i = 0; i < PER_INVOCATION; i++) {
                    a_values[i] = input_byte(a[i], byte);
                    b_values[i] = bitfieldExtract(int(b[i]), byte * 8, 8);
                }
                [[unroll]] for (uint i = 0; i < PER_INVOCATION; i++) {
                    [[unroll]] for (uint j = 0; j < PER_INVOCATION; j++) {
                        acc[i][j] += a_values[i] * b_values[j];
                    }
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
