//! 2-D convolution (NHWC, OHWI weights, groups): im2col into patches (values mapped to unsigned
//! bytes, as the GEMM takes them), one GEMM per group, then requantization. Padded positions hold
//! the input zero point, so they add nothing.

use crate::gemm::{gemm_unsigned, requantize_rows, PackedB, Quantized8};
use crate::layer::Conv2d;
use crate::quant::{ChannelRequant, OutputStage};
use crate::tensor::TensorSpec;

/// Most output pixels per GEMM call.
const PIXELS_PER_BLOCK: usize = 256;
/// Bytes of im2col patches per GEMM call (at least one patch): bounds memory for long reductions.
const PATCH_BUDGET: usize = 1 << 20;

/// The weights of each group packed for the GEMM (OHWI rows are B^T, one row per output channel).
pub(super) fn pack(conv: &Conv2d) -> Vec<PackedB> {
    let groups = conv.groups as usize;
    let out_per_group = conv.out_channels as usize / groups;
    let k = (conv.kernel_h * conv.kernel_w * conv.in_channels_per_group) as usize;
    conv.weights
        .chunks_exact((out_per_group * k).max(1))
        .map(|group_weights| PackedB::from_n_by_k(group_weights, out_per_group, k))
        .collect()
}

pub(super) fn run<T: Quantized8>(
    conv: &Conv2d,
    weights: &[PackedB],
    input: &[T],
    input_spec: &TensorSpec,
) -> Vec<i8> {
    let geometry = Geometry::new(conv, input_spec);
    let unsigned: Vec<u8> = input.iter().map(|&x| x.to_unsigned()).collect();
    // A validated zero point is a value of T, so it maps into 0..=255.
    let zero_point = conv.input_zero_point + T::UNSIGNED_OFFSET;
    let pad = zero_point as u8;
    let groups = conv.groups as usize;
    let out_per_group = conv.out_channels as usize / groups;
    let k = geometry.patch_len();
    let pixels = geometry.batch * geometry.out_h * geometry.out_w;
    let out_channels = conv.out_channels as usize;
    let mut out = vec![0i8; pixels * out_channels];
    let block = (PATCH_BUDGET / k.max(1)).clamp(1, PIXELS_PER_BLOCK);
    let mut patches = Vec::with_capacity(block.min(pixels) * k);
    let mut acc = Vec::new();
    let mut block_out = Vec::new();
    for (group, weights) in weights.iter().enumerate().take(groups) {
        let channels = group * out_per_group..(group + 1) * out_per_group;
        let stage = group_stage(&conv.output, channels.clone());
        for first in (0..pixels).step_by(block) {
            let count = block.min(pixels - first);
            patches.clear();
            for pixel in first..first + count {
                geometry.push_patch(&unsigned, pad, pixel, group, &mut patches);
            }
            acc.resize(count * out_per_group, 0);
            gemm_unsigned(
                &patches,
                count,
                zero_point,
                weights,
                &conv.bias[channels.clone()],
                &mut acc,
            );
            block_out.resize(count * out_per_group, 0);
            requantize_rows(&acc, out_per_group, &stage, &mut block_out);
            for (offset, row) in block_out.chunks_exact(out_per_group).enumerate() {
                let start = (first + offset) * out_channels + channels.start;
                out[start..start + out_per_group].copy_from_slice(row);
            }
        }
    }
    out
}

/// The output stage restricted to one group's channels.
fn group_stage(stage: &OutputStage, channels: core::ops::Range<usize>) -> OutputStage {
    let requant = match &stage.requant {
        ChannelRequant::PerTensor(requant) => ChannelRequant::PerTensor(*requant),
        ChannelRequant::PerChannel(requants) => {
            ChannelRequant::PerChannel(requants[channels].to_vec())
        }
    };
    OutputStage {
        requant,
        zero_point: stage.zero_point,
        clamp: stage.clamp,
    }
}

struct Geometry {
    batch: usize,
    in_h: usize,
    in_w: usize,
    in_c: usize,
    out_h: usize,
    out_w: usize,
    kernel_h: usize,
    kernel_w: usize,
    group_c: usize,
    stride_h: usize,
    stride_w: usize,
    pad_top: usize,
    pad_left: usize,
}

impl Geometry {
    fn new(conv: &Conv2d, input: &TensorSpec) -> Geometry {
        let [batch, in_h, in_w, in_c] = [0, 1, 2, 3].map(|axis| input.shape[axis] as usize);
        let (kernel_h, kernel_w) = (conv.kernel_h as usize, conv.kernel_w as usize);
        let (stride_h, stride_w) = (conv.stride_h as usize, conv.stride_w as usize);
        let padded_h = in_h + conv.padding.top as usize + conv.padding.bottom as usize;
        let padded_w = in_w + conv.padding.left as usize + conv.padding.right as usize;
        Geometry {
            batch,
            in_h,
            in_w,
            in_c,
            out_h: (padded_h - kernel_h) / stride_h + 1,
            out_w: (padded_w - kernel_w) / stride_w + 1,
            kernel_h,
            kernel_w,
            group_c: conv.in_channels_per_group as usize,
            stride_h,
            stride_w,
            pad_top: conv.padding.top as usize,
            pad_left: conv.padding.left as usize,
        }
    }

    fn patch_len(&self) -> usize {
        self.kernel_h * self.kernel_w * self.group_c
    }

    /// Appends the patch (ky, kx, channel order = OHWI weight order) of one output pixel; padded
    /// positions get `pad`, the input zero point.
    fn push_patch(&self, input: &[u8], pad: u8, pixel: usize, group: usize, patches: &mut Vec<u8>) {
        let ox = pixel % self.out_w;
        let oy = (pixel / self.out_w) % self.out_h;
        let n = pixel / (self.out_w * self.out_h);
        let first_channel = group * self.group_c;
        for ky in 0..self.kernel_h {
            // Padded coordinates: position `p` in the padded image is input row `p - pad_top`.
            let y = (oy * self.stride_h + ky)
                .checked_sub(self.pad_top)
                .filter(|&y| y < self.in_h);
            for kx in 0..self.kernel_w {
                let x = (ox * self.stride_w + kx)
                    .checked_sub(self.pad_left)
                    .filter(|&x| x < self.in_w);
                match (y, x) {
                    (Some(y), Some(x)) => {
                        let start =
                            ((n * self.in_h + y) * self.in_w + x) * self.in_c + first_channel;
                        patches.extend_from_slice(&input[start..start + self.group_c]);
                    }
                    _ => patches.extend(core::iter::repeat_n(pad, self.group_c)),
                }
            }
        }
    }
}
