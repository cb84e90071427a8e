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

/// A job's input as stored: inline bytes, or the URI of a remote input (its hash is on the job).
/// Stored as raw bytes behind a one-byte tag.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(into = "Binary", try_from = "Binary")]
pub enum StoredInput {
    Inline(Binary),
    Remote(String),
}

const INLINE_TAG: u8 = 0;
const REMOTE_TAG: u8 = 1;

impl From<StoredInput> for Binary {
    fn from(input: StoredInput) -> Binary {
        let (tag, body) = match input {
            StoredInput::Inline(data) => (INLINE_TAG, data.to_vec()),
            StoredInput::Remote(uri) => (REMOTE_TAG, uri.into_bytes()),
        };
        let mut bytes = Vec::with_capacity(body.len() + 1);
        bytes.push(tag);
        bytes.extend_from_slice(&body);
        Binary::from(bytes)
    }
}

impl TryFrom<Binary> for StoredInput {
    type Error = String;

    fn try_from(bytes: Binary) -> Result<StoredInput, String> {
        match bytes.split_first() {
            Some((&INLINE_TAG, data)) => Ok(StoredInput::Inline(Binary::from(data))),
            Some((&REMOTE_TAG, uri)) => String::from_utf8(uri.to_vec())
                .map(StoredInput::Remote)
                .map_err(|_| "corrupt remote input URI".to_string()),
            _ => Err("corrupt stored input".to_string()),
        }
    }
}

/// Commit and reveal counts of an open job, stored as one integer (`commits << 32 | reveals`).
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Default)]
#[serde(into = "u64", from = "u64")]
pub struct Progress {
    pub commits: u32,
    pub reveals: u32,
}

impl From<Progress> for u64 {
    fn from(progress: Progress) -> u64 {
        (u64::from(progress.commits) << 32) | u64::from(progress.reveals)
    }
}

impl From<u64> for Progress {
    fn from(packed: u64) -> Progress {
        Progress {
            commits: (packed >> 32) as u32,
            reveals: packed as u32,
        }
    }
}

/// An assigned operator's commitment and, once revealed, its output hash. Stored as raw bytes
/// (`commitment[32] ‖ output_hash[32]?`): small to write, and no JSON decoder of its own in the
/// wasm.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
#[serde(into = "Binary", try_from = "Binary")]
pub struct Assignment {
    pub commitment: Binary,
    pub output_hash: Option<Binary>,
}

impl From<Assignment> for Binary {
    fn from(assignment: Assignment) -> Binary {
        let mut bytes = assignment.commitment.to_vec();
        if let Some(hash) = assignment.output_hash {
            bytes.extend_from_slice(&hash);
        }
        Binary::from(bytes)
    }
}

impl TryFrom<Binary> for Assignment {
    type Error = String;

    fn try_from(bytes: Binary) -> Result<Assignment, String> {
        match bytes.len() {
            32 => Ok(Assignment {
                commitment: bytes,
                output_hash: None,
            }),
            64 => Ok(Assignment {
                commitment: Binary::from(&bytes[..32]),
                output_hash: Some(Binary::from(&bytes[32..])),
            }),
            len => Err(format!("corrupt assignment record of {len} bytes")),
        }
    }
}

pub fn status_key(status: JobStatus) -> u8 {
    match status {
        JobStatus::Open => 0,
        JobStatus::Completed => 1,
        JobStatus::Failed => 2,
        JobStatus::Cancelled => 3,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cosmwasm_std::{from_json, to_json_vec};

    fn round_trip<T>(value: T)
    where
        T: Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug,
    {
        let bytes = to_json_vec(&value).unwrap();
        assert_eq!(from_json::<T>(&bytes).unwrap(), value);
    }

    #[test]
    fn compact_records_round_trip() {
        round_trip(Progress {
            commits: u32::MAX,
            reveals: 7,
        });
        round_trip(Assignment {
            commitment: Binary::from([1u8; 32]),
            output_hash: None,
        });
        round_trip(Assignment {
            commitment: Binary::from([1u8; 32]),
            output_hash: Some(Binary::from([2u8; 32])),
        });
        round_trip(StoredInput::Inline(Binary::from(b"\x01\x00input")));
        round_trip(StoredInput::Remote("ipfs://x".to_string()));
    }

    #[test]
    fn corrupt_records_are_errors() {
        assert!(Assignment::try_from(Binary::from([0u8; 33])).is_err());
        assert!(StoredInput::try_from(Binary::default()).is_err());
        assert!(StoredInput::try_from(Binary::from([9u8, 1])).is_err());
        assert!(StoredInput::try_from(Binary::from([1u8, 0xff])).is_err());
    }
}
