//! `sibyl-oracle exec`: one local inference, for checking a model, an input and the device.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use clap::Args;
use sibyl_infer::Engine;
use sibyl_model::{Limits, Model};

use crate::config::BackendChoice;

/// Runs a model on an input file with the chosen backend.
#[derive(Debug, Args)]
pub struct ExecArgs {
    /// Model file (Sibyl model format).
    #[arg(long)]
    pub model: PathBuf,
    /// Raw input bytes (the model's input tensor, row-major, little-endian).
    #[arg(long)]
    pub input: PathBuf,
    /// Executor: Vulkan if a device exists (auto), Vulkan only, or the CPU reference executor.
    #[arg(long, value_enum, default_value_t = BackendChoice::Auto)]
    pub backend: BackendChoice,
}

impl ExecArgs {
    pub fn run(self) -> anyhow::Result<ExitCode> {
        let model_bytes = std::fs::read(&self.model)
            .with_context(|| format!("cannot read the model file {}", self.model.display()))?;
        let input = std::fs::read(&self.input)
            .with_context(|| format!("cannot read the input file {}", self.input.display()))?;
        let model = Model::parse(&model_bytes, &Limits::default())
            .with_context(|| format!("{} is not a valid model", self.model.display()))?;
        let engine = Engine::new(self.backend.into())
            .context("cannot start the inference engine (try --backend cpu)")?;
        if let Some(notice) = engine.fallback_notice() {
            eprintln!("notice: {notice}");
        }

        let started = Instant::now();
        let run = engine.run(&model, &input).context("the inference failed")?;
        let elapsed = started.elapsed();

        println!(
            "device:       {} [{}]",
            engine.device_description(),
            run.backend
        );
        println!(
            "model:        {} (sha256 {})",
            self.model.display(),
            hex::encode(model.hash())
        );
        println!(
            "input:        {} ({} bytes, sha256 {})",
            self.input.display(),
            input.len(),
            hex::encode(sibyl_api::attestation::input_hash(&input))
        );
        println!(
            "output:       {} {:?}",
            run.tensor.spec(),
            run.tensor.values_i32()
        );
        println!("output hash:  {}", hex::encode(run.output_hash));
        println!(
            "time:         {:.3} ms (upload {:.3} ms, execute {:.3} ms, download {:.3} ms)",
            elapsed.as_secs_f64() * 1e3,
            run.timings.upload.as_secs_f64() * 1e3,
            run.timings.execute.as_secs_f64() * 1e3,
            run.timings.download.as_secs_f64() * 1e3,
        );
        Ok(ExitCode::SUCCESS)
    }
}
