//! The demo on the real local wasmd chain: the release wasm deployed by `sibyl_oracle::deploy`,
//! each operator a `sibyl-oracle run` process set up with the binary's own `init` and
//! `operator register`, jobs from a consumer account, balances read from the chain's bank module.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context};
use sibyl_api::staking;
use sibyl_model::{Limits, Model};
use sibyl_oracle::chain::cosmos::CosmosClient;
use sibyl_oracle::chain::{execute, ChainClient};
use sibyl_oracle::deploy::{self as chain_deploy, DeployPlan, Deployment, Roles};
use sibyl_oracle::keys::OperatorKeys;
use sibyl_oracle::node::tasks::cancel_on_shutdown_signal;
use tokio_util::sync::CancellationToken;

use super::deploy::{coin, DENOM};
use super::operators::{Faults, Operator, Role, DELEGATION, SELF_BOND};
use super::report::{self, ChainReport, Contracts, NodeReport};
use super::workload::{self, Workload};
use super::{models_dir, DemoOptions, DemoSummary, Digits};
use crate::localnet::{counter_total, Localnet, NodeSettings, OperatorNode, OracleBinary, PREFIX};

/// Environment variable naming the `sibyl-oracle` binary the operators run.
pub const ORACLE_BINARY_ENV: &str = "SIBYL_ORACLE";
/// What every account the demo creates gets for its transactions' fees, on top of its stake.
const GAS_MONEY: u128 = 100_000_000;
/// How long a node may take from `run` to a healthy `/healthz`.
const NODE_START_LIMIT: Duration = Duration::from_secs(60);
/// The block time `scripts/localnet.sh` configures; only sizes the default windows.
const LOCALNET_BLOCK_TIME: Duration = Duration::from_millis(300);

pub async fn run(options: DemoOptions) -> anyhow::Result<DemoSummary> {
    let digits = Digits::load().context("cannot load the digits model and samples")?;
    let model = Model::parse(digits.model_bytes(), &Limits::default())
        .context("the bundled digits model is invalid")?;
    let binary = match &options.oracle_binary {
        Some(path) => OracleBinary(path.clone()),
        None => oracle_binary()?,
    };
    let wasm_dir = options.repo_root.join("artifacts");
    if !wasm_dir.join(chain_deploy::ESCROW_WASM).is_file() {
        bail!(
            "no release wasm in {}: build it with `bash scripts/build-wasm.sh` (scripts/demo.sh \
             does for --chain localnet)",
            wasm_dir.display()
        );
    }
    let (data_dir, _temporary) = super::data_dir(&options)?;
    let model_uri = digits
        .publish_model(&data_dir)
        .context("cannot write the model file")?;

    let localnet = Localnet::start(&options.repo_root, options.localnet_home.clone())?;
    println!(
        "localnet {}: RPC {}, gRPC {}{}",
        localnet.chain_id,
        localnet.rpc,
        localnet.grpc,
        if localnet.was_running {
            " (already running)"
        } else {
            ""
        }
    );
    let result = run_on_localnet(
        &options, &localnet, &binary, &digits, &model, model_uri, &wasm_dir, &data_dir,
    )
    .await;
    if !localnet.was_running {
        if let Err(error) = localnet.run_script("stop") {
            tracing::warn!(%error, "cannot stop the localnet");
        }
    }
    result
}

/// `$SIBYL_ORACLE`, else `sibyl-oracle` beside this executable (cargo builds both there).
fn oracle_binary() -> anyhow::Result<OracleBinary> {
    if let Some(path) = std::env::var_os(ORACLE_BINARY_ENV) {
        return Ok(OracleBinary(PathBuf::from(path)));
    }
    let beside = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|dir| dir.join("sibyl-oracle")))
        .filter(|path| path.is_file());
    match beside {
        Some(path) => Ok(OracleBinary(path)),
        None => bail!(
            "the operators run the `sibyl-oracle` binary, which is not beside this executable: \
             build it with `cargo build --release -p sibyl-oracle` or set {ORACLE_BINARY_ENV}"
        ),
    }
}

#[allow(clippy::too_many_arguments)]
async fn run_on_localnet(
    options: &DemoOptions,
    localnet: &Localnet,
    binary: &OracleBinary,
    digits: &Digits,
    model: &Model,
    model_uri: String,
    wasm_dir: &Path,
    data_dir: &Path,
) -> anyhow::Result<DemoSummary> {
    let admin_keys = OperatorKeys::generate(PREFIX)?;
    localnet
        .fund(&[admin_keys.account_address()], GAS_MONEY)
        .await?;
    let admin = localnet.client(&admin_keys).await?;
    let window = super::window_blocks(options, LOCALNET_BLOCK_TIME);
    let plan = DeployPlan {
        wasm_dir,
        gas_price: localnet.gas_price.clone(),
        model,
        model_uri,
        params: super::deploy::params(options.redundancy.max(3), window),
        roles: Roles {
            admin: admin.account().to_string(),
            treasury: admin.account().to_string(),
            slashed_funds_destination: admin.account().to_string(),
        },
        consumer_redundancy: options.redundancy,
        consumer_quorum: options.quorum,
    };
    let deployment = chain_deploy::deploy(&admin, plan)
        .await
        .context("cannot deploy the contracts")?;
    let deployment_file = data_dir.join("deployment.json");
    deployment.save(&deployment_file)?;

    let settings = |role: Role, index: u32| NodeSettings {
        backend: options.backend,
        file_roots: vec![models_dir(data_dir)],
        fault_skew: (role == Role::Faulty)
            .then(|| u8::try_from(index % 250).unwrap_or(0).saturating_add(1)),
    };
    let faults = Faults {
        faulty: options.faulty,
        silent: options.silent,
    };
    let mut nodes = Vec::new();
    let mut operators = Vec::new();
    let mut delegators = Vec::new();
    for index in 0..options.operators {
        let role = faults.role(index, options.operators);
        let moniker = format!("operator-{}", index + 1);
        let node = OperatorNode::init(
            binary,
            localnet,
            &deployment_file,
            data_dir,
            &moniker,
            &settings(role, index),
        )?;
        let delegator = OperatorKeys::generate(PREFIX)?;
        operators.push(Operator {
            index,
            moniker,
            address: node.address.clone(),
            delegator: delegator.account_address().to_string(),
            role,
            keys: Arc::new(node.keys()?),
        });
        nodes.push(node);
        delegators.push(delegator);
    }
    let consumer_keys = OperatorKeys::generate(PREFIX)?;
    let consumer = localnet.client(&consumer_keys).await?;
    let price = workload::job_price(
        &consumer,
        &deployment.escrow,
        model.hash(),
        options.redundancy,
    )
    .await?;
    fund_everyone(localnet, &operators, &consumer, &price, options.jobs).await?;
    register_all(&nodes)?;
    delegate_all(localnet, &deployment, &delegators, &operators).await?;
    println!(
        "chain {} at height {}: staking {}, escrow {}; {} operators ({} faulty, {} silent), {} delegators",
        localnet.chain_id,
        consumer.latest_height().await?,
        deployment.staking,
        deployment.escrow,
        operators.len(),
        options.faulty,
        options.silent,
        delegators.len()
    );

    for (node, operator) in nodes.iter_mut().zip(&operators) {
        if operator.role == Role::Silent {
            continue;
        }
        node.start("info")?;
    }
    for (node, operator) in nodes.iter_mut().zip(&operators) {
        if operator.role != Role::Silent {
            node.wait_healthy(NODE_START_LIMIT).await?;
            println!(
                "{}: `sibyl-oracle run` is up, metrics on http://{}/metrics, log {}",
                operator.moniker,
                node.metrics,
                node.log_path().display()
            );
        }
    }

    let shutdown = CancellationToken::new();
    let signals = tokio::spawn(cancel_on_shutdown_signal(shutdown.clone()));
    let outcome = workload::run(
        &consumer,
        Workload {
            escrow: &deployment.escrow,
            consumer_contract: &deployment.consumer,
            price,
            window_blocks: deployment.params.window_blocks,
            samples: digits.samples(),
            operators: &operators,
        },
        options,
        shutdown,
    )
    .await;
    signals.abort();
    let node_reports = node_reports(&operators, &nodes).await;
    for node in &mut nodes {
        node.stop();
    }
    let outcome = outcome?;
    let block_time = if outcome.blocks > 0 {
        outcome.elapsed / u32::try_from(outcome.blocks).unwrap_or(u32::MAX)
    } else {
        LOCALNET_BLOCK_TIME
    };
    let request_gas = (outcome.jobs.len() as u64, outcome.submit_gas);
    let summary = report::summarize(
        &admin,
        Contracts {
            staking: &deployment.staking,
            escrow: &deployment.escrow,
            denom: DENOM,
        },
        &operators,
        outcome,
        &format!(
            "each node's own engine (backend {})",
            options.backend.as_str()
        ),
        block_time,
        ChainReport::Localnet {
            chain_id: localnet.chain_id.clone(),
            nodes: node_reports,
            request_gas,
        },
    )
    .await?;
    println!("{summary}");
    println!("deployment: {}", deployment_file.display());
    Ok(summary)
}

/// One faucet transfer: stake and fees for every operator and delegator, the jobs and their fees
/// for the consumer.
async fn fund_everyone(
    localnet: &Localnet,
    operators: &[Operator],
    consumer: &CosmosClient,
    price: &cosmwasm_std::Coin,
    jobs: u32,
) -> anyhow::Result<()> {
    let faucet = localnet.faucet().await?;
    let mut messages = Vec::new();
    for operator in operators {
        messages.push(crate::localnet::transfer(
            &faucet,
            &operator.address,
            SELF_BOND + GAS_MONEY,
            DENOM,
        )?);
        messages.push(crate::localnet::transfer(
            &faucet,
            &operator.delegator,
            DELEGATION + GAS_MONEY,
            DENOM,
        )?);
    }
    messages.push(crate::localnet::transfer(
        &faucet,
        consumer.account(),
        workload::budget(price, jobs).saturating_add(GAS_MONEY),
        DENOM,
    )?);
    faucet
        .send(messages)
        .await
        .context("the faucet's transfer failed")?;
    Ok(())
}

/// `sibyl-oracle operator register` for every operator at once (each signs for its own account).
fn register_all(nodes: &[OperatorNode]) -> anyhow::Result<()> {
    std::thread::scope(|scope| {
        let handles: Vec<_> = nodes
            .iter()
            .map(|node| scope.spawn(|| node.register(SELF_BOND)))
            .collect();
        handles
            .into_iter()
            .try_for_each(|handle| handle.join().expect("register thread").map(drop))
    })
}

/// Each delegator bonds [`DELEGATION`] to its operator, all at once.
async fn delegate_all(
    localnet: &Localnet,
    deployment: &Deployment,
    delegators: &[OperatorKeys],
    operators: &[Operator],
) -> anyhow::Result<()> {
    let mut delegations = tokio::task::JoinSet::new();
    for (keys, operator) in delegators.iter().zip(operators) {
        let client = localnet.client(keys).await?;
        let staking = deployment.staking.clone();
        let moniker = operator.moniker.clone();
        let msg = staking::ExecuteMsg::Delegate {
            operator: operator.address.clone(),
        };
        delegations.spawn(async move {
            execute(&client, &staking, &msg, vec![coin(DELEGATION)])
                .await
                .with_context(|| format!("cannot delegate to {moniker}"))
        });
    }
    while let Some(joined) = delegations.join_next().await {
        joined.context("a delegation task panicked")??;
    }
    Ok(())
}

/// Memory, inferences and transactions of every running node, read before they stop.
async fn node_reports(operators: &[Operator], nodes: &[OperatorNode]) -> Vec<NodeReport> {
    let mut reports = Vec::new();
    for (operator, node) in operators.iter().zip(nodes) {
        if operator.role == Role::Silent {
            continue;
        }
        let metrics = node.metrics().await.unwrap_or_default();
        reports.push(NodeReport {
            moniker: operator.moniker.clone(),
            memory_kib: node.memory_kib(),
            executions: counter_total(&metrics, "sibyl_job_execution_seconds_count") as u64,
            engine_seconds: counter_total(&metrics, "sibyl_job_execution_seconds_sum"),
            txs_sent: counter_total(&metrics, "sibyl_txs_sent_total") as u64,
        });
    }
    reports
}
