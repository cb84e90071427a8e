//! Running a model on an input: the port the pipeline uses, and its implementation on
//! `sibyl_infer::Engine` (Vulkan, or the CPU reference executor).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sibyl_infer::Engine;
use sibyl_model::{Limits, Model};

/// The result of one execution: the canonical output encoding and its sha256.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Execution {
    /// Canonical output bytes (what is revealed).
    pub output: Vec<u8>,
    /// sha256 of `output`.
    pub output_hash: [u8; 32],
    /// Time the inference engine was busy with this run (uploads, kernels, download), without
    /// the time spent waiting for the engine or a thread.
    pub engine_time: Duration,
}

/// Why a job could not be executed. None of these is worth retrying with the same bytes.
#[derive(Debug, thiserror::Error)]
pub enum ExecutionError {
    /// The model file does not parse or fails validation (malformed, unsupported op, too big).
    #[error("invalid model: {0}")]
    InvalidModel(String),
    /// The executor refused the input or failed while running (wrong size, device error).
    #[error("execution failed: {0}")]
    Failed(String),
}

/// Something that runs models. Shared by all the jobs (and, in the demo, by all the operators).
pub trait Executor: Send + Sync + 'static {
    /// Runs `model_bytes` (already verified against its hash) on `input`.
    fn execute(
        &self,
        model_hash: &[u8; 32],
        model_bytes: &[u8],
        input: &[u8],
    ) -> Result<Execution, ExecutionError>;

    /// Which device runs the jobs, in words.
    fn device(&self) -> String;

    /// The backend's short name (`vulkan` or `cpu`), a metrics label.
    fn backend(&self) -> &'static str;
}

/// Parsed models kept in memory, by hash: parsing and validating a model costs more than a small
/// inference. Bounded: the cache is cleared when full (jobs use few models at a time).
const MAX_CACHED_MODELS: usize = 16;

/// [`Executor`] on the inference engine.
pub struct EngineExecutor {
    engine: Engine,
    limits: Limits,
    models: Mutex<HashMap<[u8; 32], Arc<Model>>>,
}

impl EngineExecutor {
    /// Wraps `engine`; models are validated against `limits`.
    pub fn new(engine: Engine, limits: Limits) -> Self {
        EngineExecutor {
            engine,
            limits,
            models: Mutex::new(HashMap::new()),
        }
    }

    fn model(&self, hash: &[u8; 32], bytes: &[u8]) -> Result<Arc<Model>, ExecutionError> {
        if let Some(model) = self.lock_models().get(hash) {
            return Ok(model.clone());
        }
        let model = Arc::new(
            Model::parse(bytes, &self.limits)
                .map_err(|e| ExecutionError::InvalidModel(e.to_string()))?,
        );
        let mut models = self.lock_models();
        if models.len() >= MAX_CACHED_MODELS {
            models.clear();
        }
        models.insert(*hash, model.clone());
        Ok(model)
    }

    fn lock_models(&self) -> std::sync::MutexGuard<'_, HashMap<[u8; 32], Arc<Model>>> {
        // A panic while holding the lock leaves a consistent map (inserts are atomic).
        self.models
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Executor for EngineExecutor {
    fn execute(
        &self,
        model_hash: &[u8; 32],
        model_bytes: &[u8],
        input: &[u8],
    ) -> Result<Execution, ExecutionError> {
        let model = self.model(model_hash, model_bytes)?;
        let run = self
            .engine
            .run(&model, input)
            .map_err(|e| ExecutionError::Failed(e.to_string()))?;
        let timings = run.timings;
        Ok(Execution {
            output: run.tensor.canonical_bytes(),
            output_hash: run.output_hash,
            engine_time: timings.upload + timings.execute + timings.download,
        })
    }

    fn device(&self) -> String {
        self.engine.device_description()
    }

    fn backend(&self) -> &'static str {
        match self.engine.backend_kind() {
            sibyl_infer::BackendKind::Vulkan => "vulkan",
            sibyl_infer::BackendKind::Cpu => "cpu",
        }
    }
}
