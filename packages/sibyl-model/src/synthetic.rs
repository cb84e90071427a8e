//! Random valid models for property tests of executors (the CPU reference here, the Vulkan
//! executor in sibyl-infer). Deterministic from a seed and free of dependencies: drive the seed
//! from proptest (or any RNG) and shrink on it.
//!
//! ```
//! use sibyl_model::synthetic::{random_input, random_model, Rng, Settings};
//! use sibyl_model::{reference, Limits};
//! let mut rng = Rng::new(7);
//! let (model, _bytes) = random_model(&mut rng, &Settings::default()).build(&Limits::default()).unwrap();
//! let input = random_input(&mut rng, model.input_spec(), true);
//! let output = reference::run(&model, &input).unwrap();
//! assert_eq!(&output.spec(), model.output_spec());
//! ```

use crate::dtype::DType;
use crate::layer::{
    Add, AddOperand, ArgMax, AvgPool2d, Conv2d, FullyConnected, Layer, MaxPool2d, Padding, Reshape,
    Window2d,
};
use crate::quant::{ChannelRequant, Clamp, OutputStage, Requant, MULTIPLIER_MIN};
use crate::tensor::TensorSpec;
use crate::validate::{MAX_CENTERED_INPUT, MAX_WEIGHT};
use crate::ModelBuilder;

/// SplitMix64: a tiny, well-mixed deterministic generator.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `low..=high` (`low <= high`).
    pub fn range(&mut self, low: i64, high: i64) -> i64 {
        let span = (high - low) as u64 + 1;
        low + (self.next_u64() % span) as i64
    }

    /// Uniform in `low..=high` as u32.
    pub fn range_u32(&mut self, low: u32, high: u32) -> u32 {
        self.range(i64::from(low), i64::from(high)) as u32
    }

    /// Uniform in `low..=high` as i32.
    pub fn range_i32(&mut self, low: i32, high: i32) -> i32 {
        self.range(i64::from(low), i64::from(high)) as i32
    }

    /// True with probability `percent` / 100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next_u64() % 100 < percent
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.range(0, items.len() as i64 - 1) as usize]
    }
}

/// Shape and value ranges of random models.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Settings {
    /// Largest image height/width of the input.
    pub max_spatial: u32,
    /// Largest channel count of any tensor.
    pub max_channels: u32,
    /// Largest feature count of fully-connected layers.
    pub max_features: u32,
    /// Most layers (at least one is always made).
    pub max_layers: usize,
    /// Percent of values drawn at the extremes: weights ±127, inputs -128/127 or 0/255, zero points
    /// and biases at their bounds, multipliers at 2^30 and 2^31 - 1, shifts over the whole range.
    pub extreme_percent: u64,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            max_spatial: 9,
            max_channels: 12,
            max_features: 40,
            max_layers: 6,
            extreme_percent: 20,
        }
    }
}

/// Raw input bytes for `spec` (8-bit values are uniform or, with `extremes`, often at the bounds).
pub fn random_input(rng: &mut Rng, spec: &TensorSpec, extremes: bool) -> Vec<u8> {
    let count = spec.element_count().unwrap_or(0) as usize;
    let (min, max) = spec.dtype.value_range();
    let mut out = Vec::with_capacity(count * spec.dtype.size_bytes());
    for _ in 0..count {
        let value = if extremes && rng.chance(30) {
            *rng.pick(&[min, max])
        } else {
            rng.range_i32(min, max)
        };
        match spec.dtype {
            DType::I32 => out.extend_from_slice(&value.to_le_bytes()),
            DType::I8 | DType::U8 => out.push(value as u8),
        }
    }
    out
}

/// A random model: an 8-bit NHWC input, then convolutions, pools and residual adds, a flatten,
/// fully-connected layers and adds, and sometimes a final arg max. Always valid under
/// `Limits::default()` for the default settings.
pub fn random_model(rng: &mut Rng, settings: &Settings) -> ModelBuilder {
    let dtype = if rng.chance(50) { DType::I8 } else { DType::U8 };
    let shape = vec![
        rng.range_u32(1, 2),
        rng.range_u32(1, settings.max_spatial),
        rng.range_u32(1, settings.max_spatial),
        rng.range_u32(1, settings.max_channels),
    ];
    let mut builder = ModelBuilder::new(TensorSpec::new(dtype, shape));
    let mut specs = vec![builder.input_spec().clone()];
    let layers = rng.range(1, settings.max_layers.max(1) as i64) as usize;
    for index in 0..layers {
        let current = specs[specs.len() - 1].clone();
        let last = index + 1 == layers;
        let layer = next_layer(rng, settings, &current, &specs, last);
        let output = output_spec(&layer, &current);
        builder.push(layer);
        specs.push(output);
    }
    builder
}

fn next_layer(
    rng: &mut Rng,
    settings: &Settings,
    current: &TensorSpec,
    specs: &[TensorSpec],
    last: bool,
) -> Layer {
    let extreme = settings.extreme_percent;
    if current.shape.len() == 4 {
        let [_, h, w, c] = [0, 1, 2, 3].map(|axis| current.shape[axis]);
        match rng.range(0, 5) {
            0 | 1 => Layer::Conv2d(random_conv2d(rng, current, settings, extreme)),
            2 => Layer::MaxPool2d(MaxPool2d {
                window: random_window(rng, h, w),
            }),
            3 => Layer::AvgPool2d(AvgPool2d {
                window: random_window(rng, h, w),
                clamp: random_clamp(rng, current.dtype, extreme),
            }),
            4 => Layer::Add(random_add(rng, current, specs, extreme)),
            _ => Layer::Reshape(Reshape {
                shape: vec![current.shape[0], h * w * c],
            }),
        }
    } else {
        match rng.range(0, 3) {
            _ if last && rng.chance(30) => Layer::ArgMax(ArgMax),
            0 | 1 => {
                let out_features = rng.range_u32(1, settings.max_features);
                Layer::FullyConnected(random_fully_connected(rng, current, out_features, extreme))
            }
            _ => Layer::Add(random_add(rng, current, specs, extreme)),
        }
    }
}

/// The spec a layer produces (mirrors the validator for the layers made here).
fn output_spec(layer: &Layer, input: &TensorSpec) -> TensorSpec {
    let out = |h: u32, k: u32, s: u32, before: u32, after: u32| (h + before + after - k) / s + 1;
    match layer {
        Layer::FullyConnected(fc) => {
            TensorSpec::new(DType::I8, vec![input.shape[0], fc.out_features])
        }
        Layer::Conv2d(conv) => TensorSpec::new(
            DType::I8,
            vec![
                input.shape[0],
                out(
                    input.shape[1],
                    conv.kernel_h,
                    conv.stride_h,
                    conv.padding.top,
                    conv.padding.bottom,
                ),
                out(
                    input.shape[2],
                    conv.kernel_w,
                    conv.stride_w,
                    conv.padding.left,
                    conv.padding.right,
                ),
                conv.out_channels,
            ],
        ),
        Layer::MaxPool2d(MaxPool2d { window }) | Layer::AvgPool2d(AvgPool2d { window, .. }) => {
            TensorSpec::new(
                input.dtype,
                vec![
                    input.shape[0],
                    out(
                        input.shape[1],
                        window.kernel_h,
                        window.stride_h,
                        window.padding.top,
                        window.padding.bottom,
                    ),
                    out(
                        input.shape[2],
                        window.kernel_w,
                        window.stride_w,
                        window.padding.left,
                        window.padding.right,
                    ),
                    input.shape[3],
                ],
            )
        }
        Layer::Add(_) => TensorSpec::new(DType::I8, input.shape.clone()),
        Layer::Reshape(reshape) => TensorSpec::new(input.dtype, reshape.shape.clone()),
        Layer::ArgMax(_) => {
            let mut shape = input.shape.clone();
            let last = shape.len() - 1;
            shape[last] = 1;
            TensorSpec::new(DType::I32, shape)
        }
    }
}

/// A fully-connected layer reading `input` (`[batch, in_features]`, 8-bit).
pub fn random_fully_connected(
    rng: &mut Rng,
    input: &TensorSpec,
    out_features: u32,
    extreme: u64,
) -> FullyConnected {
    let in_features = input.shape[1];
    let reduction = u64::from(in_features);
    FullyConnected {
        in_features,
        out_features,
        input_zero_point: random_zero_point(rng, input.dtype, extreme),
        weights: random_weights(rng, u64::from(out_features) * reduction, extreme),
        bias: random_bias(rng, out_features, reduction, extreme),
        output: random_output_stage(rng, out_features, reduction, extreme),
    }
}

/// A convolution reading `input` (NHWC, 8-bit): random kernel, stride, padding and groups
/// (including depthwise).
pub fn random_conv2d(
    rng: &mut Rng,
    input: &TensorSpec,
    settings: &Settings,
    extreme: u64,
) -> Conv2d {
    let [_, h, w, c] = [0, 1, 2, 3].map(|axis| input.shape[axis]);
    let divisors: Vec<u32> = (1..=c).filter(|g| c.is_multiple_of(*g)).collect();
    let groups = *rng.pick(&divisors);
    let multiplier = rng.range_u32(1, (settings.max_channels / groups).max(1));
    let (kernel_h, kernel_w) = (rng.range_u32(1, 3), rng.range_u32(1, 3));
    let padding = Padding {
        top: rng.range_u32(0, kernel_h - 1),
        bottom: rng.range_u32(0, kernel_h - 1),
        left: rng.range_u32(0, kernel_w - 1),
        right: rng.range_u32(0, kernel_w - 1),
    };
    // Kernels larger than the padded image are shrunk to fit.
    let kernel_h = kernel_h.min(h + padding.top + padding.bottom);
    let kernel_w = kernel_w.min(w + padding.left + padding.right);
    let out_channels = groups * multiplier;
    let in_channels_per_group = c / groups;
    let reduction = u64::from(kernel_h * kernel_w * in_channels_per_group);
    Conv2d {
        out_channels,
        kernel_h,
        kernel_w,
        in_channels_per_group,
        groups,
        stride_h: rng.range_u32(1, 2),
        stride_w: rng.range_u32(1, 2),
        padding,
        input_zero_point: random_zero_point(rng, input.dtype, extreme),
        weights: random_weights(rng, u64::from(out_channels) * reduction, extreme),
        bias: random_bias(rng, out_channels, reduction, extreme),
        output: random_output_stage(rng, out_channels, reduction, extreme),
    }
}

/// A pooling window that fits an `h × w` image, with padding smaller than the kernel.
pub fn random_window(rng: &mut Rng, h: u32, w: u32) -> Window2d {
    let (kernel_h, kernel_w) = (
        rng.range_u32(1, 3.min(h + 1)),
        rng.range_u32(1, 3.min(w + 1)),
    );
    let padding = Padding {
        top: rng.range_u32(0, kernel_h - 1),
        bottom: rng.range_u32(0, kernel_h - 1),
        left: rng.range_u32(0, kernel_w - 1),
        right: rng.range_u32(0, kernel_w - 1),
    };
    Window2d {
        kernel_h: kernel_h.min(h + padding.top + padding.bottom),
        kernel_w: kernel_w.min(w + padding.left + padding.right),
        stride_h: rng.range_u32(1, 2),
        stride_w: rng.range_u32(1, 2),
        padding,
    }
}

/// An add of `current` and a random earlier tensor of the same shape (possibly itself).
pub fn random_add(rng: &mut Rng, current: &TensorSpec, specs: &[TensorSpec], extreme: u64) -> Add {
    let candidates: Vec<usize> = specs
        .iter()
        .enumerate()
        .filter(|(_, spec)| spec.shape == current.shape && spec.dtype.is_8bit())
        .map(|(index, _)| index)
        .collect();
    let rhs_tensor = *rng.pick(&candidates);
    let rhs_dtype = specs[rhs_tensor].dtype;
    let left_shift = if rng.chance(extreme) {
        22
    } else {
        rng.range_u32(0, 20)
    };
    let operand = |rng: &mut Rng, dtype: DType| AddOperand {
        zero_point: random_zero_point(rng, dtype, extreme),
        requant: Requant::new(random_multiplier(rng, extreme), rng.range_i32(-8, 0)),
    };
    // Outputs of a useful size: the rescaled sum is about 2^left_shift × (x - zp).
    let output_shift = -(left_shift as i32) + rng.range_i32(-2, 1).min(0);
    Add {
        rhs_tensor: rhs_tensor as u32,
        left_shift,
        lhs: operand(rng, current.dtype),
        rhs: operand(rng, rhs_dtype),
        output_requant: Requant::new(random_multiplier(rng, extreme), output_shift.max(-31)),
        output_zero_point: random_zero_point(rng, DType::I8, extreme),
        clamp: random_clamp(rng, DType::I8, extreme),
    }
}

fn random_weights(rng: &mut Rng, count: u64, extreme: u64) -> Vec<i8> {
    let max = MAX_WEIGHT as i32;
    (0..count)
        .map(|_| {
            if rng.chance(extreme) {
                *rng.pick(&[-max, max]) as i8
            } else {
                rng.range_i32(-max, max) as i8
            }
        })
        .collect()
}

/// Biases up to the largest magnitude the overflow bound allows for this reduction length.
fn random_bias(rng: &mut Rng, channels: u32, reduction: u64, extreme: u64) -> Vec<i32> {
    let room = (i32::MAX as u64).saturating_sub(reduction * MAX_CENTERED_INPUT * MAX_WEIGHT) as i32;
    let typical = room.min(1 << 16);
    (0..channels)
        .map(|_| {
            if rng.chance(extreme) {
                *rng.pick(&[-room, room])
            } else {
                rng.range_i32(-typical, typical)
            }
        })
        .collect()
}

fn random_multiplier(rng: &mut Rng, extreme: u64) -> i32 {
    if rng.chance(extreme) {
        *rng.pick(&[MULTIPLIER_MIN, i32::MAX])
    } else {
        rng.range_i32(MULTIPLIER_MIN, i32::MAX)
    }
}

/// Per-tensor or per-channel requantization scaled so typical outputs land inside int8, with
/// occasional shifts across the whole right-shift range.
fn random_output_stage(rng: &mut Rng, channels: u32, reduction: u64, extreme: u64) -> OutputStage {
    // A typical |acc| is about sqrt(K) × 128 × 64 = 2^(13 + log2(K) / 2).
    let log2_k = 64 - reduction.leading_zeros() as i32;
    let typical_shift = -(7 + log2_k / 2);
    let requant = |rng: &mut Rng| {
        let shift = if rng.chance(extreme) {
            rng.range_i32(-31, 0)
        } else {
            typical_shift + rng.range_i32(-2, 2)
        };
        Requant::new(random_multiplier(rng, extreme), shift.clamp(-31, 0))
    };
    let requant = if rng.chance(50) {
        ChannelRequant::PerTensor(requant(rng))
    } else {
        ChannelRequant::PerChannel((0..channels).map(|_| requant(rng)).collect())
    };
    OutputStage {
        requant,
        zero_point: random_zero_point(rng, DType::I8, extreme),
        clamp: random_clamp(rng, DType::I8, extreme),
    }
}

fn random_zero_point(rng: &mut Rng, dtype: DType, extreme: u64) -> i32 {
    let (min, max) = dtype.value_range();
    if rng.chance(extreme) {
        *rng.pick(&[min, max])
    } else {
        rng.range_i32(min, max)
    }
}

/// Mostly the full range; sometimes a ReLU-like or narrow clamp.
fn random_clamp(rng: &mut Rng, dtype: DType, extreme: u64) -> Clamp {
    let (min, max) = dtype.value_range();
    if rng.chance(100 - extreme.min(100)) && rng.chance(60) {
        return Clamp::new(min, max);
    }
    let low = rng.range_i32(min, max);
    let high = rng.range_i32(low, max);
    Clamp::new(low, high)
}
