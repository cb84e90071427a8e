//! Every way an escrow message can fail, with what the caller should do about it.

use cosmwasm_std::{DivideByZeroError, OverflowError, StdError, Uint128};
use thiserror::Error;

#[derive(Error, Debug)]
pub enum ContractError {
    #[error("{0}")]
    Std(#[from] StdError),

    #[error("arithmetic overflow: {0}")]
    Overflow(#[from] OverflowError),

    #[error("division by zero: {0}")]
    DivideByZero(#[from] DivideByZeroError),

    #[error("only the admin may do this")]
    NotAdmin,

    #[error("only the model's owner or the admin may change model {model_hash}")]
    NotModelOwner { model_hash: String },

    #[error("invalid configuration: {reason}")]
    InvalidConfig { reason: String },

    #[error("attestation chain id {configured:?} differs from this chain's id {actual:?}")]
    WrongChainId { configured: String, actual: String },

    #[error("{field} must be a 32-byte sha256 hash, got {len} bytes")]
    InvalidHash { field: &'static str, len: usize },

    #[error("URI must be 1 to {max} bytes long, got {len}")]
    InvalidUri { len: usize, max: usize },

    #[error("invalid tensor spec: {reason}")]
    InvalidTensorSpec { reason: String },

    #[error("model cost must be at least one unit")]
    ZeroCost,

    #[error("model {model_hash} is already registered")]
    ModelExists { model_hash: String },

    #[error("unknown model {model_hash}: register it first")]
    UnknownModel { model_hash: String },

    #[error("model {model_hash} is deprecated and takes no new jobs")]
    ModelDeprecated { model_hash: String },

    #[error("inline input is empty")]
    EmptyInput,

    #[error("inline input is {size} bytes, above the {max}-byte limit: pass it by hash and URI")]
    InputTooLarge { size: usize, max: u32 },

    #[error("redundancy must be between 1 and {max}, got {requested}")]
    InvalidRedundancy { requested: u32, max: u32 },

    #[error("quorum must be between 1 and the redundancy {redundancy}, got {quorum}")]
    InvalidQuorum { quorum: u32, redundancy: u32 },

    #[error("{requested} operators requested but only {available} are active")]
    NotEnoughOperators { requested: u32, available: u32 },

    #[error("no payment sent: this job costs {expected}{denom}")]
    NoPayment { expected: Uint128, denom: String },

    #[error("payment must be in {expected_denom} only, got {received}")]
    WrongDenom {
        expected_denom: String,
        received: String,
    },

    #[error("payment too low: this job costs {expected}{denom}, got {received}{denom}")]
    InsufficientPayment {
        expected: Uint128,
        received: Uint128,
        denom: String,
    },

    #[error(
        "overpayment refused: this job costs exactly {expected}{denom}, got {received}{denom}"
    )]
    Overpayment {
        expected: Uint128,
        received: Uint128,
        denom: String,
    },

    #[error("this message takes no funds")]
    UnexpectedFunds,

    #[error("job {job_id} does not exist")]
    UnknownJob { job_id: u64 },

    #[error("job {job_id} is no longer open")]
    JobNotOpen { job_id: u64 },

    #[error("{operator} is not assigned to job {job_id}")]
    NotAssigned { job_id: u64, operator: String },

    #[error("{operator} already committed to job {job_id}")]
    AlreadyCommitted { job_id: u64, operator: String },

    #[error("{operator} declined job {job_id} and can no longer commit or decline it")]
    AlreadyDeclined { job_id: u64, operator: String },

    #[error("quorum {quorum} of redundancy {redundancy} is not a strict majority: use {min} to {redundancy}")]
    QuorumNotMajority {
        quorum: u32,
        redundancy: u32,
        min: u32,
    },

    #[error("input is {size} bytes but the model takes {expected} bytes (elements × dtype size)")]
    InputSizeMismatch { size: u64, expected: u64 },

    #[error("a callback goes to the submitter, which must be a contract: {sender} is not one")]
    CallbackNeedsContract { sender: String },

    #[error("slash fraction {field} is {value}: it must be above 0 and below 1")]
    InvalidSlashFraction { field: &'static str, value: String },

    #[error("callback gas limit {limit} is outside {min} to {max}")]
    InvalidCallbackGasLimit { limit: u64, min: u64, max: u64 },

    #[error("jobs could outlive the staking unbonding period: (commit {commit_window} + reveal {reveal_window} + settlement margin {settlement_margin} blocks) × {max_block_time_secs} s = {job_secs} s must be below {unbonding_period} s, or an assigned operator could unbond and escape its slash")]
    WindowsExceedUnbonding {
        commit_window: u64,
        reveal_window: u64,
        settlement_margin: u64,
        max_block_time_secs: u64,
        job_secs: u64,
        unbonding_period: u64,
    },

    #[error("cannot migrate from contract {stored}: this code is {expected}")]
    WrongContract { stored: String, expected: String },

    #[error("cannot migrate from version {stored} to the older {current}")]
    Downgrade { stored: String, current: String },

    #[error("unreadable contract version {version}: expected MAJOR.MINOR.PATCH")]
    BadVersion { version: String },

    #[error("commit window of job {job_id} closed at height {deadline}")]
    CommitDeadlinePassed { job_id: u64, deadline: u64 },

    #[error("commitment must be 32 bytes, got {len}")]
    InvalidCommitment { len: usize },

    #[error("{operator} has no commit on job {job_id} to reveal")]
    RevealWithoutCommit { job_id: u64, operator: String },

    #[error("{operator} already revealed job {job_id}")]
    AlreadyRevealed { job_id: u64, operator: String },

    #[error("reveals of job {job_id} open when every operator has committed or after height {commit_deadline}")]
    RevealPhaseNotOpen { job_id: u64, commit_deadline: u64 },

    #[error("reveal window of job {job_id} closed at height {deadline}")]
    RevealDeadlinePassed { job_id: u64, deadline: u64 },

    #[error("output is {size} bytes, above the {max}-byte limit")]
    OutputTooLarge { size: usize, max: u32 },

    #[error("salt must be {min} to {max} bytes, got {len}")]
    InvalidSalt { len: usize, min: usize, max: usize },

    #[error("output and salt do not match {operator}'s commitment on job {job_id}")]
    CommitmentMismatch { job_id: u64, operator: String },

    #[error("signature must be a 64-byte compact secp256k1 signature, got {len} bytes")]
    MalformedSignature { len: usize },

    #[error("attestation signature is not by {operator}'s current attestation key over job {job_id}'s digest")]
    BadSignature { job_id: u64, operator: String },

    #[error("job {job_id} cannot be settled before its reveals are in or height {reveal_deadline} has passed")]
    SettlementNotReady { job_id: u64, reveal_deadline: u64 },

    #[error(
        "job {job_id} has no operators yet: AssignJobs draws them in a block after its submission"
    )]
    AwaitingAssignment { job_id: u64 },

    #[error("only the consumer of job {job_id} may cancel it")]
    NotConsumer { job_id: u64 },

    #[error("job {job_id} has commits and can no longer be cancelled")]
    JobHasCommits { job_id: u64 },

    #[error("commit window of job {job_id} closed: call Settle instead of Cancel")]
    CancelTooLate { job_id: u64 },

    #[error("nothing to withdraw: the treasury balance is zero")]
    NothingToWithdraw,

    #[error("unknown reply id {id}")]
    UnknownReply { id: u64 },
}

#[cfg(test)]
mod tests {
    use super::ContractError;

    /// The oracle recognises a too-early reveal by this phrase (`sibyl_api::escrow`).
    #[test]
    fn a_too_early_reveal_names_the_phrase_nodes_retry_on() {
        let error = ContractError::RevealPhaseNotOpen {
            job_id: 1,
            commit_deadline: 9,
        };
        assert!(error
            .to_string()
            .contains(sibyl_api::escrow::REVEAL_PHASE_NOT_OPEN));
    }
}
