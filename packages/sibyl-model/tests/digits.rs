//! The shipped digits model (models/digits, made by scripts/digits/train.py): format round trip,
//! known answers, and bit-exact agreement with the numpy integer simulation on every held-out image.

use serde_json::Value;
use sha2::{Digest, Sha256};
use sibyl_model::{reference, DType, Limits, Model, TensorSpec};

const MODEL: &[u8] = include_bytes!("../../../models/digits/digits.sibylmodel");
const LOGITS_MODEL: &[u8] = include_bytes!("../../../models/digits/digits_logits.sibylmodel");
const TEST_INPUTS: &[u8] = include_bytes!("../../../models/digits/test_inputs.bin");
const TEST_LABELS: &[u8] = include_bytes!("../../../models/digits/test_labels.bin");
const NUMPY_LOGITS: &[u8] = include_bytes!("../../../models/digits/test_integer_logits.bin");
const KNOWN_ANSWERS: &str = include_str!("../../../models/digits/known_answers.json");
const ACCURACY: &str = include_str!("../../../models/digits/accuracy.json");

const IMAGE_BYTES: usize = 64;
const CLASSES: usize = 10;

fn parse(bytes: &[u8]) -> Model {
    Model::parse(bytes, &Limits::default()).expect("shipped model is valid")
}

fn report() -> Value {
    serde_json::from_str(ACCURACY).expect("accuracy.json is JSON")
}

fn from_hex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("hex"))
        .collect()
}

fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn models_parse_reencode_identically_and_hash_as_reported() {
    let report = report();
    for (name, bytes) in [
        ("digits.sibylmodel", MODEL),
        ("digits_logits.sibylmodel", LOGITS_MODEL),
    ] {
        let model = parse(bytes);
        assert_eq!(model.to_bytes(), bytes, "{name}: the encoding is canonical");
        assert_eq!(model.hash(), <[u8; 32]>::from(Sha256::digest(bytes)));
        assert_eq!(
            to_hex(&model.hash()),
            report["model_sha256"][name].as_str().unwrap(),
            "{name}"
        );
        assert_eq!(
            model.input_spec(),
            &TensorSpec::new(DType::U8, vec![1, 8, 8, 1])
        );
    }
    assert_eq!(
        parse(MODEL).output_spec(),
        &TensorSpec::new(DType::I32, vec![1, 1])
    );
    assert_eq!(
        parse(LOGITS_MODEL).output_spec(),
        &TensorSpec::new(DType::I8, vec![1, 10])
    );
}

#[test]
fn known_answers_match_bytes_and_hashes() {
    let vectors: Value = serde_json::from_str(KNOWN_ANSWERS).expect("known_answers.json is JSON");
    let vectors = vectors.as_array().expect("list");
    assert!(!vectors.is_empty());
    let models = [
        ("digits", parse(MODEL)),
        ("digits_logits", parse(LOGITS_MODEL)),
    ];
    for vector in vectors {
        let input = from_hex(vector["input_hex"].as_str().unwrap());
        assert_eq!(
            to_hex(&Sha256::digest(&input)),
            vector["input_sha256"].as_str().unwrap()
        );
        for (name, model) in &models {
            let output = reference::run(model, &input).expect("runs");
            let expected = &vector[*name];
            assert_eq!(
                to_hex(&output.canonical_bytes()),
                expected["output_hex"].as_str().unwrap(),
                "{name}"
            );
            assert_eq!(
                to_hex(&output.hash()),
                expected["output_sha256"].as_str().unwrap(),
                "{name}"
            );
        }
    }
}

#[test]
fn every_held_out_image_matches_numpy_and_accuracy_is_within_a_point_of_float() {
    let (model, logits_model) = (parse(MODEL), parse(LOGITS_MODEL));
    let images = TEST_INPUTS.chunks_exact(IMAGE_BYTES);
    assert_eq!(images.len(), TEST_LABELS.len());
    let mut correct = 0usize;
    for ((image, &label), numpy_logits) in images
        .zip(TEST_LABELS)
        .zip(NUMPY_LOGITS.chunks_exact(CLASSES))
    {
        let logits = reference::run(&logits_model, image).expect("runs");
        assert_eq!(
            logits.data, numpy_logits,
            "int8 logits equal the numpy simulation"
        );
        let predicted = reference::run(&model, image).expect("runs").values_i32()[0];
        if predicted == i32::from(label) {
            correct += 1;
        }
    }
    let report = report();
    let total = TEST_LABELS.len();
    assert_eq!(
        correct as u64,
        report["integer_correct_numpy"].as_u64().unwrap()
    );
    let float_correct = report["float_correct"].as_u64().unwrap() as usize;
    // Within one percentage point: |int - float| / total <= 1 / 100.
    assert!(
        correct.abs_diff(float_correct) * 100 <= total,
        "integer {correct} vs float {float_correct} of {total}"
    );
    println!("held-out accuracy over {total} images: integer (Rust reference) {correct}, float {float_correct}");
}
