//! End to end: operators' nodes on the embedded chain settle jobs with the right answers, and a
//! faulty operator is slashed and jailed while the jobs still settle.

mod common;

use std::time::Duration;

use common::Network;
use sibyl_api::escrow::{JobStatus, OperatorOutcome};
use sibyl_api::staking::{self, OperatorResponse, OperatorStatus};
use sibyl_devnet::demo::operators::Role;
use sibyl_devnet::demo::{self, DemoOptions};
use sibyl_oracle::chain::query;
use sibyl_oracle::config::BackendChoice;
use sibyl_oracle::store::SettlementOutcome;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn honest_operators_settle_every_job_with_the_reference_output() {
    let network = Network::start(3, 0).await;
    let nodes = [
        network.start_node(0).await,
        network.start_node(1).await,
        network.start_node(2).await,
    ];
    let samples = network.digits.samples();
    let mut jobs = Vec::new();
    for sample in samples.iter().take(4) {
        let job_id = network.submit(&sample.image, 3, 2).await;
        jobs.push((job_id, network.expected_output_hash(&sample.image)));
    }
    for (job_id, expected) in jobs {
        let job = network.wait_settled(job_id).await;
        assert_eq!(job.job.status, JobStatus::Completed, "{job:?}");
        let result = job.result.expect("completed jobs have a result");
        assert_eq!(result.output_hash.as_slice(), expected);
        assert!(job
            .assignments
            .iter()
            .all(|a| a.outcome == OperatorOutcome::Paid));
        // Every node records the settlement and its earnings once it sees the block.
        for node in &nodes {
            let mut settlement = None;
            for _ in 0..200 {
                let record = node.records().store().job(job_id).expect("database");
                settlement = record.and_then(|record| record.settlement);
                if settlement.is_some() {
                    break;
                }
                network.wait_blocks(1).await;
            }
            let settlement = settlement.expect("settlement recorded");
            assert_eq!(settlement.outcome, SettlementOutcome::Agreed);
            assert!(settlement.earnings > 0);
        }
    }
    for node in nodes {
        node.stop();
        node.wait().await.expect("clean stop");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_faulty_operator_is_slashed_and_jailed_and_jobs_still_settle() {
    let network = Network::start(3, 1).await;
    let faulty = network.operators[2].address.clone();
    let nodes = [
        network.start_node(0).await,
        network.start_node(1).await,
        network.start_node(2).await,
    ];
    let samples = network.digits.samples();
    let first = network.submit(&samples[0].image, 3, 2).await;
    let second = network.submit(&samples[1].image, 3, 2).await;
    for (job_id, sample) in [(first, &samples[0]), (second, &samples[1])] {
        let job = network.wait_settled(job_id).await;
        assert_eq!(job.job.status, JobStatus::Completed, "{job:?}");
        assert_eq!(
            job.result.expect("result").output_hash.as_slice(),
            network.expected_output_hash(&sample.image)
        );
        for assignment in &job.assignments {
            let expected = if assignment.operator.as_str() == faulty {
                OperatorOutcome::SlashedWrongResult
            } else {
                OperatorOutcome::Paid
            };
            assert_eq!(assignment.outcome, expected);
        }
    }
    let operator: OperatorResponse = query(
        &network.chain.client(&network.accounts.admin),
        &network.deployment.staking,
        &staking::QueryMsg::Operator {
            address: faulty.clone(),
        },
    )
    .await
    .expect("operator query");
    assert_eq!(operator.status, OperatorStatus::Jailed);
    assert!(operator.self_bond.u128() < demo::operators::SELF_BOND);
    for node in nodes {
        node.stop();
        node.wait().await.expect("clean stop");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_demo_settles_every_job_and_reconciles() {
    let summary = demo::run(DemoOptions {
        operators: 4,
        faulty: 1,
        jobs: 6,
        block_time: Duration::from_millis(25),
        backend: BackendChoice::Auto,
        print_table: false,
        ..DemoOptions::default()
    })
    .await
    .expect("demo runs");
    assert_eq!(summary.submitted, 6);
    assert_eq!(summary.completed + summary.failed, 6);
    assert!(summary.reconciled(), "{summary}");
    assert!(summary
        .operators
        .iter()
        .any(|op| op.role == Role::Faulty && op.status == OperatorStatus::Jailed));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_demo_slashes_a_silent_operator_for_its_missed_jobs() {
    let summary = demo::run(DemoOptions {
        operators: 4,
        faulty: 0,
        silent: 1,
        jobs: 6,
        block_time: Duration::from_millis(25),
        window_blocks: Some(40),
        backend: BackendChoice::Cpu,
        print_table: false,
        ..DemoOptions::default()
    })
    .await
    .expect("demo runs");
    assert_eq!(summary.completed, 6, "{summary}");
    assert!(summary.reconciled(), "{summary}");
    for op in &summary.operators {
        if op.role == Role::Silent {
            assert!(op.slashes > 0 && op.slashed > 0, "{summary}");
            assert_eq!(op.status, OperatorStatus::Jailed, "{summary}");
        } else {
            assert_eq!((op.slashes, op.slashed), (0, 0), "{summary}");
        }
    }
}
