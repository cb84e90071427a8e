//! Max and average pooling over NHWC windows; padded positions are skipped.

use crate::gemm::Quantized8;
use crate::layer::{AvgPool2d, Window2d};
use crate::tensor::TensorSpec;

pub(super) fn max_pool<T: Quantized8 + Ord>(
    window: &Window2d,
    input: &[T],
    spec: &TensorSpec,
) -> Vec<T> {
    pool(window, input, spec, |values| {
        values.max().unwrap_or_else(|| unreachable_empty())
    })
}

pub(super) fn avg_pool<T: Quantized8 + TryFrom<i32>>(
    pool_layer: &AvgPool2d,
    input: &[T],
    spec: &TensorSpec,
) -> Vec<T> {
    pool(&pool_layer.window, input, spec, |values| {
        let (sum, count) =
            values.fold((0i32, 0i32), |(sum, count), v| (sum + v.widen(), count + 1));
        let clamped = pool_layer.clamp.apply(rounded_average(sum, count));
        // The clamp lies inside T's range in a validated model.
        T::try_from(clamped).unwrap_or_else(|_| unreachable!("clamp is validated to fit the dtype"))
    })
}

/// `sum / count` rounded to nearest, ties away from zero (count >= 1).
pub(crate) fn rounded_average(sum: i32, count: i32) -> i32 {
    if sum >= 0 {
        (sum + count / 2) / count
    } else {
        (sum - count / 2) / count
    }
}

/// Validated windows are never all padding (each pad is smaller than the kernel).
fn unreachable_empty() -> ! {
    unreachable!("a validated pooling window always holds a real element")
}

/// Applies `reduce` to the real elements of every window, output NHWC.
fn pool<T: Quantized8, R>(
    window: &Window2d,
    input: &[T],
    spec: &TensorSpec,
    mut reduce: R,
) -> Vec<T>
where
    R: FnMut(&mut dyn Iterator<Item = T>) -> T,
{
    let [batch, in_h, in_w, channels] = [0, 1, 2, 3].map(|axis| spec.shape[axis] as usize);
    let (kernel_h, kernel_w) = (window.kernel_h as usize, window.kernel_w as usize);
    let (stride_h, stride_w) = (window.stride_h as usize, window.stride_w as usize);
    let (pad_top, pad_left) = (window.padding.top as usize, window.padding.left as usize);
    let out_h = (in_h + pad_top + window.padding.bottom as usize - kernel_h) / stride_h + 1;
    let out_w = (in_w + pad_left + window.padding.right as usize - kernel_w) / stride_w + 1;
    let mut out = Vec::with_capacity(batch * out_h * out_w * channels);
    for n in 0..batch {
        for oy in 0..out_h {
            // Rows of the window that fall inside the image.
            let rows = (oy * stride_h).saturating_sub(pad_top)
                ..(oy * stride_h + kernel_h - pad_top).min(in_h);
            for ox in 0..out_w {
                let cols = (ox * stride_w).saturating_sub(pad_left)
                    ..(ox * stride_w + kernel_w - pad_left).min(in_w);
                for c in 0..channels {
                    let mut values = rows.clone().flat_map(|y| {
                        cols.clone()
                            .map(move |x| input[((n * in_h + y) * in_w + x) * channels + c])
                    });
                    out.push(reduce(&mut values));
                }
            }
        }
    }
    out
}
