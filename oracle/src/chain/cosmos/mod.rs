//! A [`ChainClient`] for wasmd-based Cosmos chains: CometBFT RPC for blocks and events, Cosmos
//! SDK gRPC for accounts, queries and transactions, cosmrs for signing (SIGN_MODE_DIRECT).
//!
//! [`CosmosClient::connect`] checks the endpoints, the chain id and the account before anything
//! runs, so that a wrong configuration is a clear error at start and not a node that idles.

pub mod config;
pub mod grpc;
pub mod rpc;
pub mod signer;

use std::sync::Arc;

use cosmrs::crypto::secp256k1::SigningKey;
use cosmrs::proto::cosmwasm::wasm::v1::MsgExecuteContractResponse as ExecuteResponse;
use cosmrs::proto::prost::Message;
use cosmrs::tx::Msg;
use cosmrs::{AccountId, Any};
use cosmwasm_std::{Coin, Uint256};
use serde::Deserialize;

use crate::chain::{ChainClient, ChainError, ChainEvent, TxOutcome};
use crate::keys::AccountKey;
pub use config::{CosmosConfig, GasPrice};
use grpc::Grpc;
use rpc::Rpc;
pub use signer::IncludedTx;
use signer::{FeePolicy, Signer};

/// Why a client could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    #[error("cannot reach the chain's {endpoint} endpoint {url}: {source}")]
    Unreachable {
        endpoint: &'static str,
        url: String,
        source: ChainError,
    },
    #[error("the RPC node at {url} serves chain {actual:?}, not the configured {expected:?}")]
    WrongChain {
        url: String,
        expected: String,
        actual: String,
    },
    #[error("invalid account key: {0}")]
    Key(String),
}

/// A contract's name and version as cw2 records them (`crates.io:sibyl-job-escrow`, `0.2.0`).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct ContractVersion {
    pub contract: String,
    pub version: String,
}

/// A client bound to one account on one Cosmos chain. Cheap to clone.
#[derive(Clone)]
pub struct CosmosClient {
    inner: Arc<Inner>,
}

struct Inner {
    chain_id: String,
    account: String,
    prefix: String,
    rpc: Rpc,
    grpc: Grpc,
    signer: Signer,
    /// Only these contracts' events are returned by `events_between` (all when empty).
    watched: Vec<String>,
    poll_interval: std::time::Duration,
}

impl CosmosClient {
    /// Connects as `keys`' account and checks that the chain is the configured one.
    /// `watched`: the contracts whose events the node follows.
    pub async fn connect(
        config: &CosmosConfig,
        keys: &impl AsRef<AccountKey>,
        watched: Vec<String>,
    ) -> Result<Self, ConnectError> {
        let keys = keys.as_ref();
        config.validate()?;
        let unreachable = |endpoint, url: &str| {
            let url = url.to_string();
            move |source| ConnectError::Unreachable {
                endpoint,
                url,
                source,
            }
        };
        let rpc = Rpc::new(&config.rpc, config.request_timeout)
            .map_err(unreachable("RPC", &config.rpc))?;
        let grpc = Grpc::new(&config.grpc, config.request_timeout)
            .map_err(unreachable("gRPC", &config.grpc))?;
        let status = rpc
            .status()
            .await
            .map_err(unreachable("RPC", &config.rpc))?;
        if status.chain_id != config.chain_id {
            return Err(ConnectError::WrongChain {
                url: config.rpc.clone(),
                expected: config.chain_id.clone(),
                actual: status.chain_id,
            });
        }
        let account = keys
            .address_with_prefix(&config.bech32_prefix)
            .map_err(|e| ConnectError::Key(e.to_string()))?;
        // Any answer proves the gRPC endpoint serves this chain's state.
        grpc.account(&account)
            .await
            .map_err(unreachable("gRPC", &config.grpc))?;
        let key = SigningKey::from_slice(&keys.signing_key().to_bytes())
            .map_err(|e| ConnectError::Key(e.to_string()))?;
        let signer = Signer::new(
            key,
            parse_address(&account).map_err(|e| ConnectError::Key(e.to_string()))?,
            config
                .chain_id
                .parse()
                .map_err(|e| ConnectError::Key(format!("chain id {:?}: {e}", config.chain_id)))?,
            FeePolicy {
                gas_price: config.parsed_gas_price()?,
                gas_adjustment: config.gas_adjustment,
                granter: match &config.fee_granter {
                    Some(granter) => Some(parse_address(granter).map_err(|e| {
                        ConnectError::Config(crate::config::ConfigError::Invalid(format!(
                            "chain.fee_granter: {e}"
                        )))
                    })?),
                    None => None,
                },
                timeout_blocks: config.tx_timeout_blocks,
                poll_interval: config.poll_interval,
            },
        );
        Ok(CosmosClient {
            inner: Arc::new(Inner {
                chain_id: config.chain_id.clone(),
                account,
                prefix: config.bech32_prefix.clone(),
                rpc,
                grpc,
                signer,
                watched,
                poll_interval: config.poll_interval,
            }),
        })
    }

    /// The chain's bech32 prefix.
    pub fn prefix(&self) -> &str {
        &self.inner.prefix
    }

    /// Signs and sends one transaction with `messages` and waits until it is in a block.
    pub async fn send(&self, messages: Vec<Any>) -> Result<IncludedTx, ChainError> {
        self.inner
            .signer
            .send(&self.inner.rpc, &self.inner.grpc, messages)
            .await
    }

    /// The sender's address, parsed.
    pub fn sender(&self) -> &AccountId {
        self.inner.signer.address()
    }

    /// The cw2 name and version of the contract at `address`.
    pub async fn contract_version(&self, address: &str) -> Result<ContractVersion, ChainError> {
        self.inner.grpc.contract_info(address).await?;
        let raw = self.inner.grpc.raw_query(address, b"contract_info").await?;
        if raw.is_empty() {
            return Err(ChainError::Query(format!(
                "the contract at {address} records no cw2 name and version"
            )));
        }
        Ok(serde_json::from_slice(&raw)?)
    }

    /// The lowest height whose events the RPC node still has.
    pub async fn earliest_height(&self) -> Result<u64, ChainError> {
        Ok(self.inner.rpc.status().await?.earliest_height)
    }
}

/// Parses a bech32 account address.
pub fn parse_address(address: &str) -> Result<AccountId, ChainError> {
    address
        .parse()
        .map_err(|e| ChainError::TxRejected(format!("invalid address {address:?}: {e}")))
}

/// CosmWasm coins as the SDK's.
pub fn sdk_coins(funds: &[Coin]) -> Result<Vec<cosmrs::Coin>, ChainError> {
    funds
        .iter()
        .map(|coin| {
            Ok(cosmrs::Coin {
                denom: coin
                    .denom
                    .parse()
                    .map_err(|e| ChainError::TxRejected(format!("denom {:?}: {e}", coin.denom)))?,
                amount: cosmwasm_std::Uint128::try_from(coin.amount)
                    .map(|a| a.u128())
                    .map_err(|_| {
                        ChainError::TxRejected(format!("amount {} is too large", coin.amount))
                    })?,
            })
        })
        .collect()
}

fn codec_error(error: impl std::fmt::Display) -> ChainError {
    ChainError::TxRejected(format!("cannot encode the message: {error}"))
}

impl ChainClient for CosmosClient {
    fn chain_id(&self) -> &str {
        &self.inner.chain_id
    }

    fn account(&self) -> &str {
        &self.inner.account
    }

    async fn latest_height(&self) -> Result<u64, ChainError> {
        Ok(self.inner.rpc.status().await?.latest_height)
    }

    async fn wait_for_block_after(&self, height: u64) -> Result<u64, ChainError> {
        loop {
            let latest = self.latest_height().await?;
            if latest > height {
                return Ok(latest);
            }
            tokio::time::sleep(self.inner.poll_interval).await;
        }
    }

    async fn events_between(&self, after: u64, up_to: u64) -> Result<Vec<ChainEvent>, ChainError> {
        let mut events = Vec::new();
        for height in after + 1..=up_to {
            events.extend(
                self.inner
                    .rpc
                    .block_events(height, &self.inner.watched, self.inner.poll_interval)
                    .await?,
            );
        }
        Ok(events)
    }

    async fn balance(&self, address: &str, denom: &str) -> Result<Uint256, ChainError> {
        self.inner.grpc.balance(address, denom).await
    }

    async fn query_raw(&self, contract: &str, msg: Vec<u8>) -> Result<Vec<u8>, ChainError> {
        self.inner.grpc.smart_query(contract, msg).await
    }

    async fn execute_raw(
        &self,
        contract: &str,
        msg: Vec<u8>,
        funds: Vec<Coin>,
    ) -> Result<TxOutcome, ChainError> {
        let execute = cosmrs::cosmwasm::MsgExecuteContract {
            sender: self.sender().clone(),
            contract: parse_address(contract)?,
            msg,
            funds: sdk_coins(&funds)?,
        };
        let tx = self
            .send(vec![execute.to_any().map_err(codec_error)?])
            .await?;
        let mut outcome = tx.outcome;
        outcome.data = match tx.msg_responses.first() {
            Some(response) => {
                let response = ExecuteResponse::decode(response.value.as_slice())
                    .map_err(|e| ChainError::Query(format!("execute response: {e}")))?;
                Some(response.data).filter(|data| !data.is_empty())
            }
            None => None,
        };
        Ok(outcome)
    }
}
