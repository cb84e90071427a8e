//! The job database: one redb file, ACID, fsynced on every commit.
//!
//! redb commits with `Durability::Immediate` by default: `commit()` returns only after the data is
//! on disk, so a method that returned `Ok` survives a crash or power loss. All methods are
//! synchronous and short; call them from `tokio::task::spawn_blocking` in latency-critical paths.

use std::path::{Path, PathBuf};

use redb::{
    Database, DatabaseError, ReadableDatabase, ReadableTable, StorageError, Table, TableDefinition,
    WriteTransaction,
};

use super::record::{
    Assignment, Decline, Execution, Failure, JobRecord, JobStage, Settlement, SettlementOutcome,
    Totals, TxRef,
};
use super::StoreError;

/// Version of the table layout and record encoding.
pub const SCHEMA_VERSION: u32 = 2;

/// job id -> JSON `JobRecord`.
const JOBS: TableDefinition<u64, &[u8]> = TableDefinition::new("jobs");
/// Ids of jobs not yet settled: the jobs whose tasks a restart rebuilds.
const ACTIVE: TableDefinition<u64, ()> = TableDefinition::new("active_jobs");
/// Singletons: schema version, block cursor, totals.
const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");

const META_SCHEMA: &str = "schema_version";
const META_CURSOR: &str = "block_cursor";
const META_TOTALS: &str = "totals";

/// The node's persistent memory of jobs, the block cursor and earnings.
pub struct JobStore {
    db: Database,
    path: PathBuf,
}

impl std::fmt::Debug for JobStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JobStore")
            .field("path", &self.path)
            .finish()
    }
}

impl JobStore {
    /// Opens the database at `path`. With `create`, a missing file is created (the node's first
    /// start); without it, a missing file is [`StoreError::NotFound`] so that a wrong path or a
    /// lost disk is noticed instead of silently starting from scratch.
    pub fn open(path: &Path, create: bool) -> Result<Self, StoreError> {
        let exists = path.try_exists().map_err(|source| StoreError::Io {
            path: path.to_owned(),
            source,
        })?;
        if !exists && !create {
            return Err(StoreError::NotFound {
                path: path.to_owned(),
            });
        }
        let opened = if exists {
            Database::open(path)
        } else {
            if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                std::fs::create_dir_all(parent).map_err(|source| StoreError::Io {
                    path: parent.to_owned(),
                    source,
                })?;
            }
            Database::create(path)
        };
        let db = opened.map_err(|err| open_error(path, err))?;
        let store = Self {
            db,
            path: path.to_owned(),
        };
        store.initialise_or_check_schema()?;
        Ok(store)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn initialise_or_check_schema(&self) -> Result<(), StoreError> {
        let txn = self.begin_write()?;
        {
            let mut meta = self.open_table(&txn, META)?;
            let found = meta
                .get(META_SCHEMA)
                .map_err(|err| self.storage_error("reading the schema version", err))?
                .map(|value| decode_u32(value.value()));
            match found {
                None => {
                    meta.insert(META_SCHEMA, SCHEMA_VERSION.to_be_bytes().as_slice())
                        .map_err(|err| self.storage_error("writing the schema version", err))?;
                }
                Some(Some(SCHEMA_VERSION)) => {}
                Some(Some(found)) => {
                    return Err(StoreError::UnsupportedSchema {
                        path: self.path.clone(),
                        found,
                        supported: SCHEMA_VERSION,
                    })
                }
                Some(None) => return Err(self.corrupted("the schema version is not 4 bytes")),
            }
            // Create the other tables up front so read transactions always find them.
            self.open_table(&txn, JOBS)?;
            self.open_table(&txn, ACTIVE)?;
        }
        self.commit(txn)
    }

    /// Records a newly discovered assignment. Returns `false` (and changes nothing) when the job
    /// is already known, so replaying events after a restart is harmless.
    pub fn record_assignment(&self, assignment: &Assignment) -> Result<bool, StoreError> {
        let txn = self.begin_write()?;
        let created = self.insert_assignment(&txn, assignment)?;
        self.commit(txn)?;
        Ok(created)
    }

    /// The last block whose events were fully processed, if any.
    pub fn cursor(&self) -> Result<Option<u64>, StoreError> {
        let txn = self
            .db
            .begin_read()
            .map_err(|err| self.db_error("starting a read", err))?;
        let meta = txn
            .open_table(META)
            .map_err(|err| self.db_error("opening the meta table", err))?;
        let value = meta
            .get(META_CURSOR)
            .map_err(|err| self.storage_error("reading the block cursor", err))?;
        match value {
            None => Ok(None),
            Some(bytes) => decode_u64(bytes.value())
                .map(Some)
                .ok_or_else(|| self.corrupted("the block cursor is not 8 bytes")),
        }
    }

    /// Moves the block cursor forward (or keeps it); moving it back is an error.
    pub fn set_cursor(&self, height: u64) -> Result<(), StoreError> {
        let txn = self.begin_write()?;
        self.write_cursor(&txn, height)?;
        self.commit(txn)
    }

    pub fn job(&self, job_id: u64) -> Result<Option<JobRecord>, StoreError> {
        let txn = self
            .db
            .begin_read()
            .map_err(|err| self.db_error("starting a read", err))?;
        let jobs = txn
            .open_table(JOBS)
            .map_err(|err| self.db_error("opening the jobs table", err))?;
        let value = jobs
            .get(job_id)
            .map_err(|err| self.storage_error("reading a job", err))?;
        value
            .map(|bytes| self.decode_record(job_id, bytes.value()))
            .transpose()
    }

    /// Every job not yet settled, by ascending id: the work to resume after a restart.
    pub fn active_jobs(&self) -> Result<Vec<JobRecord>, StoreError> {
        let txn = self
            .db
            .begin_read()
            .map_err(|err| self.db_error("starting a read", err))?;
        let active = txn
            .open_table(ACTIVE)
            .map_err(|err| self.db_error("opening the active-jobs table", err))?;
        let jobs = txn
            .open_table(JOBS)
            .map_err(|err| self.db_error("opening the jobs table", err))?;
        let mut records = Vec::new();
        let entries = active
            .iter()
            .map_err(|err| self.storage_error("listing active jobs", err))?;
        for entry in entries {
            let (id, _) = entry.map_err(|err| self.storage_error("listing active jobs", err))?;
            let job_id = id.value();
            let bytes = jobs
                .get(job_id)
                .map_err(|err| self.storage_error("reading a job", err))?
                .ok_or_else(|| self.corrupted(format!("active job {job_id} has no record")))?;
            records.push(self.decode_record(job_id, bytes.value())?);
        }
        Ok(records)
    }

    /// Persists the job's output and salt. Must happen (and does fsync) before the commit is
    /// sent. An execution is never replaced: once recorded, a commit made with its salt may be on
    /// chain, so [`StoreError::ExecutionAlreadyRecorded`] tells the caller to reuse it.
    pub fn record_execution(
        &self,
        job_id: u64,
        execution: Execution,
    ) -> Result<JobRecord, StoreError> {
        self.update(job_id, JobStage::Executed, |record| {
            if record.execution.is_some() {
                return Err(StoreError::ExecutionAlreadyRecorded { job_id });
            }
            record.execution = Some(execution);
            Ok(())
        })
    }

    /// The persisted output and salt: what a commit and a reveal must be built from.
    pub fn execution(&self, job_id: u64) -> Result<Execution, StoreError> {
        self.job(job_id)?
            .ok_or(StoreError::UnknownJob { job_id })?
            .execution
            .ok_or(StoreError::MissingExecution { job_id })
    }

    /// Records that the commit transaction was accepted. Fails without a recorded execution.
    pub fn mark_committed(&self, job_id: u64, tx: TxRef) -> Result<JobRecord, StoreError> {
        self.update(job_id, JobStage::Committed, |record| {
            if record.execution.is_none() {
                return Err(StoreError::MissingExecution { job_id });
            }
            if record.commit.is_some() {
                return Err(invalid(record, JobStage::Committed));
            }
            record.commit = Some(tx);
            Ok(())
        })
    }

    /// Records that the reveal transaction was accepted. Fails unless the job was committed.
    pub fn mark_revealed(&self, job_id: u64, tx: TxRef) -> Result<JobRecord, StoreError> {
        self.update(job_id, JobStage::Revealed, |record| {
            if record.commit.is_none() || record.reveal.is_some() {
                return Err(invalid(record, JobStage::Revealed));
            }
            record.reveal = Some(tx);
            Ok(())
        })
    }

    /// Records that the `Decline` transaction was accepted. Fails once the job was committed
    /// (the escrow takes either a commit or a decline).
    pub fn mark_declined(&self, job_id: u64, decline: Decline) -> Result<JobRecord, StoreError> {
        self.update(job_id, JobStage::Declined, |record| {
            if record.commit.is_some() || record.decline.is_some() {
                return Err(invalid(record, JobStage::Declined));
            }
            record.decline = Some(decline);
            Ok(())
        })
    }

    /// Records a failure (the job stays active until its settlement is recorded).
    pub fn mark_failed(&self, job_id: u64, failure: Failure) -> Result<JobRecord, StoreError> {
        self.update_with(job_id, |record| {
            if record.is_settled() {
                return Err(invalid(record, JobStage::Failed));
            }
            record.failure = Some(failure);
            Ok(())
        })
    }

    /// Records the job's settlement and adds the earnings to the totals, in one transaction.
    /// Returns `false` when the job was already settled (nothing is counted twice).
    pub fn mark_settled(
        &self,
        job_id: u64,
        outcome: SettlementOutcome,
        earnings: u128,
    ) -> Result<bool, StoreError> {
        let txn = self.begin_write()?;
        {
            let mut jobs = self.open_table(&txn, JOBS)?;
            let mut record = self.load_record(&jobs, job_id)?;
            if record.is_settled() {
                return Ok(false);
            }
            record.settlement = Some(Settlement { outcome, earnings });
            record.failure = None;
            self.store_record(&mut jobs, &record)?;
            let mut active = self.open_table(&txn, ACTIVE)?;
            active
                .remove(job_id)
                .map_err(|err| self.storage_error("updating active jobs", err))?;
            let mut meta = self.open_table(&txn, META)?;
            let mut totals = self.read_totals(&meta)?;
            totals.earnings =
                totals
                    .earnings
                    .checked_add(earnings)
                    .ok_or(StoreError::EarningsOverflow {
                        total: totals.earnings,
                        amount: earnings,
                    })?;
            totals.count(outcome);
            let encoded = serde_json::to_vec(&totals)
                .map_err(|err| self.corrupted(format!("cannot encode totals: {err}")))?;
            meta.insert(META_TOTALS, encoded.as_slice())
                .map_err(|err| self.storage_error("writing totals", err))?;
        }
        self.commit(txn)?;
        Ok(true)
    }

    /// Earnings and settlement counts so far.
    pub fn totals(&self) -> Result<Totals, StoreError> {
        let txn = self
            .db
            .begin_read()
            .map_err(|err| self.db_error("starting a read", err))?;
        let meta = txn
            .open_table(META)
            .map_err(|err| self.db_error("opening the meta table", err))?;
        let value = meta
            .get(META_TOTALS)
            .map_err(|err| self.storage_error("reading totals", err))?;
        match value {
            None => Ok(Totals::default()),
            Some(bytes) => serde_json::from_slice(bytes.value())
                .map_err(|err| self.corrupted(format!("totals do not decode: {err}"))),
        }
    }

    fn read_totals(&self, meta: &Table<&str, &[u8]>) -> Result<Totals, StoreError> {
        let value = meta
            .get(META_TOTALS)
            .map_err(|err| self.storage_error("reading totals", err))?;
        match value {
            None => Ok(Totals::default()),
            Some(bytes) => serde_json::from_slice(bytes.value())
                .map_err(|err| self.corrupted(format!("totals do not decode: {err}"))),
        }
    }

    /// Applies a progress step (`to`) that clears any failure; `step` checks the transition.
    fn update(
        &self,
        job_id: u64,
        to: JobStage,
        step: impl FnOnce(&mut JobRecord) -> Result<(), StoreError>,
    ) -> Result<JobRecord, StoreError> {
        self.update_with(job_id, |record| {
            if record.is_settled() {
                return Err(invalid(record, to));
            }
            step(record)?;
            record.failure = None;
            Ok(())
        })
    }

    fn update_with(
        &self,
        job_id: u64,
        change: impl FnOnce(&mut JobRecord) -> Result<(), StoreError>,
    ) -> Result<JobRecord, StoreError> {
        let txn = self.begin_write()?;
        let record = {
            let mut jobs = self.open_table(&txn, JOBS)?;
            let mut record = self.load_record(&jobs, job_id)?;
            change(&mut record)?;
            self.store_record(&mut jobs, &record)?;
            record
        };
        self.commit(txn)?;
        Ok(record)
    }

    fn insert_assignment(
        &self,
        txn: &WriteTransaction,
        assignment: &Assignment,
    ) -> Result<bool, StoreError> {
        let mut jobs = self.open_table(txn, JOBS)?;
        let known = jobs
            .get(assignment.job_id)
            .map_err(|err| self.storage_error("reading a job", err))?
            .is_some();
        if known {
            return Ok(false);
        }
        self.store_record(&mut jobs, &JobRecord::new(assignment.clone()))?;
        let mut active = self.open_table(txn, ACTIVE)?;
        active
            .insert(assignment.job_id, ())
            .map_err(|err| self.storage_error("updating active jobs", err))?;
        Ok(true)
    }

    fn write_cursor(&self, txn: &WriteTransaction, height: u64) -> Result<(), StoreError> {
        let mut meta = self.open_table(txn, META)?;
        let current = meta
            .get(META_CURSOR)
            .map_err(|err| self.storage_error("reading the block cursor", err))?
            .map(|bytes| decode_u64(bytes.value()));
        match current {
            Some(None) => return Err(self.corrupted("the block cursor is not 8 bytes")),
            Some(Some(current)) if height < current => {
                return Err(StoreError::CursorRegression {
                    current,
                    requested: height,
                })
            }
            _ => {}
        }
        meta.insert(META_CURSOR, height.to_be_bytes().as_slice())
            .map_err(|err| self.storage_error("writing the block cursor", err))?;
        Ok(())
    }

    fn load_record(&self, jobs: &Table<u64, &[u8]>, job_id: u64) -> Result<JobRecord, StoreError> {
        let value = jobs
            .get(job_id)
            .map_err(|err| self.storage_error("reading a job", err))?
            .ok_or(StoreError::UnknownJob { job_id })?;
        self.decode_record(job_id, value.value())
    }

    fn store_record(
        &self,
        jobs: &mut Table<u64, &[u8]>,
        record: &JobRecord,
    ) -> Result<(), StoreError> {
        let encoded = serde_json::to_vec(record).map_err(|err| {
            self.corrupted(format!("cannot encode job {}: {err}", record.job_id()))
        })?;
        jobs.insert(record.job_id(), encoded.as_slice())
            .map_err(|err| self.storage_error("writing a job", err))?;
        Ok(())
    }

    fn decode_record(&self, job_id: u64, bytes: &[u8]) -> Result<JobRecord, StoreError> {
        serde_json::from_slice(bytes)
            .map_err(|err| self.corrupted(format!("job {job_id} does not decode: {err}")))
    }

    fn begin_write(&self) -> Result<WriteTransaction, StoreError> {
        self.db
            .begin_write()
            .map_err(|err| self.db_error("starting a write", err))
    }

    fn open_table<'txn, K: redb::Key + 'static, V: redb::Value + 'static>(
        &self,
        txn: &'txn WriteTransaction,
        table: TableDefinition<K, V>,
    ) -> Result<Table<'txn, K, V>, StoreError> {
        txn.open_table(table)
            .map_err(|err| self.db_error("opening a table", err))
    }

    fn commit(&self, txn: WriteTransaction) -> Result<(), StoreError> {
        txn.commit().map_err(|err| self.db_error("committing", err))
    }

    fn corrupted(&self, detail: impl Into<String>) -> StoreError {
        StoreError::Corrupted {
            path: self.path.clone(),
            detail: detail.into(),
        }
    }

    fn storage_error(&self, operation: &'static str, err: StorageError) -> StoreError {
        match err {
            StorageError::Corrupted(detail) => self.corrupted(detail),
            other => self.db_error(operation, other),
        }
    }

    fn db_error(&self, operation: &'static str, err: impl std::fmt::Display) -> StoreError {
        StoreError::Database {
            path: self.path.clone(),
            operation,
            detail: err.to_string(),
        }
    }
}

fn invalid(record: &JobRecord, to: JobStage) -> StoreError {
    StoreError::InvalidTransition {
        job_id: record.job_id(),
        from: record.stage(),
        to,
    }
}

/// Classifies a failure to open an existing or new database file.
fn open_error(path: &Path, err: DatabaseError) -> StoreError {
    let path = path.to_owned();
    match err {
        DatabaseError::DatabaseAlreadyOpen => StoreError::AlreadyOpen { path },
        DatabaseError::Storage(StorageError::Io(source))
            if !matches!(
                source.kind(),
                std::io::ErrorKind::InvalidData | std::io::ErrorKind::UnexpectedEof
            ) =>
        {
            StoreError::Io { path, source }
        }
        other => StoreError::Corrupted {
            path,
            detail: other.to_string(),
        },
    }
}

fn decode_u32(bytes: &[u8]) -> Option<u32> {
    bytes.try_into().ok().map(u32::from_be_bytes)
}

fn decode_u64(bytes: &[u8]) -> Option<u64> {
    bytes.try_into().ok().map(u64::from_be_bytes)
}
