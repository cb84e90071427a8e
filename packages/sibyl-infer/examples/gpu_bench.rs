//! Prints a table of int8 GEMM throughput on the preferred Vulkan device (what
//! scripts/gpu-bench.sh runs).
//!
//! `cargo run --release -p sibyl-infer --example gpu_bench -- [sizes] [naive sizes]`
//! with comma-separated square sizes, default `256,512,1024` and `256`.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use sibyl_infer::vulkan::{GemmBenchmark, GemmKernel, VulkanExecutor};

/// Each size is timed for at least this long (and at least three launches).
const MIN_TIME: Duration = Duration::from_secs(2);

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let (tiled, naive) = match (
        parse(args.next(), "256,512,1024"),
        parse(args.next(), "256"),
    ) {
        (Some(tiled), Some(naive)) => (tiled, naive),
        _ => {
            eprintln!("usage: gpu_bench [sizes, e.g. 256,512,1024] [naive sizes, e.g. 256]");
            return ExitCode::FAILURE;
        }
    };
    let executor = match VulkanExecutor::open() {
        Ok(executor) => executor,
        Err(why) => {
            eprintln!("no Vulkan device: {why}");
            return ExitCode::FAILURE;
        }
    };
    println!("device: {}", executor.device_description());
    println!(
        "{:<8} {:>6} {:>10} {:>12} {:>9}",
        "kernel", "size", "launches", "median ms", "GMAC/s"
    );
    let cases = tiled
        .iter()
        .map(|&size| (GemmKernel::Tiled, size))
        .chain(naive.iter().map(|&size| (GemmKernel::Naive, size)));
    for (kernel, size) in cases {
        match measure(&executor, kernel, size) {
            Ok((launches, median)) => {
                let macs = f64::from(size).powi(3);
                println!(
                    "{:<8} {size:>6} {launches:>10} {:>12.3} {:>9.3}",
                    format!("{kernel:?}").to_lowercase(),
                    median.as_secs_f64() * 1e3,
                    macs / median.as_secs_f64() / 1e9
                );
            }
            Err(error) => {
                eprintln!("{kernel:?} {size}: {error}");
                return ExitCode::FAILURE;
            }
        }
    }
    ExitCode::SUCCESS
}

fn parse(arg: Option<String>, default: &str) -> Option<Vec<u32>> {
    arg.as_deref()
        .unwrap_or(default)
        .split(',')
        .map(|size| size.trim().parse().ok().filter(|&size| size > 0))
        .collect()
}

/// Launch count and median launch time (record, submit, fence wait) after one warm-up launch.
fn measure(
    executor: &VulkanExecutor,
    kernel: GemmKernel,
    size: u32,
) -> Result<(usize, Duration), sibyl_infer::EngineError> {
    let gemm = GemmBenchmark::new(executor, kernel, size, 7)?;
    gemm.run()?;
    let mut times = Vec::new();
    let started = Instant::now();
    while times.len() < 3 || started.elapsed() < MIN_TIME {
        let launch = Instant::now();
        gemm.run()?;
        times.push(launch.elapsed());
    }
    times.sort();
    Ok((times.len(), times[times.len() / 2]))
}
