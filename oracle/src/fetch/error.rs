//! Errors of the fetcher. A failed fetch fails one job, never the node.

use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("content hash mismatch: expected sha256 {expected}, got {actual}; the source serves different bytes than the job names")]
    HashMismatch { expected: String, actual: String },

    #[error("content is larger than the {limit}-byte limit")]
    TooLarge { limit: u64 },

    #[error("unsupported URI scheme {scheme:?}: use file://, http:// or https://")]
    UnsupportedScheme { scheme: String },

    #[error("{what} not found")]
    NotFound { what: String },

    #[error("fetching {uri} timed out after {after:?}")]
    Timeout { uri: String, after: Duration },

    #[error("I/O error on {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("refused to fetch {uri}: {reason} (the fetch policy allows public addresses only; an operator can allow its own hosts or ranges in [fetch])")]
    Forbidden { uri: String, reason: String },

    #[error("HTTP error fetching {uri}: {detail}")]
    Http { uri: String, detail: String },

    #[error("invalid URI {uri:?}: {reason}")]
    InvalidUri { uri: String, reason: String },

    #[error("invalid fetch settings: {0}")]
    Config(String),

    #[error("{path} is outside the directories allowed for file:// content; add its directory to the fetcher's file roots if it is meant to be served")]
    FileOutsideRoots { path: PathBuf },
}
