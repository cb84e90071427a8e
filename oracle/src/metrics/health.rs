//! Health of the node as `/healthz` reports it: healthy while new blocks keep arriving.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Serialize;

/// The `/healthz` body. `healthy` decides between 200 and 503.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HealthReport {
    pub status: HealthStatus,
    /// Latest block height seen.
    pub height: Option<u64>,
    /// Seconds since that block was seen.
    pub last_block_age_secs: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HealthStatus {
    Ok,
    Unhealthy,
}

impl HealthReport {
    pub fn is_healthy(&self) -> bool {
        self.status == HealthStatus::Ok
    }
}

/// A poisoned lock only means a panic elsewhere mid-update of plain values.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Computes the current health on each `/healthz` request.
pub type HealthProbe = Arc<dyn Fn() -> HealthReport + Send + Sync>;

/// Healthy while the latest block was seen less than `max_block_age` ago.
#[derive(Debug)]
pub struct ChainLiveness {
    max_block_age: Duration,
    last_block: Mutex<Option<(u64, Instant)>>,
    /// Why the chain cannot be read now; cleared by the next block.
    outage: Mutex<Option<String>>,
}

impl ChainLiveness {
    pub fn new(max_block_age: Duration) -> Self {
        Self {
            max_block_age,
            last_block: Mutex::new(None),
            outage: Mutex::new(None),
        }
    }

    pub fn observe_block(&self, height: u64) {
        self.observe_block_at(height, Instant::now());
    }

    pub fn observe_block_at(&self, height: u64, seen_at: Instant) {
        let mut last = lock(&self.last_block);
        *last = Some((height, seen_at));
        *lock(&self.outage) = None;
    }

    /// The chain cannot be read: unhealthy with `reason` until the next block.
    pub fn observe_outage(&self, reason: String) {
        *lock(&self.outage) = Some(reason);
    }

    pub fn report(&self) -> HealthReport {
        self.report_at(Instant::now())
    }

    pub fn report_at(&self, now: Instant) -> HealthReport {
        let last = *lock(&self.last_block);
        if let Some(reason) = lock(&self.outage).clone() {
            return HealthReport {
                status: HealthStatus::Unhealthy,
                height: last.map(|(height, _)| height),
                last_block_age_secs: last
                    .map(|(_, seen_at)| now.saturating_duration_since(seen_at).as_secs()),
                reason: Some(format!("chain unavailable: {reason}")),
            };
        }
        match last {
            None => HealthReport {
                status: HealthStatus::Unhealthy,
                height: None,
                last_block_age_secs: None,
                reason: Some("no block seen yet".to_owned()),
            },
            Some((height, seen_at)) => {
                let age = now.saturating_duration_since(seen_at);
                let fresh = age <= self.max_block_age;
                HealthReport {
                    status: if fresh {
                        HealthStatus::Ok
                    } else {
                        HealthStatus::Unhealthy
                    },
                    height: Some(height),
                    last_block_age_secs: Some(age.as_secs()),
                    reason: (!fresh).then(|| {
                        format!(
                            "no new block for {}s (limit {}s)",
                            age.as_secs(),
                            self.max_block_age.as_secs()
                        )
                    }),
                }
            }
        }
    }

    /// A probe for the monitoring server.
    pub fn probe(self: &Arc<Self>) -> HealthProbe {
        let liveness = Arc::clone(self);
        Arc::new(move || liveness.report())
    }
}
