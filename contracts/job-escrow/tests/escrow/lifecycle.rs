//! Whole job lifecycles and their money flows.

use cosmwasm_std::{coins, Binary, Uint128, Uint256};
use cw_multi_test::Executor;
use sibyl_api::consumer::CallbackStatus;
use sibyl_api::escrow::{ExecuteMsg, JobPhase, JobStatus, JobsFilter, OperatorOutcome, WorkAction};
use sibyl_example_consumer::msg::{ExecuteMsg as ConsumerMsg, RequestStatus};

use crate::suite::*;

const OUTPUT: &[u8] = b"canonical output";
const WRONG: &[u8] = b"something else";

/// (per-operator share, protocol fee, remainder) of a job with redundancy `k`.
fn split(suite: &Suite, k: u32) -> (u128, u128, u128) {
    let total = suite.price(k);
    let fee = total * u128::from(PROTOCOL_FEE_BPS) / 10_000;
    let pool = total - fee;
    (pool / u128::from(k), fee, pool % u128::from(k))
}

#[test]
fn happy_path_k3_m2_pays_everyone_and_stores_the_output() {
    let mut suite = Suite::new(5);
    let user = suite.user.clone();
    let user_before = suite.balance(&user);
    let job_id = suite.submit(3, 2, None);
    assert_eq!(suite.balance(&suite.escrow.clone()), suite.price(3));
    assert_eq!(suite.balance(&user), user_before - suite.price(3));

    let assigned = suite.assigned(job_id);
    assert_eq!(assigned.len(), 3);
    let job = suite.job(job_id);
    assert_eq!(job.job.phase, Some(JobPhase::Commit));
    for operator in &assigned {
        let work = suite.pending_work(operator).work;
        assert_eq!(work.len(), 1);
        assert_eq!(work[0].action, WorkAction::Commit);
        assert_eq!(work[0].job_id, job_id);
        assert_eq!(
            work[0].consumer, user,
            "operators bound their work per consumer"
        );
    }

    for operator in &assigned {
        suite.commit(job_id, operator, OUTPUT).unwrap();
    }
    assert_eq!(suite.job(job_id).job.phase, Some(JobPhase::Reveal));
    assert_eq!(
        suite.pending_work(&assigned[0]).work[0].action,
        WorkAction::Reveal
    );

    suite.reveal(job_id, &assigned[0], OUTPUT).unwrap();
    suite.reveal(job_id, &assigned[1], OUTPUT).unwrap();
    assert_eq!(suite.job(job_id).job.status, JobStatus::Open);
    let staking_before = suite.balance(&suite.staking.clone());
    let response = suite.reveal(job_id, &assigned[2], OUTPUT).unwrap();
    assert_eq!(
        event_attr(&response, "wasm-sibyl_settle", "status").as_deref(),
        Some("completed")
    );

    let job = suite.job(job_id);
    assert_eq!(job.job.status, JobStatus::Completed);
    assert_eq!(job.job.phase, None);
    let result = job.result.unwrap();
    assert_eq!(result.output, Binary::from(OUTPUT));
    assert!(job
        .assignments
        .iter()
        .all(|a| a.outcome == OperatorOutcome::Paid));

    let (share, fee, remainder) = split(&suite, 3);
    assert_eq!(
        suite.balance(&suite.staking.clone()),
        staking_before + 3 * share
    );
    assert_eq!(suite.treasury_pending(), fee + remainder);
    assert_eq!(suite.balance(&suite.escrow.clone()), fee + remainder);
    assert_eq!(suite.balance(&user), user_before - suite.price(3));
    for operator in &assigned {
        assert!(suite.pending_work(operator).work.is_empty());
    }

    // The treasury is paid on request, once.
    let anyone = suite.app.api().addr_make("anyone");
    suite
        .execute(&anyone, &ExecuteMsg::WithdrawTreasury {})
        .unwrap();
    assert_eq!(suite.balance(&suite.treasury.clone()), fee + remainder);
    assert_eq!(suite.balance(&suite.escrow.clone()), 0);
    assert_error(
        suite.execute(&anyone, &ExecuteMsg::WithdrawTreasury {}),
        sibyl_job_escrow::ContractError::NothingToWithdraw,
    );

    // Settling again changes nothing.
    let response = suite.settle(job_id).unwrap();
    assert!(events_of(&response, "wasm-sibyl_settle").next().is_none());
    assert_eq!(suite.job(job_id).job.status, JobStatus::Completed);
}

#[test]
fn wrong_operator_is_slashed_and_jailed_and_its_share_refunded() {
    let mut suite = Suite::new(4);
    let user = suite.user.clone();
    let user_before = suite.balance(&user);
    let job_id = suite.submit(3, 2, None);
    let assigned = suite.assigned(job_id);
    suite.commit(job_id, &assigned[0], OUTPUT).unwrap();
    suite.commit(job_id, &assigned[1], WRONG).unwrap();
    suite.commit(job_id, &assigned[2], OUTPUT).unwrap();
    suite.reveal(job_id, &assigned[0], OUTPUT).unwrap();
    suite.reveal(job_id, &assigned[1], WRONG).unwrap();
    let response = suite.reveal(job_id, &assigned[2], OUTPUT).unwrap();

    let slash = events_of(&response, "wasm-sibyl_slash").next().unwrap();
    assert!(slash
        .attributes
        .iter()
        .any(|a| a.key == "reason" && a.value == "wrong_result"));
    let job = suite.job(job_id);
    assert_eq!(job.job.status, JobStatus::Completed);
    assert_eq!(
        job.assignments[1].outcome,
        OperatorOutcome::SlashedWrongResult
    );

    let wrong = suite.operator_info(&assigned[1]);
    assert_eq!(wrong.total_stake, Uint128::new(STAKE - STAKE / 10));
    assert!(wrong.jailed_until.is_some());
    assert_eq!(suite.balance(&suite.slash_sink.clone()), STAKE / 10);
    assert_eq!(
        suite.operator_info(&assigned[0]).total_stake,
        Uint128::new(STAKE)
    );

    let (share, fee, remainder) = split(&suite, 3);
    assert_eq!(suite.balance(&user), user_before - suite.price(3) + share);
    assert_eq!(suite.treasury_pending(), fee + remainder);
    assert_eq!(suite.balance(&suite.escrow.clone()), fee + remainder);
}

#[test]
fn silent_operator_is_slashed_for_liveness_after_the_deadline() {
    let mut suite = Suite::new(3);
    let job_id = suite.submit(3, 2, None);
    let assigned = suite.assigned(job_id);
    suite.commit(job_id, &assigned[0], OUTPUT).unwrap();
    suite.commit(job_id, &assigned[1], OUTPUT).unwrap();
    // The third never commits: reveals open after the commit deadline.
    assert_eq!(
        suite.pending_work(&assigned[0]).work[0].action,
        WorkAction::AwaitRevealPhase
    );
    suite.advance(COMMIT_WINDOW + 1);
    assert_eq!(
        suite.pending_work(&assigned[2]).work[0].action,
        WorkAction::Missed
    );
    suite.reveal(job_id, &assigned[0], OUTPUT).unwrap();
    // The last expected reveal settles the job.
    suite.reveal(job_id, &assigned[1], OUTPUT).unwrap();

    let job = suite.job(job_id);
    assert_eq!(job.job.status, JobStatus::Completed);
    assert_eq!(job.assignments[2].outcome, OperatorOutcome::SlashedMissed);
    let silent = suite.operator_info(&assigned[2]);
    assert_eq!(silent.total_stake, Uint128::new(STAKE - STAKE / 100));
    assert!(silent.jailed_until.is_some());
    assert!(suite.pending_work(&assigned[2]).work.is_empty());
}

#[test]
fn committed_but_unrevealed_operator_is_slashed_when_anyone_settles() {
    let mut suite = Suite::new(3);
    let job_id = suite.submit(3, 2, None);
    let assigned = suite.assigned(job_id);
    for operator in &assigned {
        suite.commit(job_id, operator, OUTPUT).unwrap();
    }
    suite.reveal(job_id, &assigned[0], OUTPUT).unwrap();
    suite.reveal(job_id, &assigned[1], OUTPUT).unwrap();
    assert_error(
        suite.settle(job_id),
        sibyl_job_escrow::ContractError::SettlementNotReady {
            job_id,
            reveal_deadline: suite.job(job_id).job.reveal_deadline,
        },
    );
    suite.advance(COMMIT_WINDOW + REVEAL_WINDOW);
    // The reveal deadline block itself still accepts reveals.
    assert_eq!(suite.job(job_id).job.phase, Some(JobPhase::Reveal));
    suite.advance(1);
    assert_eq!(
        suite.job(job_id).job.phase,
        Some(JobPhase::AwaitingSettlement)
    );
    suite.settle(job_id).unwrap();
    let job = suite.job(job_id);
    assert_eq!(job.job.status, JobStatus::Completed);
    assert_eq!(job.assignments[2].outcome, OperatorOutcome::SlashedMissed);
}

#[test]
fn no_quorum_pays_revealers_and_slashes_only_non_responders() {
    let mut suite = Suite::new(3);
    let user = suite.user.clone();
    let user_before = suite.balance(&user);
    let job_id = suite.submit(3, 2, None);
    let assigned = suite.assigned(job_id);
    suite.commit(job_id, &assigned[0], OUTPUT).unwrap();
    suite.commit(job_id, &assigned[1], WRONG).unwrap();
    suite.advance(COMMIT_WINDOW + 1);
    suite.reveal(job_id, &assigned[0], OUTPUT).unwrap();
    let response = suite.reveal(job_id, &assigned[1], WRONG).unwrap();
    assert_eq!(
        event_attr(&response, "wasm-sibyl_settle", "status").as_deref(),
        Some("failed")
    );

    let job = suite.job(job_id);
    assert_eq!(job.job.status, JobStatus::Failed);
    assert!(job.result.is_none());
    assert_eq!(job.assignments[0].outcome, OperatorOutcome::PaidNoQuorum);
    assert_eq!(job.assignments[1].outcome, OperatorOutcome::PaidNoQuorum);
    assert_eq!(job.assignments[2].outcome, OperatorOutcome::SlashedMissed);
    // Both published outputs are paid for; the silent operator's share comes back.
    let (share, fee, remainder) = split(&suite, 3);
    assert_eq!(suite.balance(&user), user_before - suite.price(3) + share);
    assert_eq!(
        job.job.refund.unwrap().amount,
        Uint256::from(share),
        "the job reports its refund"
    );
    assert_eq!(suite.balance(&suite.escrow.clone()), fee + remainder);
    assert_eq!(suite.treasury_pending(), fee + remainder);
    assert_eq!(
        suite.operator_info(&assigned[0]).total_stake,
        Uint128::new(STAKE)
    );
    assert_eq!(
        suite.operator_info(&assigned[2]).total_stake,
        Uint128::new(STAKE - STAKE / 100)
    );
}

#[test]
fn nobody_commits_then_settle_refunds_and_slashes_everyone() {
    let mut suite = Suite::new(3);
    let user = suite.user.clone();
    let user_before = suite.balance(&user);
    let job_id = suite.submit(3, 2, None);
    suite.advance(COMMIT_WINDOW + 1);
    // Nothing can be revealed, so the outcome is certain before the reveal deadline.
    let response = suite.settle(job_id).unwrap();
    assert_eq!(events_of(&response, "wasm-sibyl_slash").count(), 3);
    assert_eq!(suite.job(job_id).job.status, JobStatus::Failed);
    // Nobody did any work: the whole price comes back.
    assert_eq!(suite.balance(&user), user_before);
    assert_eq!(suite.treasury_pending(), 0);
}

/// #5: with k = 2 and m = 2 an operator colluding with the consumer reveals garbage, the job
/// fails and the consumer reads the honest output from the honest reveal. Before 0.2.0 it got a
/// full refund, so the honest output was free; now it pays for both published outputs, exactly
/// what the job would have cost had it completed.
#[test]
fn attack_colluder_reveals_garbage_to_get_the_honest_output_for_free() {
    let mut suite = Suite::new(2);
    let user = suite.user.clone();
    let user_before = suite.balance(&user);
    let job_id = suite.submit(2, 2, None);
    let assigned = suite.assigned(job_id);
    let (honest, colluder) = (&assigned[0], &assigned[1]);
    suite.commit(job_id, honest, OUTPUT).unwrap();
    suite.commit(job_id, colluder, WRONG).unwrap();
    let honest_reveal = suite.reveal(job_id, honest, OUTPUT).unwrap();
    let response = suite.reveal(job_id, colluder, WRONG).unwrap();
    assert_eq!(
        event_attr(&response, "wasm-sibyl_settle", "status").as_deref(),
        Some("failed")
    );
    // The honest output is public (the reveal transaction carries it) ...
    assert!(event_attr(&honest_reveal, "wasm-sibyl_reveal", "output_hash").is_some());
    // ... and is no longer free: both revealers are paid, nothing is refunded.
    let (share, fee, remainder) = split(&suite, 2);
    assert_eq!(share * 2 + fee + remainder, suite.price(2));
    assert_eq!(suite.balance(&user), user_before - suite.price(2));
    let job = suite.job(job_id);
    assert_eq!(job.job.refund.unwrap().amount, Uint256::zero());
    assert!(job
        .assignments
        .iter()
        .all(|a| a.outcome == OperatorOutcome::PaidNoQuorum));
    // A quorum below a strict majority, which let one colluder decide a job, is refused.
    let msg = suite.submit_msg(2, 1, INPUT, false);
    assert_error(
        suite.execute_with_funds(&user, &msg, &coins(suite.price(2), DENOM)),
        sibyl_job_escrow::ContractError::QuorumNotMajority {
            quorum: 1,
            redundancy: 2,
            min: 2,
        },
    );
}

#[test]
fn cancel_before_any_commit_refunds_all_but_the_protocol_fee() {
    let mut suite = Suite::new(3);
    let user = suite.user.clone();
    let user_before = suite.balance(&user);
    let job_id = suite.submit(3, 2, None);
    let assigned = suite.assigned(job_id);
    let response = suite
        .execute(&user, &ExecuteMsg::Cancel { job_id })
        .unwrap();
    assert_eq!(
        event_attr(&response, "wasm-sibyl_settle", "status").as_deref(),
        Some("cancelled")
    );
    let (_, fee, remainder) = split(&suite, 3);
    assert_eq!(suite.balance(&user), user_before - fee - remainder);
    assert_eq!(suite.balance(&suite.escrow.clone()), fee + remainder);
    assert_eq!(suite.treasury_pending(), fee + remainder);
    let job = suite.job(job_id);
    assert_eq!(job.job.status, JobStatus::Cancelled);
    assert!(job
        .assignments
        .iter()
        .all(|a| a.outcome == OperatorOutcome::Unpaid));
    for operator in &assigned {
        assert!(suite.pending_work(operator).work.is_empty());
        assert_eq!(
            suite.operator_info(operator).total_stake,
            Uint128::new(STAKE)
        );
    }
    assert_eq!(
        suite
            .jobs(JobsFilter::Status {
                status: JobStatus::Cancelled
            })
            .jobs
            .len(),
        1
    );
    assert!(suite
        .jobs(JobsFilter::Status {
            status: JobStatus::Open
        })
        .jobs
        .is_empty());
}

#[test]
fn example_consumer_receives_the_result_and_forwards_refunds() {
    let mut suite = Suite::new(3);
    let user = suite.user.clone();
    let consumer = suite.consumer.clone();
    let user_before = suite.balance(&user);
    let job_id = suite.request_inference(&consumer);
    let job = suite.job(job_id);
    assert_eq!(job.job.consumer, consumer);
    assert!(job.job.callback);

    let assigned = suite.assigned(job_id);
    suite.commit(job_id, &assigned[0], OUTPUT).unwrap();
    suite.commit(job_id, &assigned[1], OUTPUT).unwrap();
    suite.commit(job_id, &assigned[2], WRONG).unwrap();
    suite.reveal(job_id, &assigned[0], OUTPUT).unwrap();
    suite.reveal(job_id, &assigned[1], OUTPUT).unwrap();
    suite.reveal(job_id, &assigned[2], WRONG).unwrap();

    let request = suite.consumer_request(&consumer, job_id);
    assert_eq!(request.status, RequestStatus::Completed);
    assert_eq!(request.output, Some(Binary::from(OUTPUT)));
    assert_eq!(request.requester, user);
    // The wrong operator's share came back to the user through the consumer.
    let (share, _, _) = split(&suite, 3);
    assert_eq!(suite.balance(&user), user_before - suite.price(3) + share);
    assert_eq!(suite.balance(&consumer), 0);
    assert!(suite.job(job_id).callback_error.is_none());
}

#[test]
fn example_consumer_learns_of_failure_and_refunds_the_user() {
    let mut suite = Suite::new(3);
    let user = suite.user.clone();
    let consumer = suite.consumer.clone();
    let user_before = suite.balance(&user);
    let job_id = suite.request_inference(&consumer);
    suite.advance(COMMIT_WINDOW + 1);
    suite.settle(job_id).unwrap();
    let request = suite.consumer_request(&consumer, job_id);
    assert_eq!(request.status, RequestStatus::Failed);
    assert_eq!(suite.balance(&user), user_before);
}

#[test]
fn example_consumer_rejects_callbacks_from_others() {
    let mut suite = Suite::new(1);
    let consumer = suite.consumer.clone();
    let user = suite.user.clone();
    let result = suite.app.execute_contract(
        user,
        consumer,
        &ConsumerMsg::SibylCallback(sibyl_api::consumer::JobCallback {
            job_id: 1,
            status: CallbackStatus::Completed,
            output: Some(Binary::from(OUTPUT)),
            output_hash: None,
            refund: cosmwasm_std::coin(0, DENOM),
        }),
        &[],
    );
    assert!(result.unwrap_err().to_string().contains("only the escrow"));
}

#[test]
fn failing_callback_is_recorded_and_blocks_nothing() {
    let mut suite = Suite::new(3);
    let failing = suite.failing_consumer.clone();
    let job_id = suite.submit(3, 2, Some(&failing));
    let assigned = suite.assigned(job_id);
    for operator in &assigned {
        suite.commit(job_id, operator, OUTPUT).unwrap();
    }
    suite.reveal(job_id, &assigned[0], OUTPUT).unwrap();
    suite.reveal(job_id, &assigned[1], OUTPUT).unwrap();
    let staking_before = suite.balance(&suite.staking.clone());
    let response = suite.reveal(job_id, &assigned[2], OUTPUT).unwrap();
    assert!(events_of(&response, "wasm-sibyl_callback_failed")
        .next()
        .is_some());
    let job = suite.job(job_id);
    assert_eq!(job.job.status, JobStatus::Completed);
    assert!(job.callback_error.is_some());
    let (share, _, _) = split(&suite, 3);
    assert_eq!(
        suite.balance(&suite.staking.clone()),
        staking_before + 3 * share
    );
}

#[test]
fn jobs_are_listed_by_consumer_and_status() {
    let mut suite = Suite::new(3);
    let first = suite.submit(1, 1, None);
    let second = suite.submit(2, 2, None);
    let by_user = suite.jobs(JobsFilter::Consumer {
        address: suite.user.to_string(),
    });
    assert_eq!(
        by_user.jobs.iter().map(|j| j.job_id).collect::<Vec<_>>(),
        vec![first, second]
    );
    let page: sibyl_api::escrow::JobsResponse = suite.query(&sibyl_api::escrow::QueryMsg::Jobs {
        filter: JobsFilter::Status {
            status: JobStatus::Open,
        },
        start_after: Some(first),
        limit: Some(1),
    });
    assert_eq!(page.jobs.len(), 1);
    assert_eq!(page.jobs[0].job_id, second);
    assert_eq!(page.jobs[0].price.amount, Uint256::from(suite.price(2)));
}
