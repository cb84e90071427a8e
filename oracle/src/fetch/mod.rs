//! Content-addressed fetching of models and job inputs: a local store of files named by SHA-256,
//! and `file://` / `http(s)://` sources with size limits, timeouts and a policy of which network
//! addresses a job's URI may reach. Content is verified against its expected hash before it is
//! stored or returned.

mod address_policy;
mod content_store;
mod error;
mod fetcher;
mod http_client;
mod recent_fetches;

pub use address_policy::{AddressPolicy, Refusal};
pub use content_store::{verify, ContentStore};
pub use error::FetchError;
pub use fetcher::{FetchConfig, Fetched, Fetcher, Origin};
