//! The CPU reference executor: the definition of a correct result. Every other executor must
//! produce the same bytes for every valid model and input.

mod add;
mod arg_max;
mod conv2d;
mod fully_connected;
mod pool;

use crate::dtype::DType;
use crate::error::ExecError;
use crate::gemm::PackedB;
use crate::layer::Layer;
use crate::model::Model;
use crate::tensor::{Tensor, TensorSpec};

/// Runs `model` on raw input bytes (the input tensor's elements, little-endian, row-major).
/// Packs the weights on every call; use [`Prepared`] to run one model many times.
pub fn run(model: &Model, input: &[u8]) -> Result<Tensor, ExecError> {
    execute(model, &pack_weights(model), input)
}

/// A model with its weights packed once for the GEMM kernel. Same results as [`run`].
#[derive(Clone, Debug)]
pub struct Prepared {
    model: Model,
    weights: Vec<LayerWeights>,
}

impl Prepared {
    pub fn new(model: Model) -> Prepared {
        let weights = pack_weights(&model);
        Prepared { model, weights }
    }

    pub fn model(&self) -> &Model {
        &self.model
    }

    /// Runs the model on raw input bytes.
    pub fn run(&self, input: &[u8]) -> Result<Tensor, ExecError> {
        execute(&self.model, &self.weights, input)
    }
}

/// Packed GEMM operands of one layer.
#[derive(Clone, Debug)]
enum LayerWeights {
    None,
    Dense(PackedB),
    /// One per group.
    Conv(Vec<PackedB>),
}

fn pack_weights(model: &Model) -> Vec<LayerWeights> {
    model
        .layers()
        .iter()
        .map(|layer| match layer {
            Layer::FullyConnected(fc) => LayerWeights::Dense(fully_connected::pack(fc)),
            Layer::Conv2d(conv) => LayerWeights::Conv(conv2d::pack(conv)),
            _ => LayerWeights::None,
        })
        .collect()
}

fn execute(model: &Model, weights: &[LayerWeights], input: &[u8]) -> Result<Tensor, ExecError> {
    let input_spec = model.input_spec();
    let expected = input_spec.byte_len().unwrap_or(u64::MAX);
    if expected != input.len() as u64 {
        return Err(ExecError::InputLength {
            spec: input_spec.to_string(),
            expected,
            found: input.len(),
        });
    }
    let specs = model.tensor_specs();
    let last_use = last_uses(model.layers());
    let mut tensors: Vec<Option<Values>> = Vec::with_capacity(specs.len());
    tensors.push(Some(Values::from_bytes(input_spec.dtype, input)));
    for (index, (layer, layer_weights)) in model.layers().iter().zip(weights).enumerate() {
        let output = run_layer(layer, layer_weights, index, specs, &tensors);
        for (tensor, &last) in tensors.iter_mut().zip(&last_use) {
            if last <= index {
                *tensor = None;
            }
        }
        tensors.push(Some(output));
    }
    let output_spec = model.output_spec();
    let output = tensors
        .pop()
        .flatten()
        .map(Values::into_bytes)
        .unwrap_or_default();
    Ok(Tensor {
        dtype: output_spec.dtype,
        shape: output_spec.shape.clone(),
        data: output,
    })
}

fn run_layer(
    layer: &Layer,
    weights: &LayerWeights,
    index: usize,
    specs: &[TensorSpec],
    tensors: &[Option<Values>],
) -> Values {
    let input = live(tensors, index);
    let input_spec = &specs[index];
    match (layer, weights) {
        (Layer::FullyConnected(fc), LayerWeights::Dense(packed)) => Values::I8(match input {
            Values::I8(x) => fully_connected::run(fc, packed, x, input_spec),
            Values::U8(x) => fully_connected::run(fc, packed, x, input_spec),
            Values::I32(_) => unreachable_dtype(),
        }),
        (Layer::Conv2d(conv), LayerWeights::Conv(packed)) => Values::I8(match input {
            Values::I8(x) => conv2d::run(conv, packed, x, input_spec),
            Values::U8(x) => conv2d::run(conv, packed, x, input_spec),
            Values::I32(_) => unreachable_dtype(),
        }),
        (Layer::FullyConnected(_) | Layer::Conv2d(_), _) => {
            unreachable!("pack_weights packs every fully-connected and conv2d layer")
        }
        (Layer::MaxPool2d(pool), _) => match input {
            Values::I8(x) => Values::I8(pool::max_pool(&pool.window, x, input_spec)),
            Values::U8(x) => Values::U8(pool::max_pool(&pool.window, x, input_spec)),
            Values::I32(_) => unreachable_dtype(),
        },
        (Layer::AvgPool2d(pool), _) => match input {
            Values::I8(x) => Values::I8(pool::avg_pool(pool, x, input_spec)),
            Values::U8(x) => Values::U8(pool::avg_pool(pool, x, input_spec)),
            Values::I32(_) => unreachable_dtype(),
        },
        (Layer::Add(add), _) => {
            let rhs = live(tensors, add.rhs_tensor as usize);
            Values::I8(add::run(add, &input.widened(), &rhs.widened()))
        }
        (Layer::Reshape(_), _) => input.clone(),
        (Layer::ArgMax(_), _) => Values::I32(arg_max::run(&input.widened(), input_spec)),
    }
}

/// The validator only lets 8-bit tensors into these layers.
fn unreachable_dtype() -> ! {
    unreachable!("validated models feed only int8/uint8 tensors to this layer")
}

/// A tensor still needed by a later layer. `run` keeps every tensor until its last use.
fn live(tensors: &[Option<Values>], index: usize) -> &Values {
    match &tensors[index] {
        Some(values) => values,
        None => unreachable!("tensor {index} was released before its last use"),
    }
}

/// For each tensor, the index of the last layer that reads it.
fn last_uses(layers: &[Layer]) -> Vec<usize> {
    let mut last = (0..=layers.len()).collect::<Vec<_>>();
    for (index, layer) in layers.iter().enumerate() {
        if let Layer::Add(add) = layer {
            let rhs = add.rhs_tensor as usize;
            last[rhs] = last[rhs].max(index);
        }
    }
    last
}

/// Tensor elements in their native type.
#[derive(Clone, Debug)]
enum Values {
    I8(Vec<i8>),
    U8(Vec<u8>),
    I32(Vec<i32>),
}

impl Values {
    fn from_bytes(dtype: DType, bytes: &[u8]) -> Values {
        match dtype {
            DType::I8 => Values::I8(bytes.iter().map(|&b| b as i8).collect()),
            DType::U8 => Values::U8(bytes.to_vec()),
            DType::I32 => Values::I32(
                bytes
                    .chunks_exact(4)
                    .map(|c| i32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                    .collect(),
            ),
        }
    }

    fn into_bytes(self) -> Vec<u8> {
        match self {
            Values::I8(values) => values.into_iter().map(|v| v as u8).collect(),
            Values::U8(values) => values,
            Values::I32(values) => values.into_iter().flat_map(i32::to_le_bytes).collect(),
        }
    }

    fn widened(&self) -> Vec<i32> {
        match self {
            Values::I8(values) => values.iter().map(|&v| i32::from(v)).collect(),
            Values::U8(values) => values.iter().map(|&v| i32::from(v)).collect(),
            Values::I32(values) => values.clone(),
        }
    }
}
