//! `sibyl-oracle demo`: the whole protocol on one machine.
//!
//! The staking and escrow contracts run on a chain: by default an embedded one in this process
//! ([`embedded`]), or the real local wasmd chain ([`localnet`]). Several operators register and get
//! delegations; each runs a node (some optionally faulty, some silent: those run no node); a
//! consumer submits digit images from the held-out set; a live table shows each job settle, and a
//! summary reports accuracy, throughput, latency, payouts, slashing and whether the contracts'
//! balances reconcile.

pub mod dataset;
pub mod deploy;
mod embedded;
mod localnet;
pub mod observer;
pub mod operators;
mod report;
mod workload;

use std::path::PathBuf;
use std::time::Duration;

use anyhow::bail;

pub use dataset::{models_dir, Digits, KnownAnswer, Sample, DIGITS_MODEL_PATH};
pub use report::{ChainReport, DemoSummary, NodeReport, OperatorReport, Reconciliation};
use sibyl_oracle::config::BackendChoice;

/// Where the demo's contracts run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum DemoChain {
    /// An in-process chain (cw-multi-test) running the contracts natively, nodes in this process.
    #[default]
    Embedded,
    /// The local wasmd chain of `scripts/localnet.sh` running the release wasm, one
    /// `sibyl-oracle run` process per operator.
    Localnet,
}

/// What the demo runs.
#[derive(Clone, Debug)]
pub struct DemoOptions {
    pub chain: DemoChain,
    pub operators: u32,
    pub faulty: u32,
    pub silent: u32,
    pub jobs: u32,
    pub redundancy: u32,
    pub quorum: u32,
    /// Time between blocks of the embedded chain (the localnet keeps its own).
    pub block_time: Duration,
    /// Commit and reveal windows in blocks; `None`: 30 s of blocks each.
    pub window_blocks: Option<u64>,
    pub max_open_jobs: u32,
    pub backend: BackendChoice,
    /// `None`: a temporary directory, removed at the end.
    pub data_dir: Option<PathBuf>,
    /// The repository (its scripts and release wasm), for the localnet.
    pub repo_root: PathBuf,
    /// `SIBYL_LOCALNET_HOME` of the localnet; `None`: the caller's environment or the script's
    /// default.
    pub localnet_home: Option<PathBuf>,
    /// The `sibyl-oracle` binary the localnet's operators run; `None`: `$SIBYL_ORACLE`, else the
    /// one beside this executable.
    pub oracle_binary: Option<PathBuf>,
    pub print_table: bool,
    /// First port of the operators' metrics servers; `None`: no servers.
    pub metrics_port: Option<u16>,
}

impl Default for DemoOptions {
    fn default() -> Self {
        DemoOptions {
            chain: DemoChain::Embedded,
            operators: 5,
            faulty: 1,
            silent: 0,
            jobs: 50,
            redundancy: 3,
            quorum: 2,
            block_time: Duration::from_millis(200),
            window_blocks: None,
            max_open_jobs: 256,
            backend: BackendChoice::Auto,
            data_dir: None,
            repo_root: PathBuf::from("."),
            localnet_home: None,
            oracle_binary: None,
            print_table: true,
            metrics_port: None,
        }
    }
}

impl DemoOptions {
    /// Rejects combinations the protocol cannot run.
    pub fn validate(&self) -> anyhow::Result<()> {
        if self.redundancy == 0 || self.quorum == 0 || self.quorum > self.redundancy {
            bail!(
                "need 1 <= quorum ({}) <= redundancy ({})",
                self.quorum,
                self.redundancy
            );
        }
        if self.operators < self.redundancy {
            bail!(
                "need at least as many operators ({}) as operators per job ({})",
                self.operators,
                self.redundancy
            );
        }
        if self.faulty.saturating_add(self.silent) >= self.operators {
            bail!(
                "at least one operator must be honest (faulty {} and silent {} of {})",
                self.faulty,
                self.silent,
                self.operators
            );
        }
        if self.jobs == 0 || self.max_open_jobs == 0 {
            bail!("--jobs and --max-open-jobs must be at least 1");
        }
        if self.window_blocks == Some(0) {
            bail!("--window-blocks must be at least 1");
        }
        if self.block_time.is_zero() {
            bail!("--block-time-ms must be at least 1");
        }
        Ok(())
    }
}

/// Runs the demo and prints its table and summary. Stops early (and still reports) on Ctrl-C.
pub async fn run(options: DemoOptions) -> anyhow::Result<DemoSummary> {
    options.validate()?;
    match options.chain {
        DemoChain::Embedded => embedded::run(options).await,
        DemoChain::Localnet => localnet::run(options).await,
    }
}

/// The commit and reveal window the demo deploys with.
fn window_blocks(options: &DemoOptions, block_time: Duration) -> u64 {
    options
        .window_blocks
        .unwrap_or_else(|| deploy::window_blocks(block_time))
}

/// A directory for the demo's files: `options.data_dir`, or a temporary one (removed when the
/// returned guard drops).
fn data_dir(options: &DemoOptions) -> anyhow::Result<(PathBuf, Option<tempfile::TempDir>)> {
    use anyhow::Context;
    match &options.data_dir {
        Some(dir) => Ok((dir.clone(), None)),
        None => {
            let temporary = tempfile::tempdir().context("cannot create a temporary directory")?;
            Ok((temporary.path().to_path_buf(), Some(temporary)))
        }
    }
}
