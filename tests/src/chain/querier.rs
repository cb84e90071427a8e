//! Answers the queries a contract sends to the chain: smart and raw queries of other contracts run
//! against those contracts' real wasm and storage; bank balances come from the chain's bank.

use std::sync::Arc;

use cosmwasm_std::{
    to_json_binary, BalanceResponse, BankQuery, Binary, Coin, ContractResult, Empty, QueryRequest,
    SystemError, SystemResult, WasmQuery,
};
use cosmwasm_vm::{BackendResult, GasInfo, Querier, Storage};

use super::world::World;
use super::ChainError;
use crate::pricing::{vm_gas_from_sdk_gas, READ_COST_FLAT, READ_COST_PER_BYTE};

/// wasmd's `ContractInfo` record key: `0x02 ‖ 32-byte contract address`.
const CONTRACT_INFO_KEY_LEN: u64 = 33;
/// A `ContractInfo` record (code id, creator, admin, label, creation position) in protobuf.
const CONTRACT_INFO_LEN: u64 = 110;

pub struct ChainQuerier {
    world: Arc<World>,
}

impl ChainQuerier {
    pub(crate) fn new(world: Arc<World>) -> Self {
        ChainQuerier { world }
    }

    fn smart(&self, contract: &str, msg: &[u8], gas_limit: u64) -> BackendResult<QueryAnswer> {
        match self.world.contract_query(contract, msg, gas_limit) {
            Ok((result, gas)) => (
                Ok(SystemResult::Ok(result)),
                GasInfo::with_externally_used(gas),
            ),
            Err(error) => (Ok(system_error(contract, error)), GasInfo::free()),
        }
    }

    fn raw(&self, contract: &str, key: &[u8]) -> BackendResult<QueryAnswer> {
        let state = self.world.state();
        let Some(storage) = state
            .contracts
            .get(contract)
            .and_then(|c| c.storage.as_ref())
        else {
            let error = ChainError::UnknownContract(contract.to_string());
            return (Ok(system_error(contract, error)), GasInfo::free());
        };
        let (value, gas) = storage.get(key);
        let answer =
            value.map(|v| SystemResult::Ok(ContractResult::Ok(Binary::new(v.unwrap_or_default()))));
        (answer, gas)
    }

    /// `WasmQuery::ContractInfo` (the escrow asks it of a submitter that wants a callback). The
    /// harness keeps no code ids, creators or admins, so those are placeholders. wasmd answers it
    /// with one read of the contract's `ContractInfo` record (key `0x02 ‖ address`, 33 bytes; the
    /// record about 110 bytes), charged here as that read's SDK gas.
    fn contract_info(&self, contract: &str) -> BackendResult<QueryAnswer> {
        if !self.world.state().contracts.contains_key(contract) {
            let error = ChainError::UnknownContract(contract.to_string());
            return (Ok(system_error(contract, error)), GasInfo::free());
        }
        let response = serde_json::json!({
            "code_id": 1,
            "creator": contract,
            "admin": null,
            "pinned": false,
            "ibc_port": null,
            "ibc2_port": null,
        });
        let answer = SystemResult::Ok(ContractResult::Ok(Binary::new(response.to_string().into())));
        let read =
            READ_COST_FLAT + READ_COST_PER_BYTE * (CONTRACT_INFO_KEY_LEN + CONTRACT_INFO_LEN);
        (
            Ok(answer),
            GasInfo::with_externally_used(vm_gas_from_sdk_gas(read)),
        )
    }

    fn balance(&self, address: &str, denom: &str) -> BackendResult<QueryAnswer> {
        let amount = self.world.state().bank.balance(address, denom);
        let response = BalanceResponse::new(Coin::new(amount, denom));
        let answer = match to_json_binary(&response) {
            Ok(data) => SystemResult::Ok(ContractResult::Ok(data)),
            Err(e) => SystemResult::Err(SystemError::InvalidResponse {
                error: e.to_string(),
                response: Binary::default(),
            }),
        };
        (Ok(answer), GasInfo::free())
    }
}

type QueryAnswer = SystemResult<ContractResult<Binary>>;

/// A harness failure in a queried contract reaches the querying contract as that contract's error.
fn system_error(contract: &str, error: ChainError) -> QueryAnswer {
    match error {
        ChainError::UnknownContract(_) => SystemResult::Err(SystemError::NoSuchContract {
            addr: contract.to_string(),
        }),
        other => SystemResult::Ok(ContractResult::Err(other.to_string())),
    }
}

impl Querier for ChainQuerier {
    fn query_raw(&self, request: &[u8], gas_limit: u64) -> BackendResult<QueryAnswer> {
        let parsed: QueryRequest<Empty> = match cosmwasm_std::from_json(request) {
            Ok(parsed) => parsed,
            Err(e) => {
                let answer = SystemResult::Err(SystemError::InvalidRequest {
                    error: e.to_string(),
                    request: Binary::from(request),
                });
                return (Ok(answer), GasInfo::free());
            }
        };
        match &parsed {
            QueryRequest::Wasm(WasmQuery::Smart { contract_addr, msg }) => {
                self.smart(contract_addr, msg, gas_limit)
            }
            QueryRequest::Wasm(WasmQuery::Raw { contract_addr, key }) => {
                self.raw(contract_addr, key)
            }
            QueryRequest::Wasm(WasmQuery::ContractInfo { contract_addr }) => {
                self.contract_info(contract_addr)
            }
            QueryRequest::Bank(BankQuery::Balance { address, denom }) => {
                self.balance(address, denom)
            }
            _ => {
                let answer = SystemResult::Err(SystemError::UnsupportedRequest {
                    kind: format!("{parsed:?}"),
                });
                (Ok(answer), GasInfo::free())
            }
        }
    }
}
