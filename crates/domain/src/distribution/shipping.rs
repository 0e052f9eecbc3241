//! Pick, pack and ship; receipt at the hospital; returns and their QA review.
//!
//! Rules:
//! - DIST-PICK: a unit is picked by scan into a shipment of its order only if it is released,
//!   in date, under no open hold, allocated to that order, not yet picked or shipped, and at
//!   the shipment's site; the refusal says which, with the release blockers in words.
//! - DIST-SHIP: a shipment closes only when every allocated unit of its order is picked (no
//!   unit moves physically without moving here), every picked unit is still released and in
//!   date, and the box's temperature range suits every unit (21 CFR 600.15: red cells and whole
//!   blood 1-10 °C, platelets 20-24 °C, frozen products kept frozen); shipping moves the units
//!   into the hospital's inventory.
//! - DIST-RECEIPT: the hospital confirms receipt by scanning each unit; a unit not in the
//!   shipment, or a shipment to another hospital, is refused with where the unit belongs.
//! - DIST-RETURN: a returned unit waits for QA; QA accepts it back into available inventory
//!   only if it is in date, its seal is intact, and it stayed in controlled storage (no longer
//!   out than `Config::distribution` allows for its kind, by default 30 minutes for red cells
//!   (the AABB "30-minute rule"), 24 hours for platelets (AABB Standards allow agitation to stop
//!   for 24 h), none for frozen products) or travelled in a validated container; otherwise it is
//!   discarded with the reason.

use crate::{DistributionEvent, ManufacturingEvent};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::Context;
use crate::command::Event;
use crate::distribution::orders::{check_hospital, find_order};
use crate::distribution::sites::{KeptAs, Location, TemperatureRange, non_empty, shipping_range};
use crate::kernel::refusal::{Refusal, Rule, refuse};
use crate::manufacturing::{self, Component, Status};
use crate::release::release_blockers;
use crate::state::State;

/// How a shipment left.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Dispatch {
    pub box_id: String,
    pub temperature_range: TemperatureRange,
    pub courier: String,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub by: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Receipt {
    pub component: String,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub by: String,
}

/// A box of units for one order, picked at one site.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Shipment {
    pub id: String,
    pub order_id: String,
    pub hospital: String,
    pub site: String,
    /// Picked units, in scan order.
    pub components: Vec<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub opened_at: OffsetDateTime,
    pub opened_by: String,
    pub dispatch: Option<Dispatch>,
    pub receipts: Vec<Receipt>,
    /// Its order was cancelled before it left; its units went back to stock.
    #[serde(default)]
    pub cancelled: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ShipmentStatus {
    Cancelled,
    Picking,
    Shipped,
    Received,
}

impl ShipmentStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ShipmentStatus::Cancelled => "cancelled",
            ShipmentStatus::Picking => "picking",
            ShipmentStatus::Shipped => "shipped",
            ShipmentStatus::Received => "received",
        }
    }
}

impl Shipment {
    pub fn status(&self) -> ShipmentStatus {
        match &self.dispatch {
            None if self.cancelled => ShipmentStatus::Cancelled,
            None => ShipmentStatus::Picking,
            Some(_) if self.receipts.len() >= self.components.len() => ShipmentStatus::Received,
            Some(_) => ShipmentStatus::Shipped,
        }
    }
    pub fn is_received(&self, component: &str) -> bool {
        self.receipts.iter().any(|r| r.component == component)
    }
}

/// A unit sent back by a hospital, and QA's review of it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UnitReturn {
    pub component: String,
    pub hospital: String,
    /// The site it comes back to (where it was shipped from).
    pub site: String,
    pub minutes_out_of_storage: u32,
    pub seal_intact: bool,
    pub validated_container: bool,
    pub reason: String,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub by: String,
    pub review: Option<ReturnReview>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReturnReview {
    pub accepted: bool,
    pub reason: String,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub by: String,
}

fn find_shipment<'a>(state: &'a State, id: &str) -> Result<&'a Shipment, Refusal> {
    state
        .shipments
        .get(id)
        .ok_or_else(|| Refusal::new(Rule::NotFound, format!("no shipment {id}")))
}

/// DIST-PICK: why a unit may not be picked now, in words, or none.
pub fn pick_blocker(state: &State, component: &Component, now: OffsetDateTime) -> Option<String> {
    let id = &component.id;
    match component.status {
        Status::Available => {}
        Status::Quarantined => {
            let why: Vec<String> = release_blockers(state, component, now)
                .into_iter()
                .map(|r| format!("{}: {}", r.rule, r.message))
                .collect();
            return Some(if why.is_empty() {
                format!("{id} is quarantined, not released")
            } else {
                format!("{id} is quarantined, not released ({})", why.join("; "))
            });
        }
        other => {
            let reason = component
                .status_reason
                .as_deref()
                .map(|r| format!(": {r}"))
                .unwrap_or_default();
            return Some(format!("{id} is {}{reason}", other.as_str()));
        }
    }
    if component.expires_at <= now {
        return Some(format!("{id} expired at {}", component.expires_at));
    }
    state
        .holds
        .values()
        .find(|h| h.is_open() && h.covers(component))
        .map(|h| format!("{id} is under hold {}: {}", h.id, h.reason))
}

/// DIST-PICK: scan a unit into a shipment of its order (the first scan opens the shipment).
pub(crate) fn pick(
    state: &State,
    shipment_id: &str,
    order_id: &str,
    id: &str,
    ctx: &Context,
) -> Result<Vec<Event>, Refusal> {
    non_empty("the shipment ID", shipment_id)?;
    let order = find_order(state, order_id)?;
    let component = manufacturing::find_component(state, id)?;
    if !order.is_pending() {
        return refuse(
            Rule::DistPick,
            format!("order {order_id} is {}", order.status().as_str()),
        );
    }
    if let Some(why) = pick_blocker(state, component, ctx.now) {
        return refuse(Rule::DistPick, why);
    }
    let Some(unit) = order.units.iter().find(|u| u.allocated.component == id) else {
        let elsewhere = state
            .allocations
            .get(id)
            .map(|o| format!("; it is allocated to order {o}"))
            .unwrap_or_else(|| "; it is allocated to no order".to_owned());
        return refuse(
            Rule::DistPick,
            format!("{id} is not allocated to order {order_id}{elsewhere}"),
        );
    };
    if let Some(shipment) = &unit.shipment {
        return refuse(
            Rule::DistPick,
            format!("{id} is already picked into shipment {shipment}"),
        );
    }
    let Some(site) = component.location.site() else {
        return refuse(
            Rule::DistPick,
            format!(
                "{id} is {}; pick it at one of our sites",
                component.location.describe()
            ),
        );
    };
    let mut events = Vec::new();
    match state.shipments.get(shipment_id) {
        Some(shipment) => {
            if shipment.order_id != order_id {
                return refuse(
                    Rule::DistPick,
                    format!(
                        "shipment {shipment_id} is for order {}, not {order_id}",
                        shipment.order_id
                    ),
                );
            }
            if shipment.dispatch.is_some() {
                return refuse(
                    Rule::DistPick,
                    format!("shipment {shipment_id} has already left"),
                );
            }
            if shipment.site != site {
                return refuse(
                    Rule::DistPick,
                    format!(
                        "{id} is at site {site}; shipment {shipment_id} is packed at site {}",
                        shipment.site
                    ),
                );
            }
        }
        None => events.push(Event::Distribution(DistributionEvent::ShipmentOpened {
            shipment: Shipment {
                id: shipment_id.to_owned(),
                order_id: order_id.to_owned(),
                hospital: order.hospital.clone(),
                site: site.to_owned(),
                components: Vec::new(),
                opened_at: ctx.now,
                opened_by: ctx.actor.clone(),
                dispatch: None,
                receipts: Vec::new(),
                cancelled: false,
            },
        })),
    }
    events.push(Event::Distribution(DistributionEvent::UnitPicked {
        shipment_id: shipment_id.to_owned(),
        order_id: order_id.to_owned(),
        id: id.to_owned(),
        at: ctx.now,
        by: ctx.actor.clone(),
    }));
    Ok(events)
}

/// DIST-SHIP: close and send a shipment.
pub(crate) fn ship(
    state: &State,
    shipment_id: &str,
    box_id: &str,
    temperature_range: TemperatureRange,
    courier: &str,
    ctx: &Context,
) -> Result<Vec<Event>, Refusal> {
    let shipment = find_shipment(state, shipment_id)?;
    non_empty("the box ID", box_id)?;
    non_empty("the courier", courier)?;
    if shipment.dispatch.is_some() {
        return refuse(
            Rule::DistShip,
            format!("shipment {shipment_id} has already left"),
        );
    }
    let order = find_order(state, &shipment.order_id)?;
    let unpicked: Vec<&str> = order
        .units
        .iter()
        .filter(|u| u.shipment.is_none())
        .map(|u| u.allocated.component.as_str())
        .collect();
    if !unpicked.is_empty() {
        return refuse(
            Rule::DistShip,
            format!(
                "order {} has allocated units not scanned: {}",
                order.id,
                unpicked.join(", ")
            ),
        );
    }
    if shipment.components.is_empty() {
        return refuse(Rule::DistShip, format!("shipment {shipment_id} is empty"));
    }
    let mut events = Vec::new();
    for id in &shipment.components {
        let component = manufacturing::find_component(state, id)?;
        if let Some(why) = pick_blocker(state, component, ctx.now) {
            return refuse(Rule::DistShip, why);
        }
        let kept = KeptAs::of(component);
        let needed = shipping_range(&state.config, kept);
        if !needed.holds(&temperature_range) {
            return refuse(
                Rule::DistShip,
                format!(
                    "{id} must travel {} ({needed}); the box is {temperature_range}",
                    kept.as_str()
                ),
            );
        }
        events.push(Event::Distribution(DistributionEvent::ComponentShipped {
            id: id.clone(),
            consignee: shipment.hospital.clone(),
            at: ctx.now,
            by: ctx.actor.clone(),
            shipment: Some(shipment_id.to_owned()),
        }));
    }
    events.push(Event::Distribution(DistributionEvent::ShipmentShipped {
        shipment_id: shipment_id.to_owned(),
        dispatch: Dispatch {
            box_id: box_id.trim().to_owned(),
            temperature_range,
            courier: courier.trim().to_owned(),
            at: ctx.now,
            by: ctx.actor.clone(),
        },
    }));
    Ok(events)
}

/// DIST-RECEIPT: the hospital scans one unit of a shipment in.
pub(crate) fn confirm_receipt(
    state: &State,
    shipment_id: &str,
    id: &str,
    ctx: &Context,
) -> Result<Vec<Event>, Refusal> {
    let shipment = find_shipment(state, shipment_id)?;
    check_hospital(state, &shipment.hospital, ctx)
        .map_err(|r| Refusal::new(Rule::DistReceipt, r.message))?;
    if shipment.dispatch.is_none() {
        return refuse(
            Rule::DistReceipt,
            format!("shipment {shipment_id} has not been shipped yet"),
        );
    }
    if !shipment.components.iter().any(|c| c == id) {
        let belongs = state
            .shipments
            .values()
            .find(|s| s.components.iter().any(|c| c == id))
            .map(|s| format!("; it belongs to shipment {} for {}", s.id, s.hospital))
            .unwrap_or_default();
        return refuse(
            Rule::DistReceipt,
            format!("{id} is not in shipment {shipment_id}{belongs}"),
        );
    }
    if shipment.is_received(id) {
        return refuse(Rule::DistReceipt, format!("{id} was already received"));
    }
    Ok(vec![Event::Distribution(
        DistributionEvent::ReceiptConfirmed {
            shipment_id: shipment_id.to_owned(),
            id: id.to_owned(),
            at: ctx.now,
            by: ctx.actor.clone(),
        },
    )])
}

/// DIST-RETURN: a hospital (or distribution for it) sends a unit back; it waits for QA.
#[allow(clippy::too_many_arguments)]
pub(crate) fn return_unit(
    state: &State,
    id: &str,
    minutes_out_of_storage: u32,
    seal_intact: bool,
    validated_container: bool,
    reason: &str,
    ctx: &Context,
) -> Result<Vec<Event>, Refusal> {
    non_empty("the reason for the return", reason)?;
    let component = manufacturing::find_component(state, id)?;
    let Location::Hospital { hospital, shipment } = &component.location else {
        return refuse(
            Rule::DistReturn,
            format!(
                "{id} is {}; only a unit at a hospital is returned",
                component.location.describe()
            ),
        );
    };
    if component.status != Status::Shipped {
        return refuse(
            Rule::DistReturn,
            format!("{id} is {}", component.status.as_str()),
        );
    }
    check_hospital(state, hospital, ctx)?;
    let site = shipment
        .as_ref()
        .and_then(|s| state.shipments.get(s))
        .map(|s| s.site.clone())
        .or_else(
            || match crate::distribution::sites::production_location(state) {
                Location::Site { site, .. } => Some(site),
                _ => None,
            },
        )
        .unwrap_or_default();
    Ok(vec![Event::Distribution(DistributionEvent::UnitReturned {
        unit_return: UnitReturn {
            component: id.to_owned(),
            hospital: hospital.clone(),
            site,
            minutes_out_of_storage,
            seal_intact,
            validated_container,
            reason: reason.trim().to_owned(),
            at: ctx.now,
            by: ctx.actor.clone(),
            review: None,
        },
    })])
}

/// DIST-RETURN: the return criteria a unit fails, in words (empty when it may go back).
pub fn return_failures(
    state: &State,
    component: &Component,
    unit_return: &UnitReturn,
    now: OffsetDateTime,
) -> Vec<String> {
    let mut out = Vec::new();
    if component.expires_at <= now {
        out.push(format!("expired at {}", component.expires_at));
    }
    if !unit_return.seal_intact {
        out.push("the seal is broken".to_owned());
    }
    let kept = KeptAs::of(component);
    let limit = state.config.distribution.return_limit_minutes(kept);
    if !unit_return.validated_container && unit_return.minutes_out_of_storage > limit {
        out.push(format!(
            "{} min out of controlled storage, more than the {limit} min allowed for units kept {}",
            unit_return.minutes_out_of_storage,
            kept.as_str()
        ));
    }
    if let Some(hold) = state
        .holds
        .values()
        .find(|h| h.is_open() && h.covers(component))
    {
        out.push(format!("under hold {}: {}", hold.id, hold.reason));
    }
    // REL-GATE: back in stock only with the ABO/RhD it was released with still confirmed (a
    // later determination of its donation may have put it in doubt).
    if crate::release::confirmed_group(state, component).is_none() {
        out.push(
            "its ABO/RhD is no longer confirmed: its donation's typing is in doubt".to_owned(),
        );
    }
    out
}

/// DIST-RETURN: QA accepts a returned unit back into stock, or rejects it and it is discarded.
pub(crate) fn review_return(
    state: &State,
    id: &str,
    accept: bool,
    reason: &str,
    ctx: &Context,
) -> Result<Vec<Event>, Refusal> {
    non_empty("the review's reason", reason)?;
    let component = manufacturing::find_component(state, id)?;
    let pending = state
        .returns
        .get(id)
        .and_then(|r| r.last())
        .filter(|r| r.review.is_none() && component.status == Status::Returned);
    let Some(unit_return) = pending else {
        return refuse(
            Rule::DistReturn,
            format!("{id} has no return waiting for review"),
        );
    };
    let review = ReturnReview {
        accepted: accept,
        reason: reason.trim().to_owned(),
        at: ctx.now,
        by: ctx.actor.clone(),
    };
    if accept {
        let failures = return_failures(state, component, unit_return, ctx.now);
        if !failures.is_empty() {
            return refuse(
                Rule::DistReturn,
                format!(
                    "{id} does not meet the return criteria: {}",
                    failures.join("; ")
                ),
            );
        }
        return Ok(vec![Event::Distribution(
            DistributionEvent::ReturnReviewed {
                id: id.to_owned(),
                review,
            },
        )]);
    }
    Ok(vec![
        Event::Distribution(DistributionEvent::ReturnReviewed {
            id: id.to_owned(),
            review,
        }),
        Event::Manufacturing(ManufacturingEvent::ComponentDiscarded {
            id: id.to_owned(),
            reason: format!("return rejected: {}", reason.trim()),
            at: ctx.now,
            by: ctx.actor.clone(),
        }),
    ])
}

/// DIST-RECEIPT: the hospital whose transfusion service holds `component`: the unit is at the
/// hospital, shipped in a shipment whose receipt of the unit was confirmed there (a unit shipped
/// without a shipment, or not yet scanned in, is not in the service's hands).
pub fn received_at_hospital<'a>(state: &'a State, component: &Component) -> Option<&'a str> {
    let Location::Hospital {
        hospital,
        shipment: Some(shipment),
    } = &component.location
    else {
        return None;
    };
    let shipment = state.shipments.get(shipment)?;
    let received = shipment
        .receipts
        .iter()
        .any(|r| r.component == component.id);
    (received && component.status == Status::Shipped && shipment.hospital == *hospital)
        .then_some(shipment.hospital.as_str())
}
