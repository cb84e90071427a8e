//! Settlement, cancellation and the messages that move a job's money.
//!
//! Outcomes (the job's escrow `price` is paid out or refunded exactly once; each operator's
//! outcome comes from `lifecycle::outcome`):
//! - **Completed**: the most frequent revealed output hash has at least `quorum` reveals (a strict
//!   majority). Each agreeing operator gets one `per_operator` share through the staking
//!   contract's `Distribute`. Operators who revealed another output are slashed by
//!   `wrong_result_slash` and jailed; operators who did not commit, did not reveal or declined are
//!   slashed by `missed_job_slash` and jailed.
//! - **Failed** (no quorum): every revealer gets its `per_operator` share (its output was
//!   published, so the consumer could read it: a failed job does not hand out outputs for free),
//!   every decliner the `decline_fee`; operators who did not commit or did not reveal are slashed
//!   by `missed_job_slash` and jailed. Revealers are not penalised: without a quorum nobody can
//!   tell which of them is wrong.
//! - **Cancelled**: decliners get the `decline_fee`; nobody is penalised.
//!
//! Whenever at least one operator is paid, and on every cancellation (so that submitting, looking
//! at the assignment and cancelling is not free), the protocol fee and the rounding remainder go to
//! the treasury; the consumer gets back everything nobody earned (the refund). A failed job nobody
//! answered refunds the whole price.
//!
//! Payments, slashes and the consumer callback are sub-messages that may fail without undoing the
//! settlement (see `reply.rs`): a payment the staking contract refuses goes to the treasury.

use cosmwasm_std::{
    Addr, BankMsg, Binary, Coin, Decimal, DepsMut, Env, Event, HexBinary, MessageInfo, Response,
    StdResult, SubMsg, Uint128,
};
use sibyl_api::consumer::{CallbackStatus, JobCallback};
use sibyl_api::escrow::events::{JobSettled, TypedEvent};
use sibyl_api::escrow::{Config, JobStatus, OperatorOutcome};

use crate::error::ContractError;
use crate::lifecycle::{self, load_assignments, load_job, load_open_job, load_progress};
use crate::pricing::{decline_fee, split};
use crate::staking;
use crate::state::{
    status_key, Assignment, Empty, Job, Progress, TreasuryOwed, ASSIGNMENT_QUEUE, CONFIG, JOBS,
    JOBS_BY_STATUS, OUTPUTS, PENDING_WORK, TREASURY_OWED,
};

pub const REPLY_CALLBACK: u64 = 1;
pub const REPLY_PAYMENT: u64 = 2;
pub const REPLY_SLASH: u64 = 3;

/// Carried by a `Distribute` sub-message so a refused payment can be credited to the treasury.
/// Encoded as `u64_be(job_id) ‖ u128_be(amount) ‖ operator`.
#[derive(Clone, Debug, PartialEq)]
pub struct PaymentPayload {
    pub job_id: u64,
    pub operator: Addr,
    pub amount: Uint128,
}

impl From<PaymentPayload> for Binary {
    fn from(payload: PaymentPayload) -> Binary {
        let mut bytes = payload.job_id.to_be_bytes().to_vec();
        bytes.extend_from_slice(&payload.amount.u128().to_be_bytes());
        bytes.extend_from_slice(payload.operator.as_bytes());
        Binary::from(bytes)
    }
}

impl TryFrom<Binary> for PaymentPayload {
    type Error = String;

    fn try_from(bytes: Binary) -> Result<PaymentPayload, String> {
        let corrupt = || "corrupt payment payload".to_string();
        let job_id = bytes.get(..8).ok_or_else(corrupt)?;
        let amount = bytes.get(8..24).ok_or_else(corrupt)?;
        let operator = String::from_utf8(bytes[24..].to_vec()).map_err(|_| corrupt())?;
        Ok(PaymentPayload {
            job_id: u64::from_be_bytes(job_id.try_into().map_err(|_| corrupt())?),
            amount: Uint128::new(u128::from_be_bytes(
                amount.try_into().map_err(|_| corrupt())?,
            )),
            // Written by this contract from a validated address.
            operator: Addr::unchecked(operator),
        })
    }
}

/// Why an operator is slashed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SlashReason {
    WrongResult,
    Missed,
}

impl SlashReason {
    pub fn name(self) -> &'static str {
        match self {
            SlashReason::WrongResult => "wrong_result",
            SlashReason::Missed => "missed",
        }
    }
}

/// Carried by a `Slash` sub-message so its reply can report the slash (or its refusal).
/// Encoded as `u64_be(job_id) ‖ reason (0 wrong result, 1 missed) ‖ u128_be(fraction atomics) ‖
/// operator`.
#[derive(Clone, Debug, PartialEq)]
pub struct SlashPayload {
    pub job_id: u64,
    pub reason: SlashReason,
    pub fraction: Decimal,
    pub operator: Addr,
}

impl From<SlashPayload> for Binary {
    fn from(payload: SlashPayload) -> Binary {
        let mut bytes = payload.job_id.to_be_bytes().to_vec();
        bytes.push(match payload.reason {
            SlashReason::WrongResult => 0,
            SlashReason::Missed => 1,
        });
        bytes.extend_from_slice(&payload.fraction.atomics().u128().to_be_bytes());
        bytes.extend_from_slice(payload.operator.as_bytes());
        Binary::from(bytes)
    }
}

impl TryFrom<Binary> for SlashPayload {
    type Error = String;

    fn try_from(bytes: Binary) -> Result<SlashPayload, String> {
        let corrupt = || "corrupt slash payload".to_string();
        let job_id = bytes.get(..8).ok_or_else(corrupt)?;
        let reason = match bytes.get(8).ok_or_else(corrupt)? {
            0 => SlashReason::WrongResult,
            1 => SlashReason::Missed,
            _ => return Err(corrupt()),
        };
        let fraction = bytes.get(9..25).ok_or_else(corrupt)?;
        let operator = String::from_utf8(bytes[25..].to_vec()).map_err(|_| corrupt())?;
        Ok(SlashPayload {
            job_id: u64::from_be_bytes(job_id.try_into().map_err(|_| corrupt())?),
            reason,
            fraction: Decimal::new(Uint128::new(u128::from_be_bytes(
                fraction.try_into().map_err(|_| corrupt())?,
            ))),
            // Written by this contract from a validated address.
            operator: Addr::unchecked(operator),
        })
    }
}

/// What a settlement adds to the response of the message that triggered it.
pub struct Settlement {
    pub messages: Vec<SubMsg>,
    pub events: Vec<Event>,
}

pub fn settle(deps: DepsMut, env: Env, job_id: u64) -> Result<Response, ContractError> {
    let job = load_job(deps.storage, job_id)?;
    let response = Response::new()
        .add_attribute("action", "settle")
        .add_attribute("job_id", job_id.to_string());
    if job.status != JobStatus::Open {
        // Idempotent: a settled job stays as it is.
        return Ok(response.add_attribute("already_settled", "true"));
    }
    if job.awaits_assignment() {
        return Err(ContractError::AwaitingAssignment { job_id });
    }
    let progress = load_progress(deps.storage, job_id)?;
    if !lifecycle::settleable(&job, &progress, env.block.height) {
        return Err(ContractError::SettlementNotReady {
            job_id,
            reveal_deadline: job.reveal_deadline,
        });
    }
    let config = CONFIG.load(deps.storage)?.0;
    let settlement = settle_job(deps, &env, &config, job_id, job, progress)?;
    Ok(response
        .add_submessages(settlement.messages)
        .add_events(settlement.events))
}

pub fn cancel(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    job_id: u64,
) -> Result<Response, ContractError> {
    let job = load_open_job(deps.storage, job_id)?;
    if info.sender != job.consumer {
        return Err(ContractError::NotConsumer { job_id });
    }
    let progress = load_progress(deps.storage, job_id)?;
    if progress.commits > 0 {
        return Err(ContractError::JobHasCommits { job_id });
    }
    // After the commit window the silent operators owe a liveness penalty: Settle applies it.
    if !job.awaits_assignment() && env.block.height > job.commit_deadline {
        return Err(ContractError::CancelTooLate { job_id });
    }
    let config = CONFIG.load(deps.storage)?.0;
    let assignments = load_assignments(deps.storage, job_id, &job, &progress)?;
    let settlement = close(
        deps,
        &env,
        &config,
        job_id,
        job,
        &assignments,
        JobStatus::Cancelled,
        None,
    )?;
    Ok(Response::new()
        .add_attribute("action", "cancel")
        .add_submessages(settlement.messages)
        .add_events(settlement.events))
}

/// Decides the outcome of an open job, records it and returns the messages that carry it out.
pub fn settle_job(
    deps: DepsMut,
    env: &Env,
    config: &Config,
    job_id: u64,
    job: Job,
    progress: Progress,
) -> Result<Settlement, ContractError> {
    let assignments = load_assignments(deps.storage, job_id, &job, &progress)?;
    let decision = lifecycle::decide(&job, &assignments);
    close(
        deps,
        env,
        config,
        job_id,
        job,
        &assignments,
        decision.status,
        decision.winner,
    )
}

/// Pays, slashes and refunds by each operator's outcome, moves the job to `status` and clears
/// what only open jobs need.
#[allow(clippy::too_many_arguments)]
fn close(
    deps: DepsMut,
    env: &Env,
    config: &Config,
    job_id: u64,
    mut job: Job,
    assignments: &[Option<Assignment>],
    status: JobStatus,
    winner: Option<Binary>,
) -> Result<Settlement, ContractError> {
    let price = split(job.price, job.protocol_fee, job.redundancy)?;
    let decline_fee = decline_fee(price.per_operator, config.decline_fee_bps);

    let mut messages = Vec::new();
    let mut events = Vec::new();
    let mut earned = Uint128::zero();
    let mut anyone_paid = false;
    for (operator, assignment) in job.operators.iter().zip(assignments) {
        let outcome = lifecycle::outcome(status, winner.as_ref(), false, assignment.as_ref());
        let (pay, penalty) = match outcome {
            OperatorOutcome::Paid | OperatorOutcome::PaidNoQuorum => (price.per_operator, None),
            OperatorOutcome::DeclinePaid => (decline_fee, None),
            OperatorOutcome::SlashedWrongResult => (
                Uint128::zero(),
                Some((SlashReason::WrongResult, config.wrong_result_slash)),
            ),
            OperatorOutcome::SlashedMissed => (
                Uint128::zero(),
                Some((SlashReason::Missed, config.missed_job_slash)),
            ),
            OperatorOutcome::Unpaid | OperatorOutcome::Pending => (Uint128::zero(), None),
        };
        if matches!(
            outcome,
            OperatorOutcome::Paid | OperatorOutcome::PaidNoQuorum | OperatorOutcome::DeclinePaid
        ) {
            anyone_paid = true;
        }
        if !pay.is_zero() {
            earned = earned.checked_add(pay)?;
            messages.push(payment(config, job_id, operator, pay)?);
        }
        if let Some((reason, fraction)) = penalty {
            messages.push(slash(config, &job, job_id, operator, reason, fraction)?);
        }
    }
    if anyone_paid || status == JobStatus::Cancelled {
        let owed = price.protocol_fee.checked_add(price.remainder)?;
        earned = earned.checked_add(owed)?;
        TREASURY_OWED.update(
            deps.storage,
            |TreasuryOwed(total)| -> Result<_, ContractError> {
                Ok(TreasuryOwed(total.checked_add(owed)?))
            },
        )?;
    }
    let refund = job.price.checked_sub(earned)?;

    // Keep only the winning output.
    let mut distinct: Vec<&Binary> = assignments
        .iter()
        .flatten()
        .filter_map(Assignment::output_hash)
        .collect();
    distinct.sort();
    distinct.dedup();
    for hash in distinct {
        if Some(hash) != winner.as_ref() {
            OUTPUTS.remove(deps.storage, (job_id, hash.as_slice()));
        }
    }
    let output = match &winner {
        Some(hash) => Some(OUTPUTS.load(deps.storage, (job_id, hash.as_slice()))?.0),
        None => None,
    };

    JOBS_BY_STATUS.remove(deps.storage, (status_key(JobStatus::Open), job_id));
    JOBS_BY_STATUS.save(deps.storage, (status_key(status), job_id), &Empty {})?;
    if job.awaits_assignment() {
        ASSIGNMENT_QUEUE.remove(deps.storage, job_id);
    }
    // Operators that revealed or declined already dropped their pending-work entry (deleting
    // costs gas even when absent).
    for (operator, assignment) in job.operators.iter().zip(assignments) {
        let done = assignment
            .as_ref()
            .is_some_and(|a| a.output_hash().is_some() || a.declined().is_some());
        if !done {
            PENDING_WORK.remove(deps.storage, (operator, job_id));
        }
    }
    job.status = status;
    job.result_hash = winner.clone();
    job.settled_height = Some(env.block.height);
    job.refund = Some(refund);
    JOBS.save(deps.storage, job_id, &job)?;

    if !refund.is_zero() {
        messages.push(SubMsg::new(refund_msg(
            &job.consumer,
            refund,
            &config.fee_denom,
        )));
    }
    // A cancelling consumer is told by its own transaction; the callback reports results.
    if let (Some(callback), false) = (&job.callback, status == JobStatus::Cancelled) {
        messages.push(callback_msg(
            config, callback, job_id, &winner, output, refund,
        )?);
    }
    events.push(settle_event(job_id, status, winner.as_ref(), refund));
    Ok(Settlement { messages, events })
}

fn payment(config: &Config, job_id: u64, operator: &Addr, amount: Uint128) -> StdResult<SubMsg> {
    let msg = staking::distribute(
        &config.staking_contract,
        operator,
        amount,
        &config.fee_denom,
    )?;
    Ok(
        SubMsg::reply_on_error(msg, REPLY_PAYMENT).with_payload(Binary::from(PaymentPayload {
            job_id,
            operator: operator.clone(),
            amount,
        })),
    )
}

fn slash(
    config: &Config,
    job: &Job,
    job_id: u64,
    operator: &Addr,
    reason: SlashReason,
    fraction: Decimal,
) -> StdResult<SubMsg> {
    // The assignment height: unbonding after being assigned does not escape the penalty. Only
    // assigned operators are ever slashed, so the height is always there.
    let msg = staking::slash_and_jail(
        &config.staking_contract,
        operator,
        fraction,
        job.assigned_height.unwrap_or(job.submitted_height),
    )?;
    // Replied to either way: the `sibyl_slash` event is emitted only once the staking contract
    // has carried the slash out.
    Ok(
        SubMsg::reply_always(msg, REPLY_SLASH).with_payload(Binary::from(SlashPayload {
            job_id,
            reason,
            fraction,
            operator: operator.clone(),
        })),
    )
}

fn callback_msg(
    config: &Config,
    callback: &Addr,
    job_id: u64,
    winner: &Option<Binary>,
    output: Option<Binary>,
    refund: Uint128,
) -> StdResult<SubMsg> {
    let status = if winner.is_some() {
        CallbackStatus::Completed
    } else {
        CallbackStatus::Failed
    };
    let msg = JobCallback {
        job_id,
        status,
        output,
        output_hash: winner.as_ref().map(|hash| HexBinary::from(hash.as_slice())),
        refund: Coin::new(refund, &config.fee_denom),
    }
    .into_cosmos_msg(callback)?;
    // A gas limit, so a callback that burns gas cannot make settlement run out of gas.
    Ok(SubMsg::reply_on_error(msg, REPLY_CALLBACK)
        .with_gas_limit(config.callback_gas_limit)
        .with_payload(Binary::from(job_id.to_be_bytes())))
}

fn refund_msg(consumer: &Addr, amount: Uint128, denom: &str) -> BankMsg {
    BankMsg::Send {
        to_address: consumer.to_string(),
        amount: vec![Coin::new(amount, denom)],
    }
}

fn settle_event(
    job_id: u64,
    status: JobStatus,
    output_hash: Option<&Binary>,
    refund: Uint128,
) -> Event {
    JobSettled {
        job_id,
        status,
        refund,
        output_hash: output_hash.map(|hash| HexBinary::from(hash.as_slice())),
    }
    .to_event()
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn payloads_round_trip() {
        let payment = PaymentPayload {
            job_id: u64::MAX,
            operator: Addr::unchecked("cosmwasm1operator"),
            amount: Uint128::new(u128::MAX),
        };
        let bytes = Binary::from(payment.clone());
        assert_eq!(PaymentPayload::try_from(bytes).unwrap(), payment);
        for reason in [SlashReason::WrongResult, SlashReason::Missed] {
            let slash = SlashPayload {
                job_id: 3,
                reason,
                fraction: Decimal::percent(7),
                operator: Addr::unchecked("cosmwasm1operator"),
            };
            let bytes = Binary::from(slash.clone());
            assert_eq!(SlashPayload::try_from(bytes).unwrap(), slash);
        }
        assert!(PaymentPayload::try_from(Binary::from([0u8; 7])).is_err());
        assert!(SlashPayload::try_from(Binary::from([0u8; 3])).is_err());
        assert!(SlashPayload::try_from(Binary::from([0u8; 20])).is_err());
        let mut bad_reason = [0u8; 30];
        bad_reason[8] = 9;
        assert!(SlashPayload::try_from(Binary::from(bad_reason)).is_err());
    }
}
