//! 2-D convolution with groups: `conv2d.comp`, a tiled implicit GEMM per group, or
//! `direct_conv2d.comp`, one invocation per output, when the groups are too narrow to fill a tile.

use sibyl_model::layer::Conv2d;
use sibyl_model::DType;
use vulkano::buffer::BufferContents;
use vulkano::descriptor_set::WriteDescriptorSet;

use super::{GemmConstants, LayerRef, TensorBuffer};
use crate::error::EngineError;
use crate::vulkan::context::VulkanContext;
use crate::vulkan::dispatch::{elementwise_workgroups, tile_workgroups, Dispatch};
use crate::vulkan::shaders::Pipelines;

/// Output tile side of `tiled_gemm.glsl`.
const TILE: u32 = 64;
/// Groups with fewer output channels than this (depthwise layers have one or a few) use the
/// direct kernel: in a tiled launch more than three quarters of each tile would idle.
const DIRECT_BELOW_OUT_PER_GROUP: u32 = 16;
/// Invocations per workgroup of the direct kernel (grid.glsl).
const DIRECT_WORKGROUP_SIZE: u32 = 64;

/// The push constants of `conv2d.comp` and `direct_conv2d.comp`.
#[derive(BufferContents, Clone, Copy)]
#[repr(C)]
struct Conv2dParams {
    pixels: u32,
    in_h: u32,
    in_w: u32,
    in_channels: u32,
    out_h: u32,
    out_w: u32,
    kernel_h: u32,
    kernel_w: u32,
    channels_per_group: u32,
    out_per_group: u32,
    out_channels: u32,
    stride_h: u32,
    stride_w: u32,
    pad_top: u32,
    pad_left: u32,
    input_zero_point: i32,
    input_signed: u32,
    output_zero_point: i32,
    act_min: i32,
    act_max: i32,
}

/// NHWC input `[n, h, w, groups * in_channels_per_group]` (int8 or uint8), OHWI weights, output
/// int8 `[n, out_h, out_w, out_channels]`; padding holds the input zero point.
pub(crate) fn conv2d(
    context: &VulkanContext,
    pipelines: &Pipelines,
    layer: LayerRef,
    conv: &Conv2d,
    constants: &GemmConstants,
    input: &TensorBuffer,
    output: &TensorBuffer,
) -> Result<Dispatch, EngineError> {
    layer.ensure_8bit(input, "input")?;
    let &[batch, in_h, in_w, in_channels] = input.spec.shape.as_slice() else {
        return Err(shape_error(
            layer,
            format!("the input {} is not NHWC", input.spec),
        ));
    };
    let groups = conv.groups;
    layer.ensure(
        groups > 0
            && conv.stride_h > 0
            && conv.stride_w > 0
            && u64::from(conv.in_channels_per_group) * u64::from(groups) == u64::from(in_channels)
            && conv.out_channels.is_multiple_of(groups),
        || {
            format!(
                "the input {} does not split into {groups} groups",
                input.spec
            )
        },
    )?;
    let out_h = output_extent(
        in_h,
        conv.padding.top,
        conv.padding.bottom,
        conv.kernel_h,
        conv.stride_h,
    );
    let out_w = output_extent(
        in_w,
        conv.padding.left,
        conv.padding.right,
        conv.kernel_w,
        conv.stride_w,
    );
    let expected = out_h
        .zip(out_w)
        .map(|(out_h, out_w)| vec![batch, out_h, out_w, conv.out_channels]);
    layer.ensure(
        output.spec.dtype == DType::I8 && Some(&output.spec.shape) == expected.as_ref(),
        || {
            format!(
                "the output is {} but the layer writes int8{expected:?}",
                output.spec
            )
        },
    )?;
    layer.elements(input, "input")?;
    let pixels_and_channels = layer.elements(output, "output")?;
    let pixels = pixels_and_channels / conv.out_channels.max(1);
    let (out_h, out_w) = (output.spec.shape[1], output.spec.shape[2]);
    let k =
        u64::from(conv.kernel_h) * u64::from(conv.kernel_w) * u64::from(conv.in_channels_per_group);
    constants.ensure_shape(layer, conv.out_channels, k)?;
    let out_per_group = conv.out_channels / groups;
    let (pipeline, workgroups) = if out_per_group < DIRECT_BELOW_OUT_PER_GROUP {
        let workgroups =
            elementwise_workgroups(context, pixels_and_channels, DIRECT_WORKGROUP_SIZE);
        (&pipelines.direct_conv2d, workgroups)
    } else {
        let workgroups = tile_workgroups(context, pixels, out_per_group, TILE, groups);
        (&pipelines.conv2d, workgroups)
    };
    let workgroups = workgroups.map_err(|detail| layer.device_limit(detail))?;
    let (act_min, act_max) = constants.clamp();
    let params = Conv2dParams {
        pixels,
        in_h,
        in_w,
        in_channels,
        out_h,
        out_w,
        kernel_h: conv.kernel_h,
        kernel_w: conv.kernel_w,
        channels_per_group: conv.in_channels_per_group,
        out_per_group,
        out_channels: conv.out_channels,
        stride_h: conv.stride_h,
        stride_w: conv.stride_w,
        pad_top: conv.padding.top,
        pad_left: conv.padding.left,
        input_zero_point: conv.input_zero_point,
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

/// `(size + pad_before + pad_after - kernel) / stride + 1`, or `None` when the kernel does not fit
/// the padded size (validated models always fit).
pub(super) fn output_extent(
    size: u32,
    pad_before: u32,
    pad_after: u32,
    kernel: u32,
    stride: u32,
) -> Option<u32> {
    let padded = u64::from(size) + u64::from(pad_before) + u64::from(pad_after);
    let span = padded.checked_sub(u64::from(kernel))?;
    u32::try_from(span / u64::from(stride.max(1)) + 1).ok()
}

fn shape_error(layer: LayerRef, detail: String) -> EngineError {
    EngineError::ShapeMismatch {
        layer: layer.index,
        op: layer.op,
        detail,
    }
}
