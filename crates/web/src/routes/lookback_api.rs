//! The JSON API of lookback and recall, for QA: every open clock (`GET /api/deadlines`), a
//! lookback with its tree (`GET /api/lookbacks/{id}`), and the trace of a donor or a DIN in
//! one call (`GET /api/trace?donor=` or `?din=`): every donation, every unit made from it and
//! where each is now, down to the recipient; and the retention report (`GET /api/retention`).
//! The commands go through `POST /api/commands`.

use axum::extract::{Path, Query, State};
use axum::routing::get;
use axum::{Json, Router};
use hemaflow_domain::lookback::deadlines::open_deadlines;
use hemaflow_domain::lookback::lookbacks::local_date;
use hemaflow_domain::lookback::trace::trace_donation;
use serde::Deserialize;
use serde_json::{Value, json};

use super::lookback::trace;
use crate::App;
use crate::access;
use crate::auth::Caller;
use crate::problem::Problem;

pub fn router() -> Router<App> {
    Router::new()
        .route("/deadlines", get(deadlines))
        .route("/lookbacks/{id}", get(lookback))
        .route("/trace", get(trace_of))
        .route("/retention", get(retention))
}

/// `GET /api/retention`: REC-RETAIN, what has passed its retention date (nothing is deleted).
async fn retention(caller: Caller, State(app): State<App>) -> Result<Json<Value>, Problem> {
    caller.require(access::QUALITY)?;
    let now = app.now();
    let (report, sequence) = app
        .ledger
        .read_at(|records| {
            hemaflow_domain::lookback::retention::report(records, local_date(records, now))
        })
        .await?;
    Ok(Json(json!({"retention": report, "records_seen": sequence})))
}

/// `GET /api/deadlines`: every open clock, overdue first.
async fn deadlines(caller: Caller, State(app): State<App>) -> Result<Json<Value>, Problem> {
    caller.require(access::QUALITY)?;
    let now = app.now();
    let (list, sequence) = app
        .ledger
        .read_at(|records| open_deadlines(records, local_date(records, now)))
        .await?;
    Ok(Json(json!({"deadlines": list, "records_seen": sequence})))
}

/// `GET /api/lookbacks/{id}`: the lookback and the tree of its window.
async fn lookback(
    caller: Caller,
    State(app): State<App>,
    Path(id): Path<String>,
) -> Result<Json<Value>, Problem> {
    caller.require(access::QUALITY)?;
    let (found, sequence) = app
        .ledger
        .read_at(|records| {
            let lookback = records.lookback.lookbacks.get(&id)?;
            Some(json!({"lookback": lookback, "donations": trace(records, lookback)}))
        })
        .await?;
    let mut body = found.ok_or_else(|| Problem::not_found(format!("no lookback {id}")))?;
    body["records_seen"] = json!(sequence);
    Ok(Json(body))
}

#[derive(Deserialize)]
pub struct TraceQuery {
    #[serde(default)]
    donor: Option<String>,
    #[serde(default)]
    din: Option<String>,
}

/// `GET /api/trace?donor=ID` (every donation of the donor) or `?din=DIN` (one donation).
async fn trace_of(
    caller: Caller,
    State(app): State<App>,
    Query(query): Query<TraceQuery>,
) -> Result<Json<Value>, Problem> {
    caller.require(access::QUALITY)?;
    let (found, sequence) = app
        .ledger
        .read_at(|records| match (&query.donor, &query.din) {
            (Some(donor), None) => {
                let donor = records.donors.get(donor.trim())?;
                let donations: Vec<_> = donor
                    .donations
                    .iter()
                    .rev()
                    .filter_map(|din| trace_donation(records, din))
                    .collect();
                Some(Ok(json!({"donor": donor.id, "donations": donations})))
            }
            (None, Some(din)) => {
                let traced = trace_donation(records, din.trim())?;
                Some(Ok(json!({"donations": [traced]})))
            }
            _ => Some(Err(Problem::input(
                "give exactly one of donor= and din=".to_owned(),
            ))),
        })
        .await?;
    let mut body = found.ok_or_else(|| Problem::not_found("no such donor or donation"))??;
    body["records_seen"] = json!(sequence);
    Ok(Json(body))
}
