//! The engine: one executor chosen at start-up, shared by every caller.

use std::path::Path;
use std::time::{Duration, Instant};

use sibyl_model::{reference, ExecError, Model, Tensor};

use crate::backend::{Backend, BackendKind};
use crate::error::{EngineError, VulkanUnavailable};
use crate::vulkan::{Devices, VulkanExecutor};

/// Runs models on one executor. `Engine` is `Send + Sync`: share it (for example in an `Arc`)
/// between tasks; Vulkan runs are serialised on the device's one queue.
pub struct Engine {
    executor: Executor,
    fallback_notice: Option<String>,
}

enum Executor {
    Cpu,
    Vulkan(VulkanExecutor),
}

/// The result of one inference.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunOutput {
    /// The model's output tensor.
    pub tensor: Tensor,
    /// sha256 of the tensor's canonical encoding: the hash operators commit to.
    pub output_hash: [u8; 32],
    /// The executor that produced it.
    pub backend: BackendKind,
    pub timings: Timings,
}

/// Where the time of one run went. The CPU executor reports all of it as `execute`.
/// A model's first Vulkan run also uploads its weights, which counts as `upload`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Timings {
    /// Host to device: the input (and, on a model's first run, its weights).
    pub upload: Duration,
    /// Recording, submitting and waiting for the kernels.
    pub execute: Duration,
    /// Device to host: reading the output tensor back.
    pub download: Duration,
}

impl Engine {
    /// An engine on `backend`. With [`Backend::Auto`] a missing Vulkan loader or GPU is not an
    /// error: the engine runs on the CPU and [`Engine::fallback_notice`] says why. Auto never picks
    /// a CPU implementation of Vulkan (lavapipe): the CPU reference executor is faster; ask for
    /// [`Backend::Vulkan`] to run on one.
    pub fn new(backend: Backend) -> Result<Engine, EngineError> {
        Engine::with_vulkan(backend, VulkanExecutor::open)
    }

    /// Like [`Engine::new`], loading the Vulkan loader library from `loader_path` instead of the
    /// system's default (`libvulkan.so.1`).
    pub fn with_vulkan_loader(backend: Backend, loader_path: &Path) -> Result<Engine, EngineError> {
        Engine::with_vulkan(backend, |devices| {
            VulkanExecutor::open_with_loader(loader_path, devices)
        })
    }

    fn with_vulkan(
        backend: Backend,
        open_vulkan: impl FnOnce(Devices) -> Result<VulkanExecutor, VulkanUnavailable>,
    ) -> Result<Engine, EngineError> {
        let (executor, fallback_notice) = match backend {
            Backend::Cpu => (Executor::Cpu, None),
            Backend::Vulkan => (Executor::Vulkan(open_vulkan(Devices::Any)?), None),
            Backend::Auto => match open_vulkan(Devices::Gpus) {
                Ok(vulkan) => (Executor::Vulkan(vulkan), None),
                Err(why) => (
                    Executor::Cpu,
                    Some(format!(
                        "no Vulkan GPU, running on the CPU reference executor: {why}"
                    )),
                ),
            },
        };
        Ok(Engine {
            executor,
            fallback_notice,
        })
    }

    /// The executor this engine runs on.
    pub fn backend_kind(&self) -> BackendKind {
        match self.executor {
            Executor::Cpu => BackendKind::Cpu,
            Executor::Vulkan(_) => BackendKind::Vulkan,
        }
    }

    /// Why [`Backend::Auto`] fell back to the CPU, if it did. Log it: the node is slower than it
    /// could be.
    pub fn fallback_notice(&self) -> Option<&str> {
        self.fallback_notice.as_deref()
    }

    /// The device that runs the kernels, for logs: for example
    /// `"llvmpipe (LLVM 15.0.6, 256 bits) (CPU, llvmpipe, Vulkan 1.3.230)"` (name, type, driver,
    /// Vulkan version) or `"CPU reference"`.
    pub fn device_description(&self) -> String {
        match &self.executor {
            Executor::Cpu => "CPU reference".to_owned(),
            Executor::Vulkan(vulkan) => vulkan.device_description().to_owned(),
        }
    }

    /// Runs `model` on `input`: the input tensor's elements as little-endian bytes, row-major.
    pub fn run(&self, model: &Model, input: &[u8]) -> Result<RunOutput, EngineError> {
        check_input_length(model, input)?;
        let (tensor, timings) = match &self.executor {
            Executor::Cpu => {
                let started = Instant::now();
                let tensor = reference::run(model, input)?;
                let timings = Timings {
                    execute: started.elapsed(),
                    ..Timings::default()
                };
                (tensor, timings)
            }
            Executor::Vulkan(vulkan) => vulkan.run(model, input)?,
        };
        Ok(RunOutput {
            output_hash: tensor.hash(),
            tensor,
            backend: self.backend_kind(),
            timings,
        })
    }
}

fn check_input_length(model: &Model, input: &[u8]) -> Result<(), ExecError> {
    let spec = model.input_spec();
    let expected = spec.byte_len().unwrap_or(u64::MAX);
    if expected == input.len() as u64 {
        Ok(())
    } else {
        Err(ExecError::InputLength {
            spec: spec.to_string(),
            expected,
            found: input.len(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn engine_is_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Engine>();
    }

    #[test]
    fn auto_falls_back_to_cpu_with_a_notice() {
        let engine = Engine::with_vulkan(Backend::Auto, |devices| {
            assert_eq!(devices, Devices::Gpus, "auto never picks a CPU Vulkan");
            Err(VulkanUnavailable::NoSuitableDevice("none".into()))
        })
        .unwrap();
        assert_eq!(engine.backend_kind(), BackendKind::Cpu);
        assert_eq!(engine.device_description(), "CPU reference");
        let notice = engine.fallback_notice().unwrap();
        assert!(notice.contains("CPU reference executor"), "{notice}");
        assert!(notice.contains("devices seen: none"), "{notice}");
    }

    #[test]
    fn vulkan_backend_reports_why_vulkan_is_missing() {
        let error = Engine::with_vulkan(Backend::Vulkan, |devices| {
            assert_eq!(
                devices,
                Devices::Any,
                "asked for Vulkan: any device will do"
            );
            Err(VulkanUnavailable::NoLoader("not found".into()))
        })
        .err()
        .unwrap();
        assert_eq!(
            error,
            EngineError::VulkanUnavailable(VulkanUnavailable::NoLoader("not found".into()))
        );
    }

    #[test]
    fn cpu_backend_never_opens_vulkan() {
        let engine = Engine::with_vulkan(Backend::Cpu, |_| unreachable!("not opened")).unwrap();
        assert_eq!(engine.backend_kind(), BackendKind::Cpu);
        assert_eq!(engine.fallback_notice(), None);
    }
}
