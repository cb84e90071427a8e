//! The job handler: runs dispatched work items concurrently (bounded), retrying transient
//! failures with backoff. A failing job is logged with its id, counted, and skipped: it never
//! stops the node.

use std::sync::Arc;

use tokio::sync::{mpsc, Semaphore};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::discovery::WorkItem;
use super::pipeline::JobContext;
use super::tracker::{Action, JobTracker};
use crate::config::SubmissionConfig;

/// Runs work items until cancelled; unfinished jobs are dropped (the database makes that safe).
pub async fn run(
    context: Arc<JobContext>,
    tracker: JobTracker,
    mut work: mpsc::Receiver<WorkItem>,
    max_concurrent_jobs: usize,
    retries: SubmissionConfig,
    cancel: CancellationToken,
) -> Result<(), std::convert::Infallible> {
    let slots = Arc::new(Semaphore::new(max_concurrent_jobs));
    let mut tasks = JoinSet::new();
    loop {
        tokio::select! {
            _ = cancel.cancelled() => break,
            Some(_) = tasks.join_next(), if !tasks.is_empty() => {}
            item = work.recv() => {
                let Some(item) = item else { break };
                let slot = tokio::select! {
                    _ = cancel.cancelled() => break,
                    slot = slots.clone().acquire_owned() => match slot {
                        Ok(slot) => slot,
                        // The semaphore is never closed.
                        Err(_) => break,
                    },
                };
                let context = context.clone();
                let tracker = tracker.clone();
                let retries = retries.clone();
                let cancel = cancel.clone();
                tasks.spawn(async move {
                    run_one(&context, &tracker, item, &retries, &cancel).await;
                    drop(slot);
                });
            }
        }
    }
    tasks.shutdown().await;
    Ok(())
}

async fn run_one(
    context: &JobContext,
    tracker: &JobTracker,
    item: WorkItem,
    retries: &SubmissionConfig,
    cancel: &CancellationToken,
) {
    let job_id = item.work.job_id;
    let action = item.action;
    let _in_flight = context.metrics.job_started();
    let mut attempt = 1;
    let mut committed = false;
    loop {
        match context.run(action, &item.work, item.seen_height).await {
            Ok(()) => {
                committed = action == Action::Commit;
                break;
            }
            Err(error) if error.is_transient() && attempt < retries.max_attempts => {
                let delay = retries.backoff(attempt);
                tracing::warn!(job_id, action = action.name(), attempt, ?delay, %error, "job step failed, retrying");
                tokio::select! {
                    _ = cancel.cancelled() => return,
                    _ = tokio::time::sleep(delay) => {}
                }
                attempt += 1;
            }
            Err(error) => {
                tracing::error!(job_id, action = action.name(), reason = error.reason(), %error, "job skipped");
                context.metrics.job_failed(error.reason());
                context.record_failure(job_id, &error).await;
                break;
            }
        }
    }
    tracker.finish(job_id, action);
    if committed {
        // The other operators' commits (events) now decide when the reveal phase opens; ours may
        // have been the last one.
        tracker.await_reveal(job_id);
        tracker.request_rescan();
    }
}
