//! The release wasm passes the CosmWasm 3.0 VM's checks and stays within the size budget.
//!
//! Needs `scripts/build-wasm.sh` to have run; fails (not skips) without its artifacts unless
//! `SIBYL_SKIP_WASM_TESTS=1`.

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};
use sibyl_wasm_tests::artifacts::{
    artifacts_dir, load, wasm_tests_skipped, Contract, MAX_WASM_BYTES, SKIP_WASM_TESTS_ENV,
    TARGET_WASM_BYTES,
};
use sibyl_wasm_tests::capabilities::CHAIN_CAPABILITIES;
use sibyl_wasm_tests::chain::Chain;

fn artifact(contract: Contract) -> Option<Vec<u8>> {
    if wasm_tests_skipped() {
        eprintln!("wasm tests skipped ({SKIP_WASM_TESTS_ENV}=1)");
        return None;
    }
    Some(load(contract).unwrap_or_else(|e| panic!("{e}")))
}

#[test]
fn every_contract_passes_the_static_checks_of_a_cosmwasm_3_chain() {
    let chain = Chain::new().unwrap();
    for contract in Contract::ALL {
        let Some(wasm) = artifact(contract) else {
            return;
        };
        let code = chain.store_code(&wasm).unwrap_or_else(|e| {
            panic!(
                "{} fails the CosmWasm 3.0 VM checks (was it lowered by scripts/build-wasm.sh?): {e}",
                contract.file_name()
            )
        });
        let entry_points: Vec<String> = code
            .analysis
            .entrypoints
            .iter()
            .map(|e| e.to_string())
            .collect();
        for required in ["instantiate", "execute", "query"] {
            assert!(
                entry_points.iter().any(|e| e == required),
                "{} does not export `{required}` (built with the `library` feature?): {entry_points:?}",
                contract.file_name()
            );
        }
        for capability in &code.analysis.required_capabilities {
            assert!(
                CHAIN_CAPABILITIES.contains(&capability.as_str()),
                "{} requires capability `{capability}`",
                contract.file_name()
            );
        }
    }
}

#[test]
fn every_contract_is_within_the_size_budget() {
    for contract in Contract::ALL {
        let Some(wasm) = artifact(contract) else {
            return;
        };
        let size = wasm.len() as u64;
        assert!(
            size <= MAX_WASM_BYTES,
            "{} is {size} bytes, above the {MAX_WASM_BYTES}-byte budget",
            contract.file_name()
        );
        if size > TARGET_WASM_BYTES {
            eprintln!(
                "note: {} is {size} bytes, above the {TARGET_WASM_BYTES}-byte target",
                contract.file_name()
            );
        }
    }
}

#[test]
fn checksums_file_matches_the_artifacts() {
    if wasm_tests_skipped() {
        return;
    }
    let path = artifacts_dir().join("checksums.txt");
    let listing = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read {}: {e}; run scripts/build-wasm.sh",
            path.display()
        )
    });
    let listed: BTreeMap<&str, &str> = listing
        .lines()
        .filter_map(|line| line.split_once("  "))
        .map(|(hash, file)| (file, hash))
        .collect();
    for contract in Contract::ALL {
        let Some(wasm) = artifact(contract) else {
            return;
        };
        let actual = hex::encode(Sha256::digest(&wasm));
        assert_eq!(
            listed.get(contract.file_name()).copied(),
            Some(actual.as_str()),
            "checksums.txt is stale for {}; rerun scripts/build-wasm.sh",
            contract.file_name()
        );
    }
}

#[test]
fn the_checks_reject_a_module_that_is_not_a_contract() {
    let chain = Chain::new().unwrap();
    let empty_module = b"\0asm\x01\0\0\0";
    assert!(chain.store_code(empty_module).is_err());
    assert!(chain.store_code(b"not wasm at all").is_err());
}
