//! `sibyl-devnet demo` (and `sibyl-oracle demo`): the whole protocol on an in-process chain.

use std::fs::File;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Mutex;
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use tracing_subscriber::EnvFilter;

use crate::demo::{self, DemoChain, DemoOptions};
use sibyl_oracle::config::BackendChoice;

/// The nodes' logs when neither `--verbose` nor `--log-file` says otherwise.
const DEFAULT_LOG_FILE: &str = "sibyl-demo.log";
const DEFAULT_LOG_FILTER: &str = "warn,sibyl_oracle=info,sibyl_devnet=info";

/// Options of the demo (defaults: the embedded chain, 5 operators, 1 faulty, 0 silent, 50 jobs,
/// k=3, m=2, 200 ms blocks).
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Where the contracts run: `embedded` (in this process) or `localnet` (the real wasmd chain
    /// of scripts/localnet.sh, started if needed and stopped after if the demo started it; one
    /// `sibyl-oracle run` process per operator; needs the release wasm of scripts/build-wasm.sh).
    #[arg(long, value_enum, default_value_t = DemoChain::Embedded)]
    pub chain: DemoChain,
    /// Operators to register and run (each with its own worker, keys and database).
    #[arg(long, default_value_t = 5)]
    pub operators: u32,
    /// How many of the operators return wrong answers (they get slashed and jailed).
    #[arg(long, default_value_t = 1)]
    pub faulty: u32,
    /// How many of the operators are bonded but run no node (they get slashed for missed jobs).
    #[arg(long, default_value_t = 0)]
    pub silent: u32,
    /// Digit images from the held-out set to submit as jobs.
    #[arg(long, default_value_t = 50)]
    pub jobs: u32,
    /// Operators asked per job (k).
    #[arg(long, default_value_t = 3)]
    pub redundancy: u32,
    /// Matching answers needed (m).
    #[arg(long, default_value_t = 2)]
    pub quorum: u32,
    /// Time between blocks of the embedded chain, in milliseconds (the localnet's are ~300 ms).
    #[arg(long, default_value_t = 200)]
    pub block_time_ms: u64,
    /// Commit and reveal windows, in blocks (default: 30 s of blocks each). A silent operator's
    /// jobs settle only after both windows pass.
    #[arg(long)]
    pub window_blocks: Option<u64>,
    /// Most jobs the consumer keeps open at once (new ones are submitted as others settle).
    #[arg(long, default_value_t = 256)]
    pub max_open_jobs: u32,
    /// Executor backend shared by every operator: `auto` is a Vulkan GPU when there is one and
    /// the CPU executor otherwise; `vulkan` also accepts a CPU implementation (lavapipe).
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
    /// Show the nodes' logs on stderr instead of writing them to the log file.
    #[arg(short, long)]
    pub verbose: bool,
    /// Where the nodes' logs go (default: sibyl-demo.log in the system's temporary directory).
    #[arg(long)]
    pub log_file: Option<PathBuf>,
    /// Log filter (tracing env-filter syntax); overrides RUST_LOG (default: the nodes' info logs).
    #[arg(long)]
    pub log_filter: Option<String>,
}

impl DemoArgs {
    pub fn run(self) -> anyhow::Result<ExitCode> {
        self.init_logging()?;
        let options = DemoOptions {
            chain: self.chain,
            operators: self.operators,
            faulty: self.faulty,
            silent: self.silent,
            jobs: self.jobs,
            redundancy: self.redundancy,
            quorum: self.quorum,
            block_time: Duration::from_millis(self.block_time_ms),
            window_blocks: self.window_blocks,
            max_open_jobs: self.max_open_jobs,
            backend: self.backend,
            data_dir: self.data_dir,
            repo_root: repo_root(),
            localnet_home: None,
            oracle_binary: None,
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

    /// Logs on stderr with `--verbose`, otherwise into the log file (its path is printed), so
    /// that the terminal shows the live table and the summary.
    fn init_logging(&self) -> anyhow::Result<()> {
        let filter = match &self.log_filter {
            Some(directives) => EnvFilter::new(directives),
            None => EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| EnvFilter::new(DEFAULT_LOG_FILTER)),
        };
        let builder = tracing_subscriber::fmt().with_env_filter(filter);
        if self.verbose {
            // A second init (tests running several demos in one process) keeps the first one.
            let _ = builder.with_writer(std::io::stderr).try_init();
            return Ok(());
        }
        let path = self
            .log_file
            .clone()
            .unwrap_or_else(|| std::env::temp_dir().join(DEFAULT_LOG_FILE));
        let file = File::create(&path)
            .with_context(|| format!("cannot create the log file {}", path.display()))?;
        println!("node logs: {} (-v shows them here)", path.display());
        let _ = builder
            .with_ansi(false)
            .with_writer(Mutex::new(file))
            .try_init();
        Ok(())
    }
}

/// The repository the localnet demo takes its scripts and wasm from: `$SIBYL_ROOT` (set by the
/// scripts), else the current directory.
fn repo_root() -> PathBuf {
    std::env::var_os("SIBYL_ROOT").map_or_else(|| PathBuf::from("."), PathBuf::from)
}
