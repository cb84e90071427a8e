//! The boundary between the oracle and a chain.
//!
//! Everything the node needs from a chain is the [`ChainClient`] trait: the latest block height,
//! events of finished blocks, contract queries and transactions executed as the operator's account.
//! [`cosmos::CosmosClient`] implements it for wasmd-based chains; the demo and the fast tests run
//! the pipeline on `sibyl-devnet`'s in-process chain.

pub mod client;
pub mod cosmos;
pub mod event;

pub use client::{execute, query, ChainClient, ChainError, TxOutcome};
pub use event::ChainEvent;
