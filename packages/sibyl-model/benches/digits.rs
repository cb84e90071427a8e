//! One inference of the shipped digits model (models/digits) on the CPU reference.

use criterion::{criterion_group, criterion_main, Criterion};
use sibyl_model::{reference, Limits, Model};
use std::hint::black_box;
use std::time::Duration;

const MODEL: &[u8] = include_bytes!("../../../models/digits/digits.sibylmodel");
const TEST_INPUTS: &[u8] = include_bytes!("../../../models/digits/test_inputs.bin");

fn digits(c: &mut Criterion) {
    let model = Model::parse(MODEL, &Limits::default()).expect("shipped model is valid");
    let image = &TEST_INPUTS[..64];
    let mut group = c.benchmark_group("digits");
    group
        .sample_size(50)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    group.bench_function("parse_and_validate", |bench| {
        bench.iter(|| Model::parse(black_box(MODEL), &Limits::default()))
    });
    group.bench_function("inference", |bench| {
        bench.iter(|| reference::run(&model, black_box(image)))
    });
    let prepared = reference::Prepared::new(model.clone());
    group.bench_function("inference_prepared", |bench| {
        bench.iter(|| prepared.run(black_box(image)))
    });
    group.finish();
}

criterion_group!(benches, digits);
criterion_main!(benches);
