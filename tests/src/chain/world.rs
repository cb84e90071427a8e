//! The shared state of a `Chain`: compiled codes, contracts with their storage, the bank, the block,
//! and the execution of entry points with sub-message dispatch.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use cosmwasm_std::{
    from_json, Addr, Binary, BlockInfo, Checksum, ContractInfo, CosmosMsg, Empty, Env, Event,
    MessageInfo, MsgResponse, Reply, ReplyOn, Response, SubMsg, SubMsgResponse, SubMsgResult,
    TransactionInfo, WasmMsg,
};
use cosmwasm_std::{BankMsg, Coin};
use cosmwasm_vm::testing::MockApi;
use cosmwasm_vm::{
    call_execute, call_instantiate, call_query, call_reply, Backend, Cache, GasReport, Instance,
    InstanceOptions, VmResult,
};

use super::bank::Bank;
use super::gas::{response_event_gas, Gas, Receipt};
use super::querier::ChainQuerier;
use super::ChainError;
use crate::metered_storage::{MeteredStorage, StorageMeter, StorageOps, StorageSnapshot};
use crate::pricing::vm_gas_from_sdk_gas;

/// Gas limit of every call: far above any block limit, so that only a runaway contract hits it.
const CALL_GAS_LIMIT_SDK: u64 = 100_000_000;

pub(crate) type ChainCache = Cache<MockApi, MeteredStorage, ChainQuerier>;
type ChainInstance = Instance<MockApi, MeteredStorage, ChainQuerier>;

pub(crate) struct Contract {
    pub label: String,
    pub code: Checksum,
    /// `None` while an instance of this contract runs.
    pub storage: Option<MeteredStorage>,
}

pub(crate) struct State {
    pub contracts: BTreeMap<String, Contract>,
    pub bank: Bank,
    pub block: BlockInfo,
    pub contracts_created: u64,
}

/// Totals of the smart queries contracts made to other contracts.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct QueryMeter {
    pub queries: u64,
    pub vm_gas: u64,
}

/// Everything needed to undo a failed transaction.
pub(crate) struct Checkpoint {
    storages: BTreeMap<String, StorageSnapshot>,
    bank: Bank,
}

/// Meter readings taken before a call, to attribute what happened during it.
struct Mark {
    storage: StorageOps,
    queries: QueryMeter,
}

pub(crate) struct World {
    pub api: MockApi,
    pub cache: ChainCache,
    pub meter: StorageMeter,
    state: Mutex<State>,
    query_meter: Mutex<QueryMeter>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The name of a JSON message: its single top-level key (`{"delegate":{..}}` is `delegate`).
pub(crate) fn message_name(msg: &[u8]) -> String {
    match serde_json::from_slice::<serde_json::Value>(msg) {
        Ok(serde_json::Value::Object(fields)) if fields.len() == 1 => {
            fields.keys().next().cloned().unwrap_or_default()
        }
        _ => "message".to_string(),
    }
}

impl World {
    pub fn new(api: MockApi, cache: ChainCache, block: BlockInfo) -> Self {
        World {
            api,
            cache,
            meter: StorageMeter::default(),
            state: Mutex::new(State {
                contracts: BTreeMap::new(),
                bank: Bank::default(),
                block,
                contracts_created: 0,
            }),
            query_meter: Mutex::new(QueryMeter::default()),
        }
    }

    pub fn state(&self) -> MutexGuard<'_, State> {
        lock(&self.state)
    }

    pub fn label_of(&self, address: &str) -> Result<String, ChainError> {
        self.state()
            .contracts
            .get(address)
            .map(|c| c.label.clone())
            .ok_or_else(|| ChainError::UnknownContract(address.to_string()))
    }

    pub fn env(&self, contract: &str) -> Env {
        Env {
            block: self.state().block.clone(),
            transaction: Some(TransactionInfo::new(0, Binary::from([0x5a; 32]))),
            contract: ContractInfo {
                address: Addr::unchecked(contract),
            },
        }
    }

    pub fn checkpoint(&self) -> Checkpoint {
        let state = self.state();
        let storages = state
            .contracts
            .iter()
            .filter_map(|(address, c)| Some((address.clone(), c.storage.as_ref()?.snapshot())))
            .collect();
        Checkpoint {
            storages,
            bank: state.bank.clone(),
        }
    }

    pub fn restore(&self, checkpoint: Checkpoint) {
        let mut state = self.state();
        state.bank = checkpoint.bank;
        let mut storages = checkpoint.storages;
        state.contracts.retain(|address, contract| {
            match (storages.remove(address), contract.storage.as_mut()) {
                (Some(snapshot), Some(storage)) => {
                    storage.restore(snapshot);
                    true
                }
                // Created after the checkpoint: the failed transaction never made it.
                (None, _) => false,
                (Some(_), None) => true,
            }
        });
    }

    fn mark(&self) -> Mark {
        Mark {
            storage: self.meter.snapshot(),
            queries: *lock(&self.query_meter),
        }
    }

    fn gas_since(&self, mark: &Mark, report: &GasReport, event_gas: u64) -> Gas {
        let queries = *lock(&self.query_meter);
        Gas {
            vm_gas: report.used_internally,
            query_vm_gas: queries.vm_gas - mark.queries.vm_gas,
            contract_queries: queries.queries - mark.queries.queries,
            storage: self.meter.snapshot().since(&mark.storage),
            event_gas,
        }
    }

    /// Runs `call` on a fresh instance of the contract at `address` with its storage, like wasmd
    /// does for every entry point call.
    fn run<T>(
        self: &Arc<Self>,
        address: &str,
        gas_limit: u64,
        call: impl FnOnce(&mut ChainInstance) -> VmResult<T>,
    ) -> Result<(T, GasReport), ChainError> {
        let (code, storage) = {
            let mut state = self.state();
            let contract = state
                .contracts
                .get_mut(address)
                .ok_or_else(|| ChainError::UnknownContract(address.to_string()))?;
            let storage = contract
                .storage
                .take()
                .ok_or_else(|| ChainError::Reentrant(contract.label.clone()))?;
            (contract.code, storage)
        };
        let backend = Backend {
            api: self.api,
            storage,
            querier: ChainQuerier::new(Arc::clone(self)),
        };
        let mut instance =
            self.cache
                .get_instance(&code, backend, InstanceOptions { gas_limit })?;
        let result = call(&mut instance);
        let report = instance.create_gas_report();
        let backend = instance.recycle().ok_or(ChainError::StorageLost)?;
        if let Some(contract) = self.state().contracts.get_mut(address) {
            contract.storage = Some(backend.storage);
        }
        Ok((result?, report))
    }

    pub fn instantiate(
        self: &Arc<Self>,
        code: Checksum,
        label: &str,
        sender: &Addr,
        msg: &[u8],
        funds: &[Coin],
    ) -> Result<(Addr, Receipt), ChainError> {
        let address = {
            let mut state = self.state();
            state.contracts_created += 1;
            let seed = format!("sibyl-wasm-tests/contract/{}", state.contracts_created);
            let address = super::address_for(&self.api, seed.as_bytes(), 32)?;
            state.contracts.insert(
                address.to_string(),
                Contract {
                    label: label.to_string(),
                    code,
                    storage: Some(MeteredStorage::new(self.meter.clone())),
                },
            );
            state.bank.credit(address.as_str(), funds);
            address
        };
        let env = self.env(address.as_str());
        let info = MessageInfo {
            sender: sender.clone(),
            funds: funds.to_vec(),
        };
        let call = format!("instantiate {label}");
        let mark = self.mark();
        let (result, report) = self.run(address.as_str(), call_gas_limit(), |instance| {
            call_instantiate::<_, _, _, Empty>(instance, &env, &info, msg)
        })?;
        let response = result.into_result().map_err(|error| ChainError::Contract {
            contract: label.to_string(),
            call: call.clone(),
            error,
        })?;
        let gas = self.gas_since(&mark, &report, response_event_gas(&response));
        let sub_calls = self.dispatch(&address, &response.messages)?;
        let receipt = Receipt {
            contract: label.to_string(),
            call,
            gas,
            response,
            query_result: None,
            sub_calls,
        };
        Ok((address, receipt))
    }

    /// Executes `msg`; `gas_limit` is in CosmWasm gas and covers the wasm and its storage.
    pub fn execute(
        self: &Arc<Self>,
        sender: &Addr,
        contract: &Addr,
        msg: &[u8],
        funds: &[Coin],
        gas_limit: u64,
    ) -> Result<Receipt, ChainError> {
        let label = self.label_of(contract.as_str())?;
        {
            let mut state = self.state();
            if state.contracts.contains_key(sender.as_str()) {
                state.bank.debit(sender.as_str(), funds)?;
            }
            state.bank.credit(contract.as_str(), funds);
        }
        let env = self.env(contract.as_str());
        let info = MessageInfo {
            sender: sender.clone(),
            funds: funds.to_vec(),
        };
        let call = format!("execute {}", message_name(msg));
        let mark = self.mark();
        let (result, report) = self.run(contract.as_str(), gas_limit, |instance| {
            call_execute::<_, _, _, Empty>(instance, &env, &info, msg)
        })?;
        let response = result.into_result().map_err(|error| ChainError::Contract {
            contract: label.clone(),
            call: call.clone(),
            error,
        })?;
        let gas = self.gas_since(&mark, &report, response_event_gas(&response));
        let sub_calls = self.dispatch(contract, &response.messages)?;
        Ok(Receipt {
            contract: label,
            call,
            gas,
            response,
            query_result: None,
            sub_calls,
        })
    }

    fn reply(self: &Arc<Self>, contract: &Addr, reply: &Reply) -> Result<Receipt, ChainError> {
        let label = self.label_of(contract.as_str())?;
        let env = self.env(contract.as_str());
        let call = format!("reply {}", reply.id);
        let mark = self.mark();
        let (result, report) = self.run(contract.as_str(), call_gas_limit(), |instance| {
            call_reply::<_, _, _, Empty>(instance, &env, reply)
        })?;
        let response = result.into_result().map_err(|error| ChainError::Contract {
            contract: label.clone(),
            call: call.clone(),
            error,
        })?;
        let gas = self.gas_since(&mark, &report, response_event_gas(&response));
        let sub_calls = self.dispatch(contract, &response.messages)?;
        Ok(Receipt {
            contract: label,
            call,
            gas,
            response,
            query_result: None,
            sub_calls,
        })
    }

    /// A query sent by a user (gas measured like any call).
    pub fn query(self: &Arc<Self>, contract: &Addr, msg: &[u8]) -> Result<Receipt, ChainError> {
        let label = self.label_of(contract.as_str())?;
        let env = self.env(contract.as_str());
        let call = format!("query {}", message_name(msg));
        let mark = self.mark();
        let (result, report) = self.run(contract.as_str(), call_gas_limit(), |instance| {
            call_query(instance, &env, msg)
        })?;
        let data = result.into_result().map_err(|error| ChainError::Contract {
            contract: label.clone(),
            call: call.clone(),
            error,
        })?;
        Ok(Receipt {
            contract: label,
            call,
            gas: self.gas_since(&mark, &report, 0),
            response: Response::new(),
            query_result: Some(data),
            sub_calls: Vec::new(),
        })
    }

    /// A smart query made by a contract. Returns the result and the CosmWasm gas it used in all
    /// (wasm and storage), which the querying instance books as externally used.
    pub fn contract_query(
        self: &Arc<Self>,
        contract: &str,
        msg: &[u8],
        gas_limit: u64,
    ) -> Result<(cosmwasm_std::ContractResult<Binary>, u64), ChainError> {
        let env = self.env(contract);
        let (result, report) = self.run(contract, gas_limit, |instance| {
            call_query(instance, &env, msg)
        })?;
        let mut meter = lock(&self.query_meter);
        meter.queries += 1;
        meter.vm_gas += report.used_internally;
        Ok((result, report.used_internally + report.used_externally))
    }

    /// Executes the sub-messages of `contract`'s response in order, with replies as requested.
    fn dispatch(
        self: &Arc<Self>,
        contract: &Addr,
        messages: &[SubMsg],
    ) -> Result<Vec<Receipt>, ChainError> {
        let mut receipts = Vec::new();
        for sub_msg in messages {
            let checkpoint = self.checkpoint();
            // A sub-message's gas limit is in SDK gas.
            let gas_limit = sub_msg
                .gas_limit
                .map_or(call_gas_limit(), vm_gas_from_sdk_gas);
            let outcome = self.dispatch_one(contract, &sub_msg.msg, gas_limit);
            let reply_result = match (outcome, &sub_msg.reply_on) {
                (Ok(receipt), reply_on) => {
                    let result = success_result(receipt.as_ref());
                    receipts.extend(receipt);
                    matches!(reply_on, ReplyOn::Success | ReplyOn::Always).then_some(result)
                }
                (Err(error), ReplyOn::Error | ReplyOn::Always) => {
                    self.restore(checkpoint);
                    Some(SubMsgResult::Err(error.to_string()))
                }
                (Err(error), _) => return Err(error),
            };
            if let Some(result) = reply_result {
                let reply = Reply {
                    id: sub_msg.id,
                    payload: sub_msg.payload.clone(),
                    gas_used: 0,
                    result,
                };
                receipts.push(self.reply(contract, &reply)?);
            }
        }
        Ok(receipts)
    }

    fn dispatch_one(
        self: &Arc<Self>,
        sender: &Addr,
        msg: &CosmosMsg,
        gas_limit: u64,
    ) -> Result<Option<Receipt>, ChainError> {
        match msg {
            CosmosMsg::Wasm(WasmMsg::Execute {
                contract_addr,
                msg,
                funds,
            }) => {
                let target = Addr::unchecked(contract_addr);
                self.execute(sender, &target, msg, funds, gas_limit)
                    .map(Some)
            }
            CosmosMsg::Bank(BankMsg::Send { to_address, amount }) => {
                let mut state = self.state();
                state.bank.debit(sender.as_str(), amount)?;
                state.bank.credit(to_address, amount);
                Ok(None)
            }
            other => Err(ChainError::UnsupportedMessage(format!("{other:?}"))),
        }
    }
}

pub(crate) fn call_gas_limit() -> u64 {
    vm_gas_from_sdk_gas(CALL_GAS_LIMIT_SDK)
}

/// What a successful sub-message reports to `reply`: the callee's wasm events and its data wrapped
/// in a `MsgExecuteContractResponse`, as wasmd does.
fn success_result(receipt: Option<&Receipt>) -> SubMsgResult {
    let (events, msg_responses) = match receipt {
        Some(receipt) => {
            let mut wasm = Event::new("wasm");
            wasm.attributes = receipt.response.attributes.clone();
            let custom = receipt.response.events.iter().map(|e| {
                let mut event = e.clone();
                event.ty = format!("wasm-{}", e.ty);
                event
            });
            let data = receipt.response.data.clone().unwrap_or_default();
            let response = MsgResponse {
                type_url: "/cosmwasm.wasm.v1.MsgExecuteContractResponse".to_string(),
                value: Binary::new(protobuf_bytes_field(1, &data)),
            };
            (
                std::iter::once(wasm).chain(custom).collect(),
                vec![response],
            )
        }
        None => (Vec::new(), Vec::new()),
    };
    #[allow(deprecated)] // `data` is still part of the struct; wasmd 0.50+ leaves it empty.
    let response = SubMsgResponse {
        events,
        data: None,
        msg_responses,
    };
    SubMsgResult::Ok(response)
}

/// Protobuf encoding of one `bytes` field (omitted when empty, as proto3 does).
fn protobuf_bytes_field(field: u32, bytes: &[u8]) -> Vec<u8> {
    if bytes.is_empty() {
        return Vec::new();
    }
    let mut out = Vec::with_capacity(bytes.len() + 6);
    push_varint(&mut out, u64::from(field << 3 | 2));
    push_varint(&mut out, bytes.len() as u64);
    out.extend_from_slice(bytes);
    out
}

fn push_varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value as u8 & 0x7f) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

/// Decodes a contract's JSON answer, naming the contract in the error.
pub(crate) fn decode<T: serde::de::DeserializeOwned>(
    data: &Binary,
    what: &str,
) -> Result<T, ChainError> {
    from_json(data).map_err(|e| ChainError::Decode {
        what: what.to_string(),
        error: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_names_are_the_single_top_level_key() {
        assert_eq!(
            message_name(br#"{"delegate":{"operator":"x"}}"#),
            "delegate"
        );
        assert_eq!(message_name(br#"{"a":1,"b":2}"#), "message");
        assert_eq!(message_name(b"not json"), "message");
    }

    #[test]
    fn protobuf_bytes_fields_use_varint_lengths() {
        assert_eq!(protobuf_bytes_field(1, b""), Vec::<u8>::new());
        assert_eq!(protobuf_bytes_field(1, b"ab"), vec![0x0a, 2, b'a', b'b']);
        let long = vec![7u8; 300];
        assert_eq!(&protobuf_bytes_field(1, &long)[..3], &[0x0a, 0xac, 0x02]);
    }
}
