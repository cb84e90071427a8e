// The tiled int8 GEMM core: an 8 x 8 workgroup computes a 64 x 64 tile of outputs, 8 x 8 per
// invocation, walking K in steps of 16 through shared memory. Shared memory holds the raw 8-bit
// values packed eight to a 64-bit word (eight consecutive k), so each shared load feeds eight
// multiply-accumulates per output: on a CPU driver (lavapipe) every shared or storage-buffer load
// is a loop over the SIMD lanes, so loads, not multiplies, set the speed. For the same reason the
// tile is staged four bytes per load from the storage buffers when rows start on a word.
//
// The including shader defines, before including this file:
//   GEMM_ROWS, GEMM_COLUMNS, GEMM_K  the GEMM size (columns = output channels of one group),
//   OUTPUT_CHANNELS                  the row stride of the output,
//   uint raw_a(uint group, uint row, uint k)  the input byte (the zero point's byte for padding),
//                                             called only for row < ROWS and k < K;
//   optionally ALIGNED_A_WORD(row, k)         input bytes k .. k + 3 of `row` as one word, for
//                                             inputs whose rows start on a word when K % 4 == 0.
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
#define K_WORDS (TILE_K / 8)
#define WORKGROUP_SIDE 8
#define WORKGROUP_SIZE (WORKGROUP_SIDE * WORKGROUP_SIDE)
#define PER_INVOCATION (TILE / WORKGROUP_SIDE)
#define WORD_LOADS (TILE * K_WORDS / WORKGROUP_SIZE)

layout(local_size_x = WORKGROUP_SIDE, local_size_y = WORKGROUP_SIDE, local_size_z = 1) in;

shared uint64_t tile_a[K_WORDS][TILE + 1];
shared uint64_t tile_b[K_WORDS][TILE + 1];

// The input and weight buffers again (same bindings), read four bytes at a time when K % 4 == 0:
// then every row starts on a word (the buffers are bound from offset 0).
layout(std430, set = 0, binding = 0) readonly buffer InputWords { uint input_words[]; };
layout(std430, set = 0, binding = 1) readonly buffer WeightWords { uint weight_words[]; };

// Input bytes k .. k + 3 of `row` (k a multiple of 4), packed little-endian; bytes past the end
// of the row, and rows past the end, are 0.
uint packed_a(uint group, uint row, uint k) {
    if (row >= GEMM_ROWS || k >= GEMM_K) {
        return 0u;
    }
#ifdef ALIGNED_A_WORD
    if (GEMM_K % 4u == 0u) {
        return ALIGNED_A_WORD(row, k);
    }
#endif
    uint packed = 0u;
    [[unroll]] for (uint byte = 0; byte < 4; byte++) {
        if (k + byte < GEMM_K) {
            packed |= (raw_a(group, row, k + byte) & 0xFFu) << (byte * 8);
        }
    }
    return packed;
}

// Weights k .. k + 3 of `channel` (k a multiple of 4), as packed_a.
uint packed_b(uint channel, uint column, uint k) {
    if (column >= GEMM_COLUMNS || k >= GEMM_K) {
        return 0u;
    }
    if (GEMM_K % 4u == 0u) {
        return weight_words[(channel * GEMM_K + k) >> 2];
    }
    uint packed = 0u;
    [[unroll]] for (uint byte = 0; byte < 4; byte++) {
        if (k + byte < GEMM_K) {
            packed |= (uint(int(weights[channel * GEMM_K + k + byte])) & 0xFFu) << (byte * 8);
        }
    }
    return packed;
}

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
            uint k = k0 + word * 8;
            uint channel = first_channel + column;
            tile_a[word][line] =
                packUint2x32(uvec2(packed_a(group, row, k), packed_a(group, row, k + 4)));
            tile_b[word][line] =
                packUint2x32(uvec2(packed_b(channel, column, k), packed_b(channel, column, k + 4)));
        }
        barrier();
        [[unroll]] for (uint word = 0; word < K_WORDS; word++) {
            uvec2 a64[PER_INVOCATION];
            uvec2 b64[PER_INVOCATION];
            [[unroll]] for (uint i = 0; i < PER_INVOCATION; i++) {
                a64[i] = unpackUint2x32(tile_a[word][ty + i * WORKGROUP_SIDE]);
                b64[i] = unpackUint2x32(tile_b[word][tx + i * WORKGROUP_SIDE]);
            }
            [[unroll]] for (uint half_word = 0; half_word < 2; half_word++) {
                uint a[PER_INVOCATION];
                uint b[PER_INVOCATION];
                [[unroll]] for (uint i = 0; i < PER_INVOCATION; i++) {
                    a[i] = a64[i][half_word];
                    b[i] = b64[i][half_word];
                }
                [[unroll]] for (int byte = 0; byte < 4; byte++) {
                    int b_values[PER_INVOCATION];
                    [[unroll]] for (uint j = 0; j < PER_INVOCATION; j++) {
                        b_values[j] = bitfieldExtract(int(b[j]), byte * 8, 8);
                    }
                    [[unroll]] for (uint i = 0; i < PER_INVOCATION; i++) {
                        int a_value = input_byte(a[i], byte);
                        [[unroll]] for (uint j = 0; j < PER_INVOCATION; j++) {
                            acc[i][j] += a_value * b_values[j];
                        }
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
