//! Errors of the job database. Each names the database file so an operator knows what to fix.

use std::path::PathBuf;

use super::JobStage;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("job database {path} does not exist: initialise the node first (this creates it), or fix the database path in the config")]
    NotFound { path: PathBuf },

    #[error("job database {path} is corrupted: {detail}; restore it from a backup (without it, jobs committed but not yet revealed cannot be revealed)")]
    Corrupted { path: PathBuf, detail: String },

    #[error("job database {path} is already open, probably by another sibyl-oracle process; stop that process first")]
    AlreadyOpen { path: PathBuf },

    #[error("job database {path} has schema version {found}, this build uses version {supported}; use a matching sibyl-oracle release")]
    UnsupportedSchema {
        path: PathBuf,
        found: u32,
        supported: u32,
    },

    #[error("I/O error on job database {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("job database {path}: {operation} failed: {detail}")]
    Database {
        path: PathBuf,
        operation: &'static str,
        detail: String,
    },

    #[error("job {job_id} is not in the job database")]
    UnknownJob { job_id: u64 },

    #[error("job {job_id}: no execution (output and salt) is recorded, so it cannot be committed or revealed")]
    MissingExecution { job_id: u64 },

    #[error("job {job_id} already has a recorded execution; reuse it: a commit with its salt may already be on chain")]
    ExecutionAlreadyRecorded { job_id: u64 },

    #[error("job {job_id} cannot go from {from} to {to}")]
    InvalidTransition {
        job_id: u64,
        from: JobStage,
        to: JobStage,
    },

    #[error("block cursor cannot move back from height {current} to {requested}")]
    CursorRegression { current: u64, requested: u64 },

    #[error("earnings total overflowed adding {amount} to {total}")]
    EarningsOverflow { total: u128, amount: u128 },

    #[error("could not draw a salt from the operating system: {reason}")]
    Randomness { reason: String },
}
