//! Storage layout.
//!
//! wasmd charges 30 gas per written byte (keys included), so records use short namespaces and a
//! compact byte encoding (`codec`), and big or frequently changing data lives under its own key: a
//! job record is written twice (submission, settlement), each commit and reveal writes only the
//! operator's small assignment record and a two-number progress counter, and output bytes are
//! stored once per distinct output hash.

use std::marker::PhantomData;

use cosmwasm_std::{Addr, Binary, Decimal, Order, StdError, StdResult, Storage, Uint128};
use cw_storage_plus::{Map, PrimaryKey};
use serde::{Deserialize, Serialize};
use sibyl_api::escrow::{Config, DType, DeclineReason, JobStatus, SeedSource, TensorSpec};

use sibyl_codec::{Reader, Writer};

pub const CONFIG: RecordItem<Config> = RecordItem::new("cfg");
/// Id of the next job; ids start at 1.
pub const NEXT_JOB_ID: RecordItem<u64> = RecordItem::new("nid");
/// Protocol fees and remainders owed to the treasury, not yet withdrawn.
pub const TREASURY_OWED: RecordItem<Uint128> = RecordItem::new("trs");

/// Models by the raw 32 bytes of their hash.
pub const MODELS: RecordMap<&[u8], Model> = RecordMap::new("m");
pub const JOBS: RecordMap<u64, Job> = RecordMap::new("j");
pub const JOB_INPUTS: RecordMap<u64, StoredInput> = RecordMap::new("ji");
pub const JOB_PROGRESS: RecordMap<u64, Progress> = RecordMap::new("jp");
pub const ASSIGNMENTS: RecordMap<(u64, &Addr), Assignment> = RecordMap::new("a");
/// Revealed output bytes by (job, output hash), written by the first reveal of each hash. Losing
/// outputs are deleted at settlement; the winning one is the job's result.
pub const OUTPUTS: RecordMap<(u64, &[u8]), Binary> = RecordMap::new("o");
pub const CALLBACK_ERRORS: RecordMap<u64, String> = RecordMap::new("cbe");

/// Secondary indexes, so list queries never scan all jobs.
pub const JOBS_BY_CONSUMER: Map<(&Addr, u64), Empty> = Map::new("jc");
pub const JOBS_BY_STATUS: Map<(u8, u64), Empty> = Map::new("js");
/// (operator, job) pairs where the operator still has to commit or reveal.
pub const PENDING_WORK: Map<(&Addr, u64), Empty> = Map::new("pw");

/// Value of index entries: the key carries the information.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Empty {}

/// A value stored in the `codec` byte encoding rather than JSON.
pub trait Record: Sized {
    /// Names the record in error messages.
    const NAME: &'static str;
    /// Newest format version; the first byte of every stored record is its layout's version.
    const VERSION: u8 = 1;

    /// The layout this record is written in: [`Self::VERSION`] unless a record type keeps an
    /// older, shorter layout for values that need none of the newer fields.
    fn layout(&self) -> u8 {
        Self::VERSION
    }

    fn write(&self, writer: &mut Writer);
    fn read(reader: &mut Reader) -> StdResult<Self>;

    /// Reads a record of an older layout (written by an earlier contract version or by
    /// [`Self::layout`]); only [`Self::VERSION`] unless a record type says otherwise.
    fn read_layout(reader: &mut Reader, version: u8) -> StdResult<Self> {
        if version != Self::VERSION {
            return Err(reader.corrupt());
        }
        Self::read(reader)
    }

    fn encode(&self) -> Vec<u8> {
        let mut writer = Writer::default();
        writer.u8(self.layout());
        self.write(&mut writer);
        writer.into_bytes()
    }

    fn decode(bytes: &[u8]) -> StdResult<Self> {
        let mut reader = Reader::new(bytes, Self::NAME);
        let version = reader.u8()?;
        let record = Self::read_layout(&mut reader, version)?;
        reader.finish()?;
        Ok(record)
    }
}

fn not_found<T: Record>() -> StdError {
    StdError::msg(format!("{} not found", T::NAME))
}

/// A single [`Record`] under a fixed key.
pub struct RecordItem<T> {
    key: &'static str,
    record: PhantomData<T>,
}

impl<T: Record> RecordItem<T> {
    pub const fn new(key: &'static str) -> Self {
        RecordItem {
            key,
            record: PhantomData,
        }
    }

    pub fn load(&self, storage: &dyn Storage) -> StdResult<T> {
        let bytes = storage
            .get(self.key.as_bytes())
            .ok_or_else(not_found::<T>)?;
        T::decode(&bytes)
    }

    pub fn save(&self, storage: &mut dyn Storage, record: &T) -> StdResult<()> {
        storage.set(self.key.as_bytes(), &record.encode());
        Ok(())
    }

    /// Loads the record, applies `action` and saves what it returns.
    pub fn update<E: From<StdError>>(
        &self,
        storage: &mut dyn Storage,
        action: impl FnOnce(T) -> Result<T, E>,
    ) -> Result<T, E> {
        let record = action(self.load(storage)?)?;
        self.save(storage, &record)?;
        Ok(record)
    }
}

/// [`Record`]s under the same keys a cw-storage-plus `Map` with this namespace would use.
pub struct RecordMap<K, T> {
    keys: Map<K, Empty>,
    record: PhantomData<T>,
}

impl<'a, K: PrimaryKey<'a>, T: Record> RecordMap<K, T> {
    pub const fn new(namespace: &'static str) -> Self {
        RecordMap {
            keys: Map::new(namespace),
            record: PhantomData,
        }
    }

    pub fn may_load(&self, storage: &dyn Storage, key: K) -> StdResult<Option<T>> {
        storage
            .get(&self.keys.key(key))
            .map(|bytes| T::decode(&bytes))
            .transpose()
    }

    pub fn load(&self, storage: &dyn Storage, key: K) -> StdResult<T> {
        self.may_load(storage, key)?.ok_or_else(not_found::<T>)
    }

    pub fn save(&self, storage: &mut dyn Storage, key: K, record: &T) -> StdResult<()> {
        storage.set(&self.keys.key(key), &record.encode());
        Ok(())
    }

    pub fn has(&self, storage: &dyn Storage, key: K) -> bool {
        self.keys.has(storage, key)
    }

    pub fn remove(&self, storage: &mut dyn Storage, key: K) {
        self.keys.remove(storage, key);
    }
}

impl<T: Record> RecordMap<&[u8], T> {
    /// Up to `limit` records in ascending key order, starting after `start_after`.
    pub fn page(
        &self,
        storage: &dyn Storage,
        start_after: Option<&[u8]>,
        limit: usize,
    ) -> StdResult<Vec<(Vec<u8>, T)>> {
        // For a single byte-string key the stored key is the length-prefixed namespace followed by
        // the key itself, so the map is exactly the keys that start with the namespace prefix.
        let prefix = self.keys.key(&[]).to_vec();
        let start = match start_after {
            // The smallest key above `after`.
            Some(after) => [prefix.as_slice(), after, &[0]].concat(),
            None => prefix.clone(),
        };
        let mut end = prefix.clone();
        // The namespace is a short ASCII name, so its last byte is below 0xff.
        if let Some(last) = end.last_mut() {
            *last += 1;
        }
        storage
            .range(Some(&start), Some(&end), Order::Ascending)
            .take(limit)
            .map(|(key, bytes)| Ok((key[prefix.len()..].to_vec(), T::decode(&bytes)?)))
            .collect()
    }
}

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
    pub commit_deadline: u64,
    pub reveal_deadline: u64,
    /// Assigned operators in draw order.
    pub operators: Vec<Addr>,
    pub status: JobStatus,
    /// Winning output hash, once completed.
    pub result_hash: Option<Binary>,
    pub settled_height: Option<u64>,
    /// What went back to the consumer, once closed (unknown for jobs closed before 0.2.0).
    pub refund: Option<Uint128>,
}

impl Job {
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

    fn read(r: &mut Reader) -> StdResult<StoredInput> {
        Self::read_layout(r, Self::VERSION)
    }

    fn read_layout(r: &mut Reader, version: u8) -> StdResult<StoredInput> {
        if !(1..=Self::VERSION).contains(&version) {
            return Err(r.corrupt());
        }
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

    fn layout(&self) -> u8 {
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

    fn read(r: &mut Reader) -> StdResult<Progress> {
        Self::read_layout(r, Self::VERSION)
    }

    fn read_layout(r: &mut Reader, version: u8) -> StdResult<Progress> {
        let (commits, reveals) = (r.uint()?, r.uint()?);
        let declines = match version {
            1 => 0,
            2 => r.uint()?,
            _ => return Err(r.corrupt()),
        };
        Ok(Progress {
            commits,
            reveals,
            declines,
        })
    }
}

/// Layout 1 is a commitment and an optional output hash (unchanged since 0.1.0); layout 2 is a
/// decline and its reason.
impl Record for Assignment {
    const NAME: &'static str = "assignment";
    const VERSION: u8 = 2;

    fn layout(&self) -> u8 {
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

    fn read(r: &mut Reader) -> StdResult<Assignment> {
        Self::read_layout(r, Self::VERSION)
    }

    fn read_layout(r: &mut Reader, version: u8) -> StdResult<Assignment> {
        match version {
            1 => Ok(Assignment::Committed {
                commitment: Binary::from(r.bytes()?),
                output_hash: r.option(|r| r.bytes().map(Binary::from))?,
            }),
            2 => Ok(Assignment::Declined(match r.u8()? {
                0 => DeclineReason::InputUnavailable,
                1 => DeclineReason::InputHashMismatch,
                2 => DeclineReason::ModelUnavailable,
                3 => DeclineReason::InvalidInput,
                _ => return Err(r.corrupt()),
            })),
            _ => Err(r.corrupt()),
        }
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

/// Output bytes.
impl Record for Binary {
    const NAME: &'static str = "output";

    fn write(&self, w: &mut Writer) {
        w.bytes(self);
    }

    fn read(r: &mut Reader) -> StdResult<Binary> {
        Ok(Binary::from(r.bytes()?))
    }
}

/// A callback error message.
impl Record for String {
    const NAME: &'static str = "callback error";

    fn write(&self, w: &mut Writer) {
        w.str(self);
    }

    fn read(r: &mut Reader) -> StdResult<String> {
        r.string()
    }
}

/// The next job id.
impl Record for u64 {
    const NAME: &'static str = "job counter";

    fn write(&self, w: &mut Writer) {
        w.uint(*self);
    }

    fn read(r: &mut Reader) -> StdResult<u64> {
        r.uint()
    }
}

/// The treasury balance.
impl Record for Uint128 {
    const NAME: &'static str = "treasury balance";

    fn write(&self, w: &mut Writer) {
        w.uint(self.u128());
    }

    fn read(r: &mut Reader) -> StdResult<Uint128> {
        r.u128().map(Uint128::new)
    }
}

/// Default decline fee and window bounds for a config written by 0.1.0, which had none.
pub const DEFAULT_DECLINE_FEE_BPS: u16 = 2_000;
pub const DEFAULT_MAX_BLOCK_TIME_SECS: u64 = 10;
pub const DEFAULT_SETTLEMENT_MARGIN: u64 = 100;

/// Layout 2 appends the decline fee, the maximum block time and the settlement margin.
impl Record for Config {
    const NAME: &'static str = "config";
    const VERSION: u8 = 2;

    fn write(&self, w: &mut Writer) {
        w.str(self.admin.as_str());
        w.str(self.staking_contract.as_str());
        w.str(&self.fee_denom);
        w.uint(self.price_per_unit.u128());
        w.uint(self.protocol_fee_bps);
        w.str(self.treasury.as_str());
        w.uint(self.commit_window);
        w.uint(self.reveal_window);
        w.uint(self.default_redundancy);
        w.uint(self.max_redundancy);
        w.uint(self.max_inline_input_bytes);
        w.uint(self.max_output_bytes);
        w.uint(self.wrong_result_slash.atomics().u128());
        w.uint(self.missed_job_slash.atomics().u128());
        w.str(&self.chain_id);
        w.uint(self.callback_gas_limit);
        w.u8(match self.seed_source {
            SeedSource::BlockData => 0,
        });
        w.uint(self.decline_fee_bps);
        w.uint(self.max_block_time_secs);
        w.uint(self.settlement_margin);
    }

    fn read(r: &mut Reader) -> StdResult<Config> {
        Self::read_layout(r, Self::VERSION)
    }

    fn read_layout(r: &mut Reader, version: u8) -> StdResult<Config> {
        if !(1..=Self::VERSION).contains(&version) {
            return Err(r.corrupt());
        }
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
        Ok(config)
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

    fn read(r: &mut Reader) -> StdResult<Model> {
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
/// a job of 0.1.0) and appends the refund.
impl Record for Job {
    const NAME: &'static str = "job";
    const VERSION: u8 = 2;

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
    }

    fn read(r: &mut Reader) -> StdResult<Job> {
        Self::read_layout(r, Self::VERSION)
    }

    fn read_layout(r: &mut Reader, version: u8) -> StdResult<Job> {
        if !(1..=Self::VERSION).contains(&version) {
            return Err(r.corrupt());
        }
        let consumer = r.addr()?;
        Ok(Job {
            model_hash: Binary::from(r.bytes()?),
            input_hash: Binary::from(r.bytes()?),
            redundancy: r.uint()?,
            quorum: r.uint()?,
            callback: match version {
                1 => r.option(Reader::addr)?,
                _ => match r.u8()? {
                    0 => None,
                    1 => Some(consumer.clone()),
                    2 => Some(r.addr()?),
                    _ => return Err(r.corrupt()),
                },
            },
            consumer,
            price: Uint128::new(r.u128()?),
            protocol_fee: Uint128::new(r.u128()?),
            submitted_height: r.uint()?,
            commit_deadline: r.uint()?,
            reveal_deadline: r.uint()?,
            operators: {
                let count: usize = r.uint()?;
                (0..count).map(|_| r.addr()).collect::<StdResult<_>>()?
            },
            status: match r.u8()? {
                0 => JobStatus::Open,
                1 => JobStatus::Completed,
                2 => JobStatus::Failed,
                3 => JobStatus::Cancelled,
                _ => return Err(r.corrupt()),
            },
            result_hash: r.option(|r| r.bytes().map(Binary::from))?,
            settled_height: r.option(Reader::uint)?,
            refund: match version {
                1 => None,
                _ => r.option(|r| r.u128().map(Uint128::new))?,
            },
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
    use super::*;
    use cosmwasm_std::testing::MockStorage;

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
            commit_deadline: 12_355,
            reveal_deadline: 12_365,
            operators: vec![Addr::unchecked("op1"), Addr::unchecked("op2")],
            status: JobStatus::Completed,
            result_hash: Some(Binary::from([3u8; 32])),
            settled_height: Some(12_360),
            refund: Some(Uint128::new(100)),
        }
    }

    fn record_round_trip<T: Record + PartialEq + std::fmt::Debug>(record: T) {
        let bytes = record.encode();
        assert_eq!(bytes[0], record.layout());
        assert!(record.layout() <= T::VERSION);
        assert_eq!(T::decode(&bytes).unwrap(), record);
        // Every strict prefix and any trailing byte is refused.
        for len in 0..bytes.len() {
            assert!(T::decode(&bytes[..len]).is_err(), "prefix of {len} bytes");
        }
        assert!(T::decode(&[bytes.as_slice(), &[0]].concat()).is_err());
        let mut other_version = bytes;
        other_version[0] = T::VERSION + 1;
        assert!(T::decode(&other_version).is_err());
        other_version[0] = 0;
        assert!(T::decode(&other_version).is_err());
    }

    #[test]
    fn state_records_round_trip() {
        record_round_trip(config());
        record_round_trip(model());
        record_round_trip(Model {
            input_spec: TensorSpec {
                dtype: DType::U8,
                shape: vec![],
            },
            deprecated: false,
            ..model()
        });
        record_round_trip(job());
        for status in [JobStatus::Open, JobStatus::Failed, JobStatus::Cancelled] {
            record_round_trip(Job {
                callback: None,
                status,
                result_hash: None,
                settled_height: None,
                refund: None,
                operators: vec![],
                ..job()
            });
        }
        record_round_trip(Job {
            callback: Some(job().consumer),
            ..job()
        });
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
        let mut config_v2 = config().encode();
        // Layout 1 is layout 2 without its last three fields (2 + 1 + 10 bytes here).
        config_v2.truncate(config_v2.len() - 13);
        config_v2[0] = 1;
        let migrated = Config::decode(&config_v2).unwrap();
        assert_eq!(migrated.decline_fee_bps, DEFAULT_DECLINE_FEE_BPS);
        assert_eq!(migrated.max_block_time_secs, DEFAULT_MAX_BLOCK_TIME_SECS);
        assert_eq!(migrated.settlement_margin, DEFAULT_SETTLEMENT_MARGIN);
        assert_eq!(migrated.chain_id, config().chain_id);
    }

    #[test]
    fn job_record_layout_is_compact() {
        // 1 version + 18 consumer + 2 × 33 hashes + 2 k, q + 19 legacy callback (tag + address)
        // + 3 price, fee + 6 heights + 9 operators + 1 status + 34 result + 3 settled height
        // + 2 refund. The JSON layout this replaced (one-letter field names, base64 hashes) took
        // 309 bytes for the same job.
        assert_eq!(job().encode().len(), 164);
        // A callback to the consumer itself is one tag byte.
        let calling_back = Job {
            callback: Some(job().consumer),
            ..job()
        };
        assert_eq!(calling_back.encode().len(), 164 - 18);
    }

    #[test]
    fn unknown_enum_tags_are_corrupt() {
        let mut bytes = config().encode();
        // The seed source tag, before the decline fee (2 bytes), block time (1) and margin (10).
        let tag = bytes.len() - 14;
        bytes[tag] = 1;
        let err = Config::decode(&bytes).unwrap_err();
        assert!(
            err.to_string().contains("corrupt stored config record"),
            "{err}"
        );
        let mut bytes = model().encode();
        bytes[1 + 1 + "ipfs://model".len()] = 9;
        assert!(Model::decode(&bytes).is_err());
    }

    #[test]
    fn record_storage_uses_map_keys_and_pages() {
        let mut storage = MockStorage::new();
        assert!(JOBS.may_load(&storage, 1).unwrap().is_none());
        let err = JOBS.load(&storage, 1).unwrap_err();
        assert!(err.to_string().contains("job not found"), "{err}");
        JOBS.save(&mut storage, 1, &job()).unwrap();
        assert!(JOBS.has(&storage, 1));
        assert_eq!(JOBS.load(&storage, 1).unwrap(), job());
        // Same key as a cw-storage-plus map of that namespace.
        let plain: Map<u64, Empty> = Map::new("j");
        assert!(plain.has(&storage, 1));

        assert!(CONFIG.load(&storage).is_err());
        CONFIG.save(&mut storage, &config()).unwrap();
        assert_eq!(CONFIG.load(&storage).unwrap(), config());
        assert_eq!(storage.get(b"cfg").unwrap(), config().encode());

        for byte in [3u8, 1, 2, 0xff] {
            MODELS.save(&mut storage, &[byte; 32], &model()).unwrap();
        }
        // A neighbouring namespace ("n" follows "m") must not leak into the page.
        let neighbour: Map<&[u8], Empty> = Map::new("n");
        neighbour.save(&mut storage, &[0u8; 32], &Empty {}).unwrap();
        let hashes = |page: Vec<(Vec<u8>, Model)>| -> Vec<u8> {
            page.into_iter().map(|(hash, _)| hash[0]).collect()
        };
        assert_eq!(
            hashes(MODELS.page(&storage, None, 10).unwrap()),
            [1, 2, 3, 0xff]
        );
        assert_eq!(hashes(MODELS.page(&storage, None, 2).unwrap()), [1, 2]);
        assert_eq!(
            hashes(MODELS.page(&storage, Some(&[2u8; 32]), 10).unwrap()),
            [3, 0xff]
        );
        assert_eq!(
            hashes(MODELS.page(&storage, Some(&[0xffu8; 32]), 10).unwrap()),
            Vec::<u8>::new()
        );
    }

    #[test]
    fn small_records_round_trip() {
        record_round_trip(Progress {
            commits: u32::MAX,
            reveals: 7,
            declines: 0,
        });
        record_round_trip(Progress {
            commits: 1,
            reveals: 0,
            declines: 2,
        });
        record_round_trip(Assignment::Committed {
            commitment: Binary::from([1u8; 32]),
            output_hash: None,
        });
        record_round_trip(Assignment::Committed {
            commitment: Binary::from([1u8; 32]),
            output_hash: Some(Binary::from([2u8; 32])),
        });
        for reason in [
            DeclineReason::InputUnavailable,
            DeclineReason::InputHashMismatch,
            DeclineReason::ModelUnavailable,
            DeclineReason::InvalidInput,
        ] {
            record_round_trip(Assignment::Declined(reason));
        }
        assert!(Assignment::decode(&[2, 4]).is_err());
        record_round_trip(StoredInput::Inline(Binary::from(b"\x01\x00input")));
        record_round_trip(StoredInput::Remote {
            uri: "ipfs://x".to_string(),
            size: 784,
        });
        record_round_trip(Binary::from(vec![0u8; 70_000]));
        record_round_trip("error: out of gas".to_string());
        record_round_trip(u64::MAX);
        record_round_trip(Uint128::MAX);
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
        assert!(String::decode(&[1, 1, 0xff]).is_err());
    }

    #[test]
    fn treasury_update_saves_what_the_action_returns() {
        let mut storage = MockStorage::new();
        let add = |owed: Uint128| -> StdResult<Uint128> { Ok(owed + Uint128::new(5)) };
        assert!(TREASURY_OWED.update(&mut storage, add).is_err());
        TREASURY_OWED.save(&mut storage, &Uint128::new(1)).unwrap();
        assert_eq!(
            TREASURY_OWED.update(&mut storage, add).unwrap(),
            Uint128::new(6)
        );
        assert_eq!(TREASURY_OWED.load(&storage).unwrap(), Uint128::new(6));
        let refuse = |_| -> StdResult<Uint128> { Err(StdError::msg("no")) };
        assert!(TREASURY_OWED.update(&mut storage, refuse).is_err());
        assert_eq!(TREASURY_OWED.load(&storage).unwrap(), Uint128::new(6));
        OUTPUTS
            .save(&mut storage, (1, b"h"), &Binary::from(b"out"))
            .unwrap();
        OUTPUTS.remove(&mut storage, (1, b"h"));
        assert!(!OUTPUTS.has(&storage, (1, b"h")));
    }
}
