//! Fully-connected layers: `fully_connected.comp` (tiled) or, for the benchmark's baseline,
//! `naive_gemm.comp`; both share bindings and push constants.

use std::sync::Arc;

use sibyl_model::quant::OutputStage;
use sibyl_model::DType;
use vulkano::buffer::{BufferContents, Subbuffer};
use vulkano::command_buffer::{AutoCommandBufferBuilder, PrimaryAutoCommandBuffer};
use vulkano::descriptor_set::WriteDescriptorSet;
use vulkano::pipeline::ComputePipeline;

use super::{LayerRef, TensorBuffer};
use crate::error::EngineError;
use crate::vulkan::buffers::upload;
use crate::vulkan::context::VulkanContext;
use crate::vulkan::dispatch::{tile_workgroups, Dispatch};

/// Which GEMM shader runs a fully-connected layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GemmKernel {
    /// 64 x 64 output tiles through shared memory (`fully_connected.comp`): what models use.
    Tiled,
    /// One invocation per output, no shared memory (`naive_gemm.comp`): a benchmark baseline.
    Naive,
}

impl GemmKernel {
    /// Outputs per workgroup along each axis.
    fn tile(self) -> u32 {
        match self {
            GemmKernel::Tiled => 64,
            GemmKernel::Naive => 16,
        }
    }
}

/// `[batch, in_features] x [out_features, in_features]^T`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct GemmShape {
    pub batch: u32,
    pub in_features: u32,
    pub out_features: u32,
    pub input_zero_point: i32,
}

/// `fully_connected.comp`'s push constants.
#[derive(BufferContents, Clone, Copy)]
#[repr(C)]
struct GemmParams {
    batch: u32,
    in_features: u32,
    out_features: u32,
    input_zero_point: i32,
    input_signed: u32,
    output_zero_point: i32,
    act_min: i32,
    act_max: i32,
}

/// A fully-connected or convolution layer's constants on the device. Requantization is stored
/// per output channel even when the model has one multiplier for all (the shader then needs no
/// branch). The bias holds the input zero point's share of the sum (see [`folded_bias`]).
pub(crate) struct GemmConstants {
    weights: Subbuffer<[i8]>,
    bias: Subbuffer<[i32]>,
    multipliers: Subbuffer<[i32]>,
    shifts: Subbuffer<[i32]>,
    channels: u64,
    zero_point: i32,
    act_min: i32,
    act_max: i32,
}

impl GemmConstants {
    /// Records the upload of `channels` channels' weights (`weights.len() / channels` each),
    /// biases and requantization, for an input with `input_zero_point`.
    pub fn upload(
        context: &VulkanContext,
        builder: &mut AutoCommandBufferBuilder<PrimaryAutoCommandBuffer>,
        weights: &[i8],
        bias: &[i32],
        stage: &OutputStage,
        channels: u32,
        input_zero_point: i32,
    ) -> Result<GemmConstants, EngineError> {
        let bias = folded_bias(weights, bias, input_zero_point);
        let requants: Vec<_> = (0..channels as usize)
            .map(|channel| stage.requant.for_channel(channel))
            .collect();
        let multipliers: Vec<i32> = requants.iter().map(|requant| requant.multiplier).collect();
        let shifts: Vec<i32> = requants.iter().map(|requant| requant.shift).collect();
        Ok(GemmConstants {
            weights: upload(context, builder, weights, "weights")?,
            bias: upload(context, builder, &bias, "biases")?,
            multipliers: upload(context, builder, &multipliers, "multipliers")?,
            shifts: upload(context, builder, &shifts, "shifts")?,
            channels: u64::from(channels),
            zero_point: stage.zero_point,
            act_min: stage.clamp.min,
            act_max: stage.clamp.max,
        })
    }

    /// Checks that these constants hold `channels` channels of `k` weights each.
    pub(super) fn ensure_shape(
        &self,
        layer: LayerRef,
        channels: u32,
        k: u64,
    ) -> Result<(), EngineError> {
        let channels = u64::from(channels);
        layer.ensure(
            self.channels == channels
                && self.weights.len() == channels * k
                && self.bias.len() == channels
                && self.multipliers.len() == channels
                && self.shifts.len() == channels,
            || format!("the constants do not hold {channels} channels of {k} weights"),
        )
    }

    /// Bindings 1 to 4 of the GEMM shaders.
    pub(super) fn bindings(&self) -> [WriteDescriptorSet; 4] {
        [
            WriteDescriptorSet::buffer(1, self.weights.clone()),
            WriteDescriptorSet::buffer(2, self.bias.clone()),
            WriteDescriptorSet::buffer(3, self.multipliers.clone()),
            WriteDescriptorSet::buffer(4, self.shifts.clone()),
        ]
    }

    pub(super) fn output_zero_point(&self) -> i32 {
        self.zero_point
    }

    pub(super) fn clamp(&self) -> (i32, i32) {
        (self.act_min, self.act_max)
    }
}

/// `bias[c] - input_zero_point * sum_k weights[c][k]` for each channel `c`, in wrapping int32
/// arithmetic. With it the kernels sum raw `x * w` instead of `(x - zero_point) * w`: both sums are
/// equal modulo 2^32, and the validator proves the true sum fits in int32, so they are equal.
fn folded_bias(weights: &[i8], bias: &[i32], input_zero_point: i32) -> Vec<i32> {
    let k = weights.len().checked_div(bias.len()).unwrap_or(0);
    bias.iter()
        .enumerate()
        .map(|(channel, &b)| {
            let weight_sum = weights[channel * k..(channel + 1) * k]
                .iter()
                .fold(0i32, |sum, &w| sum.wrapping_add(i32::from(w)));
            b.wrapping_sub(input_zero_point.wrapping_mul(weight_sum))
        })
        .collect()
}

/// `out[n][o] = requantize(bias[o] + sum_k (in[n][k] - zp) * weights[o][k])`, input
/// `[batch, in_features]` (int8 or uint8), output int8 `[batch, out_features]`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn fully_connected(
    context: &VulkanContext,
    pipeline: &Arc<ComputePipeline>,
    kernel: GemmKernel,
    layer: LayerRef,
    shape: GemmShape,
    constants: &GemmConstants,
    input: &TensorBuffer,
    output: &TensorBuffer,
) -> Result<Dispatch, EngineError> {
    let GemmShape {
        batch,
        in_features,
        out_features,
        input_zero_point,
    } = shape;
    layer.ensure_8bit(input, "input")?;
    layer.ensure(input.spec.shape == [batch, in_features], || {
        format!(
            "the input is {} but the layer reads [{batch}, {in_features}]",
            input.spec
        )
    })?;
    layer.ensure(
        output.spec.dtype == DType::I8 && output.spec.shape == [batch, out_features],
        || {
            format!(
                "the output is {} but the layer writes int8[{batch}, {out_features}]",
                output.spec
            )
        },
    )?;
    layer.elements(input, "input")?;
    layer.elements(output, "output")?;
    constants.ensure_shape(layer, out_features, u64::from(in_features))?;
    let workgroups = tile_workgroups(context, batch, out_features, kernel.tile(), 1)
        .map_err(|detail| layer.device_limit(detail))?;
    let (act_min, act_max) = constants.clamp();
    let params = GemmParams {
        batch,
        in_features,
        out_features,
        input_zero_point,
        input_signed: input.signed_flag(),
        output_zero_point: constants.output_zero_point(),
        act_min,
        act_max,
    };
    let [weights, bias, multipliers, shifts] = constants.bindings();
    let buffers = vec![
        WriteDescriptorSet::buffer(0, input.buffer.clone()),
        weights,
        bias,
        multipliers,
        shifts,
        WriteDescriptorSet::buffer(5, output.buffer.clone()),
    ];
    Dispatch::new(context, pipeline, buffers, params, workgroups)
}

#[cfg(test)]
mod tests {
    use super::folded_bias;

    #[test]
    fn folding_the_zero_point_into_the_bias_keeps_every_sum() {
        let weights = [127i8, -127, 5, -128, 0, 1];
        let (bias, zero_point, x) = ([1000, -7], -128, [[127i32, -128, 3], [0, 255, -1]]);
        let folded = folded_bias(&weights, &bias, zero_point);
        for row in x {
            for channel in 0..2 {
                let w = &weights[channel * 3..channel * 3 + 3];
                let centred: i32 = bias[channel]
                    + row
                        .iter()
                        .zip(w)
                        .map(|(&x, &w)| (x - zero_point) * i32::from(w))
                        .sum::<i32>();
                let raw: i32 = folded[channel]
                    + row
                        .iter()
                        .zip(w)
                        .map(|(&x, &w)| x * i32::from(w))
                        .sum::<i32>();
                assert_eq!(raw, centred);
            }
        }
    }

    #[test]
    fn folding_wraps_instead_of_overflowing() {
        assert_eq!(
            folded_bias(&[127; 4], &[i32::MIN], 255),
            vec![i32::MIN.wrapping_sub(255 * 508)]
        );
    }
}
