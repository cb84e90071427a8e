//! [`ChainClient`] for one account on the embedded chain.

use cosmwasm_std::{Coin, Uint256};

use super::driver::Request;
use super::EmbeddedChain;
use sibyl_oracle::chain::{ChainClient, ChainError, ChainEvent, TxOutcome};

/// The embedded chain as seen by one account.
#[derive(Clone)]
pub struct EmbeddedClient {
    chain: EmbeddedChain,
    account: String,
}

impl EmbeddedClient {
    pub(crate) fn new(chain: EmbeddedChain, account: String) -> Self {
        EmbeddedClient { chain, account }
    }

    /// The chain handle this client talks to.
    pub fn chain(&self) -> &EmbeddedChain {
        &self.chain
    }
}

impl ChainClient for EmbeddedClient {
    fn chain_id(&self) -> &str {
        self.chain.chain_id()
    }

    fn account(&self) -> &str {
        &self.account
    }

    async fn latest_height(&self) -> Result<u64, ChainError> {
        Ok(self.chain.latest_height())
    }

    async fn wait_for_block_after(&self, height: u64) -> Result<u64, ChainError> {
        let mut heights = self.chain.heights();
        let latest = heights
            .wait_for(|latest| *latest > height)
            .await
            .map_err(|_| ChainError::Unavailable("the embedded chain has stopped".into()))?;
        Ok(*latest)
    }

    async fn events_between(&self, after: u64, up_to: u64) -> Result<Vec<ChainEvent>, ChainError> {
        self.chain
            .call(|reply| Request::Events {
                after,
                up_to,
                reply,
            })
            .await?
    }

    async fn balance(&self, address: &str, denom: &str) -> Result<Uint256, ChainError> {
        self.chain.balance(address, denom).await
    }

    async fn query_raw(&self, contract: &str, msg: Vec<u8>) -> Result<Vec<u8>, ChainError> {
        let contract = contract.to_string();
        self.chain
            .call(|reply| Request::Query {
                contract,
                msg,
                reply,
            })
            .await?
    }

    async fn execute_raw(
        &self,
        contract: &str,
        msg: Vec<u8>,
        funds: Vec<Coin>,
    ) -> Result<TxOutcome, ChainError> {
        let sender = self.account.clone();
        let contract = contract.to_string();
        self.chain
            .call(|reply| Request::Execute {
                sender,
                contract,
                msg,
                funds,
                reply,
            })
            .await?
    }
}
