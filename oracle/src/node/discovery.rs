//! Where a job enters: the block follower.
//!
//! Discovery turns chain facts into messages to the jobs' tasks and writes nothing but its block
//! cursor. Events of each new block say when something changed for this operator (an assignment,
//! a commit on one of its jobs, a settlement); the escrow's `PendingWork` query, read page by page
//! until the escrow has no more, is the source of truth for what each job needs. A deadline of a
//! tracked job passing also triggers a read, since the escrow's view changes then without an
//! event. The cursor is persisted after each batch of blocks, so settlements that happened while
//! the node was down are still delivered after a restart, and every unsettled job in the database
//! gets its task back at start-up.

use std::collections::HashSet;
use std::time::Duration;

use sibyl_api::escrow::events::{Committed, JobAssigned, JobSettled, JobSubmitted};
use sibyl_api::escrow::{JobResponse, JobStatus, PendingWorkResponse, QueryMsg, MAX_QUERY_LIMIT};
use tokio_util::sync::CancellationToken;

use super::assigner::Assigner;
use super::job::JobFact;
use super::records::Records;
use super::telemetry::NodeMetrics;
use super::tracker::JobTracker;
use crate::chain::{query, ChainClient, ChainError, ChainEvent};
use crate::config::DiscoveryConfig;
use crate::store::StoreError;

/// Why the block follower stopped.
#[derive(Debug, thiserror::Error)]
pub enum DiscoveryError {
    #[error("chain: {0}")]
    Chain(#[from] ChainError),
    #[error(transparent)]
    Database(#[from] StoreError),
}

/// First and longest pause before following the chain again after it stopped answering.
const OUTAGE_BACKOFF_START: Duration = Duration::from_millis(250);
const OUTAGE_BACKOFF_MAX: Duration = Duration::from_secs(10);

/// What one batch of blocks changed for this operator.
#[derive(Debug, Default, PartialEq, Eq)]
struct BlockFacts {
    /// Something may have changed this operator's pending work: read `PendingWork`.
    work_changed: bool,
    /// A job was submitted: it waits for `AssignJobs`.
    submitted: bool,
    /// Jobs with a live task that settled.
    settled: Vec<u64>,
}

/// Follows blocks and delivers chain facts to the jobs' tasks until cancelled.
pub struct Discovery<C: ChainClient> {
    pub client: C,
    pub escrow: String,
    pub config: DiscoveryConfig,
    pub records: Records,
    pub tracker: JobTracker,
    pub metrics: NodeMetrics,
    pub assigner: Assigner,
}

impl<C: ChainClient> Discovery<C> {
    /// Follows blocks until cancelled. While the chain does not answer, it waits with backoff
    /// and starts again from the persisted cursor: an outage delays work, it never ends the node.
    pub async fn run(mut self, cancel: CancellationToken) -> Result<(), DiscoveryError> {
        let mut pause = OUTAGE_BACKOFF_START;
        let result = loop {
            match self.follow(&cancel).await {
                Err(DiscoveryError::Chain(error)) if error.is_transient() => {
                    tracing::warn!(%error, retry_in_ms = pause.as_millis() as u64, "chain unavailable");
                    self.metrics.chain_unavailable(error.to_string());
                    tokio::select! {
                        _ = cancel.cancelled() => break Ok(()),
                        _ = tokio::time::sleep(pause) => {}
                    }
                    pause = (pause * 2).min(OUTAGE_BACKOFF_MAX);
                }
                other => break other,
            }
        };
        self.tracker.shutdown().await;
        result
    }

    async fn follow(&mut self, cancel: &CancellationToken) -> Result<(), DiscoveryError> {
        let mut cursor = match self.records.run(|store| store.cursor()).await? {
            Some(cursor) => cursor,
            // A fresh database: jobs already open are found by the scan below.
            None => self.client.latest_height().await?,
        };
        tracing::info!(cursor, "following blocks");
        let unsettled = self.records.run(|store| store.active_jobs()).await?;
        for record in &unsettled {
            self.tracker.track(record.job_id());
        }
        tracing::info!(
            jobs = unsettled.len(),
            "job tasks rebuilt from the database"
        );
        self.sync(cursor).await?;
        let mut last_sync = cursor;
        loop {
            let latest = tokio::select! {
                _ = cancel.cancelled() => return Ok(()),
                latest = self.client.wait_for_block_after(cursor) => latest?,
            };
            self.metrics.block_height(latest);
            let up_to = latest.min(cursor.saturating_add(self.config.max_blocks_per_poll));
            let facts = match self.client.events_between(cursor, up_to).await {
                Ok(events) => self.classify(&events),
                Err(ChainError::EventsPruned {
                    requested,
                    oldest_kept,
                }) => {
                    tracing::warn!(
                        requested,
                        oldest_kept,
                        "events were pruned while the node was behind; relying on queries"
                    );
                    last_sync = 0;
                    BlockFacts::default()
                }
                Err(e) => return Err(e.into()),
            };
            for job_id in facts.settled {
                self.deliver_settlement(job_id).await?;
            }
            if up_to.saturating_sub(last_sync) >= self.config.full_sync_every_blocks {
                self.sync(up_to).await?;
                last_sync = up_to;
            } else {
                if facts.work_changed || self.tracker.deadline_passed(cursor, up_to) {
                    self.scan_pending_work(up_to).await?;
                }
                if facts.submitted {
                    self.assigner.assign_waiting(&self.client, up_to).await?;
                }
            }
            self.records
                .run(move |store| store.set_cursor(up_to))
                .await?;
            cursor = up_to;
        }
    }

    /// Which events change this operator's work, and which of its jobs settled.
    fn classify(&self, events: &[ChainEvent]) -> BlockFacts {
        let me = self.client.account();
        let mut facts = BlockFacts::default();
        for event in events
            .iter()
            .filter(|e| e.contract() == Some(self.escrow.as_str()))
        {
            let event = event.to_cosmwasm();
            if let Ok(assigned) = JobAssigned::try_from(&event) {
                if assigned.operator.as_str() == me {
                    tracing::debug!(job_id = assigned.job_id, "assigned");
                    facts.work_changed = true;
                }
            } else if JobSubmitted::try_from(&event).is_ok() {
                facts.submitted = true;
            } else if let Ok(committed) = Committed::try_from(&event) {
                // The last commit of one of our jobs opens its reveal phase.
                if self.tracker.contains(committed.job_id) {
                    facts.work_changed = true;
                }
            } else if let Ok(settled) = JobSettled::try_from(&event) {
                if self.tracker.contains(settled.job_id) {
                    facts.settled.push(settled.job_id);
                }
            }
        }
        facts
    }

    /// A full sync: every page of `PendingWork`, the settlement check of every tracked job that
    /// is no longer pending (its settlement event may be pruned or was missed while down), and
    /// jobs left waiting for assignment.
    async fn sync(&mut self, height: u64) -> Result<(), DiscoveryError> {
        self.assigner.assign_waiting(&self.client, height).await?;
        let pending = self.scan_pending_work(height).await?;
        for job_id in self.tracker.job_ids() {
            if !pending.contains(&job_id) {
                self.deliver_settlement(job_id).await?;
            }
        }
        Ok(())
    }

    /// Reads `PendingWork` page by page until the escrow returns an empty page, and delivers each
    /// entry to its job's task. Returns the ids of the pending jobs.
    async fn scan_pending_work(&mut self, height: u64) -> Result<HashSet<u64>, DiscoveryError> {
        let limit = self.config.page_size.min(MAX_QUERY_LIMIT);
        let mut start_after = None;
        let mut pending = HashSet::new();
        loop {
            let page: PendingWorkResponse = query(
                &self.client,
                &self.escrow,
                &QueryMsg::PendingWork {
                    operator: self.client.account().to_string(),
                    start_after,
                    limit: Some(limit),
                },
            )
            .await?;
            let Some(last) = page.work.last() else {
                return Ok(pending);
            };
            start_after = Some(last.job_id);
            for work in page.work {
                pending.insert(work.job_id);
                self.tracker.deliver(
                    work.job_id,
                    JobFact::Pending {
                        work: Box::new(work),
                        height,
                    },
                );
            }
        }
    }

    /// Delivers the final state of `job_id` to its task once the escrow no longer lists it open.
    async fn deliver_settlement(&mut self, job_id: u64) -> Result<(), DiscoveryError> {
        let job: JobResponse = query(&self.client, &self.escrow, &QueryMsg::Job { job_id }).await?;
        if job.job.status != JobStatus::Open {
            self.tracker
                .deliver(job_id, JobFact::Settled(Box::new(job)));
        }
        Ok(())
    }
}
