//! Every parser, validator, executor and tensor-decoding error, each from a file or call that
//! should produce it.

use sibyl_model::format::{encode_model, MODEL_MAGIC};
use sibyl_model::layer::{
    Add, AddOperand, ArgMax, AvgPool2d, Conv2d, FullyConnected, Layer, MaxPool2d, Padding, Reshape,
    Window2d,
};
use sibyl_model::quant::{ChannelRequant, Clamp, OutputStage, Requant, IDENTITY};
use sibyl_model::{
    reference, DType, ExecError, Limits, Model, ModelError, Tensor, TensorError, TensorSpec,
};

const DIGITS: &[u8] = include_bytes!("../../../models/digits/digits.sibylmodel");
/// magic (8) + version (2) + input spec (2 + 4 × 4) + output spec (2 + 2 × 4) + layer count (4).
const FIRST_LAYER: usize = 8 + 2 + 18 + 10 + 4;

fn parse(bytes: &[u8]) -> Result<Model, ModelError> {
    Model::parse(bytes, &Limits::default())
}

fn fc(in_features: u32, out_features: u32) -> FullyConnected {
    FullyConnected {
        in_features,
        out_features,
        input_zero_point: 0,
        weights: vec![1; (in_features * out_features) as usize],
        bias: vec![0; out_features as usize],
        output: OutputStage::per_tensor(Requant::new(1 << 30, -4), 0, Clamp::INT8),
    }
}

fn i8_spec(shape: &[u32]) -> TensorSpec {
    TensorSpec::new(DType::I8, shape.to_vec())
}

/// A file with these layers and a correct output spec (unless the layers fail validation, then
/// output int8 [1]).
fn file(input: TensorSpec, layers: &[Layer]) -> Vec<u8> {
    let mut builder = sibyl_model::ModelBuilder::new(input.clone());
    for layer in layers {
        builder.push(layer.clone());
    }
    let output = builder
        .tensor_specs(&Limits::default())
        .ok()
        .and_then(|specs| specs.last().cloned())
        .unwrap_or_else(|| i8_spec(&[1]));
    encode_model(&input, &output, layers)
}

fn validation_error(input: TensorSpec, layers: &[Layer]) -> ModelError {
    let bytes = file(input, layers);
    parse(&bytes).expect_err("the model must be rejected")
}

#[test]
fn the_valid_digits_model_parses() {
    assert!(parse(DIGITS).is_ok());
}

#[test]
fn file_over_the_size_limit() {
    let limits = Limits {
        max_file_bytes: 100,
        ..Limits::default()
    };
    let err = Model::parse(DIGITS, &limits).unwrap_err();
    assert_eq!(
        err,
        ModelError::FileTooLarge {
            size: DIGITS.len(),
            limit: 100
        }
    );
    assert!(err.to_string().contains("over the configured limit"));
}

#[test]
fn bad_magic() {
    let mut bytes = DIGITS.to_vec();
    bytes[0] = b'X';
    assert_eq!(parse(&bytes), Err(ModelError::BadMagic));
}

#[test]
fn unknown_version() {
    let mut bytes = DIGITS.to_vec();
    bytes[MODEL_MAGIC.len()] = 2;
    assert_eq!(
        parse(&bytes),
        Err(ModelError::UnsupportedVersion {
            found: 2,
            supported: 1
        })
    );
}

#[test]
fn every_truncation_is_reported_as_truncated() {
    for cut in 0..DIGITS.len() {
        match parse(&DIGITS[..cut]) {
            Err(ModelError::Truncated {
                offset, available, ..
            }) => assert!(offset + available <= cut),
            other => panic!("cut at {cut}: expected Truncated, got {other:?}"),
        }
    }
}

#[test]
fn unknown_dtype() {
    let mut bytes = DIGITS.to_vec();
    bytes[MODEL_MAGIC.len() + 2] = 9;
    assert!(matches!(
        parse(&bytes),
        Err(ModelError::UnknownDType { code: 9, .. })
    ));
}

#[test]
fn unknown_op() {
    let mut bytes = DIGITS.to_vec();
    bytes[FIRST_LAYER] = 42;
    let err = parse(&bytes).unwrap_err();
    assert_eq!(err, ModelError::UnknownOp { layer: 0, code: 42 });
    assert_eq!(
        err.to_string(),
        "layer 0: unknown op code 42; this build knows op codes 1..=7"
    );
}

#[test]
fn unknown_requantization_kind() {
    let bytes = file(i8_spec(&[1, 2]), &[Layer::FullyConnected(fc(2, 1))]);
    // The kind byte follows in/out features, zero point, 2 weights and 1 bias.
    let kind_at = bytes.len() - (1 + 8 + 12);
    let mut corrupt = bytes.clone();
    corrupt[kind_at] = 7;
    assert!(matches!(
        parse(&corrupt),
        Err(ModelError::UnknownCode {
            field: "requantization kind",
            code: 7,
            ..
        })
    ));
}

#[test]
fn payload_longer_than_its_fields() {
    let mut bytes = file(i8_spec(&[1, 3]), &[Layer::ArgMax(ArgMax)]);
    let length_at = bytes.len() - 4;
    bytes[length_at] = 1;
    bytes.push(0);
    assert_eq!(
        parse(&bytes),
        Err(ModelError::PayloadLength {
            layer: 0,
            op: "arg_max",
            declared: 1,
            used: 0
        })
    );
}

#[test]
fn trailing_bytes() {
    let mut bytes = DIGITS.to_vec();
    bytes.extend_from_slice(&[0, 0]);
    assert_eq!(parse(&bytes), Err(ModelError::TrailingBytes { count: 2 }));
}

#[test]
fn empty_model() {
    let bytes = encode_model(&i8_spec(&[1]), &i8_spec(&[1]), &[]);
    assert_eq!(parse(&bytes), Err(ModelError::EmptyModel));
}

#[test]
fn too_many_layers() {
    let limits = Limits {
        max_layers: 3,
        ..Limits::default()
    };
    let err = Model::parse(DIGITS, &limits).unwrap_err();
    assert_eq!(err, ModelError::TooManyLayers { count: 6, limit: 3 });
}

#[test]
fn rank_too_large() {
    let err = validation_error(i8_spec(&[1; 9]), &[Layer::ArgMax(ArgMax)]);
    assert!(
        matches!(err, ModelError::RankTooLarge { rank: 9, .. }),
        "{err:?}"
    );
    let err = validation_error(i8_spec(&[]), &[Layer::ArgMax(ArgMax)]);
    assert!(
        matches!(err, ModelError::RankTooLarge { rank: 0, .. }),
        "{err:?}"
    );
}

#[test]
fn zero_dimension() {
    let err = validation_error(i8_spec(&[1, 0]), &[Layer::ArgMax(ArgMax)]);
    assert!(matches!(err, ModelError::ZeroDimension { .. }), "{err:?}");
}

#[test]
fn tensor_over_the_size_limit() {
    let limits = Limits {
        max_tensor_elements: 1000,
        ..Limits::default()
    };
    // The digits model's first fully-connected layer has 32 × 128 = 4096 weights.
    let err = Model::parse(DIGITS, &limits).unwrap_err();
    assert!(
        matches!(&err, ModelError::TensorTooLarge { elements: 4096, limit: 1000, context } if context.contains("weights")),
        "{err:?}"
    );
    // An activation over the limit.
    let bytes = file(i8_spec(&[2000]), &[Layer::ArgMax(ArgMax)]);
    assert!(matches!(
        Model::parse(&bytes, &limits),
        Err(ModelError::TensorTooLarge { elements: 2000, .. })
    ));
}

#[test]
fn shape_mismatch_between_layers() {
    let err = validation_error(i8_spec(&[1, 4]), &[Layer::FullyConnected(fc(3, 2))]);
    assert!(
        matches!(
            err,
            ModelError::ShapeMismatch {
                layer: 0,
                op: "fully_connected",
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("[batch, 3]"));
    // Second layer expects 5 features, the first produces 2.
    let err = validation_error(
        i8_spec(&[1, 3]),
        &[
            Layer::FullyConnected(fc(3, 2)),
            Layer::FullyConnected(fc(5, 1)),
        ],
    );
    assert!(
        matches!(err, ModelError::ShapeMismatch { layer: 1, .. }),
        "{err:?}"
    );
    // A reshape that changes the element count.
    let err = validation_error(
        i8_spec(&[2, 3]),
        &[Layer::Reshape(Reshape { shape: vec![7] })],
    );
    assert!(
        matches!(err, ModelError::ShapeMismatch { op: "reshape", .. }),
        "{err:?}"
    );
    // Add of two different shapes.
    let add = Add {
        rhs_tensor: 0,
        left_shift: 20,
        lhs: AddOperand {
            zero_point: 0,
            requant: Requant::new(1 << 30, 0),
        },
        rhs: AddOperand {
            zero_point: 0,
            requant: Requant::new(1 << 30, 0),
        },
        output_requant: Requant::new(1 << 30, -19),
        output_zero_point: 0,
        clamp: Clamp::INT8,
    };
    let err = validation_error(
        i8_spec(&[1, 3]),
        &[Layer::FullyConnected(fc(3, 2)), Layer::Add(add)],
    );
    assert!(
        matches!(err, ModelError::ShapeMismatch { op: "add", .. }),
        "{err:?}"
    );
}

fn conv() -> Conv2d {
    Conv2d {
        out_channels: 2,
        kernel_h: 2,
        kernel_w: 2,
        in_channels_per_group: 1,
        groups: 1,
        stride_h: 1,
        stride_w: 1,
        padding: Padding::default(),
        input_zero_point: 0,
        weights: vec![1; 8],
        bias: vec![0; 2],
        output: OutputStage::per_tensor(Requant::new(1 << 30, -2), 0, Clamp::INT8),
    }
}

#[test]
fn invalid_parameters() {
    let nhwc = i8_spec(&[1, 4, 4, 1]);
    let cases: Vec<(TensorSpec, Layer, &str)> = vec![
        (
            nhwc.clone(),
            Layer::Conv2d(Conv2d {
                stride_h: 0,
                ..conv()
            }),
            "stride_h must be at least 1",
        ),
        (
            nhwc.clone(),
            Layer::Conv2d(Conv2d {
                weights: vec![1, 1, 1, -128, 1, 1, 1, 1],
                ..conv()
            }),
            "weight 3 is -128",
        ),
        (
            nhwc.clone(),
            Layer::Conv2d(Conv2d {
                input_zero_point: 128,
                ..conv()
            }),
            "input zero point 128 is outside the int8 range",
        ),
        (
            nhwc.clone(),
            Layer::Conv2d(Conv2d {
                output: OutputStage::per_tensor(Requant::new((1 << 30) - 1, 0), 0, Clamp::INT8),
                ..conv()
            }),
            "needs multiplier in [2^30, 2^31)",
        ),
        (
            nhwc.clone(),
            Layer::Conv2d(Conv2d {
                output: OutputStage::per_tensor(Requant::new(1 << 30, -32), 0, Clamp::INT8),
                ..conv()
            }),
            "shift in [-31, 30]",
        ),
        (
            nhwc.clone(),
            Layer::Conv2d(Conv2d {
                output: OutputStage::per_tensor(IDENTITY, 0, Clamp::new(10, -10)),
                ..conv()
            }),
            "activation clamp [10, -10]",
        ),
        (
            i8_spec(&[1, 4, 4, 2]),
            Layer::Conv2d(Conv2d {
                out_channels: 3,
                groups: 2,
                weights: vec![1; 12],
                bias: vec![0; 3],
                ..conv()
            }),
            "out_channels 3 is not a multiple of groups 2",
        ),
        (
            nhwc.clone(),
            Layer::MaxPool2d(MaxPool2d {
                window: Window2d {
                    kernel_h: 2,
                    kernel_w: 2,
                    stride_h: 1,
                    stride_w: 1,
                    padding: Padding::uniform(2),
                },
            }),
            "top padding 2 must be smaller than the kernel",
        ),
        (
            TensorSpec::new(DType::U8, vec![1, 2, 2, 1]),
            Layer::AvgPool2d(AvgPool2d {
                window: Window2d {
                    kernel_h: 2,
                    kernel_w: 2,
                    stride_h: 1,
                    stride_w: 1,
                    padding: Padding::default(),
                },
                clamp: Clamp::new(-1, 255),
            }),
            "inside the uint8 range [0, 255]",
        ),
        (
            i8_spec(&[1, 3]),
            Layer::Reshape(Reshape { shape: vec![3, 0] }),
            "no zero dimension",
        ),
    ];
    for (input, layer, message) in cases {
        let err = validation_error(input, std::slice::from_ref(&layer));
        assert!(
            matches!(err, ModelError::InvalidParameter { layer: 0, .. }),
            "{}: {err:?}",
            layer.op_name()
        );
        assert!(
            err.to_string().contains(message),
            "{err} should mention {message:?}"
        );
    }
}

fn add(rhs_tensor: u32, left_shift: u32, lhs_shift: i32, output_shift: i32) -> Layer {
    Layer::Add(Add {
        rhs_tensor,
        left_shift,
        lhs: AddOperand {
            zero_point: 0,
            requant: Requant::new(1 << 30, lhs_shift),
        },
        rhs: AddOperand {
            zero_point: 0,
            requant: Requant::new(1 << 30, 0),
        },
        output_requant: Requant::new(1 << 30, output_shift),
        output_zero_point: 0,
        clamp: Clamp::INT8,
    })
}

#[test]
fn invalid_add_parameters() {
    let input = i8_spec(&[1, 4]);
    for (layer, message) in [
        (add(2, 20, 0, -19), "rhs tensor 2 is not an earlier tensor"),
        (
            add(0, 23, 0, -19),
            "left shift 23 is over the maximum of 22",
        ),
        (add(0, 20, 1, -19), "lhs shift 1 must be <= 0"),
    ] {
        let err = validation_error(input.clone(), &[layer]);
        assert!(
            matches!(err, ModelError::InvalidParameter { .. }),
            "{err:?}"
        );
        assert!(err.to_string().contains(message), "{err}");
    }
    // Rescaled sum 2 × 255 × 2^20 shifted left by 4 leaves int32.
    let err = validation_error(input, &[add(0, 20, 0, 4)]);
    assert!(
        matches!(err, ModelError::AccumulatorOverflow { op: "add", .. }),
        "{err:?}"
    );
}

#[test]
fn reduction_that_could_overflow_int32() {
    // K × 255 × 127 + |bias| with a bias near i32::MAX.
    let mut layer = fc(2, 1);
    layer.bias = vec![i32::MAX - 1000];
    let err = validation_error(i8_spec(&[1, 2]), &[Layer::FullyConnected(layer)]);
    assert_eq!(
        err,
        ModelError::AccumulatorOverflow {
            layer: 0,
            op: "fully_connected",
            detail: "2 products × 255 × 127 + |bias[0]|".to_owned(),
            bound: 2 * 255 * 127 + (i32::MAX as u64 - 1000),
        }
    );
    // K = 66312 inputs: 66312 × 32385 > 2^31 - 1 even with zero bias.
    let long = fc(66_312, 1);
    let err = validation_error(i8_spec(&[1, 66_312]), &[Layer::FullyConnected(long)]);
    assert!(
        matches!(
            err,
            ModelError::AccumulatorOverflow {
                bound: 2_147_514_120,
                ..
            }
        ),
        "{err:?}"
    );
    // K = 66311 is the longest reduction that fits.
    let bytes = file(
        i8_spec(&[1, 66_311]),
        &[Layer::FullyConnected(fc(66_311, 1))],
    );
    assert!(parse(&bytes).is_ok());
    // A left shift that would push the bound out of int32.
    let mut shifted = fc(100, 1);
    shifted.output.requant = ChannelRequant::PerTensor(Requant::new(1 << 30, 10));
    let err = validation_error(i8_spec(&[1, 100]), &[Layer::FullyConnected(shifted)]);
    assert!(err.to_string().contains("shifted left by 10"), "{err}");
}

#[test]
fn compute_over_the_limit() {
    let limits = Limits {
        max_macs: 1000,
        ..Limits::default()
    };
    assert!(matches!(
        Model::parse(DIGITS, &limits),
        Err(ModelError::ComputeTooLarge { limit: 1000, .. })
    ));
}

#[test]
fn output_spec_that_disagrees_with_the_layers() {
    let input = i8_spec(&[1, 3]);
    let bytes = encode_model(&input, &i8_spec(&[1, 3]), &[Layer::ArgMax(ArgMax)]);
    assert_eq!(
        parse(&bytes),
        Err(ModelError::OutputSpecMismatch {
            declared: "int8[1, 3]".to_owned(),
            inferred: "int32[1, 1]".to_owned()
        })
    );
}

#[test]
fn input_bytes_that_do_not_match_the_input_spec() {
    let model = parse(DIGITS).unwrap();
    for len in [0, 63, 65] {
        assert_eq!(
            reference::run(&model, &vec![0; len]),
            Err(ExecError::InputLength {
                spec: "uint8[1, 8, 8, 1]".to_owned(),
                expected: 64,
                found: len
            })
        );
    }
}

#[test]
fn canonical_tensor_errors() {
    let tensor = Tensor::from_i32(vec![1, 1], &[7]).unwrap();
    let bytes = tensor.canonical_bytes();
    assert_eq!(Tensor::from_canonical_bytes(&bytes), Ok(tensor));
    assert_eq!(
        Tensor::from_canonical_bytes(&bytes[..6]),
        Err(TensorError::Truncated)
    );
    assert_eq!(
        Tensor::from_canonical_bytes(&bytes[..10]),
        Err(TensorError::Truncated)
    );
    let corrupt = |at: usize, value: u8| {
        let mut copy = bytes.clone();
        copy[at] = value;
        Tensor::from_canonical_bytes(&copy)
    };
    assert_eq!(corrupt(0, b'X'), Err(TensorError::BadMagic));
    assert_eq!(corrupt(4, 2), Err(TensorError::UnsupportedVersion(2)));
    assert_eq!(corrupt(5, 0), Err(TensorError::UnknownDType(0)));
    assert_eq!(corrupt(6, 9), Err(TensorError::RankTooLarge(9)));
    assert!(matches!(
        Tensor::from_canonical_bytes(&bytes[..bytes.len() - 1]),
        Err(TensorError::DataLength {
            expected: 4,
            found: 3,
            ..
        })
    ));
    assert_eq!(
        Tensor::new(DType::I32, vec![u32::MAX, u32::MAX, u32::MAX], vec![]),
        Err(TensorError::ShapeTooLarge)
    );
}

#[test]
fn canonical_tensor_bytes_are_pinned() {
    let tensor = Tensor::from_i32(vec![1, 1], &[7]).unwrap();
    let expected: Vec<u8> = [
        &b"SIBT"[..],
        &[1, 3, 2],
        &1u32.to_le_bytes(),
        &1u32.to_le_bytes(),
        &7i32.to_le_bytes(),
    ]
    .concat();
    assert_eq!(tensor.canonical_bytes(), expected);
    let hex: String = tensor.hash().iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(
        hex,
        "eb4b768e5b1bc31597faac47f20f6e8c2294ffad737a8a8a5853f37036535c83"
    );
}
