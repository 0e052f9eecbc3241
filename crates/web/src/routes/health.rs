//! Health for load balancers and monitoring. `GET /health` (also `/health/ready`), readiness:
//! 200 when the server answers and its ledger can be read (caught up with the database), 503
//! otherwise, with the reason. `GET /health/live`, liveness: 200 while the process serves,
//! whatever the database does, so that a supervisor restarts a hung server and not one
//! waiting for its database.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;
use utoipa::ToSchema;

use crate::App;

/// How the server stands.
#[derive(Serialize, ToSchema)]
pub struct Health {
    /// `ok` (ready), `live` (the process serves) or `unavailable`.
    status: &'static str,
    /// The server's version, when it answers.
    #[serde(skip_serializing_if = "Option::is_none")]
    version: Option<&'static str>,
    /// Why it is unavailable.
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
}

/// Readiness: the ledger can be read.
#[utoipa::path(
    get,
    path = "/health",
    operation_id = "health",
    tag = "operations",
    security(()),
    responses(
        (status = 200, description = "Ready", body = Health),
        (status = 503, description = "The ledger cannot be read", body = Health),
    )
)]
pub async fn get(State(app): State<App>) -> (StatusCode, Json<Health>) {
    match app.ledger.read(|_| ()).await {
        Ok(()) => (
            StatusCode::OK,
            Json(Health {
                status: "ok",
                version: Some(env!("CARGO_PKG_VERSION")),
                reason: None,
            }),
        ),
        Err(reason) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(Health {
                status: "unavailable",
                version: None,
                reason: Some(reason.to_string()),
            }),
        ),
    }
}

/// `GET /health/ready`: the same as `GET /health`.
#[utoipa::path(
    get,
    path = "/health/ready",
    operation_id = "health_ready",
    tag = "operations",
    security(()),
    responses(
        (status = 200, description = "Ready", body = Health),
        (status = 503, description = "The ledger cannot be read", body = Health),
    )
)]
pub async fn ready(state: State<App>) -> (StatusCode, Json<Health>) {
    get(state).await
}

/// `GET /health/live`: liveness, whatever the database does.
#[utoipa::path(
    get,
    path = "/health/live",
    operation_id = "health_live",
    tag = "operations",
    security(()),
    responses((status = 200, description = "The process serves", body = Health))
)]
pub async fn live() -> Json<Health> {
    Json(Health {
        status: "live",
        version: Some(env!("CARGO_PKG_VERSION")),
        reason: None,
    })
}
