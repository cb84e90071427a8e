//! Markdown tables of measured gas.

use std::fmt::Write;

use crate::chain::{Gas, Receipt};
use crate::pricing::{COSMWASM_GAS_PER_SDK_GAS, INSTANCE_COST, INSTANCE_COST_PINNED};
use crate::scenarios::escrow::JobRun;
use crate::scenarios::Measurements;

const GAS_HEADER: &str = "| Message | CosmWasm gas | SDK gas (VM) | Reads | Writes | Deletes | Iter. steps | SDK gas (storage) | SDK gas (events) | **SDK gas (total)** | Wasm instances |\n\
|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n";

fn gas_cells(gas: &Gas) -> String {
    format!(
        "{} | {} | {} | {} | {} | {} | {} | {} | **{}** | {}",
        gas.vm_gas + gas.query_vm_gas,
        gas.sdk_gas_from_vm(),
        gas.storage.reads,
        gas.storage.writes,
        gas.storage.deletes,
        gas.storage.iterator_steps,
        gas.storage.sdk_gas,
        gas.event_gas,
        gas.total_sdk_gas(),
        gas.instance_loads()
    )
}

/// One row per call: the transaction's own call, then its sub-calls marked with `↳`.
fn push_receipt_rows(out: &mut String, name: &str, receipt: &Receipt) {
    let _ = writeln!(out, "| {name} | {} |", gas_cells(&receipt.gas));
    for sub_call in receipt.flatten().into_iter().skip(1) {
        let label = format!("↳ {} `{}`", sub_call.contract, sub_call.call);
        let _ = writeln!(out, "| {label} | {} |", gas_cells(&sub_call.gas));
    }
    if !receipt.sub_calls.is_empty() {
        let _ = writeln!(
            out,
            "| = {name}, whole transaction | {} |",
            gas_cells(&receipt.total_gas())
        );
    }
}

/// A table of every measured message, sub-calls on their own rows.
pub fn gas_table(measurements: &Measurements) -> String {
    let mut out = String::from(GAS_HEADER);
    for measured in &measurements.rows {
        push_receipt_rows(&mut out, &measured.name, &measured.receipt);
    }
    out
}

/// A job's transactions with their totals (sub-calls included) and the sum.
pub fn lifecycle_table(run: &JobRun) -> String {
    let mut out = String::from(GAS_HEADER);
    for (name, receipt) in run.transactions() {
        push_receipt_rows(&mut out, &name, receipt);
    }
    let total = run.total_gas();
    let _ = writeln!(out, "| **Whole job** | {} |", gas_cells(&total));
    out
}

/// The wasmd costs the tables leave out, for a number of wasm instance loads.
pub fn instance_cost_note(instances: u64) -> String {
    format!(
        "Not included above: wasmd charges {INSTANCE_COST} SDK gas per wasm instance load \
         ({INSTANCE_COST_PINNED} when the code is pinned), i.e. {} SDK gas ({} pinned) for the {instances} \
         instances counted, plus the transaction's own fees (signature verification, bytes).",
        INSTANCE_COST * instances,
        INSTANCE_COST_PINNED * instances
    )
}

/// How the figures are computed, printed under the tables.
pub fn pricing_legend() -> String {
    format!(
        "CosmWasm gas is what `cosmwasm-vm` 3.0.10 metered for the wasm (instructions and host calls such as \
         `secp256k1_verify`), including that of contracts queried; SDK gas (VM) = CosmWasm gas / {COSMWASM_GAS_PER_SDK_GAS}. \
         Storage is priced with the Cosmos SDK KV gas config: read 1000 + 3/byte, write 2000 + 30/byte, delete 1000, \
         iterator step 30 + 3/byte, keys counted with wasmd's 33-byte contract prefix. Events: 10 per attribute, \
         1 per byte above 100 free bytes, 20 per custom event (+1 per byte of its type). \
         Total = SDK gas (VM) + storage + events."
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use cosmwasm_std::Response;

    fn receipt(call: &str, vm_gas: u64, sub_calls: Vec<Receipt>) -> Receipt {
        Receipt {
            contract: "escrow".to_string(),
            call: call.to_string(),
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
    fn sub_calls_get_their_own_rows_and_a_total() {
        let mut measurements = Measurements::default();
        let sub = receipt("execute distribute", 140_000, vec![]);
        measurements.push("Reveal", receipt("execute reveal", 280_000, vec![sub]));
        let table = gas_table(&measurements);
        assert!(table.contains("| Reveal | 280000 | 2 |"));
        assert!(table.contains("↳ escrow `execute distribute`"));
        assert!(table.contains("| = Reveal, whole transaction | 420000 | 3 |"));
    }

    #[test]
    fn the_instance_note_multiplies_the_load_fee() {
        assert!(instance_cost_note(8).contains("480000 SDK gas (16000 pinned)"));
    }
}
