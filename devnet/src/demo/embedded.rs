//! The demo on the in-process chain: the nodes, the chain and one inference engine share this
//! process.

use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use sibyl_infer::Engine;
use sibyl_model::{Limits, Model};
use tokio_util::sync::CancellationToken;

use super::deploy::{self, coin};
use super::report::{self, ChainReport, Contracts};
use super::workload::{self, Workload};
use super::{operators, DemoOptions, DemoSummary, Digits};
use crate::chain::{EmbeddedChain, EmbeddedChainConfig};
use sibyl_oracle::node::executor::{EngineExecutor, Executor};
use sibyl_oracle::node::tasks::cancel_on_shutdown_signal;

pub async fn run(options: DemoOptions) -> anyhow::Result<DemoSummary> {
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

    let (data_dir, _temporary) = super::data_dir(&options)?;
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
    data_dir: &Path,
    executor: Arc<dyn Executor>,
    device: &str,
) -> anyhow::Result<DemoSummary> {
    let accounts = deploy::Accounts::new();
    let window = super::window_blocks(options, options.block_time);
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

    let consumer = chain.client(&accounts.consumer);
    let price = workload::job_price(
        &consumer,
        &deployment.escrow,
        model.hash(),
        options.redundancy,
    )
    .await?;
    chain
        .mint(
            &accounts.consumer,
            coin(workload::budget(&price, options.jobs)),
        )
        .await?;
    let outcome = workload::run(
        &consumer,
        Workload {
            escrow: &deployment.escrow,
            consumer_contract: &consumer_contract,
            price,
            window_blocks: deployment.window_blocks,
            samples: digits.samples(),
            operators: &operators,
        },
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
    let report = ChainReport::Embedded {
        memory_kib: crate::memory::process_memory_kib("/proc/self/status"),
        stats: chain.stats().await?,
        executions: node_metrics.iter().map(|m| m.execution_totals().0).sum(),
        engine_busy: node_metrics.iter().map(|m| m.execution_totals().1).sum(),
    };
    let summary = report::summarize(
        &chain.client(&accounts.admin),
        Contracts {
            staking: &deployment.staking,
            escrow: &deployment.escrow,
            denom: deploy::DENOM,
        },
        &operators,
        outcome,
        device,
        options.block_time,
        report,
    )
    .await?;
    println!("{summary}");
    Ok(summary)
}
