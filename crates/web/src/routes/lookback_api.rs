//! The JSON API of lookback and recall, for QA: every open clock (`GET /api/deadlines`), a
//! lookback with its tree (`GET /api/lookbacks/{id}`), and the trace of a donor or a DIN in
//! one call (`GET /api/trace?donor=` or `?din=`): every donation, every unit made from it and
//! where each is now, down to the recipient; and the retention report (`GET /api/retention`).
//! The commands go through `POST /api/commands`.

use axum::Json;
use axum::extract::{Path, Query, State};
use hemaflow_domain::lookback::deadlines::{Deadline, open_deadlines};
use hemaflow_domain::lookback::lookbacks::{Lookback, local_date};
use hemaflow_domain::lookback::retention::RetentionReport;
use hemaflow_domain::lookback::trace::{TracedDonation, trace_donation};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::lookback::trace;
use crate::App;
use crate::access;
use crate::auth::Caller;
use crate::problem::{Problem, ReadProblems};

pub fn router() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(deadlines))
        .routes(routes!(lookback))
        .routes(routes!(trace_of))
        .routes(routes!(retention))
}

/// The retention report and the ledger entry it was read at.
#[derive(Serialize, ToSchema)]
pub struct RetentionAnswer {
    retention: RetentionReport,
    /// The ledger entry the report was read at.
    records_seen: i64,
}

/// REC-RETAIN (21 CFR 606.160(d)): how many donations are on record, how many passed their
/// retention date (10 years after processing or 6 months after the latest expiry, whichever
/// is later) with the oldest listed, how many are kept with no end, and the next date due.
/// Nothing is ever deleted (quality assurance).
#[utoipa::path(
    get,
    path = "/retention",
    operation_id = "get_retention",
    tag = "quality",
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, description = "The report", body = RetentionAnswer), ReadProblems)
)]
async fn retention(
    caller: Caller,
    State(app): State<App>,
) -> Result<Json<RetentionAnswer>, Problem> {
    caller.require(access::QUALITY)?;
    let now = app.now();
    let (report, sequence) = app
        .ledger
        .read_at(|records| {
            hemaflow_domain::lookback::retention::report(records, local_date(records, now))
        })
        .await?;
    Ok(Json(RetentionAnswer {
        retention: report,
        records_seen: sequence,
    }))
}

/// Every open clock, overdue first.
#[derive(Serialize, ToSchema)]
pub struct Deadlines {
    deadlines: Vec<Deadline>,
    /// The ledger entry the clocks were read at.
    records_seen: i64,
}

/// Every open clock of lookback, recall, deviations and fatalities, overdue first: due date,
/// record, task, rule (LB-DEADLINES, BPD-45, FATAL-7, RECALL-TRACK) and what is due
/// (quality assurance).
#[utoipa::path(
    get,
    path = "/deadlines",
    operation_id = "list_deadlines",
    tag = "quality",
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, description = "The open clocks", body = Deadlines), ReadProblems)
)]
async fn deadlines(caller: Caller, State(app): State<App>) -> Result<Json<Deadlines>, Problem> {
    caller.require(access::QUALITY)?;
    let now = app.now();
    let (list, sequence) = app
        .ledger
        .read_at(|records| open_deadlines(records, local_date(records, now)))
        .await?;
    Ok(Json(Deadlines {
        deadlines: list,
        records_seen: sequence,
    }))
}

/// A lookback and the tree of its window.
#[derive(Serialize, ToSchema)]
pub struct LookbackAnswer<'a> {
    lookback: &'a Lookback,
    donations: Vec<TracedDonation>,
    /// The ledger entry it was read at.
    records_seen: i64,
}

/// A lookback (LB-WINDOW, LB-DEADLINES): trigger, window, holds, notices with their clocks,
/// supplemental outcome; and the tree of its donations, each unit and where it is now down
/// to the recipient (quality assurance).
#[utoipa::path(
    get,
    path = "/lookbacks/{id}",
    operation_id = "get_lookback",
    tag = "quality",
    security(("bearer" = []), ("session" = [])),
    params(("id" = String, Path, description = "the lookback's ID")),
    responses((status = 200, description = "The lookback", body = LookbackAnswer), ReadProblems)
)]
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
            Some(serde_json::to_value(LookbackAnswer {
                lookback,
                donations: trace(records, lookback),
                records_seen: 0,
            }))
        })
        .await?;
    let mut body = found
        .ok_or_else(|| Problem::not_found(format!("no lookback {id}")))?
        .map_err(Problem::internal)?;
    body["records_seen"] = json!(sequence);
    Ok(Json(body))
}

/// Exactly one of `donor` and `din`.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TraceQuery {
    /// A donor's ID: every donation of the donor, newest first.
    #[serde(default)]
    donor: Option<String>,
    /// A DIN: that donation.
    #[serde(default)]
    din: Option<String>,
}

/// The trace of a donor or of one donation.
#[derive(Serialize, ToSchema)]
pub struct Trace {
    /// The donor's ID (a trace by donor only).
    #[serde(skip_serializing_if = "Option::is_none")]
    donor: Option<String>,
    donations: Vec<TracedDonation>,
    /// The ledger entry it was read at.
    records_seen: i64,
}

/// The trace of a donor (every donation, newest first) or of one DIN: every unit made from
/// each donation (divisions, pools, modifications) and where each is now: our stock, in
/// transit, a hospital's stock, issued, transfused to a patient, wasted or discarded
/// (REC-TRACE). Exactly one of `donor` and `din` (quality assurance).
#[utoipa::path(
    get,
    path = "/trace",
    operation_id = "get_trace",
    tag = "quality",
    security(("bearer" = []), ("session" = [])),
    params(TraceQuery),
    responses((status = 200, description = "The trace", body = Trace), ReadProblems)
)]
async fn trace_of(
    caller: Caller,
    State(app): State<App>,
    Query(query): Query<TraceQuery>,
) -> Result<Json<Trace>, Problem> {
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
                Some(Ok(Trace {
                    donor: Some(donor.id.clone()),
                    donations,
                    records_seen: 0,
                }))
            }
            (None, Some(din)) => {
                let traced = trace_donation(records, din.trim())?;
                Some(Ok(Trace {
                    donor: None,
                    donations: vec![traced],
                    records_seen: 0,
                }))
            }
            _ => Some(Err(Problem::input(
                "give exactly one of donor= and din=".to_owned(),
            ))),
        })
        .await?;
    let mut trace = found.ok_or_else(|| Problem::not_found("no such donor or donation"))??;
    trace.records_seen = sequence;
    Ok(Json(trace))
}
