//! A kernel launch whose shapes have been checked: pipeline, bound buffers, push constants and
//! workgroup counts. Made by the functions in `kernels/`, recorded into a run's command buffer.

use std::sync::Arc;

use vulkano::buffer::BufferContents;
use vulkano::command_buffer::{AutoCommandBufferBuilder, PrimaryAutoCommandBuffer};
use vulkano::descriptor_set::{DescriptorSet, WriteDescriptorSet};
use vulkano::pipeline::{ComputePipeline, Pipeline, PipelineBindPoint, PipelineLayout};
use vulkano::ValidationError;

use crate::error::EngineError;
use crate::vulkan::context::VulkanContext;

pub(crate) struct Dispatch {
    pipeline: Arc<ComputePipeline>,
    descriptor_set: Arc<DescriptorSet>,
    push_constants: PushConstantsRecorder,
    workgroups: [u32; 3],
}

/// Records one push-constant block (a `#[repr(C)]` struct matching the shader's `Params`).
type PushConstantsRecorder = Box<
    dyn Fn(
            &mut AutoCommandBufferBuilder<PrimaryAutoCommandBuffer>,
            Arc<PipelineLayout>,
        ) -> Result<(), Box<ValidationError>>
        + Send
        + Sync,
>;

impl Dispatch {
    /// A launch of `pipeline` over `workgroups` with `buffers` bound to bindings 0, 1, ... of
    /// set 0. The caller has checked every shape the shader reads against the buffers' sizes.
    pub fn new(
        context: &VulkanContext,
        pipeline: &Arc<ComputePipeline>,
        buffers: Vec<WriteDescriptorSet>,
        push_constants: impl BufferContents + Copy,
        workgroups: [u32; 3],
    ) -> Result<Dispatch, EngineError> {
        let layout = pipeline.layout().set_layouts().first().ok_or_else(|| {
            EngineError::vulkan(
                "binding kernel buffers",
                "the pipeline has no descriptor set",
            )
        })?;
        let descriptor_set = DescriptorSet::new(
            context.descriptor_set_allocator().clone(),
            Arc::clone(layout),
            buffers,
            [],
        )
        .map_err(|error| EngineError::vulkan("binding kernel buffers", error))?;
        Ok(Dispatch {
            pipeline: Arc::clone(pipeline),
            descriptor_set,
            push_constants: Box::new(move |builder, layout| {
                builder
                    .push_constants(layout, 0, push_constants)
                    .map(|_| ())
            }),
            workgroups,
        })
    }

    /// Records the launch. Barriers between launches that share buffers are inserted by vulkano's
    /// command buffer builder, which tracks every bound buffer.
    pub fn record(
        &self,
        builder: &mut AutoCommandBufferBuilder<PrimaryAutoCommandBuffer>,
    ) -> Result<(), EngineError> {
        let failed =
            |error: &dyn std::fmt::Display| EngineError::vulkan("recording a kernel launch", error);
        let layout = self.pipeline.layout();
        builder
            .bind_pipeline_compute(Arc::clone(&self.pipeline))
            .map_err(|error| failed(&error))?
            .bind_descriptor_sets(
                PipelineBindPoint::Compute,
                Arc::clone(layout),
                0,
                Arc::clone(&self.descriptor_set),
            )
            .map_err(|error| failed(&error))?;
        (self.push_constants)(builder, Arc::clone(layout)).map_err(|error| failed(&error))?;
        // SAFETY: the shaders index their buffers only below the element counts passed in the
        // push constants, and the function that made this launch checked those counts against the
        // bound buffers' sizes; workgroup counts were checked against the device's limits.
        unsafe { builder.dispatch(self.workgroups) }.map_err(|error| failed(&error))?;
        Ok(())
    }
}

/// Workgroup counts of `rows` x `columns` tiles of `tile` x `tile` in each of `groups` groups,
/// checked against the device's limits.
pub(crate) fn tile_workgroups(
    context: &VulkanContext,
    rows: u32,
    columns: u32,
    tile: u32,
    groups: u32,
) -> Result<[u32; 3], String> {
    let counts = [columns.div_ceil(tile), rows.div_ceil(tile), groups];
    check_workgroups(context, counts)
}

/// Workgroup counts for `elements` invocations of `workgroup_size` (the shaders' grid.glsl),
/// spread over x and y.
pub(crate) fn elementwise_workgroups(
    context: &VulkanContext,
    elements: u32,
    workgroup_size: u32,
) -> Result<[u32; 3], String> {
    let groups = elements.div_ceil(workgroup_size).max(1);
    let x = groups.min(context.max_workgroup_count()[0]);
    check_workgroups(context, [x, groups.div_ceil(x), 1])
}

fn check_workgroups(context: &VulkanContext, counts: [u32; 3]) -> Result<[u32; 3], String> {
    let limits = context.max_workgroup_count();
    if counts
        .iter()
        .zip(limits)
        .any(|(&count, limit)| count > limit)
    {
        return Err(format!(
            "it needs {counts:?} workgroups and the device allows at most {limits:?}"
        ));
    }
    Ok(counts)
}
