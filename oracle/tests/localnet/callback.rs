//! A consumer callback that runs out of gas on the real chain (the escrow's `callback_gas_limit`
//! set to its minimum, below what wasmd charges to load any contract): settlement still goes
//! through, the job records the callback's error, and the example consumer hands over the
//! result and the refund with `reconcile`, so nothing is stranded.

use std::time::Duration;

use sibyl_api::escrow::{
    ConfigUpdate, ExecuteMsg, JobResponse, JobStatus, OperatorOutcome, QueryMsg,
};
use sibyl_api::example_consumer::{
    ExecuteMsg as ConsumerMsg, QueryMsg as ConsumerQuery, RequestResponse, RequestStatus,
};
use sibyl_oracle::chain::{execute, query, ChainClient};
use sibyl_oracle::keys::OperatorKeys;

use super::harness::{self, digit_samples, wait_settled, Consumer, Localnet, PASSPHRASE};
use super::ONE_AT_A_TIME;

/// The escrow's lowest `callback_gas_limit`.
const STARVED_CALLBACK_GAS: u64 = 10_000;

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs the local wasmd node: scripts/test.sh runs it"]
async fn a_callback_that_runs_out_of_gas_blocks_no_settlement_and_strands_nothing() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let localnet = Localnet::start();
    let specs = [("op1", None), ("op2", None), ("op3", None)];
    let mut network = harness::network(&localnet, 40, &specs).await;
    let deployment = network.deployment.clone();
    let admin_keys = OperatorKeys::load(&network.dir.path().join("admin.key"), PASSPHRASE).unwrap();
    let admin = localnet.client(&admin_keys).await;
    execute(
        &admin,
        &deployment.escrow,
        &ExecuteMsg::UpdateConfig(ConfigUpdate {
            callback_gas_limit: Some(STARVED_CALLBACK_GAS),
            ..ConfigUpdate::default()
        }),
        vec![],
    )
    .await
    .unwrap();
    let operators = &mut network.operators;
    for operator in operators.iter_mut() {
        operator.start();
    }
    // The second job needs all three active: none may miss the first for a slow start.
    for operator in operators.iter_mut() {
        operator
            .wait_healthy(Duration::from_secs(60))
            .await
            .unwrap();
    }
    let consumer = Consumer::new(&localnet, &deployment).await;
    let samples = digit_samples();
    let request = |job_id| ConsumerQuery::Request { job_id };
    let job = |job_id| QueryMsg::Job { job_id };

    // A completed job: the settling reveal lands although the callback ran out of gas.
    let completed = consumer.submit(&[samples[0].0.clone()]).await[0];
    let settled = wait_settled(
        &consumer.client,
        &deployment.escrow,
        &[completed],
        Duration::from_secs(120),
        operators,
    )
    .await
    .remove(0);
    assert_eq!(settled.job.status, JobStatus::Completed);
    let problems: Vec<String> = operators.iter().map(|o| o.problems()).collect();
    assert!(
        settled
            .assignments
            .iter()
            .all(|a| a.outcome == OperatorOutcome::Paid),
        "{:?}\n{}",
        settled.assignments,
        problems.join("\n")
    );
    let error = settled.callback_error.clone();
    assert!(
        error.as_deref().is_some_and(|e| e.contains("code: 11")),
        "the callback ran out of gas (sdk code 11): {error:?}"
    );
    let pending: RequestResponse = query(&admin, &deployment.consumer, &request(completed))
        .await
        .unwrap();
    assert_eq!(pending.status, RequestStatus::Pending, "no callback landed");
    execute(
        &admin,
        &deployment.consumer,
        &ConsumerMsg::Reconcile { job_id: completed },
        vec![],
    )
    .await
    .unwrap();
    let reconciled: RequestResponse = query(&admin, &deployment.consumer, &request(completed))
        .await
        .unwrap();
    assert_eq!(reconciled.status, RequestStatus::Completed);
    assert_eq!(
        reconciled.output,
        settled.result.map(|result| result.output)
    );

    // A failed job: its refund reaches the consumer contract, whose callback runs out of gas;
    // reconcile forwards the refund to the requester.
    for operator in operators.iter_mut() {
        operator.stop();
    }
    let failed = consumer.submit(&[samples[1].0.clone()]).await[0];
    // No node runs to draw it: the admin sends the assignment, in a later block.
    let submitted = admin.latest_height().await.unwrap();
    admin.wait_for_block_after(submitted).await.unwrap();
    execute(
        &admin,
        &deployment.escrow,
        &ExecuteMsg::AssignJobs { limit: None },
        vec![],
    )
    .await
    .expect("assign the job");
    let open: JobResponse = query(&admin, &deployment.escrow, &job(failed))
        .await
        .unwrap();
    while admin.latest_height().await.unwrap() <= open.job.commit_deadline {
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    execute(
        &admin,
        &deployment.escrow,
        &ExecuteMsg::Settle { job_id: failed },
        vec![],
    )
    .await
    .expect("settlement goes through the starved callback");
    let closed: JobResponse = query(&admin, &deployment.escrow, &job(failed))
        .await
        .unwrap();
    assert_eq!(closed.job.status, JobStatus::Failed);
    assert!(closed.callback_error.is_some());
    let refund = closed.job.refund.clone().expect("a failed job refunds");
    assert!(!refund.amount.is_zero());
    let balance = |address: String| {
        let admin = admin.clone();
        let denom = refund.denom.clone();
        async move { admin.balance(&address, &denom).await.unwrap() }
    };
    let requester = consumer.client.account().to_string();
    let requester_before = balance(requester.clone()).await;
    let contract_before = balance(deployment.consumer.clone()).await;
    execute(
        &admin,
        &deployment.consumer,
        &ConsumerMsg::Reconcile { job_id: failed },
        vec![],
    )
    .await
    .unwrap();
    let refunded = refund.amount;
    assert_eq!(balance(requester).await, requester_before + refunded);
    assert_eq!(
        balance(deployment.consumer.clone()).await,
        contract_before - refunded
    );
    let request: RequestResponse = query(&admin, &deployment.consumer, &request(failed))
        .await
        .unwrap();
    assert_eq!(request.status, RequestStatus::Failed);
    // Paid once: a second reconcile is refused.
    assert!(execute(
        &admin,
        &deployment.consumer,
        &ConsumerMsg::Reconcile { job_id: failed },
        vec![],
    )
    .await
    .is_err());
}
