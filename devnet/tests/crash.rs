//! Crash safety: a node stopped between its commit and its reveal reveals after a restart from
//! its database (and is paid, not slashed); a missing or corrupted database is a clear error.

mod common;

use common::Network;
use sibyl_api::escrow::{JobStatus, OperatorOutcome};
use sibyl_oracle::node::{self, DatabaseMode, NodeError, NodeParts};
use sibyl_oracle::signer::AttestationSigner;
use tokio_util::sync::CancellationToken;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_node_restarted_after_its_commit_reveals_from_its_database() {
    let network = Network::start(3, 0).await;
    // Operators 0 and 1 run; operator 2 stays down so the reveal phase cannot open yet.
    let restarted = network.start_node(0).await;
    let other = network.start_node(1).await;
    let sample = &network.digits.samples()[0];
    let job_id = network.submit(&sample.image, 3, 2).await;

    let operator0 = network.operators[0].address.clone();
    network
        .wait_for_job(job_id, 200, |job| {
            job.assignments
                .iter()
                .any(|a| a.operator.as_str() == operator0 && a.commitment.is_some())
        })
        .await;
    let saved = restarted
        .records()
        .store()
        .execution(job_id)
        .expect("output and salt saved before the commit");
    restarted.stop();
    restarted.wait().await.expect("clean stop");

    // The last operator commits: the reveal phase opens while operator 0 is down.
    let last = network.start_node(2).await;
    network
        .wait_for_job(job_id, 200, |job| job.reveals >= 2)
        .await;
    // Settlement waits for the last reveal (or the deadline): the job is still open.
    assert_eq!(network.job(job_id).await.job.status, JobStatus::Open);

    let back = network
        .start_node_with(0, network.node_config(0), DatabaseMode::MustExist)
        .await;
    let job = network.wait_settled(job_id).await;
    assert_eq!(job.job.status, JobStatus::Completed);
    assert_eq!(job.reveals, 3, "the restarted node revealed: {job:?}");
    let mine = job
        .assignments
        .iter()
        .find(|a| a.operator.as_str() == operator0)
        .expect("operator 0 assigned");
    assert_eq!(mine.outcome, OperatorOutcome::Paid);
    assert_eq!(
        mine.output_hash.as_ref().map(|h| h.to_vec()),
        Some(saved.output_hash.to_vec())
    );
    for node in [other, last, back] {
        node.stop();
        node.wait().await.expect("clean stop");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_database_is_an_error_on_restart() {
    let network = Network::start(3, 0).await;
    let operator = &network.operators[0];
    let error = node::start(
        network.node_config(0),
        NodeParts {
            client: network.chain.client(&operator.address),
            signer: AttestationSigner::local(operator.keys.attestation().clone()),
            executor: network.executor.clone(),
        },
        DatabaseMode::MustExist,
        CancellationToken::new(),
    )
    .await
    .err()
    .expect("a missing database must not start a node");
    assert!(matches!(error, NodeError::Database(_)), "{error}");
    let message = error.to_string();
    assert!(message.contains("oracle.redb"), "{message}");
    assert!(message.contains("does not exist"), "{message}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_corrupted_database_is_an_error() {
    let network = Network::start(3, 0).await;
    let config = network.node_config(0);
    std::fs::create_dir_all(&config.data_dir).expect("data dir");
    std::fs::write(node::database_path(&config), b"this is not a database").expect("write");
    let operator = &network.operators[0];
    let error = node::start(
        config,
        NodeParts {
            client: network.chain.client(&operator.address),
            signer: AttestationSigner::local(operator.keys.attestation().clone()),
            executor: network.executor.clone(),
        },
        DatabaseMode::CreateIfMissing,
        CancellationToken::new(),
    )
    .await
    .err()
    .expect("a corrupted database must not start a node");
    assert!(matches!(error, NodeError::Database(_)), "{error}");
    assert!(error.to_string().contains("corrupted"), "{error}");
}
