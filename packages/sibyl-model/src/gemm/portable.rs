//! The portable kernel: centred i16 values, 4 × 4 register tiles of dot products, column blocks
//! that stay in cache. The same Rust is compiled once per instruction set and picked at run time.

/// Rows of A and columns of B per register tile: each loaded value feeds four multiply-adds.
const TILE: usize = 4;
/// Columns of B per cache block: 128 columns × k values stay in cache while every row block of A
/// passes over them.
const COLUMN_BLOCK: usize = 128;

/// `out = bias + (a - zero_point) · columns^T`; `columns` holds one row of `k` values per column.
#[allow(clippy::too_many_arguments)] // the GEMM's natural parameters; kept flat for the hot path
pub(super) fn gemm(
    a: &[u8],
    m: usize,
    zero_point: i32,
    columns: &[i16],
    n: usize,
    k: usize,
    bias: &[i32],
    out: &mut [i32],
) {
    // |a - zero_point| <= 255 fits in i16.
    let centred: Vec<i16> = a
        .iter()
        .map(|&x| (i32::from(x) - zero_point) as i16)
        .collect();
    let problem = Problem {
        a: &centred,
        m,
        columns,
        n,
        k,
        bias,
    };
    dispatch(&problem, out);
}

struct Problem<'a> {
    a: &'a [i16],
    m: usize,
    columns: &'a [i16],
    n: usize,
    k: usize,
    bias: &'a [i32],
}

#[cfg(target_arch = "x86_64")]
fn dispatch(problem: &Problem<'_>, out: &mut [i32]) {
    if std::is_x86_feature_detected!("avx512bw") {
        // SAFETY: the CPU supports every feature the function is compiled for (checked above).
        unsafe { tiled_avx512(problem, out) }
    } else if std::is_x86_feature_detected!("avx2") {
        // SAFETY: as above, for AVX2.
        unsafe { tiled_avx2(problem, out) }
    } else {
        tiled(problem, out)
    }
}

#[cfg(not(target_arch = "x86_64"))]
fn dispatch(problem: &Problem<'_>, out: &mut [i32]) {
    tiled(problem, out)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bw")]
fn tiled_avx512(problem: &Problem<'_>, out: &mut [i32]) {
    tiled(problem, out)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn tiled_avx2(problem: &Problem<'_>, out: &mut [i32]) {
    tiled(problem, out)
}

#[inline(always)]
fn tiled(problem: &Problem<'_>, out: &mut [i32]) {
    let Problem {
        a,
        m,
        columns,
        n,
        k,
        bias,
    } = *problem;
    let column = |j: usize| &columns[j * k..(j + 1) * k];
    let row = |i: usize| &a[i * k..(i + 1) * k];
    for j0 in (0..n).step_by(COLUMN_BLOCK) {
        let j_end = (j0 + COLUMN_BLOCK).min(n);
        for i0 in (0..m).step_by(TILE) {
            let rows = TILE.min(m - i0);
            let mut j = j0;
            while j < j_end {
                let cols = TILE.min(j_end - j);
                if rows == TILE && cols == TILE {
                    let tile = dot_tile(
                        core::array::from_fn(|r| row(i0 + r)),
                        core::array::from_fn(|c| column(j + c)),
                        k,
                    );
                    for (r, tile_row) in tile.iter().enumerate() {
                        for (c, &value) in tile_row.iter().enumerate() {
                            out[(i0 + r) * n + j + c] = bias[j + c].wrapping_add(value);
                        }
                    }
                } else {
                    for r in i0..i0 + rows {
                        for c in j..j + cols {
                            out[r * n + c] = bias[c].wrapping_add(dot(row(r), column(c)));
                        }
                    }
                }
                j += cols;
            }
        }
    }
}

/// 4 × 4 dot products of length k.
#[inline(always)]
fn dot_tile(a: [&[i16]; TILE], b: [&[i16]; TILE], k: usize) -> [[i32; TILE]; TILE] {
    let a = a.map(|row| &row[..k]);
    let b = b.map(|column| &column[..k]);
    let mut acc = [[0i32; TILE]; TILE];
    for kk in 0..k {
        for r in 0..TILE {
            let x = i32::from(a[r][kk]);
            for c in 0..TILE {
                acc[r][c] = acc[r][c].wrapping_add(x * i32::from(b[c][kk]));
            }
        }
    }
    acc
}

/// Σ a[i] * b[i] with wrapping int32 adds.
#[inline(always)]
fn dot(a: &[i16], b: &[i16]) -> i32 {
    a.iter().zip(b).fold(0i32, |acc, (&x, &w)| {
        acc.wrapping_add(i32::from(x) * i32::from(w))
    })
}
