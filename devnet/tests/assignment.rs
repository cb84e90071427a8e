//! Assignment on real nodes: the escrow draws a job's operators only in a later block than its
//! submission, and the nodes send `AssignJobs` themselves, so a consumer that only submits still
//! gets its job served; a node that is not drawn, or is down, changes nothing.

mod common;

use common::Network;
use sibyl_api::escrow::{JobPhase, JobStatus};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn nodes_assign_a_submitted_job_in_a_later_block_and_serve_it() {
    let network = Network::start(3, 0).await;
    let image = network.digits.samples()[0].image.clone();

    // No node runs: the job waits for its draw, with no operators and no deadlines.
    let waiting = network.submit(&image, 1, 1).await;
    network.wait_blocks(3).await;
    let job = network.job(waiting).await;
    assert_eq!(job.job.phase, Some(JobPhase::Assignment));
    assert!(job.assignments.is_empty());
    assert_eq!((job.job.commit_deadline, job.job.reveal_deadline), (0, 0));

    // One node, which may or may not be drawn, assigns it; the drawn operator serves it once its
    // node runs too.
    let mut nodes = vec![network.start_node(0).await];
    let assigned = network
        .wait_for_job(waiting, 50, |job| !job.assignments.is_empty())
        .await;
    let assigned_height = assigned.job.assigned_height.expect("assigned");
    assert!(assigned_height > assigned.job.submitted_height);
    for operator in 1..3 {
        nodes.push(network.start_node(operator).await);
    }
    let settled = network.wait_settled(waiting).await;
    assert_eq!(settled.job.status, JobStatus::Completed);

    // With every node running, all of them race to assign the next job; it is drawn once.
    let raced = network.submit(&image, 3, 2).await;
    let settled = network.wait_settled(raced).await;
    assert_eq!(settled.job.status, JobStatus::Completed);
    assert_eq!(settled.assignments.len(), 3);
    assert!(settled.job.assigned_height.expect("assigned") > settled.job.submitted_height);
    for node in nodes {
        node.stop();
        node.wait().await.expect("clean stop");
    }
}
