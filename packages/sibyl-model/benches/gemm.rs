//! Exact int8 GEMM throughput at 256, 512 and 1024 square, for each kernel this CPU has
//! (one multiply-accumulate = one element: criterion's Gelem/s is G MAC/s).

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use sibyl_model::gemm::{gemm_i32, Kernel, PackedB};
use sibyl_model::synthetic::Rng;
use std::hint::black_box;
use std::time::Duration;

fn random_i8(rng: &mut Rng, count: usize) -> Vec<i8> {
    (0..count).map(|_| rng.range_i32(-127, 127) as i8).collect()
}

fn gemm(c: &mut Criterion) {
    let mut kernels = vec![Kernel::Portable];
    if Kernel::best() != Kernel::Portable {
        kernels.push(Kernel::best());
    }
    for kernel in kernels {
        let mut group = c.benchmark_group(format!("gemm_i8_exact/{kernel:?}"));
        group
            .sample_size(10)
            .warm_up_time(Duration::from_secs(1))
            .measurement_time(Duration::from_secs(3));
        for n in [256usize, 512, 1024] {
            let mut rng = Rng::new(n as u64);
            let a = random_i8(&mut rng, n * n);
            let b = PackedB::from_n_by_k_for(kernel, &random_i8(&mut rng, n * n), n, n);
            let bias = vec![0i32; n];
            let mut out = vec![0i32; n * n];
            group.throughput(Throughput::Elements((n * n * n) as u64));
            group.bench_with_input(BenchmarkId::from_parameter(n), &n, |bench, &n| {
                bench.iter(|| gemm_i32(black_box(&a), n, black_box(-3), &b, &bias, &mut out));
            });
        }
        group.finish();
    }
}

criterion_group!(benches, gemm);
criterion_main!(benches);
