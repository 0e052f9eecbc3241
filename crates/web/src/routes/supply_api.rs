//! The JSON API of hospital supply: orders (a hospital user sees only its own hospital's),
//! an order's detail at every step, the allocation proposal, shipments, returns waiting for
//! review, and the units at the caller's hospital. The commands themselves (place_order,
//! allocate_order, pick_unit, ship_shipment, confirm_receipt, return_unit, review_return,
//! dispatch_transfer, receive_transfer...) go through `POST /api/commands`.

use axum::extract::{Path, Query, State};
use axum::routing::get;
use axum::{Json, Router};
use hemaflow_domain::distribution::allocation::propose_allocation;
use hemaflow_domain::queries;
use serde_json::{Value, json};

use super::orders::SiteQuery;
use crate::App;
use crate::access;
use crate::auth::Caller;
use crate::problem::Problem;
use crate::supply::{Scope, visible_order, visible_shipment};

pub fn router() -> Router<App> {
    Router::new()
        .route("/orders", get(orders))
        .route("/orders/{order_id}", get(order))
        .route("/orders/{order_id}/proposal", get(proposal))
        .route("/shipments", get(shipments))
        .route("/shipments/{shipment_id}", get(shipment))
        .route("/returns", get(returns))
        .route("/hospital-inventory", get(hospital_inventory))
}

fn to_json(value: impl serde::Serialize) -> Result<Value, Problem> {
    serde_json::to_value(value).map_err(Problem::internal)
}

/// `GET /api/orders`: pending first by due time, then the rest, latest first.
async fn orders(caller: Caller, State(app): State<App>) -> Result<Json<Value>, Problem> {
    caller.require(access::ORDERS)?;
    Scope::of(&caller)?;
    let now = app.now();
    let (orders, sequence) = app
        .ledger
        .read_at(|records| {
            queries::visible_orders(records, caller.user.role, &caller.user.id)
                .into_iter()
                .map(|order| {
                    let mut value = to_json(order)?;
                    value["status"] = json!(order.status());
                    value["at_risk"] = json!(hemaflow_domain::distribution::orders::at_risk(
                        &records.config,
                        order,
                        now
                    ));
                    Ok(value)
                })
                .collect::<Result<Vec<Value>, Problem>>()
        })
        .await?;
    Ok(Json(
        json!({ "orders": orders?, "ledger_sequence": sequence }),
    ))
}

/// `GET /api/orders/{id}`: the order with its status at every step, lines and shipments, and
/// the `ledger_sequence` it was read at (the `seen` of a change made from it: `records_seen`).
async fn order(
    caller: Caller,
    State(app): State<App>,
    Path(order_id): Path<String>,
) -> Result<Json<Value>, Problem> {
    caller.require(access::ORDERS)?;
    let scope = Scope::of(&caller)?;
    let now = app.now();
    let (detail, sequence) = app
        .ledger
        .read_at(|records| {
            visible_order(records, &scope, &order_id)?;
            let detail = queries::order_detail(records, &order_id, now)
                .ok_or_else(|| Problem::not_found(format!("no order {order_id}")))?;
            to_json(detail)
        })
        .await?;
    let mut detail = detail?;
    detail["ledger_sequence"] = json!(sequence);
    Ok(Json(detail))
}

/// `GET /api/orders/{id}/proposal?site=`: ALLOC-FEFO and ALLOC-SUBST, nothing reserved.
async fn proposal(
    caller: Caller,
    State(app): State<App>,
    Path(order_id): Path<String>,
    Query(query): Query<SiteQuery>,
) -> Result<Json<Value>, Problem> {
    caller.require(access::DISTRIBUTION)?;
    let site = query
        .site
        .filter(|s| !s.trim().is_empty())
        .ok_or_else(|| Problem::input("give the site to allocate from: ?site=ID"))?;
    let now = app.now();
    let (proposal, sequence) = app
        .ledger
        .read_at(
            |records| match propose_allocation(records, &order_id, &site, now) {
                Ok(proposal) => to_json(proposal),
                Err(refusal) => Err(Problem::refused(refusal.rule.as_str(), refusal.message)),
            },
        )
        .await?;
    let mut proposal = proposal?;
    proposal["ledger_sequence"] = json!(sequence);
    Ok(Json(proposal))
}

/// `GET /api/shipments`: latest first.
async fn shipments(caller: Caller, State(app): State<App>) -> Result<Json<Value>, Problem> {
    caller.require(access::ORDERS)?;
    let scope = Scope::of(&caller)?;
    let (shipments, sequence) = app
        .ledger
        .read_at(|records| {
            queries::shipments(records, scope.hospital())
                .into_iter()
                .map(|s| {
                    let mut value = to_json(s)?;
                    value["status"] = json!(s.status());
                    Ok(value)
                })
                .collect::<Result<Vec<Value>, Problem>>()
        })
        .await?;
    Ok(Json(
        json!({ "shipments": shipments?, "ledger_sequence": sequence }),
    ))
}

async fn shipment(
    caller: Caller,
    State(app): State<App>,
    Path(shipment_id): Path<String>,
) -> Result<Json<Value>, Problem> {
    caller.require(access::ORDERS)?;
    let scope = Scope::of(&caller)?;
    let (shipment, sequence) = app
        .ledger
        .read_at(|records| {
            let shipment = visible_shipment(records, &scope, &shipment_id)?;
            let mut value = to_json(shipment)?;
            value["status"] = json!(shipment.status());
            Ok::<_, Problem>(value)
        })
        .await?;
    let mut shipment = shipment?;
    shipment["ledger_sequence"] = json!(sequence);
    Ok(Json(shipment))
}

/// `GET /api/returns`: returned units waiting for QA, with the criteria each fails.
async fn returns(caller: Caller, State(app): State<App>) -> Result<Json<Value>, Problem> {
    caller.require(access::RETURNS_VIEW)?;
    let now = app.now();
    let (pending, sequence) = app
        .ledger
        .read_at(|records| {
            super::returns::pending(records, now)
                .into_iter()
                .map(|r| {
                    json!({
                        "component": r.component,
                        "hospital": r.hospital,
                        "minutes_out_of_storage": r.minutes_out_of_storage,
                        "seal_intact": r.seal_intact,
                        "validated_container": r.validated_container,
                        "reason": r.reason,
                        "failures": r.failures,
                    })
                })
                .collect::<Vec<Value>>()
        })
        .await?;
    Ok(Json(
        json!({ "returns": pending, "ledger_sequence": sequence }),
    ))
}

/// `GET /api/hospital-inventory`: the units shipped to the caller's hospital and still there.
async fn hospital_inventory(
    caller: Caller,
    State(app): State<App>,
) -> Result<Json<Value>, Problem> {
    caller.require(access::PORTAL)?;
    let scope = Scope::of(&caller)?;
    let hospital = scope.hospital().unwrap_or_default().to_owned();
    let units = app
        .ledger
        .read(|records| to_json(queries::hospital_inventory(records, &hospital)))
        .await??;
    Ok(Json(json!({ "hospital": hospital, "units": units })))
}
