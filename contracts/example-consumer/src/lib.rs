//! sibyl-example-consumer: the smallest useful dApp on Sibyl, written to be copied.
//! See docs/dapp-guide.md.

pub mod contract;
pub mod error;
pub mod msg;
pub mod state;

pub use crate::error::ContractError;
