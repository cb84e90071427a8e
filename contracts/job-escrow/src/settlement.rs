//! Settlement, cancellation and the messages that move a job's money.
//!
//! Outcomes (the job's escrow `price` is paid out or refunded exactly once):
//! - **Completed**: the most frequent revealed output hash has at least `quorum` reveals and no
//!   other hash ties with it. Each agreeing operator gets one `per_operator` share through the
//!   staking contract's `Distribute`; the shares of the other operators go back to the consumer;
//!   the protocol fee and the rounding remainder go to the treasury. Operators who revealed another
//!   output are slashed by `wrong_result_slash` and jailed; operators who did not commit or did not
//!   reveal are slashed by `missed_job_slash` and jailed.
//! - **Failed** (no quorum): the consumer gets the whole price back; operators who did not commit
//!   or did not reveal are slashed by `missed_job_slash` and jailed. Revealers are not penalised:
//!   without a quorum nobody can tell which of them is wrong.
//! - **Cancelled**: the consumer gets the whole price back; nobody is penalised.
//!
//! Payments, slashes and the consumer callback are sub-messages that may fail without undoing the
//! settlement (see `reply.rs`): a payment the staking contract refuses goes to the treasury.

use cosmwasm_std::{
    Addr, BankMsg, Binary, Coin, Decimal, DepsMut, Env, Event, HexBinary, MessageInfo, Response,
    StdResult, SubMsg, Uint128,
};
use sibyl_api::consumer::{CallbackStatus, JobCallback};
use sibyl_api::escrow::{events, Config, JobStatus};

use crate::commit_reveal::load_open_job;
use crate::error::ContractError;
use crate::pricing::split;
use crate::staking;
use crate::state::{
    status_key, Empty, Job, Progress, ASSIGNMENTS, CONFIG, JOBS, JOBS_BY_STATUS, JOB_PROGRESS,
    OUTPUTS, PENDING_WORK, TREASURY_OWED,
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

/// Carried by a `Slash` sub-message so a refused slash can be reported.
/// Encoded as `u64_be(job_id) ‖ operator`.
#[derive(Clone, Debug, PartialEq)]
pub struct SlashPayload {
    pub job_id: u64,
    pub operator: Addr,
}

impl From<SlashPayload> for Binary {
    fn from(payload: SlashPayload) -> Binary {
        let mut bytes = payload.job_id.to_be_bytes().to_vec();
        bytes.extend_from_slice(payload.operator.as_bytes());
        Binary::from(bytes)
    }
}

impl TryFrom<Binary> for SlashPayload {
    type Error = String;

    fn try_from(bytes: Binary) -> Result<SlashPayload, String> {
        let corrupt = || "corrupt slash payload".to_string();
        let job_id = bytes.get(..8).ok_or_else(corrupt)?;
        let operator = String::from_utf8(bytes[8..].to_vec()).map_err(|_| corrupt())?;
        Ok(SlashPayload {
            job_id: u64::from_be_bytes(job_id.try_into().map_err(|_| corrupt())?),
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
    let job = JOBS
        .may_load(deps.storage, job_id)?
        .ok_or(ContractError::UnknownJob { job_id })?;
    let response = Response::new()
        .add_attribute("action", "settle")
        .add_attribute("job_id", job_id.to_string());
    if job.status != JobStatus::Open {
        // Idempotent: a settled job stays as it is.
        return Ok(response.add_attribute("already_settled", "true"));
    }
    let progress = JOB_PROGRESS
        .may_load(deps.storage, job_id)?
        .unwrap_or_default();
    let height = env.block.height;
    let all_reveals_in =
        job.commit_phase_closed(&progress, height) && progress.reveals == progress.commits;
    if height <= job.reveal_deadline && !all_reveals_in {
        return Err(ContractError::SettlementNotReady {
            job_id,
            reveal_deadline: job.reveal_deadline,
        });
    }
    let config = CONFIG.load(deps.storage)?;
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
    let mut job = load_open_job(deps.storage, job_id)?;
    if info.sender != job.consumer {
        return Err(ContractError::NotConsumer { job_id });
    }
    let progress = JOB_PROGRESS
        .may_load(deps.storage, job_id)?
        .unwrap_or_default();
    if progress.commits > 0 {
        return Err(ContractError::JobHasCommits { job_id });
    }
    // After the commit window the silent operators owe a liveness penalty: Settle applies it.
    if env.block.height > job.commit_deadline {
        return Err(ContractError::CancelTooLate { job_id });
    }
    let config = CONFIG.load(deps.storage)?;
    // Nobody committed, so every operator still has a pending-work entry.
    let pending = vec![true; job.operators.len()];
    close_job(
        deps,
        &env,
        job_id,
        &mut job,
        JobStatus::Cancelled,
        None,
        &pending,
    )?;
    Ok(Response::new()
        .add_attribute("action", "cancel")
        .add_message(refund_msg(&job.consumer, job.price, &config.fee_denom))
        .add_event(settle_event(job_id, JobStatus::Cancelled, None, job.price)))
}

/// Decides the outcome of an open job, records it and returns the messages that carry it out.
pub fn settle_job(
    deps: DepsMut,
    env: &Env,
    config: &Config,
    job_id: u64,
    mut job: Job,
    progress: Progress,
) -> Result<Settlement, ContractError> {
    let revealed = load_reveals(&deps, job_id, &job, progress)?;
    let winner = quorum_winner(&revealed, job.quorum);
    let price = split(job.price, job.protocol_fee, job.redundancy)?;

    let mut messages = Vec::new();
    let mut events = Vec::new();
    let mut agreeing: u32 = 0;
    for (operator, output_hash) in job.operators.iter().zip(&revealed) {
        let penalty = match (output_hash, &winner) {
            (Some(hash), Some(won)) if hash == won => {
                agreeing += 1;
                if !price.per_operator.is_zero() {
                    messages.push(payment(config, job_id, operator, price.per_operator)?);
                }
                None
            }
            (Some(_), Some(_)) => Some(("wrong_result", config.wrong_result_slash)),
            (Some(_), None) => None,
            (None, _) => Some(("missed", config.missed_job_slash)),
        };
        if let Some((reason, fraction)) = penalty {
            messages.push(slash(config, &job, job_id, operator, fraction)?);
            events.push(
                Event::new(events::SLASH)
                    .add_attribute("job_id", job_id.to_string())
                    .add_attribute("operator", operator)
                    .add_attribute("reason", reason)
                    .add_attribute("fraction", fraction.to_string()),
            );
        }
    }

    let (status, refund) = match &winner {
        Some(_) => {
            let unearned = price
                .per_operator
                .checked_mul(Uint128::from(job.redundancy - agreeing))?;
            let owed = price.protocol_fee.checked_add(price.remainder)?;
            TREASURY_OWED.update(deps.storage, |total| -> Result<_, ContractError> {
                Ok(total.checked_add(owed)?)
            })?;
            (JobStatus::Completed, unearned)
        }
        None => (JobStatus::Failed, job.price),
    };
    // Keep only the winning output.
    let mut distinct: Vec<&Binary> = revealed.iter().flatten().collect();
    distinct.sort();
    distinct.dedup();
    for hash in distinct {
        if Some(hash) != winner.as_ref() {
            OUTPUTS.remove(deps.storage, (job_id, hash.as_slice()));
        }
    }
    let output = match &winner {
        Some(hash) => Some(OUTPUTS.load(deps.storage, (job_id, hash.as_slice()))?),
        None => None,
    };
    // Operators that revealed already dropped their pending-work entry.
    let pending: Vec<bool> = revealed.iter().map(Option::is_none).collect();
    close_job(
        deps,
        env,
        job_id,
        &mut job,
        status,
        winner.clone(),
        &pending,
    )?;

    if !refund.is_zero() {
        messages.push(SubMsg::new(refund_msg(
            &job.consumer,
            refund,
            &config.fee_denom,
        )));
    }
    if let Some(callback) = &job.callback {
        messages.push(callback_msg(
            config, callback, job_id, &winner, output, refund,
        )?);
    }
    events.push(settle_event(job_id, status, winner.as_ref(), refund));
    Ok(Settlement { messages, events })
}

/// Each assigned operator's revealed output hash (`None`: did not commit or did not reveal), in
/// assignment order. Reads no assignment when nobody committed.
fn load_reveals(
    deps: &DepsMut,
    job_id: u64,
    job: &Job,
    progress: Progress,
) -> StdResult<Vec<Option<Binary>>> {
    job.operators
        .iter()
        .map(|operator| {
            if progress.reveals == 0 {
                return Ok(None);
            }
            Ok(ASSIGNMENTS
                .may_load(deps.storage, (job_id, operator))?
                .and_then(|assignment| assignment.output_hash))
        })
        .collect()
}

/// The output hash revealed most often, if it reached `quorum` and no other hash ties with it
/// (possible only when the quorum is not a strict majority).
pub fn quorum_winner(revealed: &[Option<Binary>], quorum: u32) -> Option<Binary> {
    let mut counts: Vec<(&Binary, u32)> = Vec::new();
    for hash in revealed.iter().flatten() {
        match counts.iter_mut().find(|(seen, _)| *seen == hash) {
            Some((_, count)) => *count += 1,
            None => counts.push((hash, 1)),
        }
    }
    let best = counts.iter().map(|(_, count)| *count).max()?;
    let mut leaders = counts.iter().filter(|(_, count)| *count == best);
    let (leader, _) = leaders.next()?;
    if best < quorum || leaders.next().is_some() {
        return None;
    }
    Some((*leader).clone())
}

/// Moves the job to its terminal state and clears what only open jobs need. `pending[i]` says
/// whether `job.operators[i]` still has a pending-work entry (deleting costs gas even when absent).
fn close_job(
    deps: DepsMut,
    env: &Env,
    job_id: u64,
    job: &mut Job,
    status: JobStatus,
    result_hash: Option<Binary>,
    pending: &[bool],
) -> StdResult<()> {
    JOBS_BY_STATUS.remove(deps.storage, (status_key(JobStatus::Open), job_id));
    JOBS_BY_STATUS.save(deps.storage, (status_key(status), job_id), &Empty {})?;
    for (operator, _) in job.operators.iter().zip(pending).filter(|(_, p)| **p) {
        PENDING_WORK.remove(deps.storage, (operator, job_id));
    }
    job.status = status;
    job.result_hash = result_hash;
    job.settled_height = Some(env.block.height);
    JOBS.save(deps.storage, job_id, job)
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
    fraction: Decimal,
) -> StdResult<SubMsg> {
    // The assignment height: unbonding after being assigned does not escape the penalty.
    let msg = staking::slash_and_jail(
        &config.staking_contract,
        operator,
        fraction,
        job.submitted_height,
    )?;
    Ok(
        SubMsg::reply_on_error(msg, REPLY_SLASH).with_payload(Binary::from(SlashPayload {
            job_id,
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
    let status_name = match status {
        JobStatus::Open => "open",
        JobStatus::Completed => "completed",
        JobStatus::Failed => "failed",
        JobStatus::Cancelled => "cancelled",
    };
    let event = Event::new(events::SETTLE)
        .add_attribute("job_id", job_id.to_string())
        .add_attribute("status", status_name)
        .add_attribute("refund", refund);
    match output_hash {
        Some(hash) => event.add_attribute("output_hash", HexBinary::from(hash.as_slice()).to_hex()),
        None => event,
    }
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
        let slash = SlashPayload {
            job_id: 3,
            operator: Addr::unchecked("cosmwasm1operator"),
        };
        let bytes = Binary::from(slash.clone());
        assert_eq!(SlashPayload::try_from(bytes).unwrap(), slash);
        assert!(PaymentPayload::try_from(Binary::from([0u8; 7])).is_err());
        assert!(SlashPayload::try_from(Binary::from([0u8; 3])).is_err());
    }

    #[test]
    fn quorum_needs_a_unique_leader() {
        let a = Some(Binary::from(b"a"));
        let b = Some(Binary::from(b"b"));
        assert_eq!(quorum_winner(&[a.clone(), a.clone(), b.clone()], 2), a);
        assert_eq!(quorum_winner(&[a.clone(), b.clone(), None], 1), None);
        assert_eq!(quorum_winner(&[a.clone(), None, None], 2), None);
        assert_eq!(quorum_winner(&[None, None], 1), None);
        assert_eq!(quorum_winner(&[b.clone(), None], 1), b);
    }
}
