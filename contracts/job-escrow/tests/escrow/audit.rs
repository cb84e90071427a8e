//! The audit's attacks, each played against the fixed contracts (`attack_...`), and the errors
//! of the messages and checks the fixes added: declines (#1), failed-job payouts (#5, in
//! lifecycle.rs), input sizes (#3), callbacks to the submitter only (#4), slash fractions and
//! slash events (#6), bounded config values (#7), windows against the unbonding period (#8) and
//! migration.

use cosmwasm_std::{
    coins, Addr, Binary, CosmosMsg, Decimal, DepsMut, Env, HexBinary, MessageInfo, Response,
    Uint128, WasmMsg,
};
use cw_multi_test::{ContractWrapper, Executor};
use sha2::{Digest, Sha256};
use sibyl_api::escrow::{
    ConfigUpdate, DType, DeclineReason, ExecuteMsg, InstantiateMsg, JobInput, JobPhase, JobStatus,
    JobsFilter, MigrateMsg, OperatorOutcome, TensorSpec, WorkAction,
};
use sibyl_example_consumer::msg::{
    ExecuteMsg as ConsumerMsg, QueryMsg as ConsumerQuery, RequestResponse, RequestStatus,
};
use sibyl_job_escrow::ContractError;

use crate::suite::*;

const OUTPUT: &[u8] = b"canonical output";

/// (per-operator share, protocol fee, remainder, decline fee) of a job with redundancy `k`.
fn split(suite: &Suite, k: u32) -> (u128, u128, u128, u128) {
    let total = suite.price(k);
    let fee = total * u128::from(PROTOCOL_FEE_BPS) / 10_000;
    let share = (total - fee) / u128::from(k);
    (
        share,
        fee,
        (total - fee) % u128::from(k),
        share * u128::from(DECLINE_FEE_BPS) / 10_000,
    )
}

fn remote_submit(suite: &Suite, k: u32, m: u32, hash: Vec<u8>, size: u64) -> ExecuteMsg {
    ExecuteMsg::SubmitJob {
        model_hash: suite.model_hash.clone(),
        input: JobInput::Remote {
            hash: HexBinary::from(hash),
            uri: "https://example.com/poison".to_string(),
            size,
        },
        redundancy: Some(k),
        quorum: Some(m),
        callback: false,
    }
}

// ---------------------------------------------------------------------------------------------
// #1 Poison jobs

/// A consumer submits, again and again, a remote input whose hash matches no bytes anyone can
/// fetch. Before 0.2.0 no honest node could commit, and `Settle` refunded the consumer in full
/// while slashing and jailing every assigned operator. Now the operators decline: nobody is
/// slashed or jailed, and each round costs the consumer the protocol fee and the decline fees.
#[test]
fn attack_poison_jobs_repeated_cost_honest_operators_nothing_and_the_consumer_something() {
    let mut suite = Suite::new(3);
    let user = suite.user.clone();
    let operators: Vec<Addr> = suite.operators.iter().map(|op| op.addr.clone()).collect();
    let (_, fee, remainder, decline_fee) = split(&suite, 3);
    let round_cost = fee + remainder + 3 * decline_fee;
    assert!(round_cost > 0);
    for round in 0..5u8 {
        let user_before = suite.balance(&user);
        let staking_before = suite.balance(&suite.staking.clone());
        let unfetchable =
            Sha256::digest([b"nothing hashes to this ".as_slice(), &[round]].concat());
        let msg = remote_submit(&suite, 3, 2, unfetchable.to_vec(), INPUT.len() as u64);
        let response = suite
            .execute_with_funds(&user, &msg, &coins(suite.price(3), DENOM))
            .unwrap();
        let job_id = job_id_of(&response);
        suite.assign();
        let assigned = suite.assigned(job_id);
        let mut last = None;
        for operator in &assigned {
            last = Some(
                suite
                    .decline(job_id, operator, DeclineReason::InputHashMismatch)
                    .unwrap(),
            );
        }
        // The last decline settles the job: nothing else can happen to it.
        let last = last.unwrap();
        assert_eq!(
            event_attr(&last, "wasm-sibyl_settle", "status").as_deref(),
            Some("failed")
        );
        assert_eq!(events_of(&last, "wasm-sibyl_slash").count(), 0);
        let job = suite.job(job_id);
        assert_eq!(job.job.status, JobStatus::Failed);
        assert_eq!(job.declines, 3);
        for assignment in &job.assignments {
            assert_eq!(assignment.outcome, OperatorOutcome::DeclinePaid);
            assert_eq!(assignment.declined, Some(DeclineReason::InputHashMismatch));
        }
        assert_eq!(suite.balance(&user), user_before - round_cost);
        assert_eq!(
            suite.balance(&suite.staking.clone()),
            staking_before + 3 * decline_fee
        );
    }
    for operator in &operators {
        let info = suite.operator_info(operator);
        assert!(info.total_stake >= Uint128::new(STAKE), "no stake lost");
        assert!(info.jailed_until.is_none(), "nobody jailed");
    }
    assert_eq!(suite.balance(&suite.slash_sink.clone()), 0);
}

#[test]
fn declining_a_job_that_reaches_a_quorum_anyway_is_a_liveness_miss() {
    let mut suite = Suite::new(3);
    let job_id = suite.submit(3, 2, None);
    let assigned = suite.assigned(job_id);
    suite
        .decline(job_id, &assigned[0], DeclineReason::InputUnavailable)
        .unwrap();
    assert!(suite.pending_work(&assigned[0]).work.is_empty());
    suite.commit(job_id, &assigned[1], OUTPUT).unwrap();
    assert_eq!(
        suite.pending_work(&assigned[1]).work[0].action,
        WorkAction::AwaitRevealPhase
    );
    suite.commit(job_id, &assigned[2], OUTPUT).unwrap();
    // Everyone answered: reveals open before the commit deadline.
    assert_eq!(
        suite.pending_work(&assigned[1]).work[0].action,
        WorkAction::Reveal
    );
    suite.reveal(job_id, &assigned[1], OUTPUT).unwrap();
    let response = suite.reveal(job_id, &assigned[2], OUTPUT).unwrap();
    let slash = events_of(&response, "wasm-sibyl_slash").next().unwrap();
    assert!(slash
        .attributes
        .iter()
        .any(|a| a.key == "reason" && a.value == "missed"));
    let job = suite.job(job_id);
    assert_eq!(job.job.status, JobStatus::Completed);
    assert_eq!(job.assignments[0].outcome, OperatorOutcome::SlashedMissed);
    assert_eq!(
        suite.operator_info(&assigned[0]).total_stake,
        Uint128::new(STAKE - STAKE / 100)
    );
}

#[test]
fn cancel_after_declines_pays_the_decliners() {
    let mut suite = Suite::new(3);
    let user = suite.user.clone();
    let user_before = suite.balance(&user);
    let job_id = suite.submit(3, 2, None);
    let assigned = suite.assigned(job_id);
    suite
        .decline(job_id, &assigned[0], DeclineReason::ModelUnavailable)
        .unwrap();
    let response = suite
        .execute(&user, &ExecuteMsg::Cancel { job_id })
        .unwrap();
    let (_, fee, remainder, decline_fee) = split(&suite, 3);
    let refund = suite.price(3) - fee - remainder - decline_fee;
    assert_eq!(
        event_attr(&response, "wasm-sibyl_settle", "refund"),
        Some(refund.to_string())
    );
    assert_eq!(suite.balance(&user), user_before - suite.price(3) + refund);
    let job = suite.job(job_id);
    assert_eq!(job.job.status, JobStatus::Cancelled);
    assert_eq!(job.assignments[0].outcome, OperatorOutcome::DeclinePaid);
    assert_eq!(job.assignments[1].outcome, OperatorOutcome::Unpaid);
    assert_eq!(suite.treasury_pending(), fee + remainder);
}

#[test]
fn decline_errors() {
    let mut suite = Suite::new(4);
    let job_id = suite.submit(3, 2, None);
    let assigned = suite.assigned(job_id);
    let outsider = suite.unassigned_operator(&assigned);
    let reason = DeclineReason::InvalidInput;
    assert_error(
        suite.decline(job_id, &outsider, reason),
        ContractError::NotAssigned {
            job_id,
            operator: outsider.to_string(),
        },
    );
    assert_error(
        suite.decline(99, &assigned[0], reason),
        ContractError::UnknownJob { job_id: 99 },
    );
    suite.commit(job_id, &assigned[0], OUTPUT).unwrap();
    assert_error(
        suite.decline(job_id, &assigned[0], reason),
        ContractError::AlreadyCommitted {
            job_id,
            operator: assigned[0].to_string(),
        },
    );
    suite.decline(job_id, &assigned[1], reason).unwrap();
    let declined = ContractError::AlreadyDeclined {
        job_id,
        operator: assigned[1].to_string(),
    };
    assert_error(suite.decline(job_id, &assigned[1], reason), declined);
    assert_error(
        suite.commit(job_id, &assigned[1], OUTPUT),
        ContractError::AlreadyDeclined {
            job_id,
            operator: assigned[1].to_string(),
        },
    );
    let deadline = suite.job(job_id).job.commit_deadline;
    suite.advance(COMMIT_WINDOW + 1);
    assert_error(
        suite.reveal(job_id, &assigned[1], OUTPUT),
        ContractError::RevealWithoutCommit {
            job_id,
            operator: assigned[1].to_string(),
        },
    );
    assert_error(
        suite.decline(job_id, &assigned[2], reason),
        ContractError::CommitDeadlinePassed { job_id, deadline },
    );
    suite.advance(REVEAL_WINDOW);
    suite.settle(job_id).unwrap();
    assert_error(
        suite.decline(job_id, &assigned[2], reason),
        ContractError::JobNotOpen { job_id },
    );
}

// ---------------------------------------------------------------------------------------------
// #2 Assignment grinding

/// Before 0.2.0 `SubmitJob` drew the operators from its own block's data: a submitter could
/// simulate the draw, or submit, look and cancel for free, until it drew its sybils. Now the
/// submission draws nothing; `AssignJobs` draws in a later block, and until then no operator is
/// known, can answer or be settled against.
#[test]
fn attack_assignment_is_unknown_at_submission_and_drawn_in_a_later_block() {
    let mut suite = Suite::new(5);
    let user = suite.user.clone();
    let msg = suite.submit_msg(3, 2, INPUT, false);
    let price = coins(suite.price(3), DENOM);
    let submitted = suite.execute_with_funds(&user, &msg, &price).unwrap();
    let job_id = job_id_of(&submitted);
    assert!(events_of(&submitted, "wasm-sibyl_assign").next().is_none());
    let job = suite.job(job_id);
    assert!(job.assignments.is_empty());
    assert_eq!(job.job.phase, Some(JobPhase::Assignment));
    assert_eq!(job.job.assigned_height, None);
    let queued = suite.jobs(JobsFilter::AwaitingAssignment {});
    assert_eq!(queued.jobs.len(), 1);
    assert_eq!(queued.jobs[0].job_id, job_id);
    for operator in suite
        .operators
        .iter()
        .map(|op| op.addr.clone())
        .collect::<Vec<_>>()
    {
        assert!(suite.pending_work(&operator).work.is_empty());
        assert_error(
            suite.commit(job_id, &operator, b"early"),
            ContractError::AwaitingAssignment { job_id },
        );
    }
    assert_error(
        suite.settle(job_id),
        ContractError::AwaitingAssignment { job_id },
    );

    // In the submission's own block there is nothing due: the call succeeds and draws nothing.
    let keeper = suite.app.api().addr_make("keeper");
    let same_block = suite
        .execute(&keeper, &ExecuteMsg::AssignJobs { limit: None })
        .unwrap();
    assert_eq!(
        event_attr(&same_block, "wasm", "assigned").as_deref(),
        Some("0")
    );
    assert!(suite.job(job_id).assignments.is_empty());

    let assigned = suite.assign();
    assert_eq!(
        event_attr(&assigned, "wasm", "assigned").as_deref(),
        Some("1")
    );
    assert_eq!(events_of(&assigned, "wasm-sibyl_assign").count(), 3);
    let height = suite.app.block_info().height;
    let job = suite.job(job_id).job;
    assert_eq!(job.assigned_height, Some(height));
    assert_eq!(job.phase, Some(JobPhase::Commit));
    assert_eq!(job.commit_deadline, height + COMMIT_WINDOW);
    assert_eq!(job.reveal_deadline, height + COMMIT_WINDOW + REVEAL_WINDOW);
    assert!(suite
        .jobs(JobsFilter::AwaitingAssignment {})
        .jobs
        .is_empty());
    // Racing nodes: a second call in the same block finds nothing left and still succeeds.
    let again = suite
        .execute(&keeper, &ExecuteMsg::AssignJobs { limit: None })
        .unwrap();
    assert_eq!(event_attr(&again, "wasm", "assigned").as_deref(), Some("0"));
    for operator in suite.assigned(job_id) {
        assert_eq!(suite.pending_work(&operator).work.len(), 1);
    }
}

/// What the submitter knows when it pays (the chain's state, its own block) does not fix the
/// draw: the same submissions on two chains that differ only in the assigning block's time, or in
/// whether one earlier reveal's salt was folded in before the assignment, draw different
/// operators.
#[test]
fn attack_the_draw_depends_on_what_arrives_after_submission() {
    fn drawn(time_shift_secs: u64, reveal_earlier_job: bool) -> Vec<Vec<Addr>> {
        let mut suite = Suite::new(9);
        let earlier = suite.submit(1, 1, None);
        let operator = suite.assigned(earlier)[0].clone();
        suite.commit(earlier, &operator, b"out").unwrap();
        if reveal_earlier_job {
            suite.reveal(earlier, &operator, b"out").unwrap();
        }
        let user = suite.user.clone();
        let msg = suite.submit_msg(3, 2, INPUT, false);
        let price = coins(suite.price(3), DENOM);
        let jobs: Vec<u64> = (0..8)
            .map(|_| job_id_of(&suite.execute_with_funds(&user, &msg, &price).unwrap()))
            .collect();
        suite
            .app
            .update_block(|block| block.time = block.time.plus_seconds(time_shift_secs));
        suite.assign();
        jobs.iter().map(|job_id| suite.assigned(*job_id)).collect()
    }
    let base = drawn(0, false);
    assert!(base.iter().all(|operators| operators.len() == 3));
    assert_eq!(base, drawn(0, false), "the draw is deterministic");
    assert_ne!(base, drawn(1, false), "the assigning block's time moves it");
    assert_ne!(base, drawn(0, true), "an earlier reveal's salt moves it");
}

/// Submit, wait for the draw, look, cancel, repeat: every retry now costs the protocol fee and
/// remainder (before 0.2.0 it was refunded in full), and so does a cancellation before the draw,
/// which shows nothing.
#[test]
fn attack_assignment_grinding_by_cancelling_costs_the_protocol_fee_per_retry() {
    let mut suite = Suite::new(5);
    let user = suite.user.clone();
    let (_, fee, remainder, _) = split(&suite, 3);
    let retry_cost = fee + remainder;
    assert_eq!(retry_cost, 150);
    let wanted = suite.operators[0].addr.clone();
    let mut retries = 0u128;
    loop {
        let user_before = suite.balance(&user);
        let job_id = suite.submit(3, 2, None);
        if suite.assigned(job_id)[0] == wanted || retries == 20 {
            break;
        }
        suite
            .execute(&user, &ExecuteMsg::Cancel { job_id })
            .unwrap();
        retries += 1;
        assert_eq!(suite.balance(&user), user_before - retry_cost);
    }
    assert!(
        retries > 0,
        "the first draw already gave the wanted operator"
    );

    let user_before = suite.balance(&user);
    let msg = suite.submit_msg(3, 2, INPUT, false);
    let price = coins(suite.price(3), DENOM);
    let job_id = job_id_of(&suite.execute_with_funds(&user, &msg, &price).unwrap());
    suite
        .execute(&user, &ExecuteMsg::Cancel { job_id })
        .unwrap();
    assert_eq!(suite.balance(&user), user_before - retry_cost);
    assert_eq!(suite.job(job_id).job.status, JobStatus::Cancelled);
    assert!(suite
        .jobs(JobsFilter::AwaitingAssignment {})
        .jobs
        .is_empty());
    let after_cancel = suite.assign();
    assert_eq!(
        event_attr(&after_cancel, "wasm", "assigned").as_deref(),
        Some("0")
    );
    assert_eq!(suite.treasury_pending(), (retries + 1) * retry_cost);
}

/// A job whose draw cannot be made (staked operators left since submission) waits without
/// holding up the jobs behind it, and its consumer can still cancel it.
#[test]
fn a_job_that_cannot_be_drawn_waits_without_blocking_the_queue() {
    let mut suite = Suite::new(3);
    let user = suite.user.clone();
    let big = suite.submit_msg(3, 2, INPUT, false);
    let small = suite.submit_msg(1, 1, INPUT, false);
    let stuck = job_id_of(
        &suite
            .execute_with_funds(&user, &big, &coins(suite.price(3), DENOM))
            .unwrap(),
    );
    let next = job_id_of(
        &suite
            .execute_with_funds(&user, &small, &coins(suite.price(1), DENOM))
            .unwrap(),
    );
    let leaving = suite.operators[2].addr.clone();
    suite
        .app
        .execute_contract(
            leaving,
            suite.staking.clone(),
            &sibyl_api::staking::ExecuteMsg::LeaveOperator {},
            &[],
        )
        .unwrap();
    suite.assign();
    assert_eq!(suite.job(stuck).job.phase, Some(JobPhase::Assignment));
    assert_eq!(suite.assigned(next).len(), 1);
    let queued = suite.jobs(JobsFilter::AwaitingAssignment {});
    assert_eq!(
        queued.jobs.iter().map(|job| job.job_id).collect::<Vec<_>>(),
        vec![stuck]
    );
    suite
        .execute(&user, &ExecuteMsg::Cancel { job_id: stuck })
        .unwrap();
    assert!(suite
        .jobs(JobsFilter::AwaitingAssignment {})
        .jobs
        .is_empty());
}

// ---------------------------------------------------------------------------------------------
// #3 Inputs of the wrong size

/// Before 0.2.0 an inline input of any length up to the inline limit was accepted, so a
/// consumer could submit bytes no operator can run (a poison job). Now the length must be the
/// model's input size, and a remote input declares its size, checked the same way.
#[test]
fn attack_inputs_of_the_wrong_size_are_refused_at_submission() {
    let mut suite = Suite::new(3);
    let user = suite.user.clone();
    let price = coins(suite.price(1), DENOM);
    for size in [1usize, 11, 63, 65, MAX_INLINE_INPUT as usize] {
        let msg = suite.submit_msg(1, 1, &vec![1u8; size], false);
        assert_error(
            suite.execute_with_funds(&user, &msg, &price),
            ContractError::InputSizeMismatch {
                size: size as u64,
                expected: 64,
            },
        );
    }
    for size in [0u64, 63, 65, u64::MAX] {
        let msg = remote_submit(&suite, 1, 1, vec![1; 32], size);
        assert_error(
            suite.execute_with_funds(&user, &msg, &price),
            ContractError::InputSizeMismatch { size, expected: 64 },
        );
    }
    // The declared size reaches the operators.
    let msg = remote_submit(&suite, 1, 1, vec![1; 32], 64);
    let job_id = job_id_of(&suite.execute_with_funds(&user, &msg, &price).unwrap());
    suite.assign();
    let operator = suite.assigned(job_id)[0].clone();
    let work = &suite.pending_work(&operator).work[0];
    assert!(matches!(work.input, JobInput::Remote { size: 64, .. }));

    // Elements × dtype size: i32 [2, 3] takes 24 bytes.
    let admin = suite.admin.clone();
    let i32_model = HexBinary::from(Sha256::digest(b"i32 model").to_vec());
    suite
        .execute(
            &admin,
            &ExecuteMsg::RegisterModel {
                model_hash: i32_model.clone(),
                uri: "file://i32.sibyl".to_string(),
                input_spec: TensorSpec {
                    dtype: DType::I32,
                    shape: vec![2, 3],
                },
                output_spec: TensorSpec {
                    dtype: DType::I32,
                    shape: vec![1],
                },
                cost_units: COST_UNITS,
                owner: None,
            },
        )
        .unwrap();
    let submit = |data: &[u8]| ExecuteMsg::SubmitJob {
        model_hash: i32_model.clone(),
        input: JobInput::Inline {
            data: Binary::from(data),
        },
        redundancy: Some(1),
        quorum: Some(1),
        callback: false,
    };
    assert_error(
        suite.execute_with_funds(&user, &submit(&[0u8; 6]), &price),
        ContractError::InputSizeMismatch {
            size: 6,
            expected: 24,
        },
    );
    suite
        .execute_with_funds(&user, &submit(&[0u8; 24]), &price)
        .unwrap();
}

// ---------------------------------------------------------------------------------------------
// #4 Callbacks go to the submitter only

/// Before 0.2.0 anyone could name any contract as `callback`: the escrow then called, say, the
/// example consumer with a result for a job the consumer never submitted, as the trusted escrow.
/// Now the message has no address to name, and the callback goes to the submitting contract.
#[test]
fn attack_callback_into_a_contract_that_did_not_submit_the_job_is_impossible() {
    let mut suite = Suite::new(3);
    let user = suite.user.clone();
    let victim = suite.consumer.clone();
    let price = coins(suite.price(3), DENOM);

    // The old message shape, naming the victim, does not parse.
    let old_shape = format!(
        r#"{{"submit_job":{{"model_hash":"{}","input":{{"inline":{{"data":"{}"}}}},"redundancy":3,"quorum":2,"callback":"{}"}}}}"#,
        suite.model_hash.to_hex(),
        Binary::from(INPUT).to_base64(),
        victim
    );
    let result = suite.app.execute(
        user.clone(),
        CosmosMsg::Wasm(WasmMsg::Execute {
            contract_addr: suite.escrow.to_string(),
            msg: Binary::from(old_shape.into_bytes()),
            funds: price.clone(),
        }),
    );
    assert!(result.is_err());

    // An account cannot be called back.
    let msg = suite.submit_msg(3, 2, INPUT, true);
    assert_error(
        suite.execute_with_funds(&user, &msg, &price),
        ContractError::CallbackNeedsContract {
            sender: user.to_string(),
        },
    );

    // An attacker contract asking for a callback is called back itself, never the victim.
    let attacker = suite.failing_consumer.clone();
    let job_id = suite.submit(3, 2, Some(&attacker));
    let assigned = suite.assigned(job_id);
    for operator in &assigned {
        suite.commit(job_id, operator, OUTPUT).unwrap();
    }
    suite.reveal(job_id, &assigned[0], OUTPUT).unwrap();
    suite.reveal(job_id, &assigned[1], OUTPUT).unwrap();
    let response = suite.reveal(job_id, &assigned[2], OUTPUT).unwrap();
    let job = suite.job(job_id);
    assert_eq!(job.job.consumer, attacker);
    assert!(job.job.callback);
    // The attacker's own callback handler ran (and refused): the victim received nothing.
    assert!(job.callback_error.is_some());
    let victim_executions = response
        .events
        .iter()
        .filter(|event| event.ty == "execute")
        .filter(|event| {
            event
                .attributes
                .iter()
                .any(|a| a.key == "_contract_address" && a.value == victim.as_str())
        })
        .count();
    assert_eq!(victim_executions, 0);
    let request: Result<RequestResponse, _> = suite
        .app
        .wrap()
        .query_wasm_smart(&victim, &ConsumerQuery::Request { job_id });
    assert!(request.is_err());
}

/// The example consumer with a callback that always fails, as one running out of its gas limit
/// would; everything else is the example consumer's own code.
fn out_of_gas_execute(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    msg: ConsumerMsg,
) -> Result<Response, sibyl_example_consumer::ContractError> {
    if matches!(msg, ConsumerMsg::SibylCallback(_)) {
        return Err(cosmwasm_std::StdError::msg("out of gas").into());
    }
    sibyl_example_consumer::contract::execute(deps, env, info, msg)
}

/// #13: the escrow's refund is a bank transfer to the consumer contract just before the
/// callback, so a failing callback left it stranded in the consumer. `Reconcile` forwards it.
#[test]
fn attack_failed_callback_strands_the_refund_in_the_consumer_until_reconciled() {
    let mut suite = Suite::new(3);
    let user = suite.user.clone();
    let admin = suite.admin.clone();
    let code = suite.app.store_code(Box::new(
        ContractWrapper::new(
            out_of_gas_execute,
            sibyl_example_consumer::contract::instantiate,
            sibyl_example_consumer::contract::query,
        )
        .with_reply(sibyl_example_consumer::contract::reply),
    ));
    let consumer = suite
        .app
        .instantiate_contract(
            code,
            admin,
            &consumer_instantiate_msg(&suite.escrow, &suite.model_hash),
            &[],
            "out-of-gas consumer",
            None,
        )
        .unwrap();
    let user_before = suite.balance(&user);
    let job_id = suite.request_inference(&consumer);
    let reconcile = |suite: &mut Suite, sender: &Addr, job_id: u64| {
        let msg = ConsumerMsg::Reconcile { job_id };
        suite
            .app
            .execute_contract(sender.clone(), consumer.clone(), &msg, &[])
    };
    assert!(reconcile(&mut suite, &user, job_id)
        .unwrap_err()
        .to_string()
        .contains("still open"));
    // Nobody answers: the whole price is refunded to the consumer, whose callback fails.
    suite.advance(COMMIT_WINDOW + 1);
    suite.settle(job_id).unwrap();
    assert!(suite.job(job_id).callback_error.is_some());
    assert_eq!(suite.balance(&consumer), suite.price(3));
    assert_eq!(suite.balance(&user), user_before - suite.price(3));

    let anyone = suite.app.api().addr_make("anyone");
    reconcile(&mut suite, &anyone, job_id).unwrap();
    assert_eq!(suite.balance(&consumer), 0);
    assert_eq!(suite.balance(&user), user_before);
    let request = suite.consumer_request(&consumer, job_id);
    assert_eq!(request.status, RequestStatus::Failed);
    // Paid once.
    assert!(reconcile(&mut suite, &anyone, job_id)
        .unwrap_err()
        .to_string()
        .contains("already settled"));
    assert!(reconcile(&mut suite, &anyone, 77).is_err());
}

// ---------------------------------------------------------------------------------------------
// #6 Slash fractions and slash events

/// Instantiating another escrow with `msg` fails with an error containing `expected`.
fn assert_instantiate_fails_with(suite: &mut Suite, msg: &InstantiateMsg, expected: &str) {
    let error = suite.instantiate_escrow(msg).unwrap_err().to_string();
    assert!(error.contains(expected), "{error}");
}

/// The admin's `update` fails with an error containing `expected`.
fn assert_update_fails_with(suite: &mut Suite, update: ConfigUpdate, expected: &str) {
    let error = suite.update_config(update).unwrap_err().to_string();
    assert!(error.contains(expected), "{error}");
}

/// Before 0.2.0 the escrow accepted slash fractions of 0 and 1, which the staking contract
/// refuses: every slash then failed at settlement and misbehaviour cost nothing, while the
/// escrow still announced `sibyl_slash` events.
#[test]
fn attack_slash_fractions_staking_refuses_are_refused_by_the_escrow() {
    let mut suite = Suite::new(1);
    for (wrong, missed, field, value) in [
        (
            Decimal::zero(),
            Decimal::percent(1),
            "wrong_result_slash",
            "0",
        ),
        (
            Decimal::one(),
            Decimal::percent(1),
            "wrong_result_slash",
            "1",
        ),
        (
            Decimal::percent(5),
            Decimal::zero(),
            "missed_job_slash",
            "0",
        ),
        (
            Decimal::percent(5),
            Decimal::percent(150),
            "missed_job_slash",
            "1.5",
        ),
    ] {
        let expected = ContractError::InvalidSlashFraction {
            field,
            value: value.to_string(),
        }
        .to_string();
        let msg = InstantiateMsg {
            wrong_result_slash: wrong,
            missed_job_slash: missed,
            ..suite.instantiate_msg()
        };
        assert_instantiate_fails_with(&mut suite, &msg, &expected);
        let update = ConfigUpdate {
            wrong_result_slash: Some(wrong),
            missed_job_slash: Some(missed),
            ..ConfigUpdate::default()
        };
        assert_update_fails_with(&mut suite, update, &expected);
    }
}

#[test]
fn slash_events_report_only_slashes_that_happened() {
    let mut suite = Suite::new(3);
    // The staking admin takes the escrow off the slashers: every slash is refused.
    let admin = suite.admin.clone();
    suite
        .app
        .execute_contract(
            admin,
            suite.staking.clone(),
            &sibyl_api::staking::ExecuteMsg::UpdateSlashers {
                add: vec![],
                remove: vec![suite.escrow.to_string()],
            },
            &[],
        )
        .unwrap();
    let job_id = suite.submit(3, 2, None);
    suite.advance(COMMIT_WINDOW + 1);
    let response = suite.settle(job_id).unwrap();
    assert_eq!(events_of(&response, "wasm-sibyl_slash").count(), 0);
    assert_eq!(events_of(&response, "wasm-sibyl_slash_failed").count(), 3);
    assert_eq!(suite.job(job_id).job.status, JobStatus::Failed);
}

// ---------------------------------------------------------------------------------------------
// #7 Unbounded config values

#[test]
fn callback_gas_limit_is_bounded() {
    let mut suite = Suite::new(1);
    for limit in [0, 9_999, 5_000_001, u64::MAX] {
        let expected = ContractError::InvalidCallbackGasLimit {
            limit,
            min: 10_000,
            max: 5_000_000,
        }
        .to_string();
        let msg = InstantiateMsg {
            callback_gas_limit: limit,
            ..suite.instantiate_msg()
        };
        assert_instantiate_fails_with(&mut suite, &msg, &expected);
        let update = ConfigUpdate {
            callback_gas_limit: Some(limit),
            ..ConfigUpdate::default()
        };
        assert_update_fails_with(&mut suite, update, &expected);
    }
    for limit in [10_000, 5_000_000] {
        let update = ConfigUpdate {
            callback_gas_limit: Some(limit),
            ..ConfigUpdate::default()
        };
        suite.update_config(update).unwrap();
    }
}

// ---------------------------------------------------------------------------------------------
// #8 Windows against the unbonding period

/// Before 0.2.0 nothing tied the windows (blocks) to the staking unbonding period (seconds):
/// with windows longer than the unbonding period an assigned operator could unbond at once,
/// claim its stake before the reveal deadline and leave nothing to slash. Such configurations
/// are refused now, at instantiation and on every update.
#[test]
fn attack_windows_longer_than_the_unbonding_period_are_refused() {
    let mut suite = Suite::new(1);
    let unbonding = 7 * 86_400u64;
    // (commit + reveal + margin) × block time must stay below the unbonding period.
    let commit_window = unbonding / MAX_BLOCK_TIME_SECS - REVEAL_WINDOW - SETTLEMENT_MARGIN;
    let expected = ContractError::WindowsExceedUnbonding {
        commit_window,
        reveal_window: REVEAL_WINDOW,
        settlement_margin: SETTLEMENT_MARGIN,
        max_block_time_secs: MAX_BLOCK_TIME_SECS,
        job_secs: unbonding,
        unbonding_period: unbonding,
    }
    .to_string();
    let update = ConfigUpdate {
        commit_window: Some(commit_window),
        ..ConfigUpdate::default()
    };
    assert_update_fails_with(&mut suite, update, &expected);
    // One block less fits.
    let update = ConfigUpdate {
        commit_window: Some(commit_window - 1),
        ..ConfigUpdate::default()
    };
    suite.update_config(update).unwrap();
    // A slower chain or a longer margin breaks the rule too.
    for update in [
        ConfigUpdate {
            max_block_time_secs: Some(MAX_BLOCK_TIME_SECS + 1),
            ..ConfigUpdate::default()
        },
        ConfigUpdate {
            settlement_margin: Some(SETTLEMENT_MARGIN + 1),
            ..ConfigUpdate::default()
        },
    ] {
        assert_update_fails_with(&mut suite, update, "could outlive the staking unbonding");
    }
    let msg = InstantiateMsg {
        commit_window: 50_000,
        reveal_window: 50_000,
        settlement_margin: 1,
        max_block_time_secs: 10,
        ..suite.instantiate_msg()
    };
    assert_instantiate_fails_with(&mut suite, &msg, "could outlive the staking unbonding");
}

// ---------------------------------------------------------------------------------------------
// Migration

/// Rewrites the escrow's stored config in the 0.1.0 layout (no decline fee, block time or
/// margin) and its cw2 version to 0.1.0: the state a 0.1.0 deployment has.
fn make_escrow_0_1_0(suite: &mut Suite) {
    let escrow = suite.escrow.clone();
    let mut storage = suite.app.contract_storage_mut(&escrow);
    let mut config = storage.get(b"cfg").unwrap();
    // Layout 2 ends with the decline fee (2000: 2 bytes), block time (6: 1) and margin (100: 1).
    assert_eq!(config[0], 2);
    config.truncate(config.len() - 4);
    config[0] = 1;
    storage.set(b"cfg", &config);
    cw2::set_contract_version(storage.as_mut(), "crates.io:sibyl-job-escrow", "0.1.0").unwrap();
}

#[test]
fn migrate_from_0_1_0_keeps_open_jobs_and_fills_the_new_config() {
    let mut suite = Suite::new(3);
    let job_id = suite.submit(3, 2, None);
    let assigned = suite.assigned(job_id);
    suite.commit(job_id, &assigned[0], OUTPUT).unwrap();
    make_escrow_0_1_0(&mut suite);
    let code = suite.app.store_code(escrow_contract());
    let admin = suite.admin.clone();
    let escrow = suite.escrow.clone();
    let response = suite
        .app
        .migrate_contract(
            admin,
            escrow.clone(),
            &MigrateMsg {
                max_block_time_secs: Some(7),
                ..MigrateMsg::default()
            },
            code,
        )
        .unwrap();
    assert_eq!(
        event_attr(&response, "wasm", "from_version").as_deref(),
        Some("0.1.0")
    );
    let config = suite.config();
    assert_eq!(config.max_block_time_secs, 7);
    assert_eq!(config.decline_fee_bps, 2_000);
    assert_eq!(config.settlement_margin, 100);
    let version = cw2::query_contract_info(&suite.app.wrap(), escrow).unwrap();
    assert_eq!(version.version, env!("CARGO_PKG_VERSION"));
    // The open job goes on.
    for operator in &assigned[1..] {
        suite.commit(job_id, operator, OUTPUT).unwrap();
    }
    for operator in &assigned {
        suite.reveal(job_id, operator, OUTPUT).unwrap();
    }
    assert_eq!(suite.job(job_id).job.status, JobStatus::Completed);
}

#[test]
fn migrate_refuses_another_contract_a_downgrade_and_a_bad_config() {
    let mut suite = Suite::new(1);
    let code = suite.app.store_code(escrow_contract());
    let admin = suite.admin.clone();
    let escrow = suite.escrow.clone();
    let migrate = |suite: &mut Suite, name: &str, version: &str, msg: &MigrateMsg| {
        let mut storage = suite.app.contract_storage_mut(&escrow);
        cw2::set_contract_version(storage.as_mut(), name, version).unwrap();
        drop(storage);
        suite
            .app
            .migrate_contract(admin.clone(), escrow.clone(), msg, code)
    };
    let ok = MigrateMsg::default();
    assert_error(
        migrate(&mut suite, "crates.io:sibyl-staking", "0.1.0", &ok),
        ContractError::WrongContract {
            stored: "crates.io:sibyl-staking".to_string(),
            expected: "crates.io:sibyl-job-escrow".to_string(),
        },
    );
    assert_error(
        migrate(&mut suite, "crates.io:sibyl-job-escrow", "9.0.0", &ok),
        ContractError::Downgrade {
            stored: "9.0.0".to_string(),
            current: env!("CARGO_PKG_VERSION").to_string(),
        },
    );
    assert_error(
        migrate(&mut suite, "crates.io:sibyl-job-escrow", "0.1", &ok),
        ContractError::BadVersion {
            version: "0.1".to_string(),
        },
    );
    let bad = MigrateMsg {
        decline_fee_bps: Some(10_001),
        ..MigrateMsg::default()
    };
    let error = migrate(&mut suite, "crates.io:sibyl-job-escrow", "0.1.0", &bad)
        .unwrap_err()
        .to_string();
    assert!(error.contains("decline fee"), "{error}");
    // The same version migrates (a no-op upgrade).
    let current = env!("CARGO_PKG_VERSION");
    migrate(&mut suite, "crates.io:sibyl-job-escrow", current, &ok).unwrap();
}

#[test]
fn example_consumer_migrates_only_from_itself_and_never_down() {
    let mut suite = Suite::new(1);
    let code = suite.app.store_code(consumer_contract());
    let admin = suite.admin.clone();
    let consumer = suite.consumer.clone();
    let migrate = |suite: &mut Suite, name: &str, version: &str| {
        let mut storage = suite.app.contract_storage_mut(&consumer);
        cw2::set_contract_version(storage.as_mut(), name, version).unwrap();
        drop(storage);
        suite
            .app
            .migrate_contract(
                admin.clone(),
                consumer.clone(),
                &sibyl_example_consumer::msg::MigrateMsg {},
                code,
            )
            .map(|_| ())
            .map_err(|error| error.to_string())
    };
    let error = migrate(&mut suite, "crates.io:other", "0.1.0").unwrap_err();
    assert!(error.contains("cannot migrate from contract"), "{error}");
    let error = migrate(&mut suite, "crates.io:sibyl-example-consumer", "1.0.0").unwrap_err();
    assert!(error.contains("to the older"), "{error}");
    migrate(&mut suite, "crates.io:sibyl-example-consumer", "0.1.0").unwrap();
    // Still configured and working.
    let config: sibyl_example_consumer::msg::ConfigResponse = suite
        .app
        .wrap()
        .query_wasm_smart(&suite.consumer, &ConsumerQuery::Config {})
        .unwrap();
    assert_eq!(config.escrow, suite.escrow);
}
