//! Why a job step failed: one enum for the whole lifecycle. Each cause knows its metric label,
//! whether trying the same step again can help, and what the job's task does next.

use sibyl_api::escrow::DeclineReason;

use crate::chain::ChainError;
use crate::fetch::FetchError;
use crate::signer::SignError;
use crate::store::{FailureKind, StoreError};

use super::executor::ExecutionError;

/// A failed step of one job.
#[derive(Debug, thiserror::Error)]
pub enum JobFailure {
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
    #[error("job database: {0}")]
    Database(#[from] StoreError),
    #[error("the commitment on chain differs from the one built from the saved output and salt")]
    CommitmentMismatch,
    #[error("cannot sign the attestation: {0}")]
    Signing(#[from] SignError),
    #[error("{action} transaction: {error}")]
    Transaction {
        action: &'static str,
        error: ChainError,
    },
    #[error("the {action} window closed at height {deadline} before this node acted")]
    WindowMissed { action: &'static str, deadline: u64 },
}

/// What the job's task does after a failure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NextStep {
    /// Try the same step again after a backoff (network, chain unavailable).
    Retry,
    /// The job cannot be served: record why and `Decline` it while the commit window is open, so
    /// the escrow pays instead of slashing this node if the job fails.
    Decline(DeclineReason),
    /// Nothing more this node can do: record why and wait for the job's settlement.
    GiveUp,
}

impl JobFailure {
    /// Short stable name: the `reason` label of `sibyl_job_failures_total`, and the reason kept in
    /// the job's record (docs/oracle-pipeline.md lists them).
    pub fn label(&self) -> &'static str {
        match self {
            Self::MalformedWork { .. } => "malformed_work",
            Self::Model(e) | Self::Input(e) => fetch_label(e),
            Self::Execution(ExecutionError::InvalidModel(_)) => "invalid_model",
            Self::Execution(ExecutionError::Failed(_)) | Self::ExecutionAborted(_) => "execution",
            Self::Database(StoreError::MissingExecution { .. }) | Self::CommitmentMismatch => {
                "lost_commitment"
            }
            Self::Database(_) => "database",
            Self::Signing(SignError::Unavailable { .. }) => "signer_unavailable",
            Self::Signing(SignError::Refused(_)) => "signer_refused",
            Self::Signing(_) => "signing",
            Self::Transaction { error, .. } if error.is_transient() => "tx_unavailable",
            Self::Transaction { error, .. } if reveal_phase_not_open(error) => "reveal_not_open",
            Self::Transaction { .. } => "tx_rejected",
            Self::WindowMissed { .. } => "window_missed",
        }
    }

    /// True when the same step may succeed later without any change to the job.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Model(e) | Self::Input(e) => {
                matches!(e, FetchError::Timeout { .. } | FetchError::Http { .. })
            }
            Self::Transaction { error, .. } => error.is_transient() || reveal_phase_not_open(error),
            Self::Signing(error) => error.is_transient(),
            _ => false,
        }
    }

    /// The step after this failure while attempts remain.
    pub fn next_step(&self) -> NextStep {
        if self.is_transient() {
            NextStep::Retry
        } else {
            self.final_step()
        }
    }

    /// The step after this failure once the attempts are spent.
    pub fn final_step(&self) -> NextStep {
        self.decline_reason()
            .map_or(NextStep::GiveUp, NextStep::Decline)
    }

    /// Why the job cannot be served, when this failure means so. Declining is never worse for an
    /// honest node than staying silent (a decliner is slashed only if the job reaches a quorum
    /// anyway, as a silent operator always is), so every failure to produce an output declines.
    pub fn decline_reason(&self) -> Option<DeclineReason> {
        match self {
            Self::MalformedWork { .. } => Some(DeclineReason::InvalidInput),
            Self::Model(_) | Self::Execution(ExecutionError::InvalidModel(_)) => {
                Some(DeclineReason::ModelUnavailable)
            }
            Self::Input(FetchError::HashMismatch { .. }) => Some(DeclineReason::InputHashMismatch),
            Self::Input(FetchError::TooLarge { .. })
            | Self::Execution(ExecutionError::Failed(_)) => Some(DeclineReason::InvalidInput),
            Self::Input(_) => Some(DeclineReason::InputUnavailable),
            Self::ExecutionAborted(_)
            | Self::Database(_)
            | Self::CommitmentMismatch
            | Self::Signing(_)
            | Self::Transaction { .. }
            | Self::WindowMissed { .. } => None,
        }
    }

    /// Where the failure happened, for the job's record.
    pub fn kind(&self) -> FailureKind {
        match self {
            Self::MalformedWork { .. } | Self::Model(_) | Self::Input(_) => FailureKind::Fetch,
            Self::Execution(ExecutionError::InvalidModel(_)) => FailureKind::Model,
            Self::Execution(_) | Self::ExecutionAborted(_) => FailureKind::Exec,
            Self::Database(StoreError::MissingExecution { .. }) | Self::CommitmentMismatch => {
                FailureKind::Commitment
            }
            Self::Database(_) => FailureKind::Database,
            Self::Signing(_) | Self::Transaction { .. } => FailureKind::Transaction,
            Self::WindowMissed { .. } => FailureKind::WindowMissed,
        }
    }
}

/// The escrow refused a reveal because its reveal phase opens a block later than the node saw
/// it open (the query and the transaction ran at different heights): the next try succeeds.
fn reveal_phase_not_open(error: &ChainError) -> bool {
    matches!(error, ChainError::TxRejected(message)
        if message.contains(sibyl_api::escrow::REVEAL_PHASE_NOT_OPEN))
}

fn fetch_label(error: &FetchError) -> &'static str {
    match error {
        FetchError::HashMismatch { .. } => "hash_mismatch",
        FetchError::TooLarge { .. } => "too_large",
        FetchError::Timeout { .. } | FetchError::Http { .. } => "fetch_unavailable",
        FetchError::Forbidden { .. } => "fetch_forbidden",
        _ => "fetch",
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn network_trouble_is_retried_then_declined_and_wrong_jobs_are_declined() {
        let timeout = JobFailure::Input(FetchError::Timeout {
            uri: "https://x".into(),
            after: Duration::from_secs(1),
        });
        assert_eq!(timeout.next_step(), NextStep::Retry);
        assert_eq!(
            timeout.final_step(),
            NextStep::Decline(DeclineReason::InputUnavailable)
        );
        assert_eq!(timeout.label(), "fetch_unavailable");
        assert_eq!(timeout.kind(), FailureKind::Fetch);
        let mismatch = JobFailure::Model(FetchError::HashMismatch {
            expected: "a".into(),
            actual: "b".into(),
        });
        assert_eq!(
            mismatch.next_step(),
            NextStep::Decline(DeclineReason::ModelUnavailable)
        );
        assert_eq!(mismatch.label(), "hash_mismatch");
        let input_mismatch = JobFailure::Input(FetchError::HashMismatch {
            expected: "a".into(),
            actual: "b".into(),
        });
        assert_eq!(
            input_mismatch.next_step(),
            NextStep::Decline(DeclineReason::InputHashMismatch)
        );
        let too_large = JobFailure::Input(FetchError::TooLarge { limit: 1 });
        assert_eq!(too_large.label(), "too_large");
        assert_eq!(
            too_large.next_step(),
            NextStep::Decline(DeclineReason::InvalidInput)
        );
        let invalid = JobFailure::Execution(ExecutionError::InvalidModel("bad".into()));
        assert_eq!(
            invalid.next_step(),
            NextStep::Decline(DeclineReason::ModelUnavailable)
        );
    }

    #[test]
    fn transactions_are_retried_while_the_chain_is_down_or_the_reveal_phase_not_yet_open() {
        let tx = |error| JobFailure::Transaction {
            action: "commit",
            error,
        };
        let unavailable = tx(ChainError::Unavailable("down".into()));
        assert_eq!(unavailable.label(), "tx_unavailable");
        assert_eq!(unavailable.next_step(), NextStep::Retry);
        assert_eq!(unavailable.kind(), FailureKind::Transaction);
        let rejected = tx(ChainError::TxRejected("closed".into()));
        assert_eq!(rejected.label(), "tx_rejected");
        assert_eq!(rejected.next_step(), NextStep::GiveUp);
        assert_eq!(unavailable.final_step(), NextStep::GiveUp);
        let early = tx(ChainError::TxRejected(format!(
            "failed to execute message; message index: 0: reveals of job 1 {} or after height \
             421: execute wasm contract failed",
            sibyl_api::escrow::REVEAL_PHASE_NOT_OPEN
        )));
        assert_eq!(early.label(), "reveal_not_open");
        assert_eq!(early.next_step(), NextStep::Retry, "a block later it opens");
    }

    #[test]
    fn a_signer_that_is_down_is_waited_for_and_a_refusal_is_final() {
        let down = JobFailure::Signing(SignError::Unavailable {
            address: "unix:/run/signer.sock".into(),
            reason: "connection refused".into(),
        });
        assert_eq!(down.label(), "signer_unavailable");
        assert_eq!(down.next_step(), NextStep::Retry);
        let refused = JobFailure::Signing(SignError::Refused(crate::signer::Refusal::DoubleSign {
            job_id: 4,
            signed_output_hash: [1; 32],
        }));
        assert_eq!(refused.label(), "signer_refused");
        assert_eq!(refused.next_step(), NextStep::GiveUp);
        assert!(
            refused.to_string().contains("double-signing guard"),
            "{refused}"
        );
    }

    #[test]
    fn database_and_commitment_failures_have_their_own_kinds() {
        let lost = JobFailure::Database(StoreError::MissingExecution { job_id: 3 });
        assert_eq!(lost.label(), "lost_commitment");
        assert_eq!(lost.kind(), FailureKind::Commitment);
        assert_eq!(
            JobFailure::CommitmentMismatch.kind(),
            FailureKind::Commitment
        );
        let database = JobFailure::Database(StoreError::UnknownJob { job_id: 3 });
        assert_eq!(database.label(), "database");
        assert_eq!(database.kind(), FailureKind::Database);
        let invalid = JobFailure::Execution(ExecutionError::InvalidModel("bad".into()));
        assert_eq!(invalid.label(), "invalid_model");
        assert_eq!(invalid.kind(), FailureKind::Model);
        let missed = JobFailure::WindowMissed {
            action: "commit",
            deadline: 9,
        };
        assert_eq!(missed.label(), "window_missed");
        assert_eq!(missed.kind(), FailureKind::WindowMissed);
        assert_eq!(missed.next_step(), NextStep::GiveUp);
    }
}
