//! CometBFT RPC: the chain's status and the events of finished blocks.
//!
//! CometBFT 0.39 speaks the 0.38 RPC dialect; [`CompatMode::V0_38`] is set explicitly because
//! `CompatMode::from_version` refuses 0.39. Events come from `block_results`: each successful
//! transaction's events, then `finalize_block_events` (a contract's sudo or end-block calls).

use std::time::Duration;

use cosmrs::rpc::client::CompatMode;
use cosmrs::rpc::endpoint::block_results;
use cosmrs::rpc::error::ErrorDetail;
use cosmrs::rpc::{Client, HttpClient, HttpClientUrl};
use cosmrs::tendermint::abci;
use sha2::Digest;

use crate::chain::{ChainError, ChainEvent};

/// CometBFT's answer for a height whose results are not stored (yet).
const RESULTS_NOT_YET_STORED: &str = "could not find results for height";
/// How often such a height is asked again before it counts as unavailable.
const RESULTS_RETRIES: u32 = 10;

/// The chain as its RPC node reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeStatus {
    /// The chain id (CometBFT's `network`).
    pub chain_id: String,
    pub latest_height: u64,
    /// The lowest height whose block results are still kept.
    pub earliest_height: u64,
    pub catching_up: bool,
}

/// A CometBFT RPC client.
#[derive(Clone, Debug)]
pub struct Rpc {
    client: HttpClient,
    url: String,
}

impl Rpc {
    pub fn new(url: &str, timeout: Duration) -> Result<Self, ChainError> {
        let parsed: HttpClientUrl = url
            .parse()
            .map_err(|e| ChainError::Unavailable(format!("invalid RPC URL {url:?}: {e}")))?;
        let client = HttpClient::builder(parsed)
            .compat_mode(CompatMode::V0_38)
            .timeout(timeout)
            .build()
            .map_err(|e| ChainError::Unavailable(format!("RPC client for {url}: {e}")))?;
        Ok(Rpc {
            client,
            url: url.to_string(),
        })
    }

    pub async fn status(&self) -> Result<NodeStatus, ChainError> {
        let status = self.client.status().await.map_err(|e| self.error(e))?;
        Ok(NodeStatus {
            chain_id: status.node_info.network.to_string(),
            latest_height: status.sync_info.latest_block_height.value(),
            earliest_height: status.sync_info.earliest_block_height.value(),
            catching_up: status.sync_info.catching_up,
        })
    }

    /// Events of block `height` emitted by one of `contracts` (every contract when empty).
    ///
    /// CometBFT reports a block as the latest a moment before its results are stored: such a
    /// height is asked again after `retry_pause`, a few times, before it counts as unavailable.
    pub async fn block_events(
        &self,
        height: u64,
        contracts: &[String],
        retry_pause: Duration,
    ) -> Result<Vec<ChainEvent>, ChainError> {
        let mut attempts = 0;
        loop {
            match self.client.block_results(block_height(height)?).await {
                Ok(results) => return Ok(contract_events(height, &results, contracts)),
                Err(error) => match self.block_results_error(height, error).await {
                    ChainError::Query(message) if message.contains(RESULTS_NOT_YET_STORED) => {
                        attempts += 1;
                        if attempts > RESULTS_RETRIES {
                            return Err(ChainError::Unavailable(message));
                        }
                        tokio::time::sleep(retry_pause).await;
                    }
                    other => return Err(other),
                },
            }
        }
    }

    /// The result of the transaction with sha256 `hash` if a block in `from..=to` includes it,
    /// read from the blocks and their results: this does not depend on the node's transaction
    /// index, which can miss the last block before a node stopped.
    pub async fn find_tx(
        &self,
        hash: &[u8; 32],
        from: u64,
        to: u64,
    ) -> Result<Option<(u64, abci::types::ExecTxResult)>, ChainError> {
        for height in from..=to {
            let block = self
                .client
                .block(block_height(height)?)
                .await
                .map_err(|e| self.error(e))?;
            let index = block
                .block
                .data
                .iter()
                .position(|tx| sha2::Sha256::digest(tx).as_slice() == hash);
            if let Some(index) = index {
                let results = self
                    .client
                    .block_results(block_height(height)?)
                    .await
                    .map_err(|e| self.error(e))?;
                let result = results
                    .txs_results
                    .unwrap_or_default()
                    .into_iter()
                    .nth(index);
                return Ok(result.map(|result| (height, result)));
            }
        }
        Ok(None)
    }

    /// A pruned height becomes [`ChainError::EventsPruned`]; the rest keeps its kind.
    async fn block_results_error(&self, height: u64, error: cosmrs::rpc::Error) -> ChainError {
        let error = self.error(error);
        if let ChainError::Query(message) = &error {
            if let Ok(status) = self.status().await {
                if height < status.earliest_height {
                    return ChainError::EventsPruned {
                        requested: height,
                        oldest_kept: status.earliest_height,
                    };
                }
            }
            return ChainError::Query(format!("block_results at height {height}: {message}"));
        }
        error
    }

    /// A response from the node is its answer (`Query`); anything else means it is unreachable.
    fn error(&self, error: cosmrs::rpc::Error) -> ChainError {
        match error.detail() {
            ErrorDetail::Response(response) => ChainError::Query(response.source.to_string()),
            _ => ChainError::Unavailable(format!("RPC {}: {error}", self.url)),
        }
    }
}

fn block_height(height: u64) -> Result<cosmrs::tendermint::block::Height, ChainError> {
    cosmrs::tendermint::block::Height::try_from(height)
        .map_err(|e| ChainError::Query(format!("height {height}: {e}")))
}

/// The block's events, in execution order, from successful transactions and finalize-block
/// events, that belong to one of `contracts` (all when `contracts` is empty).
fn contract_events(
    height: u64,
    results: &block_results::Response,
    contracts: &[String],
) -> Vec<ChainEvent> {
    let tx_events = results
        .txs_results
        .iter()
        .flatten()
        .filter(|tx| tx.code.is_ok())
        .flat_map(|tx| tx.events.iter());
    tx_events
        .chain(results.finalize_block_events.iter())
        .map(|event| chain_event(height, event))
        .filter(|event| match event.contract() {
            Some(contract) => contracts.is_empty() || contracts.iter().any(|c| c == contract),
            None => false,
        })
        .collect()
}

pub(super) fn chain_event(height: u64, event: &abci::Event) -> ChainEvent {
    ChainEvent {
        height,
        kind: event.kind.clone(),
        attributes: event
            .attributes
            .iter()
            .map(|attribute| {
                (
                    String::from_utf8_lossy(attribute.key_bytes()).into_owned(),
                    String::from_utf8_lossy(attribute.value_bytes()).into_owned(),
                )
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A `block_results` answer as CometBFT 0.39 (wasmd 0.70) sends it: one failed and one
    /// successful transaction, and a finalize-block event.
    const BLOCK_RESULTS: &str = r#"{
      "height": "42",
      "txs_results": [
        {"code": 5, "data": null, "log": "insufficient funds", "info": "", "gas_wanted": "1", "gas_used": "1",
         "events": [{"type": "wasm-sibyl_committed", "attributes": [
            {"key": "_contract_address", "value": "wasm1escrow", "index": true}]}], "codespace": "sdk"},
        {"code": 0, "data": null, "log": "", "info": "", "gas_wanted": "200000", "gas_used": "150000",
         "events": [
           {"type": "message", "attributes": [{"key": "action", "value": "/cosmwasm.wasm.v1.MsgExecuteContract", "index": true}]},
           {"type": "wasm-sibyl_committed", "attributes": [
              {"key": "_contract_address", "value": "wasm1escrow", "index": true},
              {"key": "job_id", "value": "7", "index": true},
              {"key": "msg_index", "value": "0", "index": true}]},
           {"type": "wasm", "attributes": [{"key": "_contract_address", "value": "wasm1other", "index": true}]}
         ], "codespace": ""}
      ],
      "finalize_block_events": [
        {"type": "wasm-sibyl_settled", "attributes": [
           {"key": "_contract_address", "value": "wasm1escrow", "index": true},
           {"key": "job_id", "value": "6", "index": true}]}
      ],
      "validator_updates": null,
      "consensus_param_updates": null,
      "app_hash": ""
    }"#;

    fn results() -> block_results::Response {
        serde_json::from_str(BLOCK_RESULTS).unwrap()
    }

    #[test]
    fn keeps_the_watched_contracts_events_of_successful_transactions() {
        let events = contract_events(42, &results(), &["wasm1escrow".to_string()]);
        let kinds: Vec<_> = events.iter().map(|e| e.kind.as_str()).collect();
        assert_eq!(kinds, ["wasm-sibyl_committed", "wasm-sibyl_settled"]);
        assert_eq!(events[0].attribute("job_id"), Some("7"));
        assert_eq!(events[0].height, 42);
        assert_eq!(events[1].attribute("job_id"), Some("6"));
    }

    #[test]
    fn an_empty_watch_list_keeps_every_contract_event() {
        let events = contract_events(42, &results(), &[]);
        assert_eq!(events.len(), 3);
        assert!(events.iter().all(|e| e.contract().is_some()));
    }
}
