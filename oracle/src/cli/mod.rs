//! The command line: `keys`, `exec` and `demo`.
//!
//! There is deliberately no `run` daemon yet: it needs a client for a real chain, and a command
//! that cannot connect to anything would only mislead operators.

mod demo;
mod exec;
mod keys;
pub mod logging;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub use demo::DemoArgs;
pub use exec::ExecArgs;
pub use keys::KeysCommand;
use logging::LogFormat;

/// Sibyl oracle node: bit-exact AI inference for CosmWasm contracts.
#[derive(Debug, Parser)]
#[command(name = "sibyl-oracle", version, about, long_about = None)]
pub struct Cli {
    /// Log format on stderr.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Human)]
    pub log_format: LogFormat,
    /// Log filter (tracing env-filter syntax, e.g. `info,sibyl_oracle=debug`); overrides RUST_LOG.
    #[arg(long, global = true)]
    pub log_filter: Option<String>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create, import or show the operator's keys (account key and attestation key).
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Run one inference locally and print the output, its hash, the time and the device.
    Exec(ExecArgs),
    /// Start an in-process chain with the staking and escrow contracts and several operators,
    /// submit digit-recognition jobs and show how they are committed, revealed and settled
    /// (runs `sibyl-devnet demo`; `sibyl-oracle demo --help` lists its options).
    Demo(DemoArgs),
}

impl Cli {
    /// Runs the chosen command. Errors carry context for the user.
    pub fn run(self) -> anyhow::Result<ExitCode> {
        logging::init(self.log_format, self.log_filter.as_deref(), "warn");
        match self.command {
            Command::Keys(command) => command.run(),
            Command::Exec(args) => args.run(),
            Command::Demo(args) => args.run(),
        }
    }
}
