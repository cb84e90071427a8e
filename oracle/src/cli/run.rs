//! `sibyl-oracle run`: the node, on a real chain, until SIGINT or SIGTERM.
//!
//! Everything that can be wrong with the setup is checked before the node starts, each with an
//! error that says what to fix: the config file, the key file and its passphrase, the endpoints,
//! the chain id, the account, and that the configured contracts are Sibyl's escrow and staking.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{bail, Context};
use clap::Args;
use sibyl_api::staking;
use sibyl_infer::Engine;
use sibyl_model::Limits;
use tokio_util::sync::CancellationToken;

use super::keys::load_key_file;
use crate::chain::cosmos::CosmosClient;
use crate::chain::{query, ChainClient};
use crate::config::{ContractsConfig, ExecutionConfig};
use crate::config_file::OracleConfig;
use crate::keys::{AccountKey, KeyFileKeys};
use crate::node::executor::{EngineExecutor, Executor};
use crate::node::faulty::FaultyExecutor;
use crate::node::tasks::cancel_on_shutdown_signal;
use crate::node::{self, DatabaseMode, NodeParts};
use crate::signer::{AttestationSigner, RemoteSigner};

#[derive(Debug, Args)]
pub struct RunArgs {
    /// The config file (`sibyl-oracle init` writes one).
    #[arg(long, short, default_value = "sibyl-oracle.toml")]
    pub config: PathBuf,
}

impl RunArgs {
    pub fn run(self) -> anyhow::Result<ExitCode> {
        let config = OracleConfig::load(&self.config)?;
        let keys = load_key_file(&config.key)?;
        let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
        runtime.block_on(async move {
            let attestation_key = keys.attestation_pubkey();
            let account = keys.account().clone();
            let signer = attestation_signer(&config, keys).await?;
            let client = connect(&config, &account, &attestation_key).await?;
            let executor = executor(&config.node.execution)?;
            let cancel = CancellationToken::new();
            tokio::spawn(cancel_on_shutdown_signal(cancel.clone()));
            let parts = NodeParts {
                client,
                signer,
                executor,
            };
            let running = node::start(config.node, parts, DatabaseMode::MustExist, cancel)
                .await
                .context("the node could not start")?;
            running
                .wait()
                .await
                .context("the node stopped with an error")?;
            tracing::info!("node stopped");
            Ok(ExitCode::SUCCESS)
        })
    }
}

/// The key file's attestation key, or the `[signer]` that holds it. A remote signer that holds
/// another key is an error; one that is down now is not (the node commits meanwhile and
/// reveals once it answers).
async fn attestation_signer(
    config: &OracleConfig,
    keys: KeyFileKeys,
) -> anyhow::Result<AttestationSigner> {
    let Some(signer_config) = &config.signer else {
        return match keys {
            KeyFileKeys::Operator(keys) => Ok(AttestationSigner::local(keys.into_attestation())),
            KeyFileKeys::Account { .. } => bail!(
                "{} is an account key file, without the attestation key: add a [signer] section \
                 naming the `sibyl-oracle signer` that holds it",
                config.key.file.display()
            ),
        };
    };
    if let KeyFileKeys::Operator(_) = keys {
        tracing::warn!(
            key_file = %config.key.file.display(),
            "a [signer] signs the attestations, but this host's key file holds the mnemonic and \
             so the attestation key too: give this host an account key file \
             (`sibyl-oracle keys export-account`)"
        );
    }
    let expected = keys.attestation_pubkey();
    let remote = RemoteSigner::new(signer_config, expected)
        .map_err(|reason| anyhow::anyhow!("signer.auth_key_file: {reason}"))?;
    match remote.public_key().await {
        Ok(held) if held == expected => tracing::info!(
            signer = %signer_config.address,
            attestation_pubkey = %hex::encode(held),
            "remote signer"
        ),
        Ok(held) => bail!(
            "the signer at {} holds attestation key {}, but the key file names {}: point \
             [signer] at this operator's signer",
            signer_config.address,
            hex::encode(held),
            hex::encode(expected)
        ),
        Err(error) => tracing::warn!(
            %error,
            "the signer does not answer now; the node commits meanwhile and reveals once it does"
        ),
    }
    Ok(AttestationSigner::Remote(Arc::new(remote)))
}

/// Connects as the operator and checks the chain, the contracts and the registration (with
/// the attestation key it must sign with).
pub async fn connect(
    config: &OracleConfig,
    account: &AccountKey,
    attestation_pubkey: &[u8; 33],
) -> anyhow::Result<CosmosClient> {
    let watched = vec![config.node.contracts.escrow.clone()];
    let client = CosmosClient::connect(&config.chain, account, watched).await?;
    check_contracts(&client, &config.node.contracts).await?;
    let operator: Result<staking::OperatorResponse, _> = query(
        &client,
        &config.node.contracts.staking,
        &staking::QueryMsg::Operator {
            address: client.account().to_string(),
        },
    )
    .await;
    match operator {
        Err(error) if error.is_transient() => {
            return Err(error).context("cannot read this operator from the staking contract")
        }
        // The staking contract knows no pool for an address that never registered.
        Err(_) => tracing::warn!(
            operator = client.account(),
            "not registered in the staking contract: no job will be assigned until \
             `sibyl-oracle operator register`"
        ),
        Ok(operator) if operator.status == staking::OperatorStatus::Jailed => tracing::warn!(
            operator = client.account(),
            jailed_until = ?operator.jailed_until,
            "jailed: `sibyl-oracle operator unjail` once the jail time is over"
        ),
        Ok(operator) => {
            if operator.attestation_pubkey.as_slice() != attestation_pubkey.as_slice() {
                tracing::warn!(
                    registered = %hex::encode(operator.attestation_pubkey.as_slice()),
                    key_file = %hex::encode(attestation_pubkey),
                    "the staking contract has another attestation key for this operator: every \
                     reveal will fail until `sibyl-oracle operator rotate-attestation-key`"
                );
            }
            tracing::info!(moniker = %operator.moniker, status = ?operator.status, "operator")
        }
    }
    tracing::info!(
        chain_id = client.chain_id(),
        operator = client.account(),
        escrow = %config.node.contracts.escrow,
        "connected"
    );
    Ok(client)
}

/// The configured addresses must hold Sibyl's escrow and staking contracts, and the escrow must
/// use that staking contract.
pub async fn check_contracts(
    client: &CosmosClient,
    contracts: &ContractsConfig,
) -> anyhow::Result<()> {
    for (role, address, expected) in [
        (
            "escrow",
            &contracts.escrow,
            sibyl_api::escrow::CONTRACT_NAME,
        ),
        ("staking", &contracts.staking, staking::CONTRACT_NAME),
    ] {
        let version = client
            .contract_version(address)
            .await
            .with_context(|| format!("contracts.{role} = {address}"))?;
        if version.contract != expected {
            bail!(
                "contracts.{role} = {address} is {} {}, not {expected}",
                version.contract,
                version.version
            );
        }
    }
    let escrow: sibyl_api::escrow::Config = query(
        client,
        &contracts.escrow,
        &sibyl_api::escrow::QueryMsg::Config {},
    )
    .await
    .context("cannot read the escrow's config")?;
    if escrow.staking_contract.as_str() != contracts.staking {
        bail!(
            "the escrow {} uses staking contract {}, not the configured {}",
            contracts.escrow,
            escrow.staking_contract,
            contracts.staking
        );
    }
    if escrow.chain_id != client.chain_id() {
        bail!(
            "the escrow {} signs attestations for chain {:?}, not {:?}",
            contracts.escrow,
            escrow.chain_id,
            client.chain_id()
        );
    }
    Ok(())
}

/// The executor the config asks for.
pub fn executor(config: &ExecutionConfig) -> anyhow::Result<Arc<dyn Executor>> {
    let engine = Engine::new(config.backend.into())
        .context("cannot start the inference engine (try execution.backend = \"cpu\")")?;
    if let Some(notice) = engine.fallback_notice() {
        tracing::warn!("{notice}");
    }
    tracing::info!(device = %engine.device_description(), backend = %engine.backend_kind(), "inference engine");
    let honest: Arc<dyn Executor> = Arc::new(EngineExecutor::new(engine, Limits::default()));
    Ok(match config.test_fault_skew {
        Some(skew) => {
            tracing::warn!(
                skew,
                "execution.test_fault_skew is set: every answer will be wrong"
            );
            Arc::new(FaultyExecutor::new(honest, skew))
        }
        None => honest,
    })
}
