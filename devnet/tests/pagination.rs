//! More pending jobs than one `PendingWork` page: 100 jobs wait in the reveal wait behind a silent
//! co-assigned operator while new assignments keep arriving. Every job settles, the honest
//! operators are paid for each and never slashed; only the silent one is slashed for liveness.

mod common;

use common::Network;
use sibyl_api::escrow::{JobStatus, OperatorOutcome, MAX_QUERY_LIMIT};
use sibyl_devnet::demo::operators::Faults;

const JOBS: u64 = 100;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_job_beyond_the_first_page_is_served() {
    assert!(JOBS > 3 * u64::from(MAX_QUERY_LIMIT));
    // Three operators and k = 3: every job goes to all of them, and the silent one keeps every
    // job waiting for the reveal phase until its commit deadline.
    let network = Network::start_with(
        3,
        Faults {
            faulty: 0,
            silent: 1,
        },
        160,
    )
    .await;
    let nodes = [network.start_node(0).await, network.start_node(1).await];
    let image = &network.digits.samples()[0].image;
    let mut jobs = Vec::new();
    for _ in 0..JOBS {
        jobs.push(network.submit(image, 3, 2).await);
    }
    let silent = network.operators[2].address.clone();
    let expected = network.expected_output_hash(image);
    for job_id in jobs {
        let job = network.settle_after_deadline(job_id).await;
        assert_eq!(job.job.status, JobStatus::Completed, "{job:?}");
        assert_eq!(
            job.result.as_ref().map(|r| r.output_hash.to_vec()),
            Some(expected.to_vec())
        );
        for assignment in &job.assignments {
            let outcome = if assignment.operator.as_str() == silent {
                OperatorOutcome::SlashedMissed
            } else {
                OperatorOutcome::Paid
            };
            assert_eq!(assignment.outcome, outcome, "job {job_id}: {job:?}");
        }
    }
    for node in nodes {
        assert_eq!(node.metrics().job_failures("window_missed"), 0);
        node.stop();
        node.wait().await.expect("clean stop");
    }
}
