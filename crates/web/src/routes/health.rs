//! Health for load balancers and monitoring. `GET /health` (also `/health/ready`), readiness:
//! 200 when the server answers and its ledger can be read (caught up with the database), 503
//! otherwise, with the reason. `GET /health/live`, liveness: 200 while the process serves,
//! whatever the database does, so that a supervisor restarts a hung server and not one
//! waiting for its database.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::App;

pub async fn get(State(app): State<App>) -> (StatusCode, Json<Value>) {
    match app.ledger.read(|_| ()).await {
        Ok(()) => (
            StatusCode::OK,
            Json(json!({"status": "ok", "version": env!("CARGO_PKG_VERSION")})),
        ),
        Err(reason) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"status": "unavailable", "reason": reason.to_string()})),
        ),
    }
}

/// `GET /health/live`.
pub async fn live() -> Json<Value> {
    Json(json!({"status": "live", "version": env!("CARGO_PKG_VERSION")}))
}
