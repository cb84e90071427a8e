//! The node's embedded job database (redb): each job's progress through
//! assigned → executed → committed → revealed → settled (or failed, with retries), the block
//! cursor that makes sure no assignment is missed across restarts, and earnings totals.
//!
//! The one rule that protects the operator's stake: the output and salt are persisted, fsynced,
//! **before** the commit is sent. [`JobStore::record_execution`] does that, and
//! [`JobStore::mark_committed`] refuses a job without a recorded execution.

mod db;
mod error;
mod record;

pub use db::{JobStore, SCHEMA_VERSION};
pub use error::StoreError;
pub use record::{
    Assignment, Decline, Execution, Failure, FailureKind, JobRecord, JobStage, JobStatus,
    Settlement, SettlementOutcome, Totals, TxRef, SALT_LEN,
};
