//! The monitoring HTTP server: `GET /metrics` (OpenMetrics text) and `GET /healthz` (JSON, 200 or
//! 503). It stops when its cancellation token is cancelled.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use super::health::HealthProbe;
use super::registry::Metrics;

const OPENMETRICS_CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

#[derive(Debug, thiserror::Error)]
pub enum MonitoringError {
    #[error("cannot listen for monitoring on {addr}: {source}; pick a free address in the config")]
    Bind {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },

    #[error("monitoring server failed: {source}")]
    Serve {
        #[source]
        source: std::io::Error,
    },
}

#[derive(Clone)]
struct ServerState {
    metrics: Arc<Metrics>,
    health: HealthProbe,
}

/// A bound (not yet serving) monitoring server; binding first lets callers learn the port when
/// they asked for port 0.
#[derive(Debug)]
pub struct MonitoringServer {
    listener: TcpListener,
    local_addr: SocketAddr,
}

impl MonitoringServer {
    pub async fn bind(addr: SocketAddr) -> Result<Self, MonitoringError> {
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| MonitoringError::Bind { addr, source })?;
        let local_addr = listener
            .local_addr()
            .map_err(|source| MonitoringError::Bind { addr, source })?;
        Ok(Self {
            listener,
            local_addr,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Serves until `shutdown` is cancelled, then finishes in-flight requests and returns.
    pub async fn run(
        self,
        metrics: Arc<Metrics>,
        health: HealthProbe,
        shutdown: CancellationToken,
    ) -> Result<(), MonitoringError> {
        let router = Router::new()
            .route("/metrics", get(metrics_handler))
            .route("/healthz", get(health_handler))
            .with_state(ServerState { metrics, health });
        tracing::info!(addr = %self.local_addr, "monitoring server listening");
        axum::serve(self.listener, router)
            .with_graceful_shutdown(shutdown.cancelled_owned())
            .await
            .map_err(|source| MonitoringError::Serve { source })
    }
}

async fn metrics_handler(State(state): State<ServerState>) -> Response {
    match state.metrics.encode() {
        Ok(body) => ([(header::CONTENT_TYPE, OPENMETRICS_CONTENT_TYPE)], body).into_response(),
        Err(err) => {
            tracing::error!(error = %err, "encoding metrics failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

async fn health_handler(State(state): State<ServerState>) -> Response {
    let report = (state.health)();
    let status = if report.is_healthy() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    match serde_json::to_string(&report) {
        Ok(body) => (status, [(header::CONTENT_TYPE, "application/json")], body).into_response(),
        Err(err) => {
            tracing::error!(error = %err, "encoding the health report failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}
