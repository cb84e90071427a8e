//! Fetching a job's model and input through the fetch module, with the node's limits, and a small
//! in-memory cache of verified model files (every job of a model needs the same bytes).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use crate::config::FetchConfig;
use crate::fetch::{self, ContentStore, FetchError, Fetcher};

/// Most model files kept in memory; the cache is cleared when full.
const MAX_CACHED_MODELS: usize = 8;

/// How long the TCP/TLS connection of a download may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Model and input fetching for one node.
pub struct ContentFetcher {
    fetcher: Fetcher,
    models: Mutex<HashMap<[u8; 32], Arc<Vec<u8>>>>,
}

impl ContentFetcher {
    /// A fetcher whose content store is `store` (a directory, created if missing).
    pub async fn new(store: ContentStore, config: &FetchConfig) -> Result<Self, FetchError> {
        let fetcher = Fetcher::new(
            store,
            fetch::FetchConfig {
                max_bytes: config.max_model_bytes,
                timeout: config.http_timeout,
                connect_timeout: CONNECT_TIMEOUT,
                file_roots: config.file_roots.clone(),
                addresses: config
                    .address_policy()
                    .map_err(|error| FetchError::Config(error.to_string()))?,
                max_per_host: config.max_fetches_per_host as usize,
                max_per_host_per_minute: config.max_fetches_per_host_per_minute as usize,
            },
        )?;
        Ok(ContentFetcher {
            fetcher,
            models: Mutex::new(HashMap::new()),
        })
    }

    /// The model file with sha256 `hash`, from memory, the content store or `uri`.
    pub async fn model(
        &self,
        hash: &[u8; 32],
        uri: &str,
        max_bytes: u64,
    ) -> Result<Arc<Vec<u8>>, FetchError> {
        if let Some(bytes) = self.cached_models().get(hash) {
            return Ok(bytes.clone());
        }
        let fetched = self
            .fetcher
            .fetch_with_limit(hash, Some(uri), max_bytes)
            .await?;
        let bytes = Arc::new(fetched.bytes);
        let mut models = self.cached_models();
        if models.len() >= MAX_CACHED_MODELS {
            models.clear();
        }
        models.insert(*hash, bytes.clone());
        Ok(bytes)
    }

    /// A remote input with sha256 `hash`.
    pub async fn input(
        &self,
        hash: &[u8; 32],
        uri: &str,
        max_bytes: u64,
    ) -> Result<Vec<u8>, FetchError> {
        Ok(self
            .fetcher
            .fetch_with_limit(hash, Some(uri), max_bytes)
            .await?
            .bytes)
    }

    /// Checks inline bytes against their hash and the size limit.
    pub fn verify_inline(bytes: &[u8], hash: &[u8; 32], max_bytes: u64) -> Result<(), FetchError> {
        if u64::try_from(bytes.len()).map_or(true, |len| len > max_bytes) {
            return Err(FetchError::TooLarge { limit: max_bytes });
        }
        fetch::verify(hash, bytes)
    }

    fn cached_models(&self) -> MutexGuard<'_, HashMap<[u8; 32], Arc<Vec<u8>>>> {
        // Inserts are single operations: a poisoned map is still consistent.
        self.models.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::{Digest, Sha256};

    #[test]
    fn inline_inputs_are_checked_for_size_and_hash() {
        let bytes = b"input";
        let hash: [u8; 32] = Sha256::digest(bytes).into();
        ContentFetcher::verify_inline(bytes, &hash, 5).unwrap();
        assert!(matches!(
            ContentFetcher::verify_inline(bytes, &hash, 4),
            Err(FetchError::TooLarge { limit: 4 })
        ));
        let other: [u8; 32] = Sha256::digest(b"other").into();
        assert!(matches!(
            ContentFetcher::verify_inline(bytes, &other, 5),
            Err(FetchError::HashMismatch { .. })
        ));
    }
}
