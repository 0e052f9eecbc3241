//! One module per bench or group of routes; `router` puts them together with the CSRF guard,
//! the rendering of problems for browsers, and request tracing.

pub mod admin;
pub mod api;
pub mod assets;
pub mod benches;
pub mod distribution;
pub mod donors;
pub mod health;
pub mod inventory;
pub mod labels;
pub mod login;
pub mod openapi;
pub mod orders;
pub mod portal;
pub mod release;
pub mod reports;
pub mod returns;
pub mod supply_api;
pub mod units;

use axum::Router;
use axum::middleware;
use axum::routing::{get, post};
use hemaflow_domain::accounts::required_meaning;
use hemaflow_domain::{Command, Event};
use hemaflow_service::ledger::Outcome;
use tower_http::trace::TraceLayer;

use crate::App;
use crate::access;
use crate::accounts::{SignInError, authenticate};
use crate::auth::{Caller, csrf, token};
use crate::problem::Problem;

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

pub fn router(app: App) -> Router {
    Router::new()
        .route("/health", get(health::get))
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
                get(benches::production).post(benches::post_produce),
                access::PRODUCTION,
            ),
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
        .nest("/api", api::router())
        .layer(middleware::from_fn_with_state(app.clone(), csrf::guard))
        .layer(middleware::from_fn(crate::problem::render_for_browser))
        .layer(TraceLayer::new_for_http())
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
    let receipt = app
        .ledger
        .execute(command_id, command, &caller.context())
        .await
        .map_err(|error| match error {
            hemaflow_service::ledger::LedgerError::CommandIdReused { .. } => {
                Problem::input(error.to_string())
            }
            other => Problem::internal(other),
        })?;
    match receipt.outcome {
        Outcome::Accepted { events } => Ok(events),
        Outcome::Refused { rule, message } => Err(Problem::refused(&rule, message)),
    }
}

/// P11-SIGN: gives a command that needs an electronic signature, after the caller re-entered
/// their password (the second component; the first is the signed-in user ID). A wrong
/// password counts towards the lockout and records nothing on the ledger.
pub async fn execute_signed(
    app: &App,
    caller: &Caller,
    command_id: &str,
    password: &str,
    command: Command,
) -> Result<Vec<Event>, Problem> {
    let Some(meaning) = required_meaning(&command) else {
        return execute(app, caller, command_id, &command).await;
    };
    if password.is_empty() {
        return Err(Problem::refused(
            "P11-SIGN",
            format!(
                "{} needs your signature: enter your password",
                command.describe()
            ),
        ));
    }
    match authenticate(
        &app.ledger,
        &app.guard,
        &caller.user.id,
        password,
        "signature",
    )
    .await
    {
        Ok(_) => {}
        Err(SignInError::Ledger(cause)) => return Err(Problem::internal(cause)),
        Err(refused) => {
            return Err(Problem::refused(
                "P11-SIGN",
                format!("signature refused: {refused}"),
            ));
        }
    }
    let signed = Command::Signed {
        meaning: meaning.to_owned(),
        command: Box::new(command),
    };
    execute(app, caller, command_id, &signed).await
}
