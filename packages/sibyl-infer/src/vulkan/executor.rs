//! The Vulkan executor: one device context, the pipelines made once, and a small cache of
//! prepared models. Runs are serialised by one lock: the device has one queue, and a prepared
//! model's buffers belong to the run in progress.

use std::path::Path;
use std::sync::{Mutex, PoisonError};
use std::time::Instant;

use sibyl_model::{Model, Tensor};

use crate::engine::Timings;
use crate::error::{EngineError, VulkanUnavailable};
use crate::vulkan::context::{Devices, VulkanContext};
use crate::vulkan::prepared::PreparedModel;
use crate::vulkan::shaders::Pipelines;

/// Prepared models kept on the device; the least recently used one is dropped first.
const CACHED_MODELS: usize = 4;

pub struct VulkanExecutor {
    context: VulkanContext,
    pipelines: Pipelines,
    /// Most recently used last.
    prepared: Mutex<Vec<PreparedModel>>,
}

impl VulkanExecutor {
    /// Opens the preferred device among `devices` through the system's Vulkan loader.
    pub fn open(devices: Devices) -> Result<VulkanExecutor, VulkanUnavailable> {
        VulkanExecutor::new(VulkanContext::open(devices)?)
    }

    /// Opens the preferred device among `devices` through the Vulkan loader at `loader_path`.
    pub fn open_with_loader(
        loader_path: &Path,
        devices: Devices,
    ) -> Result<VulkanExecutor, VulkanUnavailable> {
        VulkanExecutor::new(VulkanContext::open_with_loader(loader_path, devices)?)
    }

    /// Creates every pipeline on `context`'s device.
    pub fn new(context: VulkanContext) -> Result<VulkanExecutor, VulkanUnavailable> {
        Ok(VulkanExecutor {
            pipelines: Pipelines::new(&context)?,
            context,
            prepared: Mutex::new(Vec::new()),
        })
    }

    pub fn context(&self) -> &VulkanContext {
        &self.context
    }

    pub(crate) fn pipelines(&self) -> &Pipelines {
        &self.pipelines
    }

    pub fn device_description(&self) -> &str {
        self.context.description()
    }

    /// Runs `model` on `input`, whose length the caller has checked.
    pub(crate) fn run(
        &self,
        model: &Model,
        input: &[u8],
    ) -> Result<(Tensor, Timings), EngineError> {
        // A run that panicked leaves no half-made state behind: buffers are rewritten by each run.
        let mut cache = self.prepared.lock().unwrap_or_else(PoisonError::into_inner);
        let started = Instant::now();
        let hash = model.hash();
        let prepared = match cache
            .iter()
            .position(|prepared| prepared.model_hash() == hash)
        {
            Some(position) => cache.remove(position),
            None => PreparedModel::new(&self.context, &self.pipelines, model)?,
        };
        if cache.len() >= CACHED_MODELS {
            cache.remove(0);
        }
        cache.push(prepared);
        let prepared = cache.last().ok_or_else(|| {
            EngineError::vulkan("preparing the model", "the model cache is empty")
        })?;
        prepared.write_input(input)?;
        let upload = started.elapsed();

        let started = Instant::now();
        prepared.execute(&self.context)?;
        let execute = started.elapsed();

        let started = Instant::now();
        let tensor = prepared.read_output()?;
        let download = started.elapsed();
        Ok((
            tensor,
            Timings {
                upload,
                execute,
                download,
            },
        ))
    }
}
