//! Assignment: the node draws the operators of jobs that wait for them.
//!
//! The escrow draws a job's operators in a later block than its submission (`AssignJobs`), so a
//! consumer cannot know them when it pays. Anyone may send it and every node does when it sees a
//! job waiting, so a job is assigned a block or two after its submission without its consumer
//! doing anything. Nodes racing for the same jobs all succeed: the escrow assigns each job once
//! and the later calls draw nothing (they cost their senders a transaction fee).

use tokio::task::JoinHandle;

use sibyl_api::escrow::{ExecuteMsg, JobsFilter, JobsResponse, QueryMsg};

use super::submitter::Submitter;
use super::telemetry::NodeMetrics;
use crate::chain::{query, ChainClient, ChainError};
use crate::metrics::TxKind;

/// Sends `AssignJobs` when jobs wait, at most one at a time.
pub struct Assigner {
    escrow: String,
    submitter: Submitter,
    metrics: NodeMetrics,
    /// Blocks to wait before asking again for a job that an earlier call left waiting (too few
    /// staked operators): the escrow keeps it queued until its consumer cancels it.
    retry_blocks: u64,
    sending: Option<JoinHandle<()>>,
    /// The oldest waiting job at the last call, and the height it was sent at.
    last_sent: Option<(u64, u64)>,
}

impl Assigner {
    pub fn new(
        escrow: String,
        submitter: Submitter,
        metrics: NodeMetrics,
        retry_blocks: u64,
    ) -> Self {
        Assigner {
            escrow,
            submitter,
            metrics,
            retry_blocks,
            sending: None,
            last_sent: None,
        }
    }

    /// Sends `AssignJobs` if a job waits for its operators. The transaction lands after `height`,
    /// the latest block seen, so every waiting job is due by then.
    pub async fn assign_waiting<C: ChainClient>(
        &mut self,
        client: &C,
        height: u64,
    ) -> Result<(), ChainError> {
        if self
            .sending
            .as_ref()
            .is_some_and(|task| !task.is_finished())
        {
            return Ok(());
        }
        let waiting: JobsResponse = query(
            client,
            &self.escrow,
            &QueryMsg::Jobs {
                filter: JobsFilter::AwaitingAssignment {},
                start_after: None,
                limit: Some(1),
            },
        )
        .await?;
        let Some(oldest) = waiting.jobs.first().map(|job| job.job_id) else {
            return Ok(());
        };
        if let Some((job_id, sent_at)) = self.last_sent {
            if job_id == oldest && height < sent_at.saturating_add(self.retry_blocks) {
                return Ok(());
            }
        }
        self.last_sent = Some((oldest, height));
        let submitter = self.submitter.clone();
        let escrow = self.escrow.clone();
        let metrics = self.metrics.clone();
        self.sending = Some(tokio::spawn(async move {
            let outcome = submitter
                .submit(
                    "assign jobs".to_string(),
                    &escrow,
                    &ExecuteMsg::AssignJobs { limit: None },
                )
                .await;
            metrics.transaction(TxKind::Assign, outcome.is_ok());
            match outcome {
                Ok(tx) => tracing::debug!(oldest, height = tx.height, "assigned waiting jobs"),
                // Another node's call does the same; the next submission or sync tries again.
                Err(error) => tracing::warn!(oldest, %error, "could not assign waiting jobs"),
            }
        }));
        Ok(())
    }
}
