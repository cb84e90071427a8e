//! The job's steps, each one I/O action on behalf of the job's task: fetch → execute → persist →
//! commit; record a landed commit; sign → reveal; record a missed window; record the settlement.
//!
//! The order is the point: output and salt are written to the database (fsynced) BEFORE the
//! commit is sent, so a crash at any moment leaves the node able to reveal what it committed.

use cosmwasm_std::Binary;
use sibyl_api::attestation;
use sibyl_api::escrow::{
    DeclineReason, ExecuteMsg, JobInput, JobResponse, JobStatus, OperatorOutcome, PendingWork,
};

use super::super::content::ContentFetcher;
use super::super::failure::JobFailure;
use super::decide::Step;
use super::JobContext;
use crate::chain::TxOutcome;
use crate::metrics::TxKind;
use crate::signer::AttestationRequest;
use crate::store::{
    Assignment, Decline, Execution, Failure, JobRecord, SettlementOutcome, StoreError, TxRef,
};

impl JobContext {
    /// Takes `step` for the job of `work`, seen when block `height` was the latest.
    pub(super) async fn take(
        &self,
        step: Step,
        record: Option<JobRecord>,
        work: &PendingWork,
        height: u64,
    ) -> Result<(), JobFailure> {
        match step {
            Step::Wait => Ok(()),
            Step::Commit => self.commit(record, work, height).await,
            Step::RecordLandedCommit => self.record_landed_commit(work.job_id, height).await,
            Step::Decline(reason) => self.decline(work.job_id, reason).await,
            Step::Reveal => self.reveal(record, work, height).await,
            Step::RecordMissedWindow => self.record_missed_window(record, work, height).await,
        }
    }

    /// The job's record, if the node knows the job.
    pub(super) async fn load(&self, job_id: u64) -> Result<Option<JobRecord>, JobFailure> {
        Ok(self.records.run(move |store| store.job(job_id)).await?)
    }

    /// Logs and counts a failure and keeps it on the job's record, with the reason the node
    /// declines the job for, if it does. Returns whether the record holds it.
    pub(super) async fn record_failure(
        &self,
        job_id: u64,
        failure: &JobFailure,
        decline: Option<DeclineReason>,
    ) -> bool {
        let reason = failure.label();
        // A job the node declines is given up, whatever the cause.
        let transient = failure.is_transient() && decline.is_none();
        if let Some(decline) = decline {
            tracing::warn!(job_id, reason, ?decline, %failure, "job cannot be served; declining it");
        } else if transient {
            tracing::warn!(job_id, reason, %failure, "job step failed; tried again on the next chain fact");
        } else {
            tracing::error!(job_id, reason, %failure, "job given up");
        }
        self.metrics.job_failed(reason);
        let recorded = Failure {
            kind: failure.kind(),
            reason: reason.to_string(),
            message: failure.to_string(),
            transient,
            decline,
        };
        let result = self
            .records
            .run(move |store| match store.job(job_id)? {
                Some(record) if !record.is_settled() => {
                    store.mark_failed(job_id, recorded).map(|_| true)
                }
                _ => Ok(false),
            })
            .await;
        result.unwrap_or_else(|e| {
            tracing::warn!(job_id, error = %e, "cannot record the job's failure");
            false
        })
    }

    /// Records how the job ended for this operator. Returns whether the job's task is done.
    pub(super) async fn record_settlement(&self, job: &JobResponse) -> Result<bool, JobFailure> {
        let job_id = job.job.job_id;
        let Some(assignment) = job
            .assignments
            .iter()
            .find(|a| a.operator.as_str() == self.operator)
        else {
            return Ok(true);
        };
        let Some(outcome) = settlement_outcome(job.job.status, assignment.outcome) else {
            return Ok(false);
        };
        // A decliner's fee depends on the escrow's config, which the job does not carry: it is
        // left out of the earnings (docs/oracle-pipeline.md says so).
        let earned = match outcome {
            SettlementOutcome::Agreed | SettlementOutcome::PaidWithoutQuorum => {
                per_operator_fee(job)
            }
            _ => 0,
        };
        let recorded = self
            .records
            .run(move |store| match store.job(job_id)? {
                Some(_) => store.mark_settled(job_id, outcome, earned),
                None => Ok(false),
            })
            .await?;
        if recorded {
            self.metrics.job_settled(outcome, earned);
            tracing::info!(job_id, outcome = outcome.as_str(), earned, "settled");
        }
        Ok(true)
    }

    async fn ensure_record(
        &self,
        record: Option<JobRecord>,
        work: &PendingWork,
        height: u64,
    ) -> Result<JobRecord, JobFailure> {
        if let Some(record) = record {
            return Ok(record);
        }
        let assignment = Assignment {
            job_id: work.job_id,
            model_hash: hash32("model_hash", work.model_hash.as_slice())?,
            input_hash: hash32("input_hash", work.input_hash.as_slice())?,
            discovered_height: height,
            commit_deadline: work.commit_deadline,
        };
        let job_id = work.job_id;
        Ok(self
            .records
            .run(move |store| {
                store.record_assignment(&assignment)?;
                store.job(job_id)?.ok_or(StoreError::UnknownJob { job_id })
            })
            .await?)
    }

    async fn commit(
        &self,
        record: Option<JobRecord>,
        work: &PendingWork,
        height: u64,
    ) -> Result<(), JobFailure> {
        let job_id = work.job_id;
        let record = self.ensure_record(record, work, height).await?;
        // A crash between saving and committing leaves an execution: commit exactly that one.
        let execution = match record.execution {
            Some(execution) => execution,
            None => {
                let output = self.execute(work).await?;
                let execution = Execution::with_fresh_salt(output)?;
                let saved = execution.clone();
                self.records
                    .run(move |store| store.record_execution(job_id, saved))
                    .await?;
                execution
            }
        };
        let msg = ExecuteMsg::Commit {
            job_id,
            commitment: Binary::from(self.commitment(job_id, &execution).to_vec()),
        };
        let tx = self.send(TxKind::Commit, job_id, &msg).await?;
        let tx_ref = tx_ref(&tx);
        self.records
            .run(move |store| store.mark_committed(job_id, tx_ref))
            .await?;
        tracing::debug!(job_id, height = tx.height, "committed");
        Ok(())
    }

    /// Fetches and verifies the model and input, then runs the model in an execution slot.
    async fn execute(&self, work: &PendingWork) -> Result<Vec<u8>, JobFailure> {
        let model_hash = hash32("model_hash", work.model_hash.as_slice())?;
        let input_hash = hash32("input_hash", work.input_hash.as_slice())?;
        // One consumer's jobs wait here, not in the execution slots everybody shares.
        let _consumer_slot = self.consumer_slots.acquire(work.consumer.as_str()).await;
        // The node stops only by cancelling the tasks: the semaphore is never closed.
        let _slot = self
            .execution_slots
            .acquire()
            .await
            .map_err(|e| JobFailure::ExecutionAborted(e.to_string()))?;
        let model = self
            .content
            .model(&model_hash, &work.model_uri, self.limits.max_model_bytes)
            .await
            .map_err(JobFailure::Model)?;
        let input = match &work.input {
            JobInput::Inline { data } => {
                ContentFetcher::verify_inline(
                    data.as_slice(),
                    &input_hash,
                    self.limits.max_input_bytes,
                )
                .map_err(JobFailure::Input)?;
                data.to_vec()
            }
            JobInput::Remote { hash, uri, size } => {
                if hash.as_slice() != input_hash {
                    return Err(JobFailure::MalformedWork {
                        field: "input",
                        reason: "the remote input's hash differs from the job's input hash".into(),
                    });
                }
                // The escrow checked the declared size against the model: never read more.
                self.content
                    .input(&input_hash, uri, (*size).min(self.limits.max_input_bytes))
                    .await
                    .map_err(JobFailure::Input)?
            }
        };
        let executor = self.executor.clone();
        let execution =
            tokio::task::spawn_blocking(move || executor.execute(&model_hash, &model, &input))
                .await
                .map_err(|e| JobFailure::ExecutionAborted(e.to_string()))??;
        self.metrics
            .observe_execution(self.executor.backend(), execution.engine_time);
        Ok(execution.output)
    }

    async fn decline(&self, job_id: u64, reason: DeclineReason) -> Result<(), JobFailure> {
        let msg = ExecuteMsg::Decline { job_id, reason };
        let tx = self.send(TxKind::Decline, job_id, &msg).await?;
        let decline = Decline {
            reason,
            tx: tx_ref(&tx),
        };
        self.records
            .run(move |store| store.mark_declined(job_id, decline))
            .await?;
        tracing::info!(job_id, ?reason, height = tx.height, "declined");
        Ok(())
    }

    async fn record_landed_commit(&self, job_id: u64, height: u64) -> Result<(), JobFailure> {
        // The hash is unknown: the node stopped before the submitter's answer arrived.
        let recovered = TxRef {
            tx_hash: String::new(),
            height,
        };
        self.records
            .run(move |store| store.mark_committed(job_id, recovered))
            .await?;
        tracing::info!(
            job_id,
            "recorded a commit that landed before the node stopped"
        );
        Ok(())
    }

    async fn reveal(
        &self,
        record: Option<JobRecord>,
        work: &PendingWork,
        height: u64,
    ) -> Result<(), JobFailure> {
        let job_id = work.job_id;
        let record = record.ok_or(StoreError::MissingExecution { job_id })?;
        let execution = record
            .execution
            .clone()
            .ok_or(StoreError::MissingExecution { job_id })?;
        if let Some(on_chain) = &work.commitment {
            if on_chain.as_slice() != self.commitment(job_id, &execution) {
                return Err(JobFailure::CommitmentMismatch);
            }
        }
        if record.commit.is_none() {
            self.record_landed_commit(job_id, height).await?;
        }
        let request = AttestationRequest {
            chain_id: self.chain_id.clone(),
            escrow: self.escrow.clone(),
            job_id,
            model_hash: record.assignment.model_hash,
            input_hash: record.assignment.input_hash,
            output_hash: execution.output_hash,
        };
        let signature = self.signer.sign(&request).await?;
        let msg = ExecuteMsg::Reveal {
            job_id,
            operator: self.operator.clone(),
            output: Binary::from(execution.output),
            salt: Binary::from(execution.salt.to_vec()),
            signature: Binary::from(signature.to_vec()),
        };
        let tx = self.send(TxKind::Reveal, job_id, &msg).await?;
        let tx_ref = tx_ref(&tx);
        self.records
            .run(move |store| store.mark_revealed(job_id, tx_ref))
            .await?;
        tracing::debug!(job_id, height = tx.height, "revealed");
        Ok(())
    }

    async fn record_missed_window(
        &self,
        record: Option<JobRecord>,
        work: &PendingWork,
        height: u64,
    ) -> Result<(), JobFailure> {
        self.ensure_record(record, work, height).await?;
        let action = if work.commitment.is_some() {
            "reveal"
        } else {
            "commit"
        };
        Err(JobFailure::WindowMissed {
            action,
            deadline: work.deadline_height,
        })
    }

    fn commitment(&self, job_id: u64, execution: &Execution) -> [u8; 32] {
        attestation::commitment(
            job_id,
            &execution.output_hash,
            &execution.salt,
            &self.operator,
        )
    }

    async fn send(
        &self,
        kind: TxKind,
        job_id: u64,
        msg: &ExecuteMsg,
    ) -> Result<TxOutcome, JobFailure> {
        let action = kind.as_str();
        let outcome = self
            .submitter
            .submit(format!("{action} job {job_id}"), &self.escrow, msg)
            .await;
        self.metrics.transaction(kind, outcome.is_ok());
        outcome.map_err(|error| JobFailure::Transaction { action, error })
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
        (_, OperatorOutcome::PaidNoQuorum) => Some(SettlementOutcome::PaidWithoutQuorum),
        (_, OperatorOutcome::DeclinePaid) => Some(SettlementOutcome::Declined),
        (_, OperatorOutcome::Unpaid) => Some(SettlementOutcome::Refunded),
    }
}

fn tx_ref(tx: &TxOutcome) -> TxRef {
    TxRef {
        tx_hash: tx.tx_hash.clone(),
        height: tx.height,
    }
}

fn hash32(field: &'static str, bytes: &[u8]) -> Result<[u8; 32], JobFailure> {
    bytes.try_into().map_err(|_| JobFailure::MalformedWork {
        field,
        reason: format!("expected 32 bytes, got {}", bytes.len()),
    })
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
    }

    #[test]
    fn malformed_hashes_are_refused() {
        assert_eq!(
            hash32("model_hash", &[0; 31]).unwrap_err().label(),
            "malformed_work"
        );
        assert!(hash32("model_hash", &[0; 32]).is_ok());
    }
}
