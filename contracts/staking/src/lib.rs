//! sibyl-staking: operators bond stake, delegators share their fee income and slashing risk.
//!
//! Accounting is share-based per operator pool, so that rewards and slashes touch a constant
//! number of records; see docs/staking.md for the rules, rounding and bounds.

pub mod active_set;
pub mod contract;
pub mod error;
pub mod execute;
pub mod funds;
pub mod query;
pub mod shares;
pub mod state;
pub mod unbonding;
pub mod validation;
pub mod warmup;

/// The storage-record layer the state is kept in, for tests and tools that read stored records.
pub use sibyl_codec::record;

pub use crate::error::ContractError;
