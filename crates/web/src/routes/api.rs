//! The JSON API: the same commands and queries as the pages, for machine clients (instruments,
//! hospital systems) with a bearer token of an account with a role. Errors are RFC 9457
//! problem details. The routes are listed in `/api/openapi.json` (see `openapi.rs`).

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use hemaflow_domain::Event;
use hemaflow_domain::Rule;
use hemaflow_domain::access::accounts::UserView;
use hemaflow_domain::access::accounts::required_meaning;
use hemaflow_domain::donor_centre::donor::Donor;
use hemaflow_domain::{ClientCommand, Command, Role, queries};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::units::unit_view;
use super::{Signature, command_id, execute_signed, json_body};
use crate::App;
use crate::access;
use crate::accounts::{SignInError, authenticate};
use crate::auth::caller::bearer_from_headers;
use crate::auth::{Caller, session};
use crate::problem::{CommandProblems, Problem, ReadProblems, SignInProblems};

/// The API's routes, each documented by its `#[utoipa::path]`: a route is added here with
/// `routes!` so that it cannot be served without being in `/api/openapi.json`
/// (`tests/web/openapi.rs` checks that no other kind of route is registered).
pub fn router() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(open_session, close_session))
        .routes(routes!(me))
        .routes(routes!(post_command))
        .routes(routes!(get_unit))
        .routes(routes!(get_release_queue))
        .routes(routes!(get_donors))
        .routes(routes!(get_inventory))
        .routes(routes!(super::tokens::api_list, super::tokens::api_issue))
        .routes(routes!(super::tokens::api_revoke))
        .routes(routes!(super::reports::api))
        .routes(routes!(super::openapi::get))
        .merge(super::supply_api::router())
        .merge(super::transfusion_api::router())
        .merge(super::lookback_api::router())
        .fallback(not_found)
}

async fn not_found() -> Problem {
    Problem::not_found("no such API route; see /api/openapi.json")
}

/// A user ID and password (`POST /api/session`).
#[derive(Deserialize, ToSchema)]
pub struct Credentials {
    user_id: String,
    password: String,
}

/// A session opened for a machine client: send `token` as `Authorization: Bearer <token>`.
#[derive(Serialize, ToSchema)]
pub struct SessionOpened {
    token: String,
    /// Always `Bearer`.
    token_type: &'static str,
    user_id: String,
    role: Role,
    /// The session closes after this long without a request...
    idle_seconds: i64,
    /// ...or this long after sign-in, whichever comes first.
    max_seconds: i64,
}

/// Signs a machine client in: a bearer token for the account's role, with the same lockout
/// and session limits as a browser.
#[utoipa::path(
    post,
    path = "/session",
    operation_id = "open_session",
    tag = "session",
    security(()),
    request_body = Credentials,
    responses(
        (status = 201, description = "Signed in: a bearer token", body = SessionOpened),
        SignInProblems,
    )
)]
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
            let opened = SessionOpened {
                token,
                token_type: "Bearer",
                user_id: user.id,
                role: user.role,
                idle_seconds: session::IDLE_SECONDS,
                max_seconds: session::MAX_SECONDS,
            };
            Ok((StatusCode::CREATED, Json(opened)).into_response())
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

/// Signs out: the bearer session token is closed (an API token is revoked by an admin instead).
#[utoipa::path(
    delete,
    path = "/session",
    operation_id = "close_session",
    tag = "session",
    security(("bearer" = []), ("session" = [])),
    responses(
        (status = 204, description = "Closed (or there was no session to close)"),
        ReadProblems,
    )
)]
async fn close_session(State(app): State<App>, headers: HeaderMap) -> Result<StatusCode, Problem> {
    if let Some(token) = bearer_from_headers(&headers) {
        app.sessions.close(token).await.map_err(Problem::internal)?;
    }
    Ok(StatusCode::NO_CONTENT)
}

/// The signed-in account.
#[derive(Serialize, ToSchema)]
pub struct Me<'a> {
    user: UserView<'a>,
}

/// The signed-in account (any role).
#[utoipa::path(
    get,
    path = "/me",
    operation_id = "get_me",
    tag = "session",
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, description = "The account", body = Me), ReadProblems)
)]
async fn me(caller: Caller) -> Response {
    Json(Me {
        user: caller.user.view(),
    })
    .into_response()
}

/// One command, as `POST /api/commands` reads it.
#[derive(Deserialize, ToSchema)]
pub struct CommandRequest {
    /// Idempotency key (1 to 128 printable ASCII characters): a retry with the same ID gets
    /// the first answer; a new one is drawn when absent.
    #[serde(default)]
    command_id: Option<String>,
    /// What a client may send: a signature, password, token or sign-in record cannot be
    /// said in this type (the server builds those).
    command: ClientCommand,
    /// P11-SIGN: the signer's password, required for the commands given with an electronic
    /// signature (release, discard, requalification, corrections...). An API token cannot sign.
    #[serde(default)]
    signature_password: Option<String>,
    /// P11-SIGN: the signer's user ID, required at the first signing of a session
    /// (21 CFR 11.200(a)(1)(i)); if given later, it must still be the signed-in user's.
    #[serde(default)]
    signature_user_id: Option<String>,
    /// No lost updates: the records this change was made from, each unchanged since ledger
    /// entry `seen` (the `ledger_sequence` of the read the client made, or the record's own
    /// version); otherwise 409 STALE, naming who changed it and when, and nothing is recorded.
    #[serde(default)]
    records_seen: Vec<RecordSeen>,
}

/// A record a change was made from, as the client read it.
#[derive(Deserialize, ToSchema)]
pub struct RecordSeen {
    /// The kind of record: `component`, `donation`, `deferral`, `hold`, `donor`, `order`,
    /// `shipment`...
    kind: String,
    /// Its ID (a component ID, a DIN, an order ID...).
    id: String,
    /// The `ledger_sequence` of the read it was seen in.
    seen: i64,
}

/// A command accepted and recorded, with the events it caused.
#[derive(Serialize, ToSchema)]
pub struct CommandAccepted {
    command_id: String,
    /// Always `accepted` (a refusal is a problem, with its rule).
    outcome: &'static str,
    events: Vec<Event>,
}

/// Gives one domain command (the JSON of `ClientCommand`, `type` in snake_case). Commands that
/// need a signature take the caller's password in `signature_password`; the commands only the
/// server builds (`signed`, `set_password`, `issue_api_token`, `record_sign_in`) are not
/// client commands, so a request naming one is refused as it is read (the server signs after
/// checking the password, hashes passwords on the admin page and draws token secrets on
/// `POST /api/tokens`).
#[utoipa::path(
    post,
    path = "/commands",
    operation_id = "post_command",
    tag = "commands",
    security(("bearer" = []), ("session" = [], "csrf" = [])),
    request_body = CommandRequest,
    responses(
        (status = 200, description = "Accepted and recorded, with its events", body = CommandAccepted),
        CommandProblems,
    )
)]
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
    let accepted = CommandAccepted {
        command_id: id,
        outcome: "accepted",
        events,
    };
    Ok((StatusCode::OK, Json(accepted)).into_response())
}

/// A donation and its units, and the ledger entry they were read at.
#[derive(Serialize, ToSchema)]
pub struct UnitAnswer {
    #[serde(flatten)]
    view: super::units::UnitView,
    /// The `seen` of a change made from this read (`records_seen`).
    ledger_sequence: i64,
}

/// The scan look-up: a donation and its units by the scan of a DIN (structure 001, with or
/// without its flags, or keyed in), with what blocks each unit's release. Hospital users see
/// only the units shipped to their hospital.
#[utoipa::path(
    get,
    path = "/units/{scan}",
    operation_id = "get_unit",
    tag = "units",
    security(("bearer" = []), ("session" = [])),
    params(("scan" = String, Path, description = "the DIN as scanned (=W1234 26 000001 with flags) or keyed in")),
    responses((status = 200, description = "The donation and its units", body = UnitAnswer), ReadProblems)
)]
async fn get_unit(
    caller: Caller,
    State(app): State<App>,
    Path(din): Path<String>,
) -> Result<Json<UnitAnswer>, Problem> {
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
    Ok(Json(UnitAnswer {
        view,
        ledger_sequence: sequence,
    }))
}

/// The units in quarantine and what blocks each.
#[derive(Serialize, ToSchema)]
pub struct ReleaseQueue {
    units: Vec<super::units::ComponentLine>,
    ledger_sequence: i64,
}

/// Quarantined units and what blocks each (manufacturing, quality assurance).
#[utoipa::path(
    get,
    path = "/release-queue",
    operation_id = "get_release_queue",
    tag = "units",
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, description = "The queue", body = ReleaseQueue), ReadProblems)
)]
async fn get_release_queue(
    caller: Caller,
    State(app): State<App>,
) -> Result<Json<ReleaseQueue>, Problem> {
    caller.require(access::RELEASE)?;
    let now = app.now();
    let (units, sequence) = app
        .ledger
        .read_at(|records| super::release::queue_lines(records, now))
        .await?;
    Ok(Json(ReleaseQueue {
        units,
        ledger_sequence: sequence,
    }))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DonorQuery {
    /// At least two letters of the family or given name.
    name: String,
    /// YYYY-MM-DD.
    #[param(format = Date)]
    date_of_birth: Option<String>,
}

/// Donors whose name matches.
#[derive(Serialize, ToSchema)]
pub struct Donors<'a> {
    donors: Vec<&'a Donor>,
}

/// Donors by name (and date of birth): collection staff, quality assurance.
#[utoipa::path(
    get,
    path = "/donors",
    operation_id = "search_donors",
    tag = "donors",
    security(("bearer" = []), ("session" = [])),
    params(DonorQuery),
    responses((status = 200, description = "The donors found", body = Donors), ReadProblems)
)]
async fn get_donors(
    caller: Caller,
    State(app): State<App>,
    Query(query): Query<DonorQuery>,
) -> Result<Response, Problem> {
    caller.require(access::DONORS)?;
    let born = super::donors::parse_date(query.date_of_birth.as_deref())?;
    if query.name.trim().len() < 2 {
        return Err(Problem::input("give at least two letters of the name"));
    }
    let donors = app
        .ledger
        .read(|records| {
            let donors = queries::search_donors(records, query.name.trim(), born)
                .into_iter()
                .collect();
            Json(Donors { donors }).into_response()
        })
        .await?;
    Ok(donors)
}

/// Stock by site, component, ABO/RhD and days to expiry, and what expires soon.
#[derive(Serialize, ToSchema)]
pub struct Inventory {
    groups: Vec<super::inventory::Group>,
    expiring_soon: Vec<super::inventory::Expiring>,
}

/// Stock by site, component, ABO/RhD and days to expiry (manufacturing, quality assurance,
/// distribution, admin).
#[utoipa::path(
    get,
    path = "/inventory",
    operation_id = "get_inventory",
    tag = "units",
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, description = "The stock", body = Inventory), ReadProblems)
)]
async fn get_inventory(caller: Caller, State(app): State<App>) -> Result<Json<Inventory>, Problem> {
    caller.require(access::INVENTORY)?;
    let now = app.now();
    let (groups, expiring_soon) = app
        .ledger
        .read(|records| {
            (
                super::inventory::groups(records, now),
                super::inventory::expiring_soon(records, now),
            )
        })
        .await?;
    Ok(Json(Inventory {
        groups,
        expiring_soon,
    }))
}

/// Roles listed for documentation of the API's role checks.
pub fn role_names(roles: &[Role]) -> Vec<&'static str> {
    roles.iter().map(|r| r.as_str()).collect()
}
