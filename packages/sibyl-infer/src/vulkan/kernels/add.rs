//! Element-wise quantized add: `add.comp`, one invocation per element.

use std::sync::Arc;

use sibyl_model::layer::Add;
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

/// `add.comp`'s push constants.
#[derive(BufferContents, Clone, Copy)]
#[repr(C)]
struct AddParams {
    elements: u32,
    lhs_signed: u32,
    rhs_signed: u32,
    left_shift: i32,
    lhs_zero_point: i32,
    lhs_multiplier: i32,
    lhs_shift: i32,
    rhs_zero_point: i32,
    rhs_multiplier: i32,
    rhs_shift: i32,
    output_multiplier: i32,
    output_shift: i32,
    output_zero_point: i32,
    act_min: i32,
    act_max: i32,
}

/// `out = requantize(MBQM((l - zl) << s, ml) + MBQM((r - zr) << s, mr))`, int8 output of the
/// inputs' shape.
pub(crate) fn add(
    context: &VulkanContext,
    pipeline: &Arc<ComputePipeline>,
    layer: LayerRef,
    add: &Add,
    lhs: &TensorBuffer,
    rhs: &TensorBuffer,
    output: &TensorBuffer,
) -> Result<Dispatch, EngineError> {
    layer.ensure_8bit(lhs, "left input")?;
    layer.ensure_8bit(rhs, "right input")?;
    layer.ensure(lhs.spec.shape == rhs.spec.shape, || {
        format!("the inputs {} and {} differ in shape", lhs.spec, rhs.spec)
    })?;
    layer.ensure(
        output.spec.dtype == DType::I8 && output.spec.shape == lhs.spec.shape,
        || {
            format!(
                "the output is {} but the layer writes int8{:?}",
                output.spec, lhs.spec.shape
            )
        },
    )?;
    let left_shift = i32::try_from(add.left_shift)
        .ok()
        .filter(|&shift| shift < 31)
        .ok_or_else(|| {
            layer.device_limit(format!("left shift {} is not below 31", add.left_shift))
        })?;
    layer.elements(lhs, "left input")?;
    layer.elements(rhs, "right input")?;
    let elements = layer.elements(output, "output")?;
    let workgroups = elementwise_workgroups(context, elements, WORKGROUP_SIZE)
        .map_err(|detail| layer.device_limit(detail))?;
    let params = AddParams {
        elements,
        lhs_signed: lhs.signed_flag(),
        rhs_signed: rhs.signed_flag(),
        left_shift,
        lhs_zero_point: add.lhs.zero_point,
        lhs_multiplier: add.lhs.requant.multiplier,
        lhs_shift: add.lhs.requant.shift,
        rhs_zero_point: add.rhs.zero_point,
        rhs_multiplier: add.rhs.requant.multiplier,
        rhs_shift: add.rhs.requant.shift,
        output_multiplier: add.output_requant.multiplier,
        output_shift: add.output_requant.shift,
        output_zero_point: add.output_zero_point,
        act_min: add.clamp.min,
        act_max: add.clamp.max,
    };
    let buffers = vec![
        WriteDescriptorSet::buffer(0, lhs.buffer.clone()),
        WriteDescriptorSet::buffer(1, rhs.buffer.clone()),
        WriteDescriptorSet::buffer(2, output.buffer.clone()),
    ];
    Dispatch::new(context, pipeline, buffers, params, workgroups)
}
