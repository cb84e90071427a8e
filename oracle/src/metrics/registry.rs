//! The node's Prometheus metrics. Every name carries the `sibyl_` prefix; counters get the
//! OpenMetrics `_total` suffix when encoded.

use std::time::Duration;

use prometheus_client::encoding::text::encode;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

/// How a job settled for this node; the `outcome` label of `sibyl_jobs_total`. Failed steps are
/// counted apart, by reason, in `sibyl_job_failures_total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JobOutcome {
    /// Agreed with the quorum: paid.
    SettledAgreed,
    /// Revealed another output than the quorum's: slashed.
    SettledDissent,
    /// Did not commit or reveal in time: slashed for liveness.
    SettledMissed,
    /// No quorum: the consumer was refunded.
    Refunded,
    /// The consumer cancelled before any commit.
    Cancelled,
    /// No quorum, but this operator revealed: paid its share, not slashed.
    PaidWithoutQuorum,
    /// Declined a job that then failed or was cancelled: paid the decline fee.
    Declined,
}

impl JobOutcome {
    pub const ALL: [JobOutcome; 7] = [
        Self::SettledAgreed,
        Self::SettledDissent,
        Self::SettledMissed,
        Self::Refunded,
        Self::Cancelled,
        Self::PaidWithoutQuorum,
        Self::Declined,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::SettledAgreed => "settled_agreed",
            Self::SettledDissent => "settled_dissent",
            Self::SettledMissed => "settled_missed",
            Self::Refunded => "refunded",
            Self::Cancelled => "cancelled",
            Self::PaidWithoutQuorum => "paid_without_quorum",
            Self::Declined => "declined",
        }
    }
}

/// The transaction kinds the node sends; the `kind` label of the tx metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TxKind {
    Assign,
    Commit,
    Decline,
    Reveal,
}

impl TxKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Assign => "assign",
            Self::Commit => "commit",
            Self::Reveal => "reveal",
            Self::Decline => "decline",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct OutcomeLabels {
    outcome: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct ReasonLabels {
    reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct BackendLabels {
    backend: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct DeviceLabels {
    device: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct TxLabels {
    kind: String,
}

type HistogramFamily<L> = Family<L, Histogram, fn() -> Histogram>;

/// Execution time buckets: 1 ms to about 65 s, doubling.
fn execution_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.001, 2.0, 17))
}

/// All node metrics and the registry that encodes them. Cheap to share behind an `Arc`; every
/// method takes `&self`.
pub struct Metrics {
    registry: Registry,
    jobs: Family<OutcomeLabels, Counter>,
    job_failures: Family<ReasonLabels, Counter>,
    job_execution_seconds: HistogramFamily<BackendLabels>,
    inference_device: Family<DeviceLabels, Gauge>,
    earnings: Counter,
    slashes: Counter,
    txs_sent: Family<TxLabels, Counter>,
    tx_failures: Family<TxLabels, Counter>,
    chain_height: Gauge,
    jobs_in_flight: Gauge,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("sibyl");
        let jobs = Family::<OutcomeLabels, Counter>::default();
        let job_failures = Family::<ReasonLabels, Counter>::default();
        let job_execution_seconds: HistogramFamily<BackendLabels> =
            Family::new_with_constructor(execution_histogram);
        let inference_device = Family::<DeviceLabels, Gauge>::default();
        let earnings = Counter::default();
        let slashes = Counter::default();
        let txs_sent = Family::<TxLabels, Counter>::default();
        let tx_failures = Family::<TxLabels, Counter>::default();
        let chain_height = Gauge::default();
        let jobs_in_flight = Gauge::default();

        registry.register(
            "jobs",
            "Jobs settled for this node, by outcome",
            jobs.clone(),
        );
        registry.register(
            "job_failures",
            "Job steps that failed, by reason (docs/oracle-pipeline.md lists the reasons)",
            job_failures.clone(),
        );
        registry.register(
            "job_execution_seconds",
            "Inference engine time per job (without waits for the engine), by backend",
            job_execution_seconds.clone(),
        );
        registry.register(
            "inference_device_info",
            "The inference device in use (value 1, name in the device label)",
            inference_device.clone(),
        );
        registry.register(
            "earnings",
            "Earnings from settled jobs, in base denom units",
            earnings.clone(),
        );
        registry.register(
            "slashes",
            "Times this operator was slashed",
            slashes.clone(),
        );
        registry.register(
            "txs_sent",
            "Transactions accepted by the chain, by kind",
            txs_sent.clone(),
        );
        registry.register(
            "tx_failures",
            "Transactions that failed, by kind",
            tx_failures.clone(),
        );
        registry.register(
            "chain_height",
            "Latest block height seen",
            chain_height.clone(),
        );
        registry.register(
            "jobs_in_flight",
            "Jobs with a live task (assigned and not yet settled)",
            jobs_in_flight.clone(),
        );
        // Pre-create every outcome so dashboards see zeros instead of missing series.
        for outcome in JobOutcome::ALL {
            jobs.get_or_create(&OutcomeLabels {
                outcome: outcome.as_str().to_owned(),
            })
            .inc_by(0);
        }
        Self {
            registry,
            jobs,
            job_failures,
            job_execution_seconds,
            inference_device,
            earnings,
            slashes,
            txs_sent,
            tx_failures,
            chain_height,
            jobs_in_flight,
        }
    }

    pub fn job_finished(&self, outcome: JobOutcome) {
        self.jobs
            .get_or_create(&OutcomeLabels {
                outcome: outcome.as_str().to_owned(),
            })
            .inc();
    }

    pub fn job_step_failed(&self, reason: &str) {
        self.job_failures
            .get_or_create(&ReasonLabels {
                reason: reason.to_owned(),
            })
            .inc();
    }

    /// How many job steps failed for `reason` so far.
    pub fn job_step_failures(&self, reason: &str) -> u64 {
        self.job_failures
            .get_or_create(&ReasonLabels {
                reason: reason.to_owned(),
            })
            .get()
    }

    pub fn observe_execution(&self, backend: &str, elapsed: Duration) {
        self.job_execution_seconds
            .get_or_create(&BackendLabels {
                backend: backend.to_owned(),
            })
            .observe(elapsed.as_secs_f64());
    }

    /// Replaces the reported inference device (e.g. "NVIDIA H200 (discrete)").
    pub fn set_inference_device(&self, device: &str) {
        self.inference_device.clear();
        self.inference_device
            .get_or_create(&DeviceLabels {
                device: device.to_owned(),
            })
            .set(1);
    }

    /// Adds settled earnings (base denom units; saturates at `u64::MAX`, far above any supply).
    pub fn add_earnings(&self, amount: u128) {
        self.earnings
            .inc_by(u64::try_from(amount).unwrap_or(u64::MAX));
    }

    pub fn slashed(&self) {
        self.slashes.inc();
    }

    pub fn tx_sent(&self, kind: TxKind) {
        self.txs_sent
            .get_or_create(&TxLabels {
                kind: kind.as_str().to_owned(),
            })
            .inc();
    }

    pub fn tx_failed(&self, kind: TxKind) {
        self.tx_failures
            .get_or_create(&TxLabels {
                kind: kind.as_str().to_owned(),
            })
            .inc();
    }

    pub fn set_chain_height(&self, height: u64) {
        self.chain_height
            .set(i64::try_from(height).unwrap_or(i64::MAX));
    }

    /// Counts a job as in flight until the returned guard is dropped.
    pub fn job_in_flight(&self) -> InFlightGuard {
        self.jobs_in_flight.inc();
        InFlightGuard {
            gauge: self.jobs_in_flight.clone(),
        }
    }

    /// The OpenMetrics text exposition of every metric.
    pub fn encode(&self) -> Result<String, std::fmt::Error> {
        let mut out = String::new();
        encode(&mut out, &self.registry)?;
        Ok(out)
    }
}

/// Decrements `sibyl_jobs_in_flight` when dropped, so every exit path of a job is counted.
#[derive(Debug)]
pub struct InFlightGuard {
    gauge: Gauge,
}

impl Drop for InFlightGuard {
    fn drop(&mut self) {
        self.gauge.dec();
    }
}
