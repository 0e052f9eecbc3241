//! The JSON API: the same commands and queries as the pages, for machine clients (instruments,
//! hospital systems) with a bearer token of an account with a role. Errors are RFC 9457
//! problem details. The routes are listed in `/api/openapi.json` (see `openapi.rs`).

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use hemaflow_domain::Rule;
use hemaflow_domain::access::accounts::required_meaning;
use hemaflow_domain::{ClientCommand, Command, Role, queries};
use serde::Deserialize;
use serde_json::{Value, json};

use super::units::unit_view;
use super::{Signature, command_id, execute_signed, json_body};
use crate::App;
use crate::access;
use crate::accounts::{SignInError, authenticate};
use crate::auth::caller::bearer_from_headers;
use crate::auth::{Caller, session};
use crate::problem::Problem;

pub fn router() -> Router<App> {
    Router::new()
        .route("/session", post(open_session).delete(close_session))
        .route("/me", get(me))
        .route("/commands", post(post_command))
        .route("/units/{din}", get(get_unit))
        .route("/release-queue", get(get_release_queue))
        .route("/donors", get(get_donors))
        .route("/inventory", get(get_inventory))
        .route(
            "/tokens",
            get(super::tokens::api_list).post(super::tokens::api_issue),
        )
        .route("/tokens/{token_id}/revoke", post(super::tokens::api_revoke))
        .route("/reports/{report}", get(super::reports::api))
        .route("/openapi.json", get(super::openapi::get))
        .merge(super::supply_api::router())
        .merge(super::transfusion_api::router())
        .merge(super::lookback_api::router())
        .fallback(not_found)
}

async fn not_found() -> Problem {
    Problem::not_found("no such API route; see /api/openapi.json")
}

#[derive(Deserialize)]
pub struct Credentials {
    user_id: String,
    password: String,
}

/// Signs a machine client in: a bearer token for the account's role, with the same lockout
/// and session limits as a browser.
async fn open_session(
    State(app): State<App>,
    body: Result<Json<Credentials>, JsonRejection>,
) -> Result<Response, Problem> {
    let credentials = json_body(body)?;
    let user_id = credentials.user_id.trim().to_lowercase();
    match authenticate(&app, &user_id, &credentials.password, "API sign-in").await {
        Ok(user) => {
            let now = app.now().unix_timestamp();
            let (token, _) = app
                .sessions
                .open(&user.id, now)
                .await
                .map_err(Problem::internal)?;
            Ok((
                StatusCode::CREATED,
                Json(json!({
                    "token": token,
                    "token_type": "Bearer",
                    "user_id": user.id,
                    "role": user.role,
                    "idle_seconds": session::IDLE_SECONDS,
                    "max_seconds": session::MAX_SECONDS,
                })),
            )
                .into_response())
        }
        Err(SignInError::Ledger(cause)) => Err(Problem::internal(cause)),
        Err(SignInError::Throttled(throttled)) => Err(throttled.into()),
        Err(SignInError::Locked) => Err(Problem::new(
            StatusCode::LOCKED,
            Rule::P11Access.as_str(),
            "Account locked",
            SignInError::Locked.to_string(),
        )),
        Err(wrong) => Err(Problem::new(
            StatusCode::UNAUTHORIZED,
            Rule::P11Access.as_str(),
            "Sign-in refused",
            wrong.to_string(),
        )),
    }
}

async fn close_session(State(app): State<App>, headers: HeaderMap) -> Result<StatusCode, Problem> {
    if let Some(token) = bearer_from_headers(&headers) {
        app.sessions.close(token).await.map_err(Problem::internal)?;
    }
    Ok(StatusCode::NO_CONTENT)
}

async fn me(caller: Caller) -> Json<Value> {
    Json(json!({"user": caller.user.view()}))
}

#[derive(Deserialize)]
pub struct CommandRequest {
    command_id: Option<String>,
    /// What a client may send: a signature, password, token or sign-in record cannot be
    /// said in this type (the server builds those).
    command: ClientCommand,
    /// P11-SIGN: the signer's password, required for every command that needs a signature.
    signature_password: Option<String>,
    /// P11-SIGN: the signer's user ID, required at the first signing of a session
    /// (21 CFR 11.200(a)(1)(i)); if given later, it must still be the signed-in user's.
    signature_user_id: Option<String>,
    /// No lost updates: the records this change was made from, each unchanged since ledger
    /// entry `seen` (the `ledger_sequence` of the read the client made, or the record's own
    /// version); otherwise 409 and nothing is recorded.
    #[serde(default)]
    records_seen: Vec<RecordSeen>,
}

#[derive(Deserialize)]
pub struct RecordSeen {
    kind: String,
    id: String,
    seen: i64,
}

/// Gives one domain command (the JSON of `ClientCommand`, `type` in snake_case). Commands that
/// need a signature take the caller's password in `signature_password`; the commands only the
/// server builds (`signed`, `set_password`, `issue_api_token`, `record_sign_in`) are not
/// client commands, so a request naming one is refused as it is read (the server signs after
/// checking the password, hashes passwords on the admin page and draws token secrets on
/// `POST /api/tokens`).
async fn post_command(
    caller: Caller,
    State(app): State<App>,
    body: Result<Json<CommandRequest>, JsonRejection>,
) -> Result<Response, Problem> {
    let request = json_body(body)?;
    let id = command_id(request.command_id.as_deref())?;
    let seen: Vec<_> = request
        .records_seen
        .iter()
        .map(|r| super::seen(&r.kind, &r.id, r.seen))
        .collect();
    let events = if required_meaning(&request.command).is_some() {
        let password = request.signature_password.unwrap_or_default();
        let signature = Signature::new(request.signature_user_id.as_deref(), &password);
        execute_signed(&app, &caller, &id, signature, request.command, &seen).await?
    } else {
        let command = Command::Client(request.command);
        super::execute_seen(&app, &caller, &id, &command, &seen).await?
    };
    Ok((
        StatusCode::OK,
        Json(json!({"command_id": id, "outcome": "accepted", "events": events})),
    )
        .into_response())
}

async fn get_unit(
    caller: Caller,
    State(app): State<App>,
    Path(din): Path<String>,
) -> Result<Json<Value>, Problem> {
    caller.require(access::ANY)?;
    let din = crate::scan::din_in_path(&din)?;
    let now = app.now();
    let (view, sequence) = app
        .ledger
        .read_at(|records| unit_view(records, &din, &caller.user, now))
        .await?;
    let view = view.ok_or_else(|| {
        Problem::not_found(format!("no donation or unit with DIN {din} is on record"))
    })?;
    let mut body = json!(view);
    body["ledger_sequence"] = json!(sequence);
    Ok(Json(body))
}

async fn get_release_queue(caller: Caller, State(app): State<App>) -> Result<Json<Value>, Problem> {
    caller.require(access::RELEASE)?;
    let now = app.now();
    let (lines, sequence) = app
        .ledger
        .read_at(|records| super::release::queue_lines(records, now))
        .await?;
    Ok(Json(json!({"units": lines, "ledger_sequence": sequence})))
}

#[derive(Deserialize)]
pub struct DonorQuery {
    name: String,
    date_of_birth: Option<String>,
}

async fn get_donors(
    caller: Caller,
    State(app): State<App>,
    Query(query): Query<DonorQuery>,
) -> Result<Json<Value>, Problem> {
    caller.require(access::DONORS)?;
    let born = super::donors::parse_date(query.date_of_birth.as_deref())?;
    if query.name.trim().len() < 2 {
        return Err(Problem::input("give at least two letters of the name"));
    }
    let donors = app
        .ledger
        .read(|records| {
            queries::search_donors(records, query.name.trim(), born)
                .into_iter()
                .map(|d| json!(d))
                .collect::<Vec<_>>()
        })
        .await?;
    Ok(Json(json!({"donors": donors})))
}

async fn get_inventory(caller: Caller, State(app): State<App>) -> Result<Json<Value>, Problem> {
    caller.require(access::INVENTORY)?;
    let now = app.now();
    let (groups, expiring) = app
        .ledger
        .read(|records| {
            (
                super::inventory::groups(records, now),
                super::inventory::expiring_soon(records, now),
            )
        })
        .await?;
    Ok(Json(json!({"groups": groups, "expiring_soon": expiring})))
}

/// Roles listed for documentation of the API's role checks.
pub fn role_names(roles: &[Role]) -> Vec<&'static str> {
    roles.iter().map(|r| r.as_str()).collect()
}
