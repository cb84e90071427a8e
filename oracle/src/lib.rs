//! The Sibyl oracle node: follows the job escrow on a chain, fetches models and inputs by content
//! hash, runs bit-exact integer inference, and commits and reveals signed results.
//!
//! Where a job enters: [`node::discovery`] (events and the escrow's `PendingWork` query);
//! where it is executed: [`node::job`]; where its result leaves: [`node::submitter`].
//! [`chain`] is the boundary to a chain ([`chain::cosmos`] a real one), [`cli`] the command line,
//! [`config_file`] the file `run` reads. The in-process chain, the demo
//! and the end-to-end tests live in the `sibyl-devnet` crate.

pub mod chain;
pub mod cli;
pub mod config;
pub mod config_file;
pub mod deploy;
pub mod fetch;
pub mod keyed_slots;
pub mod keys;
pub mod metrics;
pub mod node;
pub mod signer;
pub mod store;
