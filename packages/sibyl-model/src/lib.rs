//! Sibyl's integer-only model format: a versioned binary file of int8 operators, its parser and
//! validator, the canonical output encoding, and the CPU reference executor that defines correct
//! results for every other executor.
//!
//! Nothing here uses floating point: results are bit-exact on every machine. See
//! docs/model-format.md (file and output bytes), docs/integer-ops.md (every formula) and
//! docs/digits-model.md (the shipped example model).

#![deny(clippy::float_arithmetic, clippy::float_cmp)]

mod builder;
mod dtype;
mod error;
pub mod format;
pub mod gemm;
pub mod layer;
mod limits;
mod model;
pub mod quant;
pub mod reference;
pub mod synthetic;
mod tensor;
mod validate;

pub use builder::ModelBuilder;
pub use dtype::DType;
pub use error::{ExecError, ModelError, TensorError};
pub use limits::Limits;
pub use model::Model;
pub use quant::{multiply_by_quantized_multiplier, requantize, rounding_divide_by_pot, srdhm};
pub use tensor::{element_count, Tensor, TensorSpec, CANONICAL_MAGIC, CANONICAL_VERSION, MAX_RANK};
pub use validate::{MAX_ADD_LEFT_SHIFT, MAX_CENTERED_INPUT, MAX_WEIGHT};
