//! `AssignJobs`: draws the operators of queued jobs, in a later block than their submission.
//!
//! Drawing at submission let a consumer see its operators before it had paid anything it could
//! not get back (submit, look, cancel, repeat). Here the seed comes from the assigning
//! transaction's block and the reveal-salt accumulator, neither of which exists when the
//! consumer pays; the commit window opens only now.

use cosmwasm_std::{DepsMut, Env, HexBinary, Order, Response, StdResult};
use sibyl_api::escrow::events::{JobAssigned, TypedEvent};
use sibyl_api::escrow::MAX_ASSIGN_BATCH;

use crate::error::ContractError;
use crate::sampling::{draw_operators, job_seed};
use crate::staking;
use crate::state::{Empty, ASSIGNMENT_QUEUE, CONFIG, ENTROPY, JOBS, PENDING_WORK};

pub fn assign_jobs(deps: DepsMut, env: Env, limit: Option<u32>) -> Result<Response, ContractError> {
    let limit = limit.unwrap_or(MAX_ASSIGN_BATCH).min(MAX_ASSIGN_BATCH) as usize;
    let height = env.block.height;
    // Ids grow with submission height, so the due jobs are a prefix of the queue.
    let due: Vec<u64> = ASSIGNMENT_QUEUE
        .keys(deps.storage, None, None, Order::Ascending)
        .take(limit)
        .collect::<StdResult<_>>()?;
    let mut response = Response::new().add_attribute("action", "assign_jobs");
    let mut assigned = 0u32;
    if !due.is_empty() {
        let config = CONFIG.load(deps.storage)?.0;
        let active = staking::active_set(&deps.querier, &config.staking_contract)?;
        let entropy = ENTROPY.may_load(deps.storage)?.unwrap_or_default();
        for job_id in due {
            let mut job = JOBS.load(deps.storage, job_id)?;
            if job.submitted_height >= height {
                break;
            }
            let seed = job_seed(&config.seed_source, &env, &entropy, job_id);
            // Too few staked operators left since submission: the job waits for more (or for
            // its consumer to cancel it) without holding up the jobs behind it.
            let Some(operators) = draw_operators(&active, job.redundancy as usize, &seed) else {
                continue;
            };
            job.assigned_height = Some(height);
            job.commit_deadline = height + config.commit_window;
            job.reveal_deadline = job.commit_deadline + config.reveal_window;
            job.operators = operators;
            ASSIGNMENT_QUEUE.remove(deps.storage, job_id);
            for operator in &job.operators {
                PENDING_WORK.save(deps.storage, (operator, job_id), &Empty {})?;
                response = response.add_event(
                    JobAssigned {
                        job_id,
                        operator: operator.clone(),
                        model_hash: HexBinary::from(job.model_hash.as_slice()),
                        input_hash: HexBinary::from(job.input_hash.as_slice()),
                        commit_deadline: job.commit_deadline,
                        reveal_deadline: job.reveal_deadline,
                    }
                    .to_event(),
                );
            }
            JOBS.save(deps.storage, job_id, &job)?;
            assigned += 1;
        }
    }
    Ok(response.add_attribute("assigned", assigned.to_string()))
}
