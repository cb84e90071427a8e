//! `sibyl-oracle demo --chain localnet`: the demo's own path on the real chain, with the binary
//! under test as every operator's node.

use std::path::PathBuf;

use sibyl_api::staking::OperatorStatus;
use sibyl_devnet::demo::{self, ChainReport, DemoChain, DemoOptions};
use sibyl_oracle::config::BackendChoice;

use crate::harness::{self, Localnet};
use crate::ONE_AT_A_TIME;

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs the local wasmd node: scripts/test.sh runs it"]
async fn the_demo_settles_every_job_on_the_localnet() {
    let _turn = ONE_AT_A_TIME.lock().await;
    // Started here, so that the demo finds it running (and leaves it running).
    let _localnet = Localnet::start();
    let dir = harness::test_dir();
    let jobs = 12;
    let summary = demo::run(DemoOptions {
        chain: DemoChain::Localnet,
        operators: 4,
        faulty: 1,
        jobs,
        window_blocks: Some(40),
        backend: BackendChoice::Cpu,
        data_dir: Some(dir.path().to_path_buf()),
        repo_root: harness::repo_root(),
        localnet_home: Some(harness::localnet_home()),
        oracle_binary: Some(PathBuf::from(env!("CARGO_BIN_EXE_sibyl-oracle"))),
        ..DemoOptions::default()
    })
    .await
    .unwrap();

    assert_eq!(summary.submitted, jobs, "{summary}");
    assert_eq!(summary.completed, jobs, "{summary}");
    assert_eq!(summary.correct, jobs, "{summary}");
    assert!(summary.reconciled(), "{summary}");
    let faulty = summary.operators.last().unwrap();
    assert_eq!(faulty.status, OperatorStatus::Jailed, "{summary}");
    assert!(faulty.slashes > 0 && faulty.slashed > 0, "{summary}");
    for honest in &summary.operators[..3] {
        assert_eq!(honest.slashes, 0, "{summary}");
    }
    let ChainReport::Localnet {
        nodes, request_gas, ..
    } = &summary.chain
    else {
        panic!("not a localnet report: {summary}");
    };
    assert_eq!(nodes.len(), 4);
    assert_eq!(request_gas.0, u64::from(jobs));
    assert!(request_gas.1 > 0);
    let inferences: u64 = nodes.iter().map(|node| node.executions).sum();
    assert!(inferences >= u64::from(jobs) * 2, "{summary}");
}
