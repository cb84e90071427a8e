//! Property tests over random rounds of jobs with honest, wrong, silent, commit-only and
//! declining operators: conservation of the escrow's and the staking contract's funds, one
//! terminal state per job, exactly one payout or refund per job, and the payouts of failed jobs
//! (revealers' shares, decline fees) and of declines (never slashed unless a quorum formed).

use std::collections::BTreeMap;

use cosmwasm_std::Timestamp;
use cw_multi_test::{AppResponse, Executor};
use proptest::prelude::*;
use sibyl_api::escrow::{DeclineReason, ExecuteMsg, JobStatus, JobsFilter, OperatorOutcome};
use sibyl_api::staking::OperatorStatus;

use crate::suite::*;

const OPERATORS: usize = 4;
const HONEST_OUTPUT: &[u8] = b"the right answer";

#[derive(Clone, Copy, Debug)]
enum Behaviour {
    Honest,
    Wrong,
    Silent,
    CommitOnly,
    Decline,
}

#[derive(Clone, Debug)]
struct JobPlan {
    redundancy: u32,
    quorum: u32,
    behaviours: Vec<Behaviour>,
    cancel: bool,
    failing_callback: bool,
}

fn behaviour() -> impl Strategy<Value = Behaviour> {
    prop_oneof![
        4 => Just(Behaviour::Honest),
        1 => Just(Behaviour::Wrong),
        1 => Just(Behaviour::Silent),
        1 => Just(Behaviour::CommitOnly),
        1 => Just(Behaviour::Decline),
    ]
}

fn job_plan() -> impl Strategy<Value = JobPlan> {
    (1..=OPERATORS as u32)
        .prop_flat_map(|k| {
            (
                Just(k),
                // A strict majority, as SubmitJob requires.
                (k / 2 + 1)..=k,
                prop::collection::vec(behaviour(), k as usize),
                prop::bool::weighted(0.15),
                prop::bool::weighted(0.3),
            )
        })
        .prop_map(
            |(redundancy, quorum, behaviours, cancel, failing_callback)| JobPlan {
                redundancy,
                quorum,
                behaviours,
                cancel,
                failing_callback,
            },
        )
}

/// Each wrong operator computes its own wrong answer.
fn output_of(behaviour: Behaviour, slot: usize) -> Vec<u8> {
    match behaviour {
        Behaviour::Wrong => format!("wrong answer {slot}").into_bytes(),
        _ => HONEST_OUTPUT.to_vec(),
    }
}

/// The settlement rule, restated independently: the most frequent revealed output wins if it
/// reaches the quorum and nothing ties with it. Returns (completed, agreeing operators).
fn expected_outcome(plan: &JobPlan) -> (bool, u32) {
    let mut counts: BTreeMap<Vec<u8>, u32> = BTreeMap::new();
    for (slot, behaviour) in plan.behaviours.iter().enumerate() {
        if matches!(behaviour, Behaviour::Honest | Behaviour::Wrong) {
            *counts.entry(output_of(*behaviour, slot)).or_default() += 1;
        }
    }
    let best = counts.values().copied().max().unwrap_or(0);
    let leaders = counts.values().filter(|count| **count == best).count();
    if best >= plan.quorum && leaders == 1 {
        (true, best)
    } else {
        (false, 0)
    }
}

struct Ledger {
    user_spent: u128,
    distributed: u128,
    settle_events: BTreeMap<u64, u32>,
}

impl Ledger {
    fn record(&mut self, response: &AppResponse) {
        for event in events_of(response, "wasm-sibyl_settle") {
            let job_id: u64 = event
                .attributes
                .iter()
                .find(|a| a.key == "job_id")
                .unwrap()
                .value
                .parse()
                .unwrap();
            *self.settle_events.entry(job_id).or_default() += 1;
        }
    }
}

fn count(plan: &JobPlan, pick: fn(&Behaviour) -> bool) -> u32 {
    plan.behaviours.iter().filter(|b| pick(b)).count() as u32
}

fn check_escrow_conservation(suite: &Suite) {
    let open: u128 = suite
        .jobs(JobsFilter::Status {
            status: JobStatus::Open,
        })
        .jobs
        .iter()
        .map(|job| {
            cosmwasm_std::Uint128::try_from(job.price.amount)
                .unwrap()
                .u128()
        })
        .sum();
    assert_eq!(
        suite.balance(&suite.escrow),
        open + suite.treasury_pending(),
        "escrow balance must equal open escrows plus the unsent treasury"
    );
}

/// Nothing leaves the staking contract in these runs except slashes, and nothing enters it but
/// the initial bonds and the fees the escrow distributes.
fn check_staking_conservation(suite: &Suite, ledger: &Ledger) {
    let bonded = STAKE * OPERATORS as u128;
    assert_eq!(
        suite.balance(&suite.staking) + suite.balance(&suite.slash_sink),
        bonded + ledger.distributed
    );
}

fn unjail_everyone(suite: &mut Suite) {
    suite.app.update_block(|block| {
        block.time = Timestamp::from_nanos(block.time.nanos() + 3_601 * 1_000_000_000);
        block.height += 1;
    });
    let operators: Vec<_> = suite.operators.iter().map(|op| op.addr.clone()).collect();
    for operator in operators {
        if suite.operator_info(&operator).status == OperatorStatus::Jailed {
            suite
                .app
                .execute_contract(
                    operator,
                    suite.staking.clone(),
                    &sibyl_api::staking::ExecuteMsg::Unjail {},
                    &[],
                )
                .unwrap();
        }
    }
}

fn run_round(suite: &mut Suite, ledger: &mut Ledger, plans: &[JobPlan]) {
    unjail_everyone(suite);
    let user = suite.user.clone();
    let failing = suite.failing_consumer.clone();
    let mut jobs = Vec::new();
    for plan in plans {
        // A job with a callback is submitted by the (failing) consumer contract: callbacks go to
        // the submitter only.
        let via = plan.failing_callback.then_some(&failing);
        let job_id = suite.submit(plan.redundancy, plan.quorum, via);
        ledger.user_spent += suite.price(plan.redundancy);
        jobs.push((job_id, plan));
    }
    check_escrow_conservation(suite);

    for (job_id, plan) in &jobs {
        if plan.cancel {
            let cancel = ExecuteMsg::Cancel { job_id: *job_id };
            let response = if plan.failing_callback {
                suite.forward(&failing, &cancel, &[])
            } else {
                suite.execute(&user, &cancel)
            }
            .unwrap();
            ledger.record(&response);
            // A cancellation keeps the protocol fee and the remainder.
            let price = suite.price(plan.redundancy);
            let fee = price * u128::from(PROTOCOL_FEE_BPS) / 10_000;
            ledger.user_spent -= price - fee - (price - fee) % u128::from(plan.redundancy);
            continue;
        }
        let assigned = suite.assigned(*job_id);
        for (slot, (operator, behaviour)) in assigned.iter().zip(&plan.behaviours).enumerate() {
            match behaviour {
                Behaviour::Silent => {}
                Behaviour::Decline => {
                    let response = suite
                        .decline(*job_id, operator, DeclineReason::InputUnavailable)
                        .unwrap();
                    ledger.record(&response);
                }
                _ => {
                    suite
                        .commit(*job_id, operator, &output_of(*behaviour, slot))
                        .unwrap();
                }
            }
        }
    }
    check_escrow_conservation(suite);
    suite.advance(COMMIT_WINDOW + 1);

    for (job_id, plan) in &jobs {
        if plan.cancel {
            continue;
        }
        let assigned = suite.assigned(*job_id);
        for (slot, (operator, behaviour)) in assigned.iter().zip(&plan.behaviours).enumerate() {
            if matches!(behaviour, Behaviour::Honest | Behaviour::Wrong) {
                let response = suite
                    .reveal(*job_id, operator, &output_of(*behaviour, slot))
                    .unwrap();
                ledger.record(&response);
            }
        }
        check_escrow_conservation(suite);
    }
    suite.advance(REVEAL_WINDOW);

    for (job_id, plan) in &jobs {
        let response = suite.settle(*job_id).unwrap();
        ledger.record(&response);
        let job = suite.job(*job_id);
        assert_ne!(job.job.status, JobStatus::Open);
        if plan.cancel {
            assert_eq!(job.job.status, JobStatus::Cancelled);
            continue;
        }
        let (completed, agreeing) = expected_outcome(plan);
        let price = suite.price(plan.redundancy);
        let fee = price * u128::from(PROTOCOL_FEE_BPS) / 10_000;
        let share = (price - fee) / u128::from(plan.redundancy);
        let remainder = (price - fee) % u128::from(plan.redundancy);
        let decline_fee = share * u128::from(DECLINE_FEE_BPS) / 10_000;
        let declined = count(plan, |b| matches!(b, Behaviour::Decline));
        let revealed = count(plan, |b| matches!(b, Behaviour::Honest | Behaviour::Wrong));
        let earned = if completed {
            assert_eq!(job.job.status, JobStatus::Completed, "{plan:?}");
            // The consumer paid for the agreeing operators' shares, the fee and the remainder;
            // decliners of a job that reached a quorum are slashed like silent operators.
            ledger.distributed += share * u128::from(agreeing);
            share * u128::from(agreeing) + fee + remainder
        } else {
            assert_eq!(job.job.status, JobStatus::Failed, "{plan:?}");
            // Every published output and every decline is paid for; nothing else.
            let to_operators = share * u128::from(revealed) + decline_fee * u128::from(declined);
            ledger.distributed += to_operators;
            if revealed + declined > 0 {
                to_operators + fee + remainder
            } else {
                0
            }
        };
        ledger.user_spent -= price - earned;
        assert_eq!(
            job.job.refund.unwrap().amount,
            cosmwasm_std::Uint256::from(price - earned),
            "{plan:?}"
        );
        for (assignment, behaviour) in job.assignments.iter().zip(&plan.behaviours) {
            if matches!(behaviour, Behaviour::Decline) {
                let expected = if completed {
                    OperatorOutcome::SlashedMissed
                } else {
                    OperatorOutcome::DeclinePaid
                };
                assert_eq!(assignment.outcome, expected, "{plan:?}");
            }
        }
        assert_eq!(job.callback_error.is_some(), plan.failing_callback);
    }
    check_escrow_conservation(suite);
    check_staking_conservation(suite, ledger);
    // Refunds of jobs with a callback went to the consumer contract that submitted them.
    assert_eq!(
        suite.balance(&user) + suite.balance(&failing),
        USER_FUNDS - ledger.user_spent
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn random_job_rounds_conserve_funds_and_settle_each_job_once(
        rounds in prop::collection::vec(prop::collection::vec(job_plan(), 1..=3), 1..=3)
    ) {
        let mut suite = Suite::new(OPERATORS);
        let mut ledger = Ledger {
            user_spent: 0,
            distributed: 0,
            settle_events: BTreeMap::new(),
        };
        for plans in &rounds {
            run_round(&mut suite, &mut ledger, plans);
        }
        let jobs: usize = rounds.iter().map(Vec::len).sum();
        prop_assert_eq!(ledger.settle_events.len(), jobs);
        prop_assert!(ledger.settle_events.values().all(|count| *count == 1));
        // Whatever the treasury is owed is all the escrow holds once every job is closed.
        prop_assert_eq!(suite.balance(&suite.escrow), suite.treasury_pending());
    }
}
