//! Operators and delegators of the demo: keys, funding, registration, delegation, and one node each.

use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use cosmwasm_std::Decimal;
use sibyl_api::staking;
use tokio_util::sync::CancellationToken;

use super::deploy::{coin, Deployment};
use crate::chain::{EmbeddedChain, EmbeddedClient};
use sibyl_oracle::chain::execute;
use sibyl_oracle::config::NodeConfig;
use sibyl_oracle::keys::OperatorKeys;
use sibyl_oracle::node::executor::Executor;
use sibyl_oracle::node::faulty::FaultyExecutor;
use sibyl_oracle::node::{self, DatabaseMode, NodeParts, RunningNode};
use sibyl_oracle::signer::AttestationSigner;

/// The bech32 prefix of the embedded chain's addresses (MockApi's).
pub const ADDRESS_PREFIX: &str = "cosmwasm";
/// Self-bond of each operator.
pub const SELF_BOND: u128 = 10_000_000;
/// Stake each delegator puts on its operator.
pub const DELEGATION: u128 = 5_000_000;
/// Commission of each operator.
pub const COMMISSION_PERCENT: u64 = 10;

/// How an operator of the demo behaves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// Runs a node with the real executor.
    Honest,
    /// Runs a node whose answers are wrong: slashed for a wrong result.
    Faulty,
    /// Registered and bonded, but runs no node: slashed for missed jobs.
    Silent,
}

impl Role {
    /// The role's name in the summary ("" for honest operators).
    pub fn label(self) -> &'static str {
        match self {
            Role::Honest => "",
            Role::Faulty => " (faulty)",
            Role::Silent => " (silent)",
        }
    }
}

/// How many operators of each dishonest kind: the last `silent` operators are silent, the
/// `faulty` before them faulty, the rest honest.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Faults {
    pub faulty: u32,
    pub silent: u32,
}

impl Faults {
    /// The role of operator `index` (from 0) of `count`.
    pub fn role(self, index: u32, count: u32) -> Role {
        let silent_from = count.saturating_sub(self.silent);
        let faulty_from = silent_from.saturating_sub(self.faulty);
        if index >= silent_from {
            Role::Silent
        } else if index >= faulty_from {
            Role::Faulty
        } else {
            Role::Honest
        }
    }
}

/// One registered operator.
pub struct Operator {
    pub index: u32,
    pub moniker: String,
    pub address: String,
    pub delegator: String,
    pub role: Role,
    pub keys: Arc<OperatorKeys>,
}

/// Stake an operator starts with: its self-bond and its delegator's stake.
pub const INITIAL_STAKE: u128 = SELF_BOND + DELEGATION;

/// Creates, funds and registers `count` operators with the roles `faults` gives, each with one
/// delegator.
pub async fn register(
    chain: &EmbeddedChain,
    deployment: &Deployment,
    count: u32,
    faults: Faults,
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
        let proof = keys
            .attestation_key_proof(chain.chain_id(), &deployment.staking, &address)
            .context("cannot sign the attestation key's proof of possession")?;
        execute(
            &chain.client(&address),
            &deployment.staking,
            &staking::ExecuteMsg::RegisterOperator {
                moniker: moniker.clone(),
                commission: Decimal::percent(COMMISSION_PERCENT),
                attestation_pubkey: proof.attestation_pubkey,
                key_signature: proof.key_signature,
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
            role: faults.role(index, count),
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
    // All the demo's jobs come from one consumer.
    config.execution.max_jobs_per_consumer = 16;
    // The demo serves models from its own directory with file:// URIs.
    config.fetch.file_roots = vec![super::dataset::models_dir(data_dir)];
    config
}

/// Starts the node of `operator` on `chain`, sharing `executor` (wrapped if the operator is faulty).
/// Silent operators run no node: do not call this for them.
pub async fn start_node(
    chain: &EmbeddedChain,
    config: NodeConfig,
    operator: &Operator,
    executor: Arc<dyn Executor>,
    cancel: CancellationToken,
) -> anyhow::Result<RunningNode> {
    let executor: Arc<dyn Executor> = if operator.role == Role::Faulty {
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
            signer: AttestationSigner::local(operator.keys.attestation().clone()),
            executor,
        },
        DatabaseMode::CreateIfMissing,
        cancel,
    )
    .await
    .with_context(|| format!("cannot start the node of {}", operator.moniker))?;
    Ok(node)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn silent_operators_come_last_and_faulty_ones_before_them() {
        let faults = Faults {
            faulty: 1,
            silent: 2,
        };
        let roles: Vec<Role> = (0..5).map(|index| faults.role(index, 5)).collect();
        assert_eq!(
            roles,
            [
                Role::Honest,
                Role::Honest,
                Role::Faulty,
                Role::Silent,
                Role::Silent
            ]
        );
        assert_eq!(Faults::default().role(4, 5), Role::Honest);
    }
}
