//! An in-process chain for the demo and the tests.
//!
//! cw-multi-test's `App` runs the real contract code (linked as libraries) with a bank and
//! `MockApi` (real `secp256k1_verify`). `App` is not `Send`, so ONE driver thread owns it and
//! serves requests from a channel; [`EmbeddedChain`] is the cloneable async handle and
//! [`EmbeddedClient`] implements [`ChainClient`](super::ChainClient) for one account.
//!
//! Transactions execute as they arrive, inside the open block; a timer closes the block every
//! `block_time`, which makes its events visible to [`events_between`](super::ChainClient::events_between)
//! and advances the height. Clients therefore see finished blocks only, as on a real chain.

mod client;
pub mod contracts;
mod driver;

use std::sync::{mpsc, Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use cosmwasm_std::{Coin, Uint256};
use serde::Serialize;
use tokio::sync::{oneshot, watch};

pub use client::EmbeddedClient;
pub use contracts::ContractCode;
pub use driver::ChainStats;

use driver::Request;
use sibyl_oracle::chain::ChainError;

/// Settings of the embedded chain.
#[derive(Clone, Debug)]
pub struct EmbeddedChainConfig {
    /// Chain id reported in block info (and signed into attestations).
    pub chain_id: String,
    /// Wall-clock time between two blocks; chain time advances by the same amount.
    pub block_time: Duration,
    /// How many finished blocks of events are kept for `events_between`.
    pub event_retention_blocks: u64,
}

impl Default for EmbeddedChainConfig {
    fn default() -> Self {
        EmbeddedChainConfig {
            chain_id: "sibyl-embedded-1".to_string(),
            block_time: Duration::from_millis(200),
            event_retention_blocks: 10_000,
        }
    }
}

/// Cloneable handle to the embedded chain's driver thread.
#[derive(Clone)]
pub struct EmbeddedChain {
    inner: Arc<Inner>,
}

struct Inner {
    requests: mpsc::Sender<Request>,
    heights: watch::Receiver<u64>,
    chain_id: String,
    driver: Mutex<Option<JoinHandle<()>>>,
}

impl EmbeddedChain {
    /// Starts the driver thread with a fresh genesis state.
    pub fn start(config: EmbeddedChainConfig) -> Result<Self, ChainError> {
        let (requests, receiver) = mpsc::channel();
        let (height_sender, heights) = watch::channel(0);
        let chain_id = config.chain_id.clone();
        let driver = std::thread::Builder::new()
            .name("embedded-chain".to_string())
            .spawn(move || driver::run(config, receiver, height_sender))
            .map_err(|e| ChainError::Unavailable(format!("cannot start the chain thread: {e}")))?;
        Ok(EmbeddedChain {
            inner: Arc::new(Inner {
                requests,
                heights,
                chain_id,
                driver: Mutex::new(Some(driver)),
            }),
        })
    }

    /// The chain id.
    pub fn chain_id(&self) -> &str {
        &self.inner.chain_id
    }

    /// A client that executes transactions as `account`.
    pub fn client(&self, account: impl Into<String>) -> EmbeddedClient {
        EmbeddedClient::new(self.clone(), account.into())
    }

    /// A deterministic valid address for `name` (bech32 of its hash, as `MockApi` makes them).
    pub fn address(name: &str) -> String {
        cosmwasm_std::testing::MockApi::default()
            .addr_make(name)
            .into_string()
    }

    /// Height of the latest finished block.
    pub fn latest_height(&self) -> u64 {
        *self.inner.heights.borrow()
    }

    /// Uploads contract code; returns its code id.
    pub async fn store_code(&self, code: ContractCode) -> Result<u64, ChainError> {
        self.call(|reply| Request::StoreCode { code, reply }).await
    }

    /// Instantiates a contract as `sender`; returns its address.
    pub async fn instantiate<M: Serialize>(
        &self,
        sender: &str,
        code_id: u64,
        msg: &M,
        label: &str,
    ) -> Result<String, ChainError> {
        let msg = serde_json::to_vec(msg)?;
        let sender = sender.to_string();
        let label = label.to_string();
        self.call(|reply| Request::Instantiate {
            sender,
            code_id,
            msg,
            label,
            reply,
        })
        .await?
    }

    /// Mints `amount` to `address` (genesis funding).
    pub async fn mint(&self, address: &str, amount: Coin) -> Result<(), ChainError> {
        let to = address.to_string();
        self.call(|reply| Request::Mint { to, amount, reply })
            .await?
    }

    /// Bank balance of `address` in `denom`.
    pub async fn balance(&self, address: &str, denom: &str) -> Result<Uint256, ChainError> {
        let address = address.to_string();
        let denom = denom.to_string();
        self.call(|reply| Request::Balance {
            address,
            denom,
            reply,
        })
        .await?
    }

    /// Counters of the driver thread (transactions, time spent executing them, ...).
    pub async fn stats(&self) -> Result<ChainStats, ChainError> {
        self.call(|reply| Request::Stats { reply }).await
    }

    /// Stops the driver thread and waits for it. Later calls fail with `Unavailable`.
    pub fn shutdown(&self) {
        // A send error means the driver already stopped: nothing left to do.
        let _ = self.inner.requests.send(Request::Stop);
        let handle = match self.inner.driver.lock() {
            Ok(mut guard) => guard.take(),
            Err(poisoned) => poisoned.into_inner().take(),
        };
        if let Some(handle) = handle {
            if handle.join().is_err() {
                tracing::error!("the embedded chain thread panicked");
            }
        }
    }

    pub(crate) fn heights(&self) -> watch::Receiver<u64> {
        self.inner.heights.clone()
    }

    pub(crate) async fn call<T>(
        &self,
        request: impl FnOnce(oneshot::Sender<T>) -> Request,
    ) -> Result<T, ChainError> {
        let (reply, response) = oneshot::channel();
        self.inner
            .requests
            .send(request(reply))
            .map_err(|_| stopped())?;
        response.await.map_err(|_| stopped())
    }
}

fn stopped() -> ChainError {
    ChainError::Unavailable("the embedded chain has stopped".to_string())
}

#[cfg(test)]
mod tests {
    use cosmwasm_std::{
        to_json_binary, Binary, Deps, DepsMut, Empty, Env, Event, MessageInfo, Response, StdError,
        StdResult,
    };
    use cw_multi_test::{Contract, ContractWrapper};

    use super::*;
    use sibyl_oracle::chain::{execute, query, ChainClient};

    /// A contract that emits `wasm-ping { n }` on execute, fails on `n == 0`, and echoes queries.
    fn ping() -> Box<dyn Contract<Empty>> {
        fn instantiate(_: DepsMut, _: Env, _: MessageInfo, _: Empty) -> StdResult<Response> {
            Ok(Response::new())
        }
        fn execute(_: DepsMut, _: Env, _: MessageInfo, n: u32) -> StdResult<Response> {
            if n == 0 {
                return Err(StdError::msg("zero is not allowed"));
            }
            Ok(Response::new().add_event(Event::new("ping").add_attribute("n", n.to_string())))
        }
        fn query(_: Deps, env: Env, n: u32) -> StdResult<Binary> {
            to_json_binary(&(n, env.block.chain_id))
        }
        Box::new(ContractWrapper::new(execute, instantiate, query))
    }

    fn config(retention: u64) -> EmbeddedChainConfig {
        EmbeddedChainConfig {
            chain_id: "test-chain".into(),
            block_time: Duration::from_millis(5),
            event_retention_blocks: retention,
        }
    }

    #[tokio::test]
    async fn executes_queries_and_reports_events_of_finished_blocks() {
        let chain = EmbeddedChain::start(config(100)).unwrap();
        let admin = EmbeddedChain::address("admin");
        let code = chain
            .store_code(ContractCode::new("ping", ping))
            .await
            .unwrap();
        let contract = chain
            .instantiate(&admin, code, &Empty {}, "ping")
            .await
            .unwrap();
        let client = chain.client(&admin);
        assert_eq!(client.chain_id(), "test-chain");
        assert_eq!(client.account(), admin);

        let before = client.latest_height().await.unwrap();
        let tx = execute(&client, &contract, &7u32, vec![]).await.unwrap();
        assert!(tx.height > before);
        assert_eq!(tx.tx_hash.len(), 64);
        let ping = tx.events.iter().find(|e| e.kind == "wasm-ping").unwrap();
        assert_eq!(ping.attribute("n"), Some("7"));
        assert_eq!(ping.contract(), Some(contract.as_str()));

        let after = client.wait_for_block_after(tx.height).await.unwrap();
        let events = client.events_between(before, after).await.unwrap();
        assert!(events
            .iter()
            .any(|e| e.kind == "wasm-ping" && e.height == tx.height));
        assert!(client
            .events_between(after, after)
            .await
            .unwrap()
            .is_empty());

        let (echo, chain_id): (u32, String) = query(&client, &contract, &5u32).await.unwrap();
        assert_eq!((echo, chain_id.as_str()), (5, "test-chain"));

        let stats = chain.stats().await.unwrap();
        assert_eq!(stats.transactions, 2);
        assert_eq!(stats.queries, 1);
        chain.shutdown();
    }

    #[tokio::test]
    async fn rejected_transactions_and_bad_queries_are_errors() {
        let chain = EmbeddedChain::start(config(100)).unwrap();
        let admin = EmbeddedChain::address("admin");
        let code = chain
            .store_code(ContractCode::new("ping", ping))
            .await
            .unwrap();
        let contract = chain
            .instantiate(&admin, code, &Empty {}, "ping")
            .await
            .unwrap();
        let client = chain.client(&admin);
        let error = execute(&client, &contract, &0u32, vec![])
            .await
            .unwrap_err();
        assert!(
            matches!(error, ChainError::TxRejected(ref m) if m.contains("zero")),
            "{error}"
        );
        let error = query::<_, _, u32>(&client, "nowhere", &1u32)
            .await
            .unwrap_err();
        assert!(matches!(error, ChainError::Query(_)), "{error}");
        assert_eq!(chain.stats().await.unwrap().rejected_transactions, 1);
        chain.shutdown();
    }

    #[tokio::test]
    async fn mints_and_reports_balances() {
        let chain = EmbeddedChain::start(config(100)).unwrap();
        let user = EmbeddedChain::address("user");
        chain.mint(&user, Coin::new(42u128, "ucoin")).await.unwrap();
        assert_eq!(
            chain.balance(&user, "ucoin").await.unwrap(),
            Uint256::from(42u128)
        );
        assert_eq!(
            chain.balance(&user, "other").await.unwrap(),
            Uint256::zero()
        );
        chain.shutdown();
    }

    #[tokio::test]
    async fn old_events_are_pruned_and_a_stopped_chain_is_unavailable() {
        let chain = EmbeddedChain::start(config(2)).unwrap();
        let client = chain.client(EmbeddedChain::address("reader"));
        let height = client.wait_for_block_after(5).await.unwrap();
        let error = client.events_between(0, height).await.unwrap_err();
        assert!(matches!(error, ChainError::EventsPruned { .. }), "{error}");
        chain.shutdown();
        let error = client.events_between(height, height).await.unwrap_err();
        assert!(error.is_transient(), "{error}");
        assert!(client.wait_for_block_after(height + 100).await.is_err());
    }
}
