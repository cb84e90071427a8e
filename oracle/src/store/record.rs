//! What the node remembers about each job, and the status derived from it.

use rand_core::{OsRng, RngCore};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use sibyl_api::escrow::DeclineReason;

use super::StoreError;

/// Length of a commitment salt in bytes.
pub const SALT_LEN: usize = 32;

/// A job assigned to this operator, as discovered on chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assignment {
    pub job_id: u64,
    #[serde(with = "hex")]
    pub model_hash: [u8; 32],
    #[serde(with = "hex")]
    pub input_hash: [u8; 32],
    /// Latest block height when this node first saw the assignment (the job was assigned at or
    /// before it).
    pub discovered_height: u64,
    /// Last height at which a commit is accepted.
    pub commit_deadline: u64,
}

/// The result of running a job and the salt that hides it in the commitment. Persisted (and
/// fsynced) before the commit is sent: without the salt a commit can never be revealed.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Execution {
    /// Canonical output encoding, exactly the bytes that will be revealed.
    #[serde(with = "hex")]
    pub output: Vec<u8>,
    /// `sha256(output)`.
    #[serde(with = "hex")]
    pub output_hash: [u8; 32],
    #[serde(with = "hex")]
    pub salt: [u8; SALT_LEN],
}

impl Execution {
    /// An execution of `output` with the given salt; the output hash is computed here so the two
    /// can never disagree.
    pub fn new(output: Vec<u8>, salt: [u8; SALT_LEN]) -> Self {
        let output_hash = Sha256::digest(&output).into();
        Self {
            output,
            output_hash,
            salt,
        }
    }

    /// An execution of `output` with a fresh salt from the operating system.
    pub fn with_fresh_salt(output: Vec<u8>) -> Result<Self, StoreError> {
        let mut salt = [0u8; SALT_LEN];
        OsRng
            .try_fill_bytes(&mut salt)
            .map_err(|err| StoreError::Randomness {
                reason: err.to_string(),
            })?;
        Ok(Self::new(output, salt))
    }
}

/// Output and salt must not leak before the reveal (another operator could copy the answer), so
/// `Debug` shows sizes only.
impl std::fmt::Debug for Execution {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Execution")
            .field("output_len", &self.output.len())
            .field("output_hash", &"<redacted>")
            .field("salt", &"<redacted>")
            .finish()
    }
}

/// A transaction the node sent for a job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TxRef {
    pub tx_hash: String,
    pub height: u64,
}

/// How a job ended on chain, from this operator's point of view.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SettlementOutcome {
    /// Quorum reached and this operator's answer agreed: paid.
    Agreed,
    /// Quorum reached with a different answer: slashed.
    Dissent,
    /// No quorum: the consumer was refunded.
    Refunded,
    /// This operator never committed or revealed: slashed for liveness.
    Missed,
    /// The consumer cancelled the job before any commit.
    Cancelled,
    /// No quorum, but this operator revealed: paid its share, not slashed.
    PaidWithoutQuorum,
    /// This operator declined a job that then failed or was cancelled: paid the decline fee.
    Declined,
}

impl SettlementOutcome {
    /// Short stable name, for logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Agreed => "agreed",
            Self::Dissent => "dissent",
            Self::Refunded => "refunded",
            Self::Missed => "missed",
            Self::Cancelled => "cancelled",
            Self::PaidWithoutQuorum => "paid_without_quorum",
            Self::Declined => "declined",
        }
    }
}

/// Where a failure happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureKind {
    /// The model or input could not be fetched or did not match its hash or limits.
    Fetch,
    /// The model does not parse or validate.
    Model,
    /// The executor refused the input or failed.
    Exec,
    /// The saved output and salt are missing or do not match the commitment on chain.
    Commitment,
    /// The job database failed.
    Database,
    /// Signing or sending a transaction failed.
    Transaction,
    /// The chain's window for the next step closed before the node acted.
    WindowMissed,
}

/// The last failure of a job that has not progressed since.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failure {
    pub kind: FailureKind,
    /// Stable short name (a metrics label, e.g. `hash_mismatch`).
    pub reason: String,
    /// What went wrong, in words.
    pub message: String,
    /// Whether the same step may succeed later (the node tries again on the next chain fact);
    /// otherwise the node has given up on the job and only waits for its settlement.
    pub transient: bool,
    /// Set when the failure means the job cannot be served: the node declines it for this
    /// reason while the commit window is open.
    #[serde(default)]
    pub decline: Option<DeclineReason>,
}

impl Failure {
    /// Whether the node has given up on the job.
    pub fn is_final(&self) -> bool {
        !self.transient
    }
}

/// Everything persisted about one job. Progress fields only ever go from `None` to `Some`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobRecord {
    pub assignment: Assignment,
    pub execution: Option<Execution>,
    pub commit: Option<TxRef>,
    pub reveal: Option<TxRef>,
    pub settlement: Option<Settlement>,
    /// Set while the job is failed; cleared when it progresses.
    pub failure: Option<Failure>,
    /// The `Decline` this node sent instead of a commit.
    #[serde(default)]
    pub decline: Option<Decline>,
}

/// A `Decline` that landed on chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decline {
    pub reason: DeclineReason,
    pub tx: TxRef,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settlement {
    pub outcome: SettlementOutcome,
    /// Paid to this operator, in base denom units.
    pub earnings: u128,
}

/// The job's state machine position, derived from the record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobStatus {
    Assigned,
    Executed,
    Committed,
    Revealed,
    Declined(DeclineReason),
    Settled {
        outcome: SettlementOutcome,
        earnings: u128,
    },
    Failed(Failure),
}

/// The name of a status, for errors and logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JobStage {
    Assigned,
    Executed,
    Committed,
    Revealed,
    Declined,
    Settled,
    Failed,
}

impl std::fmt::Display for JobStage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let name = match self {
            Self::Assigned => "assigned",
            Self::Executed => "executed",
            Self::Committed => "committed",
            Self::Revealed => "revealed",
            Self::Declined => "declined",
            Self::Settled => "settled",
            Self::Failed => "failed",
        };
        f.write_str(name)
    }
}

impl JobRecord {
    pub fn new(assignment: Assignment) -> Self {
        Self {
            assignment,
            execution: None,
            commit: None,
            reveal: None,
            settlement: None,
            failure: None,
            decline: None,
        }
    }

    pub fn job_id(&self) -> u64 {
        self.assignment.job_id
    }

    pub fn status(&self) -> JobStatus {
        if let Some(settlement) = &self.settlement {
            return JobStatus::Settled {
                outcome: settlement.outcome,
                earnings: settlement.earnings,
            };
        }
        if let Some(failure) = &self.failure {
            return JobStatus::Failed(failure.clone());
        }
        if let Some(decline) = &self.decline {
            return JobStatus::Declined(decline.reason);
        }
        match (&self.execution, &self.commit, &self.reveal) {
            (_, _, Some(_)) => JobStatus::Revealed,
            (_, Some(_), None) => JobStatus::Committed,
            (Some(_), None, None) => JobStatus::Executed,
            (None, None, None) => JobStatus::Assigned,
        }
    }

    pub fn stage(&self) -> JobStage {
        match self.status() {
            JobStatus::Assigned => JobStage::Assigned,
            JobStatus::Executed => JobStage::Executed,
            JobStatus::Committed => JobStage::Committed,
            JobStatus::Revealed => JobStage::Revealed,
            JobStatus::Declined(_) => JobStage::Declined,
            JobStatus::Settled { .. } => JobStage::Settled,
            JobStatus::Failed(_) => JobStage::Failed,
        }
    }

    pub fn is_settled(&self) -> bool {
        self.settlement.is_some()
    }
}

/// Earnings and settled-job counts over the database's life.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals {
    /// Base denom units earned.
    pub earnings: u128,
    pub agreed: u64,
    pub dissent: u64,
    pub refunded: u64,
    pub missed: u64,
    pub cancelled: u64,
    #[serde(default)]
    pub paid_without_quorum: u64,
    #[serde(default)]
    pub declined: u64,
}

impl Totals {
    pub(crate) fn count(&mut self, outcome: SettlementOutcome) {
        let counter = match outcome {
            SettlementOutcome::Agreed => &mut self.agreed,
            SettlementOutcome::Dissent => &mut self.dissent,
            SettlementOutcome::Refunded => &mut self.refunded,
            SettlementOutcome::Missed => &mut self.missed,
            SettlementOutcome::Cancelled => &mut self.cancelled,
            SettlementOutcome::PaidWithoutQuorum => &mut self.paid_without_quorum,
            SettlementOutcome::Declined => &mut self.declined,
        };
        *counter = counter.saturating_add(1);
    }
}
