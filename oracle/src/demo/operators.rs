//! Operators and delegators of the demo: keys, funding, registration, delegation, and one node each.

use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use cosmwasm_std::{Binary, Decimal};
use sibyl_api::staking;
use tokio_util::sync::CancellationToken;

use super::deploy::{coin, Deployment};
use super::faulty::FaultyExecutor;
use crate::chain::embedded::{EmbeddedChain, EmbeddedClient};
use crate::chain::execute;
use crate::config::NodeConfig;
use crate::keys::OperatorKeys;
use crate::node::executor::Executor;
use crate::node::{self, DatabaseMode, NodeParts, RunningNode};

/// The bech32 prefix of the embedded chain's addresses (MockApi's).
pub const ADDRESS_PREFIX: &str = "cosmwasm";
/// Self-bond of each operator.
pub const SELF_BOND: u128 = 10_000_000;
/// Stake each delegator puts on its operator.
pub const DELEGATION: u128 = 5_000_000;
/// Commission of each operator.
pub const COMMISSION_PERCENT: u64 = 10;

/// One registered operator.
pub struct Operator {
    pub index: u32,
    pub moniker: String,
    pub address: String,
    pub delegator: String,
    pub faulty: bool,
    pub keys: Arc<OperatorKeys>,
}

/// Creates, funds and registers `count` operators (the last `faulty` of them dishonest), each with
/// one delegator.
pub async fn register(
    chain: &EmbeddedChain,
    deployment: &Deployment,
    count: u32,
    faulty: u32,
) -> anyhow::Result<Vec<Operator>> {
    let mut operators = Vec::new();
    for index in 0..count {
        let keys =
            OperatorKeys::generate(ADDRESS_PREFIX).context("cannot generate operator keys")?;
        let address = keys.account_address().to_string();
        let moniker = format!("operator-{}", index + 1);
        let delegator = EmbeddedChain::address(&format!("delegator-{}", index + 1));
        chain.mint(&address, coin(SELF_BOND * 2)).await?;
        chain.mint(&delegator, coin(DELEGATION * 2)).await?;
        execute(
            &chain.client(&address),
            &deployment.staking,
            &staking::ExecuteMsg::RegisterOperator {
                moniker: moniker.clone(),
                commission: Decimal::percent(COMMISSION_PERCENT),
                attestation_pubkey: Binary::from(keys.attestation_pubkey().to_vec()),
            },
            vec![coin(SELF_BOND)],
        )
        .await
        .with_context(|| format!("cannot register {moniker}"))?;
        execute(
            &chain.client(&delegator),
            &deployment.staking,
            &staking::ExecuteMsg::Delegate {
                operator: address.clone(),
            },
            vec![coin(DELEGATION)],
        )
        .await
        .with_context(|| format!("cannot delegate to {moniker}"))?;
        operators.push(Operator {
            index,
            moniker,
            address,
            delegator,
            faulty: index >= count.saturating_sub(faulty),
            keys: Arc::new(keys),
        });
    }
    Ok(operators)
}

/// The configuration of an operator's node in the demo: its own data directory, quick polling.
pub fn node_config(data_dir: &Path, operator: &Operator, deployment: &Deployment) -> NodeConfig {
    let mut config = NodeConfig {
        data_dir: data_dir.join(&operator.moniker),
        ..NodeConfig::default()
    };
    config.contracts.escrow = deployment.escrow.clone();
    config.contracts.staking = deployment.staking.clone();
    config.execution.max_concurrent_jobs = 16;
    // The demo serves models from its own directory with file:// URIs.
    config.fetch.file_roots = vec![super::dataset::models_dir(data_dir)];
    config
}

/// Starts the node of `operator` on `chain`, sharing `executor` (wrapped if the operator is faulty).
pub async fn start_node(
    chain: &EmbeddedChain,
    config: NodeConfig,
    operator: &Operator,
    executor: Arc<dyn Executor>,
    cancel: CancellationToken,
) -> anyhow::Result<RunningNode> {
    let executor: Arc<dyn Executor> = if operator.faulty {
        let skew = u8::try_from(operator.index % 250)
            .unwrap_or(0)
            .saturating_add(1);
        Arc::new(FaultyExecutor::new(executor, skew))
    } else {
        executor
    };
    let client: EmbeddedClient = chain.client(&operator.address);
    let node = node::start(
        config,
        NodeParts {
            client,
            keys: operator.keys.clone(),
            executor,
        },
        DatabaseMode::CreateIfMissing,
        cancel,
    )
    .await
    .with_context(|| format!("cannot start the node of {}", operator.moniker))?;
    Ok(node)
}
