//! Checks and gas benchmarks of Sibyl's release wasm on the CosmWasm 3.0 VM.
//!
//! - `artifacts`: where `scripts/build-wasm.sh` puts the lowered wasm, and the size budget.
//! - `capabilities`: what a chain is assumed to offer the contracts.
//! - `chain`: an in-process chain that runs the real wasm with `cosmwasm-vm` and meters storage
//!   with the Cosmos SDK's prices (`metered_storage`, `pricing`).
//! - `scenarios`: every message of every contract, run in a realistic state.
//! - `report`: the markdown tables of `cargo run -p sibyl-wasm-tests --bin gas-report --release`.

pub mod artifacts;
pub mod capabilities;
pub mod chain;
pub mod metered_storage;
pub mod pricing;
pub mod report;
pub mod scenarios;
pub mod targets;
