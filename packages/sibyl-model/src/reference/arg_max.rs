//! Index of the largest value along the last axis; ties go to the lowest index.

use crate::tensor::TensorSpec;

pub(super) fn run(input: &[i32], spec: &TensorSpec) -> Vec<i32> {
    let axis = spec.shape[spec.shape.len() - 1] as usize;
    input
        .chunks_exact(axis)
        .map(|row| {
            let mut best = 0;
            for (index, &value) in row.iter().enumerate() {
                if value > row[best] {
                    best = index;
                }
            }
            // The validator caps the axis length at i32::MAX, so the index always fits.
            i32::try_from(best).unwrap_or(i32::MAX)
        })
        .collect()
}
