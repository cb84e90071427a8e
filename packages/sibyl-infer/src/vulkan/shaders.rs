//! The SPIR-V of every kernel (compiled from `shaders/*.comp` by build.rs) and the compute
//! pipelines made from it, once per engine.

use std::sync::Arc;

use vulkano::pipeline::compute::ComputePipelineCreateInfo;
use vulkano::pipeline::layout::PipelineDescriptorSetLayoutCreateInfo;
use vulkano::pipeline::{ComputePipeline, PipelineLayout, PipelineShaderStageCreateInfo};
use vulkano::shader::{ShaderModule, ShaderModuleCreateInfo};

use crate::error::VulkanUnavailable;
use crate::vulkan::context::VulkanContext;

/// One compiled compute shader.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Shader {
    pub name: &'static str,
    spirv: &'static [u8],
}

macro_rules! shader {
    ($name:literal) => {
        Shader {
            name: $name,
            spirv: include_bytes!(concat!(env!("OUT_DIR"), "/", $name, ".spv")),
        }
    };
}

pub(crate) const FULLY_CONNECTED: Shader = shader!("fully_connected");
pub(crate) const NAIVE_GEMM: Shader = shader!("naive_gemm");
pub(crate) const CONV2D: Shader = shader!("conv2d");
pub(crate) const DIRECT_CONV2D: Shader = shader!("direct_conv2d");
pub(crate) const MAX_POOL: Shader = shader!("max_pool");
pub(crate) const AVG_POOL: Shader = shader!("avg_pool");
pub(crate) const ADD: Shader = shader!("add");
pub(crate) const ARG_MAX: Shader = shader!("arg_max");
#[cfg(test)]
pub(crate) const REQUANTIZE_PROBE: Shader = shader!("requantize_probe");

/// The pipelines of every model operator, created once per engine.
pub(crate) struct Pipelines {
    pub fully_connected: Arc<ComputePipeline>,
    pub conv2d: Arc<ComputePipeline>,
    pub direct_conv2d: Arc<ComputePipeline>,
    pub max_pool: Arc<ComputePipeline>,
    pub avg_pool: Arc<ComputePipeline>,
    pub add: Arc<ComputePipeline>,
    pub arg_max: Arc<ComputePipeline>,
}

impl Pipelines {
    pub fn new(context: &VulkanContext) -> Result<Pipelines, VulkanUnavailable> {
        Ok(Pipelines {
            fully_connected: compute_pipeline(context, FULLY_CONNECTED)?,
            conv2d: compute_pipeline(context, CONV2D)?,
            direct_conv2d: compute_pipeline(context, DIRECT_CONV2D)?,
            max_pool: compute_pipeline(context, MAX_POOL)?,
            avg_pool: compute_pipeline(context, AVG_POOL)?,
            add: compute_pipeline(context, ADD)?,
            arg_max: compute_pipeline(context, ARG_MAX)?,
        })
    }
}

/// A compute pipeline running `shader`'s `main`, with the layout its bindings and push constants
/// ask for.
pub(crate) fn compute_pipeline(
    context: &VulkanContext,
    shader: Shader,
) -> Result<Arc<ComputePipeline>, VulkanUnavailable> {
    let failed = |reason: String| VulkanUnavailable::Pipeline {
        shader: shader.name,
        device: context.description().to_owned(),
        reason,
    };
    let words: Vec<u32> = shader
        .spirv
        .chunks_exact(4)
        .map(|word| u32::from_le_bytes([word[0], word[1], word[2], word[3]]))
        .collect();
    let device = context.device();
    // SAFETY: the code is SPIR-V that glslc produced from this crate's shaders at build time;
    // vulkano parses it and checks its capabilities against the enabled device features.
    let module =
        unsafe { ShaderModule::new(Arc::clone(device), ShaderModuleCreateInfo::new(&words)) }
            .map_err(|error| failed(error.to_string()))?;
    let entry_point = module
        .entry_point("main")
        .ok_or_else(|| failed("the module has no `main` entry point".to_owned()))?;
    let stage = PipelineShaderStageCreateInfo::new(entry_point);
    let layout_info = PipelineDescriptorSetLayoutCreateInfo::from_stages([&stage])
        .into_pipeline_layout_create_info(Arc::clone(device))
        .map_err(|error| failed(format!("{error:?}")))?;
    let layout = PipelineLayout::new(Arc::clone(device), layout_info)
        .map_err(|error| failed(error.to_string()))?;
    ComputePipeline::new(
        Arc::clone(device),
        None,
        ComputePipelineCreateInfo::stage_layout(stage, layout),
    )
    .map_err(|error| failed(error.to_string()))
}
