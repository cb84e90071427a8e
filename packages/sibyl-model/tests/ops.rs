//! Hand-computed cases for every operator, run through the CPU reference executor.

use sibyl_model::layer::{
    Add, AddOperand, ArgMax, AvgPool2d, Conv2d, FullyConnected, Layer, MaxPool2d, Padding, Reshape,
    Window2d,
};
use sibyl_model::quant::{ChannelRequant, Clamp, OutputStage, Requant, IDENTITY};
use sibyl_model::{reference, DType, Limits, ModelBuilder, Tensor, TensorSpec};

/// Multiplier 0.5 with no shift: only the SRDHM rounding (half up) applies.
const HALF: Requant = Requant::new(1 << 30, 0);
/// Multiplier 0.25: SRDHM then a rounding right shift by one (double rounding).
const QUARTER: Requant = Requant::new(1 << 30, -1);

fn run(input: TensorSpec, layers: Vec<Layer>, data: &[u8]) -> Tensor {
    let mut builder = ModelBuilder::new(input);
    for layer in layers {
        builder.push(layer);
    }
    let (model, _) = builder.build(&Limits::default()).expect("valid model");
    reference::run(&model, data).expect("runs")
}

fn i8_bytes(values: &[i8]) -> Vec<u8> {
    values.iter().map(|&v| v as u8).collect()
}

fn identity_stage(zero_point: i32, clamp: Clamp) -> OutputStage {
    OutputStage::per_tensor(IDENTITY, zero_point, clamp)
}

fn fc(input_zero_point: i32, output: OutputStage) -> Layer {
    Layer::FullyConnected(FullyConnected {
        in_features: 3,
        out_features: 2,
        input_zero_point,
        weights: vec![1, 2, 3, -1, 0, 1],
        bias: vec![10, -5],
        output,
    })
}

#[test]
fn fully_connected_subtracts_zero_point_adds_bias() {
    // Centred input [0, 1, 2]: acc = [10 + 0 + 2 + 6, -5 + 0 + 0 + 2] = [18, -3].
    let input = TensorSpec::new(DType::I8, vec![1, 3]);
    let out = run(
        input.clone(),
        vec![fc(1, identity_stage(0, Clamp::INT8))],
        &i8_bytes(&[1, 2, 3]),
    );
    assert_eq!(out, Tensor::from_i8(vec![1, 2], &[18, -3]).unwrap());
    // Output zero point 5, then ReLU as the clamp [zero point, 127].
    let out = run(
        input,
        vec![fc(1, identity_stage(5, Clamp::new(5, 127)))],
        &i8_bytes(&[1, 2, 3]),
    );
    assert_eq!(out, Tensor::from_i8(vec![1, 2], &[23, 5]).unwrap());
}

#[test]
fn fully_connected_per_channel_requantization_rounds_as_gemmlowp() {
    // acc = [18, -3]; channel 0 × 0.5 = 9; channel 1 × 0.5 = -1.5 -> SRDHM rounds half up -> -1.
    let stage = OutputStage {
        requant: ChannelRequant::PerChannel(vec![HALF, HALF]),
        zero_point: 0,
        clamp: Clamp::INT8,
    };
    let out = run(
        TensorSpec::new(DType::I8, vec![1, 3]),
        vec![fc(1, stage)],
        &i8_bytes(&[1, 2, 3]),
    );
    assert_eq!(out.values_i32(), vec![9, -1]);
}

#[test]
fn double_rounding_differs_from_single_rounding() {
    // acc = 5 (weights [1, 2, 0] on input [1, 2, 0]); 5 × 0.25: SRDHM(5, 0.5) = 2.5 -> 3, then
    // 3 / 2 = 1.5 -> 2 (ties away from zero). Single rounding would give round(1.25) = 1.
    let layer = Layer::FullyConnected(FullyConnected {
        in_features: 3,
        out_features: 2,
        input_zero_point: 0,
        weights: vec![1, 2, 0, -1, -2, 0],
        bias: vec![0, 0],
        output: OutputStage::per_tensor(QUARTER, 0, Clamp::INT8),
    });
    let out = run(
        TensorSpec::new(DType::I8, vec![1, 3]),
        vec![layer],
        &i8_bytes(&[1, 2, 0]),
    );
    // -5 × 0.25: SRDHM(-5, 0.5) = -2.5 -> -2 (half up), then -2 / 2 = -1.
    assert_eq!(out.values_i32(), vec![2, -1]);
}

#[test]
fn fully_connected_accepts_uint8_input_and_batches() {
    let layer = Layer::FullyConnected(FullyConnected {
        in_features: 2,
        out_features: 1,
        input_zero_point: 128,
        weights: vec![1, -1],
        bias: vec![0],
        output: identity_stage(0, Clamp::INT8),
    });
    // Rows (200, 100) and (0, 255): (72 - (-28)) = 100, (-128 - 127) = -255 -> clamped to -128.
    let out = run(
        TensorSpec::new(DType::U8, vec![2, 2]),
        vec![layer],
        &[200, 100, 0, 255],
    );
    assert_eq!(out.shape, vec![2, 1]);
    assert_eq!(out.values_i32(), vec![100, -128]);
}

fn conv(kernel: u32, stride: u32, padding: Padding, zero_point: i32) -> Conv2d {
    Conv2d {
        out_channels: 1,
        kernel_h: kernel,
        kernel_w: kernel,
        in_channels_per_group: 1,
        groups: 1,
        stride_h: stride,
        stride_w: stride,
        padding,
        input_zero_point: zero_point,
        weights: vec![1; (kernel * kernel) as usize],
        bias: vec![0],
        output: identity_stage(0, Clamp::INT8),
    }
}

#[test]
fn conv2d_valid_windows() {
    // Input 1..9 with zero point 1: centred 0..8 in a 3 × 3 image; 2 × 2 box filter.
    let input = TensorSpec::new(DType::U8, vec![1, 3, 3, 1]);
    let data: Vec<u8> = (1..=9).collect();
    let out = run(
        input,
        vec![Layer::Conv2d(conv(2, 1, Padding::default(), 1))],
        &data,
    );
    assert_eq!(out.shape, vec![1, 2, 2, 1]);
    assert_eq!(out.values_i32(), vec![8, 12, 20, 24]);
}

#[test]
fn conv2d_pads_with_the_input_zero_point() {
    // Padding 1, kernel 2, stride 2 on the centred 0..8 image: the windows hold
    // {0}, {1, 2}, {3, 6}, {4, 5, 7, 8}; padded cells contribute (zp - zp) = 0.
    let input = TensorSpec::new(DType::U8, vec![1, 3, 3, 1]);
    let data: Vec<u8> = (1..=9).collect();
    let out = run(
        input,
        vec![Layer::Conv2d(conv(2, 2, Padding::uniform(1), 1))],
        &data,
    );
    assert_eq!(out.shape, vec![1, 2, 2, 1]);
    assert_eq!(out.values_i32(), vec![0, 3, 9, 24]);
}

#[test]
fn conv2d_depthwise_and_grouped() {
    // 2 × 2 image, channels interleaved: c0 = 1, 2, 3, 4 and c1 = 10, 20, 30, 40.
    let input = TensorSpec::new(DType::I8, vec![1, 2, 2, 2]);
    let data = i8_bytes(&[1, 10, 2, 20, 3, 30, 4, 40]);
    let depthwise = Conv2d {
        out_channels: 2,
        kernel_h: 2,
        kernel_w: 2,
        in_channels_per_group: 1,
        groups: 2,
        stride_h: 1,
        stride_w: 1,
        padding: Padding::default(),
        input_zero_point: 0,
        weights: vec![1, 1, 1, 1, -1, -1, -1, -1],
        bias: vec![0, 0],
        output: identity_stage(0, Clamp::INT8),
    };
    let out = run(input.clone(), vec![Layer::Conv2d(depthwise.clone())], &data);
    assert_eq!(out.values_i32(), vec![10, -100]);
    // Channel multiplier 2: outputs 0, 1 read c0 and outputs 2, 3 read c1.
    let grouped = Conv2d {
        out_channels: 4,
        weights: vec![1, 1, 1, 1, 2, 0, 0, 0, 0, 0, 0, 1, -1, 0, 0, 0],
        bias: vec![0, 1, 2, 3],
        ..depthwise
    };
    let out = run(input, vec![Layer::Conv2d(grouped)], &data);
    assert_eq!(out.values_i32(), vec![10, 3, 42, -7]);
}

fn window(kernel_h: u32, kernel_w: u32, stride: u32, padding: Padding) -> Window2d {
    Window2d {
        kernel_h,
        kernel_w,
        stride_h: stride,
        stride_w: stride,
        padding,
    }
}

#[test]
fn max_pool_skips_padding() {
    let input = TensorSpec::new(DType::I8, vec![1, 2, 2, 1]);
    let data = i8_bytes(&[-5, 3, 7, -128]);
    let pool = |padding| {
        Layer::MaxPool2d(MaxPool2d {
            window: window(2, 2, 1, padding),
        })
    };
    let out = run(input.clone(), vec![pool(Padding::default())], &data);
    assert_eq!(out.values_i32(), vec![7]);
    // With padding 1 the corner windows hold one real element; -128 stays -128 (no zero padding).
    let out = run(input, vec![pool(Padding::uniform(1))], &data);
    assert_eq!(out.shape, vec![1, 3, 3, 1]);
    assert_eq!(out.values_i32(), vec![-5, 3, 3, 7, 7, 3, 7, 7, -128]);
}

#[test]
fn max_pool_keeps_uint8() {
    let out = run(
        TensorSpec::new(DType::U8, vec![1, 1, 2, 1]),
        vec![Layer::MaxPool2d(MaxPool2d {
            window: window(1, 2, 1, Padding::default()),
        })],
        &[200, 100],
    );
    assert_eq!(out.dtype, DType::U8);
    assert_eq!(out.data, vec![200]);
}

#[test]
fn avg_pool_rounds_half_away_from_zero() {
    let input = TensorSpec::new(DType::I8, vec![1, 2, 2, 1]);
    let pool = Layer::AvgPool2d(AvgPool2d {
        window: window(2, 2, 1, Padding::default()),
        clamp: Clamp::INT8,
    });
    // 11 / 4 = 2.75 -> 3 and -11 / 4 -> -3.
    assert_eq!(
        run(input.clone(), vec![pool.clone()], &i8_bytes(&[1, 2, 3, 5])).values_i32(),
        vec![3]
    );
    assert_eq!(
        run(input, vec![pool], &i8_bytes(&[-1, -2, -3, -5])).values_i32(),
        vec![-3]
    );
    // Ties: 3 / 2 = 1.5 -> 2 and -3 / 2 -> -2.
    let pair = TensorSpec::new(DType::I8, vec![1, 1, 2, 1]);
    let pool = Layer::AvgPool2d(AvgPool2d {
        window: window(1, 2, 1, Padding::default()),
        clamp: Clamp::INT8,
    });
    assert_eq!(
        run(pair.clone(), vec![pool.clone()], &i8_bytes(&[1, 2])).values_i32(),
        vec![2]
    );
    assert_eq!(
        run(pair, vec![pool], &i8_bytes(&[-1, -2])).values_i32(),
        vec![-2]
    );
}

#[test]
fn avg_pool_counts_only_real_elements_and_clamps() {
    let padding = Padding {
        left: 1,
        right: 1,
        ..Padding::default()
    };
    let pool = Layer::AvgPool2d(AvgPool2d {
        window: window(1, 2, 1, padding),
        clamp: Clamp::new(-128, 8),
    });
    // Windows: [pad, 2] -> 2, [2, 4] -> 3, [4, 9] -> 6.5 -> 7, [9, pad] -> 9 -> clamped to 8.
    let out = run(
        TensorSpec::new(DType::I8, vec![1, 1, 3, 1]),
        vec![pool],
        &i8_bytes(&[2, 4, 9]),
    );
    assert_eq!(out.values_i32(), vec![2, 3, 7, 8]);
}

#[test]
fn add_rescales_both_inputs_and_reads_an_earlier_tensor() {
    // A residual block: identity FC (tensor 1), then tensor 1 + tensor 0.
    // Operand multipliers 0.5 after a left shift of 1 leave (x - zp) unchanged; the output
    // multiplier is 1, so out = (l - zl) + (r - zr) + zo.
    let input = TensorSpec::new(DType::I8, vec![1, 3]);
    let identity_fc = Layer::FullyConnected(FullyConnected {
        in_features: 3,
        out_features: 3,
        input_zero_point: 0,
        weights: vec![1, 0, 0, 0, 1, 0, 0, 0, 1],
        bias: vec![2, 2, 2],
        output: identity_stage(0, Clamp::INT8),
    });
    let add = Layer::Add(Add {
        rhs_tensor: 0,
        left_shift: 1,
        lhs: AddOperand {
            zero_point: 2,
            requant: HALF,
        },
        rhs: AddOperand {
            zero_point: -3,
            requant: HALF,
        },
        output_requant: IDENTITY,
        output_zero_point: 1,
        clamp: Clamp::INT8,
    });
    // Tensor 1 = input + 2; out = (x + 2 - 2) + (x + 3) + 1 = 2x + 4, saturating at 127.
    let out = run(input, vec![identity_fc, add], &i8_bytes(&[10, -20, 100]));
    assert_eq!(out.values_i32(), vec![24, -36, 127]);
}

#[test]
fn add_tflite_style_left_shift_20() {
    // lhs × 0.5 and rhs × 0.25 after the shift by 20, output × 2^-19: out = x + x / 2.
    // x = 3: 3 × 2^19 + 3 × 2^18 = 9 × 2^18 -> 4.5 -> 5; x = -3 -> -4.5 -> -5 (ties away from zero).
    let add = Layer::Add(Add {
        rhs_tensor: 0,
        left_shift: 20,
        lhs: AddOperand {
            zero_point: 0,
            requant: HALF,
        },
        rhs: AddOperand {
            zero_point: 0,
            requant: QUARTER,
        },
        output_requant: Requant::new(1 << 30, -18),
        output_zero_point: 0,
        clamp: Clamp::INT8,
    });
    // Both operands are the input itself (rhs tensor 0 = lhs): out = x + x / 2, rounded.
    let out = run(
        TensorSpec::new(DType::I8, vec![4]),
        vec![add],
        &i8_bytes(&[2, 3, -3, 100]),
    );
    assert_eq!(out.values_i32(), vec![3, 5, -5, 127]);
}

#[test]
fn reshape_then_arg_max_prefers_the_lowest_index() {
    let out = run(
        TensorSpec::new(DType::I8, vec![6]),
        vec![
            Layer::Reshape(Reshape { shape: vec![2, 3] }),
            Layer::ArgMax(ArgMax),
        ],
        &i8_bytes(&[1, 5, 5, -1, -1, -2]),
    );
    assert_eq!(out, Tensor::from_i32(vec![2, 1], &[1, 0]).unwrap());
}
