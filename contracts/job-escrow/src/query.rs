//! Job queries, including the operators' `PendingWork`.

use cosmwasm_std::{Coin, Deps, Env, HexBinary, Order, StdResult};
use cw_storage_plus::Bound;
use sibyl_api::escrow::{
    AssignmentResponse, JobInput, JobResponse, JobResult, JobSummary, JobsFilter, JobsResponse,
    PendingWork, PendingWorkResponse, DEFAULT_QUERY_LIMIT, MAX_QUERY_LIMIT,
};

use crate::error::ContractError;
use crate::lifecycle::{self, load_job, load_progress};
use crate::state::{
    status_key, Assignment, Job, Progress, StoredInput, ASSIGNMENTS, ASSIGNMENT_QUEUE,
    CALLBACK_ERRORS, CONFIG, JOBS, JOBS_BY_CONSUMER, JOBS_BY_STATUS, JOB_INPUTS, MODELS, OUTPUTS,
    PENDING_WORK,
};

pub fn job(deps: Deps, env: Env, job_id: u64) -> Result<JobResponse, ContractError> {
    let job = load_job(deps.storage, job_id)?;
    let progress = load_progress(deps.storage, job_id)?;
    let legacy = lifecycle::is_legacy(&job);
    let assignments = job
        .operators
        .iter()
        .zip(lifecycle::load_assignments(
            deps.storage,
            job_id,
            &job,
            &progress,
        )?)
        .map(|(operator, assignment)| AssignmentResponse {
            operator: operator.clone(),
            commitment: assignment
                .as_ref()
                .and_then(Assignment::commitment)
                .cloned(),
            output_hash: assignment
                .as_ref()
                .and_then(Assignment::output_hash)
                .map(|hash| HexBinary::from(hash.as_slice())),
            declined: assignment.as_ref().and_then(Assignment::declined),
            outcome: lifecycle::outcome(
                job.status,
                job.result_hash.as_ref(),
                legacy,
                assignment.as_ref(),
            ),
        })
        .collect();
    let result = match &job.result_hash {
        Some(hash) => Some(JobResult {
            output: OUTPUTS.load(deps.storage, (job_id, hash.as_slice()))?.0,
            output_hash: HexBinary::from(hash.as_slice()),
        }),
        None => None,
    };
    Ok(JobResponse {
        input: input(deps, job_id, &job)?,
        assignments,
        commits: progress.commits,
        reveals: progress.reveals,
        declines: progress.declines,
        result,
        callback_error: CALLBACK_ERRORS
            .may_load(deps.storage, job_id)?
            .map(|error| error.0),
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
        JobsFilter::AwaitingAssignment {} => ASSIGNMENT_QUEUE
            .keys(
                deps.storage,
                start_after.map(Bound::exclusive),
                None,
                Order::Ascending,
            )
            .take(limit)
            .collect::<StdResult<_>>()?,
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
            let progress = load_progress(deps.storage, job_id)?;
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
            let progress = load_progress(deps.storage, job_id)?;
            // A pending entry means the operator neither revealed nor declined.
            let commitment = ASSIGNMENTS
                .may_load(deps.storage, (job_id, &operator))?
                .and_then(|assignment| assignment.commitment().cloned());
            let (action, deadline_height) =
                lifecycle::work_action(&job, &progress, commitment.is_some(), height);
            Ok(PendingWork {
                job_id,
                consumer: job.consumer.clone(),
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

fn summary(
    deps: Deps,
    env: &Env,
    job_id: u64,
    job: Job,
    progress: Progress,
) -> Result<JobSummary, ContractError> {
    let config = CONFIG.load(deps.storage)?.0;
    Ok(JobSummary {
        job_id,
        phase: lifecycle::phase(&job, &progress, env.block.height),
        consumer: job.consumer,
        model_hash: HexBinary::from(job.model_hash.as_slice()),
        input_hash: HexBinary::from(job.input_hash.as_slice()),
        redundancy: job.redundancy,
        quorum: job.quorum,
        callback: job.callback.is_some(),
        price: Coin::new(job.price, &config.fee_denom),
        refund: job
            .refund
            .map(|refund| Coin::new(refund, &config.fee_denom)),
        protocol_fee: job.protocol_fee,
        submitted_height: job.submitted_height,
        assigned_height: job.assigned_height,
        commit_deadline: job.commit_deadline,
        reveal_deadline: job.reveal_deadline,
        status: job.status,
        settled_height: job.settled_height,
    })
}

fn input(deps: Deps, job_id: u64, job: &Job) -> StdResult<JobInput> {
    Ok(match JOB_INPUTS.load(deps.storage, job_id)? {
        StoredInput::Inline(data) => JobInput::Inline { data },
        StoredInput::Remote { uri, size } => JobInput::Remote {
            hash: HexBinary::from(job.input_hash.as_slice()),
            uri,
            size,
        },
    })
}

fn page_limit(limit: Option<u32>) -> usize {
    limit.unwrap_or(DEFAULT_QUERY_LIMIT).min(MAX_QUERY_LIMIT) as usize
}
