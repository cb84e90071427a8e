//! The Sibyl oracle node: follows the job escrow on a chain, fetches models and inputs by content
//! hash, runs bit-exact integer inference, and commits and reveals signed results.
//!
//! Where a job enters: [`node::discovery`] (events and the escrow's `PendingWork` query);
//! where it is executed: [`node::pipeline`]; where its result leaves: [`node::submitter`].
//! [`chain`] is the boundary to a chain (the in-process [`chain::embedded`] chain for the demo
//! and tests), [`demo`] is `sibyl-oracle demo`, [`cli`] the command line.

pub mod chain;
pub mod cli;
pub mod config;
pub mod demo;
pub mod fetch;
pub mod keys;
pub mod metrics;
pub mod node;
pub mod store;
