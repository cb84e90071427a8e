//! The operators of a model, as plain data. Every integer formula is written in docs/integer-ops.md.
//!
//! A model is a sequence of layers. Tensor 0 is the model input and tensor `i + 1` is the output of
//! layer `i`; every layer reads the tensor just before it (tensor `i`), and `Add` also reads an
//! earlier tensor by index (a residual / skip connection). Activations are NHWC, row-major.

use crate::quant::{Clamp, OutputStage, Requant};

/// Op codes stored in model files.
pub mod op_code {
    pub const FULLY_CONNECTED: u8 = 1;
    pub const CONV2D: u8 = 2;
    pub const MAX_POOL2D: u8 = 3;
    pub const AVG_POOL2D: u8 = 4;
    pub const ADD: u8 = 5;
    pub const RESHAPE: u8 = 6;
    pub const ARG_MAX: u8 = 7;
}

/// One operator with its parameters and constant tensors.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Layer {
    FullyConnected(FullyConnected),
    Conv2d(Conv2d),
    MaxPool2d(MaxPool2d),
    AvgPool2d(AvgPool2d),
    Add(Add),
    Reshape(Reshape),
    ArgMax(ArgMax),
}

impl Layer {
    /// The op code stored in model files.
    pub const fn op_code(&self) -> u8 {
        match self {
            Layer::FullyConnected(_) => op_code::FULLY_CONNECTED,
            Layer::Conv2d(_) => op_code::CONV2D,
            Layer::MaxPool2d(_) => op_code::MAX_POOL2D,
            Layer::AvgPool2d(_) => op_code::AVG_POOL2D,
            Layer::Add(_) => op_code::ADD,
            Layer::Reshape(_) => op_code::RESHAPE,
            Layer::ArgMax(_) => op_code::ARG_MAX,
        }
    }

    /// Human-readable op name for messages.
    pub const fn op_name(&self) -> &'static str {
        op_name(self.op_code())
    }
}

/// Human-readable name of an op code (`"unknown"` for codes this version does not define).
pub const fn op_name(code: u8) -> &'static str {
    match code {
        op_code::FULLY_CONNECTED => "fully_connected",
        op_code::CONV2D => "conv2d",
        op_code::MAX_POOL2D => "max_pool2d",
        op_code::AVG_POOL2D => "avg_pool2d",
        op_code::ADD => "add",
        op_code::RESHAPE => "reshape",
        op_code::ARG_MAX => "arg_max",
        _ => "unknown",
    }
}

/// `out[n][o] = requant(bias[o] + Σ_k (in[n][k] - input_zero_point) * weights[o][k])`.
/// Input `[batch, in_features]` (int8 or uint8), output int8 `[batch, out_features]`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct FullyConnected {
    pub in_features: u32,
    pub out_features: u32,
    pub input_zero_point: i32,
    /// Row-major `[out_features, in_features]`: each output's weights are contiguous.
    /// Values in [-127, 127].
    pub weights: Vec<i8>,
    /// `[out_features]`.
    pub bias: Vec<i32>,
    /// Per-tensor or per-output-feature requantization.
    pub output: OutputStage,
}

/// Zero-padding amounts in elements (padded positions hold the input zero point for convolution
/// and are skipped by pooling).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Padding {
    pub top: u32,
    pub bottom: u32,
    pub left: u32,
    pub right: u32,
}

impl Padding {
    pub const fn uniform(amount: u32) -> Padding {
        Padding {
            top: amount,
            bottom: amount,
            left: amount,
            right: amount,
        }
    }
}

/// 2-D convolution, NHWC, with groups (`groups == in_channels` is depthwise).
/// Input `[n, h, w, in_channels]` (int8 or uint8), output int8 `[n, out_h, out_w, out_channels]`
/// with `out_h = (h + top + bottom - kernel_h) / stride_h + 1` (same for width).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Conv2d {
    pub out_channels: u32,
    pub kernel_h: u32,
    pub kernel_w: u32,
    /// `in_channels / groups`.
    pub in_channels_per_group: u32,
    /// Output channel `o` belongs to group `o / (out_channels / groups)` and reads input channels
    /// `g * in_channels_per_group ..`.
    pub groups: u32,
    pub stride_h: u32,
    pub stride_w: u32,
    pub padding: Padding,
    pub input_zero_point: i32,
    /// OHWI: `[out_channels, kernel_h, kernel_w, in_channels_per_group]`, values in [-127, 127].
    pub weights: Vec<i8>,
    /// `[out_channels]`.
    pub bias: Vec<i32>,
    /// Per-tensor or per-output-channel requantization.
    pub output: OutputStage,
}

/// A pooling window over the H and W axes of an NHWC tensor. Each padding amount must be smaller
/// than the kernel along its axis, so every window holds at least one real element.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Window2d {
    pub kernel_h: u32,
    pub kernel_w: u32,
    pub stride_h: u32,
    pub stride_w: u32,
    pub padding: Padding,
}

/// Maximum over each window (padded positions are skipped). Output dtype = input dtype.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct MaxPool2d {
    pub window: Window2d,
}

/// Average over the real (non-padded) elements of each window, rounded half away from zero, then
/// clamped. Input and output share scale and zero point; output dtype = input dtype.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct AvgPool2d {
    pub window: Window2d,
    pub clamp: Clamp,
}

/// One input of an element-wise add: its zero point and the multiplier that rescales it to the
/// common scale (shift must be <= 0: the multiplier is below one).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct AddOperand {
    pub zero_point: i32,
    pub requant: Requant,
}

/// TFLite-style integer add of the previous tensor (`lhs`) and an earlier tensor (`rhs`) of the
/// same shape, output int8:
/// `out = clamp(MBQM(MBQM((l - zl) << left_shift, ml) + MBQM((r - zr) << left_shift, mr), mo) + zo)`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Add {
    /// Index of the other input tensor: 0 is the model input, `j + 1` is the output of layer `j`;
    /// it must be an earlier tensor.
    pub rhs_tensor: u32,
    /// Left shift applied to both centred inputs (TFLite uses 20), at most 22.
    pub left_shift: u32,
    pub lhs: AddOperand,
    pub rhs: AddOperand,
    pub output_requant: Requant,
    pub output_zero_point: i32,
    pub clamp: Clamp,
}

/// Reinterprets the tensor with a new shape of the same element count (flatten is a reshape).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Reshape {
    pub shape: Vec<u32>,
}

/// Index of the largest value along the last axis, as int32 (ties: the lowest index).
/// Output shape = input shape with the last dimension set to 1.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct ArgMax;
