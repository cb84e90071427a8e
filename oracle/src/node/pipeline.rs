//! One job, one step: fetch → execute → persist → commit, or load → sign → reveal.
//!
//! The order is the point: output and salt are written to the database (fsynced) BEFORE the
//! commit is sent, so a crash at any moment leaves the node able to reveal what it committed.

use std::sync::Arc;
use std::time::Instant;

use cosmwasm_std::Binary;
use sibyl_api::attestation;
use sibyl_api::escrow::{ExecuteMsg, JobInput, PendingWork};

use super::content::{self, ContentFetcher};
use super::executor::{ExecutionError, Executor};
use super::records::Records;
use super::submitter::Submitter;
use super::telemetry::NodeMetrics;
use super::tracker::Action;
use crate::chain::{ChainError, TxOutcome};
use crate::config::FetchConfig;
use crate::fetch::FetchError;
use crate::keys::OperatorKeys;
use crate::metrics::TxKind;
use crate::store::{Assignment, Execution, FailureKind, JobRecord, JobStage, StoreError, TxRef};

/// Why a job step failed.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    #[error("the escrow sent a malformed {field}: {reason}")]
    MalformedWork { field: &'static str, reason: String },
    #[error("cannot fetch the model: {0}")]
    Model(FetchError),
    #[error("cannot fetch the input: {0}")]
    Input(FetchError),
    #[error(transparent)]
    Execution(#[from] ExecutionError),
    #[error("the execution task stopped: {0}")]
    ExecutionAborted(String),
    #[error(transparent)]
    Database(#[from] StoreError),
    #[error("the on-chain commitment differs from the one built from the saved output and salt")]
    CommitmentMismatch,
    #[error("cannot sign the attestation: {0}")]
    Signing(String),
    #[error("{action} transaction: {error}")]
    Transaction {
        action: &'static str,
        error: ChainError,
    },
}

impl JobError {
    /// Short stable name for metrics labels and logs.
    pub fn reason(&self) -> &'static str {
        match self {
            JobError::MalformedWork { .. } => "malformed_work",
            JobError::Model(e) | JobError::Input(e) => content::failure_reason(e),
            JobError::Execution(ExecutionError::InvalidModel(_)) => "invalid_model",
            JobError::Execution(ExecutionError::Failed(_)) | JobError::ExecutionAborted(_) => {
                "execution"
            }
            JobError::Database(StoreError::MissingExecution { .. })
            | JobError::Database(StoreError::UnknownJob { .. })
            | JobError::CommitmentMismatch => "lost_commitment",
            JobError::Database(_) => "database",
            JobError::Signing(_) => "signing",
            JobError::Transaction { error, .. } if error.is_transient() => "tx_unavailable",
            JobError::Transaction { .. } => "tx_rejected",
        }
    }

    /// True when the same step may succeed later (network, chain unavailable).
    pub fn is_transient(&self) -> bool {
        match self {
            JobError::Model(e) | JobError::Input(e) => content::is_transient(e),
            JobError::Transaction { error, .. } => error.is_transient(),
            _ => false,
        }
    }

    /// Where the failure happened, for the job's record.
    pub fn kind(&self) -> FailureKind {
        match self {
            JobError::MalformedWork { .. } | JobError::Model(_) | JobError::Input(_) => {
                FailureKind::Fetch
            }
            JobError::Execution(ExecutionError::InvalidModel(_)) => FailureKind::Model,
            JobError::Execution(_) | JobError::ExecutionAborted(_) => FailureKind::Exec,
            JobError::Database(_)
            | JobError::CommitmentMismatch
            | JobError::Signing(_)
            | JobError::Transaction { .. } => FailureKind::Tx,
        }
    }
}

/// What every job step needs, shared by the job tasks of one node.
pub struct JobContext {
    pub chain_id: String,
    pub escrow: String,
    pub operator: String,
    pub keys: Arc<OperatorKeys>,
    pub records: Records,
    pub content: ContentFetcher,
    pub executor: Arc<dyn Executor>,
    pub submitter: Submitter,
    pub metrics: NodeMetrics,
    pub limits: FetchConfig,
}

impl JobContext {
    /// Runs `action` for `work`, first seen at block `seen_height`.
    pub async fn run(
        &self,
        action: Action,
        work: &PendingWork,
        seen_height: u64,
    ) -> Result<(), JobError> {
        match action {
            Action::Commit => self.commit(work, seen_height).await,
            Action::Reveal => self.reveal(work, seen_height).await,
        }
    }

    /// Records a step that failed for good on the job's record (when the job is in the database).
    pub async fn record_failure(&self, job_id: u64, error: &JobError) {
        let kind = error.kind();
        let reason = error.to_string();
        let result = self
            .records
            .run(move |store| match store.job(job_id)? {
                Some(_) => store.mark_failed(job_id, kind, reason, None).map(|_| ()),
                None => Ok(()),
            })
            .await;
        if let Err(e) = result {
            tracing::warn!(job_id, error = %e, "cannot record the job's failure");
        }
    }

    async fn commit(&self, work: &PendingWork, seen_height: u64) -> Result<(), JobError> {
        let job_id = work.job_id;
        let assignment = Assignment {
            job_id,
            model_hash: hash32("model_hash", work.model_hash.as_slice())?,
            input_hash: hash32("input_hash", work.input_hash.as_slice())?,
            assigned_height: seen_height,
            commit_deadline: work.commit_deadline,
        };
        let record = self
            .records
            .run(move |store| {
                store.record_assignment(&assignment)?;
                store.job(job_id)
            })
            .await?;
        // A crash between saving and committing leaves an execution: commit exactly that one.
        let execution = match record.and_then(|record| record.execution) {
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
        let commitment = self.commitment(job_id, &execution);
        let msg = ExecuteMsg::Commit {
            job_id,
            commitment: Binary::from(commitment.to_vec()),
        };
        let tx = self.send(TxKind::Commit, job_id, &msg).await?;
        let tx_ref = tx_ref(&tx);
        self.records
            .run(move |store| settled_is_fine(store.mark_committed(job_id, tx_ref)))
            .await?;
        tracing::debug!(job_id, height = tx.height, "committed");
        Ok(())
    }

    /// Fetches and verifies the model and input, then runs the model.
    async fn execute(&self, work: &PendingWork) -> Result<Vec<u8>, JobError> {
        let model_hash = hash32("model_hash", work.model_hash.as_slice())?;
        let input_hash = hash32("input_hash", work.input_hash.as_slice())?;
        let model = self
            .content
            .model(&model_hash, &work.model_uri, self.limits.max_model_bytes)
            .await
            .map_err(JobError::Model)?;
        let input = match &work.input {
            JobInput::Inline { data } => {
                ContentFetcher::verify_inline(
                    data.as_slice(),
                    &input_hash,
                    self.limits.max_input_bytes,
                )
                .map_err(JobError::Input)?;
                data.to_vec()
            }
            JobInput::Remote { hash, uri } => {
                if hash.as_slice() != input_hash {
                    return Err(JobError::MalformedWork {
                        field: "input",
                        reason: "the remote input's hash differs from the job's input hash".into(),
                    });
                }
                self.content
                    .input(&input_hash, uri, self.limits.max_input_bytes)
                    .await
                    .map_err(JobError::Input)?
            }
        };
        let executor = self.executor.clone();
        let started = Instant::now();
        let execution =
            tokio::task::spawn_blocking(move || executor.execute(&model_hash, &model, &input))
                .await
                .map_err(|e| JobError::ExecutionAborted(e.to_string()))??;
        self.metrics
            .observe_execution(self.executor.backend(), started.elapsed());
        Ok(execution.output)
    }

    async fn reveal(&self, work: &PendingWork, seen_height: u64) -> Result<(), JobError> {
        let job_id = work.job_id;
        let record = self
            .records
            .run(move |store| store.job(job_id)?.ok_or(StoreError::UnknownJob { job_id }))
            .await?;
        let execution = record
            .execution
            .clone()
            .ok_or(StoreError::MissingExecution { job_id })?;
        let commitment = self.commitment(job_id, &execution);
        if let Some(on_chain) = &work.commitment {
            if on_chain.as_slice() != commitment {
                return Err(JobError::CommitmentMismatch);
            }
        }
        if record.commit.is_none() {
            // The commit landed but the node stopped before recording it.
            let recovered = TxRef {
                tx_hash: String::new(),
                height: seen_height,
            };
            self.records
                .run(move |store| store.mark_committed(job_id, recovered))
                .await?;
        }
        let digest = attestation::attestation_digest(
            &self.chain_id,
            &self.escrow,
            job_id,
            &record.assignment.model_hash,
            &record.assignment.input_hash,
            &execution.output_hash,
        );
        let signature = self
            .keys
            .sign_attestation(&digest)
            .map_err(|e| JobError::Signing(e.to_string()))?;
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
            .run(move |store| settled_is_fine(store.mark_revealed(job_id, tx_ref)))
            .await?;
        tracing::debug!(job_id, height = tx.height, "revealed");
        Ok(())
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
    ) -> Result<TxOutcome, JobError> {
        let action = kind.as_str();
        let outcome = self
            .submitter
            .submit(format!("{action} job {job_id}"), &self.escrow, msg)
            .await;
        self.metrics.transaction(kind, outcome.is_ok());
        outcome.map_err(|error| JobError::Transaction { action, error })
    }
}

/// The last reveal settles the job in the same transaction, and discovery may record that
/// settlement before this task records its own transaction: then there is nothing left to record.
fn settled_is_fine(result: Result<JobRecord, StoreError>) -> Result<(), StoreError> {
    match result {
        Ok(_)
        | Err(StoreError::InvalidTransition {
            from: JobStage::Settled,
            ..
        }) => Ok(()),
        Err(error) => Err(error),
    }
}

fn tx_ref(tx: &TxOutcome) -> TxRef {
    TxRef {
        tx_hash: tx.tx_hash.clone(),
        height: tx.height,
    }
}

fn hash32(field: &'static str, bytes: &[u8]) -> Result<[u8; 32], JobError> {
    bytes.try_into().map_err(|_| JobError::MalformedWork {
        field,
        reason: format!("expected 32 bytes, got {}", bytes.len()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_settlement_recorded_first_is_not_an_error() {
        let settled = StoreError::InvalidTransition {
            job_id: 1,
            from: JobStage::Settled,
            to: JobStage::Revealed,
        };
        assert!(settled_is_fine(Err(settled)).is_ok());
        let other = StoreError::InvalidTransition {
            job_id: 1,
            from: JobStage::Assigned,
            to: JobStage::Revealed,
        };
        assert!(settled_is_fine(Err(other)).is_err());
    }

    #[test]
    fn errors_have_stable_reasons_and_retry_classes() {
        let tx = |error| JobError::Transaction {
            action: "commit",
            error,
        };
        assert_eq!(
            tx(ChainError::TxRejected("closed".into())).reason(),
            "tx_rejected"
        );
        assert!(!tx(ChainError::TxRejected("closed".into())).is_transient());
        let unavailable = tx(ChainError::Unavailable("down".into()));
        assert_eq!(unavailable.reason(), "tx_unavailable");
        assert!(unavailable.is_transient());
        assert_eq!(unavailable.kind(), FailureKind::Tx);
        let invalid = JobError::Execution(ExecutionError::InvalidModel("bad".into()));
        assert_eq!(invalid.reason(), "invalid_model");
        assert_eq!(invalid.kind(), FailureKind::Model);
        let lost = JobError::Database(StoreError::MissingExecution { job_id: 3 });
        assert_eq!(lost.reason(), "lost_commitment");
        let mismatch = JobError::Model(FetchError::HashMismatch {
            expected: "a".into(),
            actual: "b".into(),
        });
        assert_eq!(mismatch.reason(), "hash_mismatch");
        assert_eq!(mismatch.kind(), FailureKind::Fetch);
        assert_eq!(
            JobError::Execution(ExecutionError::Failed("x".into())).kind(),
            FailureKind::Exec
        );
        assert_eq!(
            hash32("model_hash", &[0; 31]).unwrap_err().reason(),
            "malformed_work"
        );
    }
}
