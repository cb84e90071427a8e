//! Fully-connected layer: one GEMM with the weights as B^T, then requantization.

use crate::gemm::{gemm_requantized, PackedB, Quantized8};
use crate::layer::FullyConnected;
use crate::tensor::TensorSpec;

pub(super) fn run<T: Quantized8>(
    fc: &FullyConnected,
    input: &[T],
    input_spec: &TensorSpec,
) -> Vec<i8> {
    let batch = input_spec.shape[0] as usize;
    let (n, k) = (fc.out_features as usize, fc.in_features as usize);
    let weights = PackedB::from_n_by_k(&fc.weights, n, k);
    let mut out = vec![0i8; batch * n];
    gemm_requantized(
        input,
        batch,
        fc.input_zero_point,
        &weights,
        &fc.bias,
        &fc.output,
        &mut out,
    );
    out
}
