//! Bit-exact integer inference for Sibyl models: a Vulkan compute executor and the CPU reference
//! executor behind one [`Engine`].
//!
//! Both executors produce the same output bytes, and so the same output hash, for every valid
//! model and input: the kernels use only integer arithmetic with wrapping int32 accumulation and
//! gemmlowp's double-rounding requantization (see docs/vulkan.md).
//!
//! ```no_run
//! use sibyl_infer::{Backend, Engine};
//! # fn demo(model: &sibyl_model::Model, input: &[u8]) -> Result<(), sibyl_infer::EngineError> {
//! let engine = Engine::new(Backend::Auto)?;
//! if let Some(notice) = engine.fallback_notice() {
//!     eprintln!("{notice}");
//! }
//! let output = engine.run(model, input)?;
//! println!("{} on {}", hex_digest(&output.output_hash), engine.device_description());
//! # Ok(()) }
//! # fn hex_digest(_: &[u8; 32]) -> String { String::new() }
//! ```

mod backend;
mod engine;
mod error;
pub mod vulkan;

pub use backend::{Backend, BackendKind};
pub use engine::{Engine, RunOutput, Timings};
pub use error::{EngineError, VulkanUnavailable};
