//! Monitoring: the node's Prometheus metrics, its health, and the HTTP server that serves
//! `/metrics` and `/healthz`.

mod health;
mod registry;
mod server;

pub use health::{ChainLiveness, HealthProbe, HealthReport, HealthStatus};
pub use registry::{InFlightGuard, JobOutcome, Metrics, TxKind};
pub use server::{MonitoringError, MonitoringServer};
