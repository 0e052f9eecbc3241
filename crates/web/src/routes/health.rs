//! `GET /health`: for load balancers and monitoring. 200 when the server answers and its
//! ledger can be read (caught up with the database), 503 otherwise, with the reason.

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
