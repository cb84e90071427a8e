//! Checks and gas benchmarks of the release wasm (work in progress).
