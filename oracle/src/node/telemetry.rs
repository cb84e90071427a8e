//! The node's side of monitoring: what each job event does to the metrics module's registry and
//! health probe, plus the inference engine's busy time (for the demo's summary).

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::metrics::{
    ChainLiveness, HealthProbe, InFlightGuard, JobOutcome, Metrics, MonitoringServer, TxKind,
};
use crate::store::SettlementOutcome;

/// Metrics handle shared by the node's tasks.
#[derive(Clone)]
pub struct NodeMetrics {
    metrics: Arc<Metrics>,
    liveness: Arc<ChainLiveness>,
    executions: Arc<AtomicU64>,
    execution_nanos: Arc<AtomicU64>,
}

impl NodeMetrics {
    /// Fresh metrics; `/healthz` turns unhealthy when no block arrived for `max_block_age`.
    pub fn new(max_block_age: Duration) -> Self {
        NodeMetrics {
            metrics: Arc::new(Metrics::new()),
            liveness: Arc::new(ChainLiveness::new(max_block_age)),
            executions: Arc::default(),
            execution_nanos: Arc::default(),
        }
    }

    /// The registry (e.g. to encode it).
    pub fn registry(&self) -> &Metrics {
        &self.metrics
    }

    /// Binds `address` now (so a taken port fails the start) and returns the serving future.
    pub async fn serve(
        &self,
        address: SocketAddr,
        cancel: CancellationToken,
    ) -> Result<impl std::future::Future<Output = Result<(), String>> + Send + 'static, String>
    {
        let server = MonitoringServer::bind(address)
            .await
            .map_err(|e| e.to_string())?;
        let metrics = self.metrics.clone();
        let probe: HealthProbe = self.liveness.probe();
        Ok(async move {
            server
                .run(metrics, probe, cancel)
                .await
                .map_err(|e| e.to_string())
        })
    }

    pub fn inference_device(&self, device: &str) {
        self.metrics.set_inference_device(device);
    }

    pub fn block_height(&self, height: u64) {
        self.metrics.set_chain_height(height);
        self.liveness.observe_block(height);
    }

    /// The chain cannot be read; `/healthz` says why until the next block.
    pub fn chain_unavailable(&self, reason: String) {
        self.liveness.observe_outage(reason);
    }

    pub fn job_started(&self) -> InFlightGuard {
        self.metrics.job_in_flight()
    }

    pub fn transaction(&self, kind: TxKind, succeeded: bool) {
        if succeeded {
            self.metrics.tx_sent(kind);
        } else {
            self.metrics.tx_failed(kind);
        }
    }

    pub fn observe_execution(&self, backend: &str, elapsed: Duration) {
        self.metrics.observe_execution(backend, elapsed);
        let nanos = u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX);
        self.executions.fetch_add(1, Ordering::Relaxed);
        self.execution_nanos.fetch_add(nanos, Ordering::Relaxed);
    }

    /// Inferences so far and the engine's busy time over them (for benchmarks and the demo).
    pub fn execution_totals(&self) -> (u64, Duration) {
        (
            self.executions.load(Ordering::Relaxed),
            Duration::from_nanos(self.execution_nanos.load(Ordering::Relaxed)),
        )
    }

    /// A job step failed for `reason` (a [`JobFailure`](super::failure::JobFailure) label).
    pub fn job_failed(&self, reason: &str) {
        self.metrics.job_step_failed(reason);
    }

    /// How many job steps failed for `reason` so far.
    pub fn job_failures(&self, reason: &str) -> u64 {
        self.metrics.job_step_failures(reason)
    }

    pub fn job_settled(&self, outcome: SettlementOutcome, earned: u128) {
        match outcome {
            SettlementOutcome::Agreed => self.metrics.job_finished(JobOutcome::SettledAgreed),
            SettlementOutcome::Dissent => {
                self.metrics.job_finished(JobOutcome::SettledDissent);
                self.metrics.slashed();
            }
            SettlementOutcome::Missed => {
                self.metrics.job_finished(JobOutcome::SettledMissed);
                self.metrics.slashed();
            }
            SettlementOutcome::Refunded => self.metrics.job_finished(JobOutcome::Refunded),
            SettlementOutcome::Cancelled => self.metrics.job_finished(JobOutcome::Cancelled),
            SettlementOutcome::PaidWithoutQuorum => {
                self.metrics.job_finished(JobOutcome::PaidWithoutQuorum)
            }
            SettlementOutcome::Declined => self.metrics.job_finished(JobOutcome::Declined),
        }
        self.metrics.add_earnings(earned);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_are_counted_and_exported_by_reason() {
        let metrics = NodeMetrics::new(Duration::from_secs(60));
        metrics.job_failed("hash_mismatch");
        metrics.job_failed("hash_mismatch");
        metrics.job_failed("invalid_model");
        assert_eq!(metrics.job_failures("hash_mismatch"), 2);
        assert_eq!(metrics.job_failures("invalid_model"), 1);
        assert_eq!(metrics.job_failures("too_large"), 0);
        let text = metrics.registry().encode().unwrap();
        assert!(
            text.contains(r#"sibyl_job_failures_total{reason="hash_mismatch"} 2"#),
            "{text}"
        );
    }

    #[test]
    fn settlements_update_outcomes_and_earnings() {
        let metrics = NodeMetrics::new(Duration::from_secs(60));
        metrics.job_settled(SettlementOutcome::Agreed, 950);
        metrics.job_settled(SettlementOutcome::Dissent, 0);
        metrics.job_settled(SettlementOutcome::Missed, 0);
        metrics.job_settled(SettlementOutcome::Refunded, 0);
        metrics.block_height(12);
        metrics.transaction(TxKind::Commit, true);
        metrics.transaction(TxKind::Reveal, false);
        metrics.observe_execution("cpu", Duration::from_millis(3));
        metrics.observe_execution("cpu", Duration::from_millis(4));
        assert_eq!(metrics.execution_totals(), (2, Duration::from_millis(7)));
        let text = metrics.registry().encode().unwrap();
        assert!(text.contains(r#"outcome="settled_agreed"} 1"#), "{text}");
        assert!(text.contains(r#"outcome="settled_missed"} 1"#), "{text}");
        assert!(text.contains("950"), "{text}");
    }
}
