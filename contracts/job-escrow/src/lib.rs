//! sibyl-job-escrow: pays operators for verified AI inference.
//!
//! A consumer escrows the price of a job; in a later block, stake-weighted operators drawn from
//! the staking contract commit to and then reveal a signed output; a quorum of identical outputs completes
//! the job, pays the agreeing operators through the staking contract and slashes the others.
//! Messages live in `sibyl_api::escrow`; the design is in docs/escrow.md.

pub mod assign;
pub mod commit_reveal;
pub mod config;
pub mod contract;
pub mod error;
pub mod lifecycle;
pub mod models;
pub mod pricing;
pub mod query;
pub mod reply;
pub mod sampling;
pub mod settlement;
pub mod staking;
pub mod state;
pub mod submit;
pub mod wire;

pub use crate::error::ContractError;
