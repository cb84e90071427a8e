//! Typed errors: parsing and validating model files, running models, decoding tensors.

use thiserror::Error;

/// Why a model file was rejected. Every message names the place in the file (layer index, field)
/// and what was expected.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum ModelError {
    #[error("model file is {size} bytes, over the configured limit of {limit} bytes")]
    FileTooLarge { size: usize, limit: usize },

    #[error("not a Sibyl model file: the first 8 bytes are not \"SIBYLMDL\"")]
    BadMagic,

    #[error("model format version {found} is not supported; this build reads version {supported}")]
    UnsupportedVersion { found: u16, supported: u16 },

    #[error("model file is truncated or corrupt: {context} needs {needed} bytes at offset {offset}, but only {available} remain")]
    Truncated {
        context: String,
        offset: usize,
        needed: usize,
        available: usize,
    },

    #[error("{context}: unknown dtype code {code} (1 = int8, 2 = uint8, 3 = int32)")]
    UnknownDType { context: String, code: u8 },

    #[error("layer {layer}: unknown op code {code}; this build knows op codes 1..=7")]
    UnknownOp { layer: usize, code: u8 },

    #[error("{context}: unknown {field} code {code}")]
    UnknownCode {
        context: String,
        field: &'static str,
        code: u8,
    },

    #[error(
        "layer {layer} ({op}): the payload declares {declared} bytes but its fields use {used}"
    )]
    PayloadLength {
        layer: usize,
        op: &'static str,
        declared: usize,
        used: usize,
    },

    #[error("{count} unexpected bytes after the last layer")]
    TrailingBytes { count: usize },

    #[error("the model has no layers")]
    EmptyModel,

    #[error("the model has {count} layers, over the configured limit of {limit}")]
    TooManyLayers { count: u64, limit: usize },

    #[error("{context}: rank {rank} is over the maximum of {max}")]
    RankTooLarge {
        context: String,
        rank: usize,
        max: usize,
    },

    #[error("{context}: every dimension must be at least 1, found shape {shape:?}")]
    ZeroDimension { context: String, shape: Vec<u32> },

    #[error("{context}: {elements} elements, over the configured limit of {limit}")]
    TensorTooLarge {
        context: String,
        elements: u64,
        limit: u64,
    },

    #[error("layer {layer} ({op}): shape mismatch: {detail}")]
    ShapeMismatch {
        layer: usize,
        op: &'static str,
        detail: String,
    },

    #[error("layer {layer} ({op}): invalid parameter: {detail}")]
    InvalidParameter {
        layer: usize,
        op: &'static str,
        detail: String,
    },

    #[error("layer {layer} ({op}): the int32 accumulator could overflow: {detail} reaches {bound}, above i32::MAX = 2147483647; use a shorter reduction or smaller biases")]
    AccumulatorOverflow {
        layer: usize,
        op: &'static str,
        detail: String,
        bound: u64,
    },

    #[error("the model needs {macs} multiply-accumulates per inference, over the configured limit of {limit}")]
    ComputeTooLarge { macs: u64, limit: u64 },

    #[error("the header declares output {declared} but the layers produce {inferred}")]
    OutputSpecMismatch { declared: String, inferred: String },
}

/// Why a (valid) model could not run on an input.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum ExecError {
    #[error("input is {found} bytes but the model's input {spec} needs exactly {expected} bytes")]
    InputLength {
        spec: String,
        expected: u64,
        found: usize,
    },
}

/// Why a tensor or a canonical tensor encoding was rejected.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum TensorError {
    #[error("the tensor shape has too many elements to address")]
    ShapeTooLarge,

    #[error("tensor {spec} needs {expected} data bytes, found {found}")]
    DataLength {
        spec: String,
        expected: u64,
        found: usize,
    },

    #[error("canonical tensor is truncated")]
    Truncated,

    #[error("not a canonical tensor: the first 4 bytes are not \"SIBT\"")]
    BadMagic,

    #[error("canonical tensor version {0} is not supported; this build reads version 1")]
    UnsupportedVersion(u8),

    #[error("unknown dtype code {0} (1 = int8, 2 = uint8, 3 = int32)")]
    UnknownDType(u8),

    #[error("rank {0} is over the maximum of 8")]
    RankTooLarge(usize),
}
