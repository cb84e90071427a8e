//! How wasmd turns what a contract does into Cosmos SDK gas.
//!
//! Values are the defaults of wasmd (x/wasm/types/gas_register.go) and of the Cosmos SDK KV store
//! gas config (store/types/gas.go, `KVGasConfig`). Chains can change them by governance or at genesis;
//! the report states them so a reader can redo the arithmetic for another chain.

/// CosmWasm gas units per SDK gas unit (wasmd `DefaultGasMultiplier` since CosmWasm 2.0).
pub const COSMWASM_GAS_PER_SDK_GAS: u64 = 140_000;

/// SDK gas charged each time a contract's wasm instance is loaded for an execute or a query
/// (wasmd `DefaultInstanceCost`); not part of the contract-side figures, see the docs.
pub const INSTANCE_COST: u64 = 60_000;
/// What loading an instance costs when the code is pinned in memory (`DefaultInstanceCostDiscount`).
pub const INSTANCE_COST_PINNED: u64 = 2_000;

/// Cosmos SDK `KVGasConfig`.
pub const READ_COST_FLAT: u64 = 1_000;
pub const READ_COST_PER_BYTE: u64 = 3;
pub const WRITE_COST_FLAT: u64 = 2_000;
pub const WRITE_COST_PER_BYTE: u64 = 30;
pub const DELETE_COST: u64 = 1_000;
pub const ITER_NEXT_COST_FLAT: u64 = 30;

/// wasmd stores a contract's keys under `0x03 ‖ contract address (32 bytes)` and the SDK gas store
/// sits below that prefix store, so every key is charged 33 bytes longer than the contract sees it.
pub const CONTRACT_KEY_PREFIX_LEN: u64 = 33;

/// wasmd event pricing (`DefaultPerAttributeCost`, `DefaultEventAttributeDataCost`,
/// `DefaultPerCustomEventCost`, `DefaultEventAttributeDataFreeTier`).
pub const EVENT_PER_ATTRIBUTE_COST: u64 = 10;
pub const EVENT_ATTRIBUTE_DATA_COST_PER_BYTE: u64 = 1;
pub const EVENT_PER_CUSTOM_EVENT_COST: u64 = 20;
pub const EVENT_ATTRIBUTE_DATA_FREE_TIER: u64 = 100;

/// SDK gas for CosmWasm gas, rounded down as wasmd does (`FromWasmVMGas`).
pub fn sdk_gas_from_vm_gas(vm_gas: u64) -> u64 {
    vm_gas / COSMWASM_GAS_PER_SDK_GAS
}

/// CosmWasm gas for SDK gas, used to report storage costs back to the VM as wasmvm does.
pub fn vm_gas_from_sdk_gas(sdk_gas: u64) -> u64 {
    sdk_gas.saturating_mul(COSMWASM_GAS_PER_SDK_GAS)
}

/// SDK gas wasmd charges for the attributes and custom events of a contract response
/// (`WasmGasRegister::EventCosts`): the first 100 bytes of attribute data are free.
pub fn event_gas(
    response_attributes: &[(usize, usize)],
    events: &[(usize, Vec<(usize, usize)>)],
) -> u64 {
    let (mut gas, mut free_tier) =
        attribute_gas(response_attributes, EVENT_ATTRIBUTE_DATA_FREE_TIER);
    for (type_len, attributes) in events {
        gas += EVENT_PER_CUSTOM_EVENT_COST + *type_len as u64 * EVENT_ATTRIBUTE_DATA_COST_PER_BYTE;
        let (attribute_cost, remaining) = attribute_gas(attributes, free_tier);
        gas += attribute_cost;
        free_tier = remaining;
    }
    gas
}

/// Gas for `(key length, value length)` pairs and the free tier left afterwards.
fn attribute_gas(attributes: &[(usize, usize)], free_tier: u64) -> (u64, u64) {
    if attributes.is_empty() {
        return (0, free_tier);
    }
    let stored: u64 = attributes.iter().map(|(k, v)| (k + v) as u64).sum();
    let (charged, free_tier) = if stored <= free_tier {
        (0, free_tier - stored)
    } else {
        (stored - free_tier, 0)
    };
    let gas = charged * EVENT_ATTRIBUTE_DATA_COST_PER_BYTE
        + attributes.len() as u64 * EVENT_PER_ATTRIBUTE_COST;
    (gas, free_tier)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vm_gas_converts_with_the_wasmd_multiplier() {
        assert_eq!(sdk_gas_from_vm_gas(139_999), 0);
        assert_eq!(sdk_gas_from_vm_gas(280_000), 2);
        assert_eq!(vm_gas_from_sdk_gas(3), 420_000);
    }

    #[test]
    fn event_attributes_within_the_free_tier_cost_only_their_count() {
        assert_eq!(
            event_gas(&[(6, 10), (2, 3)], &[]),
            2 * EVENT_PER_ATTRIBUTE_COST
        );
    }

    #[test]
    fn event_bytes_beyond_the_free_tier_are_charged_across_events() {
        // 90 free bytes in the response, then 10 free and 30 charged in the event.
        let gas = event_gas(&[(40, 50)], &[(11, vec![(20, 20)])]);
        let expected = EVENT_PER_ATTRIBUTE_COST
            + EVENT_PER_CUSTOM_EVENT_COST
            + 11
            + 30 * EVENT_ATTRIBUTE_DATA_COST_PER_BYTE
            + EVENT_PER_ATTRIBUTE_COST;
        assert_eq!(gas, expected);
    }
}
