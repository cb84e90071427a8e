//! `sibyl-oracle demo`: the whole protocol in one process.
//!
//! An embedded chain runs the real staking and escrow contracts; several operators register and
//! get delegations; one node per operator (some optionally faulty, some silent: those run no node)
//! shares one inference engine; a
//! consumer submits digit images from the held-out set; a live table shows each job settle, and a
//! summary reports accuracy, throughput, latency, payouts, slashing and whether the contracts'
//! balances reconcile.

pub mod dataset;
pub mod deploy;
pub mod observer;
pub mod operators;
mod report;
mod workload;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context};
use sibyl_infer::Engine;
use sibyl_model::{Limits, Model};
use tokio_util::sync::CancellationToken;

use crate::chain::{EmbeddedChain, EmbeddedChainConfig};
pub use dataset::{models_dir, Digits, KnownAnswer, Sample, DIGITS_MODEL_PATH};
pub use report::{DemoSummary, OperatorReport, Reconciliation};
use sibyl_oracle::config::BackendChoice;
use sibyl_oracle::node::executor::{EngineExecutor, Executor};
use sibyl_oracle::node::tasks::cancel_on_shutdown_signal;

/// What the demo runs.
#[derive(Clone, Debug)]
pub struct DemoOptions {
    pub operators: u32,
    pub faulty: u32,
    pub silent: u32,
    pub jobs: u32,
    pub redundancy: u32,
    pub quorum: u32,
    pub block_time: Duration,
    /// Commit and reveal windows in blocks; `None`: 30 s of blocks each.
    pub window_blocks: Option<u64>,
    pub max_open_jobs: u32,
    pub backend: BackendChoice,
    /// `None`: a temporary directory, removed at the end.
    pub data_dir: Option<PathBuf>,
    pub print_table: bool,
    /// First port of the operators' metrics servers; `None`: no servers.
    pub metrics_port: Option<u16>,
}

impl Default for DemoOptions {
    fn default() -> Self {
        DemoOptions {
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
    let digits = Digits::load().context("cannot load the digits model and samples")?;
    let model = Model::parse(digits.model_bytes(), &Limits::default())
        .context("the bundled digits model is invalid")?;

    let engine = Engine::new(options.backend.into())
        .context("cannot start the inference engine (try --backend cpu)")?;
    if let Some(notice) = engine.fallback_notice() {
        println!("notice: {notice}");
    }
    let device = format!(
        "{} [{}]",
        engine.device_description(),
        engine.backend_kind()
    );
    println!("inference device: {device} (one engine shared by every operator)");
    let executor: Arc<dyn Executor> = Arc::new(EngineExecutor::new(engine, Limits::default()));

    let temporary;
    let data_dir = match &options.data_dir {
        Some(dir) => dir.clone(),
        None => {
            temporary = tempfile::tempdir().context("cannot create a temporary directory")?;
            temporary.path().to_path_buf()
        }
    };
    let model_uri = digits
        .publish_model(&data_dir)
        .context("cannot write the model file")?;

    let chain = EmbeddedChain::start(EmbeddedChainConfig {
        block_time: options.block_time,
        ..EmbeddedChainConfig::default()
    })?;
    let result = run_on_chain(
        &options, &chain, &digits, &model, model_uri, &data_dir, executor, &device,
    )
    .await;
    chain.shutdown();
    result
}

#[allow(clippy::too_many_arguments)]
async fn run_on_chain(
    options: &DemoOptions,
    chain: &EmbeddedChain,
    digits: &Digits,
    model: &Model,
    model_uri: String,
    data_dir: &std::path::Path,
    executor: Arc<dyn Executor>,
    device: &str,
) -> anyhow::Result<DemoSummary> {
    let accounts = deploy::Accounts::new();
    let window = options
        .window_blocks
        .unwrap_or_else(|| deploy::window_blocks(options.block_time));
    let deployment = deploy::deploy(chain, &accounts, options.redundancy.max(3), window)
        .await
        .context("cannot deploy the contracts")?;
    deploy::register_model(chain, &accounts, &deployment, model, model_uri)
        .await
        .context("cannot register the digits model")?;
    let consumer_contract = deploy::deploy_consumer(
        chain,
        &accounts,
        &deployment,
        model.hash(),
        options.redundancy,
        options.quorum,
    )
    .await
    .context("cannot deploy the example consumer")?;
    let faults = operators::Faults {
        faulty: options.faulty,
        silent: options.silent,
    };
    let operators = operators::register(chain, &deployment, options.operators, faults).await?;
    println!(
        "chain {} at height {}: staking {}, escrow {}; {} operators ({} faulty, {} silent), {} delegators",
        chain.chain_id(),
        chain.latest_height(),
        deployment.staking,
        deployment.escrow,
        operators.len(),
        options.faulty,
        options.silent,
        operators.len()
    );

    let shutdown = CancellationToken::new();
    let signals = tokio::spawn(cancel_on_shutdown_signal(shutdown.clone()));
    let mut nodes = Vec::new();
    for operator in operators
        .iter()
        .filter(|op| op.role != operators::Role::Silent)
    {
        let mut config = operators::node_config(data_dir, operator, &deployment);
        if let Some(first) = options.metrics_port {
            let port = u16::try_from(operator.index)
                .ok()
                .and_then(|index| first.checked_add(index))
                .context("--metrics-port is too high for this many operators")?;
            config.metrics_listen = Some(std::net::SocketAddr::from(([127, 0, 0, 1], port)));
            println!(
                "{}: metrics on http://127.0.0.1:{port}/metrics and /healthz",
                operator.moniker
            );
        }
        nodes.push(
            operators::start_node(
                chain,
                config,
                operator,
                executor.clone(),
                shutdown.child_token(),
            )
            .await?,
        );
    }

    let outcome = workload::run(
        chain,
        &accounts,
        &deployment,
        &consumer_contract,
        model,
        digits,
        &operators,
        options,
        shutdown.clone(),
    )
    .await;

    shutdown.cancel();
    let node_metrics: Vec<_> = nodes.iter().map(|node| node.metrics().clone()).collect();
    for node in nodes {
        if let Err(e) = node.wait().await {
            tracing::error!(error = %e, "a node stopped with an error");
        }
    }
    signals.abort();
    let outcome = outcome?;
    let summary = report::summarize(
        chain,
        &accounts,
        &deployment,
        &operators,
        outcome,
        device,
        &node_metrics,
    )
    .await?;
    println!("{summary}");
    Ok(summary)
}
