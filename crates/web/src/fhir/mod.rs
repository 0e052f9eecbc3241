//! FHIR R5 under `/fhir` for hospitals' systems: the `CapabilityStatement` (`metadata`,
//! public, as FHIR servers publish it), and `BiologicallyDerivedProduct` read and search, with
//! the JSON API's roles and hospital isolation (a hospital's token or user sees only units
//! shipped to its hospital; another's are "not found"). Every answer is
//! `application/fhir+json`; every error an `OperationOutcome` saying what and where. Search
//! is strict: a parameter this server does not know is refused (400), never ignored, so a
//! client never takes a wider answer for the one it asked.

pub mod product;
pub mod search;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};

use crate::App;
use crate::auth::Caller;
use crate::supply::Scope;

pub const CONTENT_TYPE: &str = "application/fhir+json; charset=utf-8";
pub const FHIR_VERSION: &str = "5.0.0";

pub fn router() -> Router<App> {
    Router::new()
        .route("/metadata", get(metadata))
        .route("/BiologicallyDerivedProduct", get(search_products))
        .route("/BiologicallyDerivedProduct/{id}", get(read_product))
}

/// A FHIR answer: a resource with its status, as `application/fhir+json`.
pub struct Fhir(pub StatusCode, pub Value);

impl IntoResponse for Fhir {
    fn into_response(self) -> Response {
        let mut response = (self.0, axum::Json(self.1)).into_response();
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
        response
    }
}

/// An `OperationOutcome` of one error issue (`code` from FHIR's IssueType).
pub fn outcome(status: StatusCode, code: &str, diagnostics: impl Into<String>) -> Fhir {
    Fhir(
        status,
        json!({
            "resourceType": "OperationOutcome",
            "issue": [{"severity": "error", "code": code, "diagnostics": diagnostics.into()}],
        }),
    )
}

/// The caller, or the OperationOutcome of why not (401 without a session or token, the
/// API's answer otherwise).
fn signed_in(caller: Result<Caller, Response>) -> Result<(Caller, Scope), Fhir> {
    let caller = caller.map_err(|refused| {
        let status = refused.status();
        outcome(
            status,
            if status == StatusCode::UNAUTHORIZED {
                "login"
            } else {
                "security"
            },
            "sign in: send a bearer token from POST /api/session or an API token",
        )
    })?;
    let scope = Scope::of(&caller)
        .map_err(|problem| outcome(StatusCode::FORBIDDEN, "security", problem.detail.clone()))?;
    Ok((caller, scope))
}

/// The base of absolute URLs (`fullUrl`, paging links), from the request's `Host`.
fn base_url(app: &App, headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| h.bytes().all(|b| b.is_ascii_graphic()))
        .unwrap_or("localhost");
    let scheme = if app.secure_cookies { "https" } else { "http" };
    format!("{scheme}://{host}/fhir")
}

async fn metadata(State(app): State<App>) -> Fhir {
    Fhir(StatusCode::OK, capability_statement(&app))
}

fn capability_statement(app: &App) -> Value {
    let params: Vec<Value> = search::PARAMETERS
        .iter()
        .map(|(name, kind, what)| json!({"name": name, "type": kind, "documentation": what}))
        .collect();
    json!({
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": product::rfc3339(app.now()),
        "kind": "instance",
        "software": {"name": "Hemaflow", "version": env!("CARGO_PKG_VERSION")},
        "implementation": {"description": "Hemaflow blood establishment computer system"},
        "fhirVersion": FHIR_VERSION,
        "format": ["application/fhir+json"],
        "rest": [{
            "mode": "server",
            "security": {
                "description": "Bearer token from POST /api/session (user ID and password) or an \
                    API token issued by an admin; a hospital's token sees only its own units",
            },
            "resource": [{
                "type": "BiologicallyDerivedProduct",
                "interaction": [{"code": "read"}, {"code": "search-type"}],
                "searchParam": params,
            }],
        }],
    })
}

async fn read_product(
    caller: Result<Caller, Response>,
    State(app): State<App>,
    Path(id): Path<String>,
) -> Result<Fhir, Fhir> {
    let (_, scope) = signed_in(caller)?;
    if !search::is_fhir_id(&id) {
        return Err(outcome(
            StatusCode::BAD_REQUEST,
            "invalid",
            format!("{id:?} is not a FHIR id (1-64 letters, digits, '-' or '.')"),
        ));
    }
    let now = app.now();
    let found = app
        .ledger
        .read(|records| {
            records
                .components
                .get(&id)
                .filter(|c| search::visible(&scope, c))
                .map(|c| product::resource(records, c, now))
        })
        .await
        .map_err(|e| {
            outcome(
                StatusCode::INTERNAL_SERVER_ERROR,
                "exception",
                e.to_string(),
            )
        })?;
    found
        .map(|resource| Fhir(StatusCode::OK, resource))
        .ok_or_else(|| {
            outcome(
                StatusCode::NOT_FOUND,
                "not-found",
                format!("BiologicallyDerivedProduct/{id} is not on record"),
            )
        })
}

async fn search_products(
    caller: Result<Caller, Response>,
    State(app): State<App>,
    headers: HeaderMap,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Result<Fhir, Fhir> {
    let (_, scope) = signed_in(caller)?;
    let query = search::Query::parse(&pairs)
        .map_err(|why| outcome(StatusCode::BAD_REQUEST, "invalid", why))?;
    let now = app.now();
    let base = base_url(&app, &headers);
    let bundle = app
        .ledger
        .read(|records| search::bundle(records, &scope, &query, now, &base))
        .await
        .map_err(|e| {
            outcome(
                StatusCode::INTERNAL_SERVER_ERROR,
                "exception",
                e.to_string(),
            )
        })?;
    Ok(Fhir(StatusCode::OK, bundle))
}
