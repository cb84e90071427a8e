//! Sibyl on one machine, for the demo and the tests: an in-process chain ([`chain`]) that runs the
//! real staking, escrow and consumer contracts on cw-multi-test, the real local wasmd chain and
//! `sibyl-oracle` processes on it ([`localnet`]), the `demo` ([`demo`]) that deploys the contracts
//! on either, starts one node per operator and submits jobs, and the command line that runs it
//! ([`cli`]).
//!
//! Kept out of `sibyl-oracle` so that the operator's binary links neither the contracts nor
//! cw-multi-test; `sibyl-oracle demo` runs this crate's `sibyl-devnet` binary.

pub mod chain;
pub mod cli;
pub mod demo;
pub mod localnet;
mod memory;
