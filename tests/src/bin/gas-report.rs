//! Prints markdown tables of what every contract message costs on the real release wasm:
//! `scripts/build-wasm.sh && cargo run -p sibyl-wasm-tests --bin gas-report --release`.

use std::fmt::Write;
use std::process::ExitCode;

use sibyl_wasm_tests::artifacts::{self, Contract, MAX_WASM_BYTES, TARGET_WASM_BYTES};
use sibyl_wasm_tests::chain::Chain;
use sibyl_wasm_tests::report::{gas_table, instance_cost_note, lifecycle_table, pricing_legend};
use sibyl_wasm_tests::scenarios::{consumer, escrow, staking, store, ScenarioError};
use sibyl_wasm_tests::targets;

fn main() -> ExitCode {
    match render() {
        Ok(report) => {
            print!("{report}");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("gas-report: {error}");
            ExitCode::FAILURE
        }
    }
}

fn render() -> Result<String, ScenarioError> {
    let mut out = String::new();
    let _ = writeln!(out, "## Wasm artifacts\n");
    let _ = writeln!(
        out,
        "| Artifact | Bytes | KiB | ≤ {} KiB target | ≤ {} KiB budget | Required capabilities | Entry points |\n|---|--:|--:|:-:|:-:|---|---|",
        TARGET_WASM_BYTES / 1024,
        MAX_WASM_BYTES / 1024
    );
    let chain = Chain::new()?;
    for contract in Contract::ALL {
        let wasm = artifacts::load(contract)?;
        let code = chain.store_code(&wasm)?;
        let size = wasm.len() as u64;
        let capabilities: Vec<_> = code
            .analysis
            .required_capabilities
            .iter()
            .cloned()
            .collect();
        let entry_points: Vec<_> = code
            .analysis
            .entrypoints
            .iter()
            .map(|e| e.to_string())
            .collect();
        let _ = writeln!(
            out,
            "| {} | {size} | {:.1} | {} | {} | {} | {} |",
            contract.file_name(),
            size as f64 / 1024.0,
            mark(size <= TARGET_WASM_BYTES),
            mark(size <= MAX_WASM_BYTES),
            capabilities.join(", "),
            entry_points.join(", ")
        );
    }

    let chain = Chain::new()?;
    let staking_code = store(&chain, Contract::Staking)?.checksum;
    let staking_rows = staking::measure(&chain, &staking_code)?;
    let _ = writeln!(
        out,
        "\n## Staking\n\nState: {} operators with {} delegators each, active set of {}.\n",
        staking::OPERATORS,
        staking::DELEGATORS_PER_OPERATOR,
        staking::MAX_ACTIVE_OPERATORS
    );
    out.push_str(&gas_table(&staking_rows));

    let chain = Chain::new()?;
    let staking_code = store(&chain, Contract::Staking)?.checksum;
    let escrow_code = store(&chain, Contract::JobEscrow)?.checksum;
    let escrow_report = escrow::measure(&chain, &staking_code, &escrow_code)?;
    let _ = writeln!(
        out,
        "\n## Job escrow\n\nState: the staking state above, {} completed k=3 jobs before the measured ones; \
         {}-byte inline input, {}-byte output. Cross-contract queries run the staking wasm.\n",
        escrow::PRIOR_JOBS,
        escrow::INPUT_BYTES,
        escrow::OUTPUT_BYTES
    );
    out.push_str(&gas_table(&escrow_report.messages));

    let _ = writeln!(out, "\n## Lifecycle of a k=3 job (all operators agree)\n");
    out.push_str(&lifecycle_table(&escrow_report.lifecycle));
    let lifecycle_gas = escrow_report.lifecycle.total_gas();
    let _ = writeln!(
        out,
        "\n{}",
        instance_cost_note(lifecycle_gas.instance_loads())
    );
    let _ = writeln!(
        out,
        "\n## Lifecycle of a k=3 job (one operator misses, slashed at settlement)\n"
    );
    out.push_str(&lifecycle_table(&escrow_report.lifecycle_with_miss));

    let chain = Chain::new()?;
    let staking_code = store(&chain, Contract::Staking)?.checksum;
    let escrow_code = store(&chain, Contract::JobEscrow)?.checksum;
    let consumer_code = store(&chain, Contract::ExampleConsumer)?.checksum;
    let consumer_report = consumer::measure(&chain, &staking_code, &escrow_code, &consumer_code)?;
    let _ = writeln!(out, "\n## Example consumer\n");
    out.push_str(&gas_table(&consumer_report.messages));
    let _ = writeln!(
        out,
        "\n### Lifecycle of a k=3 job submitted through the consumer\n"
    );
    out.push_str(&lifecycle_table(&consumer_report.job));

    let _ = writeln!(out, "\n## Targets\n");
    let mut violations = targets::staking_violations(&staking_rows);
    let escrow_receipts: Vec<_> = escrow_report
        .messages
        .rows
        .iter()
        .map(|m| &m.receipt)
        .collect();
    violations.extend(targets::staking_sub_call_violations(&escrow_receipts));
    violations.extend(targets::lifecycle_violation(&escrow_report.lifecycle));
    let _ = writeln!(
        out,
        "- staking transactions ≤ {} SDK gas; k=3 lifecycle ≤ {} SDK gas (measured: {}).",
        targets::MAX_STAKING_MESSAGE_SDK_GAS,
        targets::MAX_K3_LIFECYCLE_SDK_GAS,
        lifecycle_gas.total_sdk_gas()
    );
    if violations.is_empty() {
        let _ = writeln!(out, "- all met.");
    }
    for violation in violations {
        let _ = writeln!(out, "- **missed**: {violation}");
    }
    let _ = writeln!(out, "\n{}", pricing_legend());
    Ok(out)
}

fn mark(ok: bool) -> &'static str {
    if ok {
        "yes"
    } else {
        "**no**"
    }
}
