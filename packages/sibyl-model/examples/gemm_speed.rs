//! Quick GEMM throughput check without criterion: `cargo run --release --example gemm_speed -- 1024`.

use sibyl_model::gemm::{gemm_i32, PackedB};
use sibyl_model::synthetic::Rng;
use std::time::Instant;

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|v| v.parse().ok())
        .unwrap_or(512);
    let mut rng = Rng::new(1);
    let a: Vec<i8> = (0..n * n).map(|_| rng.range_i32(-127, 127) as i8).collect();
    let b: Vec<i8> = (0..n * n).map(|_| rng.range_i32(-127, 127) as i8).collect();
    let packed = PackedB::from_k_by_n(&b, n, n);
    let bias = vec![0; n];
    let mut out = vec![0; n * n];
    gemm_i32(&a, n, -3, &packed, &bias, &mut out);
    let runs = (2_000_000_000 / (n * n * n)).max(3);
    let start = Instant::now();
    for _ in 0..runs {
        gemm_i32(&a, n, -3, &packed, &bias, &mut out);
    }
    let seconds = start.elapsed().as_secs_f64();
    println!(
        "n = {n}: {:.2} G MAC/s over {runs} runs",
        (n * n * n * runs) as f64 / seconds / 1e9
    );
}
