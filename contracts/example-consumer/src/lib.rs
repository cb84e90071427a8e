//! sibyl-example-consumer: the smallest useful dApp on Sibyl, written to be copied.
//! See docs/dapp-guide.md.

pub mod contract;
pub mod error;

pub mod state;

pub use sibyl_api::example_consumer as msg;

pub use crate::error::ContractError;
