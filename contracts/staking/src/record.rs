//! Maps of records stored in the compact `codec` encoding instead of JSON, under exactly the keys a
//! cw-storage-plus `Map` with the same namespace uses (so the storage layout of keys is unchanged).

use std::marker::PhantomData;

use cosmwasm_std::{Order, StdError, StdResult, Storage};
use cw_storage_plus::{Bound, Key, KeyDeserialize, Map, Prefixer, PrimaryKey, RawBound};

use sibyl_codec::{Reader, Writer};

/// A value stored in the `codec` byte encoding.
pub trait Record: Sized {
    /// Names the record in error messages.
    const NAME: &'static str;
    /// Format version, the first byte of every stored record.
    const VERSION: u8 = 1;
    /// Oldest format version still read: records written by an earlier contract version stay
    /// readable after a migration (which cannot rewrite an unbounded number of records).
    const OLDEST_VERSION: u8 = Self::VERSION;

    fn write(&self, writer: &mut Writer);
    fn read(reader: &mut Reader) -> StdResult<Self>;

    /// Reads a record of an older format `version` (`OLDEST_VERSION..VERSION`).
    fn read_older(reader: &mut Reader, _version: u8) -> StdResult<Self> {
        Err(reader.corrupt())
    }

    fn encode(&self) -> Vec<u8> {
        let mut writer = Writer::default();
        writer.u8(Self::VERSION);
        self.write(&mut writer);
        writer.into_bytes()
    }

    fn decode(bytes: &[u8]) -> StdResult<Self> {
        let mut reader = Reader::new(bytes, Self::NAME);
        let version = reader.u8()?;
        let record = if version == Self::VERSION {
            Self::read(&mut reader)?
        } else if (Self::OLDEST_VERSION..Self::VERSION).contains(&version) {
            Self::read_older(&mut reader, version)?
        } else {
            return Err(reader.corrupt());
        };
        reader.finish()?;
        Ok(record)
    }
}

fn not_found<T: Record>() -> StdError {
    StdError::msg(format!("{} not found", T::NAME))
}

/// `bytes` length-prefixed the way cw-storage-plus nests namespaces and key elements.
fn push_length_prefixed(out: &mut Vec<u8>, bytes: &[u8]) {
    // Key elements are addresses, short names and integers, far below 64 KiB.
    let len = u16::try_from(bytes.len()).unwrap_or(u16::MAX);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(bytes);
}

/// The smallest key above every key that starts with `prefix`; `None` when there is none.
fn prefix_end(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < u8::MAX {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

/// A single [`Record`] under a fixed key (the key an `Item` with that name uses).
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
}

pub struct RecordMap<K, T> {
    namespace: &'static str,
    keys: Map<K, ()>,
    record: PhantomData<T>,
}

impl<'a, K: PrimaryKey<'a>, T: Record> RecordMap<K, T> {
    pub const fn new(namespace: &'static str) -> Self {
        RecordMap {
            namespace,
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

    /// The records whose key starts with `prefix`, keyed by the rest of their key.
    pub fn prefix(&self, prefix: K::Prefix) -> RecordPrefix<K::Suffix, T> {
        RecordPrefix::new(self.namespace, &prefix.prefix())
    }

    /// Every record, like `Map::range`.
    pub fn range<'s>(
        &self,
        storage: &'s dyn Storage,
        min: Option<Bound<'a, K>>,
        max: Option<Bound<'a, K>>,
        order: Order,
    ) -> Box<dyn Iterator<Item = StdResult<(K::Output, T)>> + 's>
    where
        K: KeyDeserialize,
        K::Output: 'static,
        T: 's,
    {
        RecordPrefix::<K, T>::new(self.namespace, &[]).range(storage, min, max, order)
    }
}

/// The records of a [`RecordMap`] under one key prefix.
pub struct RecordPrefix<B, T> {
    prefix: Vec<u8>,
    record: PhantomData<(B, T)>,
}

impl<B, T: Record> RecordPrefix<B, T> {
    fn new(namespace: &str, elements: &[Key]) -> Self {
        let mut prefix = Vec::new();
        push_length_prefixed(&mut prefix, namespace.as_bytes());
        for element in elements {
            push_length_prefixed(&mut prefix, element.as_ref());
        }
        RecordPrefix {
            prefix,
            record: PhantomData,
        }
    }

    fn bound(&self, bound: RawBound, is_min: bool) -> Vec<u8> {
        let (key, inclusive) = match bound {
            RawBound::Inclusive(key) => (key, true),
            RawBound::Exclusive(key) => (key, false),
        };
        let mut full = [self.prefix.as_slice(), &key].concat();
        // `[min, max)` is what storage ranges take: an exclusive min and an inclusive max move
        // one key up.
        if inclusive != is_min {
            full.push(0);
        }
        full
    }

    pub fn range<'a, 's>(
        &self,
        storage: &'s dyn Storage,
        min: Option<Bound<'a, B>>,
        max: Option<Bound<'a, B>>,
        order: Order,
    ) -> Box<dyn Iterator<Item = StdResult<(B::Output, T)>> + 's>
    where
        B: PrimaryKey<'a> + KeyDeserialize,
        B::Output: 'static,
        T: 's,
    {
        let start = match min {
            Some(bound) => self.bound(bound.to_raw_bound(), true),
            None => self.prefix.clone(),
        };
        let end = match max {
            Some(bound) => Some(self.bound(bound.to_raw_bound(), false)),
            None => prefix_end(&self.prefix),
        };
        let skip = self.prefix.len();
        Box::new(
            storage
                .range(Some(&start), end.as_deref(), order)
                .map(move |(key, bytes)| Ok((B::from_slice(&key[skip..])?, T::decode(&bytes)?))),
        )
    }
}

#[cfg(test)]
mod tests {
    use cosmwasm_std::testing::MockStorage;
    use cosmwasm_std::Addr;

    use super::*;

    #[derive(Debug, PartialEq)]
    struct Number(u64);

    impl Record for Number {
        const NAME: &'static str = "number";

        fn write(&self, writer: &mut Writer) {
            writer.uint(self.0);
        }

        fn read(reader: &mut Reader) -> StdResult<Number> {
            reader.uint().map(Number)
        }
    }

    const NUMBERS: RecordMap<(&Addr, u64), Number> = RecordMap::new("n");
    const JSON: Map<(&Addr, u64), u64> = Map::new("n");

    #[test]
    fn keys_are_those_of_a_map_and_ranges_match() {
        let mut storage = MockStorage::new();
        let a = Addr::unchecked("a");
        let b = Addr::unchecked("b");
        for (who, id) in [(&a, 1u64), (&a, 2), (&a, u64::MAX), (&b, 0)] {
            NUMBERS.save(&mut storage, (who, id), &Number(id)).unwrap();
            // The same key as a JSON map: same number of entries afterwards.
            assert!(JSON.has(&storage, (who, id)));
        }
        assert_eq!(NUMBERS.load(&storage, (&a, 2)).unwrap(), Number(2));
        assert!(NUMBERS.has(&storage, (&b, 0)));
        assert_eq!(NUMBERS.may_load(&storage, (&b, 1)).unwrap(), None);
        let err = NUMBERS.load(&storage, (&b, 1)).unwrap_err();
        assert!(err.to_string().contains("number not found"), "{err}");

        let of_a: Vec<u64> = NUMBERS
            .prefix(&a)
            .range(
                &storage,
                Some(Bound::exclusive(1u64)),
                None,
                Order::Ascending,
            )
            .map(|item| item.unwrap().0)
            .collect();
        assert_eq!(of_a, [2, u64::MAX]);
        let inclusive: Vec<u64> = NUMBERS
            .prefix(&a)
            .range(
                &storage,
                Some(Bound::inclusive(1u64)),
                Some(Bound::inclusive(2u64)),
                Order::Descending,
            )
            .map(|item| item.unwrap().0)
            .collect();
        assert_eq!(inclusive, [2, 1]);
        let all: Vec<(Addr, u64)> = NUMBERS
            .range(&storage, None, None, Order::Ascending)
            .map(|item| item.unwrap().0)
            .collect();
        assert_eq!(
            all,
            [
                (a.clone(), 1),
                (a.clone(), 2),
                (a.clone(), u64::MAX),
                (b.clone(), 0)
            ]
        );

        NUMBERS.remove(&mut storage, (&a, 1));
        assert!(!NUMBERS.has(&storage, (&a, 1)));
    }

    #[test]
    fn items_use_the_item_key() {
        let mut storage = MockStorage::new();
        let item: RecordItem<Number> = RecordItem::new("it");
        let err = item.load(&storage).unwrap_err();
        assert!(err.to_string().contains("number not found"), "{err}");
        item.save(&mut storage, &Number(9)).unwrap();
        assert_eq!(item.load(&storage).unwrap(), Number(9));
        assert!(storage.get(b"it").is_some());
    }

    #[test]
    fn corrupt_records_are_errors() {
        let mut storage = MockStorage::new();
        let a = Addr::unchecked("a");
        JSON.save(&mut storage, (&a, 1), &7).unwrap();
        let err = NUMBERS.load(&storage, (&a, 1)).unwrap_err();
        assert!(
            err.to_string().contains("corrupt stored number record"),
            "{err}"
        );
    }

    #[test]
    fn prefix_end_skips_trailing_max_bytes() {
        assert_eq!(prefix_end(&[1, 2]), Some(vec![1, 3]));
        assert_eq!(prefix_end(&[1, 0xff]), Some(vec![2]));
        assert_eq!(prefix_end(&[0xff]), None);
    }
}
