//! Hemaflow's web server: the benches as server-rendered pages (askama + htmx, scan-first),
//! the same commands and queries as a JSON API under `/api`, sessions, roles and electronic
//! signatures. Every write goes through the ledger (`BloodLedger::execute`); no rule lives here
//! beyond who may open which page (P11-ACCESS) and checking a signer's password (P11-SIGN).

pub mod access;
pub mod accounts;
pub mod auth;
pub mod demo;
pub mod fhir;
pub mod metrics;
pub mod problem;
pub mod reports;
pub mod results_csv;
pub mod routes;
pub mod scan;
pub mod security;
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
    /// Rate limits on sign-in attempts, the hashing slots and the body limits.
    pub guards: security::Guards,
}

impl std::ops::Deref for App {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl App {
    pub fn new(ledger: BloodLedger, secure_cookies: bool) -> App {
        App::with_limits(ledger, secure_cookies, security::Limits::default())
    }

    /// An app whose rate, hashing and body limits are `limits` (the configuration's).
    pub fn with_limits(ledger: BloodLedger, secure_cookies: bool, limits: security::Limits) -> App {
        let sessions = auth::session::Sessions::new(ledger.store().clone());
        App(Arc::new(Inner {
            ledger,
            sessions,
            reports: hemaflow_service::reports::ReportEvents::new(),
            secure_cookies,
            metrics: metrics::Metrics::new(),
            guards: security::Guards::new(limits),
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
///
/// The accept loop is hyper's own rather than `axum::serve`, which sets no timer and so no
/// header-read timeout: each connection gets the app's `header_seconds`
/// ([`security::Limits`]; the body's own time limit is `security::bound_body`'s).
pub async fn serve(
    listener: TcpListener,
    app: App,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
    use hyper_util::server::conn::auto::Builder;
    use tower::{Service, ServiceExt};

    let header_read = app.guards.limits.header_seconds;
    let mut make_service = routes::router(app).into_make_service_with_connect_info::<SocketAddr>();
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(header_read);
    builder
        .http2()
        .timer(TokioTimer::new())
        .keep_alive_interval(Some(header_read));
    loop {
        let (socket, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors and the like: wait, as axum::serve does.
                    tracing::warn!(%error, "could not accept a connection");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Ok(router) = make_service.call(peer).await;
        let service = hyper::service::service_fn(move |request| router.clone().oneshot(request));
        let connection = builder
            .serve_connection_with_upgrades(TokioIo::new(socket), service)
            .into_owned();
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(%error, %peer, "connection ended with an error");
            }
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
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
