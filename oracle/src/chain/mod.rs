//! The boundary between the oracle and a chain.
//!
//! Everything the node needs from a chain is the [`ChainClient`] trait: the latest block height,
//! events of finished blocks, contract queries and transactions executed as the operator's account.
//! The demo and the tests run the pipeline on `sibyl-devnet`'s in-process chain; a client for a
//! real Cosmos chain (RPC/gRPC) implements the same trait.

pub mod client;
pub mod event;

pub use client::{execute, query, ChainClient, ChainError, TxOutcome};
pub use event::ChainEvent;
