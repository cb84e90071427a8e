//! Storage layout.
//!
//! wasmd charges 30 gas per written byte (keys included), so records use short namespaces and a
//! compact byte encoding (`codec`), and big or frequently changing data lives under its own key: a
//! job record is written twice (submission, settlement), each commit and reveal writes only the
//! operator's small assignment record and a two-number progress counter, and output bytes are
//! stored once per distinct output hash.

use cosmwasm_std::{Addr, Binary, Decimal, StdResult, Uint128};
use cw_storage_plus::Map;
use serde::{Deserialize, Serialize};
use sibyl_api::escrow::{Config, DType, DeclineReason, JobStatus, SeedSource, TensorSpec};
use sibyl_codec::{Reader, Record, RecordItem, RecordMap, Writer};

pub const CONFIG: RecordItem<StoredConfig> = RecordItem::new("cfg");
pub const NEXT_JOB_ID: RecordItem<NextJobId> = RecordItem::new("nid");
pub const TREASURY_OWED: RecordItem<TreasuryOwed> = RecordItem::new("trs");
/// Fed by every reveal's salt; part of each assignment seed. Absent until the first reveal.
pub const ENTROPY: RecordItem<Entropy> = RecordItem::new("ent");

/// Models by the raw 32 bytes of their hash.
pub const MODELS: RecordMap<&[u8], Model> = RecordMap::new("m");
pub const JOBS: RecordMap<u64, Job> = RecordMap::new("j");
pub const JOB_INPUTS: RecordMap<u64, StoredInput> = RecordMap::new("ji");
pub const JOB_PROGRESS: RecordMap<u64, Progress> = RecordMap::new("jp");
pub const ASSIGNMENTS: RecordMap<(u64, &Addr), Assignment> = RecordMap::new("a");
/// By (job, output hash), written by the first reveal of each hash. Losing outputs are deleted at
/// settlement; the winning one is the job's result.
pub const OUTPUTS: RecordMap<(u64, &[u8]), RevealedOutput> = RecordMap::new("o");
pub const CALLBACK_ERRORS: RecordMap<u64, CallbackError> = RecordMap::new("cbe");

/// Secondary indexes, so list queries never scan all jobs.
pub const JOBS_BY_CONSUMER: Map<(&Addr, u64), Empty> = Map::new("jc");
pub const JOBS_BY_STATUS: Map<(u8, u64), Empty> = Map::new("js");
/// (operator, job) pairs where the operator still has to commit or reveal.
pub const PENDING_WORK: Map<(&Addr, u64), Empty> = Map::new("pw");
/// Jobs whose operators are not drawn yet, by id (so oldest first).
pub const ASSIGNMENT_QUEUE: Map<u64, Empty> = Map::new("aq");

/// Value of index entries: the key carries the information.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Empty {}

/// The configuration (a type of `sibyl_api`, so stored through this newtype).
#[derive(Clone, Debug, PartialEq)]
pub struct StoredConfig(pub Config);

/// Id of the next job; ids start at 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NextJobId(pub u64);

/// The reveal-salt accumulator (see `sampling`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Entropy(pub [u8; 32]);

/// Protocol fees and remainders owed to the treasury, not yet withdrawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TreasuryOwed(pub Uint128);

/// Output bytes an operator revealed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RevealedOutput(pub Binary);

/// Why the consumer's callback failed (truncated).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallbackError(pub String);

#[derive(Clone, Debug, PartialEq)]
pub struct Model {
    pub uri: String,
    pub input_spec: TensorSpec,
    pub output_spec: TensorSpec,
    pub cost_units: u64,
    pub owner: Addr,
    pub deprecated: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Job {
    pub consumer: Addr,
    pub model_hash: Binary,
    pub input_hash: Binary,
    pub redundancy: u32,
    pub quorum: u32,
    /// The consumer when it asked to be called back. Jobs submitted before 0.2.0 may name another
    /// contract.
    pub callback: Option<Addr>,
    pub price: Uint128,
    pub protocol_fee: Uint128,
    pub submitted_height: u64,
    /// When its operators were drawn; `None` while it waits in `ASSIGNMENT_QUEUE`.
    pub assigned_height: Option<u64>,
    /// Both 0 until the job is assigned.
    pub commit_deadline: u64,
    pub reveal_deadline: u64,
    /// Assigned operators in draw order; empty until the job is assigned.
    pub operators: Vec<Addr>,
    pub status: JobStatus,
    /// Winning output hash, once completed.
    pub result_hash: Option<Binary>,
    pub settled_height: Option<u64>,
    /// What went back to the consumer, once closed (unknown for jobs closed before 0.2.0).
    pub refund: Option<Uint128>,
}

impl Job {
    pub fn awaits_assignment(&self) -> bool {
        self.assigned_height.is_none()
    }

    pub fn is_assigned(&self, operator: &Addr) -> bool {
        self.operators.contains(operator)
    }
}

/// A job's input as stored: inline bytes, or the URI and declared size of a remote input (its
/// hash is on the job).
#[derive(Clone, Debug, PartialEq)]
pub enum StoredInput {
    Inline(Binary),
    Remote { uri: String, size: u64 },
}

/// Commit, reveal and decline counts of an open job.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Progress {
    pub commits: u32,
    pub reveals: u32,
    pub declines: u32,
}

/// An assigned operator's answer: a commitment and, once revealed, its output hash; or a decline.
#[derive(Clone, Debug, PartialEq)]
pub enum Assignment {
    Committed {
        commitment: Binary,
        output_hash: Option<Binary>,
    },
    Declined(DeclineReason),
}

impl Assignment {
    pub fn commitment(&self) -> Option<&Binary> {
        match self {
            Assignment::Committed { commitment, .. } => Some(commitment),
            Assignment::Declined(_) => None,
        }
    }

    pub fn output_hash(&self) -> Option<&Binary> {
        match self {
            Assignment::Committed { output_hash, .. } => output_hash.as_ref(),
            Assignment::Declined(_) => None,
        }
    }

    pub fn declined(&self) -> Option<DeclineReason> {
        match self {
            Assignment::Declined(reason) => Some(*reason),
            Assignment::Committed { .. } => None,
        }
    }
}

/// Layout 2 added the declared size of a remote input (layout 1 reads as size 0: not declared).
impl Record for StoredInput {
    const NAME: &'static str = "job input";
    const VERSION: u8 = 2;
    const OLDEST_VERSION: u8 = 1;

    fn write(&self, w: &mut Writer) {
        match self {
            StoredInput::Inline(data) => {
                w.u8(0);
                w.bytes(data);
            }
            StoredInput::Remote { uri, size } => {
                w.u8(1);
                w.str(uri);
                w.uint(*size);
            }
        }
    }

    fn read(r: &mut Reader, version: u8) -> StdResult<StoredInput> {
        match r.u8()? {
            0 => Ok(StoredInput::Inline(Binary::from(r.bytes()?))),
            1 => Ok(StoredInput::Remote {
                uri: r.string()?,
                size: if version >= 2 { r.uint()? } else { 0 },
            }),
            _ => Err(r.corrupt()),
        }
    }
}

/// Layout 1 (commits, reveals) is kept for the usual job without declines; layout 2 adds the
/// decline count. Progress is rewritten on every commit and reveal, so the byte counts.
impl Record for Progress {
    const NAME: &'static str = "job progress";
    const VERSION: u8 = 2;
    const OLDEST_VERSION: u8 = 1;

    fn version(&self) -> u8 {
        if self.declines == 0 {
            1
        } else {
            2
        }
    }

    fn write(&self, w: &mut Writer) {
        w.uint(self.commits);
        w.uint(self.reveals);
        if self.declines != 0 {
            w.uint(self.declines);
        }
    }

    fn read(r: &mut Reader, version: u8) -> StdResult<Progress> {
        Ok(Progress {
            commits: r.uint()?,
            reveals: r.uint()?,
            declines: if version >= 2 { r.uint()? } else { 0 },
        })
    }
}

/// Layout 1 is a commitment and an optional output hash (unchanged since 0.1.0); layout 2 is a
/// decline and its reason.
impl Record for Assignment {
    const NAME: &'static str = "assignment";
    const VERSION: u8 = 2;
    const OLDEST_VERSION: u8 = 1;

    fn version(&self) -> u8 {
        match self {
            Assignment::Committed { .. } => 1,
            Assignment::Declined(_) => 2,
        }
    }

    fn write(&self, w: &mut Writer) {
        match self {
            Assignment::Committed {
                commitment,
                output_hash,
            } => {
                w.bytes(commitment);
                w.option(output_hash.as_ref(), |w, hash| w.bytes(hash));
            }
            Assignment::Declined(reason) => w.u8(decline_key(*reason)),
        }
    }

    fn read(r: &mut Reader, version: u8) -> StdResult<Assignment> {
        if version == 1 {
            return Ok(Assignment::Committed {
                commitment: Binary::from(r.bytes()?),
                output_hash: r.option(|r| r.bytes().map(Binary::from))?,
            });
        }
        Ok(Assignment::Declined(match r.u8()? {
            0 => DeclineReason::InputUnavailable,
            1 => DeclineReason::InputHashMismatch,
            2 => DeclineReason::ModelUnavailable,
            3 => DeclineReason::InvalidInput,
            _ => return Err(r.corrupt()),
        }))
    }
}

fn decline_key(reason: DeclineReason) -> u8 {
    match reason {
        DeclineReason::InputUnavailable => 0,
        DeclineReason::InputHashMismatch => 1,
        DeclineReason::ModelUnavailable => 2,
        DeclineReason::InvalidInput => 3,
    }
}

impl Record for RevealedOutput {
    const NAME: &'static str = "output";

    fn write(&self, w: &mut Writer) {
        w.bytes(&self.0);
    }

    fn read(r: &mut Reader, _version: u8) -> StdResult<RevealedOutput> {
        Ok(RevealedOutput(Binary::from(r.bytes()?)))
    }
}

impl Record for CallbackError {
    const NAME: &'static str = "callback error";

    fn write(&self, w: &mut Writer) {
        w.str(&self.0);
    }

    fn read(r: &mut Reader, _version: u8) -> StdResult<CallbackError> {
        r.string().map(CallbackError)
    }
}

impl Record for NextJobId {
    const NAME: &'static str = "job counter";

    fn write(&self, w: &mut Writer) {
        w.uint(self.0);
    }

    fn read(r: &mut Reader, _version: u8) -> StdResult<NextJobId> {
        r.uint().map(NextJobId)
    }
}

impl Record for Entropy {
    const NAME: &'static str = "entropy";

    fn write(&self, w: &mut Writer) {
        w.bytes(&self.0);
    }

    fn read(r: &mut Reader, _version: u8) -> StdResult<Entropy> {
        r.bytes()?.try_into().map(Entropy).map_err(|_| r.corrupt())
    }
}

impl Record for TreasuryOwed {
    const NAME: &'static str = "treasury balance";

    fn write(&self, w: &mut Writer) {
        w.uint(self.0.u128());
    }

    fn read(r: &mut Reader, _version: u8) -> StdResult<TreasuryOwed> {
        r.u128().map(|owed| TreasuryOwed(Uint128::new(owed)))
    }
}

/// Default decline fee and window bounds for a config written by 0.1.0, which had none.
pub const DEFAULT_DECLINE_FEE_BPS: u16 = 2_000;
pub const DEFAULT_MAX_BLOCK_TIME_SECS: u64 = 10;
pub const DEFAULT_SETTLEMENT_MARGIN: u64 = 100;

/// Layout 2 appends the decline fee, the maximum block time and the settlement margin.
impl Record for StoredConfig {
    const NAME: &'static str = "config";
    const VERSION: u8 = 2;
    const OLDEST_VERSION: u8 = 1;

    fn write(&self, w: &mut Writer) {
        let StoredConfig(config) = self;
        w.str(config.admin.as_str());
        w.str(config.staking_contract.as_str());
        w.str(&config.fee_denom);
        w.uint(config.price_per_unit.u128());
        w.uint(config.protocol_fee_bps);
        w.str(config.treasury.as_str());
        w.uint(config.commit_window);
        w.uint(config.reveal_window);
        w.uint(config.default_redundancy);
        w.uint(config.max_redundancy);
        w.uint(config.max_inline_input_bytes);
        w.uint(config.max_output_bytes);
        w.uint(config.wrong_result_slash.atomics().u128());
        w.uint(config.missed_job_slash.atomics().u128());
        w.str(&config.chain_id);
        w.uint(config.callback_gas_limit);
        w.u8(match config.seed_source {
            SeedSource::BlockData => 0,
        });
        w.uint(config.decline_fee_bps);
        w.uint(config.max_block_time_secs);
        w.uint(config.settlement_margin);
    }

    fn read(r: &mut Reader, version: u8) -> StdResult<StoredConfig> {
        let mut config = Config {
            admin: r.addr()?,
            staking_contract: r.addr()?,
            fee_denom: r.string()?,
            price_per_unit: Uint128::new(r.u128()?),
            protocol_fee_bps: r.uint()?,
            treasury: r.addr()?,
            commit_window: r.uint()?,
            reveal_window: r.uint()?,
            default_redundancy: r.uint()?,
            max_redundancy: r.uint()?,
            max_inline_input_bytes: r.uint()?,
            max_output_bytes: r.uint()?,
            wrong_result_slash: Decimal::new(Uint128::new(r.u128()?)),
            missed_job_slash: Decimal::new(Uint128::new(r.u128()?)),
            chain_id: r.string()?,
            callback_gas_limit: r.uint()?,
            seed_source: match r.u8()? {
                0 => SeedSource::BlockData,
                _ => return Err(r.corrupt()),
            },
            decline_fee_bps: DEFAULT_DECLINE_FEE_BPS,
            max_block_time_secs: DEFAULT_MAX_BLOCK_TIME_SECS,
            settlement_margin: DEFAULT_SETTLEMENT_MARGIN,
        };
        if version >= 2 {
            config.decline_fee_bps = r.uint()?;
            config.max_block_time_secs = r.uint()?;
            config.settlement_margin = r.uint()?;
        }
        Ok(StoredConfig(config))
    }
}

fn write_spec(w: &mut Writer, spec: &TensorSpec) {
    w.u8(match spec.dtype {
        DType::I8 => 0,
        DType::U8 => 1,
        DType::I32 => 2,
    });
    w.uint(spec.shape.len() as u64);
    for &dim in &spec.shape {
        w.uint(dim);
    }
}

fn read_spec(r: &mut Reader) -> StdResult<TensorSpec> {
    let dtype = match r.u8()? {
        0 => DType::I8,
        1 => DType::U8,
        2 => DType::I32,
        _ => return Err(r.corrupt()),
    };
    let rank: usize = r.uint()?;
    // Each dimension takes at least one byte, so a corrupt rank fails before allocating much.
    let shape = (0..rank).map(|_| r.uint()).collect::<StdResult<_>>()?;
    Ok(TensorSpec { dtype, shape })
}

impl Record for Model {
    const NAME: &'static str = "model";

    fn write(&self, w: &mut Writer) {
        w.str(&self.uri);
        write_spec(w, &self.input_spec);
        write_spec(w, &self.output_spec);
        w.uint(self.cost_units);
        w.str(self.owner.as_str());
        w.bool(self.deprecated);
    }

    fn read(r: &mut Reader, _version: u8) -> StdResult<Model> {
        Ok(Model {
            uri: r.string()?,
            input_spec: read_spec(r)?,
            output_spec: read_spec(r)?,
            cost_units: r.uint()?,
            owner: r.addr()?,
            deprecated: r.bool()?,
        })
    }
}

/// Layout 2 stores the callback as a tag (0 none, 1 the consumer, 2 another contract named by
/// a job of 0.1.0) and appends the refund; layout 3 appends the assignment height (jobs of
/// layouts 1 and 2 were assigned when submitted).
impl Record for Job {
    const NAME: &'static str = "job";
    const VERSION: u8 = 3;
    const OLDEST_VERSION: u8 = 1;

    fn write(&self, w: &mut Writer) {
        w.str(self.consumer.as_str());
        w.bytes(&self.model_hash);
        w.bytes(&self.input_hash);
        w.uint(self.redundancy);
        w.uint(self.quorum);
        match &self.callback {
            None => w.u8(0),
            Some(callback) if *callback == self.consumer => w.u8(1),
            Some(callback) => {
                w.u8(2);
                w.str(callback.as_str());
            }
        }
        w.uint(self.price.u128());
        w.uint(self.protocol_fee.u128());
        w.uint(self.submitted_height);
        w.uint(self.commit_deadline);
        w.uint(self.reveal_deadline);
        w.uint(self.operators.len() as u64);
        for operator in &self.operators {
            w.str(operator.as_str());
        }
        w.u8(status_key(self.status));
        w.option(self.result_hash.as_ref(), |w, hash| w.bytes(hash));
        w.option(self.settled_height, |w, height| w.uint(height));
        w.option(self.refund, |w, refund| w.uint(refund.u128()));
        w.option(self.assigned_height, |w, height| w.uint(height));
    }

    fn read(r: &mut Reader, version: u8) -> StdResult<Job> {
        let consumer = r.addr()?;
        let model_hash = Binary::from(r.bytes()?);
        let input_hash = Binary::from(r.bytes()?);
        let redundancy = r.uint()?;
        let quorum = r.uint()?;
        let callback = match version {
            1 => r.option(Reader::addr)?,
            _ => match r.u8()? {
                0 => None,
                1 => Some(consumer.clone()),
                2 => Some(r.addr()?),
                _ => return Err(r.corrupt()),
            },
        };
        let price = Uint128::new(r.u128()?);
        let protocol_fee = Uint128::new(r.u128()?);
        let submitted_height = r.uint()?;
        let commit_deadline = r.uint()?;
        let reveal_deadline = r.uint()?;
        let count: usize = r.uint()?;
        let operators = (0..count).map(|_| r.addr()).collect::<StdResult<_>>()?;
        let status = match r.u8()? {
            0 => JobStatus::Open,
            1 => JobStatus::Completed,
            2 => JobStatus::Failed,
            3 => JobStatus::Cancelled,
            _ => return Err(r.corrupt()),
        };
        let result_hash = r.option(|r| r.bytes().map(Binary::from))?;
        let settled_height = r.option(Reader::uint)?;
        let refund = match version {
            1 => None,
            _ => r.option(|r| r.u128().map(Uint128::new))?,
        };
        let assigned_height = match version {
            1 | 2 => Some(submitted_height),
            _ => r.option(Reader::uint)?,
        };
        Ok(Job {
            consumer,
            model_hash,
            input_hash,
            redundancy,
            quorum,
            callback,
            price,
            protocol_fee,
            submitted_height,
            assigned_height,
            commit_deadline,
            reveal_deadline,
            operators,
            status,
            result_hash,
            settled_height,
            refund,
        })
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
    use cosmwasm_std::testing::MockStorage;
    use cosmwasm_std::Storage;
    use sibyl_codec::testing::assert_round_trip;

    use super::*;

    fn config() -> Config {
        Config {
            admin: Addr::unchecked("cosmwasm1admin"),
            staking_contract: Addr::unchecked("cosmwasm1staking"),
            fee_denom: "usibyl".to_string(),
            price_per_unit: Uint128::new(u128::MAX),
            protocol_fee_bps: 10_000,
            treasury: Addr::unchecked("cosmwasm1treasury"),
            commit_window: 10,
            reveal_window: u64::MAX,
            default_redundancy: 3,
            max_redundancy: u32::MAX,
            max_inline_input_bytes: 65_536,
            max_output_bytes: 1,
            wrong_result_slash: Decimal::percent(5),
            missed_job_slash: Decimal::one(),
            chain_id: "sibyl-1".to_string(),
            callback_gas_limit: 0,
            seed_source: SeedSource::BlockData,
            decline_fee_bps: 2_000,
            max_block_time_secs: 6,
            settlement_margin: u64::MAX,
        }
    }

    fn model() -> Model {
        Model {
            uri: "ipfs://model".to_string(),
            input_spec: TensorSpec {
                dtype: DType::I8,
                shape: vec![1, 784],
            },
            output_spec: TensorSpec {
                dtype: DType::I32,
                shape: vec![u32::MAX],
            },
            cost_units: 7,
            owner: Addr::unchecked("cosmwasm1owner"),
            deprecated: true,
        }
    }

    fn job() -> Job {
        Job {
            consumer: Addr::unchecked("cosmwasm1consumer"),
            model_hash: Binary::from([1u8; 32]),
            input_hash: Binary::from([2u8; 32]),
            redundancy: 3,
            quorum: 2,
            callback: Some(Addr::unchecked("cosmwasm1callback")),
            price: Uint128::new(300),
            protocol_fee: Uint128::new(3),
            submitted_height: 12_345,
            assigned_height: Some(12_346),
            commit_deadline: 12_355,
            reveal_deadline: 12_365,
            operators: vec![Addr::unchecked("op1"), Addr::unchecked("op2")],
            status: JobStatus::Completed,
            result_hash: Some(Binary::from([3u8; 32])),
            settled_height: Some(12_360),
            refund: Some(Uint128::new(100)),
        }
    }

    #[test]
    fn state_records_round_trip() {
        assert_round_trip(&StoredConfig(config()));
        assert_round_trip(&model());
        assert_round_trip(&Model {
            input_spec: TensorSpec {
                dtype: DType::U8,
                shape: vec![],
            },
            deprecated: false,
            ..model()
        });
        assert_round_trip(&job());
        for status in [JobStatus::Open, JobStatus::Failed, JobStatus::Cancelled] {
            assert_round_trip(&Job {
                callback: None,
                status,
                result_hash: None,
                settled_height: None,
                refund: None,
                operators: vec![],
                ..job()
            });
        }
        assert_round_trip(&Job {
            callback: Some(job().consumer),
            ..job()
        });
        assert_round_trip(&Job {
            status: JobStatus::Open,
            assigned_height: None,
            commit_deadline: 0,
            reveal_deadline: 0,
            operators: vec![],
            result_hash: None,
            settled_height: None,
            refund: None,
            ..job()
        });
        assert_round_trip(&Entropy([9; 32]));
    }

    /// The layouts 0.1.0 wrote, so that a migrated contract reads its stored records.
    #[test]
    fn records_written_by_0_1_0_are_read() {
        let old = job();
        let mut w = Writer::default();
        w.u8(1);
        w.str(old.consumer.as_str());
        w.bytes(&old.model_hash);
        w.bytes(&old.input_hash);
        w.uint(old.redundancy);
        w.uint(old.quorum);
        w.option(old.callback.as_ref(), |w, addr| w.str(addr.as_str()));
        w.uint(old.price.u128());
        w.uint(old.protocol_fee.u128());
        w.uint(old.submitted_height);
        w.uint(old.commit_deadline);
        w.uint(old.reveal_deadline);
        w.uint(old.operators.len() as u64);
        for operator in &old.operators {
            w.str(operator.as_str());
        }
        w.u8(status_key(old.status));
        w.option(old.result_hash.as_ref(), |w, hash| w.bytes(hash));
        w.option(old.settled_height, |w, height| w.uint(height));
        assert_eq!(
            Job::decode(&w.into_bytes()).unwrap(),
            Job {
                refund: None,
                assigned_height: Some(old.submitted_height),
                ..job()
            }
        );
        // 0.1.0's remote input had no size; its progress and assignments are layout 1.
        assert_eq!(
            StoredInput::decode(&[1, 1, 3, b'u', b'r', b'i']).unwrap(),
            StoredInput::Remote {
                uri: "uri".to_string(),
                size: 0
            }
        );
        assert_eq!(
            Progress::decode(&[1, 3, 2]).unwrap(),
            Progress {
                commits: 3,
                reveals: 2,
                declines: 0
            }
        );
        let mut config_v2 = StoredConfig(config()).encode();
        // Layout 1 is layout 2 without its last three fields (2 + 1 + 10 bytes here).
        config_v2.truncate(config_v2.len() - 13);
        config_v2[0] = 1;
        let StoredConfig(migrated) = StoredConfig::decode(&config_v2).unwrap();
        assert_eq!(migrated.decline_fee_bps, DEFAULT_DECLINE_FEE_BPS);
        assert_eq!(migrated.max_block_time_secs, DEFAULT_MAX_BLOCK_TIME_SECS);
        assert_eq!(migrated.settlement_margin, DEFAULT_SETTLEMENT_MARGIN);
        assert_eq!(migrated.chain_id, config().chain_id);
    }

    /// Layout 2 (before assignment moved out of `SubmitJob`) has no assignment height.
    #[test]
    fn jobs_of_layout_2_read_as_assigned_when_submitted() {
        let mut layout_2 = job().encode();
        // The assignment height is the last field: tag 1 and a 2-byte varint here.
        layout_2.truncate(layout_2.len() - 3);
        layout_2[0] = 2;
        assert_eq!(
            Job::decode(&layout_2).unwrap(),
            Job {
                assigned_height: Some(job().submitted_height),
                ..job()
            }
        );
    }

    #[test]
    fn job_record_layout_is_compact() {
        // 1 version + 18 consumer + 2 × 33 hashes + 2 k, q + 19 legacy callback (tag + address)
        // + 3 price, fee + 6 heights + 9 operators + 1 status + 34 result + 3 settled height
        // + 2 refund + 3 assignment height. The JSON layout this replaced (one-letter field
        // names, base64 hashes) took 309 bytes for the same job.
        assert_eq!(job().encode().len(), 167);
        // A callback to the consumer itself is one tag byte.
        let calling_back = Job {
            callback: Some(job().consumer),
            ..job()
        };
        assert_eq!(calling_back.encode().len(), 167 - 18);
    }

    #[test]
    fn unknown_enum_tags_are_corrupt() {
        let mut bytes = StoredConfig(config()).encode();
        // The seed source tag, before the decline fee (2 bytes), block time (1) and margin (10).
        let tag = bytes.len() - 14;
        bytes[tag] = 1;
        let err = StoredConfig::decode(&bytes).unwrap_err();
        assert!(
            err.to_string().contains("corrupt stored config record"),
            "{err}"
        );
        let mut bytes = model().encode();
        bytes[1 + 1 + "ipfs://model".len()] = 9;
        assert!(Model::decode(&bytes).is_err());
    }

    /// The keys migrated contracts hold their records under.
    #[test]
    fn records_are_stored_under_map_and_item_keys() {
        let mut storage = MockStorage::new();
        JOBS.save(&mut storage, 1, &job()).unwrap();
        let plain: Map<u64, Empty> = Map::new("j");
        assert!(plain.has(&storage, 1));
        CONFIG.save(&mut storage, &StoredConfig(config())).unwrap();
        assert_eq!(
            storage.get(b"cfg").unwrap(),
            StoredConfig(config()).encode()
        );
        NEXT_JOB_ID.save(&mut storage, &NextJobId(7)).unwrap();
        assert_eq!(storage.get(b"nid").unwrap(), [1, 7]);
        TREASURY_OWED
            .save(&mut storage, &TreasuryOwed(Uint128::new(300)))
            .unwrap();
        assert_eq!(storage.get(b"trs").unwrap(), [1, 0xac, 0x02]);
    }

    #[test]
    fn small_records_round_trip() {
        assert_round_trip(&Progress {
            commits: u32::MAX,
            reveals: 7,
            declines: 0,
        });
        assert_round_trip(&Progress {
            commits: 1,
            reveals: 0,
            declines: 2,
        });
        assert_round_trip(&Assignment::Committed {
            commitment: Binary::from([1u8; 32]),
            output_hash: None,
        });
        assert_round_trip(&Assignment::Committed {
            commitment: Binary::from([1u8; 32]),
            output_hash: Some(Binary::from([2u8; 32])),
        });
        for reason in [
            DeclineReason::InputUnavailable,
            DeclineReason::InputHashMismatch,
            DeclineReason::ModelUnavailable,
            DeclineReason::InvalidInput,
        ] {
            assert_round_trip(&Assignment::Declined(reason));
        }
        assert!(Assignment::decode(&[2, 4]).is_err());
        assert_round_trip(&StoredInput::Inline(Binary::from(b"\x01\x00input")));
        assert_round_trip(&StoredInput::Remote {
            uri: "ipfs://x".to_string(),
            size: 784,
        });
        assert_round_trip(&RevealedOutput(Binary::from(vec![0u8; 70_000])));
        assert_round_trip(&CallbackError("error: out of gas".to_string()));
        assert_round_trip(&NextJobId(u64::MAX));
        assert_round_trip(&TreasuryOwed(Uint128::MAX));
        // A commit's assignment record: version, length, 32 bytes, no output hash (as in 0.1.0).
        let commit = Assignment::Committed {
            commitment: Binary::from([1u8; 32]),
            output_hash: None,
        };
        assert_eq!(commit.encode().len(), 35);
        // A decline: version and reason.
        assert_eq!(
            Assignment::Declined(DeclineReason::InvalidInput).encode(),
            [2, 3]
        );
        // Progress without declines keeps 0.1.0's three bytes.
        let usual = Progress {
            commits: 3,
            reveals: 3,
            declines: 0,
        };
        assert_eq!(usual.encode(), [1, 3, 3]);
    }

    #[test]
    fn corrupt_records_are_errors() {
        assert!(StoredInput::decode(&[1]).is_err());
        assert!(StoredInput::decode(&[1, 9, 0]).is_err());
        assert!(StoredInput::decode(&[1, 1, 1, 0xff]).is_err());
        assert!(StoredInput::decode(&[2, 1, 1, b'u']).is_err());
        assert!(Progress::decode(&[1, 0x80, 0x80, 0x80, 0x80, 0x10, 0]).is_err());
        assert!(CallbackError::decode(&[1, 1, 0xff]).is_err());
    }
}
