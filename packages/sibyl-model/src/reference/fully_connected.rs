//! Fully-connected layer: one GEMM with the weights as B^T, then requantization.

use crate::gemm::{gemm_requantized, PackedB, Quantized8};
use crate::layer::FullyConnected;
use crate::tensor::TensorSpec;

/// The weights packed for the GEMM (`[out_features, in_features]` is B^T).
pub(super) fn pack(fc: &FullyConnected) -> PackedB {
    PackedB::from_n_by_k(
        &fc.weights,
        fc.out_features as usize,
        fc.in_features as usize,
    )
}

pub(super) fn run<T: Quantized8>(
    fc: &FullyConnected,
    weights: &PackedB,
    input: &[T],
    input_spec: &TensorSpec,
) -> Vec<i8> {
    let batch = input_spec.shape[0] as usize;
    let n = fc.out_features as usize;
    let mut out = vec![0i8; batch * n];
    gemm_requantized(
        input,
        batch,
        fc.input_zero_point,
        weights,
        &fc.bias,
        &fc.output,
        &mut out,
    );
    out
}
