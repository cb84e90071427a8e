//! The Vulkan executor produces the CPU reference's bytes for random models and inputs: random
//! shapes (odd sizes that do not divide the 64 x 64 tile), values at the int8/uint8 extremes, zero
//! points at their bounds and requantization edges (multipliers 2^30 and 2^31 - 1, every shift).

mod common;

use common::assert_same_output;
use proptest::prelude::*;
use sibyl_model::layer::{ArgMax, Conv2d, FullyConnected, Layer, Padding, Reshape};
use sibyl_model::quant::{ChannelRequant, Clamp, OutputStage, Requant};
use sibyl_model::synthetic::{random_input, random_model, Rng, Settings};
use sibyl_model::{DType, Limits, Model, ModelBuilder, TensorSpec};

/// Settings for random whole models: fully-connected layers up to 80 features, so that they
/// cross the 64-wide tile.
const WHOLE_MODELS: Settings = Settings {
    max_spatial: 9,
    max_channels: 12,
    max_features: 80,
    max_layers: 6,
    extreme_percent: 25,
};

fn build(builder: ModelBuilder) -> Model {
    builder
        .build(&Limits::default())
        .expect("the generated model is valid")
        .0
}

proptest! {
    // lavapipe is slow: few cases, small shapes (the whole file runs in well under a minute).
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn random_models_match_the_reference(seed in any::<u64>(), extremes in any::<bool>()) {
        let mut rng = Rng::new(seed);
        let model = build(random_model(&mut rng, &WHOLE_MODELS));
        let input = random_input(&mut rng, model.input_spec(), extremes);
        assert_same_output(&model, &input);
    }

    #[test]
    fn fully_connected_matches_at_requantization_edges(
        batch in 1u32..=3,
        in_features in 1u32..=150,
        out_features in 1u32..=140,
        signed_input in any::<bool>(),
        stage in output_stage(),
        input_zero_point in prop_oneof![Just(-128), Just(127), Just(0), Just(255), -128i32..=255],
        seed in any::<u64>(),
    ) {
        let dtype = if signed_input { DType::I8 } else { DType::U8 };
        let input_zero_point = input_zero_point.clamp(dtype.value_range().0, dtype.value_range().1);
        let mut rng = Rng::new(seed);
        let k = u64::from(in_features);
        let (requant, zero_point, clamp, bias_limit) = stage;
        let fc = FullyConnected {
            in_features,
            out_features,
            input_zero_point,
            weights: (0..out_features * in_features)
                .map(|_| extreme_or(&mut rng, -127, 127) as i8)
                .collect(),
            bias: (0..out_features).map(|_| rng.range_i32(-bias_limit, bias_limit)).collect(),
            output: OutputStage {
                requant: per_channel_or_tensor(&mut rng, requant, out_features, k, bias_limit),
                zero_point,
                clamp,
            },
        };
        let model = build(
            ModelBuilder::new(TensorSpec::new(dtype, vec![batch, in_features]))
                .layer(Layer::FullyConnected(fc)),
        );
        let input = random_input(&mut rng, model.input_spec(), true);
        assert_same_output(&model, &input);
    }

    #[test]
    fn convolution_matches_across_tiles_and_groups(
        batch in 1u32..=2,
        h in 1u32..=11,
        w in 1u32..=11,
        groups in 1u32..=4,
        channels_per_group in 1u32..=3,
        out_per_group in 1u32..=20,
        kernel in (1u32..=3, 1u32..=3),
        stride in (1u32..=2, 1u32..=2),
        pads in (0u32..=2, 0u32..=2, 0u32..=2, 0u32..=2),
        input_zero_point in prop_oneof![Just(-128), Just(127), -128i32..=127],
        stage in output_stage(),
        seed in any::<u64>(),
    ) {
        let (kernel_h, kernel_w) = kernel;
        let padding = Padding { top: pads.0, bottom: pads.1, left: pads.2, right: pads.3 };
        prop_assume!(h + padding.top + padding.bottom >= kernel_h);
        prop_assume!(w + padding.left + padding.right >= kernel_w);
        let mut rng = Rng::new(seed);
        let (requant, zero_point, clamp, bias_limit) = stage;
        let out_channels = groups * out_per_group;
        let k = u64::from(kernel_h * kernel_w * channels_per_group);
        let conv = Conv2d {
            out_channels,
            kernel_h,
            kernel_w,
            in_channels_per_group: channels_per_group,
            groups,
            stride_h: stride.0,
            stride_w: stride.1,
            padding,
            input_zero_point,
            weights: (0..u64::from(out_channels) * k)
                .map(|_| extreme_or(&mut rng, -127, 127) as i8)
                .collect(),
            bias: (0..out_channels).map(|_| rng.range_i32(-bias_limit, bias_limit)).collect(),
            output: OutputStage {
                requant: per_channel_or_tensor(&mut rng, requant, out_channels, k, bias_limit),
                zero_point,
                clamp,
            },
        };
        let input = TensorSpec::new(DType::I8, vec![batch, h, w, groups * channels_per_group]);
        let model = build(ModelBuilder::new(input).layer(Layer::Conv2d(conv)));
        let input = random_input(&mut rng, model.input_spec(), true);
        assert_same_output(&model, &input);
    }
}

/// A requantization (multiplier near 2^30 or 2^31 - 1, or anywhere; shift from -31 up to the
/// largest left shift the validator allows for 150 x 3 x 3 products), an output zero point, a
/// clamp, and a bias bound.
fn output_stage() -> impl Strategy<Value = (Requant, i32, Clamp, i32)> {
    let multiplier = prop_oneof![
        Just(1 << 30),
        Just((1 << 30) + 1),
        Just(i32::MAX),
        Just(i32::MAX - 1),
        (1i32 << 30)..=i32::MAX,
    ];
    let shift = prop_oneof![-31i32..=0, -14i32..=-6, 0i32..=3];
    let zero_point = prop_oneof![Just(-128), Just(127), -128i32..=127];
    let clamp = prop_oneof![
        Just(Clamp::INT8),
        (-128i32..=127, -128i32..=127).prop_map(|(a, b)| Clamp::new(a.min(b), a.max(b))),
    ];
    let bias_limit = prop_oneof![Just(0), Just(1 << 12), Just(1 << 20)];
    (multiplier, shift, zero_point, clamp, bias_limit).prop_map(
        |(multiplier, shift, zero_point, clamp, bias_limit)| {
            (
                Requant::new(multiplier, shift),
                zero_point,
                clamp,
                bias_limit,
            )
        },
    )
}

/// `requant` for every channel, or per-channel multipliers around it; left shifts are reduced to
/// what the validator allows for `k` products and biases up to `bias_limit`.
fn per_channel_or_tensor(
    rng: &mut Rng,
    requant: Requant,
    channels: u32,
    k: u64,
    bias_limit: i32,
) -> ChannelRequant {
    let bound = k * 255 * 127 + bias_limit.unsigned_abs() as u64;
    let max_left_shift = (0..=30)
        .take_while(|&shift| bound << shift <= i32::MAX as u64)
        .last()
        .unwrap_or(0);
    let fit =
        |requant: Requant| Requant::new(requant.multiplier, requant.shift.min(max_left_shift));
    if rng.chance(50) {
        ChannelRequant::PerTensor(fit(requant))
    } else {
        ChannelRequant::PerChannel(
            (0..channels)
                .map(|_| {
                    fit(Requant::new(
                        extreme_or(rng, 1 << 30, i32::MAX),
                        rng.range_i32(-31, requant.shift.max(-31)),
                    ))
                })
                .collect(),
        )
    }
}

/// `low` or `high` one time in four, otherwise uniform in between.
fn extreme_or(rng: &mut Rng, low: i32, high: i32) -> i32 {
    if rng.chance(25) {
        *rng.pick(&[low, high])
    } else {
        rng.range_i32(low, high)
    }
}

#[test]
fn large_tiles_and_odd_sizes_match() {
    // 130 x 130 crosses two tile boundaries in both directions; batch 65 crosses one row tile.
    // in_features 132, 20 and 4 are multiples of 4 (the kernel stages those four bytes per load)
    // but not of the 16-wide K step; 130, 33 and 1 are not (staged byte by byte).
    let mut rng = Rng::new(1);
    for (batch, in_features, out_features) in [
        (1, 130, 130),
        (65, 33, 70),
        (2, 1, 1),
        (65, 132, 70),
        (3, 20, 9),
        (2, 4, 3),
    ] {
        let requant = Requant::new(i32::MAX, -10);
        let fc = FullyConnected {
            in_features,
            out_features,
            input_zero_point: -128,
            weights: (0..in_features * out_features)
                .map(|_| extreme_or(&mut rng, -127, 127) as i8)
                .collect(),
            bias: (0..out_features)
                .map(|_| rng.range_i32(-5000, 5000))
                .collect(),
            output: OutputStage::per_tensor(requant, 3, Clamp::INT8),
        };
        let model = build(
            ModelBuilder::new(TensorSpec::new(DType::I8, vec![batch, in_features]))
                .layer(Layer::FullyConnected(fc)),
        );
        let input = random_input(&mut rng, model.input_spec(), true);
        let output = assert_same_output(&model, &input);
        // Not every output saturates, so the comparison says something.
        assert!(output.iter().any(|&b| b != 0x7f && b != 0x80), "{output:?}");
    }
}

#[test]
fn arg_max_takes_the_lowest_index_on_ties_for_every_dtype() {
    for dtype in [DType::I8, DType::U8, DType::I32] {
        let model = build(
            ModelBuilder::new(TensorSpec::new(dtype, vec![3, 2, 5])).layer(Layer::ArgMax(ArgMax)),
        );
        let values: [i32; 30] = core::array::from_fn(|i| [0, 1, 1, 0][i % 4] * (i as i32 % 3));
        let input: Vec<u8> = values
            .iter()
            .flat_map(|&v| match dtype {
                DType::I32 => (v - 7).to_le_bytes().to_vec(),
                DType::I8 | DType::U8 => vec![v as u8],
            })
            .collect();
        assert_same_output(&model, &input);
    }
}

#[test]
fn a_reshape_only_model_returns_its_input() {
    let model = build(
        ModelBuilder::new(TensorSpec::new(DType::U8, vec![2, 3]))
            .layer(Layer::Reshape(Reshape { shape: vec![6] })),
    );
    assert_eq!(
        assert_same_output(&model, &[0, 1, 2, 253, 254, 255]),
        [0, 1, 2, 253, 254, 255]
    );
}

#[test]
fn repeated_runs_and_interleaved_models_give_the_same_bytes() {
    let mut rng = Rng::new(99);
    let models: Vec<Model> = (0..6)
        .map(|_| build(random_model(&mut rng, &WHOLE_MODELS)))
        .collect();
    let inputs: Vec<Vec<u8>> = models
        .iter()
        .map(|model| random_input(&mut rng, model.input_spec(), true))
        .collect();
    // Six models cycle through a four-model cache twice.
    for _ in 0..2 {
        for (model, input) in models.iter().zip(&inputs) {
            assert_same_output(model, input);
        }
    }
}

#[test]
fn a_wrong_input_length_is_rejected_before_running() {
    let model = build(
        ModelBuilder::new(TensorSpec::new(DType::U8, vec![2, 3]))
            .layer(Layer::Reshape(Reshape { shape: vec![6] })),
    );
    let error = common::vulkan().run(&model, &[1, 2]).unwrap_err();
    assert!(
        error.to_string().contains("needs exactly 6 bytes"),
        "{error}"
    );
}

#[test]
fn one_engine_serves_many_threads() {
    // The oracle shares one engine between tasks: concurrent runs of different models (more than
    // the cache holds) must each get their own model's bytes.
    std::thread::scope(|scope| {
        for thread in 0..4u64 {
            scope.spawn(move || {
                let mut rng = Rng::new(1000 + thread);
                for _ in 0..3 {
                    let model = build(random_model(&mut rng, &WHOLE_MODELS));
                    let input = random_input(&mut rng, model.input_spec(), true);
                    assert_same_output(&model, &input);
                }
            });
        }
    });
}

#[test]
fn direct_and_tiled_convolutions_both_match() {
    // 15 output channels per group run on the direct kernel, 16 on the tiled one; the depthwise
    // 3 x 3 layer (8 groups of one channel) on the direct one.
    let mut rng = Rng::new(5);
    for (channels, groups, out_channels) in [(3, 1, 15), (3, 1, 16), (8, 8, 8), (8, 8, 16)] {
        let k = 9 * channels / groups;
        let conv = Conv2d {
            out_channels,
            kernel_h: 3,
            kernel_w: 3,
            in_channels_per_group: channels / groups,
            groups,
            stride_h: 1,
            stride_w: 2,
            padding: Padding::uniform(1),
            input_zero_point: 127,
            weights: (0..out_channels * k)
                .map(|_| extreme_or(&mut rng, -127, 127) as i8)
                .collect(),
            bias: (0..out_channels)
                .map(|_| rng.range_i32(-3000, 3000))
                .collect(),
            output: OutputStage::per_tensor(Requant::new((1 << 30) + 1, -9), -128, Clamp::INT8),
        };
        let input = TensorSpec::new(DType::I8, vec![2, 12, 12, channels]);
        let model = build(ModelBuilder::new(input).layer(Layer::Conv2d(conv)));
        let input = random_input(&mut rng, model.input_spec(), true);
        let output = assert_same_output(&model, &input);
        assert!(output.iter().any(|&b| b != 0x7f && b != 0x80), "{output:?}");
    }
}
