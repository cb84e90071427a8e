//! One task per assigned job, from assignment to settlement: fetch, execute, persist, commit,
//! wait for the reveal phase, reveal, wait for settlement, record the outcome.
//!
//! The task is the only writer of its job's record, and that record is the single source of
//! truth: each chain fact discovery sends ([`JobFact`]) is turned into the next step by the pure
//! [`decide`](decide::decide) from the record as it is on disk, so a restart, a stale page or a
//! repeated fact can never send a step twice. The task is also the only retry layer: a transient
//! failure is tried again with backoff (the submitter sends each transaction once), until the
//! attempts run out or a newer chain fact arrives.

pub mod decide;
mod steps;

use std::sync::Arc;

use sibyl_api::escrow::{JobResponse, PendingWork};
use tokio::sync::{mpsc, Semaphore};
use tokio_util::sync::CancellationToken;

use super::content::ContentFetcher;
use super::executor::Executor;
use super::failure::{JobFailure, NextStep};
use super::records::Records;
use super::submitter::Submitter;
use super::telemetry::NodeMetrics;
use crate::config::{FetchConfig, RetryConfig};
use crate::keyed_slots::KeyedSlots;
use crate::signer::AttestationSigner;

/// A chain fact about one job, from discovery to the job's task.
#[derive(Clone, Debug)]
pub enum JobFact {
    /// The escrow's `PendingWork` entry for the job, read when block `height` was the latest.
    Pending { work: Box<PendingWork>, height: u64 },
    /// The job is no longer open; its final state as the escrow reports it.
    Settled(Box<JobResponse>),
}

/// What every job task needs, shared by the tasks of one node.
pub struct JobContext {
    pub chain_id: String,
    pub escrow: String,
    pub operator: String,
    pub signer: AttestationSigner,
    pub records: Records,
    pub content: ContentFetcher,
    pub executor: Arc<dyn Executor>,
    /// Bounds the jobs fetched and executed at once (waiting for a phase takes no slot).
    pub execution_slots: Semaphore,
    /// Bounds those of one consumer; taken before an execution slot.
    pub consumer_slots: KeyedSlots,
    pub submitter: Submitter,
    pub metrics: NodeMetrics,
    pub limits: FetchConfig,
    pub retry: RetryConfig,
}

/// Runs the task of job `job_id` until the job's settlement is recorded, the facts end (the node
/// stops) or `cancel` fires.
pub async fn run(
    context: Arc<JobContext>,
    job_id: u64,
    mut facts: mpsc::UnboundedReceiver<JobFact>,
    cancel: CancellationToken,
) {
    let _live = context.metrics.job_started();
    let mut newer = None;
    loop {
        let fact = match newer.take() {
            Some(fact) => fact,
            None => tokio::select! {
                _ = cancel.cancelled() => return,
                fact = facts.recv() => match fact {
                    Some(fact) => fact,
                    None => return,
                },
            },
        };
        match fact {
            JobFact::Pending { work, height } => {
                newer = advance(&context, &work, height, &mut facts, &cancel).await;
            }
            JobFact::Settled(job) => match context.record_settlement(&job).await {
                Ok(true) => return,
                Ok(false) => {}
                Err(failure) => {
                    context.record_failure(job_id, &failure, None).await;
                }
            },
        }
    }
}

/// Takes the step `work` calls for, retrying transient failures with backoff. Returns a fact that
/// arrived meanwhile: it is newer than `work` and replaces it. A settlement that arrives while a
/// step runs ends the step at once (a download or an execution for a closed job is wasted work,
/// and a hostile consumer could use it to keep nodes busy); every step is safe to drop, because
/// the record is the only state and `decide` takes the next step from it.
async fn advance(
    context: &JobContext,
    work: &PendingWork,
    height: u64,
    facts: &mut mpsc::UnboundedReceiver<JobFact>,
    cancel: &CancellationToken,
) -> Option<JobFact> {
    let job_id = work.job_id;
    let mut attempt = 1;
    let mut newer = None;
    loop {
        let step = async {
            let record = context.load(job_id).await?;
            let step = decide::decide(record.as_ref(), work);
            context.take(step, record, work, height).await
        };
        let result = match interrupted_by_settlement(step, facts, &mut newer).await {
            Ok(result) => result,
            Err(settled) => return Some(settled),
        };
        let failure: JobFailure = match result {
            Ok(()) => return newer,
            Err(failure) => failure,
        };
        let next = if attempt < context.retry.max_attempts {
            failure.next_step()
        } else {
            failure.final_step()
        };
        match next {
            NextStep::Retry => {}
            // The recorded failure makes `decide` choose the decline (a step of its own, so a
            // restart before it is sent still sends it); without a record, nothing can be sent.
            NextStep::Decline(reason) => {
                if context.record_failure(job_id, &failure, Some(reason)).await {
                    attempt = 1;
                    continue;
                }
                return newer;
            }
            NextStep::GiveUp => {
                context.record_failure(job_id, &failure, None).await;
                return newer;
            }
        }
        if newer.is_some() {
            return newer;
        }
        let delay = context.retry.backoff(attempt);
        tracing::warn!(job_id, attempt, ?delay, %failure, "job step failed, retrying");
        attempt += 1;
        tokio::select! {
            _ = cancel.cancelled() => return None,
            _ = tokio::time::sleep(delay) => {}
            fact = facts.recv() => return fact,
        }
    }
}

/// Runs `step` while watching `facts`: a settlement drops the step and comes back as `Err`; a
/// newer pending entry is kept in `newer` for after the step.
async fn interrupted_by_settlement<T>(
    step: impl std::future::Future<Output = T>,
    facts: &mut mpsc::UnboundedReceiver<JobFact>,
    newer: &mut Option<JobFact>,
) -> Result<T, JobFact> {
    tokio::pin!(step);
    let mut open = true;
    loop {
        tokio::select! {
            result = &mut step => return Ok(result),
            fact = facts.recv(), if open => match fact {
                Some(settled @ JobFact::Settled(_)) => return Err(settled),
                Some(pending) => *newer = Some(pending),
                None => open = false,
            },
        }
    }
}
