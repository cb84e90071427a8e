//! Serialises a model to its single canonical byte encoding.

use crate::format::{requant_kind, MODEL_MAGIC, MODEL_VERSION};
use crate::layer::{Add, AddOperand, AvgPool2d, Conv2d, FullyConnected, Layer, Padding, Window2d};
use crate::quant::{ChannelRequant, Clamp, OutputStage, Requant};
use crate::tensor::TensorSpec;

/// Encodes a model file. The result is only a valid model if the layers validate
/// (use [`crate::ModelBuilder`] to get a checked [`crate::Model`]).
pub fn encode_model(input: &TensorSpec, output: &TensorSpec, layers: &[Layer]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&MODEL_MAGIC);
    out.extend_from_slice(&MODEL_VERSION.to_le_bytes());
    put_spec(&mut out, input);
    put_spec(&mut out, output);
    put_u32(&mut out, len_u32(layers.len()));
    for layer in layers {
        let payload = encode_payload(layer);
        out.push(layer.op_code());
        put_u32(&mut out, len_u32(payload.len()));
        out.extend_from_slice(&payload);
    }
    out
}

fn encode_payload(layer: &Layer) -> Vec<u8> {
    let mut out = Vec::new();
    match layer {
        Layer::FullyConnected(fc) => put_fully_connected(&mut out, fc),
        Layer::Conv2d(conv) => put_conv2d(&mut out, conv),
        Layer::MaxPool2d(pool) => put_window(&mut out, &pool.window),
        Layer::AvgPool2d(pool) => put_avg_pool(&mut out, pool),
        Layer::Add(add) => put_add(&mut out, add),
        Layer::Reshape(reshape) => put_shape(&mut out, &reshape.shape),
        Layer::ArgMax(_) => {}
    }
    out
}

fn put_fully_connected(out: &mut Vec<u8>, fc: &FullyConnected) {
    put_u32(out, fc.in_features);
    put_u32(out, fc.out_features);
    put_i32(out, fc.input_zero_point);
    put_i8s(out, &fc.weights);
    put_i32s(out, &fc.bias);
    put_output_stage(out, &fc.output);
}

fn put_conv2d(out: &mut Vec<u8>, conv: &Conv2d) {
    for value in [
        conv.out_channels,
        conv.kernel_h,
        conv.kernel_w,
        conv.in_channels_per_group,
        conv.groups,
        conv.stride_h,
        conv.stride_w,
    ] {
        put_u32(out, value);
    }
    put_padding(out, &conv.padding);
    put_i32(out, conv.input_zero_point);
    put_i8s(out, &conv.weights);
    put_i32s(out, &conv.bias);
    put_output_stage(out, &conv.output);
}

fn put_avg_pool(out: &mut Vec<u8>, pool: &AvgPool2d) {
    put_window(out, &pool.window);
    put_clamp(out, pool.clamp);
}

fn put_add(out: &mut Vec<u8>, add: &Add) {
    put_u32(out, add.rhs_tensor);
    put_u32(out, add.left_shift);
    put_operand(out, &add.lhs);
    put_operand(out, &add.rhs);
    put_requant(out, add.output_requant);
    put_i32(out, add.output_zero_point);
    put_clamp(out, add.clamp);
}

fn put_operand(out: &mut Vec<u8>, operand: &AddOperand) {
    put_i32(out, operand.zero_point);
    put_requant(out, operand.requant);
}

fn put_window(out: &mut Vec<u8>, window: &Window2d) {
    for value in [
        window.kernel_h,
        window.kernel_w,
        window.stride_h,
        window.stride_w,
    ] {
        put_u32(out, value);
    }
    put_padding(out, &window.padding);
}

fn put_padding(out: &mut Vec<u8>, padding: &Padding) {
    for value in [padding.top, padding.bottom, padding.left, padding.right] {
        put_u32(out, value);
    }
}

fn put_output_stage(out: &mut Vec<u8>, stage: &OutputStage) {
    match &stage.requant {
        ChannelRequant::PerTensor(requant) => {
            out.push(requant_kind::PER_TENSOR);
            put_requant(out, *requant);
        }
        ChannelRequant::PerChannel(requants) => {
            out.push(requant_kind::PER_CHANNEL);
            for requant in requants {
                put_requant(out, *requant);
            }
        }
    }
    put_i32(out, stage.zero_point);
    put_clamp(out, stage.clamp);
}

fn put_requant(out: &mut Vec<u8>, requant: Requant) {
    put_i32(out, requant.multiplier);
    put_i32(out, requant.shift);
}

fn put_clamp(out: &mut Vec<u8>, clamp: Clamp) {
    put_i32(out, clamp.min);
    put_i32(out, clamp.max);
}

fn put_spec(out: &mut Vec<u8>, spec: &TensorSpec) {
    out.push(spec.dtype.code());
    put_shape(out, &spec.shape);
}

fn put_shape(out: &mut Vec<u8>, shape: &[u32]) {
    // Ranks above 255 are not representable; the validator limits ranks to 8.
    out.push(u8::try_from(shape.len()).unwrap_or(u8::MAX));
    for &dim in shape {
        put_u32(out, dim);
    }
}

fn put_i8s(out: &mut Vec<u8>, values: &[i8]) {
    out.extend(values.iter().map(|&v| v as u8));
}

fn put_i32s(out: &mut Vec<u8>, values: &[i32]) {
    for &value in values {
        put_i32(out, value);
    }
}

fn put_u32(out: &mut Vec<u8>, value: u32) {
    out.extend_from_slice(&value.to_le_bytes());
}

fn put_i32(out: &mut Vec<u8>, value: i32) {
    out.extend_from_slice(&value.to_le_bytes());
}

/// Lengths in valid models are bounded by `Limits`, far below u32::MAX.
fn len_u32(len: usize) -> u32 {
    u32::try_from(len).unwrap_or(u32::MAX)
}
