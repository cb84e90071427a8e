//! The command line: `init`, `run`, `operator`, `deploy`, `keys`, `signer`, `exec` and `demo`.

mod chain_args;
mod demo;
mod deploy;
mod exec;
mod init;
mod keys;
pub mod logging;
mod operator;
pub mod run;
mod signer;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub use demo::DemoArgs;
pub use deploy::DeployArgs;
pub use exec::ExecArgs;
pub use init::InitArgs;
pub use keys::KeysCommand;
use logging::LogFormat;
pub use operator::OperatorCommand;
pub use run::RunArgs;
pub use signer::SignerCommand;

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
    /// Write a commented config file, create the data directory and the node database (and a
    /// key file with --new-key); keeps whatever exists.
    Init(InitArgs),
    /// Run the node on a chain until SIGINT or SIGTERM.
    Run(RunArgs),
    /// The operator's transactions: register, status, unjail, withdraw-rewards,
    /// rotate-attestation-key.
    #[command(subcommand)]
    Operator(OperatorCommand),
    /// Store the contracts on a chain, instantiate and wire them, register the digits model and
    /// write the addresses to a JSON file.
    Deploy(DeployArgs),
    /// Create, import or show the operator's keys (account key and attestation key).
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Hold the attestation key apart from the node and sign its results, never two different
    /// results for one job (init, run).
    #[command(subcommand)]
    Signer(SignerCommand),
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
        // The daemon and the chain commands report progress; the local tools only problems.
        let default_filter = match self.command {
            Command::Run(_) | Command::Deploy(_) | Command::Signer(SignerCommand::Run(_)) => "info",
            _ => "warn",
        };
        logging::init(self.log_format, self.log_filter.as_deref(), default_filter);
        match self.command {
            Command::Init(args) => args.run(),
            Command::Run(args) => args.run(),
            Command::Operator(command) => command.run(),
            Command::Deploy(args) => args.run(),
            Command::Keys(command) => command.run(),
            Command::Signer(command) => command.run(),
            Command::Exec(args) => args.run(),
            Command::Demo(args) => args.run(),
        }
    }
}
