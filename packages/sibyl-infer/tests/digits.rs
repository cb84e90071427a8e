//! The shipped digits model (models/digits) on Vulkan: the same output bytes and hash as the CPU
//! reference for every held-out image, the same accuracy, and the published known answers.

mod common;

use common::{assert_same_output, vulkan};
use sha2::{Digest, Sha256};
use sibyl_model::{Limits, Model};

const MODEL: &[u8] = include_bytes!("../../../models/digits/digits.sibylmodel");
const LOGITS_MODEL: &[u8] = include_bytes!("../../../models/digits/digits_logits.sibylmodel");
const TEST_INPUTS: &[u8] = include_bytes!("../../../models/digits/test_inputs.bin");
const TEST_LABELS: &[u8] = include_bytes!("../../../models/digits/test_labels.bin");
const KNOWN_ANSWERS: &str = include_str!("../../../models/digits/known_answers.json");

const IMAGE_BYTES: usize = 64;

fn parse(bytes: &[u8]) -> Model {
    Model::parse(bytes, &Limits::default()).expect("the shipped model is valid")
}

fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn every_held_out_image_gives_the_reference_bytes_and_the_same_accuracy() {
    let (model, logits_model) = (parse(MODEL), parse(LOGITS_MODEL));
    let images = TEST_INPUTS.chunks_exact(IMAGE_BYTES);
    assert_eq!(images.len(), TEST_LABELS.len());
    let mut correct = 0;
    // One digest over every output, so that a single figure records the whole run.
    let mut all_outputs = Sha256::new();
    for (image, &label) in images.zip(TEST_LABELS) {
        assert_same_output(&logits_model, image);
        let predicted = assert_same_output(&model, image);
        all_outputs.update(&predicted);
        if predicted == i32::from(label).to_le_bytes() {
            correct += 1;
        }
    }
    // 440 of 450, as reported in models/digits/accuracy.json.
    assert_eq!((correct, TEST_LABELS.len()), (440, 450));
    println!(
        "digits on {}: {correct}/450 correct, sha256 of all predictions {}",
        vulkan().device_description(),
        to_hex(&all_outputs.finalize())
    );
}

#[test]
fn known_answers_hash_the_same_on_vulkan() {
    let vectors: serde_json::Value = serde_json::from_str(KNOWN_ANSWERS).unwrap();
    let models = [
        ("digits", parse(MODEL)),
        ("digits_logits", parse(LOGITS_MODEL)),
    ];
    for vector in vectors.as_array().unwrap() {
        let input: Vec<u8> = (0..vector["input_hex"].as_str().unwrap().len())
            .step_by(2)
            .map(|i| {
                u8::from_str_radix(&vector["input_hex"].as_str().unwrap()[i..i + 2], 16).unwrap()
            })
            .collect();
        for (name, model) in &models {
            let output = vulkan().run(model, &input).unwrap();
            assert_eq!(
                to_hex(&output.output_hash),
                vector[*name]["output_sha256"].as_str().unwrap(),
                "{name}"
            );
        }
    }
}

#[test]
fn digits_bytes_do_not_depend_on_the_lavapipe_thread_count() {
    // lavapipe spreads workgroups over LP_NUM_THREADS threads, read once per process: rerun the
    // whole held-out comparison in children with 1 and 3 threads (on a GPU the variable is
    // ignored and the children simply pass again).
    let mut digests = Vec::new();
    for threads in ["1", "3"] {
        let output = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "every_held_out_image_gives_the_reference_bytes_and_the_same_accuracy",
                "--nocapture",
            ])
            .env("LP_NUM_THREADS", threads)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success() && stdout.contains("1 passed"),
            "LP_NUM_THREADS={threads}:\n{stdout}\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let digest = stdout
            .lines()
            .find_map(|line| line.split("sha256 of all predictions ").nth(1))
            .map(str::to_owned);
        digests.push(digest.expect("the child prints its digest"));
    }
    assert_eq!(digests[0], digests[1]);
}
