//! A model made ready for the device: its constants uploaded, one buffer per tensor, and every
//! kernel launch checked and bound. Prepared once per model, reused by every run.

use sibyl_model::layer::Layer;
use sibyl_model::{Model, Tensor, TensorSpec};
use vulkano::buffer::Subbuffer;
use vulkano::command_buffer::{
    AutoCommandBufferBuilder, CommandBufferUsage, CopyBufferInfo, PrimaryAutoCommandBuffer,
};

use crate::error::EngineError;
use crate::vulkan::buffers::{device_bytes, host_bytes, HostAccess};
use crate::vulkan::context::VulkanContext;
use crate::vulkan::dispatch::Dispatch;
use crate::vulkan::kernels::{self, GemmConstants, GemmKernel, GemmShape, LayerRef, TensorBuffer};
use crate::vulkan::shaders::Pipelines;

pub(crate) struct PreparedModel {
    model_hash: [u8; 32],
    /// Host-written copy of the input, copied to `tensors[0]` at the start of each run.
    input_staging: Subbuffer<[u8]>,
    /// Index `i` is the model's tensor `i`; a reshape shares its input's buffer.
    tensors: Vec<TensorBuffer>,
    /// Host-readable copy of the output, filled at the end of each run.
    output_readback: Subbuffer<[u8]>,
    dispatches: Vec<Dispatch>,
}

impl PreparedModel {
    /// Allocates the model's buffers, uploads its constants (waiting for the upload) and checks
    /// every layer's launch.
    pub fn new(
        context: &VulkanContext,
        pipelines: &Pipelines,
        model: &Model,
    ) -> Result<PreparedModel, EngineError> {
        let specs = model.tensor_specs();
        let mut tensors = Vec::with_capacity(specs.len());
        tensors.push(TensorBuffer {
            spec: model.input_spec().clone(),
            buffer: device_bytes(context, byte_len(model.input_spec())?)?,
        });
        for (index, layer) in model.layers().iter().enumerate() {
            let spec = specs
                .get(index + 1)
                .cloned()
                .ok_or_else(|| EngineError::ShapeMismatch {
                    layer: index,
                    op: layer.op_name(),
                    detail: "the model has no spec for this layer's output".to_owned(),
                })?;
            let buffer = match layer {
                Layer::Reshape(_) => tensors[index].buffer.clone(),
                _ => device_bytes(context, byte_len(&spec)?)?,
            };
            tensors.push(TensorBuffer { spec, buffer });
        }

        let mut upload = command_buffer(context)?;
        let dispatches = model
            .layers()
            .iter()
            .enumerate()
            .filter(|(_, layer)| !matches!(layer, Layer::Reshape(_)))
            .map(|(index, layer)| {
                plan_layer(context, pipelines, &mut upload, index, layer, &tensors)
            })
            .collect::<Result<Vec<_>, _>>()?;
        let upload = upload
            .build()
            .map_err(|error| EngineError::vulkan("building the weight upload", error))?;
        context.submit_and_wait(upload, "uploading the model's weights")?;

        Ok(PreparedModel {
            model_hash: model.hash(),
            input_staging: host_bytes(context, byte_len(model.input_spec())?, HostAccess::Write)?,
            output_readback: host_bytes(context, byte_len(model.output_spec())?, HostAccess::Read)?,
            tensors,
            dispatches,
        })
    }

    pub fn model_hash(&self) -> [u8; 32] {
        self.model_hash
    }

    /// Copies `input` (already checked to be the input tensor's length) into the staging buffer.
    pub fn write_input(&self, input: &[u8]) -> Result<(), EngineError> {
        let mut staging = self
            .input_staging
            .write()
            .map_err(|error| EngineError::vulkan("writing the input", error))?;
        let destination = staging.get_mut(..input.len()).ok_or_else(|| {
            EngineError::vulkan(
                "writing the input",
                "the input is longer than the model's input",
            )
        })?;
        destination.copy_from_slice(input);
        Ok(())
    }

    /// Runs the model on the staged input: one command buffer (input copy, every kernel, output
    /// copy), one submission, one fence wait.
    pub fn execute(&self, context: &VulkanContext) -> Result<(), EngineError> {
        let failed =
            |error: &dyn std::fmt::Display| EngineError::vulkan("recording the model's run", error);
        let (first, last) = match (self.tensors.first(), self.tensors.last()) {
            (Some(first), Some(last)) => (first, last),
            _ => return Err(failed(&"the model has no tensors")),
        };
        let mut builder = command_buffer(context)?;
        let input_len = self.input_staging.len().min(first.buffer.len());
        builder
            .copy_buffer(CopyBufferInfo::buffers(
                self.input_staging.clone().slice(..input_len),
                first.buffer.clone().slice(..input_len),
            ))
            .map_err(|error| failed(&error))?;
        for dispatch in &self.dispatches {
            dispatch.record(&mut builder)?;
        }
        let output_len = self.output_readback.len().min(last.buffer.len());
        builder
            .copy_buffer(CopyBufferInfo::buffers(
                last.buffer.clone().slice(..output_len),
                self.output_readback.clone().slice(..output_len),
            ))
            .map_err(|error| failed(&error))?;
        let commands = builder.build().map_err(|error| failed(&error))?;
        context.submit_and_wait(commands, "running the model")
    }

    /// Reads the output tensor of the last run.
    pub fn read_output(&self) -> Result<Tensor, EngineError> {
        let spec = match self.tensors.last() {
            Some(last) => &last.spec,
            None => {
                return Err(EngineError::vulkan(
                    "reading the output",
                    "the model has no tensors",
                ))
            }
        };
        let len = usize::try_from(byte_len(spec)?)
            .map_err(|error| EngineError::vulkan("reading the output", error))?;
        let readback = self
            .output_readback
            .read()
            .map_err(|error| EngineError::vulkan("reading the output", error))?;
        let data = readback.get(..len).ok_or_else(|| {
            EngineError::vulkan("reading the output", "the readback buffer is too short")
        })?;
        Tensor::new(spec.dtype, spec.shape.clone(), data.to_vec())
            .map_err(|error| EngineError::vulkan("reading the output", error))
    }
}

/// A one-time command buffer on the context's queue family.
pub(crate) fn command_buffer(
    context: &VulkanContext,
) -> Result<AutoCommandBufferBuilder<PrimaryAutoCommandBuffer>, EngineError> {
    AutoCommandBufferBuilder::primary(
        context.command_buffer_allocator().clone(),
        context.queue().queue_family_index(),
        CommandBufferUsage::OneTimeSubmit,
    )
    .map_err(|error| EngineError::vulkan("starting a command buffer", error))
}

fn byte_len(spec: &TensorSpec) -> Result<u64, EngineError> {
    spec.byte_len()
        .ok_or_else(|| EngineError::vulkan("sizing a tensor", format!("{spec} is too large")))
}

/// Uploads one layer's constants (recorded into `upload`) and checks its launch.
fn plan_layer(
    context: &VulkanContext,
    pipelines: &Pipelines,
    upload: &mut AutoCommandBufferBuilder<PrimaryAutoCommandBuffer>,
    index: usize,
    layer: &Layer,
    tensors: &[TensorBuffer],
) -> Result<Dispatch, EngineError> {
    let layer_ref = LayerRef {
        index,
        op: layer.op_name(),
    };
    let (input, output) = (&tensors[index], &tensors[index + 1]);
    match layer {
        Layer::FullyConnected(fc) => {
            let constants = GemmConstants::upload(
                context,
                upload,
                &fc.weights,
                &fc.bias,
                &fc.output,
                fc.out_features,
                fc.input_zero_point,
            )?;
            let shape = GemmShape {
                batch: input.spec.shape.first().copied().unwrap_or(0),
                in_features: fc.in_features,
                out_features: fc.out_features,
                input_zero_point: fc.input_zero_point,
            };
            kernels::fully_connected(
                context,
                &pipelines.fully_connected,
                GemmKernel::Tiled,
                layer_ref,
                shape,
                &constants,
                input,
                output,
            )
        }
        Layer::Conv2d(conv) => {
            let constants = GemmConstants::upload(
                context,
                upload,
                &conv.weights,
                &conv.bias,
                &conv.output,
                conv.out_channels,
                conv.input_zero_point,
            )?;
            kernels::conv2d(
                context, pipelines, layer_ref, conv, &constants, input, output,
            )
        }
        Layer::MaxPool2d(pool) => kernels::max_pool(
            context,
            &pipelines.max_pool,
            layer_ref,
            &pool.window,
            input,
            output,
        ),
        Layer::AvgPool2d(pool) => {
            kernels::avg_pool(context, &pipelines.avg_pool, layer_ref, pool, input, output)
        }
        Layer::Add(add) => {
            let rhs = tensors
                .get(add.rhs_tensor as usize)
                .filter(|_| (add.rhs_tensor as usize) <= index)
                .ok_or_else(|| EngineError::ShapeMismatch {
                    layer: index,
                    op: layer_ref.op,
                    detail: format!("tensor {} is not an earlier tensor", add.rhs_tensor),
                })?;
            kernels::add(context, &pipelines.add, layer_ref, add, input, rhs, output)
        }
        Layer::ArgMax(_) => kernels::arg_max(context, &pipelines.arg_max, layer_ref, input, output),
        Layer::Reshape(_) => Err(EngineError::ShapeMismatch {
            layer: index,
            op: layer_ref.op,
            detail: "a reshape has no kernel".to_owned(),
        }),
    }
}
