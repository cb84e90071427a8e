//! Cosmos SDK gRPC: accounts, balances, contract queries, simulation, broadcast and results.

use std::time::Duration;

use cosmrs::proto::cosmos::auth::v1beta1::{
    query_client::QueryClient as AuthQuery, BaseAccount, QueryAccountRequest,
};
use cosmrs::proto::cosmos::bank::v1beta1::{
    query_client::QueryClient as BankQuery, QueryBalanceRequest,
};
use cosmrs::proto::cosmos::base::abci::v1beta1::TxResponse;
use cosmrs::proto::cosmos::tx::v1beta1::{
    service_client::ServiceClient as TxService, BroadcastMode, BroadcastTxRequest, GetTxRequest,
    SimulateRequest,
};
use cosmrs::proto::cosmwasm::wasm::v1::{
    query_client::QueryClient as WasmQuery, QueryContractInfoRequest, QueryRawContractStateRequest,
    QuerySmartContractStateRequest,
};
use cosmrs::proto::prost::Message;
use cosmwasm_std::Uint256;
use tonic::transport::{Channel, ClientTlsConfig, Endpoint};
use tonic::Code;

use crate::chain::ChainError;

/// The number and sequence that the next transaction of an account must carry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AccountState {
    pub number: u64,
    pub sequence: u64,
}

/// What wasmd knows of a contract instance.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContractInfo {
    pub code_id: u64,
    pub label: String,
    pub admin: String,
}

/// A gRPC client over one lazily connected channel (reconnects by itself).
#[derive(Clone, Debug)]
pub struct Grpc {
    channel: Channel,
    url: String,
}

impl Grpc {
    pub fn new(url: &str, timeout: Duration) -> Result<Self, ChainError> {
        let invalid = |e: tonic::transport::Error| {
            ChainError::Unavailable(format!("invalid gRPC endpoint {url:?}: {e}"))
        };
        let mut endpoint = Endpoint::from_shared(url.to_string())
            .map_err(invalid)?
            .connect_timeout(timeout)
            .timeout(timeout);
        if url.starts_with("https://") {
            endpoint = endpoint
                .tls_config(ClientTlsConfig::new().with_webpki_roots())
                .map_err(invalid)?;
        }
        Ok(Grpc {
            channel: endpoint.connect_lazy(),
            url: url.to_string(),
        })
    }

    /// The account's number and next sequence; `None` when the chain has never seen it (an
    /// account exists from its first incoming transfer).
    pub async fn account(&self, address: &str) -> Result<Option<AccountState>, ChainError> {
        let request = QueryAccountRequest {
            address: address.to_string(),
        };
        let response = match AuthQuery::new(self.channel.clone()).account(request).await {
            Ok(response) => response.into_inner(),
            Err(status) if status.code() == Code::NotFound => return Ok(None),
            Err(status) => return Err(self.error("auth account", status)),
        };
        let any = response
            .account
            .ok_or_else(|| ChainError::Query(format!("no account data for {address}")))?;
        // Plain accounts; vesting or module accounts embed a BaseAccount as field 1 too, but an
        // operator's hot key is a plain account.
        if any.type_url != "/cosmos.auth.v1beta1.BaseAccount" {
            return Err(ChainError::Query(format!(
                "account {address} is a {}, not a plain account",
                any.type_url
            )));
        }
        let account = BaseAccount::decode(any.value.as_slice())
            .map_err(|e| ChainError::Query(format!("account {address}: {e}")))?;
        Ok(Some(AccountState {
            number: account.account_number,
            sequence: account.sequence,
        }))
    }

    pub async fn balance(&self, address: &str, denom: &str) -> Result<Uint256, ChainError> {
        let request = QueryBalanceRequest {
            address: address.to_string(),
            denom: denom.to_string(),
        };
        let response = BankQuery::new(self.channel.clone())
            .balance(request)
            .await
            .map_err(|status| self.error("bank balance", status))?
            .into_inner();
        let amount = response.balance.map(|coin| coin.amount).unwrap_or_default();
        if amount.is_empty() {
            return Ok(Uint256::zero());
        }
        amount
            .parse()
            .map_err(|_| ChainError::Query(format!("balance {amount:?} is not an integer")))
    }

    pub async fn smart_query(&self, contract: &str, msg: Vec<u8>) -> Result<Vec<u8>, ChainError> {
        let request = QuerySmartContractStateRequest {
            address: contract.to_string(),
            query_data: msg,
        };
        let response = WasmQuery::new(self.channel.clone())
            .smart_contract_state(request)
            .await
            .map_err(|status| self.error("smart query", status))?;
        Ok(response.into_inner().data)
    }

    /// The raw value under `key` in the contract's storage (empty when absent).
    pub async fn raw_query(&self, contract: &str, key: &[u8]) -> Result<Vec<u8>, ChainError> {
        let request = QueryRawContractStateRequest {
            address: contract.to_string(),
            query_data: key.to_vec(),
        };
        let response = WasmQuery::new(self.channel.clone())
            .raw_contract_state(request)
            .await
            .map_err(|status| self.error("raw query", status))?;
        Ok(response.into_inner().data)
    }

    pub async fn contract_info(&self, contract: &str) -> Result<ContractInfo, ChainError> {
        let request = QueryContractInfoRequest {
            address: contract.to_string(),
        };
        let response = WasmQuery::new(self.channel.clone())
            .contract_info(request)
            .await
            .map_err(|status| self.error("contract info", status))?
            .into_inner();
        let info = response
            .contract_info
            .ok_or_else(|| ChainError::Query(format!("no contract at {contract}")))?;
        Ok(ContractInfo {
            code_id: info.code_id,
            label: info.label,
            admin: info.admin,
        })
    }

    /// Gas the transaction would use now.
    pub async fn simulate(&self, tx_bytes: Vec<u8>) -> Result<u64, ChainError> {
        #[allow(deprecated)] // `tx` is the deprecated form of `tx_bytes`
        let request = SimulateRequest { tx: None, tx_bytes };
        let response = TxService::new(self.channel.clone())
            .simulate(request)
            .await
            .map_err(|status| self.error("simulate", status))?
            .into_inner();
        response
            .gas_info
            .map(|info| info.gas_used)
            .ok_or_else(|| ChainError::Query("simulation returned no gas figure".into()))
    }

    /// Sends the transaction to the mempool (CheckTx only); the response carries its code.
    pub async fn broadcast(&self, tx_bytes: Vec<u8>) -> Result<TxResponse, ChainError> {
        let request = BroadcastTxRequest {
            tx_bytes,
            mode: BroadcastMode::Sync as i32,
        };
        let response = TxService::new(self.channel.clone())
            .broadcast_tx(request)
            .await
            .map_err(|status| self.error("broadcast", status))?
            .into_inner();
        response
            .tx_response
            .ok_or_else(|| ChainError::Query("broadcast returned no result".into()))
    }

    /// The result of an included transaction; `None` while it is not in a block.
    pub async fn tx(&self, hash: &str) -> Result<Option<TxResponse>, ChainError> {
        let request = GetTxRequest {
            hash: hash.to_string(),
        };
        match TxService::new(self.channel.clone()).get_tx(request).await {
            Ok(response) => Ok(response.into_inner().tx_response),
            Err(status) if status.code() == Code::NotFound => Ok(None),
            Err(status) => Err(self.error("get tx", status)),
        }
    }

    /// Transport trouble is [`ChainError::Unavailable`]; an answer from the node is a rejection
    /// (simulation failed: contract error, wrong sequence) or a failed query.
    fn error(&self, call: &str, status: tonic::Status) -> ChainError {
        match status.code() {
            Code::Unavailable
            | Code::DeadlineExceeded
            | Code::Cancelled
            | Code::ResourceExhausted => {
                ChainError::Unavailable(format!("gRPC {} ({call}): {}", self.url, status.message()))
            }
            // A transport error reads as `Unknown` with the connection's error as message.
            Code::Unknown if status.message().starts_with("transport error") => {
                ChainError::Unavailable(format!("gRPC {} ({call}): {}", self.url, status.message()))
            }
            _ if call == "simulate" => ChainError::TxRejected(status.message().to_string()),
            _ => ChainError::Query(format!("{call}: {}", status.message())),
        }
    }
}
