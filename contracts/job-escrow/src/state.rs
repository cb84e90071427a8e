//! Storage layout.
//!
//! wasmd charges 30 gas per written byte (keys included), so records use short namespaces and
//! short field names, and big or frequently changing data lives under its own key: a job record is
//! written twice (submission, settlement), each commit and reveal writes only the operator's small
//! assignment record and a two-number progress counter, and output bytes are stored once per
//! distinct output hash.

use cosmwasm_std::{Addr, Binary, Uint128};
use cw_storage_plus::{Item, Map};
use serde::{Deserialize, Serialize};
use sibyl_api::escrow::{Config, JobStatus, TensorSpec};

pub const CONFIG: Item<Config> = Item::new("cfg");
/// Id of the next job; ids start at 1.
pub const NEXT_JOB_ID: Item<u64> = Item::new("nid");
/// Protocol fees and remainders owed to the treasury, not yet withdrawn.
pub const TREASURY_OWED: Item<Uint128> = Item::new("trs");

/// Models by the raw 32 bytes of their hash.
pub const MODELS: Map<&[u8], Model> = Map::new("m");
pub const JOBS: Map<u64, Job> = Map::new("j");
pub const JOB_INPUTS: Map<u64, StoredInput> = Map::new("ji");
pub const JOB_PROGRESS: Map<u64, Progress> = Map::new("jp");
pub const ASSIGNMENTS: Map<(u64, &Addr), Assignment> = Map::new("a");
/// Revealed output bytes by (job, output hash), written by the first reveal of each hash. Losing
/// outputs are deleted at settlement; the winning one is the job's result.
pub const OUTPUTS: Map<(u64, &[u8]), Binary> = Map::new("o");
pub const CALLBACK_ERRORS: Map<u64, String> = Map::new("cbe");

/// Secondary indexes, so list queries never scan all jobs.
pub const JOBS_BY_CONSUMER: Map<(&Addr, u64), Empty> = Map::new("jc");
pub const JOBS_BY_STATUS: Map<(u8, u64), Empty> = Map::new("js");
/// (operator, job) pairs where the operator still has to commit or reveal.
pub const PENDING_WORK: Map<(&Addr, u64), Empty> = Map::new("pw");

/// Value of index entries: the key carries the information.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Empty {}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Model {
    pub uri: String,
    pub input_spec: TensorSpec,
    pub output_spec: TensorSpec,
    pub cost_units: u64,
    pub owner: Addr,
    pub deprecated: bool,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Job {
    #[serde(rename = "c")]
    pub consumer: Addr,
    #[serde(rename = "m")]
    pub model_hash: Binary,
    #[serde(rename = "i")]
    pub input_hash: Binary,
    #[serde(rename = "k")]
    pub redundancy: u32,
    #[serde(rename = "q")]
    pub quorum: u32,
    #[serde(rename = "b", default, skip_serializing_if = "Option::is_none")]
    pub callback: Option<Addr>,
    #[serde(rename = "p")]
    pub price: Uint128,
    #[serde(rename = "f")]
    pub protocol_fee: Uint128,
    #[serde(rename = "h")]
    pub submitted_height: u64,
    #[serde(rename = "cd")]
    pub commit_deadline: u64,
    #[serde(rename = "rd")]
    pub reveal_deadline: u64,
    /// Assigned operators in draw order.
    #[serde(rename = "o")]
    pub operators: Vec<Addr>,
    #[serde(rename = "s")]
    pub status: JobStatus,
    /// Winning output hash, once completed.
    #[serde(rename = "r", default, skip_serializing_if = "Option::is_none")]
    pub result_hash: Option<Binary>,
    #[serde(rename = "sh", default, skip_serializing_if = "Option::is_none")]
    pub settled_height: Option<u64>,
}

impl Job {
    pub fn is_assigned(&self, operator: &Addr) -> bool {
        self.operators.contains(operator)
    }

    /// Commits are closed once every operator has committed or the commit deadline has passed.
    pub fn commit_phase_closed(&self, progress: &Progress, height: u64) -> bool {
        progress.commits >= self.redundancy || height > self.commit_deadline
    }
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub enum StoredInput {
    #[serde(rename = "d")]
    Inline(Binary),
    #[serde(rename = "u")]
    Remote(String),
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Progress {
    #[serde(rename = "c")]
    pub commits: u32,
    #[serde(rename = "r")]
    pub reveals: u32,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
pub struct Assignment {
    #[serde(rename = "c")]
    pub commitment: Binary,
    #[serde(rename = "o", default, skip_serializing_if = "Option::is_none")]
    pub output_hash: Option<Binary>,
}

pub fn status_key(status: JobStatus) -> u8 {
    match status {
        JobStatus::Open => 0,
        JobStatus::Completed => 1,
        JobStatus::Failed => 2,
        JobStatus::Cancelled => 3,
    }
}
