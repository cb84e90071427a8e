//! Message types and helpers shared by the contracts and the oracle.
pub mod attestation;
pub mod escrow;
pub mod staking;
