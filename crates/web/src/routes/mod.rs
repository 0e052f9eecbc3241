//! One module per bench or group of routes; `router` puts them together with the CSRF guard,
//! the rendering of problems for browsers, and request tracing.

pub mod admin;
pub mod api;
pub mod assets;
pub mod bedside;
pub mod benches;
pub mod corrections;
pub mod distribution;
pub mod donors;
pub mod health;
pub mod inventory;
pub mod labels;
pub mod login;
pub mod lookback;
pub mod lookback_api;
pub mod openapi;
pub mod orders;
pub mod portal;
pub mod production;
pub mod quality;
pub mod release;
pub mod reports;
pub mod returns;
pub mod supply_api;
pub mod tokens;
pub mod transfusion;
pub mod transfusion_api;
pub mod units;

use axum::extract::DefaultBodyLimit;
use axum::extract::rejection::JsonRejection;
use axum::http::HeaderMap;
use axum::routing::{get, post};
use axum::{Json, Router, middleware};
use hemaflow_domain::Rule;
use hemaflow_domain::ServerCommand;
use hemaflow_domain::access::accounts::required_meaning;
use hemaflow_domain::{ClientCommand, Command, Event, Role};
use hemaflow_service::ledger::{Expected, LedgerError, Outcome, Stale};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::{DefaultOnResponse, TraceLayer};

use crate::App;
use crate::access;
use crate::accounts::{SignInError, authenticate};
use crate::auth::{Caller, csrf, token};
use crate::problem::Problem;
use crate::security;

/// A method router whose roles are checked before its body is read (see `access::admit`).
fn guarded(
    app: &App,
    route: axum::routing::MethodRouter<App>,
    roles: &'static [hemaflow_domain::Role],
) -> axum::routing::MethodRouter<App> {
    route.route_layer(middleware::from_fn_with_state(
        (app.clone(), roles),
        access::admit,
    ))
}

/// The span of one request: its method, path and ID (`x-request-id`, given by the client or
/// made here, and sent back), so that a log line can be found from a user's report.
fn request_span(request: &axum::http::Request<axum::body::Body>) -> tracing::Span {
    let id = request
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-");
    tracing::info_span!(
        "request",
        method = %request.method(),
        path = %request.uri().path(),
        request_id = %id,
    )
}

pub fn router(app: App) -> Router {
    Router::new()
        .route("/health", get(health::get))
        .route("/health/ready", get(health::ready))
        .route("/health/live", get(health::live))
        .route(assets::HTMX_PATH, get(assets::htmx))
        .route(assets::STYLE_PATH, get(assets::style))
        .route(assets::SCAN_PATH, get(assets::scan))
        .route("/login", get(login::get).post(login::post))
        .route("/logout", post(login::logout))
        .route("/", get(units::home))
        .route("/units/lookup", get(units::lookup))
        .route("/units/{din}", get(units::page))
        .route("/units/{din}/{product_code}/label.pdf", get(labels::pdf))
        .route("/units/{din}/{product_code}/label.zpl", get(labels::zpl))
        .route("/release", get(release::queue))
        .route(
            "/release/{component}",
            guarded(&app, post(release::post_release), access::RELEASE),
        )
        .route(
            "/discard/{component}",
            guarded(&app, post(release::post_discard), access::RELEASE),
        )
        .route(
            "/donors",
            guarded(
                &app,
                get(donors::page).post(donors::register),
                access::DONORS,
            ),
        )
        .route(
            "/donors/requalify",
            guarded(&app, post(donors::requalify), access::DONORS),
        )
        .route(
            "/labels",
            guarded(&app, get(labels::page).post(labels::verify), access::LABELS),
        )
        .route("/collection", get(benches::collection))
        .route(
            "/collection/screening",
            guarded(&app, post(benches::post_screening), access::COLLECTION),
        )
        .route(
            "/collection/donation",
            guarded(&app, post(benches::post_collect), access::COLLECTION),
        )
        .route(
            "/testing",
            guarded(
                &app,
                get(benches::testing).post(benches::post_results),
                access::TESTING,
            ),
        )
        .route("/testing/lookup", get(benches::testing_lookup))
        .route(
            "/testing/csv",
            guarded(&app, post(benches::post_results_csv), access::TESTING),
        )
        .route(
            "/production",
            guarded(
                &app,
                get(production::page).post(benches::post_produce),
                access::PRODUCTION,
            ),
        )
        .route(
            "/production/modify",
            guarded(&app, post(production::post_modify), access::PRODUCTION),
        )
        .route(
            "/production/divide",
            guarded(&app, post(production::post_divide), access::PRODUCTION),
        )
        .route(
            "/production/pool",
            guarded(&app, post(production::post_pool), access::PRODUCTION),
        )
        .route(
            "/production/bacterial-control",
            guarded(&app, post(production::post_bacterial), access::PRODUCTION),
        )
        .route("/inventory", get(inventory::page))
        .route("/portal", guarded(&app, get(portal::page), access::PORTAL))
        .route(
            "/portal/orders",
            guarded(&app, post(portal::place_order), access::PORTAL),
        )
        .route(
            "/portal/standing-orders",
            guarded(&app, post(portal::place_standing_order), access::PORTAL),
        )
        .route(
            "/portal/shipments/{shipment_id}",
            guarded(&app, get(portal::receipt_page), access::PORTAL),
        )
        .route(
            "/portal/shipments/{shipment_id}/receive",
            guarded(&app, post(portal::receive), access::PORTAL),
        )
        .route(
            "/portal/returns",
            guarded(&app, post(portal::return_unit), access::PORTAL),
        )
        .route(
            "/orders/{order_id}",
            guarded(&app, get(orders::page), access::ORDERS),
        )
        .route(
            "/orders/{order_id}/cancel",
            guarded(&app, post(orders::cancel), access::ORDER_WRITERS),
        )
        .route(
            "/orders/{order_id}/allocate",
            guarded(&app, post(orders::allocate), access::DISTRIBUTION),
        )
        .route(
            "/orders/{order_id}/pick",
            guarded(&app, post(orders::pick), access::DISTRIBUTION),
        )
        .route(
            "/shipments/{shipment_id}",
            guarded(&app, get(distribution::shipment_page), access::ORDERS),
        )
        .route(
            "/shipments/{shipment_id}/ship",
            guarded(&app, post(orders::ship), access::DISTRIBUTION),
        )
        .route(
            "/shipments/{shipment_id}/packing-list.pdf",
            guarded(&app, get(distribution::packing_list), access::ORDERS),
        )
        .route(
            "/shipments/{shipment_id}/label.pdf",
            guarded(&app, get(distribution::shipping_label), access::ORDERS),
        )
        .route(
            "/distribution",
            guarded(&app, get(distribution::page), access::DISTRIBUTION),
        )
        .route(
            "/distribution/transfers",
            guarded(
                &app,
                get(distribution::transfers).post(distribution::dispatch),
                access::DISTRIBUTION,
            ),
        )
        .route(
            "/distribution/transfers/receive",
            guarded(&app, post(distribution::receive), access::DISTRIBUTION),
        )
        .route(
            "/returns",
            guarded(&app, get(returns::page), access::RETURNS_REVIEW),
        )
        .route(
            "/returns/{component}/review",
            guarded(&app, post(returns::review), access::RETURNS_REVIEW),
        )
        .route(
            "/reports",
            guarded(&app, get(reports::index), access::REPORTS),
        )
        .route(
            "/reports/{report}",
            guarded(&app, get(reports::page), access::REPORTS),
        )
        .route(
            "/reports/{report}/{format}",
            guarded(&app, get(reports::download), access::REPORTS),
        )
        .route(
            "/admin/users",
            guarded(&app, get(admin::page).post(admin::create), access::ADMIN),
        )
        .route(
            "/admin/users/{user_id}/disable",
            guarded(&app, post(admin::disable), access::ADMIN),
        )
        .route(
            "/admin/users/{user_id}/password",
            guarded(&app, post(admin::set_password), access::ADMIN),
        )
        .route(
            "/quality",
            guarded(&app, get(quality::page), access::QUALITY),
        )
        .route(
            "/quality/holds",
            guarded(&app, post(quality::post_place), access::QUALITY),
        )
        .route(
            "/quality/holds/release",
            guarded(&app, post(quality::post_release_hold), access::QUALITY),
        )
        .route(
            "/quality/resolve",
            guarded(&app, post(quality::post_resolve), access::QUALITY),
        )
        .route(
            "/quality/lookbacks",
            guarded(&app, get(lookback::board), access::QUALITY),
        )
        .route(
            "/quality/retention",
            guarded(&app, get(lookback::retention_page), access::QUALITY),
        )
        .route(
            "/corrections",
            guarded(&app, get(corrections::page), access::CORRECTIONS),
        )
        .route(
            "/corrections/screening",
            guarded(&app, post(corrections::post_screening), access::COLLECTION),
        )
        .route(
            "/corrections/result",
            guarded(&app, post(corrections::post_result), access::TESTING),
        )
        .route(
            "/quality/lookbacks/{id}",
            guarded(&app, get(lookback::lookback_page), access::QUALITY),
        )
        .route(
            "/quality/recalls/{id}",
            guarded(&app, get(lookback::recall_page), access::QUALITY),
        )
        .route(
            "/quality/deviations/{id}",
            guarded(&app, get(lookback::deviation_page), access::QUALITY),
        )
        .route(
            "/quality/lookback/act",
            guarded(&app, post(lookback::act), access::QUALITY),
        )
        .route(
            "/admin/tokens",
            guarded(&app, post(tokens::post_issue), access::ADMIN),
        )
        .route(
            "/admin/tokens/{token_id}/revoke",
            guarded(&app, post(tokens::post_revoke), access::ADMIN),
        )
        .route(
            "/transfusion",
            guarded(&app, get(transfusion::page), access::TRANSFUSION),
        )
        .route(
            "/transfusion/lookup",
            guarded(&app, get(transfusion::lookup), access::TRANSFUSION),
        )
        .route(
            "/transfusion/patients",
            guarded(&app, post(transfusion::register), access::TRANSFUSION),
        )
        .route(
            "/transfusion/patients/{hospital}/{location}/{number}",
            guarded(&app, get(transfusion::patient_page), access::TRANSFUSION),
        )
        .route(
            "/transfusion/samples",
            guarded(&app, post(transfusion::receive_sample), access::TRANSFUSION),
        )
        .route(
            "/transfusion/samples/type",
            guarded(&app, post(transfusion::type_sample), access::TRANSFUSION),
        )
        .route(
            "/transfusion/samples/screen",
            guarded(&app, post(transfusion::screen_sample), access::TRANSFUSION),
        )
        .route(
            "/transfusion/samples/antibodies",
            guarded(
                &app,
                post(transfusion::identify_antibodies),
                access::TRANSFUSION,
            ),
        )
        .route(
            "/quality/emergency-releases",
            guarded(&app, get(transfusion::review_page), access::QUALITY),
        )
        .route(
            "/quality/emergency-releases/review",
            guarded(&app, post(transfusion::review_emergency), access::QUALITY),
        )
        .route(
            "/transfusion/antigen",
            guarded(&app, post(transfusion::type_antigen), access::TRANSFUSION),
        )
        .route(
            "/transfusion/discrepancy",
            guarded(
                &app,
                post(transfusion::resolve_discrepancy),
                access::TRANSFUSION,
            ),
        )
        .route(
            "/transfusion/mtp",
            guarded(&app, post(transfusion::activate_mtp), access::TRANSFUSION),
        )
        .route(
            "/transfusion/mtp/round",
            guarded(&app, post(transfusion::issue_round), access::TRANSFUSION),
        )
        .route(
            "/transfusion/mtp/stand-down",
            guarded(&app, post(transfusion::stand_down_mtp), access::TRANSFUSION),
        )
        .route(
            "/transfusion/receive",
            guarded(&app, post(transfusion::receive_unit), access::TRANSFUSION),
        )
        .route(
            "/transfusion/retype",
            guarded(&app, post(transfusion::retype), access::TRANSFUSION),
        )
        .route(
            "/transfusion/crossmatch",
            guarded(&app, post(transfusion::crossmatch), access::TRANSFUSION),
        )
        .route(
            "/transfusion/issue",
            guarded(&app, post(transfusion::issue), access::TRANSFUSION),
        )
        .route(
            "/transfusion/return",
            guarded(
                &app,
                post(transfusion::return_to_stock),
                access::TRANSFUSION,
            ),
        )
        .route(
            "/transfusion/waste",
            guarded(&app, post(transfusion::waste), access::TRANSFUSION),
        )
        .route(
            "/transfusion/emergency",
            guarded(
                &app,
                post(transfusion::release_emergency),
                access::TRANSFUSION,
            ),
        )
        .route(
            "/transfusion/emergency/sign",
            guarded(&app, post(transfusion::sign_emergency), access::TRANSFUSION),
        )
        .route(
            "/transfusion/requirements",
            guarded(
                &app,
                post(transfusion::add_requirement),
                access::TRANSFUSION,
            ),
        )
        .route(
            "/bedside",
            guarded(&app, get(bedside::page), access::BEDSIDE),
        )
        .route(
            "/bedside/start",
            guarded(&app, post(bedside::start), access::BEDSIDE),
        )
        .route(
            "/bedside/end",
            guarded(&app, post(bedside::end), access::BEDSIDE),
        )
        .route(
            "/bedside/reaction",
            guarded(&app, post(bedside::reaction), access::BEDSIDE),
        )
        .route(
            "/bedside/waste",
            guarded(&app, post(bedside::waste), access::BEDSIDE),
        )
        .route(
            "/bedside/remote",
            guarded(
                &app,
                get(bedside::remote_page).post(bedside::remote_issue),
                access::BEDSIDE,
            ),
        )
        .nest("/api", api::router().split_for_parts().0)
        .nest("/fhir", crate::fhir::router())
        .route("/metrics", get(crate::metrics::get))
        .route_layer(middleware::from_fn_with_state(
            app.clone(),
            crate::metrics::track,
        ))
        .layer(middleware::from_fn_with_state(app.clone(), csrf::guard))
        .layer(middleware::from_fn_with_state(
            app.clone(),
            security::bound_body,
        ))
        .layer(middleware::from_fn_with_state(
            app.clone(),
            security::limit_sign_ins,
        ))
        .layer(DefaultBodyLimit::max(app.guards.limits.body_bytes))
        .layer(middleware::from_fn(crate::problem::render_for_browser))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(request_span)
                .on_response(DefaultOnResponse::new().level(tracing::Level::INFO)),
        )
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .layer(middleware::from_fn_with_state(
            app.clone(),
            security::headers,
        ))
        .with_state(app)
}

/// A command ID from a form (so that a double submit gets the first answer) or a new one.
pub fn command_id(given: Option<&str>) -> Result<String, Problem> {
    match given.map(str::trim).filter(|id| !id.is_empty()) {
        None => Ok(token::generate()),
        Some(id) if id.len() <= 128 && id.bytes().all(|b| b.is_ascii_graphic()) => {
            Ok(id.to_owned())
        }
        Some(_) => Err(Problem::input(
            "the command ID must be 1 to 128 printable ASCII characters",
        )),
    }
}

/// Gives `command` as the caller: its events, or the refusal (recorded in the ledger) as a
/// problem naming the rule.
pub async fn execute(
    app: &App,
    caller: &Caller,
    command_id: &str,
    command: &Command,
) -> Result<Vec<Event>, Problem> {
    execute_seen(app, caller, command_id, command, &[]).await
}

/// Gives the command of a form with the form's `command_id` (a double submit gets the first
/// answer) or a new one.
pub async fn execute_form(
    app: &App,
    caller: &Caller,
    form_id: Option<&str>,
    command: &Command,
) -> Result<Vec<Event>, Problem> {
    execute(app, caller, &command_id(form_id)?, command).await
}

/// Gives the command of a form that changes existing records, each `(kind, id)` as the page
/// showed it (the form's `seen`, required; see [`execute_seen`]).
pub async fn execute_form_seen(
    app: &App,
    caller: &Caller,
    form_id: Option<&str>,
    form_seen: Option<i64>,
    command: &Command,
    records: &[(&str, &str)],
) -> Result<Vec<Event>, Problem> {
    let at = required_seen(form_seen)?;
    let expected: Vec<Expected> = records
        .iter()
        .map(|(kind, id)| seen(kind, id, at))
        .collect();
    execute_seen(app, caller, &command_id(form_id)?, command, &expected).await
}

/// Whether a request comes from htmx (which shows a fragment in the page) rather than a
/// plain form (which is answered with the next page).
pub fn is_htmx(headers: &HeaderMap) -> bool {
    headers.contains_key("hx-request")
}

/// The first value of the field `name` of a form read as pairs (forms whose fields are
/// numbered rows), trimmed; empty when the form does not send it.
pub fn form_field<'a>(fields: &'a [(String, String)], name: &str) -> &'a str {
    fields
        .iter()
        .find(|(key, _)| key == name)
        .map_or("", |(_, value)| value.trim())
}

/// A role from its key (`lab_technologist`), as forms and the API send it.
pub fn parse_role(key: &str) -> Result<Role, Problem> {
    serde_json::from_value(serde_json::Value::String(key.to_owned()))
        .map_err(|_| Problem::input(format!("{key:?} is not a role")))
}

/// The JSON body of an API request, or 400 saying what is wrong with it.
pub fn json_body<T>(body: Result<Json<T>, JsonRejection>) -> Result<T, Problem> {
    body.map(|Json(value)| value)
        .map_err(|rejection| Problem::input(rejection.body_text()))
}

/// The record `kind`/`id` as its user saw it: unchanged since ledger entry `seen` (the
/// `seen` field of a form, read with the page; see [`Seen`]).
pub fn seen(kind: &str, id: &str, seen: i64) -> Expected {
    Expected {
        kind: kind.to_owned(),
        id: id.to_owned(),
        seen,
    }
}

/// The `seen` field of a form that changes an existing record: required, so that no page can
/// change a record without saying what it showed.
pub fn required_seen(seen: Option<i64>) -> Result<i64, Problem> {
    seen.filter(|s| *s >= 0).ok_or_else(|| {
        Problem::input(
            "the form does not say which version of the record you saw (field seen); reload the page and try again",
        )
    })
}

/// As [`execute`], refused with 409 and nothing recorded when a record of `seen` was changed
/// after the user read it (no lost updates); the check is the ledger's, atomic with the append.
pub async fn execute_seen(
    app: &App,
    caller: &Caller,
    command_id: &str,
    command: &Command,
    seen: &[Expected],
) -> Result<Vec<Event>, Problem> {
    security::check_lengths(command)?;
    let receipt = app
        .ledger
        .execute_expecting(command_id, command, &caller.context(), seen)
        .await;
    let kind = crate::metrics::command_type(command);
    let receipt = match receipt {
        Ok(receipt) => receipt,
        Err(error) => {
            app.metrics.command(&kind, "error");
            return Err(ledger_problem(app, error).await);
        }
    };
    match receipt.outcome {
        Outcome::Accepted { events } => {
            app.metrics.command(&kind, "accepted");
            Ok(events)
        }
        Outcome::Refused { rule, message } => {
            app.metrics.command(&kind, "refused");
            app.metrics.refusal(&rule);
            Err(Problem::refused(&rule, message))
        }
    }
}

/// The problem a ledger error is for the caller.
async fn ledger_problem(app: &App, error: LedgerError) -> Problem {
    match error {
        error @ LedgerError::CommandIdReused { .. } => Problem::input(error.to_string()),
        LedgerError::Stale(stale) => stale_problem(app, &stale).await,
        other => Problem::internal(other),
    }
}

/// The components of an electronic signature a person gave with a command: the user ID
/// (asked at the first signing of a session) and the password (asked every time).
#[derive(Debug, Clone, Copy)]
pub struct Signature<'a> {
    pub user_id: Option<&'a str>,
    pub password: &'a str,
}

impl<'a> Signature<'a> {
    /// From a form's or a request's fields; an empty user ID is none given.
    pub fn new(user_id: Option<&'a str>, password: &'a str) -> Signature<'a> {
        Signature {
            user_id: user_id.map(str::trim).filter(|id| !id.is_empty()),
            password,
        }
    }
}

/// P11-SIGN: gives a command that needs an electronic signature, with both components at the
/// first signing of a continuous session (the user ID, which must be the signed-in user's,
/// and the password) and at least the password at every later one (21 CFR 11.200(a)(1)(i)).
/// A wrong password counts towards the lockout and records nothing on the ledger but the
/// failed attempt.
pub async fn execute_signed(
    app: &App,
    caller: &Caller,
    command_id: &str,
    signature: Signature<'_>,
    command: ClientCommand,
    seen: &[Expected],
) -> Result<Vec<Event>, Problem> {
    let Some(meaning) = required_meaning(&command) else {
        return execute_seen(app, caller, command_id, &Command::Client(command), seen).await;
    };
    let Some(session) = caller.session.as_deref() else {
        return Err(Problem::refused(
            Rule::P11Sign.as_str(),
            format!(
                "an API token cannot sign: {} needs a person's signature (user ID and password)",
                command.describe()
            ),
        ));
    };
    check_components(caller, &signature, &command)?;
    match authenticate(app, &caller.user.id, signature.password, "signature").await {
        Ok(_) => app.sessions.mark_signed(session, &caller.user.id),
        Err(SignInError::Ledger(cause)) => return Err(Problem::internal(cause)),
        Err(SignInError::Throttled(throttled)) => return Err(throttled.into()),
        Err(refused) => {
            return Err(Problem::refused(
                Rule::P11Sign.as_str(),
                format!("signature refused: {refused}"),
            ));
        }
    }
    let signed = Command::Server(ServerCommand::Signed {
        meaning: meaning.to_owned(),
        command: Box::new(command),
    });
    execute_seen(app, caller, command_id, &signed, seen).await
}

/// The components a signing needs before the password is checked: the password always, the
/// user ID at the session's first signing, and a user ID given must be the signed-in user's.
fn check_components(
    caller: &Caller,
    signature: &Signature<'_>,
    command: &ClientCommand,
) -> Result<(), Problem> {
    let refuse = |why: String| Err(Problem::refused(Rule::P11Sign.as_str(), why));
    match signature.user_id {
        None if !caller.signed_before => {
            return refuse(format!(
                "{} needs your signature: enter your user ID and your password (the first \
                 signature of a session takes both)",
                command.describe()
            ));
        }
        Some(given) if !given.eq_ignore_ascii_case(&caller.user.id) => {
            return refuse(format!(
                "signature refused: the user ID {given:?} is not that of the person signed in; \
                 sign with your own"
            ));
        }
        _ => {}
    }
    if signature.password.is_empty() {
        return refuse(format!(
            "{} needs your signature: enter your password",
            command.describe()
        ));
    }
    Ok(())
}

/// 409: "changed by <name> at <time>; look again", naming the person (or token) who changed
/// the record since the user read it.
async fn stale_problem(app: &App, stale: &Stale) -> Problem {
    let actor = stale.changed_by.clone();
    let name = app
        .ledger
        .read(|state| {
            state.users.get(&actor).map(|u| u.name.clone()).or_else(|| {
                state
                    .api_tokens
                    .values()
                    .find(|t| t.actor() == actor)
                    .map(|t| format!("API token {}", t.name))
            })
        })
        .await
        .ok()
        .flatten()
        .unwrap_or(actor);
    let at = stale.changed_at.strftime("%Y-%m-%d %H:%M:%S UTC");
    Problem::new(
        axum::http::StatusCode::CONFLICT,
        "STALE",
        "Changed since you looked",
        format!(
            "{} {} was changed by {name} at {at}; look again (nothing was recorded)",
            stale.kind, stale.id
        ),
    )
}
