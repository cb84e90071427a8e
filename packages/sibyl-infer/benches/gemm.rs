//! Int8 GEMM on the Vulkan device: the tiled kernel at 256, 512 and 1024 (square) against the
//! naive one-invocation-per-output kernel at 256. Throughput is in multiply-accumulates
//! ("elements" in criterion's report): 1 Gelem/s = 1 G MAC/s.
//!
//! `cargo bench -p sibyl-infer --bench gemm`; on lavapipe set LP_NUM_THREADS to pin the thread
//! count.

use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use sibyl_infer::vulkan::{GemmBenchmark, GemmKernel, VulkanExecutor};

const TILED_SIZES: [u32; 3] = [256, 512, 1024];
/// The naive kernel is too slow on a CPU driver for larger sizes.
const NAIVE_SIZES: [u32; 1] = [256];

fn gemm(c: &mut Criterion) {
    let executor = match VulkanExecutor::open(sibyl_infer::vulkan::Devices::Any) {
        Ok(executor) => executor,
        Err(why) => {
            eprintln!("no Vulkan device, skipping the GEMM benchmarks: {why}");
            return;
        }
    };
    let mut group = c.benchmark_group(format!("int8_gemm/{}", executor.device_description()));
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5));
    let cases = TILED_SIZES
        .iter()
        .map(|&size| (GemmKernel::Tiled, size))
        .chain(NAIVE_SIZES.iter().map(|&size| (GemmKernel::Naive, size)));
    for (kernel, size) in cases {
        let gemm = GemmBenchmark::new(&executor, kernel, size, 7).expect("operands upload");
        group.throughput(Throughput::Elements(gemm.macs()));
        let name = format!("{kernel:?}").to_lowercase();
        group.bench_function(BenchmarkId::new(name, size), |b| {
            b.iter(|| gemm.run().expect("the GEMM runs"))
        });
    }
    group.finish();
}

criterion_group!(benches, gemm);
criterion_main!(benches);
