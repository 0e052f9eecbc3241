//! The JSON API of hospital supply: orders (a hospital user sees only its own hospital's),
//! an order's detail at every step, the allocation proposal, shipments, returns waiting for
//! review, and the units at the caller's hospital. The commands themselves (place_order,
//! allocate_order, pick_unit, ship_shipment, confirm_receipt, return_unit, review_return,
//! dispatch_transfer, receive_transfer...) go through `POST /api/commands`.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use hemaflow_domain::distribution::allocation::{Proposal, propose_allocation};
use hemaflow_domain::distribution::orders::{Order, OrderStatus};
use hemaflow_domain::distribution::shipping::{Shipment, ShipmentStatus};
use hemaflow_domain::manufacturing::components::Component;
use hemaflow_domain::queries::{self, OrderDetail};
use serde::Serialize;
use serde_json::{Value, json};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::orders::SiteQuery;
use crate::App;
use crate::access;
use crate::auth::Caller;
use crate::problem::{Problem, ReadProblems};
use crate::supply::{Scope, visible_order, visible_shipment};

pub fn router() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(orders))
        .routes(routes!(order))
        .routes(routes!(proposal))
        .routes(routes!(shipments))
        .routes(routes!(shipment))
        .routes(routes!(returns))
        .routes(routes!(hospital_inventory))
}

/// An answer serialised inside the read (it borrows the records), its `ledger_sequence` set
/// once the read says which entry it was made at.
fn to_json(answer: impl Serialize) -> Result<Value, Problem> {
    serde_json::to_value(answer).map_err(Problem::internal)
}

fn at_sequence(mut answer: Value, sequence: i64) -> Response {
    answer["ledger_sequence"] = json!(sequence);
    Json(answer).into_response()
}

/// An order as listed: the order, its status and whether its clock is at risk.
#[derive(Serialize, ToSchema)]
pub struct OrderListed<'a> {
    #[serde(flatten)]
    order: &'a Order,
    status: OrderStatus,
    /// ORDER-CLOCK: the order is pending and its due time is near or past.
    at_risk: bool,
}

/// Orders, pending first by due time.
#[derive(Serialize, ToSchema)]
pub struct Orders<'a> {
    orders: Vec<OrderListed<'a>>,
    ledger_sequence: i64,
}

/// Orders: pending first by due time (ORDER-CLOCK), then the rest, latest first; place one
/// with the command `place_order`. Hospital users see their own hospital's only.
#[utoipa::path(
    get,
    path = "/orders",
    operation_id = "list_orders",
    tag = "supply",
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, description = "The orders", body = Orders), ReadProblems)
)]
async fn orders(caller: Caller, State(app): State<App>) -> Result<Response, Problem> {
    caller.require(access::ORDERS)?;
    Scope::of(&caller)?;
    let now = app.now();
    let (answer, ledger_sequence) = app
        .ledger
        .read_at(|records| {
            let orders = queries::visible_orders(records, caller.user.role, &caller.user.id)
                .into_iter()
                .map(|order| OrderListed {
                    order,
                    status: order.status(),
                    at_risk: hemaflow_domain::distribution::orders::at_risk(
                        &records.config,
                        order,
                        now,
                    ),
                })
                .collect();
            to_json(Orders {
                orders,
                ledger_sequence: 0,
            })
        })
        .await?;
    Ok(at_sequence(answer?, ledger_sequence))
}

/// An order's detail and the ledger entry it was read at.
#[derive(Serialize, ToSchema)]
pub struct OrderAnswer<'a> {
    #[serde(flatten)]
    detail: OrderDetail<'a>,
    /// The `seen` of a change made from this read (`records_seen`).
    ledger_sequence: i64,
}

/// An order with its status at every step, its lines' progress and its shipments, and the
/// `ledger_sequence` it was read at (the `seen` of a change made from it: `records_seen`).
#[utoipa::path(
    get,
    path = "/orders/{order_id}",
    operation_id = "get_order",
    tag = "supply",
    security(("bearer" = []), ("session" = [])),
    params(("order_id" = String, Path, description = "the order's ID")),
    responses((status = 200, description = "The order", body = OrderAnswer), ReadProblems)
)]
async fn order(
    caller: Caller,
    State(app): State<App>,
    Path(order_id): Path<String>,
) -> Result<Response, Problem> {
    caller.require(access::ORDERS)?;
    let scope = Scope::of(&caller)?;
    let now = app.now();
    let (answer, sequence) = app
        .ledger
        .read_at(|records| {
            visible_order(records, &scope, &order_id)?;
            let detail = queries::order_detail(records, &order_id, now)
                .ok_or_else(|| Problem::not_found(format!("no order {order_id}")))?;
            to_json(OrderAnswer {
                detail,
                ledger_sequence: 0,
            })
        })
        .await?;
    Ok(at_sequence(answer?, sequence))
}

/// A proposal and the ledger entry it was made at.
#[derive(Serialize, ToSchema)]
pub struct ProposalAnswer {
    #[serde(flatten)]
    proposal: Proposal,
    ledger_sequence: i64,
}

/// The units Hemaflow proposes for each line (ALLOC-FEFO, ALLOC-SUBST: substitutions shown,
/// shortfall stated), nothing reserved; confirm or change with the command `allocate_order`
/// (distribution).
#[utoipa::path(
    get,
    path = "/orders/{order_id}/proposal",
    operation_id = "get_order_proposal",
    tag = "supply",
    security(("bearer" = []), ("session" = [])),
    params(
        ("order_id" = String, Path, description = "the order's ID"),
        ("site" = String, Query, description = "the site to allocate from"),
    ),
    responses((status = 200, description = "The proposal", body = ProposalAnswer), ReadProblems)
)]
async fn proposal(
    caller: Caller,
    State(app): State<App>,
    Path(order_id): Path<String>,
    Query(query): Query<SiteQuery>,
) -> Result<Json<ProposalAnswer>, Problem> {
    caller.require(access::DISTRIBUTION)?;
    let site = query
        .site
        .filter(|s| !s.trim().is_empty())
        .ok_or_else(|| Problem::input("give the site to allocate from: ?site=ID"))?;
    let now = app.now();
    let (proposal, ledger_sequence) = app
        .ledger
        .read_at(|records| propose_allocation(records, &order_id, &site, now))
        .await?;
    let proposal =
        proposal.map_err(|refusal| Problem::refused(refusal.rule.as_str(), refusal.message))?;
    Ok(Json(ProposalAnswer {
        proposal,
        ledger_sequence,
    }))
}

/// A shipment and its status.
#[derive(Serialize, ToSchema)]
pub struct ShipmentListed<'a> {
    #[serde(flatten)]
    shipment: &'a Shipment,
    status: ShipmentStatus,
}

/// Shipments, latest first.
#[derive(Serialize, ToSchema)]
pub struct Shipments<'a> {
    shipments: Vec<ShipmentListed<'a>>,
    ledger_sequence: i64,
}

/// Shipments, latest first, with status; `pick_unit`, `ship_shipment` and `confirm_receipt`
/// are commands. Hospital users see their own hospital's only.
#[utoipa::path(
    get,
    path = "/shipments",
    operation_id = "list_shipments",
    tag = "supply",
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, description = "The shipments", body = Shipments), ReadProblems)
)]
async fn shipments(caller: Caller, State(app): State<App>) -> Result<Response, Problem> {
    caller.require(access::ORDERS)?;
    let scope = Scope::of(&caller)?;
    let (answer, sequence) = app
        .ledger
        .read_at(|records| {
            let shipments = queries::shipments(records, scope.hospital())
                .into_iter()
                .map(|shipment| ShipmentListed {
                    shipment,
                    status: shipment.status(),
                })
                .collect();
            to_json(Shipments {
                shipments,
                ledger_sequence: 0,
            })
        })
        .await?;
    Ok(at_sequence(answer?, sequence))
}

/// A shipment and the ledger entry it was read at.
#[derive(Serialize, ToSchema)]
pub struct ShipmentAnswer<'a> {
    #[serde(flatten)]
    shipment: ShipmentListed<'a>,
    /// The `seen` of a change made from this read (`records_seen`).
    ledger_sequence: i64,
}

/// One shipment: units, dispatch (box, temperature range, courier), receipts, and the
/// `ledger_sequence` it was read at.
#[utoipa::path(
    get,
    path = "/shipments/{shipment_id}",
    operation_id = "get_shipment",
    tag = "supply",
    security(("bearer" = []), ("session" = [])),
    params(("shipment_id" = String, Path, description = "the shipment's ID")),
    responses((status = 200, description = "The shipment", body = ShipmentAnswer), ReadProblems)
)]
async fn shipment(
    caller: Caller,
    State(app): State<App>,
    Path(shipment_id): Path<String>,
) -> Result<Response, Problem> {
    caller.require(access::ORDERS)?;
    let scope = Scope::of(&caller)?;
    let (answer, sequence) = app
        .ledger
        .read_at(|records| {
            let shipment = visible_shipment(records, &scope, &shipment_id)?;
            let listed = ShipmentListed {
                shipment,
                status: shipment.status(),
            };
            to_json(ShipmentAnswer {
                shipment: listed,
                ledger_sequence: 0,
            })
        })
        .await?;
    Ok(at_sequence(answer?, sequence))
}

/// A returned unit waiting for review.
#[derive(Serialize, ToSchema)]
pub struct ReturnWaiting {
    component: String,
    hospital: String,
    minutes_out_of_storage: u32,
    seal_intact: bool,
    validated_container: bool,
    reason: String,
    /// DIST-RETURN: each return criterion the unit fails.
    failures: Vec<String>,
}

/// Returned units waiting for review.
#[derive(Serialize, ToSchema)]
pub struct Returns {
    returns: Vec<ReturnWaiting>,
    ledger_sequence: i64,
}

/// Returned units waiting for review, with the return criteria each fails (DIST-RETURN;
/// quality assurance, distribution).
#[utoipa::path(
    get,
    path = "/returns",
    operation_id = "list_returns",
    tag = "supply",
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, description = "The returns waiting", body = Returns), ReadProblems)
)]
async fn returns(caller: Caller, State(app): State<App>) -> Result<Json<Returns>, Problem> {
    caller.require(access::RETURNS_VIEW)?;
    let now = app.now();
    let (returns, ledger_sequence) = app
        .ledger
        .read_at(|records| {
            super::returns::pending(records, now)
                .into_iter()
                .map(|r| ReturnWaiting {
                    component: r.component,
                    hospital: r.hospital,
                    minutes_out_of_storage: r.minutes_out_of_storage,
                    seal_intact: r.seal_intact,
                    validated_container: r.validated_container,
                    reason: r.reason,
                    failures: r.failures,
                })
                .collect()
        })
        .await?;
    Ok(Json(Returns {
        returns,
        ledger_sequence,
    }))
}

/// The units at a hospital.
#[derive(Serialize, ToSchema)]
pub struct HospitalInventory<'a> {
    hospital: String,
    units: Vec<&'a Component>,
}

/// The units shipped to the caller's hospital and still there (hospital user).
#[utoipa::path(
    get,
    path = "/hospital-inventory",
    operation_id = "get_hospital_inventory",
    tag = "supply",
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, description = "The units", body = HospitalInventory), ReadProblems)
)]
async fn hospital_inventory(caller: Caller, State(app): State<App>) -> Result<Response, Problem> {
    caller.require(access::PORTAL)?;
    let scope = Scope::of(&caller)?;
    let hospital = scope.hospital().unwrap_or_default().to_owned();
    let answer = app
        .ledger
        .read(|records| {
            let units = queries::hospital_inventory(records, &hospital);
            Json(HospitalInventory {
                hospital: hospital.clone(),
                units,
            })
            .into_response()
        })
        .await?;
    Ok(answer)
}
