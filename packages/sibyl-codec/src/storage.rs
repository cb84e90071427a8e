//! [`Record`]s in contract storage, under exactly the keys a cw-storage-plus `Item` or `Map` with
//! the same name uses (so the key layout is that of the JSON values they replaced).

use std::marker::PhantomData;

use cosmwasm_std::storage_keys::to_length_prefixed_nested;
use cosmwasm_std::{Order, StdError, StdResult, Storage};
use cw_storage_plus::{range_with_prefix, Bound, Key, KeyDeserialize, Map, Prefixer, PrimaryKey};

use crate::Record;

/// Takes the name rather than the record type, so the wasm holds one copy for every record type.
fn not_found(record: &str) -> StdError {
    StdError::msg(format!("{record} not found"))
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
            .ok_or_else(|| not_found(T::NAME))?;
        T::decode(&bytes)
    }

    pub fn may_load(&self, storage: &dyn Storage) -> StdResult<Option<T>> {
        storage
            .get(self.key.as_bytes())
            .map(|bytes| T::decode(&bytes))
            .transpose()
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

/// [`Record`]s under the keys a cw-storage-plus `Map` with this namespace uses.
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
        self.may_load(storage, key)?
            .ok_or_else(|| not_found(T::NAME))
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
    ) -> impl Iterator<Item = StdResult<(K::Output, T)>> + 's
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
        let mut parts = vec![namespace.as_bytes()];
        parts.extend(elements.iter().map(Key::as_ref));
        RecordPrefix {
            prefix: to_length_prefixed_nested(&parts),
            record: PhantomData,
        }
    }

    /// The records from `min` to `max`, like `Prefix::range` (the same storage range).
    pub fn range<'a, 's>(
        &self,
        storage: &'s dyn Storage,
        min: Option<Bound<'a, B>>,
        max: Option<Bound<'a, B>>,
        order: Order,
    ) -> impl Iterator<Item = StdResult<(B::Output, T)>> + 's
    where
        B: PrimaryKey<'a> + KeyDeserialize,
        B::Output: 'static,
        T: 's,
    {
        let min = min.as_ref().map(Bound::to_raw_bound);
        let max = max.as_ref().map(Bound::to_raw_bound);
        range_with_prefix(storage, &self.prefix, min, max, order)
            .map(|(key, bytes)| Ok((B::from_vec(key)?, T::decode(&bytes)?)))
    }
}

#[cfg(test)]
mod tests {
    use cosmwasm_std::testing::MockStorage;
    use cosmwasm_std::Addr;

    use super::*;
    use crate::{Reader, Writer};

    #[derive(Debug, PartialEq)]
    struct Number(u64);

    impl Record for Number {
        const NAME: &'static str = "number";

        fn write(&self, writer: &mut Writer) {
            writer.uint(self.0);
        }

        fn read(reader: &mut Reader, _version: u8) -> StdResult<Number> {
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
    fn byte_keys_page_without_the_next_namespace() {
        let mut storage = MockStorage::new();
        let hashes: RecordMap<&[u8], Number> = RecordMap::new("m");
        for byte in [3u8, 1, 2, 0xff] {
            hashes
                .save(&mut storage, &[byte; 32], &Number(byte.into()))
                .unwrap();
        }
        // A neighbouring namespace ("n" follows "m") must not leak into the range.
        NUMBERS
            .save(&mut storage, (&Addr::unchecked("a"), 0), &Number(0))
            .unwrap();
        let page = |after: Option<&[u8]>, limit: usize| -> Vec<u8> {
            hashes
                .range(
                    &storage,
                    after.map(Bound::exclusive),
                    None,
                    Order::Ascending,
                )
                .take(limit)
                .map(|item| {
                    let (hash, number) = item.unwrap();
                    assert_eq!(number, Number(hash[0].into()));
                    hash[0]
                })
                .collect()
        };
        assert_eq!(page(None, 10), [1, 2, 3, 0xff]);
        assert_eq!(page(None, 2), [1, 2]);
        assert_eq!(page(Some(&[2u8; 32]), 10), [3, 0xff]);
        assert_eq!(page(Some(&[0xffu8; 32]), 10), Vec::<u8>::new());
    }

    #[test]
    fn items_use_the_item_key() {
        let mut storage = MockStorage::new();
        let item: RecordItem<Number> = RecordItem::new("it");
        let err = item.load(&storage).unwrap_err();
        assert!(err.to_string().contains("number not found"), "{err}");
        item.save(&mut storage, &Number(9)).unwrap();
        assert_eq!(item.load(&storage).unwrap(), Number(9));
        assert_eq!(storage.get(b"it").unwrap(), Number(9).encode());
    }

    #[test]
    fn update_saves_what_the_action_returns() {
        let mut storage = MockStorage::new();
        let item: RecordItem<Number> = RecordItem::new("it");
        let add = |Number(n)| -> StdResult<Number> { Ok(Number(n + 5)) };
        assert!(item.update(&mut storage, add).is_err());
        item.save(&mut storage, &Number(1)).unwrap();
        assert_eq!(item.update(&mut storage, add).unwrap(), Number(6));
        assert_eq!(item.load(&storage).unwrap(), Number(6));
        let refuse = |_| -> StdResult<Number> { Err(StdError::msg("no")) };
        assert!(item.update(&mut storage, refuse).is_err());
        assert_eq!(item.load(&storage).unwrap(), Number(6));
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
}
