//! `sibyl-devnet`: Sibyl on one machine. `sibyl-devnet demo` (also reached as `sibyl-oracle demo`)
//! runs the whole protocol on an in-process chain.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use sibyl_devnet::cli::DemoArgs;

/// Sibyl on one machine: an in-process chain with the real contracts and several oracle nodes.
#[derive(Debug, Parser)]
#[command(name = "sibyl-devnet", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Start an in-process chain with the staking and escrow contracts and several operators,
    /// submit digit-recognition jobs and show how they are committed, revealed and settled.
    Demo(DemoArgs),
}

fn main() -> ExitCode {
    let Command::Demo(args) = Cli::parse().command;
    match args.run() {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
