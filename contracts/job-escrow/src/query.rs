//! Job queries, including the operators' `PendingWork`.

use cosmwasm_std::{Binary, Coin, Deps, Env, HexBinary, Order, StdResult};
use cw_storage_plus::Bound;
use sibyl_api::escrow::{
    AssignmentResponse, JobInput, JobPhase, JobResponse, JobResult, JobStatus, JobSummary,
    JobsFilter, JobsResponse, OperatorOutcome, PendingWork, PendingWorkResponse, WorkAction,
    DEFAULT_QUERY_LIMIT, MAX_QUERY_LIMIT,
};

use crate::error::ContractError;
use crate::state::{
    status_key, Job, Progress, StoredInput, ASSIGNMENTS, CALLBACK_ERRORS, CONFIG, JOBS,
    JOBS_BY_CONSUMER, JOBS_BY_STATUS, JOB_INPUTS, JOB_PROGRESS, MODELS, OUTPUTS, PENDING_WORK,
};

pub fn job(deps: Deps, env: Env, job_id: u64) -> Result<JobResponse, ContractError> {
    let job = JOBS
        .may_load(deps.storage, job_id)?
        .ok_or(ContractError::UnknownJob { job_id })?;
    let progress = progress(deps, job_id)?;
    let mut assignments = Vec::with_capacity(job.operators.len());
    for operator in &job.operators {
        let assignment = ASSIGNMENTS.may_load(deps.storage, (job_id, operator))?;
        let output_hash = assignment.as_ref().and_then(|a| a.output_hash.clone());
        assignments.push(AssignmentResponse {
            operator: operator.clone(),
            commitment: assignment.map(|a| a.commitment),
            outcome: outcome(&job, output_hash.as_ref()),
            output_hash: output_hash.map(|hash| HexBinary::from(hash.as_slice())),
        });
    }
    let result = match &job.result_hash {
        Some(hash) => Some(JobResult {
            output: OUTPUTS.load(deps.storage, (job_id, hash.as_slice()))?,
            output_hash: HexBinary::from(hash.as_slice()),
        }),
        None => None,
    };
    Ok(JobResponse {
        input: input(deps, job_id, &job)?,
        assignments,
        commits: progress.commits,
        reveals: progress.reveals,
        result,
        callback_error: CALLBACK_ERRORS.may_load(deps.storage, job_id)?,
        job: summary(deps, &env, job_id, job, progress)?,
    })
}

pub fn jobs(
    deps: Deps,
    env: Env,
    filter: JobsFilter,
    start_after: Option<u64>,
    limit: Option<u32>,
) -> Result<JobsResponse, ContractError> {
    let limit = page_limit(limit);
    let ids: Vec<u64> = match filter {
        JobsFilter::Consumer { address } => {
            let consumer = deps.api.addr_validate(&address)?;
            JOBS_BY_CONSUMER
                .prefix(&consumer)
                .keys(
                    deps.storage,
                    start_after.map(Bound::exclusive),
                    None,
                    Order::Ascending,
                )
                .take(limit)
                .collect::<StdResult<_>>()?
        }
        JobsFilter::Status { status } => JOBS_BY_STATUS
            .prefix(status_key(status))
            .keys(
                deps.storage,
                start_after.map(Bound::exclusive),
                None,
                Order::Ascending,
            )
            .take(limit)
            .collect::<StdResult<_>>()?,
    };
    let jobs = ids
        .into_iter()
        .map(|job_id| {
            let job = JOBS.load(deps.storage, job_id)?;
            let progress = progress(deps, job_id)?;
            summary(deps, &env, job_id, job, progress)
        })
        .collect::<Result<_, _>>()?;
    Ok(JobsResponse { jobs })
}

pub fn pending_work(
    deps: Deps,
    env: Env,
    operator: String,
    start_after: Option<u64>,
    limit: Option<u32>,
) -> Result<PendingWorkResponse, ContractError> {
    let operator = deps.api.addr_validate(&operator)?;
    let ids: Vec<u64> = PENDING_WORK
        .prefix(&operator)
        .keys(
            deps.storage,
            start_after.map(Bound::exclusive),
            None,
            Order::Ascending,
        )
        .take(page_limit(limit))
        .collect::<StdResult<_>>()?;
    let height = env.block.height;
    let work = ids
        .into_iter()
        .map(|job_id| {
            let job = JOBS.load(deps.storage, job_id)?;
            let model = MODELS.load(deps.storage, job.model_hash.as_slice())?;
            let progress = progress(deps, job_id)?;
            let commitment = ASSIGNMENTS
                .may_load(deps.storage, (job_id, &operator))?
                .map(|assignment| assignment.commitment);
            let (action, deadline_height) = action(&job, &progress, commitment.is_some(), height);
            Ok(PendingWork {
                job_id,
                model_hash: HexBinary::from(job.model_hash.as_slice()),
                model_uri: model.uri,
                input: input(deps, job_id, &job)?,
                input_hash: HexBinary::from(job.input_hash.as_slice()),
                action,
                deadline_height,
                commit_deadline: job.commit_deadline,
                reveal_deadline: job.reveal_deadline,
                commitment,
            })
        })
        .collect::<Result<_, ContractError>>()?;
    Ok(PendingWorkResponse { work })
}

/// What an operator with a pending entry must do at `height`, and until when.
fn action(job: &Job, progress: &Progress, committed: bool, height: u64) -> (WorkAction, u64) {
    if !committed {
        if height <= job.commit_deadline {
            return (WorkAction::Commit, job.commit_deadline);
        }
        return (WorkAction::Missed, job.reveal_deadline);
    }
    if height > job.reveal_deadline {
        return (WorkAction::Missed, job.reveal_deadline);
    }
    if job.commit_phase_closed(progress, height) {
        (WorkAction::Reveal, job.reveal_deadline)
    } else {
        (WorkAction::AwaitRevealPhase, job.reveal_deadline)
    }
}

fn phase(job: &Job, progress: &Progress, height: u64) -> Option<JobPhase> {
    if job.status != JobStatus::Open {
        return None;
    }
    let phase = if !job.commit_phase_closed(progress, height) {
        JobPhase::Commit
    } else if height <= job.reveal_deadline && progress.reveals < progress.commits {
        JobPhase::Reveal
    } else {
        JobPhase::AwaitingSettlement
    };
    Some(phase)
}

fn outcome(job: &Job, output_hash: Option<&Binary>) -> OperatorOutcome {
    match (job.status, output_hash, &job.result_hash) {
        (JobStatus::Open, _, _) => OperatorOutcome::Pending,
        (JobStatus::Cancelled, _, _) => OperatorOutcome::Unpaid,
        (_, None, _) => OperatorOutcome::SlashedMissed,
        (_, Some(hash), Some(result)) if hash == result => OperatorOutcome::Paid,
        (_, Some(_), Some(_)) => OperatorOutcome::SlashedWrongResult,
        (_, Some(_), None) => OperatorOutcome::Unpaid,
    }
}

fn summary(
    deps: Deps,
    env: &Env,
    job_id: u64,
    job: Job,
    progress: Progress,
) -> Result<JobSummary, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    Ok(JobSummary {
        job_id,
        phase: phase(&job, &progress, env.block.height),
        consumer: job.consumer,
        model_hash: HexBinary::from(job.model_hash.as_slice()),
        input_hash: HexBinary::from(job.input_hash.as_slice()),
        redundancy: job.redundancy,
        quorum: job.quorum,
        callback: job.callback,
        price: Coin::new(job.price, config.fee_denom),
        protocol_fee: job.protocol_fee,
        submitted_height: job.submitted_height,
        commit_deadline: job.commit_deadline,
        reveal_deadline: job.reveal_deadline,
        status: job.status,
        settled_height: job.settled_height,
    })
}

fn input(deps: Deps, job_id: u64, job: &Job) -> StdResult<JobInput> {
    Ok(match JOB_INPUTS.load(deps.storage, job_id)? {
        StoredInput::Inline(data) => JobInput::Inline { data },
        StoredInput::Remote(uri) => JobInput::Remote {
            hash: HexBinary::from(job.input_hash.as_slice()),
            uri,
        },
    })
}

fn progress(deps: Deps, job_id: u64) -> StdResult<Progress> {
    Ok(JOB_PROGRESS
        .may_load(deps.storage, job_id)?
        .unwrap_or_default())
}

fn page_limit(limit: Option<u32>) -> usize {
    limit.unwrap_or(DEFAULT_QUERY_LIMIT).min(MAX_QUERY_LIMIT) as usize
}
