//! Gas targets on the real wasm; gas is deterministic, so these fail on any regression past them.
//!
//! Needs `scripts/build-wasm.sh` to have run; fails (not skips) without its artifacts unless
//! `SIBYL_SKIP_WASM_TESTS=1`.

use std::sync::OnceLock;

use sibyl_api::escrow::JobStatus;
use sibyl_wasm_tests::artifacts::{wasm_tests_skipped, Contract, SKIP_WASM_TESTS_ENV};
use sibyl_wasm_tests::chain::Chain;
use sibyl_wasm_tests::pricing::sdk_gas_from_vm_gas;
use sibyl_wasm_tests::scenarios::escrow::{self, EscrowReport};
use sibyl_wasm_tests::scenarios::{staking, store, Measurements};
use sibyl_wasm_tests::targets;

/// CosmWasm gas the VM charges for one `secp256k1_verify`.
const SECP256K1_VERIFY_COST: u64 = 96_000_000;

fn skipped() -> bool {
    let skipped = wasm_tests_skipped();
    if skipped {
        eprintln!("wasm tests skipped ({SKIP_WASM_TESTS_ENV}=1)");
    }
    skipped
}

/// The staking measurements, run once for all tests of this file.
fn staking_rows() -> &'static Measurements {
    static ROWS: OnceLock<Measurements> = OnceLock::new();
    ROWS.get_or_init(|| {
        let chain = Chain::new().unwrap();
        let code = store(&chain, Contract::Staking).unwrap_or_else(|e| panic!("{e}"));
        staking::measure(&chain, &code.checksum).unwrap_or_else(|e| panic!("{e}"))
    })
}

fn escrow_report() -> &'static EscrowReport {
    static REPORT: OnceLock<EscrowReport> = OnceLock::new();
    REPORT.get_or_init(|| {
        let chain = Chain::new().unwrap();
        let staking_code = store(&chain, Contract::Staking).unwrap_or_else(|e| panic!("{e}"));
        let escrow_code = store(&chain, Contract::JobEscrow).unwrap_or_else(|e| panic!("{e}"));
        escrow::measure(&chain, &staking_code.checksum, &escrow_code.checksum)
            .unwrap_or_else(|e| panic!("{e}"))
    })
}

#[test]
fn every_staking_message_stays_under_its_gas_target() {
    if skipped() {
        return;
    }
    let violations = targets::staking_violations(staking_rows());
    assert!(violations.is_empty(), "{}", violations.join("\n"));
}

#[test]
fn staking_calls_made_by_the_escrow_stay_under_the_same_target() {
    if skipped() {
        return;
    }
    let receipts: Vec<_> = escrow_report()
        .messages
        .rows
        .iter()
        .map(|m| &m.receipt)
        .collect();
    let violations = targets::staking_sub_call_violations(&receipts);
    assert!(violations.is_empty(), "{}", violations.join("\n"));
}

#[test]
fn a_k3_job_lifecycle_stays_under_its_gas_target() {
    if skipped() {
        return;
    }
    let lifecycle = &escrow_report().lifecycle;
    if let Some(violation) = targets::lifecycle_violation(lifecycle) {
        panic!("{violation}");
    }
}

#[test]
fn the_measured_lifecycle_is_a_real_one() {
    if skipped() {
        return;
    }
    let lifecycle = &escrow_report().lifecycle;
    assert_eq!(lifecycle.final_status, JobStatus::Completed);
    assert_eq!(lifecycle.commits.len(), 3);
    assert_eq!(lifecycle.reveals.len(), 3);
    for reveal in &lifecycle.reveals {
        // The escrow verified an attestation signature in every reveal.
        assert!(reveal.gas.vm_gas > SECP256K1_VERIFY_COST, "{}", reveal.gas);
    }
    // Settlement paid the three agreeing operators through the staking contract.
    let settling: Vec<_> = lifecycle
        .reveals
        .iter()
        .chain(lifecycle.settle.iter())
        .flat_map(|r| r.flatten())
        .filter(|r| r.contract == "staking" && r.call == "execute distribute")
        .collect();
    assert_eq!(
        settling.len(),
        3,
        "expected one Distribute per agreeing operator"
    );
    // Submission (checking there are enough operators) and assignment (drawing them) asked the
    // staking contract (its real wasm) for the active set.
    for gas in [&lifecycle.submit.gas, &lifecycle.assign.gas] {
        assert!(gas.contract_queries >= 1 && gas.query_vm_gas > 0, "{gas:?}");
    }
    assert!(sdk_gas_from_vm_gas(lifecycle.total_gas().vm_gas) > 0);
}

#[test]
fn a_job_with_a_missing_operator_is_settled_with_a_slash() {
    if skipped() {
        return;
    }
    let run = &escrow_report().lifecycle_with_miss;
    assert_eq!(run.commits.len(), 2);
    let slashes = run
        .transactions()
        .into_iter()
        .flat_map(|(_, r)| r.flatten())
        .filter(|r| r.contract == "staking" && r.call == "execute slash")
        .count();
    assert_eq!(
        slashes, 1,
        "the operator that never committed is slashed once"
    );
    assert_eq!(
        run.final_status,
        JobStatus::Completed,
        "two of three agreeing make a quorum"
    );
}

#[test]
fn gas_measurements_are_deterministic() {
    if skipped() {
        return;
    }
    let measure = || {
        let chain = Chain::new().unwrap();
        let code = store(&chain, Contract::Staking).unwrap_or_else(|e| panic!("{e}"));
        let admin = chain.account("staking-admin");
        let msg = staking::instantiate_msg(&chain, &admin);
        let (_, receipt) = chain
            .instantiate(&code.checksum, "staking", &admin, &msg, &[])
            .unwrap();
        receipt.gas
    };
    assert_eq!(measure(), measure());
}
