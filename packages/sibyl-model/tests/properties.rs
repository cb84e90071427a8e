//! Property tests: random valid models round-trip through the file format and run; corrupt files
//! are rejected without panics; the GEMM and convolution agree with naive definitions.

use proptest::prelude::*;
use sibyl_model::gemm::{gemm_i32, gemm_requantized, Kernel, PackedB};
use sibyl_model::layer::{Conv2d, Layer};
use sibyl_model::quant::{requantize, Clamp, OutputStage, Requant};
use sibyl_model::synthetic::{random_conv2d, random_input, random_model, Rng, Settings};
use sibyl_model::{reference, DType, Limits, Model, ModelBuilder, TensorSpec};

const DIGITS: &[u8] = include_bytes!("../../../models/digits/digits.sibylmodel");

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn random_models_round_trip_through_the_file_format(seed in any::<u64>()) {
        let builder = random_model(&mut Rng::new(seed), &Settings::default());
        let (model, bytes) = builder.build(&Limits::default()).expect("random models are valid");
        let parsed = Model::parse(&bytes, &Limits::default()).expect("parses");
        prop_assert_eq!(parsed.layers(), builder.layers());
        prop_assert_eq!(parsed.to_bytes(), bytes.clone());
        prop_assert_eq!(&parsed, &model);
    }

    #[test]
    fn random_models_run_deterministically(seed in any::<u64>(), extremes in any::<bool>()) {
        let mut rng = Rng::new(seed);
        let (model, _) = random_model(&mut rng, &Settings::default()).build(&Limits::default()).unwrap();
        let input = random_input(&mut rng, model.input_spec(), extremes);
        let first = reference::run(&model, &input).expect("runs");
        prop_assert_eq!(&first.spec(), model.output_spec());
        let prepared = reference::Prepared::new(model.clone());
        prop_assert_eq!(first.hash(), prepared.run(&input).unwrap().hash());
        prop_assert_eq!(first.hash(), reference::run(&model, &input).unwrap().hash());
    }

    #[test]
    fn corrupt_files_are_rejected_without_panicking(
        flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4),
        cut in any::<prop::sample::Index>(),
    ) {
        let mut bytes = DIGITS.to_vec();
        for (index, value) in flips {
            let at = index.index(bytes.len());
            bytes[at] = value;
        }
        // Any outcome is fine but a panic; a changed file that still parses hashes differently.
        if let Ok(model) = Model::parse(&bytes, &Limits::default()) {
            prop_assert_eq!(model.to_bytes(), bytes.clone());
        }
        let truncated = &DIGITS[..cut.index(DIGITS.len())];
        prop_assert!(Model::parse(truncated, &Limits::default()).is_err());
    }

    #[test]
    fn gemm_matches_the_naive_definition(
        m in 1usize..9, n in 1usize..17, k in 1usize..70, seed in any::<u64>(), zero_point in -128i32..=127,
    ) {
        let mut rng = Rng::new(seed);
        let a: Vec<i8> = (0..m * k).map(|_| extreme_i8(&mut rng, -128)).collect();
        let b: Vec<i8> = (0..k * n).map(|_| extreme_i8(&mut rng, -127)).collect();
        let bias: Vec<i32> = (0..n).map(|_| rng.range_i32(-1 << 24, 1 << 24)).collect();
        let packed = PackedB::from_k_by_n(&b, k, n);
        let mut out = vec![0; m * n];
        gemm_i32(&a, m, zero_point, &packed, &bias, &mut out);
        for i in 0..m {
            for j in 0..n {
                let expected = bias[j] + (0..k)
                    .map(|kk| (i32::from(a[i * k + kk]) - zero_point) * i32::from(b[kk * n + j]))
                    .sum::<i32>();
                prop_assert_eq!(out[i * n + j], expected, "C[{}][{}]", i, j);
            }
        }
        let requant = Requant::new(rng.range_i32(1 << 30, i32::MAX), rng.range_i32(-20, 0));
        let stage = OutputStage::per_tensor(requant, 3, Clamp::new(-100, 120));
        let mut requantized = vec![0i8; m * n];
        gemm_requantized(&a, m, zero_point, &packed, &bias, &stage, &mut requantized);
        for (acc, value) in out.iter().zip(&requantized) {
            prop_assert_eq!(i32::from(*value), requantize(*acc, requant, 3, Clamp::new(-100, 120)));
        }
    }

    #[test]
    fn every_kernel_gives_the_same_bits(
        m in 0usize..20, n in 0usize..70, k in 0usize..80, seed in any::<u64>(), zero_point in 0i32..=255,
    ) {
        let mut rng = Rng::new(seed);
        let a: Vec<u8> = (0..m * k).map(|_| rng.range_i32(0, 255) as u8).collect();
        let bt: Vec<i8> = (0..n * k).map(|_| extreme_i8(&mut rng, -128)).collect();
        let bias: Vec<i32> = (0..n).map(|_| rng.range_i32(i32::MIN, i32::MAX)).collect();
        let mut outputs = Vec::new();
        for kernel in [Kernel::Portable, Kernel::best()] {
            let packed = PackedB::from_n_by_k_for(kernel, &bt, n, k);
            let mut out = vec![0; m * n];
            gemm_i32(&a, m, zero_point, &packed, &bias, &mut out);
            outputs.push(out);
        }
        prop_assert_eq!(&outputs[0], &outputs[1]);
        for i in 0..m {
            for j in 0..n {
                let expected = (0..k).fold(bias[j], |acc, kk| {
                    acc.wrapping_add((i32::from(a[i * k + kk]) - zero_point) * i32::from(bt[j * k + kk]))
                });
                prop_assert_eq!(outputs[0][i * n + j], expected);
            }
        }
    }

    #[test]
    fn conv2d_matches_a_direct_convolution(seed in any::<u64>()) {
        let mut rng = Rng::new(seed);
        let dtype = if rng.chance(50) { DType::I8 } else { DType::U8 };
        let shape = vec![rng.range_u32(1, 2), rng.range_u32(1, 7), rng.range_u32(1, 7), rng.range_u32(1, 6)];
        let input_spec = TensorSpec::new(dtype, shape);
        let conv = random_conv2d(&mut rng, &input_spec, &Settings::default(), 20);
        let (model, _) = ModelBuilder::new(input_spec.clone())
            .layer(Layer::Conv2d(conv.clone()))
            .build(&Limits::default())
            .expect("valid");
        let input = random_input(&mut rng, &input_spec, true);
        let output = reference::run(&model, &input).unwrap();
        let values: Vec<i32> = input.iter().map(|&b| if dtype == DType::I8 { i32::from(b as i8) } else { i32::from(b) }).collect();
        prop_assert_eq!(output.values_i32(), direct_conv(&conv, &values, &input_spec.shape, &output.shape));
    }
}

fn extreme_i8(rng: &mut Rng, min: i32) -> i8 {
    if rng.chance(25) {
        *rng.pick(&[min, 127]) as i8
    } else {
        rng.range_i32(min, 127) as i8
    }
}

/// The convolution written straight from its definition (docs/integer-ops.md).
fn direct_conv(conv: &Conv2d, input: &[i32], in_shape: &[u32], out_shape: &[u32]) -> Vec<i32> {
    let [n, h, w, c] = [0, 1, 2, 3].map(|i| in_shape[i] as i64);
    let [_, oh, ow, oc] = [0, 1, 2, 3].map(|i| out_shape[i] as i64);
    let (kh, kw, icg) = (
        conv.kernel_h as i64,
        conv.kernel_w as i64,
        conv.in_channels_per_group as i64,
    );
    let per_group = oc / conv.groups as i64;
    let mut out = Vec::new();
    for b in 0..n {
        for oy in 0..oh {
            for ox in 0..ow {
                for o in 0..oc {
                    let group = o / per_group;
                    let mut acc = conv.bias[o as usize];
                    for ky in 0..kh {
                        for kx in 0..kw {
                            let y = oy * conv.stride_h as i64 + ky - conv.padding.top as i64;
                            let x = ox * conv.stride_w as i64 + kx - conv.padding.left as i64;
                            for ci in 0..icg {
                                let value = if (0..h).contains(&y) && (0..w).contains(&x) {
                                    input[(((b * h + y) * w + x) * c + group * icg + ci) as usize]
                                } else {
                                    conv.input_zero_point
                                };
                                let weight =
                                    conv.weights[(((o * kh + ky) * kw + kx) * icg + ci) as usize];
                                acc += (value - conv.input_zero_point) * i32::from(weight);
                            }
                        }
                    }
                    let requant = conv.output.requant.for_channel(o as usize);
                    out.push(requantize(
                        acc,
                        requant,
                        conv.output.zero_point,
                        conv.output.clamp,
                    ));
                }
            }
        }
    }
    out
}

#[test]
fn random_models_are_valid_even_with_only_extreme_values() {
    let settings = Settings {
        extreme_percent: 100,
        max_spatial: 12,
        max_layers: 8,
        ..Settings::default()
    };
    for seed in 0..500 {
        let mut rng = Rng::new(seed);
        let (model, _) = random_model(&mut rng, &settings)
            .build(&Limits::default())
            .unwrap_or_else(|err| panic!("seed {seed}: {err}"));
        let input = random_input(&mut rng, model.input_spec(), true);
        assert!(reference::run(&model, &input).is_ok());
    }
}

#[test]
fn random_models_cover_every_operator() {
    let mut seen = std::collections::BTreeSet::new();
    for seed in 0..300 {
        let builder = random_model(&mut Rng::new(seed), &Settings::default());
        seen.extend(builder.layers().iter().map(Layer::op_name));
    }
    let all = [
        "add",
        "arg_max",
        "avg_pool2d",
        "conv2d",
        "fully_connected",
        "max_pool2d",
        "reshape",
    ];
    assert_eq!(seen.into_iter().collect::<Vec<_>>(), all);
}

#[test]
fn narrow_matrices_use_the_portable_kernel() {
    let narrow = PackedB::from_n_by_k_for(Kernel::Avx512Vnni, &[1; 15 * 4], 15, 4);
    assert_eq!(narrow.kernel(), Kernel::Portable);
    let wide = PackedB::from_n_by_k_for(Kernel::Avx512Vnni, &[1; 16 * 4], 16, 4);
    assert_eq!(wide.kernel(), Kernel::best());
}
