//! Classifies the held-out digits with the CPU reference and prints the accuracy and one output
//! hash. Used to measure a whole inference process (peak memory in docs/benchmarks-inference.md):
//!
//! `cargo run --release -p sibyl-model --example digits -- models/digits [images]`

use std::path::PathBuf;
use std::process::ExitCode;

use sibyl_model::{reference, Limits, Model};

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let dir = PathBuf::from(args.next().unwrap_or_else(|| "models/digits".to_owned()));
    let limit: Option<usize> = args.next().and_then(|v| v.parse().ok());
    match run(&dir, limit) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run(dir: &std::path::Path, limit: Option<usize>) -> Result<(), String> {
    let read = |name: &str| {
        std::fs::read(dir.join(name)).map_err(|e| format!("{}: {e}", dir.join(name).display()))
    };
    let bytes = read("digits.sibylmodel")?;
    let model = Model::parse(&bytes, &Limits::default()).map_err(|e| e.to_string())?;
    let model_hash = model.hash();
    let prepared = reference::Prepared::new(model);
    let (inputs, labels) = (read("test_inputs.bin")?, read("test_labels.bin")?);
    let count = limit.unwrap_or(labels.len()).min(labels.len());
    let mut correct = 0;
    for (image, &label) in inputs.chunks_exact(64).zip(&labels).take(count) {
        let output = prepared.run(image).map_err(|e| e.to_string())?;
        if output.values_i32()[0] == i32::from(label) {
            correct += 1;
        }
    }
    let first = prepared.run(&inputs[..64]).map_err(|e| e.to_string())?;
    let hex = |bytes: &[u8]| bytes.iter().map(|b| format!("{b:02x}")).collect::<String>();
    println!("model {}", hex(&model_hash));
    println!("accuracy {correct}/{count}");
    println!("first output hash {}", hex(&first.hash()));
    Ok(())
}
