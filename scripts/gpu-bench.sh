#!/usr/bin/env bash
# Int8 GEMM throughput of sibyl-infer's Vulkan kernels on the best Vulkan device of this machine
# (a discrete GPU if there is one, else integrated, else lavapipe on the CPU), as a table:
# device, kernel, size, median launch time, G multiply-accumulates per second.
#
#   scripts/gpu-bench.sh [sizes] [naive sizes]      e.g. scripts/gpu-bench.sh 256,512,1024,2048 256
#
# Needs a Vulkan loader and driver, and glslc to build the shaders. On lavapipe, LP_NUM_THREADS
# sets the driver's thread count (the default is the number of CPU cores).
set -euo pipefail
cd "$(dirname "$0")/.."

if command -v vulkaninfo >/dev/null 2>&1; then
    if vulkaninfo --summary 2>/dev/null | grep -Eq 'deviceType += PHYSICAL_DEVICE_TYPE_(DISCRETE|INTEGRATED)_GPU'; then
        echo "a GPU is present: the benchmark runs on it"
    else
        echo "no GPU found by vulkaninfo: the benchmark runs on the CPU driver (lavapipe)," \
             "LP_NUM_THREADS=${LP_NUM_THREADS:-unset}"
    fi
fi

cargo run --quiet ${SIBYL_BENCH_PROFILE:+--profile "$SIBYL_BENCH_PROFILE"} -p sibyl-infer --example gpu_bench -- "${1:-256,512,1024}" "${2:-256}"
