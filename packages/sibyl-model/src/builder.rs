//! Building models in code (tests, tools, the digits exporter's Rust twin).

use crate::error::ModelError;
use crate::format::encode_model;
use crate::layer::Layer;
use crate::limits::Limits;
use crate::model::Model;
use crate::tensor::TensorSpec;
use crate::validate::validate;

/// Collects layers after an input spec and produces a validated [`Model`] and its file bytes.
///
/// ```
/// use sibyl_model::{layer::*, quant::*, DType, Limits, ModelBuilder, TensorSpec};
/// let fc = FullyConnected {
///     in_features: 2,
///     out_features: 1,
///     input_zero_point: 0,
///     weights: vec![1, -1],
///     bias: vec![0],
///     output: OutputStage {
///         requant: ChannelRequant::PerTensor(Requant::new(1 << 30, 1)),
///         zero_point: 0,
///         clamp: Clamp::INT8,
///     },
/// };
/// let (model, bytes) = ModelBuilder::new(TensorSpec::new(DType::I8, vec![1, 2]))
///     .layer(Layer::FullyConnected(fc))
///     .build(&Limits::default())
///     .unwrap();
/// assert_eq!(model.to_bytes(), bytes);
/// ```
#[derive(Clone, Debug)]
pub struct ModelBuilder {
    input: TensorSpec,
    layers: Vec<Layer>,
}

impl ModelBuilder {
    pub fn new(input: TensorSpec) -> ModelBuilder {
        ModelBuilder {
            input,
            layers: Vec::new(),
        }
    }

    /// The model input.
    pub fn input_spec(&self) -> &TensorSpec {
        &self.input
    }

    /// The layers so far.
    pub fn layers(&self) -> &[Layer] {
        &self.layers
    }

    /// Appends a layer; it reads the previous tensor.
    pub fn layer(mut self, layer: Layer) -> ModelBuilder {
        self.layers.push(layer);
        self
    }

    /// Appends a layer in place.
    pub fn push(&mut self, layer: Layer) -> &mut ModelBuilder {
        self.layers.push(layer);
        self
    }

    /// Index of the tensor the next layer will produce (0 = input), for `Add::rhs_tensor`.
    pub fn next_tensor_index(&self) -> u32 {
        u32::try_from(self.layers.len() + 1).unwrap_or(u32::MAX)
    }

    /// The spec of every tensor so far (input first), if the layers so far validate.
    pub fn tensor_specs(&self, limits: &Limits) -> Result<Vec<TensorSpec>, ModelError> {
        Ok(validate(&self.input, &self.layers, limits)?.tensors)
    }

    /// Validates, encodes and parses the model. Returns the model and its file bytes.
    pub fn build(&self, limits: &Limits) -> Result<(Model, Vec<u8>), ModelError> {
        let inferred = validate(&self.input, &self.layers, limits)?;
        let output = inferred.tensors.last().ok_or(ModelError::EmptyModel)?;
        let bytes = encode_model(&self.input, output, &self.layers);
        let model = Model::parse(&bytes, limits)?;
        Ok((model, bytes))
    }
}
