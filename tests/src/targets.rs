//! The gas and size targets the project commits to; tests fail when a contract exceeds them.

use crate::chain::Receipt;
use crate::scenarios::escrow::JobRun;
use crate::scenarios::Measurements;

/// No staking transaction may cost more (contract-side SDK gas, sub-messages included).
pub const MAX_STAKING_MESSAGE_SDK_GAS: u64 = 50_000;
/// A whole k = 3 job (submit, 3 commits, 3 reveals, settlement, with the staking calls it causes).
pub const MAX_K3_LIFECYCLE_SDK_GAS: u64 = 400_000;

/// Staking transactions above `MAX_STAKING_MESSAGE_SDK_GAS`, described for a failure message.
/// Query rows are reported but not held to the target: a query is not a transaction (clients run it
/// off-chain for free; a contract that queries pays inside its own message, which is measured).
pub fn staking_violations(staking: &Measurements) -> Vec<String> {
    staking
        .rows
        .iter()
        .filter(|m| !m.name.starts_with("query "))
        .filter(|m| m.receipt.total_gas().total_sdk_gas() > MAX_STAKING_MESSAGE_SDK_GAS)
        .map(|m| describe(&m.name, &m.receipt))
        .collect()
}

/// Sub-calls the staking contract ran for the escrow (Distribute, Slash) above the same limit.
pub fn staking_sub_call_violations(receipts: &[&Receipt]) -> Vec<String> {
    receipts
        .iter()
        .flat_map(|r| r.flatten())
        .filter(|r| r.contract == "staking" && r.gas.total_sdk_gas() > MAX_STAKING_MESSAGE_SDK_GAS)
        .map(|r| describe(&r.call, r))
        .collect()
}

pub fn lifecycle_violation(run: &JobRun) -> Option<String> {
    let total = run.total_gas();
    (total.total_sdk_gas() > MAX_K3_LIFECYCLE_SDK_GAS).then(|| {
        format!(
            "a k=3 job lifecycle costs {total}, above the {MAX_K3_LIFECYCLE_SDK_GAS} SDK gas target"
        )
    })
}

fn describe(name: &str, receipt: &Receipt) -> String {
    format!(
        "{name}: {} (target {MAX_STAKING_MESSAGE_SDK_GAS} SDK gas)",
        receipt.total_gas()
    )
}
