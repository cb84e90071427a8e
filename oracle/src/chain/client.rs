//! The chain-client trait: the only way the node talks to a chain.

use std::future::Future;

use cosmwasm_std::{Coin, Uint256};
use serde::{de::DeserializeOwned, Serialize};

use super::ChainEvent;

/// Why a chain call failed.
#[derive(Debug, thiserror::Error)]
pub enum ChainError {
    /// The chain executed the transaction and rejected it (contract error, insufficient funds, ...).
    /// Retrying the same transaction will fail the same way unless the chain state changes.
    #[error("transaction rejected by the chain: {0}")]
    TxRejected(String),
    /// A smart query failed (unknown contract, invalid query, contract error).
    #[error("query failed: {0}")]
    Query(String),
    /// Events of these blocks are no longer kept by the chain; fall back to contract queries.
    #[error("events before height {oldest_kept} have been pruned (asked from {requested})")]
    EventsPruned { requested: u64, oldest_kept: u64 },
    /// The connection to the chain is gone (node stopped, network down): transient.
    #[error("chain unavailable: {0}")]
    Unavailable(String),
    /// A message could not be encoded or a response decoded.
    #[error("invalid message or response: {0}")]
    Codec(#[from] serde_json::Error),
}

impl ChainError {
    /// True when the same call may succeed later without any change on our side.
    pub fn is_transient(&self) -> bool {
        matches!(self, ChainError::Unavailable(_))
    }
}

/// The result of an executed transaction.
#[derive(Clone, Debug, Default)]
pub struct TxOutcome {
    /// Transaction hash (uppercase hex, as Cosmos chains print it).
    pub tx_hash: String,
    /// Height of the block that includes the transaction.
    pub height: u64,
    /// Events the transaction emitted.
    pub events: Vec<ChainEvent>,
    /// Response data of the executed message, if any.
    pub data: Option<Vec<u8>>,
    /// Gas the chain charged for the transaction (0 on a chain that meters none, such as the
    /// embedded one).
    pub gas_used: u64,
}

/// A client bound to one account on one chain.
///
/// Implementations are cheap to clone and shared by the node's tasks. Methods return `Send`
/// futures so that they can run on a multi-threaded runtime.
pub trait ChainClient: Clone + Send + Sync + 'static {
    /// The chain id, as signed into attestations.
    fn chain_id(&self) -> &str;

    /// The account (bech32 address) that [`ChainClient::execute_raw`] signs as.
    fn account(&self) -> &str;

    /// Height of the latest finished block.
    fn latest_height(&self) -> impl Future<Output = Result<u64, ChainError>> + Send;

    /// Waits until a block above `height` is finished and returns the new latest height.
    fn wait_for_block_after(
        &self,
        height: u64,
    ) -> impl Future<Output = Result<u64, ChainError>> + Send;

    /// Events of the finished blocks in `(after, up_to]`, in block and emission order.
    fn events_between(
        &self,
        after: u64,
        up_to: u64,
    ) -> impl Future<Output = Result<Vec<ChainEvent>, ChainError>> + Send;

    /// `address`'s bank balance of `denom`.
    fn balance(
        &self,
        address: &str,
        denom: &str,
    ) -> impl Future<Output = Result<Uint256, ChainError>> + Send;

    /// A smart query with a JSON message; returns the JSON response.
    fn query_raw(
        &self,
        contract: &str,
        msg: Vec<u8>,
    ) -> impl Future<Output = Result<Vec<u8>, ChainError>> + Send;

    /// Executes a contract message as [`ChainClient::account`], attaching `funds`.
    fn execute_raw(
        &self,
        contract: &str,
        msg: Vec<u8>,
        funds: Vec<Coin>,
    ) -> impl Future<Output = Result<TxOutcome, ChainError>> + Send;
}

/// Typed smart query.
pub async fn query<C, Q, R>(client: &C, contract: &str, msg: &Q) -> Result<R, ChainError>
where
    C: ChainClient,
    Q: Serialize,
    R: DeserializeOwned,
{
    let request = serde_json::to_vec(msg)?;
    let response = client.query_raw(contract, request).await?;
    Ok(serde_json::from_slice(&response)?)
}

/// Typed execute.
pub async fn execute<C, M>(
    client: &C,
    contract: &str,
    msg: &M,
    funds: Vec<Coin>,
) -> Result<TxOutcome, ChainError>
where
    C: ChainClient,
    M: Serialize,
{
    let request = serde_json::to_vec(msg)?;
    client.execute_raw(contract, request, funds).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_unavailability_is_transient() {
        assert!(ChainError::Unavailable("stopped".into()).is_transient());
        assert!(!ChainError::TxRejected("bad".into()).is_transient());
        assert!(!ChainError::Query("bad".into()).is_transient());
        assert!(!ChainError::EventsPruned {
            requested: 1,
            oldest_kept: 5
        }
        .is_transient());
    }
}
