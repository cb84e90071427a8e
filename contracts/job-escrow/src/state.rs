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
use sibyl_api::escrow::{Config, DType, JobStatus, SeedSource, TensorSpec};

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
    /// Format version, the first byte of every stored record.
    const VERSION: u8 = 1;

    fn write(&self, writer: &mut Writer);
    fn read(reader: &mut Reader) -> StdResult<Self>;

    fn encode(&self) -> Vec<u8> {
        let mut writer = Writer::default();
        writer.u8(Self::VERSION);
        self.write(&mut writer);
        writer.into_bytes()
    }

    fn decode(bytes: &[u8]) -> StdResult<Self> {
        let mut reader = Reader::new(bytes, Self::NAME);
        reader.version(Self::VERSION)?;
        let record = Self::read(&mut reader)?;
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
#[derive(Clone, Debug, PartialEq)]
pub enum StoredInput {
    Inline(Binary),
    Remote(String),
}

/// Commit and reveal counts of an open job.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Progress {
    pub commits: u32,
    pub reveals: u32,
}

/// An assigned operator's commitment and, once revealed, its output hash.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Assignment {
    pub commitment: Binary,
    pub output_hash: Option<Binary>,
}

impl Record for StoredInput {
    const NAME: &'static str = "job input";

    fn write(&self, w: &mut Writer) {
        match self {
            StoredInput::Inline(data) => {
                w.u8(0);
                w.bytes(data);
            }
            StoredInput::Remote(uri) => {
                w.u8(1);
                w.str(uri);
            }
        }
    }

    fn read(r: &mut Reader) -> StdResult<StoredInput> {
        match r.u8()? {
            0 => Ok(StoredInput::Inline(Binary::from(r.bytes()?))),
            1 => Ok(StoredInput::Remote(r.string()?)),
            _ => Err(r.corrupt()),
        }
    }
}

impl Record for Progress {
    const NAME: &'static str = "job progress";

    fn write(&self, w: &mut Writer) {
        w.uint(self.commits);
        w.uint(self.reveals);
    }

    fn read(r: &mut Reader) -> StdResult<Progress> {
        Ok(Progress {
            commits: r.uint()?,
            reveals: r.uint()?,
        })
    }
}

impl Record for Assignment {
    const NAME: &'static str = "assignment";

    fn write(&self, w: &mut Writer) {
        w.bytes(&self.commitment);
        w.option(self.output_hash.as_ref(), |w, hash| w.bytes(hash));
    }

    fn read(r: &mut Reader) -> StdResult<Assignment> {
        Ok(Assignment {
            commitment: Binary::from(r.bytes()?),
            output_hash: r.option(|r| r.bytes().map(Binary::from))?,
        })
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

impl Record for Config {
    const NAME: &'static str = "config";

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
    }

    fn read(r: &mut Reader) -> StdResult<Config> {
        Ok(Config {
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
        })
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

impl Record for Job {
    const NAME: &'static str = "job";

    fn write(&self, w: &mut Writer) {
        w.str(self.consumer.as_str());
        w.bytes(&self.model_hash);
        w.bytes(&self.input_hash);
        w.uint(self.redundancy);
        w.uint(self.quorum);
        w.option(self.callback.as_ref(), |w, addr| w.str(addr.as_str()));
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
    }

    fn read(r: &mut Reader) -> StdResult<Job> {
        Ok(Job {
            consumer: r.addr()?,
            model_hash: Binary::from(r.bytes()?),
            input_hash: Binary::from(r.bytes()?),
            redundancy: r.uint()?,
            quorum: r.uint()?,
            callback: r.option(Reader::addr)?,
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
        }
    }

    fn record_round_trip<T: Record + PartialEq + std::fmt::Debug>(record: T) {
        let bytes = record.encode();
        assert_eq!(bytes[0], T::VERSION);
        assert_eq!(T::decode(&bytes).unwrap(), record);
        // Every strict prefix and any trailing byte is refused.
        for len in 0..bytes.len() {
            assert!(T::decode(&bytes[..len]).is_err(), "prefix of {len} bytes");
        }
        assert!(T::decode(&[bytes.as_slice(), &[0]].concat()).is_err());
        let mut other_version = bytes;
        other_version[0] = T::VERSION + 1;
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
                operators: vec![],
                ..job()
            });
        }
    }

    #[test]
    fn job_record_layout_is_compact() {
        // 1 version + 18 consumer + 2 × 33 hashes + 2 k, q + 19 callback + 3 price, fee
        // + 6 heights + 9 operators + 1 status + 34 result + 3 settled height. The JSON layout this
        // replaced (one-letter field names, base64 hashes) took 309 bytes for the same job.
        assert_eq!(job().encode().len(), 162);
    }

    #[test]
    fn unknown_enum_tags_are_corrupt() {
        let mut bytes = config().encode();
        *bytes.last_mut().unwrap() = 1;
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
        });
        record_round_trip(Assignment {
            commitment: Binary::from([1u8; 32]),
            output_hash: None,
        });
        record_round_trip(Assignment {
            commitment: Binary::from([1u8; 32]),
            output_hash: Some(Binary::from([2u8; 32])),
        });
        record_round_trip(StoredInput::Inline(Binary::from(b"\x01\x00input")));
        record_round_trip(StoredInput::Remote("ipfs://x".to_string()));
        record_round_trip(Binary::from(vec![0u8; 70_000]));
        record_round_trip("error: out of gas".to_string());
        record_round_trip(u64::MAX);
        record_round_trip(Uint128::MAX);
        // A commit's assignment record: version, length, 32 bytes, no output hash.
        let commit = Assignment {
            commitment: Binary::from([1u8; 32]),
            output_hash: None,
        };
        assert_eq!(commit.encode().len(), 35);
    }

    #[test]
    fn corrupt_records_are_errors() {
        assert!(StoredInput::decode(&[1]).is_err());
        assert!(StoredInput::decode(&[1, 9, 0]).is_err());
        assert!(StoredInput::decode(&[1, 1, 1, 0xff]).is_err());
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
