//! `sibyl-oracle`: the operator's binary.

use std::process::ExitCode;

use clap::Parser;
use sibyl_oracle::cli::Cli;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.run() {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
