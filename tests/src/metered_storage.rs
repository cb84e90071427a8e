//! Contract storage that counts what wasmd would charge for it.
//!
//! The VM's `MockStorage` reports only token amounts of gas; a chain charges every read, write and
//! iterator step through the Cosmos SDK gas meter. `MeteredStorage` keeps the data in memory,
//! records each operation in a `StorageMeter` shared by every contract of a `Chain` (so reads done
//! by a cross-contract query are charged to the transaction that made it, as on a chain) and reports
//! the SDK cost back to the VM as externally used gas, like wasmvm does.

use std::collections::{BTreeMap, HashMap};
use std::ops::Bound;
use std::sync::{Arc, Mutex, PoisonError};

use cosmwasm_std::{Order, Record};
use cosmwasm_vm::{BackendError, BackendResult, GasInfo, Storage};

use crate::pricing::{
    vm_gas_from_sdk_gas, CONTRACT_KEY_PREFIX_LEN, DELETE_COST, ITER_NEXT_COST_FLAT, READ_COST_FLAT,
    READ_COST_PER_BYTE, WRITE_COST_FLAT, WRITE_COST_PER_BYTE,
};

/// Storage operations and the SDK gas they cost.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StorageOps {
    pub reads: u64,
    pub writes: u64,
    pub deletes: u64,
    /// Iterators opened plus records they returned (each is one SDK iterator step).
    pub iterator_steps: u64,
    /// Bytes read, written or iterated, keys counted with wasmd's contract prefix.
    pub bytes: u64,
    pub sdk_gas: u64,
}

impl StorageOps {
    /// What happened between `earlier` and `self`.
    pub fn since(&self, earlier: &StorageOps) -> StorageOps {
        StorageOps {
            reads: self.reads - earlier.reads,
            writes: self.writes - earlier.writes,
            deletes: self.deletes - earlier.deletes,
            iterator_steps: self.iterator_steps - earlier.iterator_steps,
            bytes: self.bytes - earlier.bytes,
            sdk_gas: self.sdk_gas - earlier.sdk_gas,
        }
    }

    pub fn add(&mut self, other: &StorageOps) {
        self.reads += other.reads;
        self.writes += other.writes;
        self.deletes += other.deletes;
        self.iterator_steps += other.iterator_steps;
        self.bytes += other.bytes;
        self.sdk_gas += other.sdk_gas;
    }
}

/// Counter shared by all storages of one chain.
#[derive(Clone, Debug, Default)]
pub struct StorageMeter(Arc<Mutex<StorageOps>>);

impl StorageMeter {
    pub fn snapshot(&self) -> StorageOps {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn record(&self, change: impl FnOnce(&mut StorageOps)) {
        change(&mut self.0.lock().unwrap_or_else(PoisonError::into_inner));
    }

    fn read(&self, key_len: usize, value_len: usize) -> GasInfo {
        let bytes = prefixed(key_len) + value_len as u64;
        let gas = READ_COST_FLAT + READ_COST_PER_BYTE * bytes;
        self.record(|ops| {
            ops.reads += 1;
            ops.bytes += bytes;
            ops.sdk_gas += gas;
        });
        GasInfo::with_externally_used(vm_gas_from_sdk_gas(gas))
    }

    fn write(&self, key_len: usize, value_len: usize) -> GasInfo {
        let bytes = prefixed(key_len) + value_len as u64;
        let gas = WRITE_COST_FLAT + WRITE_COST_PER_BYTE * bytes;
        self.record(|ops| {
            ops.writes += 1;
            ops.bytes += bytes;
            ops.sdk_gas += gas;
        });
        GasInfo::with_externally_used(vm_gas_from_sdk_gas(gas))
    }

    fn delete(&self) -> GasInfo {
        self.record(|ops| {
            ops.deletes += 1;
            ops.sdk_gas += DELETE_COST;
        });
        GasInfo::with_externally_used(vm_gas_from_sdk_gas(DELETE_COST))
    }

    /// One SDK iterator step: a flat fee plus the bytes of the record the iterator stands on.
    fn iterator_step(&self, record: Option<&Record>) -> GasInfo {
        let bytes = record.map_or(0, |(key, value)| prefixed(key.len()) + value.len() as u64);
        let gas = ITER_NEXT_COST_FLAT + READ_COST_PER_BYTE * bytes;
        self.record(|ops| {
            ops.iterator_steps += 1;
            ops.bytes += bytes;
            ops.sdk_gas += gas;
        });
        GasInfo::with_externally_used(vm_gas_from_sdk_gas(gas))
    }
}

fn prefixed(key_len: usize) -> u64 {
    CONTRACT_KEY_PREFIX_LEN + key_len as u64
}

/// A contract's stored data, kept to undo a failed transaction.
#[derive(Clone, Debug)]
pub struct StorageSnapshot(BTreeMap<Vec<u8>, Vec<u8>>);

/// One contract's key-value store.
#[derive(Debug)]
pub struct MeteredStorage {
    data: BTreeMap<Vec<u8>, Vec<u8>>,
    /// Open iterators: the records of the range, and how many have been returned.
    iterators: HashMap<u32, (Vec<Record>, usize)>,
    next_iterator_id: u32,
    meter: StorageMeter,
}

impl MeteredStorage {
    pub fn new(meter: StorageMeter) -> Self {
        MeteredStorage {
            data: BTreeMap::new(),
            iterators: HashMap::new(),
            next_iterator_id: 1,
            meter,
        }
    }

    /// Number of keys stored, for reports about the state a benchmark ran in.
    pub fn len(&self) -> usize {
        self.data.len()
    }

    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    pub fn snapshot(&self) -> StorageSnapshot {
        StorageSnapshot(self.data.clone())
    }

    /// Puts back the data of `snapshot`; open iterators become invalid, as at the end of a call.
    pub fn restore(&mut self, snapshot: StorageSnapshot) {
        self.data = snapshot.0;
        self.iterators.clear();
    }
}

impl Storage for MeteredStorage {
    fn get(&self, key: &[u8]) -> BackendResult<Option<Vec<u8>>> {
        let value = self.data.get(key).cloned();
        let gas = self
            .meter
            .read(key.len(), value.as_ref().map_or(0, Vec::len));
        (Ok(value), gas)
    }

    fn scan(
        &mut self,
        start: Option<&[u8]>,
        end: Option<&[u8]>,
        order: Order,
    ) -> BackendResult<u32> {
        let lower = start.map_or(Bound::Unbounded, |s| Bound::Included(s.to_vec()));
        let upper = end.map_or(Bound::Unbounded, |e| Bound::Excluded(e.to_vec()));
        let empty_range = matches!((start, end), (Some(s), Some(e)) if s >= e);
        let records: Vec<Record> = if empty_range {
            Vec::new()
        } else {
            let range = self.data.range((lower, upper));
            let clone = |(k, v): (&Vec<u8>, &Vec<u8>)| (k.clone(), v.clone());
            match order {
                Order::Ascending => range.map(clone).collect(),
                Order::Descending => range.rev().map(clone).collect(),
            }
        };
        // Opening an SDK iterator positions it on the first record and charges for it.
        let gas = self.meter.iterator_step(records.first());
        let id = self.next_iterator_id;
        let Some(next_id) = id.checked_add(1) else {
            return (Err(BackendError::unknown("too many iterators")), gas);
        };
        self.next_iterator_id = next_id;
        self.iterators.insert(id, (records, 0));
        (Ok(id), gas)
    }

    fn next(&mut self, iterator_id: u32) -> BackendResult<Option<Record>> {
        let Some((records, position)) = self.iterators.get_mut(&iterator_id) else {
            return (
                Err(BackendError::iterator_does_not_exist(iterator_id)),
                GasInfo::free(),
            );
        };
        let Some(record) = records.get(*position).cloned() else {
            // wasmvm returns "no more records" without moving the SDK iterator: no charge.
            return (Ok(None), GasInfo::free());
        };
        *position += 1;
        let gas = self.meter.iterator_step(Some(&record));
        (Ok(Some(record)), gas)
    }

    fn set(&mut self, key: &[u8], value: &[u8]) -> BackendResult<()> {
        let gas = self.meter.write(key.len(), value.len());
        self.data.insert(key.to_vec(), value.to_vec());
        (Ok(()), gas)
    }

    fn remove(&mut self, key: &[u8]) -> BackendResult<()> {
        let gas = self.meter.delete();
        self.data.remove(key);
        (Ok(()), gas)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pricing::COSMWASM_GAS_PER_SDK_GAS;

    fn storage() -> (MeteredStorage, StorageMeter) {
        let meter = StorageMeter::default();
        (MeteredStorage::new(meter.clone()), meter)
    }

    #[test]
    fn reads_are_charged_with_prefixed_key_and_value_bytes() {
        let (mut store, meter) = storage();
        store.set(b"key", b"value").0.unwrap();
        let before = meter.snapshot();
        let (value, gas) = store.get(b"key");
        assert_eq!(value.unwrap(), Some(b"value".to_vec()));
        let ops = meter.snapshot().since(&before);
        let expected = READ_COST_FLAT + READ_COST_PER_BYTE * (33 + 3 + 5);
        assert_eq!(ops.reads, 1);
        assert_eq!(ops.sdk_gas, expected);
        assert_eq!(gas.externally_used, expected * COSMWASM_GAS_PER_SDK_GAS);
    }

    #[test]
    fn a_missing_key_costs_the_flat_read_and_its_key() {
        let (store, meter) = storage();
        assert_eq!(store.get(b"nope").0.unwrap(), None);
        assert_eq!(
            meter.snapshot().sdk_gas,
            READ_COST_FLAT + READ_COST_PER_BYTE * 37
        );
    }

    #[test]
    fn writes_and_deletes_are_charged_as_the_sdk_does() {
        let (mut store, meter) = storage();
        store.set(b"k", b"vv").0.unwrap();
        assert_eq!(
            meter.snapshot().sdk_gas,
            WRITE_COST_FLAT + WRITE_COST_PER_BYTE * 36
        );
        let before = meter.snapshot();
        store.remove(b"k").0.unwrap();
        let ops = meter.snapshot().since(&before);
        assert_eq!((ops.deletes, ops.sdk_gas), (1, DELETE_COST));
        assert!(store.is_empty());
    }

    #[test]
    fn iteration_respects_bounds_and_order_and_charges_each_step() {
        let (mut store, meter) = storage();
        for key in [b"a", b"b", b"c", b"d"] {
            store.set(key, b"1").0.unwrap();
        }
        let before = meter.snapshot();
        let id = store
            .scan(
                Some(b"b".as_slice()),
                Some(b"d".as_slice()),
                Order::Descending,
            )
            .0
            .unwrap();
        assert_eq!(store.next(id).0.unwrap().unwrap().0, b"c".to_vec());
        assert_eq!(store.next(id).0.unwrap().unwrap().0, b"b".to_vec());
        assert_eq!(store.next(id).0.unwrap(), None);
        let ops = meter.snapshot().since(&before);
        // open (on "c") + two records; the exhausted call is free.
        assert_eq!(ops.iterator_steps, 3);
        assert_eq!(
            ops.sdk_gas,
            3 * (ITER_NEXT_COST_FLAT + READ_COST_PER_BYTE * 35)
        );
    }

    #[test]
    fn restoring_a_snapshot_undoes_later_writes() {
        let (mut store, _) = storage();
        store.set(b"a", b"1").0.unwrap();
        let snapshot = store.snapshot();
        store.set(b"a", b"2").0.unwrap();
        store.set(b"b", b"3").0.unwrap();
        store.restore(snapshot);
        assert_eq!(store.get(b"a").0.unwrap(), Some(b"1".to_vec()));
        assert_eq!(store.len(), 1);
    }

    #[test]
    fn an_inverted_range_is_empty_and_unknown_iterators_fail() {
        let (mut store, _) = storage();
        store.set(b"a", b"1").0.unwrap();
        let id = store
            .scan(
                Some(b"z".as_slice()),
                Some(b"a".as_slice()),
                Order::Ascending,
            )
            .0
            .unwrap();
        assert_eq!(store.next(id).0.unwrap(), None);
        assert!(store.next(id + 1).0.is_err());
    }
}
