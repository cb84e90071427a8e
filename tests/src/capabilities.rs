//! The capabilities the contracts are checked against.
//!
//! A chain lists what its wasmvm offers; a contract that needs more cannot be stored there. Sibyl
//! needs no chain-specific module (its staking is a contract, not the SDK staking module), so the
//! check uses the portable set: storage iteration and the CosmWasm 1.1 to 3.0 APIs. A contract that
//! starts to need `staking`, `stargate` or `ibc2` fails the check on purpose.

use std::collections::HashSet;

pub const CHAIN_CAPABILITIES: &[&str] = &[
    "iterator",
    "cosmwasm_1_1",
    "cosmwasm_1_2",
    "cosmwasm_1_3",
    "cosmwasm_1_4",
    "cosmwasm_2_0",
    "cosmwasm_2_1",
    "cosmwasm_2_2",
    "cosmwasm_3_0",
];

pub fn chain_capabilities() -> HashSet<String> {
    CHAIN_CAPABILITIES.iter().map(|c| c.to_string()).collect()
}
