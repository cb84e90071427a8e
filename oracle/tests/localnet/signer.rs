//! A node whose attestation key is held only by a `sibyl-oracle signer` process: jobs complete,
//! the signer may be down between a commit and its reveal, and a second, different result for a
//! job is refused by the signer and reported by the node.

use std::time::{Duration, Instant};

use sibyl_api::escrow::{
    events::Committed, ExecuteMsg, JobResponse, JobStatus, OperatorOutcome, QueryMsg,
};
use sibyl_devnet::localnet::SignerNode;
use sibyl_oracle::chain::{execute, query, ChainClient};
use sibyl_oracle::keys::read_public_info;
use sibyl_oracle::signer::config::{RemoteSignerConfig, SignerAddress};
use sibyl_oracle::signer::{AttestationRequest, Refusal, RemoteSigner, SignError};

use super::harness::{self, binary, digit, digit_samples, wait_settled, Consumer, Localnet};
use super::ONE_AT_A_TIME;

/// Waits up to `limit_secs` for `job_id` to settle.
async fn settled(
    consumer: &Consumer,
    escrow: &str,
    job_id: u64,
    limit_secs: u64,
    operators: &[harness::Operator],
) -> JobResponse {
    let limit = Duration::from_secs(limit_secs);
    wait_settled(&consumer.client, escrow, &[job_id], limit, operators)
        .await
        .remove(0)
}

fn outcome(job: &JobResponse, operator: &str) -> OperatorOutcome {
    job.assignments
        .iter()
        .find(|assignment| assignment.operator.as_str() == operator)
        .map(|assignment| assignment.outcome)
        .unwrap()
}

/// Waits until `text` appears in `log()` more often than `before` times.
async fn wait_for_log(log: impl Fn() -> String, text: &str, before: usize, limit: Duration) {
    let started = Instant::now();
    while log().matches(text).count() <= before {
        assert!(
            started.elapsed() < limit,
            "no {text:?} within {limit:?}:\n{}",
            log()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs the local wasmd node: scripts/test.sh runs it"]
async fn a_node_whose_key_only_the_signer_holds_serves_jobs_and_cannot_double_sign() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let localnet = Localnet::start();
    let specs = [("remote", None), ("honest1", None), ("honest2", None)];
    let mut network = harness::network(&localnet, 40, &specs).await;
    let deployment = network.deployment.clone();
    let mut signer = SignerNode::init(
        &binary(),
        &network.deployment_file,
        &network.dir.path().join("signer-host"),
    )
    .unwrap();
    let operators = &mut network.operators;
    operators[0].use_signer(&signer).unwrap();
    let node_dir = operators[0].dir.clone();
    let node_key = read_public_info(&node_dir.join("sibyl-oracle-account.key")).unwrap();
    assert!(
        !node_dir.join("sibyl-oracle.key").exists(),
        "the node host keeps no mnemonic"
    );
    signer.start().await.unwrap();
    for operator in operators.iter_mut() {
        operator.start();
    }
    let remote = operators[0].address.clone();
    let consumer = Consumer::new(&localnet, &deployment).await;
    let samples = digit_samples();

    // A job, signed by the signer.
    let first = consumer.submit(&[samples[0].0.clone()]).await[0];
    let job = settled(&consumer, &deployment.escrow, first, 120, operators).await;
    assert_eq!(job.job.status, JobStatus::Completed);
    assert_eq!(
        outcome(&job, &remote),
        OperatorOutcome::Paid,
        "{}",
        operators[0].log()
    );

    // The signer goes down; the node commits without it, its reveal waits for it, and the
    // restarted signer (its record read back from disk) signs in time.
    signer.stop();
    let unavailable_before = operators[0].log().matches("is unavailable").count();
    let (image, label) = samples[1].clone();
    let second = consumer.submit(&[image]).await[0];
    harness::wait_for_commit(&consumer.client, |committed: &Committed| {
        committed.job_id == second && committed.operator.as_str() == remote
    })
    .await;
    let node_log = || operators[0].log();
    wait_for_log(
        node_log,
        "is unavailable",
        unavailable_before,
        Duration::from_secs(60),
    )
    .await;
    signer.start().await.unwrap();
    let job = settled(&consumer, &deployment.escrow, second, 120, operators).await;
    assert_eq!(job.job.status, JobStatus::Completed);
    assert_eq!(
        digit(&job.result.as_ref().unwrap().output),
        i32::from(label)
    );
    assert_eq!(
        outcome(&job, &remote),
        OperatorOutcome::Paid,
        "{}",
        operators[0].log()
    );

    // Something else got the signer to attest another output for the next job first (a second
    // node on the same key, say): the node's own reveal is refused, and it says so.
    let third = consumer.submit(&[samples[2].0.clone()]).await[0];
    let elsewhere = RemoteSigner::new(
        &RemoteSignerConfig {
            address: SignerAddress::try_from(signer.address()).unwrap(),
            auth_key_file: signer.auth_key_file(),
            request_timeout: Duration::from_secs(5),
        },
        node_key.attestation_pubkey,
    )
    .unwrap();
    let other = AttestationRequest {
        chain_id: deployment.chain_id.clone(),
        escrow: deployment.escrow.clone(),
        job_id: third,
        model_hash: job.job.model_hash.to_array().unwrap(),
        input_hash: sibyl_api::attestation::input_hash(&samples[2].0),
        output_hash: [0xee; 32],
    };
    elsewhere.sign(&other).await.unwrap();
    let node_log = || operators[0].log();
    wait_for_log(node_log, "signer_refused", 0, Duration::from_secs(60)).await;
    // The job waits for the missing reveal until its deadline; then anyone may settle it.
    let open: JobResponse = query(
        &consumer.client,
        &deployment.escrow,
        &QueryMsg::Job { job_id: third },
    )
    .await
    .unwrap();
    while consumer.client.latest_height().await.unwrap() <= open.job.reveal_deadline {
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    execute(
        &consumer.client,
        &deployment.escrow,
        &ExecuteMsg::Settle { job_id: third },
        vec![],
    )
    .await
    .unwrap();
    let job = settled(&consumer, &deployment.escrow, third, 30, operators).await;
    assert_eq!(job.job.status, JobStatus::Completed, "the honest two agree");
    assert_eq!(outcome(&job, &remote), OperatorOutcome::SlashedMissed);
    let log = operators[0].log();
    assert!(log.contains("signer_refused"), "{log}");
    assert!(log.contains("double-signing guard"), "{log}");
    let metrics = operators[0].metrics().await;
    assert!(
        metrics
            .lines()
            .any(|line| line.starts_with("sibyl_job_failures_total{reason=\"signer_refused\"} 1")),
        "{metrics}"
    );
    assert!(operators[0].is_running(), "{log}");
    // The guard outlives a restart of the signer too.
    signer.stop();
    signer.start().await.unwrap();
    let first_signature = elsewhere.sign(&other).await;
    assert!(
        first_signature.is_ok(),
        "the same attestation again: {first_signature:?}"
    );
    let mut node_output = other.clone();
    node_output.output_hash = [0x11; 32];
    let refused = elsewhere.sign(&node_output).await.err();
    assert!(
        matches!(
            &refused,
            Some(SignError::Refused(Refusal::DoubleSign { job_id, signed_output_hash }))
                if *job_id == third && *signed_output_hash == [0xee; 32]
        ),
        "{refused:?}"
    );
}
