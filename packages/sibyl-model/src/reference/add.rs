//! TFLite-style element-wise add of two quantized tensors (docs/integer-ops.md, "Add").

use crate::layer::Add;
use crate::quant::{multiply_by_quantized_multiplier, requantize};

pub(super) fn run(add: &Add, lhs: &[i32], rhs: &[i32]) -> Vec<i8> {
    lhs.iter()
        .zip(rhs)
        .map(|(&l, &r)| {
            let l = multiply_by_quantized_multiplier(
                (l - add.lhs.zero_point) << add.left_shift,
                add.lhs.requant,
            );
            let r = multiply_by_quantized_multiplier(
                (r - add.rhs.zero_point) << add.left_shift,
                add.rhs.requant,
            );
            // Validated bounds: |l + r| <= 2 × 255 × 2^22 < 2^31; the clamp lies in int8.
            requantize(
                l.wrapping_add(r),
                add.output_requant,
                add.output_zero_point,
                add.clamp,
            ) as i8
        })
        .collect()
}
