//! What one contract call cost, in the units wasmd charges.

use std::fmt;

use cosmwasm_std::{Binary, Response};

use crate::metered_storage::StorageOps;
use crate::pricing::{event_gas, sdk_gas_from_vm_gas};

/// Gas of one contract entry point call (an execute, instantiate, reply or query), not counting the
/// sub-messages it emitted (they are calls of their own).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Gas {
    /// CosmWasm gas spent by this contract's wasm (instructions and host functions such as
    /// `secp256k1_verify`), without storage.
    pub vm_gas: u64,
    /// CosmWasm gas spent by contracts this call queried.
    pub query_vm_gas: u64,
    /// Smart queries made to other contracts (each loads a wasm instance on a chain).
    pub contract_queries: u64,
    /// Storage of this contract and of the contracts it queried.
    pub storage: StorageOps,
    /// SDK gas wasmd charges for the response's attributes and events.
    pub event_gas: u64,
}

impl Gas {
    /// SDK gas for the wasm execution of this call and of the queries it made.
    pub fn sdk_gas_from_vm(&self) -> u64 {
        sdk_gas_from_vm_gas(self.vm_gas) + sdk_gas_from_vm_gas(self.query_vm_gas)
    }

    /// Everything the contracts' code caused: wasm execution, storage and events. Excludes the
    /// per-instance load fee and the transaction's own costs (signature, bytes), which do not
    /// depend on the contracts' code.
    pub fn total_sdk_gas(&self) -> u64 {
        self.sdk_gas_from_vm() + self.storage.sdk_gas + self.event_gas
    }

    /// Wasm instances a chain loads for this call: the contract itself and each contract queried.
    pub fn instance_loads(&self) -> u64 {
        1 + self.contract_queries
    }

    pub fn add(&mut self, other: &Gas) {
        self.vm_gas += other.vm_gas;
        self.query_vm_gas += other.query_vm_gas;
        self.contract_queries += other.contract_queries;
        self.storage.add(&other.storage);
        self.event_gas += other.event_gas;
    }
}

impl fmt::Display for Gas {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} SDK gas (VM {} = {} CosmWasm gas, storage {}, events {})",
            self.total_sdk_gas(),
            self.sdk_gas_from_vm(),
            self.vm_gas + self.query_vm_gas,
            self.storage.sdk_gas,
            self.event_gas
        )
    }
}

/// SDK gas of a response's attributes and custom events.
pub fn response_event_gas(response: &Response) -> u64 {
    let attributes: Vec<(usize, usize)> = response
        .attributes
        .iter()
        .map(|a| (a.key.len(), a.value.len()))
        .collect();
    let events: Vec<(usize, Vec<(usize, usize)>)> = response
        .events
        .iter()
        .map(|e| {
            let attributes = e.attributes.iter().map(|a| (a.key.len(), a.value.len()));
            (e.ty.len(), attributes.collect())
        })
        .collect();
    event_gas(&attributes, &events)
}

/// One executed call and the calls its sub-messages caused, in execution order.
#[derive(Clone, Debug)]
pub struct Receipt {
    /// Label of the contract that ran, e.g. `staking`.
    pub contract: String,
    /// Entry point and message name, e.g. `execute distribute`.
    pub call: String,
    pub gas: Gas,
    /// Attributes and events of the response (empty for queries).
    pub response: Response,
    /// Data a query returned.
    pub query_result: Option<Binary>,
    pub sub_calls: Vec<Receipt>,
}

impl Receipt {
    /// Gas of this call and of every sub-call.
    pub fn total_gas(&self) -> Gas {
        let mut total = self.gas;
        for sub_call in &self.sub_calls {
            total.add(&sub_call.total_gas());
        }
        total
    }

    /// This call and every sub-call, depth first.
    pub fn flatten(&self) -> Vec<&Receipt> {
        let mut calls = vec![self];
        for sub_call in &self.sub_calls {
            calls.extend(sub_call.flatten());
        }
        calls
    }

    /// Value of the first attribute called `key` in the response or its events.
    pub fn attribute(&self, key: &str) -> Option<&str> {
        let in_events = self
            .response
            .events
            .iter()
            .flat_map(|e| e.attributes.iter());
        self.response
            .attributes
            .iter()
            .chain(in_events)
            .find(|a| a.key == key)
            .map(|a| a.value.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cosmwasm_std::Event;

    fn receipt(vm_gas: u64, sub_calls: Vec<Receipt>) -> Receipt {
        Receipt {
            contract: "c".to_string(),
            call: "execute x".to_string(),
            gas: Gas {
                vm_gas,
                ..Gas::default()
            },
            response: Response::new(),
            query_result: None,
            sub_calls,
        }
    }

    #[test]
    fn totals_include_sub_calls_and_convert_vm_gas() {
        let tree = receipt(
            280_000,
            vec![receipt(140_000, vec![receipt(140_000, vec![])])],
        );
        assert_eq!(tree.total_gas().vm_gas, 560_000);
        assert_eq!(tree.total_gas().total_sdk_gas(), 4);
        assert_eq!(tree.flatten().len(), 3);
        assert_eq!(tree.gas.instance_loads(), 1);
    }

    #[test]
    fn attributes_are_found_in_events_too() {
        let mut call = receipt(0, vec![]);
        call.response = Response::new()
            .add_attribute("action", "x")
            .add_event(Event::new("e").add_attribute("job_id", "7"));
        assert_eq!(call.attribute("job_id"), Some("7"));
        assert_eq!(call.attribute("missing"), None);
        assert_eq!(response_event_gas(&call.response), 20 + 1 + 2 * 10);
    }
}
