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
    let executor = match VulkanExecutor::open(sibyl_infer::vulkan::Devices::Any) {
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
            Ok(measured) => {
                let macs = f64::from(size).powi(3);
                let per_cpu_second = measured
                    .cpu_seconds
                    .map(|cpu| format!("{:.3}", macs * measured.launches as f64 / cpu / 1e9))
                    .unwrap_or_else(|| "-".to_owned());
                println!(
                    "{:<8} {size:>6} {:>10} {:>12.3} {:>9.3} {per_cpu_second:>14}",
                    format!("{kernel:?}").to_lowercase(),
                    measured.launches,
                    measured.median.as_secs_f64() * 1e3,
                    macs / measured.median.as_secs_f64() / 1e9
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

struct Measured {
    launches: usize,
    /// Median wall time of one launch (record, submit, fence wait).
    median: Duration,
    /// CPU time of this process (all threads, so a CPU driver's workers too) over the launches;
    /// unlike wall time it does not grow when other processes compete for the cores.
    cpu_seconds: Option<f64>,
}

/// Times launches after one warm-up launch.
fn measure(
    executor: &VulkanExecutor,
    kernel: GemmKernel,
    size: u32,
) -> Result<Measured, sibyl_infer::EngineError> {
    let gemm = GemmBenchmark::new(executor, kernel, size, 7)?;
    gemm.run()?;
    let mut times = Vec::new();
    let cpu_before = process_cpu_seconds();
    let started = Instant::now();
    while times.len() < 3 || started.elapsed() < MIN_TIME {
        let launch = Instant::now();
        gemm.run()?;
        times.push(launch.elapsed());
    }
    let cpu_seconds = cpu_before
        .zip(process_cpu_seconds())
        .map(|(before, after)| after - before)
        .filter(|&cpu| cpu > 0.0);
    times.sort();
    Ok(Measured {
        launches: times.len(),
        median: times[times.len() / 2],
        cpu_seconds,
    })
}

/// User + system CPU time of this process from /proc/self/stat (Linux; `None` elsewhere), in
/// seconds, assuming the usual 100 clock ticks per second.
fn process_cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which ends with ')'): utime and stime are the 12th and 13th.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(ticks as f64 / 100.0)
}
