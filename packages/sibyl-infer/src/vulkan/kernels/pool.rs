//! Max and average pooling: `max_pool.comp` and `avg_pool.comp`, one invocation per output.

use std::sync::Arc;

use sibyl_model::layer::{AvgPool2d, Window2d};
use vulkano::buffer::BufferContents;
use vulkano::descriptor_set::WriteDescriptorSet;
use vulkano::pipeline::ComputePipeline;

use super::conv2d::output_extent;
use super::{LayerRef, TensorBuffer};
use crate::error::EngineError;
use crate::vulkan::context::VulkanContext;
use crate::vulkan::dispatch::{elementwise_workgroups, Dispatch};

/// Invocations per workgroup of the element-wise shaders (grid.glsl).
const WORKGROUP_SIZE: u32 = 64;

/// `max_pool.comp`'s push constants (`avg_pool.comp` adds the clamp).
#[derive(BufferContents, Clone, Copy)]
#[repr(C)]
struct PoolParams {
    elements: u32,
    in_h: u32,
    in_w: u32,
    channels: u32,
    out_h: u32,
    out_w: u32,
    kernel_h: u32,
    kernel_w: u32,
    stride_h: u32,
    stride_w: u32,
    pad_top: u32,
    pad_left: u32,
    input_signed: u32,
}

#[derive(BufferContents, Clone, Copy)]
#[repr(C)]
struct AvgPoolParams {
    window: PoolParams,
    act_min: i32,
    act_max: i32,
}

/// Maximum of the real elements of each window; output dtype = input dtype.
pub(crate) fn max_pool(
    context: &VulkanContext,
    pipeline: &Arc<ComputePipeline>,
    layer: LayerRef,
    window: &Window2d,
    input: &TensorBuffer,
    output: &TensorBuffer,
) -> Result<Dispatch, EngineError> {
    let (params, workgroups) = window_params(context, layer, window, input, output)?;
    Dispatch::new(
        context,
        pipeline,
        bindings(input, output),
        params,
        workgroups,
    )
}

/// Rounded average of the real elements of each window, clamped; output dtype = input dtype.
pub(crate) fn avg_pool(
    context: &VulkanContext,
    pipeline: &Arc<ComputePipeline>,
    layer: LayerRef,
    pool: &AvgPool2d,
    input: &TensorBuffer,
    output: &TensorBuffer,
) -> Result<Dispatch, EngineError> {
    let (window, workgroups) = window_params(context, layer, &pool.window, input, output)?;
    let params = AvgPoolParams {
        window,
        act_min: pool.clamp.min,
        act_max: pool.clamp.max,
    };
    Dispatch::new(
        context,
        pipeline,
        bindings(input, output),
        params,
        workgroups,
    )
}

fn bindings(input: &TensorBuffer, output: &TensorBuffer) -> Vec<WriteDescriptorSet> {
    vec![
        WriteDescriptorSet::buffer(0, input.buffer.clone()),
        WriteDescriptorSet::buffer(1, output.buffer.clone()),
    ]
}

/// Checks the window against the tensors (every pad smaller than its kernel, so no window is all
/// padding) and returns the shared push constants and workgroup counts.
fn window_params(
    context: &VulkanContext,
    layer: LayerRef,
    window: &Window2d,
    input: &TensorBuffer,
    output: &TensorBuffer,
) -> Result<(PoolParams, [u32; 3]), EngineError> {
    layer.ensure_8bit(input, "input")?;
    let padding = window.padding;
    layer.ensure(
        window.stride_h > 0
            && window.stride_w > 0
            && padding.top < window.kernel_h
            && padding.bottom < window.kernel_h
            && padding.left < window.kernel_w
            && padding.right < window.kernel_w,
        || format!("the window {window:?} has a window of padding only"),
    )?;
    let &[batch, in_h, in_w, channels] = input.spec.shape.as_slice() else {
        return Err(EngineError::ShapeMismatch {
            layer: layer.index,
            op: layer.op,
            detail: format!("the input {} is not NHWC", input.spec),
        });
    };
    let out_h = output_extent(
        in_h,
        padding.top,
        padding.bottom,
        window.kernel_h,
        window.stride_h,
    );
    let out_w = output_extent(
        in_w,
        padding.left,
        padding.right,
        window.kernel_w,
        window.stride_w,
    );
    let expected = out_h
        .zip(out_w)
        .map(|(out_h, out_w)| vec![batch, out_h, out_w, channels]);
    layer.ensure(
        output.spec.dtype == input.spec.dtype && Some(&output.spec.shape) == expected.as_ref(),
        || {
            format!(
                "the output is {} but the layer writes {}{expected:?}",
                output.spec, input.spec.dtype
            )
        },
    )?;
    layer.elements(input, "input")?;
    let elements = layer.elements(output, "output")?;
    let workgroups = elementwise_workgroups(context, elements, WORKGROUP_SIZE)
        .map_err(|detail| layer.device_limit(detail))?;
    let params = PoolParams {
        elements,
        in_h,
        in_w,
        channels,
        out_h: output.spec.shape[1],
        out_w: output.spec.shape[2],
        kernel_h: window.kernel_h,
        kernel_w: window.kernel_w,
        stride_h: window.stride_h,
        stride_w: window.stride_w,
        pad_top: padding.top,
        pad_left: padding.left,
        input_signed: input.signed_flag(),
    };
    Ok((params, workgroups))
}
