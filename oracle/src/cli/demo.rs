//! `sibyl-oracle demo`: the whole protocol on an in-process chain.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::Args;

use crate::config::BackendChoice;
use crate::demo::{self, DemoOptions};

/// Options of the demo (defaults: 5 operators, 1 faulty, 50 jobs, k=3, m=2, 200 ms blocks).
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Operators to register and run (each with its own worker, keys and database).
    #[arg(long, default_value_t = 5)]
    pub operators: u32,
    /// How many of the operators return wrong answers (they get slashed and jailed).
    #[arg(long, default_value_t = 1)]
    pub faulty: u32,
    /// Digit images from the held-out set to submit as jobs.
    #[arg(long, default_value_t = 50)]
    pub jobs: u32,
    /// Operators asked per job (k).
    #[arg(long, default_value_t = 3)]
    pub redundancy: u32,
    /// Matching answers needed (m).
    #[arg(long, default_value_t = 2)]
    pub quorum: u32,
    /// Time between blocks, in milliseconds.
    #[arg(long, default_value_t = 200)]
    pub block_time_ms: u64,
    /// Most jobs the consumer keeps open at once (new ones are submitted as others settle).
    #[arg(long, default_value_t = 256)]
    pub max_open_jobs: u32,
    /// Executor backend shared by every operator.
    #[arg(long, value_enum, default_value_t = BackendChoice::Auto)]
    pub backend: BackendChoice,
    /// Directory for the operators' databases and the content store (default: a temporary one,
    /// removed at the end).
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// Serve each operator's /metrics and /healthz on 127.0.0.1, operator N on this port + N - 1.
    #[arg(long)]
    pub metrics_port: Option<u16>,
    /// Print one line per settled job (turn off for benchmarks with many jobs).
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set)]
    pub table: bool,
}

impl DemoArgs {
    pub fn run(self) -> anyhow::Result<ExitCode> {
        let options = DemoOptions {
            operators: self.operators,
            faulty: self.faulty,
            jobs: self.jobs,
            redundancy: self.redundancy,
            quorum: self.quorum,
            block_time: Duration::from_millis(self.block_time_ms),
            max_open_jobs: self.max_open_jobs,
            backend: self.backend,
            data_dir: self.data_dir,
            print_table: self.table,
            metrics_port: self.metrics_port,
        };
        options.validate()?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .context("cannot start the async runtime")?;
        let summary = runtime.block_on(demo::run(options))?;
        if summary.reconciled() {
            Ok(ExitCode::SUCCESS)
        } else {
            eprintln!("error: the contracts' balances do not reconcile (see the summary above)");
            Ok(ExitCode::FAILURE)
        }
    }
}
