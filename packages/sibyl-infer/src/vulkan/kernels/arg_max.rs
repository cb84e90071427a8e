//! Index of the largest value along the last axis: `arg_max.comp`, one invocation per row.

use std::sync::Arc;

use sibyl_model::DType;
use vulkano::buffer::BufferContents;
use vulkano::descriptor_set::WriteDescriptorSet;
use vulkano::pipeline::ComputePipeline;

use super::{LayerRef, TensorBuffer};
use crate::error::EngineError;
use crate::vulkan::context::VulkanContext;
use crate::vulkan::dispatch::{elementwise_workgroups, Dispatch};

/// Invocations per workgroup of the element-wise shaders (grid.glsl).
const WORKGROUP_SIZE: u32 = 64;

/// `arg_max.comp`'s push constants; `input_dtype` is the model-file dtype code.
#[derive(BufferContents, Clone, Copy)]
#[repr(C)]
struct ArgMaxParams {
    rows: u32,
    axis: u32,
    input_dtype: u32,
}

/// int32 output: the input's shape with the last dimension 1; ties go to the lowest index.
pub(crate) fn arg_max(
    context: &VulkanContext,
    pipeline: &Arc<ComputePipeline>,
    layer: LayerRef,
    input: &TensorBuffer,
    output: &TensorBuffer,
) -> Result<Dispatch, EngineError> {
    let axis = input.spec.shape.last().copied().unwrap_or(0);
    let mut expected = input.spec.shape.clone();
    if let Some(last) = expected.last_mut() {
        *last = 1;
    }
    layer.ensure(axis > 0, || {
        format!("the input {} has no last axis", input.spec)
    })?;
    layer.ensure(
        output.spec.dtype == DType::I32 && output.spec.shape == expected,
        || {
            format!(
                "the output is {} but the layer writes int32{expected:?}",
                output.spec
            )
        },
    )?;
    layer.elements(input, "input")?;
    let rows = layer.elements(output, "output")?;
    let workgroups = elementwise_workgroups(context, rows, WORKGROUP_SIZE)
        .map_err(|detail| layer.device_limit(detail))?;
    let params = ArgMaxParams {
        rows,
        axis,
        input_dtype: u32::from(input.spec.dtype.code()),
    };
    let buffers = vec![
        WriteDescriptorSet::buffer(0, input.buffer.clone()),
        WriteDescriptorSet::buffer(1, output.buffer.clone()),
    ];
    Dispatch::new(context, pipeline, buffers, params, workgroups)
}
