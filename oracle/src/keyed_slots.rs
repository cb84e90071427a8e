//! A cap on the work one node runs at once per key: downloads per host (so that jobs naming one
//! host, a victim or one slow mirror, cannot turn every node of the operator set into a crowd of
//! connections to it) and jobs per consumer (so that one consumer's jobs cannot take every
//! execution slot and starve everybody else's).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Keys remembered before idle ones are forgotten.
const MAX_REMEMBERED_KEYS: usize = 1024;

/// `per_key` slots for each key.
#[derive(Debug)]
pub struct KeyedSlots {
    per_key: usize,
    keys: Mutex<HashMap<String, Arc<Semaphore>>>,
}

impl KeyedSlots {
    /// `per_key` holders at once for each key (at least one).
    pub fn new(per_key: usize) -> Self {
        KeyedSlots {
            per_key: per_key.max(1),
            keys: Mutex::new(HashMap::new()),
        }
    }

    /// Waits for a slot of `key`; the work holds the returned permit.
    pub async fn acquire(&self, key: &str) -> OwnedSemaphorePermit {
        let semaphore = {
            // A panic while holding the lock leaves the map consistent: every update is one call.
            let mut keys = self.keys.lock().unwrap_or_else(|p| p.into_inner());
            if keys.len() >= MAX_REMEMBERED_KEYS {
                keys.retain(|_, slots| slots.available_permits() < self.per_key);
            }
            keys.entry(key.to_owned())
                .or_insert_with(|| Arc::new(Semaphore::new(self.per_key)))
                .clone()
        };
        semaphore
            .acquire_owned()
            .await
            .expect("the slots' semaphores are never closed")
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn one_key_is_capped_and_others_are_not_held_up() {
        let slots = KeyedSlots::new(2);
        let first = slots.acquire("victim").await;
        let _second = slots.acquire("victim").await;
        let third = tokio::time::timeout(Duration::from_millis(50), slots.acquire("victim")).await;
        assert!(third.is_err(), "a third holder of one key waits");
        let _other = tokio::time::timeout(Duration::from_millis(50), slots.acquire("other"))
            .await
            .expect("another key has slots of its own");
        drop(first);
        let _freed = tokio::time::timeout(Duration::from_millis(50), slots.acquire("victim"))
            .await
            .expect("a freed slot is taken");
    }
}
