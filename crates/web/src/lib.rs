//! Hemaflow's web server: the benches as server-rendered pages (askama + htmx, scan-first),
//! the same commands and queries as a JSON API under `/api`, sessions, roles and electronic
//! signatures. Every write goes through the ledger (`BloodLedger::execute`); no rule lives here
//! beyond who may open which page (P11-ACCESS) and checking a signer's password (P11-SIGN).

pub mod access;
pub mod accounts;
pub mod auth;
pub mod demo;
pub mod metrics;
pub mod problem;
pub mod reports;
pub mod results_csv;
pub mod routes;
pub mod scan;
pub mod supply;
pub mod views;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use hemaflow_service::BloodLedger;
use tokio::net::TcpListener;

pub use accounts::{bootstrap_admin, create_account};

/// Everything a request handler needs, shared by every request.
#[derive(Clone)]
pub struct App(Arc<Inner>);

pub struct Inner {
    pub ledger: BloodLedger,
    pub sessions: auth::session::Sessions,
    /// The events of the daily reports by the time they carry, caught up from the ledger
    /// at each report (`hemaflow_service::reports`).
    pub reports: hemaflow_service::reports::ReportEvents,
    /// Send cookies only over HTTPS (true unless the server listens on loopback).
    pub secure_cookies: bool,
    /// What `GET /metrics` reports (requests, commands, refusals).
    pub metrics: metrics::Metrics,
}

impl std::ops::Deref for App {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl App {
    pub fn new(ledger: BloodLedger, secure_cookies: bool) -> App {
        let sessions = auth::session::Sessions::new(ledger.store().clone());
        App(Arc::new(Inner {
            ledger,
            sessions,
            reports: hemaflow_service::reports::ReportEvents::new(),
            secure_cookies,
            metrics: metrics::Metrics::new(),
        }))
    }

    /// The process's one clock (the ledger's) as the domain's time: what a page shows as "now"
    /// and counts expiry from. A command's own time is read by the ledger under its lock
    /// (`Stamp::Clock`), not here.
    pub fn now(&self) -> time::OffsetDateTime {
        now_of(&self.ledger)
    }
}

/// The reading of `ledger`'s clock as the domain's time ([`App::now`]).
pub fn now_of(ledger: &hemaflow_service::BloodLedger) -> time::OffsetDateTime {
    hemaflow_service::time_of(ledger.clock().now())
}

/// Whether cookies must be marked `Secure`: anywhere but loopback the server must sit behind
/// TLS, and a session cookie must never travel in clear.
pub fn secure_cookies_for(address: SocketAddr) -> bool {
    !address.ip().is_loopback()
}

/// Serves `app` on `listener` until `shutdown` completes, then finishes the requests in flight.
pub async fn serve(
    listener: TcpListener,
    app: App,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(
        listener,
        routes::router(app).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}

/// Completes on Ctrl-C or SIGTERM, so that a service manager's stop is graceful too.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        // If the handler cannot be installed, wait forever: SIGTERM still stops the server.
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing the requests in flight");
}
