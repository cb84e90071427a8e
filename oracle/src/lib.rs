//! sibyl-oracle (work in progress).

pub mod fetch;
pub mod keys;
pub mod metrics;
pub mod store;
