//! Metrics and the monitoring server, scraped over real HTTP.

use std::sync::Arc;
use std::time::{Duration, Instant};

use sibyl_oracle::metrics::{
    ChainLiveness, HealthProbe, HealthReport, HealthStatus, JobOutcome, Metrics, MonitoringError,
    MonitoringServer, TxKind,
};
use tokio_util::sync::CancellationToken;

fn healthy_probe() -> HealthProbe {
    Arc::new(|| HealthReport {
        status: HealthStatus::Ok,
        height: Some(42),
        last_block_age_secs: Some(1),
        reason: None,
    })
}

struct Running {
    base: String,
    shutdown: CancellationToken,
    task: tokio::task::JoinHandle<Result<(), MonitoringError>>,
}

async fn start(metrics: Arc<Metrics>, health: HealthProbe) -> Running {
    let server = MonitoringServer::bind("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let base = format!("http://{}", server.local_addr());
    let shutdown = CancellationToken::new();
    let task = tokio::spawn(server.run(metrics, health, shutdown.clone()));
    Running {
        base,
        shutdown,
        task,
    }
}

impl Running {
    async fn stop(self) {
        self.shutdown.cancel();
        self.task.await.unwrap().unwrap();
    }
}

fn line_value(text: &str, series: &str) -> Option<String> {
    text.lines().find_map(|line| {
        line.strip_prefix(series)?
            .strip_prefix(' ')
            .map(str::to_owned)
    })
}

#[tokio::test]
async fn metrics_are_scraped_over_http() {
    let metrics = Arc::new(Metrics::new());
    metrics.job_finished(JobOutcome::SettledAgreed);
    metrics.job_finished(JobOutcome::SettledAgreed);
    metrics.job_finished(JobOutcome::SettledMissed);
    metrics.job_step_failed("hash_mismatch");
    metrics.observe_execution("vulkan", Duration::from_millis(12));
    metrics.set_inference_device("llvmpipe (lavapipe, cpu)");
    metrics.add_earnings(1_500);
    metrics.slashed();
    metrics.tx_sent(TxKind::Commit);
    metrics.tx_sent(TxKind::Reveal);
    metrics.tx_failed(TxKind::Reveal);
    metrics.set_chain_height(1234);
    let guard = metrics.job_in_flight();

    let running = start(Arc::clone(&metrics), healthy_probe()).await;
    let response = reqwest::get(format!("{}/metrics", running.base))
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(content_type.starts_with("application/openmetrics-text"));
    let text = response.text().await.unwrap();

    let expect = [
        ("sibyl_jobs_total{outcome=\"settled_agreed\"}", "2"),
        ("sibyl_jobs_total{outcome=\"settled_missed\"}", "1"),
        ("sibyl_jobs_total{outcome=\"cancelled\"}", "0"),
        ("sibyl_job_failures_total{reason=\"hash_mismatch\"}", "1"),
        ("sibyl_job_execution_seconds_count{backend=\"vulkan\"}", "1"),
        (
            "sibyl_inference_device_info{device=\"llvmpipe (lavapipe, cpu)\"}",
            "1",
        ),
        ("sibyl_earnings_total", "1500"),
        ("sibyl_slashes_total", "1"),
        ("sibyl_txs_sent_total{kind=\"commit\"}", "1"),
        ("sibyl_txs_sent_total{kind=\"reveal\"}", "1"),
        ("sibyl_tx_failures_total{kind=\"reveal\"}", "1"),
        ("sibyl_chain_height", "1234"),
        ("sibyl_jobs_in_flight", "1"),
    ];
    for (series, value) in expect {
        assert_eq!(
            line_value(&text, series).as_deref(),
            Some(value),
            "{series} in:\n{text}"
        );
    }

    drop(guard);
    metrics.set_inference_device("NVIDIA H200 (discrete)");
    let text = reqwest::get(format!("{}/metrics", running.base))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(
        line_value(&text, "sibyl_jobs_in_flight").as_deref(),
        Some("0")
    );
    assert!(!text.contains("lavapipe"), "the old device is gone");
    assert!(text.contains("device=\"NVIDIA H200 (discrete)\""));
    running.stop().await;
}

#[tokio::test]
async fn healthz_reports_200_when_healthy() {
    let running = start(Arc::new(Metrics::new()), healthy_probe()).await;
    let response = reqwest::get(format!("{}/healthz", running.base))
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = serde_json::from_str(&response.text().await.unwrap()).unwrap();
    assert_eq!(body["status"], "ok");
    assert_eq!(body["height"], 42);
    assert_eq!(body["last_block_age_secs"], 1);
    running.stop().await;
}

#[tokio::test]
async fn healthz_reports_503_when_unhealthy() {
    // A liveness that has not seen any block yet is unhealthy.
    let liveness = Arc::new(ChainLiveness::new(Duration::from_secs(60)));
    let running = start(Arc::new(Metrics::new()), liveness.probe()).await;
    let response = reqwest::get(format!("{}/healthz", running.base))
        .await
        .unwrap();
    assert_eq!(response.status(), 503);
    let body: serde_json::Value = serde_json::from_str(&response.text().await.unwrap()).unwrap();
    assert_eq!(body["status"], "unhealthy");
    assert_eq!(body["reason"], "no block seen yet");

    liveness.observe_block(77);
    let response = reqwest::get(format!("{}/healthz", running.base))
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = serde_json::from_str(&response.text().await.unwrap()).unwrap();
    assert_eq!(body["height"], 77);
    running.stop().await;
}

#[test]
fn liveness_turns_unhealthy_when_blocks_stop() {
    let liveness = ChainLiveness::new(Duration::from_secs(30));
    let seen = Instant::now();
    liveness.observe_block_at(10, seen);
    let fresh = liveness.report_at(seen + Duration::from_secs(30));
    assert!(fresh.is_healthy());
    assert_eq!(fresh.last_block_age_secs, Some(30));
    let stale = liveness.report_at(seen + Duration::from_secs(31));
    assert!(!stale.is_healthy());
    assert_eq!(stale.height, Some(10));
    assert!(stale.reason.unwrap().contains("31s"));
}

#[test]
fn liveness_reports_an_outage_until_the_next_block() {
    let liveness = ChainLiveness::new(Duration::from_secs(30));
    let seen = Instant::now();
    liveness.observe_block_at(10, seen);
    liveness.observe_outage("RPC http://127.0.0.1:26657: connection refused".into());
    let down = liveness.report_at(seen + Duration::from_secs(1));
    assert!(!down.is_healthy());
    assert_eq!(down.height, Some(10));
    assert!(down.reason.unwrap().contains("chain unavailable: RPC"));
    liveness.observe_block_at(11, seen + Duration::from_secs(2));
    assert!(liveness
        .report_at(seen + Duration::from_secs(2))
        .is_healthy());
}

#[tokio::test]
async fn the_server_stops_on_cancellation_and_reports_bind_errors() {
    let running = start(Arc::new(Metrics::new()), healthy_probe()).await;
    let addr: std::net::SocketAddr = running.base.trim_start_matches("http://").parse().unwrap();
    assert!(matches!(
        MonitoringServer::bind(addr).await.unwrap_err(),
        MonitoringError::Bind { .. }
    ));
    running.stop().await;
    assert!(reqwest::get(format!("http://{addr}/metrics"))
        .await
        .is_err());
}

#[test]
fn every_outcome_has_a_distinct_label() {
    let labels: std::collections::HashSet<_> = JobOutcome::ALL.iter().map(|o| o.as_str()).collect();
    assert_eq!(labels.len(), JobOutcome::ALL.len());
}
