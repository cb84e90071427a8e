//! A parsed and validated model.

use sha2::{Digest, Sha256};

use crate::error::ModelError;
use crate::format::{encode_model, parse_file};
use crate::layer::Layer;
use crate::limits::Limits;
use crate::tensor::TensorSpec;
use crate::validate::validate;

/// A model that passed every check of the format and the validator. It can only be made by
/// [`Model::parse`] (or [`crate::ModelBuilder`], which encodes and parses), so every executor may
/// rely on the invariants in docs/model-format.md.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Model {
    hash: [u8; 32],
    byte_len: usize,
    layers: Vec<Layer>,
    tensors: Vec<TensorSpec>,
    macs: u64,
}

impl Model {
    /// Parses and validates a model file.
    pub fn parse(bytes: &[u8], limits: &Limits) -> Result<Model, ModelError> {
        let file = parse_file(bytes, limits)?;
        let inferred = validate(&file.input, &file.layers, limits)?;
        let produced = inferred.tensors.last().ok_or(ModelError::EmptyModel)?;
        if *produced != file.output {
            return Err(ModelError::OutputSpecMismatch {
                declared: file.output.to_string(),
                inferred: produced.to_string(),
            });
        }
        Ok(Model {
            hash: Sha256::digest(bytes).into(),
            byte_len: bytes.len(),
            layers: file.layers,
            tensors: inferred.tensors,
            macs: inferred.macs,
        })
    }

    /// sha256 of the model file: the model hash registered on chain.
    pub fn hash(&self) -> [u8; 32] {
        self.hash
    }

    /// Size of the model file in bytes.
    pub fn byte_len(&self) -> usize {
        self.byte_len
    }

    /// The model's input tensor.
    pub fn input_spec(&self) -> &TensorSpec {
        &self.tensors[0]
    }

    /// The model's output tensor (the output of the last layer).
    pub fn output_spec(&self) -> &TensorSpec {
        // Validation guarantees at least one layer, so there are at least two tensors.
        &self.tensors[self.tensors.len() - 1]
    }

    /// The layers, in execution order.
    pub fn layers(&self) -> &[Layer] {
        &self.layers
    }

    /// Every tensor's spec: index 0 is the input, `i + 1` is the output of layer `i`.
    pub fn tensor_specs(&self) -> &[TensorSpec] {
        &self.tensors
    }

    /// Multiply-accumulates (and pooling comparisons) of one inference.
    pub fn macs(&self) -> u64 {
        self.macs
    }

    /// The model file bytes (the same bytes that were parsed: the encoding is canonical).
    pub fn to_bytes(&self) -> Vec<u8> {
        encode_model(self.input_spec(), self.output_spec(), &self.layers)
    }
}
