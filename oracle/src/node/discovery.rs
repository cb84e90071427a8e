//! Where a job enters: the block follower.
//!
//! Events of each new block say when something changed for this operator (an assignment, a commit
//! on a job waiting for the reveal phase, a settlement); the escrow's `PendingWork` query is the
//! source of truth for what to do. The block cursor is persisted after each batch of blocks, so
//! settlements that happened while the node was down are still recorded after a restart, and a
//! full `PendingWork` scan at start-up picks up every open job.

use std::collections::HashSet;

use sibyl_api::escrow::{
    events, JobResponse, JobStatus, OperatorOutcome, PendingWork, PendingWorkResponse, QueryMsg,
    WorkAction,
};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::records::Records;
use super::telemetry::NodeMetrics;
use super::tracker::{Action, JobTracker};
use crate::chain::{query, ChainClient, ChainError, ChainEvent};
use crate::config::DiscoveryConfig;
use crate::store::{SettlementOutcome, StoreError};

/// A step of a job the node must take.
#[derive(Clone, Debug)]
pub struct WorkItem {
    pub action: Action,
    pub work: PendingWork,
    /// The latest block when the work was found.
    pub seen_height: u64,
}

/// Why the block follower stopped.
#[derive(Debug, thiserror::Error)]
pub enum DiscoveryError {
    #[error("chain: {0}")]
    Chain(#[from] ChainError),
    #[error(transparent)]
    Database(#[from] StoreError),
}

/// Follows blocks and dispatches work until cancelled.
pub struct Discovery<C: ChainClient> {
    pub client: C,
    pub escrow: String,
    pub config: DiscoveryConfig,
    pub records: Records,
    pub tracker: JobTracker,
    pub metrics: NodeMetrics,
    pub work: mpsc::Sender<WorkItem>,
}

impl<C: ChainClient> Discovery<C> {
    pub async fn run(self, cancel: CancellationToken) -> Result<(), DiscoveryError> {
        let mut cursor = match self.records.run(|store| store.cursor()).await? {
            Some(cursor) => cursor,
            // A fresh database: jobs already open are found by the scan below.
            None => self.client.latest_height().await?,
        };
        tracing::info!(cursor, "following blocks");
        self.scan_pending_work(cursor).await?;
        let mut last_scan = cursor;
        loop {
            let latest = tokio::select! {
                _ = cancel.cancelled() => return Ok(()),
                _ = self.tracker.rescan_requested() => {
                    self.scan_pending_work(cursor).await?;
                    continue;
                }
                latest = self.client.wait_for_block_after(cursor) => latest?,
            };
            self.metrics.block_height(latest);
            let up_to = latest.min(cursor.saturating_add(self.config.max_blocks_per_poll));
            let (changed, settled) = match self.client.events_between(cursor, up_to).await {
                Ok(events) => self.classify(&events),
                Err(ChainError::EventsPruned {
                    requested,
                    oldest_kept,
                }) => {
                    tracing::warn!(
                        requested,
                        oldest_kept,
                        "events were pruned while the node was behind; relying on PendingWork"
                    );
                    (true, Vec::new())
                }
                Err(e) => return Err(e.into()),
            };
            if changed || up_to.saturating_sub(last_scan) >= self.config.full_sync_every_blocks {
                self.scan_pending_work(up_to).await?;
                last_scan = up_to;
            }
            for job_id in settled {
                self.record_settlement(job_id).await?;
            }
            self.records
                .run(move |store| store.set_cursor(up_to))
                .await?;
            cursor = up_to;
        }
    }

    /// Whether the events change this operator's work, and which of its jobs settled.
    fn classify(&self, events: &[ChainEvent]) -> (bool, Vec<u64>) {
        let me = self.client.account();
        let mut changed = false;
        let mut settled = Vec::new();
        for event in events
            .iter()
            .filter(|e| e.contract() == Some(self.escrow.as_str()))
        {
            let Some(kind) = event.kind.strip_prefix("wasm-") else {
                continue;
            };
            let job_id = event
                .attribute("job_id")
                .and_then(|id| id.parse::<u64>().ok());
            match (kind, job_id) {
                (events::ASSIGN, Some(job_id)) if event.attribute("operator") == Some(me) => {
                    tracing::debug!(job_id, "assigned");
                    changed = true;
                }
                (events::COMMIT, Some(job_id)) if self.tracker.is_awaiting_reveal(job_id) => {
                    changed = true;
                }
                (events::SETTLE, Some(job_id)) => settled.push(job_id),
                _ => {}
            }
        }
        (changed, settled)
    }

    /// Reads every page of `PendingWork` and dispatches what is not already running.
    async fn scan_pending_work(&self, height: u64) -> Result<(), DiscoveryError> {
        let mut start_after = None;
        let mut pending = HashSet::new();
        loop {
            let page: PendingWorkResponse = query(
                &self.client,
                &self.escrow,
                &QueryMsg::PendingWork {
                    operator: self.client.account().to_string(),
                    start_after,
                    limit: Some(self.config.page_size),
                },
            )
            .await?;
            let Some(last) = page.work.last() else {
                break;
            };
            start_after = Some(last.job_id);
            let full_page = page.work.len() >= self.config.page_size as usize;
            for work in page.work {
                pending.insert(work.job_id);
                self.dispatch(work, height).await;
            }
            if !full_page {
                break;
            }
        }
        self.tracker.retain_pending(&pending);
        Ok(())
    }

    async fn dispatch(&self, work: PendingWork, seen_height: u64) {
        match Action::for_work(work.action) {
            Some(action) if self.tracker.try_start(work.job_id, action) => {
                // The handler only stops with the node; then nothing is left to do.
                let _ = self
                    .work
                    .send(WorkItem {
                        action,
                        work,
                        seen_height,
                    })
                    .await;
            }
            // Already running, or done.
            Some(_) => {}
            None if work.action == WorkAction::AwaitRevealPhase => {
                self.tracker.await_reveal(work.job_id);
            }
            None => {}
        }
    }

    /// Records how a job of ours ended and what it earned.
    async fn record_settlement(&self, job_id: u64) -> Result<(), DiscoveryError> {
        let known = self
            .records
            .run(move |store| Ok(store.job(job_id)?.is_some_and(|job| !job.is_settled())))
            .await?;
        if !known {
            return Ok(());
        }
        let job: JobResponse = query(&self.client, &self.escrow, &QueryMsg::Job { job_id }).await?;
        let me = self.client.account();
        let Some(assignment) = job.assignments.iter().find(|a| a.operator.as_str() == me) else {
            return Ok(());
        };
        let Some(outcome) = settlement_outcome(job.job.status, assignment.outcome) else {
            return Ok(());
        };
        let earned = if outcome == SettlementOutcome::Agreed {
            per_operator_fee(&job)
        } else {
            0
        };
        self.records
            .run(move |store| store.mark_settled(job_id, outcome, earned))
            .await?;
        let name = outcome_name(outcome);
        self.metrics.job_settled(outcome, earned);
        tracing::info!(job_id, outcome = name, earned, "settled");
        Ok(())
    }
}

/// What each agreeing operator is paid: `⌊(price − protocol_fee) / redundancy⌋`.
fn per_operator_fee(job: &JobResponse) -> u128 {
    let price = cosmwasm_std::Uint128::try_from(job.job.price.amount)
        .map_or(u128::MAX, |amount| amount.u128());
    price
        .saturating_sub(job.job.protocol_fee.u128())
        .checked_div(u128::from(job.job.redundancy))
        .unwrap_or(0)
}

/// This operator's view of a settled job; `None` while it is still open.
fn settlement_outcome(status: JobStatus, outcome: OperatorOutcome) -> Option<SettlementOutcome> {
    match (status, outcome) {
        (JobStatus::Open, _) | (_, OperatorOutcome::Pending) => None,
        (JobStatus::Cancelled, _) => Some(SettlementOutcome::Cancelled),
        (_, OperatorOutcome::Paid) => Some(SettlementOutcome::Agreed),
        (_, OperatorOutcome::SlashedWrongResult) => Some(SettlementOutcome::Dissent),
        (_, OperatorOutcome::SlashedMissed) => Some(SettlementOutcome::Missed),
        (_, OperatorOutcome::Unpaid) => Some(SettlementOutcome::Refunded),
    }
}

fn outcome_name(outcome: SettlementOutcome) -> &'static str {
    match outcome {
        SettlementOutcome::Agreed => "agreed",
        SettlementOutcome::Dissent => "dissent",
        SettlementOutcome::Refunded => "refunded",
        SettlementOutcome::Missed => "missed",
        SettlementOutcome::Cancelled => "cancelled",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settlement_outcomes_follow_the_escrow() {
        use OperatorOutcome as O;
        use SettlementOutcome as S;
        assert_eq!(settlement_outcome(JobStatus::Open, O::Paid), None);
        assert_eq!(settlement_outcome(JobStatus::Completed, O::Pending), None);
        assert_eq!(
            settlement_outcome(JobStatus::Completed, O::Paid),
            Some(S::Agreed)
        );
        assert_eq!(
            settlement_outcome(JobStatus::Completed, O::SlashedWrongResult),
            Some(S::Dissent)
        );
        assert_eq!(
            settlement_outcome(JobStatus::Failed, O::SlashedMissed),
            Some(S::Missed)
        );
        assert_eq!(
            settlement_outcome(JobStatus::Failed, O::Unpaid),
            Some(S::Refunded)
        );
        assert_eq!(
            settlement_outcome(JobStatus::Cancelled, O::Unpaid),
            Some(S::Cancelled)
        );
        for outcome in [S::Agreed, S::Dissent, S::Refunded, S::Missed, S::Cancelled] {
            assert!(!outcome_name(outcome).is_empty());
        }
    }
}
