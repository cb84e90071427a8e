//! The local content store: a directory of files named by the lowercase hex SHA-256 of their
//! contents. Files are written atomically (temporary file, fsync, rename) and re-verified on read.

use std::path::{Path, PathBuf};

use rand_core::{OsRng, RngCore};
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;

use super::FetchError;

#[derive(Debug, Clone)]
pub struct ContentStore {
    root: PathBuf,
}

impl ContentStore {
    /// Opens (creating it if needed) the content directory `root`.
    pub async fn open(root: impl Into<PathBuf>) -> Result<Self, FetchError> {
        let root = root.into();
        tokio::fs::create_dir_all(&root)
            .await
            .map_err(|source| io_error(&root, source))?;
        Ok(Self { root })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Where the content with this hash lives (whether or not it is present).
    pub fn path_of(&self, hash: &[u8; 32]) -> PathBuf {
        self.root.join(hex::encode(hash))
    }

    /// The content with this hash, if present and intact. A file whose bytes no longer match its
    /// name (disk fault, manual edit) is removed and reported as absent so it gets fetched again.
    pub async fn get(&self, hash: &[u8; 32]) -> Result<Option<Vec<u8>>, FetchError> {
        let path = self.path_of(hash);
        let bytes = match tokio::fs::read(&path).await {
            Ok(bytes) => bytes,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(err) => return Err(io_error(&path, err)),
        };
        let actual: [u8; 32] = Sha256::digest(&bytes).into();
        if &actual != hash {
            tracing::warn!(
                path = %path.display(),
                actual = %hex::encode(actual),
                "content store file does not match its hash; removing it"
            );
            tokio::fs::remove_file(&path)
                .await
                .map_err(|err| io_error(&path, err))?;
            return Ok(None);
        }
        Ok(Some(bytes))
    }

    /// Stores `bytes` under their SHA-256 and returns it (for operators pre-loading models).
    pub async fn put(&self, bytes: &[u8]) -> Result<[u8; 32], FetchError> {
        let hash: [u8; 32] = Sha256::digest(bytes).into();
        self.write(&hash, bytes).await?;
        Ok(hash)
    }

    /// Stores `bytes` only if they hash to `expected`.
    pub async fn put_verified(&self, expected: &[u8; 32], bytes: &[u8]) -> Result<(), FetchError> {
        verify(expected, bytes)?;
        self.write(expected, bytes).await
    }

    async fn write(&self, hash: &[u8; 32], bytes: &[u8]) -> Result<(), FetchError> {
        let path = self.path_of(hash);
        // A random suffix keeps concurrent writers of the same content apart.
        let temporary = self.root.join(format!(
            ".{}.{:016x}.tmp",
            hex::encode(hash),
            OsRng.next_u64()
        ));
        let result = async {
            let mut file = tokio::fs::File::create(&temporary)
                .await
                .map_err(|err| io_error(&temporary, err))?;
            file.write_all(bytes)
                .await
                .map_err(|err| io_error(&temporary, err))?;
            file.sync_all()
                .await
                .map_err(|err| io_error(&temporary, err))?;
            tokio::fs::rename(&temporary, &path)
                .await
                .map_err(|err| io_error(&path, err))
        }
        .await;
        if result.is_err() {
            // Best effort: the error worth reporting is `result`.
            let _ = tokio::fs::remove_file(&temporary).await;
        }
        result
    }
}

/// Checks that `bytes` hash to `expected`.
pub fn verify(expected: &[u8; 32], bytes: &[u8]) -> Result<(), FetchError> {
    let actual: [u8; 32] = Sha256::digest(bytes).into();
    if &actual == expected {
        Ok(())
    } else {
        Err(FetchError::HashMismatch {
            expected: hex::encode(expected),
            actual: hex::encode(actual),
        })
    }
}

fn io_error(path: &Path, source: std::io::Error) -> FetchError {
    FetchError::Io {
        path: path.to_owned(),
        source,
    }
}
