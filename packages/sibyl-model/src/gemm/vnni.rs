//! The AVX-512 VNNI kernel: `vpdpbusd` adds four u8 × i8 products into each i32 lane, exactly.
//!
//! B is packed in panels of 32 columns (two registers of 16 i32 lanes); within a panel, for each
//! group of four consecutive k, the 32 columns' four bytes are contiguous. A micro-tile of 8 rows
//! × 32 columns keeps 16 accumulators in registers; each step loads two B vectors, broadcasts four
//! bytes of each A row, and issues 16 `vpdpbusd`. The result is
//! `Σ a_u8 · b + (bias - zero_point · Σ_k b)`, equal in wrapping int32 to the definition.

use core::arch::x86_64::{
    __m512i, _mm512_add_epi32, _mm512_dpbusd_epi32, _mm512_loadu_si512, _mm512_set1_epi32,
    _mm512_setzero_si512, _mm512_storeu_si512,
};

/// Columns per panel: two vectors of 16 i32 lanes.
const PANEL: usize = 32;
/// Lanes per vector.
const LANES: usize = 16;
/// Rows per micro-tile.
const ROWS: usize = 8;
/// Consecutive k values in one i32 lane of `vpdpbusd`.
const DEPTH: usize = 4;

/// Narrower B matrices use the portable kernel: panels of 32 columns would more than double them.
pub(super) const MIN_COLUMNS: usize = PANEL / 2;

pub(super) fn available() -> bool {
    std::is_x86_feature_detected!("avx512f")
        && std::is_x86_feature_detected!("avx512bw")
        && std::is_x86_feature_detected!("avx512vnni")
}

/// B packed for the kernel, with the column sums that undo the zero point.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Panels {
    n: usize,
    k: usize,
    /// `k` rounded up to a multiple of 4.
    k_padded: usize,
    /// `[panel][k / 4][32 columns][4]`, zero beyond `n` and `k`.
    data: Vec<i8>,
    /// `Σ_k B[k][j]` for each column.
    column_sums: Vec<i32>,
}

impl Panels {
    pub(super) fn new(n: usize, k: usize, value: &impl Fn(usize, usize) -> i8) -> Panels {
        let k_padded = k.div_ceil(DEPTH) * DEPTH;
        let panels = n.div_ceil(PANEL);
        let mut data = vec![0i8; panels * k_padded * PANEL];
        let mut column_sums = vec![0i32; n];
        for (column, sum) in column_sums.iter_mut().enumerate() {
            let (panel, lane) = (column / PANEL, column % PANEL);
            for depth in 0..k {
                let v = value(column, depth);
                let quad = depth / DEPTH;
                data[((panel * (k_padded / DEPTH) + quad) * PANEL + lane) * DEPTH
                    + depth % DEPTH] = v;
                *sum = sum.wrapping_add(i32::from(v));
            }
        }
        Panels {
            n,
            k,
            k_padded,
            data,
            column_sums,
        }
    }
}

pub(super) fn gemm(
    a: &[u8],
    m: usize,
    zero_point: i32,
    panels: &Panels,
    bias: &[i32],
    out: &mut [i32],
) {
    let (n, k, k_padded) = (panels.n, panels.k, panels.k_padded);
    let a_packed = pack_a(a, m, k, k_padded);
    // `bias - zero_point · Σ_k b` per column, padded to whole panels.
    let mut offsets = vec![0i32; n.div_ceil(PANEL) * PANEL];
    for ((offset, &b), &sum) in offsets.iter_mut().zip(bias).zip(&panels.column_sums) {
        *offset = b.wrapping_sub(zero_point.wrapping_mul(sum));
    }
    let output = Output {
        m,
        n,
        offsets: &offsets,
    };
    // SAFETY: `Panels` exist only when `available()` returned true (see `PackedB::pack`).
    unsafe { gemm_panels(&a_packed, k_padded / DEPTH, &panels.data, &output, out) }
}

/// A as little-endian i32 quads of k: first the whole 8-row blocks as `[block][k / 4][8 rows]`
/// (one micro-tile step reads the eight rows' quads from one 32-byte run), then the remaining
/// `m % 8` rows one after another. k is padded with zeros (0 × b adds nothing); rows are not
/// padded, so a single-row A costs no more than itself.
fn pack_a(a: &[u8], m: usize, k: usize, k_padded: usize) -> Vec<i32> {
    let quads = k_padded / DEPTH;
    let whole = m - m % ROWS;
    let mut packed = vec![0i32; m * quads];
    for (row, values) in a.chunks_exact(k.max(1)).enumerate().take(m) {
        for (quad, bytes) in values.chunks(DEPTH).enumerate() {
            let mut word = [0u8; DEPTH];
            word[..bytes.len()].copy_from_slice(bytes);
            let at = if row < whole {
                ((row / ROWS) * quads + quad) * ROWS + row % ROWS
            } else {
                row * quads + quad
            };
            packed[at] = i32::from_le_bytes(word);
        }
    }
    packed
}

struct Output<'a> {
    m: usize,
    n: usize,
    /// `bias - zero_point · Σ_k b` for each column (zero past `n`).
    offsets: &'a [i32],
}

#[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
fn gemm_panels(a: &[i32], quads: usize, b: &[i8], output: &Output<'_>, out: &mut [i32]) {
    let panel_len = quads * PANEL * DEPTH;
    let (blocks, rest) = a.split_at((output.m / ROWS) * ROWS * quads);
    for (panel, b_panel) in b.chunks_exact(panel_len.max(1)).enumerate() {
        let column0 = panel * PANEL;
        for (block, a_block) in blocks.chunks_exact((quads * ROWS).max(1)).enumerate() {
            let acc = micro_tile::<ROWS>(a_block, b_panel, quads);
            store(&acc, block * ROWS, column0, output, out);
        }
        let first_rest_row = output.m - output.m % ROWS;
        for (r, a_row) in rest.chunks_exact(quads.max(1)).enumerate() {
            let acc = micro_tile::<1>(a_row, b_panel, quads);
            store(&acc, first_rest_row + r, column0, output, out);
        }
    }
}

/// `R` rows × 32 columns of `Σ_k a_u8 · b`; `a_block` is `[k / 4][R rows]`.
#[inline]
#[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
fn micro_tile<const R: usize>(a_block: &[i32], b_panel: &[i8], quads: usize) -> [[__m512i; 2]; R] {
    let mut acc = [[_mm512_setzero_si512(); 2]; R];
    let a_block = &a_block[..quads * R];
    let b_panel = &b_panel[..quads * PANEL * DEPTH];
    for (a_quads, b_quad) in a_block
        .chunks_exact(R)
        .zip(b_panel.chunks_exact(PANEL * DEPTH))
    {
        // SAFETY: `b_quad` holds 128 bytes; each unaligned load reads 64 of them.
        let (b0, b1) = unsafe {
            (
                _mm512_loadu_si512(b_quad.as_ptr().cast()),
                _mm512_loadu_si512(b_quad[LANES * DEPTH..].as_ptr().cast()),
            )
        };
        for (acc_row, &quad) in acc.iter_mut().zip(a_quads) {
            let a_broadcast = _mm512_set1_epi32(quad);
            acc_row[0] = _mm512_dpbusd_epi32(acc_row[0], a_broadcast, b0);
            acc_row[1] = _mm512_dpbusd_epi32(acc_row[1], a_broadcast, b1);
        }
    }
    acc
}

/// Writes the valid rows and columns of a micro-tile: `acc + bias - zero_point · Σ_k b`.
#[inline]
#[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
fn store<const R: usize>(
    acc: &[[__m512i; 2]; R],
    row0: usize,
    column0: usize,
    output: &Output<'_>,
    out: &mut [i32],
) {
    let offsets = &output.offsets[column0..column0 + PANEL];
    // SAFETY: `offsets` holds 32 i32; each load reads 16 of them.
    let (offset0, offset1) = unsafe {
        (
            _mm512_loadu_si512(offsets.as_ptr().cast()),
            _mm512_loadu_si512(offsets[LANES..].as_ptr().cast()),
        )
    };
    let columns = PANEL.min(output.n - column0);
    for (r, acc_row) in acc.iter().enumerate().take(output.m.saturating_sub(row0)) {
        let values = [
            _mm512_add_epi32(acc_row[0], offset0),
            _mm512_add_epi32(acc_row[1], offset1),
        ];
        let start = (row0 + r) * output.n + column0;
        let target = &mut out[start..start + columns];
        if columns == PANEL {
            // SAFETY: `target` holds 32 i32; each store writes 16 of them.
            unsafe {
                _mm512_storeu_si512(target.as_mut_ptr().cast(), values[0]);
                _mm512_storeu_si512(target[LANES..].as_mut_ptr().cast(), values[1]);
            }
        } else {
            let mut lanes = [0i32; PANEL];
            // SAFETY: `lanes` holds 32 i32; each store writes 16 of them.
            unsafe {
                _mm512_storeu_si512(lanes.as_mut_ptr().cast(), values[0]);
                _mm512_storeu_si512(lanes[LANES..].as_mut_ptr().cast(), values[1]);
            }
            target.copy_from_slice(&lanes[..columns]);
        }
    }
}
