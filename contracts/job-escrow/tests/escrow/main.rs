//! Multi-test suites: the escrow with the real staking contract and the example consumer.

mod audit;
mod errors;
mod invariants;
mod lifecycle;
mod models_and_config;
mod suite;
mod sybil_split;
