//! `sibyl-oracle deploy`: stores the three contracts, instantiates and wires them, registers a
//! model, and describes the result in a JSON file that `init` and the operators read.

pub mod audit;
pub mod params;

use std::path::Path;

use cosmrs::cosmwasm::{MsgInstantiateContract, MsgStoreCode};
use cosmrs::proto::cosmwasm::wasm::v1::{MsgInstantiateContractResponse, MsgStoreCodeResponse};
use cosmrs::proto::prost::Message;
use cosmrs::tx::Msg;
use cosmrs::Any;
use serde::{Deserialize, Serialize};

use crate::chain::cosmos::{parse_address, CosmosClient, IncludedTx};
use crate::chain::{ChainClient, ChainError};
pub use params::{DeployParams, Roles};

/// File names of the release wasm in the artifacts directory (`scripts/build-wasm.sh`).
pub const STAKING_WASM: &str = "sibyl_staking.wasm";
pub const ESCROW_WASM: &str = "sibyl_job_escrow.wasm";
pub const CONSUMER_WASM: &str = "sibyl_example_consumer.wasm";

/// A deployed Sibyl: what operators and dApps need to find it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Deployment {
    pub chain_id: String,
    pub bech32_prefix: String,
    /// The gas price the deployment paid; a default for the operators' config files.
    pub gas_price: String,
    pub denom: String,
    pub roles: Roles,
    pub code_ids: CodeIds,
    pub staking: String,
    pub escrow: String,
    /// The example consumer (k and m as deployed).
    pub consumer: String,
    /// sha256 of the registered model, hex.
    pub model_hash: String,
    pub model_uri: String,
    pub params: DeployParams,
    /// Gas of each deployment transaction, in order.
    pub gas: Vec<GasRecord>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeIds {
    pub staking: u64,
    pub escrow: u64,
    pub consumer: u64,
}

/// Gas of one transaction.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GasRecord {
    pub label: String,
    pub gas_used: u64,
    pub gas_wanted: u64,
}

/// What to deploy.
pub struct DeployPlan<'a> {
    pub wasm_dir: &'a Path,
    pub gas_price: String,
    pub model: &'a sibyl_model::Model,
    pub model_uri: String,
    pub params: DeployParams,
    pub roles: Roles,
    /// k and m of the example consumer's jobs.
    pub consumer_redundancy: u32,
    pub consumer_quorum: u32,
}

/// Why a deployment failed, and at which step.
#[derive(Debug, thiserror::Error)]
pub enum DeployError {
    #[error(
        "cannot read {path}: {source} (build the contracts with `bash scripts/build-wasm.sh`)"
    )]
    Wasm {
        path: String,
        source: std::io::Error,
    },
    #[error("{step}: {source}")]
    Chain { step: String, source: ChainError },
}

/// Deploys as `client`'s account (which becomes the wasm admin of the three contracts).
pub async fn deploy(
    client: &CosmosClient,
    plan: DeployPlan<'_>,
) -> Result<Deployment, DeployError> {
    let mut deployer = Deployer {
        client,
        gas: Vec::new(),
    };
    let staking_code = deployer.store(plan.wasm_dir, STAKING_WASM).await?;
    let escrow_code = deployer.store(plan.wasm_dir, ESCROW_WASM).await?;
    let consumer_code = deployer.store(plan.wasm_dir, CONSUMER_WASM).await?;
    let admin = &plan.roles.admin;
    let staking = deployer
        .instantiate(
            staking_code,
            "sibyl-staking",
            admin,
            &plan.params.staking_instantiate(&plan.roles),
        )
        .await?;
    let escrow = deployer
        .instantiate(
            escrow_code,
            "sibyl-job-escrow",
            admin,
            &plan
                .params
                .escrow_instantiate(&plan.roles, &staking, client.chain_id()),
        )
        .await?;
    deployer
        .execute(
            "staking update_slashers",
            &staking,
            &params::add_slasher(&escrow),
        )
        .await?;
    deployer
        .execute(
            "escrow register_model",
            &escrow,
            &params::register_model(plan.model, &plan.model_uri),
        )
        .await?;
    let consumer = deployer
        .instantiate(
            consumer_code,
            "sibyl-example-consumer",
            admin,
            &params::consumer_instantiate(
                &escrow,
                plan.model.hash(),
                plan.consumer_redundancy,
                plan.consumer_quorum,
            ),
        )
        .await?;
    Ok(Deployment {
        chain_id: client.chain_id().to_string(),
        bech32_prefix: client.prefix().to_string(),
        gas_price: plan.gas_price,
        denom: plan.params.denom.clone(),
        roles: plan.roles,
        code_ids: CodeIds {
            staking: staking_code,
            escrow: escrow_code,
            consumer: consumer_code,
        },
        staking,
        escrow,
        consumer,
        model_hash: hex::encode(plan.model.hash()),
        model_uri: plan.model_uri,
        params: plan.params,
        gas: deployer.gas,
    })
}

struct Deployer<'a> {
    client: &'a CosmosClient,
    gas: Vec<GasRecord>,
}

impl Deployer<'_> {
    async fn send(&mut self, label: String, message: Any) -> Result<IncludedTx, DeployError> {
        let tx = self
            .client
            .send(vec![message])
            .await
            .map_err(|source| DeployError::Chain {
                step: label.clone(),
                source,
            })?;
        tracing::info!(step = %label, height = tx.outcome.height, gas_used = tx.outcome.gas_used, "deployed");
        self.gas.push(GasRecord {
            label,
            gas_used: tx.outcome.gas_used,
            gas_wanted: tx.gas_wanted,
        });
        Ok(tx)
    }

    async fn store(&mut self, dir: &Path, file: &str) -> Result<u64, DeployError> {
        let path = dir.join(file);
        let wasm_byte_code = std::fs::read(&path).map_err(|source| DeployError::Wasm {
            path: path.display().to_string(),
            source,
        })?;
        let label = format!("store {file}");
        let message = MsgStoreCode {
            sender: self.client.sender().clone(),
            wasm_byte_code: gzip(&wasm_byte_code),
            instantiate_permission: None,
        };
        let tx = self.send(label.clone(), to_any(&label, message)?).await?;
        let response: MsgStoreCodeResponse = first_response(&label, &tx)?;
        Ok(response.code_id)
    }

    async fn instantiate<M: Serialize>(
        &mut self,
        code_id: u64,
        label: &str,
        admin: &str,
        msg: &M,
    ) -> Result<String, DeployError> {
        let step = format!("instantiate {label}");
        let message = MsgInstantiateContract {
            sender: self.client.sender().clone(),
            admin: Some(parse_address(admin).map_err(|source| DeployError::Chain {
                step: step.clone(),
                source,
            })?),
            code_id,
            label: Some(label.to_string()),
            msg: json(&step, msg)?,
            funds: Vec::new(),
        };
        let tx = self.send(step.clone(), to_any(&step, message)?).await?;
        let response: MsgInstantiateContractResponse = first_response(&step, &tx)?;
        Ok(response.address)
    }

    async fn execute<M: Serialize>(
        &mut self,
        label: &str,
        contract: &str,
        msg: &M,
    ) -> Result<(), DeployError> {
        let chain = |source| DeployError::Chain {
            step: label.to_string(),
            source,
        };
        let message = cosmrs::cosmwasm::MsgExecuteContract {
            sender: self.client.sender().clone(),
            contract: parse_address(contract).map_err(chain)?,
            msg: json(label, msg)?,
            funds: Vec::new(),
        };
        self.send(label.to_string(), to_any(label, message)?)
            .await?;
        Ok(())
    }
}

/// wasmd takes gzip-compressed code and pays for the transaction's bytes: compressing roughly
/// halves the gas of a `store`.
fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(bytes).expect("writing to memory");
    encoder.finish().expect("writing to memory")
}

fn json<M: Serialize>(step: &str, msg: &M) -> Result<Vec<u8>, DeployError> {
    serde_json::to_vec(msg).map_err(|e| DeployError::Chain {
        step: step.to_string(),
        source: ChainError::Codec(e),
    })
}

fn to_any(step: &str, message: impl Msg) -> Result<Any, DeployError> {
    message.to_any().map_err(|e| DeployError::Chain {
        step: step.to_string(),
        source: ChainError::TxRejected(format!("cannot encode the message: {e}")),
    })
}

fn first_response<R: Message + Default>(step: &str, tx: &IncludedTx) -> Result<R, DeployError> {
    let error = |message: String| DeployError::Chain {
        step: step.to_string(),
        source: ChainError::Query(message),
    };
    let any = tx
        .msg_responses
        .first()
        .ok_or_else(|| error("the transaction returned no message response".into()))?;
    R::decode(any.value.as_slice()).map_err(|e| error(format!("message response: {e}")))
}

impl Deployment {
    pub fn save(&self, path: &Path) -> std::io::Result<()> {
        let mut text = serde_json::to_string_pretty(self).map_err(std::io::Error::other)?;
        text.push('\n');
        std::fs::write(path, text)
    }

    pub fn load(path: &Path) -> anyhow::Result<Self> {
        use anyhow::Context;
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the deployment file {}", path.display()))?;
        serde_json::from_str(&text)
            .with_context(|| format!("{} is not a Sibyl deployment file", path.display()))
    }
}
