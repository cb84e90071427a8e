//! One inference of the shipped digits model (models/digits), Vulkan against the CPU reference,
//! through the public `Engine` (upload, kernels, download and the output hash included).
//!
//! `cargo bench -p sibyl-infer --bench digits`

use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use sibyl_infer::{Backend, Engine};
use sibyl_model::{Limits, Model};

const MODEL: &[u8] = include_bytes!("../../../models/digits/digits.sibylmodel");
const TEST_INPUTS: &[u8] = include_bytes!("../../../models/digits/test_inputs.bin");

fn digits(c: &mut Criterion) {
    let model = Model::parse(MODEL, &Limits::default()).expect("the shipped model is valid");
    let image = &TEST_INPUTS[..64];
    let mut group = c.benchmark_group("digits_inference");
    group
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    for backend in [Backend::Cpu, Backend::Vulkan] {
        let engine = match Engine::new(backend) {
            Ok(engine) => engine,
            Err(why) => {
                eprintln!("skipping {backend:?}: {why}");
                continue;
            }
        };
        let name = format!("{backend:?} ({})", engine.device_description());
        group.bench_function(name, |b| {
            b.iter(|| engine.run(&model, image).expect("the model runs"))
        });
    }
    group.finish();
}

criterion_group!(benches, digits);
criterion_main!(benches);
