//! The node's view of its job database: the store module's `JobStore`, with its (fsyncing) calls
//! moved off the async worker threads.

use std::path::Path;
use std::sync::Arc;

use crate::store::{JobStore, StoreError};

use super::DatabaseMode;

/// Shared handle to the job database.
#[derive(Clone, Debug)]
pub struct Records {
    store: Arc<JobStore>,
}

impl Records {
    /// Opens the database at `path`; with [`DatabaseMode::MustExist`] a missing file is an error.
    pub fn open(path: &Path, mode: DatabaseMode) -> Result<Self, StoreError> {
        let store = JobStore::open(path, mode == DatabaseMode::CreateIfMissing)?;
        Ok(Records {
            store: Arc::new(store),
        })
    }

    /// The database itself, for synchronous reads (tests, reports).
    pub fn store(&self) -> &JobStore {
        &self.store
    }

    /// Runs `call` on a blocking thread: writes fsync, which must not stall the async workers.
    pub async fn run<T, F>(&self, call: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&JobStore) -> Result<T, StoreError> + Send + 'static,
    {
        let store = self.store.clone();
        tokio::task::spawn_blocking(move || call(&store))
            .await
            .map_err(|e| StoreError::Database {
                path: self.store.path().to_path_buf(),
                operation: "a database task",
                detail: e.to_string(),
            })?
    }
}
