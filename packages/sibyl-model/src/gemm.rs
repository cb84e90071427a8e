//! The exact int8 GEMM kernel of the CPU reference (used by fully-connected and convolution layers,
//! and benchmarked on its own).
//!
//! `C[i][j] = bias[j] + Σ_k (A[i][k] - a_zero_point) * B[k][j]` in int32 with wrapping adds.
//! Wrapping int32 arithmetic is a ring, so every grouping of these sums gives the same bits; the
//! kernels below regroup freely and stay exact:
//! - `portable`: centred i16 values and 4 × 4 register tiles of i16 dot products, compiled for
//!   the best available instruction set (the compiler vectorizes it to `pmaddwd`);
//! - `vnni` (x86-64 with AVX-512 VNNI): `vpdpbusd` on A shifted to unsigned bytes, then
//!   `- zero_point × Σ_k B[k][j]`. `vpdpbusd` adds four u8 × i8 products into i32 without any
//!   intermediate saturation, unlike the AVX2 `pmaddubsw` path of other libraries, so it is exact.

mod portable;
#[cfg(target_arch = "x86_64")]
mod vnni;

use crate::quant::{requantize, OutputStage};

/// An 8-bit activation element.
pub trait Quantized8: Copy + Send + Sync {
    /// Added to a value (and its zero point) to map the type's range onto 0..=255.
    const UNSIGNED_OFFSET: i32;
    /// The value, widened exactly.
    fn widen(self) -> i32;
    /// `self + UNSIGNED_OFFSET` as a byte.
    fn to_unsigned(self) -> u8;
}

impl Quantized8 for i8 {
    const UNSIGNED_OFFSET: i32 = 128;
    fn widen(self) -> i32 {
        i32::from(self)
    }
    fn to_unsigned(self) -> u8 {
        (self as u8) ^ 0x80
    }
}

impl Quantized8 for u8 {
    const UNSIGNED_OFFSET: i32 = 0;
    fn widen(self) -> i32 {
        i32::from(self)
    }
    fn to_unsigned(self) -> u8 {
        self
    }
}

/// Which kernel a [`PackedB`] is laid out for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kernel {
    /// Portable Rust, vectorized by the compiler (any CPU).
    Portable,
    /// x86-64 AVX-512 VNNI `vpdpbusd` (exact).
    Avx512Vnni,
}

impl Kernel {
    /// The fastest kernel this CPU supports.
    pub fn best() -> Kernel {
        #[cfg(target_arch = "x86_64")]
        if vnni::available() {
            return Kernel::Avx512Vnni;
        }
        Kernel::Portable
    }
}

/// The right-hand matrix `B` (k × n, int8) packed once for one kernel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PackedB {
    n: usize,
    k: usize,
    layout: Layout,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Layout {
    /// One contiguous row of `k` widened values per output column.
    Columns(Vec<i16>),
    #[cfg(target_arch = "x86_64")]
    Vnni(vnni::Panels),
}

impl PackedB {
    /// Packs a row-major `k × n` matrix for the best kernel.
    ///
    /// # Panics
    /// If `b.len() != k * n`.
    pub fn from_k_by_n(b: &[i8], k: usize, n: usize) -> PackedB {
        assert_eq!(b.len(), k * n, "B must hold k * n values");
        PackedB::pack(Kernel::best(), n, k, |column, depth| b[depth * n + column])
    }

    /// Packs a row-major `n × k` matrix (the transpose of B), such as fully-connected weights
    /// `[out_features, in_features]`, for the best kernel.
    ///
    /// # Panics
    /// If `bt.len() != n * k`.
    pub fn from_n_by_k(bt: &[i8], n: usize, k: usize) -> PackedB {
        PackedB::from_n_by_k_for(Kernel::best(), bt, n, k)
    }

    /// As [`PackedB::from_n_by_k`], for a chosen kernel. Falls back to `Portable` when the CPU
    /// lacks the requested one, or for fewer than 16 columns (the VNNI layout pads B to 32
    /// columns, which would more than double it); [`PackedB::kernel`] says which was used.
    ///
    /// # Panics
    /// If `bt.len() != n * k`.
    pub fn from_n_by_k_for(kernel: Kernel, bt: &[i8], n: usize, k: usize) -> PackedB {
        assert_eq!(bt.len(), n * k, "B^T must hold n * k values");
        PackedB::pack(kernel, n, k, |column, depth| bt[column * k + depth])
    }

    fn pack(kernel: Kernel, n: usize, k: usize, value: impl Fn(usize, usize) -> i8) -> PackedB {
        let layout = match kernel {
            #[cfg(target_arch = "x86_64")]
            Kernel::Avx512Vnni if vnni::available() && n >= vnni::MIN_COLUMNS => {
                Layout::Vnni(vnni::Panels::new(n, k, &value))
            }
            _ => Layout::Columns(
                (0..n)
                    .flat_map(|column| (0..k).map(move |depth| (column, depth)))
                    .map(|(column, depth)| i16::from(value(column, depth)))
                    .collect(),
            ),
        };
        PackedB { n, k, layout }
    }

    pub fn n(&self) -> usize {
        self.n
    }

    pub fn k(&self) -> usize {
        self.k
    }

    /// The kernel this packing runs on.
    pub fn kernel(&self) -> Kernel {
        match self.layout {
            Layout::Columns(_) => Kernel::Portable,
            #[cfg(target_arch = "x86_64")]
            Layout::Vnni(_) => Kernel::Avx512Vnni,
        }
    }
}

/// Raw int32 accumulators: `out[i * n + j] = bias[j] + Σ_k (a[i * k + kk] - a_zero_point) * B[kk][j]`.
///
/// # Panics
/// If `a.len() != m * k`, `bias.len() != n` or `out.len() != m * n`, or if `a_zero_point` is not
/// a value of `T`.
pub fn gemm_i32<T: Quantized8>(
    a: &[T],
    m: usize,
    a_zero_point: i32,
    b: &PackedB,
    bias: &[i32],
    out: &mut [i32],
) {
    assert_eq!(a.len(), m * b.k, "A must hold m * k values");
    let zero_point = a_zero_point + T::UNSIGNED_OFFSET;
    assert!(
        (0..=255).contains(&zero_point),
        "the zero point must be a value of A's type"
    );
    let unsigned: Vec<u8> = a.iter().map(|&x| x.to_unsigned()).collect();
    gemm_unsigned(&unsigned, m, zero_point, b, bias, out);
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

/// The kernel on A already mapped to unsigned bytes (`m × k`) with its zero point in 0..=255.
///
/// # Panics
/// On length mismatches.
pub(crate) fn gemm_unsigned(
    a: &[u8],
    m: usize,
    zero_point: i32,
    b: &PackedB,
    bias: &[i32],
    out: &mut [i32],
) {
    assert_eq!(a.len(), m * b.k, "A must hold m * k values");
    assert_eq!(bias.len(), b.n, "bias must hold n values");
    assert_eq!(out.len(), m * b.n, "C must hold m * n values");
    if b.k == 0 {
        // An empty reduction: every output is its bias.
        for row in out.chunks_exact_mut(b.n.max(1)) {
            row.copy_from_slice(&bias[..row.len()]);
        }
        return;
    }
    match &b.layout {
        Layout::Columns(columns) => portable::gemm(a, m, zero_point, columns, b.n, b.k, bias, out),
        #[cfg(target_arch = "x86_64")]
        Layout::Vnni(panels) => vnni::gemm(a, m, zero_point, panels, bias, out),
    }
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
