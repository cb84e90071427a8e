//! Content-addressed fetching of models and job inputs: a local store of files named by SHA-256,
//! and `file://` / `http(s)://` sources with size limits and timeouts. Content is verified against
//! its expected hash before it is stored or returned.

mod content_store;
mod error;
mod fetcher;

pub use content_store::{verify, ContentStore};
pub use error::FetchError;
pub use fetcher::{FetchConfig, Fetched, Fetcher, Origin};
