//! Message types and helpers shared by the contracts and the oracle.
pub mod attestation;
pub mod consumer;
pub mod escrow;
pub mod events;
pub mod example_consumer;
pub mod staking;
