//! The exact int8 GEMM kernel of the CPU reference (used by fully-connected and convolution layers,
//! and benchmarked on its own).
//!
//! `C[i][j] = bias[j] + Σ_k (A[i][k] - a_zero_point) * B[k][j]` in int32 with wrapping adds.
//! Each centred input fits in i16 (|x - zp| <= 255) and each product of an i16 and an int8 weight
//! fits in i16 × i16 -> i32 without saturation, so the inner loops are i16 dot products that the
//! compiler turns into `pmaddwd` / `vpdpwssd`. Unlike `pmaddubsw`-based kernels nothing saturates:
//! the result is exact for every input.

use crate::quant::{requantize, OutputStage};

/// An 8-bit activation element, widened exactly to i32.
pub trait Quantized8: Copy + Send + Sync {
    fn widen(self) -> i32;
}

impl Quantized8 for i8 {
    fn widen(self) -> i32 {
        i32::from(self)
    }
}

impl Quantized8 for u8 {
    fn widen(self) -> i32 {
        i32::from(self)
    }
}

/// The right-hand matrix `B` (k × n, int8) packed for the kernel: one contiguous row of `k`
/// widened values per output column.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PackedB {
    n: usize,
    k: usize,
    columns: Vec<i16>,
}

impl PackedB {
    /// Packs a row-major `k × n` matrix.
    ///
    /// # Panics
    /// If `b.len() != k * n`.
    pub fn from_k_by_n(b: &[i8], k: usize, n: usize) -> PackedB {
        assert_eq!(b.len(), k * n, "B must hold k * n values");
        let mut columns = vec![0i16; k * n];
        for (row, values) in b.chunks_exact(n.max(1)).enumerate() {
            for (column, &value) in values.iter().enumerate() {
                columns[column * k + row] = i16::from(value);
            }
        }
        PackedB { n, k, columns }
    }

    /// Packs a row-major `n × k` matrix (the transpose of B), such as fully-connected weights
    /// `[out_features, in_features]`.
    ///
    /// # Panics
    /// If `bt.len() != n * k`.
    pub fn from_n_by_k(bt: &[i8], n: usize, k: usize) -> PackedB {
        assert_eq!(bt.len(), n * k, "B^T must hold n * k values");
        PackedB {
            n,
            k,
            columns: bt.iter().map(|&v| i16::from(v)).collect(),
        }
    }

    pub fn n(&self) -> usize {
        self.n
    }

    pub fn k(&self) -> usize {
        self.k
    }

    fn column(&self, j: usize) -> &[i16] {
        &self.columns[j * self.k..(j + 1) * self.k]
    }
}

/// Raw int32 accumulators: `out[i * n + j] = bias[j] + Σ_k (a[i * k + kk] - a_zero_point) * B[kk][j]`.
///
/// # Panics
/// If `a.len() != m * k`, `bias.len() != n` or `out.len() != m * n`, or if `a_zero_point` is
/// outside the 8-bit range of `T` (a centred value would not fit in i16).
pub fn gemm_i32<T: Quantized8>(
    a: &[T],
    m: usize,
    a_zero_point: i32,
    b: &PackedB,
    bias: &[i32],
    out: &mut [i32],
) {
    assert_eq!(a.len(), m * b.k, "A must hold m * k values");
    assert!(
        (-128..=255).contains(&a_zero_point),
        "zero point must be an 8-bit value"
    );
    let centred = centre(a, a_zero_point);
    gemm_centred(&centred, m, b, bias, out);
}

/// Requantized output: `out[i * n + j] = requantize(acc[i][j], stage.requant[j], stage.zero_point, stage.clamp)`.
///
/// # Panics
/// As [`gemm_i32`], and if `out.len() != m * n` or a per-channel requantization has fewer than n entries.
pub fn gemm_requantized<T: Quantized8>(
    a: &[T],
    m: usize,
    a_zero_point: i32,
    b: &PackedB,
    bias: &[i32],
    stage: &OutputStage,
    out: &mut [i8],
) {
    assert_eq!(out.len(), m * b.n, "C must hold m * n values");
    let mut acc = vec![0i32; m * b.n];
    gemm_i32(a, m, a_zero_point, b, bias, &mut acc);
    requantize_rows(&acc, b.n, stage, out);
}

/// Requantizes rows of `n` accumulators (channel = column) into int8.
pub(crate) fn requantize_rows(acc: &[i32], n: usize, stage: &OutputStage, out: &mut [i8]) {
    for (acc_row, out_row) in acc.chunks_exact(n).zip(out.chunks_exact_mut(n)) {
        for (j, (&value, slot)) in acc_row.iter().zip(out_row.iter_mut()).enumerate() {
            let requant = stage.requant.for_channel(j);
            // The clamp is inside int8 in a validated stage, so the cast is exact.
            *slot = requantize(value, requant, stage.zero_point, stage.clamp) as i8;
        }
    }
}

/// `x - zero_point` for each element; exact in i16 because both are 8-bit values.
pub(crate) fn centre<T: Quantized8>(a: &[T], zero_point: i32) -> Vec<i16> {
    a.iter().map(|&x| (x.widen() - zero_point) as i16).collect()
}

/// The kernel on already-centred A (`m × k`, i16).
///
/// # Panics
/// On length mismatches.
pub(crate) fn gemm_centred(a: &[i16], m: usize, b: &PackedB, bias: &[i32], out: &mut [i32]) {
    let (n, k) = (b.n, b.k);
    assert_eq!(a.len(), m * k, "A must hold m * k values");
    assert_eq!(bias.len(), n, "bias must hold n values");
    assert_eq!(out.len(), m * n, "C must hold m * n values");
    for i in 0..m {
        let row = &a[i * k..(i + 1) * k];
        for j in 0..n {
            out[i * n + j] = bias[j].wrapping_add(dot(row, b.column(j)));
        }
    }
}

/// Σ a[i] * b[i] with wrapping int32 adds.
#[inline(always)]
fn dot(a: &[i16], b: &[i16]) -> i32 {
    a.iter().zip(b).fold(0i32, |acc, (&x, &w)| {
        acc.wrapping_add(i32::from(x) * i32::from(w))
    })
}
