//! Semantic validation: shape inference through the layer sequence, parameter ranges, the int32
//! overflow bounds of docs/integer-ops.md, and resource limits. A model that passes runs without
//! overflow, out-of-range shifts or out-of-bounds reads on every executor.

use crate::dtype::DType;
use crate::error::ModelError;
use crate::layer::{Add, AddOperand, AvgPool2d, Conv2d, FullyConnected, Layer, Reshape, Window2d};
use crate::limits::Limits;
use crate::quant::{ChannelRequant, Clamp, OutputStage, Requant};
use crate::tensor::{element_count, TensorSpec, MAX_RANK};

/// Largest |x - zero_point| of an 8-bit activation (int8 or uint8, zero point in the same range).
pub const MAX_CENTERED_INPUT: u64 = 255;
/// Largest |weight|: weights are symmetric int8, so -128 is not allowed.
pub const MAX_WEIGHT: u64 = 127;
/// Largest left shift an `Add` may apply to its centred inputs (2 × 255 × 2^22 < 2^31).
pub const MAX_ADD_LEFT_SHIFT: u32 = 22;

const I32_MAX: u64 = i32::MAX as u64;

/// The result of validation: the spec of every tensor (index 0 = input, `i + 1` = output of layer
/// `i`) and the work of one inference.
pub(crate) struct Inferred {
    pub tensors: Vec<TensorSpec>,
    pub macs: u64,
}

pub(crate) fn validate(
    input: &TensorSpec,
    layers: &[Layer],
    limits: &Limits,
) -> Result<Inferred, ModelError> {
    if layers.is_empty() {
        return Err(ModelError::EmptyModel);
    }
    if layers.len() > limits.max_layers {
        return Err(ModelError::TooManyLayers {
            count: layers.len() as u64,
            limit: limits.max_layers,
        });
    }
    check_shape(&input.shape, "input spec", limits)?;
    let mut tensors = vec![input.clone()];
    let mut macs = 0u64;
    for (index, layer) in layers.iter().enumerate() {
        let check = LayerCheck {
            index,
            op: layer.op_name(),
        };
        let (output, layer_macs) = check.infer(layer, &tensors)?;
        check_shape(
            &output.shape,
            &format!("layer {index} ({}) output", check.op),
            limits,
        )?;
        macs = macs.saturating_add(layer_macs);
        tensors.push(output);
    }
    if macs > limits.max_macs {
        return Err(ModelError::ComputeTooLarge {
            macs,
            limit: limits.max_macs,
        });
    }
    Ok(Inferred { tensors, macs })
}

/// Rank, non-zero dimensions and element limit of a tensor shape.
fn check_shape(shape: &[u32], context: &str, limits: &Limits) -> Result<u64, ModelError> {
    if shape.is_empty() || shape.len() > MAX_RANK {
        return Err(ModelError::RankTooLarge {
            context: format!("{context} (rank must be 1..={MAX_RANK})"),
            rank: shape.len(),
            max: MAX_RANK,
        });
    }
    if shape.contains(&0) {
        return Err(ModelError::ZeroDimension {
            context: context.to_owned(),
            shape: shape.to_vec(),
        });
    }
    let elements = element_count(shape).unwrap_or(u64::MAX);
    if elements > limits.max_tensor_elements {
        return Err(ModelError::TensorTooLarge {
            context: context.to_owned(),
            elements,
            limit: limits.max_tensor_elements,
        });
    }
    Ok(elements)
}

struct LayerCheck {
    index: usize,
    op: &'static str,
}

impl LayerCheck {
    fn infer(
        &self,
        layer: &Layer,
        tensors: &[TensorSpec],
    ) -> Result<(TensorSpec, u64), ModelError> {
        // Every layer reads the tensor just before it; `validate` always pushes tensor 0 first.
        let input = &tensors[self.index];
        match layer {
            Layer::FullyConnected(fc) => self.fully_connected(fc, input),
            Layer::Conv2d(conv) => self.conv2d(conv, input),
            Layer::MaxPool2d(pool) => {
                let (output, macs) = self.window(&pool.window, input)?;
                Ok((output, macs))
            }
            Layer::AvgPool2d(pool) => self.avg_pool(pool, input),
            Layer::Add(add) => self.add(add, input, tensors),
            Layer::Reshape(reshape) => self.reshape(reshape, input),
            Layer::ArgMax(_) => {
                let mut shape = input.shape.clone();
                let last = shape.len() - 1;
                if shape[last] > i32::MAX as u32 {
                    return Err(self.parameter(format!(
                        "the last axis has {} elements; an int32 index holds at most 2147483647",
                        shape[last]
                    )));
                }
                let macs =
                    u64::from(shape[last]) * element_count(&shape[..last]).unwrap_or(u64::MAX);
                shape[last] = 1;
                Ok((TensorSpec::new(DType::I32, shape), macs))
            }
        }
    }

    fn fully_connected(
        &self,
        fc: &FullyConnected,
        input: &TensorSpec,
    ) -> Result<(TensorSpec, u64), ModelError> {
        self.require_8bit(input)?;
        if input.shape.len() != 2 || input.shape[1] != fc.in_features {
            return Err(self.shape(format!(
                "input must be [batch, {}] (in_features), found {input}; add a reshape (flatten) before it",
                fc.in_features
            )));
        }
        self.positive("in_features", fc.in_features)?;
        self.positive("out_features", fc.out_features)?;
        let reduction = u64::from(fc.in_features);
        self.constants(
            &fc.weights,
            &fc.bias,
            &[fc.out_features, fc.in_features],
            fc.out_features,
        )?;
        self.zero_point_in(input.dtype, fc.input_zero_point, "input zero point")?;
        self.output_stage(&fc.output, fc.out_features, reduction, &fc.bias)?;
        let batch = input.shape[0];
        let macs = u64::from(batch) * u64::from(fc.out_features) * reduction;
        Ok((
            TensorSpec::new(DType::I8, vec![batch, fc.out_features]),
            macs,
        ))
    }

    fn conv2d(&self, conv: &Conv2d, input: &TensorSpec) -> Result<(TensorSpec, u64), ModelError> {
        self.require_8bit(input)?;
        let [n, h, w, c] = self.nhwc(input)?;
        for (name, value) in [
            ("out_channels", conv.out_channels),
            ("kernel_h", conv.kernel_h),
            ("kernel_w", conv.kernel_w),
            ("in_channels_per_group", conv.in_channels_per_group),
            ("groups", conv.groups),
            ("stride_h", conv.stride_h),
            ("stride_w", conv.stride_w),
        ] {
            self.positive(name, value)?;
        }
        if u64::from(conv.in_channels_per_group) * u64::from(conv.groups) != u64::from(c) {
            return Err(self.shape(format!(
                "input has {c} channels but in_channels_per_group {} × groups {} = {}",
                conv.in_channels_per_group,
                conv.groups,
                u64::from(conv.in_channels_per_group) * u64::from(conv.groups)
            )));
        }
        if !conv.out_channels.is_multiple_of(conv.groups) {
            return Err(self.parameter(format!(
                "out_channels {} is not a multiple of groups {}",
                conv.out_channels, conv.groups
            )));
        }
        let out_h = self.output_extent(
            "height",
            h,
            conv.kernel_h,
            conv.stride_h,
            conv.padding.top,
            conv.padding.bottom,
        )?;
        let out_w = self.output_extent(
            "width",
            w,
            conv.kernel_w,
            conv.stride_w,
            conv.padding.left,
            conv.padding.right,
        )?;
        self.constants(
            &conv.weights,
            &conv.bias,
            &[
                conv.out_channels,
                conv.kernel_h,
                conv.kernel_w,
                conv.in_channels_per_group,
            ],
            conv.out_channels,
        )?;
        self.zero_point_in(input.dtype, conv.input_zero_point, "input zero point")?;
        let reduction = u64::from(conv.kernel_h)
            * u64::from(conv.kernel_w)
            * u64::from(conv.in_channels_per_group);
        self.output_stage(&conv.output, conv.out_channels, reduction, &conv.bias)?;
        let outputs = element_count(&[n, out_h, out_w, conv.out_channels]).unwrap_or(u64::MAX);
        let macs = outputs.saturating_mul(reduction);
        Ok((
            TensorSpec::new(DType::I8, vec![n, out_h, out_w, conv.out_channels]),
            macs,
        ))
    }

    fn window(
        &self,
        window: &Window2d,
        input: &TensorSpec,
    ) -> Result<(TensorSpec, u64), ModelError> {
        self.require_8bit(input)?;
        let [n, h, w, c] = self.nhwc(input)?;
        for (name, value) in [
            ("kernel_h", window.kernel_h),
            ("kernel_w", window.kernel_w),
            ("stride_h", window.stride_h),
            ("stride_w", window.stride_w),
        ] {
            self.positive(name, value)?;
        }
        let pads = [
            ("top", window.padding.top, window.kernel_h),
            ("bottom", window.padding.bottom, window.kernel_h),
            ("left", window.padding.left, window.kernel_w),
            ("right", window.padding.right, window.kernel_w),
        ];
        for (side, pad, kernel) in pads {
            if pad >= kernel {
                return Err(self.parameter(format!(
                    "{side} padding {pad} must be smaller than the kernel ({kernel}) so no window is all padding"
                )));
            }
        }
        let out_h = self.output_extent(
            "height",
            h,
            window.kernel_h,
            window.stride_h,
            window.padding.top,
            window.padding.bottom,
        )?;
        let out_w = self.output_extent(
            "width",
            w,
            window.kernel_w,
            window.stride_w,
            window.padding.left,
            window.padding.right,
        )?;
        let outputs = element_count(&[n, out_h, out_w, c]).unwrap_or(u64::MAX);
        let macs = outputs.saturating_mul(u64::from(window.kernel_h) * u64::from(window.kernel_w));
        Ok((TensorSpec::new(input.dtype, vec![n, out_h, out_w, c]), macs))
    }

    fn avg_pool(
        &self,
        pool: &AvgPool2d,
        input: &TensorSpec,
    ) -> Result<(TensorSpec, u64), ModelError> {
        let (output, macs) = self.window(&pool.window, input)?;
        let window_len = u64::from(pool.window.kernel_h) * u64::from(pool.window.kernel_w);
        let bound = window_len.saturating_mul(MAX_CENTERED_INPUT);
        if bound > I32_MAX {
            return Err(self.overflow(
                format!("the sum of a {window_len}-element window × 255"),
                bound,
            ));
        }
        self.clamp_in(input.dtype, pool.clamp)?;
        Ok((output, macs))
    }

    fn add(
        &self,
        add: &Add,
        lhs: &TensorSpec,
        tensors: &[TensorSpec],
    ) -> Result<(TensorSpec, u64), ModelError> {
        let rhs = tensors.get(add.rhs_tensor as usize).ok_or_else(|| {
            self.parameter(format!(
                "rhs tensor {} is not an earlier tensor (0 = model input, up to {} = previous layer's output)",
                add.rhs_tensor, self.index
            ))
        })?;
        self.require_8bit(lhs)?;
        self.require_8bit(rhs)?;
        if lhs.shape != rhs.shape {
            return Err(self.shape(format!(
                "lhs {lhs} and rhs (tensor {}) {rhs} differ",
                add.rhs_tensor
            )));
        }
        if add.left_shift > MAX_ADD_LEFT_SHIFT {
            return Err(self.parameter(format!(
                "left shift {} is over the maximum of {MAX_ADD_LEFT_SHIFT}",
                add.left_shift
            )));
        }
        self.operand(&add.lhs, lhs.dtype, "lhs")?;
        self.operand(&add.rhs, rhs.dtype, "rhs")?;
        self.requant_valid(add.output_requant, "output")?;
        // Each rescaled operand is at most 255 × 2^left_shift in magnitude (its multiplier is < 1).
        let sum_bound = 2 * (MAX_CENTERED_INPUT << add.left_shift);
        self.left_shift_fits(
            sum_bound,
            add.output_requant,
            "the sum of the rescaled inputs",
        )?;
        self.zero_point_in(DType::I8, add.output_zero_point, "output zero point")?;
        self.clamp_in(DType::I8, add.clamp)?;
        let elements = element_count(&lhs.shape).unwrap_or(u64::MAX);
        Ok((TensorSpec::new(DType::I8, lhs.shape.clone()), elements))
    }

    fn operand(&self, operand: &AddOperand, dtype: DType, name: &str) -> Result<(), ModelError> {
        self.zero_point_in(dtype, operand.zero_point, &format!("{name} zero point"))?;
        self.requant_valid(operand.requant, name)?;
        if operand.requant.shift > 0 {
            return Err(self.parameter(format!(
                "{name} shift {} must be <= 0 (an add operand's multiplier is below one)",
                operand.requant.shift
            )));
        }
        Ok(())
    }

    fn reshape(
        &self,
        reshape: &Reshape,
        input: &TensorSpec,
    ) -> Result<(TensorSpec, u64), ModelError> {
        if reshape.shape.is_empty() || reshape.shape.len() > MAX_RANK || reshape.shape.contains(&0)
        {
            return Err(self.parameter(format!(
                "target shape {:?} must have rank 1..={MAX_RANK} and no zero dimension",
                reshape.shape
            )));
        }
        let from = element_count(&input.shape);
        let to = element_count(&reshape.shape);
        if from != to {
            return Err(self.shape(format!(
                "cannot reshape {input} ({} elements) to {:?} ({} elements)",
                from.unwrap_or(u64::MAX),
                reshape.shape,
                to.unwrap_or(u64::MAX)
            )));
        }
        Ok((TensorSpec::new(input.dtype, reshape.shape.clone()), 0))
    }

    /// Weights `[out, ...]` in [-127, 127] and one bias per output.
    fn constants(
        &self,
        weights: &[i8],
        bias: &[i32],
        weight_shape: &[u32],
        outputs: u32,
    ) -> Result<(), ModelError> {
        let expected = element_count(weight_shape).unwrap_or(u64::MAX);
        if weights.len() as u64 != expected {
            return Err(self.shape(format!(
                "weights {weight_shape:?} need {expected} values, found {}",
                weights.len()
            )));
        }
        if bias.len() as u64 != u64::from(outputs) {
            return Err(self.shape(format!("bias needs {outputs} values, found {}", bias.len())));
        }
        if let Some(position) = weights.iter().position(|&w| w == i8::MIN) {
            return Err(self.parameter(format!(
                "weight {position} is -128; weights must be in [-127, 127] (symmetric quantization)"
            )));
        }
        Ok(())
    }

    /// Multipliers, zero point and clamp of an FC/conv output, and the accumulator bound
    /// `K × 255 × 127 + |bias|` (shifted left by the requantization's left shift) of each channel.
    fn output_stage(
        &self,
        stage: &OutputStage,
        channels: u32,
        reduction: u64,
        bias: &[i32],
    ) -> Result<(), ModelError> {
        if let ChannelRequant::PerChannel(requants) = &stage.requant {
            if requants.len() as u64 != u64::from(channels) {
                return Err(self.shape(format!(
                    "per-channel requantization needs {channels} multipliers, found {}",
                    requants.len()
                )));
            }
        }
        let products = reduction.saturating_mul(MAX_CENTERED_INPUT * MAX_WEIGHT);
        for (channel, &b) in bias.iter().enumerate() {
            let requant = stage.requant.for_channel(channel);
            self.requant_valid(requant, &format!("channel {channel}"))?;
            let bound = products.saturating_add(u64::from(b.unsigned_abs()));
            let what = format!("{reduction} products × 255 × 127 + |bias[{channel}]|");
            if bound > I32_MAX {
                return Err(self.overflow(what, bound));
            }
            self.left_shift_fits(bound, requant, &what)?;
        }
        self.zero_point_in(DType::I8, stage.zero_point, "output zero point")?;
        self.clamp_in(DType::I8, stage.clamp)
    }

    fn requant_valid(&self, requant: Requant, name: &str) -> Result<(), ModelError> {
        if !requant.is_valid() {
            return Err(self.parameter(format!(
                "{name} requantization (multiplier {}, shift {}) needs multiplier in [2^30, 2^31) and shift in [-31, 30]",
                requant.multiplier, requant.shift
            )));
        }
        Ok(())
    }

    fn left_shift_fits(&self, bound: u64, requant: Requant, what: &str) -> Result<(), ModelError> {
        let shifted = bound.checked_shl(requant.left_shift()).unwrap_or(u64::MAX);
        if shifted > I32_MAX {
            return Err(self.overflow(
                format!("{what}, shifted left by {}", requant.left_shift()),
                shifted,
            ));
        }
        Ok(())
    }

    fn zero_point_in(&self, dtype: DType, zero_point: i32, name: &str) -> Result<(), ModelError> {
        if !dtype.contains(zero_point) {
            let (min, max) = dtype.value_range();
            return Err(self.parameter(format!(
                "{name} {zero_point} is outside the {dtype} range [{min}, {max}]"
            )));
        }
        Ok(())
    }

    fn clamp_in(&self, dtype: DType, clamp: Clamp) -> Result<(), ModelError> {
        if clamp.min > clamp.max || !dtype.contains(clamp.min) || !dtype.contains(clamp.max) {
            let (min, max) = dtype.value_range();
            return Err(self.parameter(format!(
                "activation clamp [{}, {}] must be ordered and inside the {dtype} range [{min}, {max}]",
                clamp.min, clamp.max
            )));
        }
        Ok(())
    }

    fn output_extent(
        &self,
        axis: &str,
        size: u32,
        kernel: u32,
        stride: u32,
        before: u32,
        after: u32,
    ) -> Result<u32, ModelError> {
        let padded = u64::from(size) + u64::from(before) + u64::from(after);
        if padded < u64::from(kernel) {
            return Err(self.shape(format!(
                "padded input {axis} {padded} is smaller than the kernel {axis} {kernel}"
            )));
        }
        // (padded - kernel) / stride + 1 <= size + before + after < 2^34; the limit check rejects big ones.
        let extent = (padded - u64::from(kernel)) / u64::from(stride) + 1;
        u32::try_from(extent)
            .map_err(|_| self.shape(format!("output {axis} {extent} does not fit in u32")))
    }

    fn nhwc(&self, input: &TensorSpec) -> Result<[u32; 4], ModelError> {
        match input.shape[..] {
            [n, h, w, c] => Ok([n, h, w, c]),
            _ => Err(self.shape(format!("input must be NHWC (rank 4), found {input}"))),
        }
    }

    fn require_8bit(&self, input: &TensorSpec) -> Result<(), ModelError> {
        if !input.dtype.is_8bit() {
            return Err(self.shape(format!("input must be int8 or uint8, found {input}")));
        }
        Ok(())
    }

    fn positive(&self, name: &str, value: u32) -> Result<(), ModelError> {
        if value == 0 {
            return Err(self.parameter(format!("{name} must be at least 1")));
        }
        Ok(())
    }

    fn shape(&self, detail: String) -> ModelError {
        ModelError::ShapeMismatch {
            layer: self.index,
            op: self.op,
            detail,
        }
    }

    fn parameter(&self, detail: String) -> ModelError {
        ModelError::InvalidParameter {
            layer: self.index,
            op: self.op,
            detail,
        }
    }

    fn overflow(&self, detail: String, bound: u64) -> ModelError {
        ModelError::AccumulatorOverflow {
            layer: self.index,
            op: self.op,
            detail,
            bound,
        }
    }
}
