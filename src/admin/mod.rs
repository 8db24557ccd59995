//! The operator HTTP listener of `run` (`admin.listen`): `/metrics` for
//! Prometheus, `/healthz` for liveness, `/readyz` for readiness; and the
//! client side of `/readyz` behind `feedsieve healthcheck`.
//!
//! Off unless configured. The listener is bound by `main` before the daemon
//! starts, so a bad address or a port in use stops the start with a clear
//! error instead of a daemon without its probes; the daemon then serves it
//! until its cancellation token fires (see [`crate::daemon::run`]). It is
//! plain HTTP with no authentication: bind it to loopback or a private
//! interface.

mod health;
mod metrics;
mod probe;

pub use health::Heartbeat;
pub use metrics::Metrics;
pub use probe::healthcheck;

use health::readiness;

use crate::pipeline::FeedReport;
use crate::store::Store;
use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::Utc;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tracing::{error, info, warn};

/// Longest a probe or scrape waits for the store thread. The thread runs
/// jobs in order, so a ping queues behind a large commit; longer than this
/// means the database is in trouble, not busy.
const STORE_WAIT: Duration = Duration::from_secs(5);

/// What the daemon feeds the listener: poll counters and its heartbeat.
#[derive(Default)]
pub struct Telemetry {
    pub metrics: Metrics,
    pub heartbeat: Heartbeat,
}

impl Telemetry {
    /// Counts a finished poll (see [`Metrics::record`]).
    pub fn record(&self, report: &FeedReport) {
        self.metrics.record(report);
    }
}

/// A bound, not yet serving, admin listener.
pub struct AdminServer {
    listener: TcpListener,
    addr: SocketAddr,
    telemetry: Arc<Telemetry>,
    stale_after: Duration,
}

/// The admin address could not be bound.
#[derive(Debug, thiserror::Error)]
#[error("cannot listen on admin.listen {addr}")]
pub struct BindError {
    pub addr: SocketAddr,
    pub source: std::io::Error,
}

impl AdminServer {
    /// Binds `addr` (port 0 picks a free port) and logs the address bound.
    /// `/readyz` fails once the run loop has not ticked for `stale_after`.
    pub async fn bind(addr: SocketAddr, stale_after: Duration) -> Result<AdminServer, BindError> {
        let err = |source| BindError { addr, source };
        let listener = TcpListener::bind(addr).await.map_err(err)?;
        let addr = listener.local_addr().map_err(err)?;
        info!(admin_listen = %addr, "admin listener bound: /metrics, /healthz, /readyz");
        Ok(AdminServer {
            listener,
            addr,
            telemetry: Arc::new(Telemetry::default()),
            stale_after,
        })
    }

    pub fn telemetry(&self) -> Arc<Telemetry> {
        self.telemetry.clone()
    }

    /// Serves until `stop` fires; requests in progress then finish.
    pub async fn serve(self, store: Store, stop: CancellationToken) {
        let shared = Arc::new(Shared {
            store,
            telemetry: self.telemetry,
            stale_after: self.stale_after,
        });
        let router = Router::new()
            .route("/metrics", get(metrics))
            .route("/healthz", get(healthz))
            .route("/readyz", get(readyz))
            .with_state(shared);
        let served = axum::serve(self.listener, router)
            .with_graceful_shutdown(stop.cancelled_owned())
            .await;
        // A failing accept loop loses the probes, not the feeds: say so,
        // loudly, and let the daemon go on.
        if let Err(e) = served {
            error!(admin_listen = %self.addr, error = %e, "admin listener failed");
        }
    }
}

struct Shared {
    store: Store,
    telemetry: Arc<Telemetry>,
    stale_after: Duration,
}

async fn metrics(State(s): State<Arc<Shared>>) -> Response {
    let now = Utc::now();
    let stats = match tokio::time::timeout(STORE_WAIT, s.store.stats(now)).await {
        Ok(Ok(stats)) => Some(stats),
        Ok(Err(e)) => {
            warn!(error = %e, "database gauges left out of /metrics");
            None
        }
        Err(_) => {
            warn!(
                error = "no answer within 5 s",
                "database gauges left out of /metrics"
            );
            None
        }
    };
    let body = s
        .telemetry
        .metrics
        .render(stats.as_ref(), s.telemetry.heartbeat.last(), now);
    ([(header::CONTENT_TYPE, metrics::CONTENT_TYPE)], body).into_response()
}

async fn healthz() -> &'static str {
    "ok\n"
}

async fn readyz(State(s): State<Arc<Shared>>) -> Response {
    let ping = match tokio::time::timeout(STORE_WAIT, s.store.ping()).await {
        Ok(res) => res.map_err(|e| e.to_string()),
        Err(_) => Err(format!("no answer within {}s", STORE_WAIT.as_secs())),
    };
    let last_tick = s.telemetry.heartbeat.last();
    match readiness(ping, last_tick, Utc::now(), s.stale_after) {
        Ok(()) => (StatusCode::OK, "ready\n".to_string()).into_response(),
        Err(reason) => (StatusCode::SERVICE_UNAVAILABLE, format!("{reason}\n")).into_response(),
    }
}
