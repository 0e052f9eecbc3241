//! Projection support for the ledger: each record as a row (kind, id, status, JSON body).
//! `rows_touched` gives the rows an event changed, as they are after `evolve` applied it;
//! `all_rows` gives every row, to check stored projections against a replay.

use crate::{
    AccessEvent, DistributionEvent, DonorCentreEvent, LabEvent, ManufacturingEvent, ReleaseEvent,
};
use serde::Serialize;

use crate::command::Event;
use crate::state::State;

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Row {
    /// "config" | "donor" | "screening" | "deferral" | "donation" | "component" | "hold" | "task"
    /// | "user" | "api_token" | "site" | "storage" | "hospital" | "transfer" | "order"
    /// | "standing_order" | "shipment"
    pub kind: &'static str,
    pub id: String,
    pub status: Option<String>,
    /// The record as JSON text.
    pub body: String,
}

fn body<T: Serialize>(value: &T) -> String {
    // Every record type serializes to JSON (string keys, no non-finite floats from
    // validated input); a failure would be a bug, shown as null rather than a panic.
    serde_json::to_string(value).unwrap_or_else(|_| "null".to_owned())
}

/// One row of the state by its kind and id, as it is now; `None` when no such record exists.
pub fn row(state: &State, kind: &'static str, id: &str) -> Option<Row> {
    let (status, body) = match kind {
        "config" => (None, body(&state.config)),
        "donor" => {
            let d = state.donors.get(id)?;
            (None, body(d))
        }
        "screening" => {
            let s = state.screenings.get(id)?;
            (
                Some(if s.accepted { "accepted" } else { "deferred" }.to_owned()),
                body(s),
            )
        }
        "deferral" => {
            let d = state.deferrals.get(id)?;
            let status = if d.requalified.is_some() {
                "requalified".to_owned()
            } else {
                // The kind's serde name (`temporary`, `permanent`, ...).
                serde_json::to_value(d.kind)
                    .ok()
                    .and_then(|kind| kind.as_str().map(str::to_owned))
                    .unwrap_or_default()
            };
            (Some(status), body(d))
        }
        "donation" => {
            let d = state.donations.get(id)?;
            let status = if d.unsuitable.is_some() {
                "unsuitable"
            } else if d.produced {
                "processed"
            } else {
                "collected"
            };
            (Some(status.to_owned()), body(d))
        }
        "component" => {
            let c = state.components.get(id)?;
            (Some(c.status.as_str().to_owned()), body(c))
        }
        "hold" => {
            let h = state.holds.get(id)?;
            (
                Some(if h.is_open() { "open" } else { "released" }.to_owned()),
                body(h),
            )
        }
        "task" => {
            let t = state.tasks.get(id)?;
            (Some("open".to_owned()), body(t))
        }
        // Never the password hash: a projection row is readable by reports and exports.
        "user" => {
            let u = state.users.get(id)?;
            (
                Some(if u.enabled { "enabled" } else { "disabled" }.to_owned()),
                body(&u.view()),
            )
        }
        // Never the digest: the row says what the token may do, not how to recognise it.
        "api_token" => {
            let t = state.api_tokens.get(id)?;
            (
                Some(if t.is_active() { "active" } else { "revoked" }.to_owned()),
                body(&t.view()),
            )
        }
        "site" => (None, body(state.sites.get(id)?)),
        "storage" => (None, body(state.storages.get(id)?)),
        "hospital" => (None, body(state.hospitals.get(id)?)),
        "transfer" => {
            let t = state.transfers.get(id)?;
            let status = if t.is_complete() {
                "received"
            } else {
                "in_transit"
            };
            (Some(status.to_owned()), body(t))
        }
        "order" => {
            let o = state.orders.get(id)?;
            (Some(o.status().as_str().to_owned()), body(o))
        }
        "standing_order" => {
            let o = state.standing_orders.get(id)?;
            let status = if o.cancelled.is_some() {
                "cancelled"
            } else {
                "active"
            };
            (Some(status.to_owned()), body(o))
        }
        "shipment" => {
            let s = state.shipments.get(id)?;
            (Some(s.status().as_str().to_owned()), body(s))
        }
        _ => return None,
    };
    Some(Row {
        kind,
        id: id.to_owned(),
        status,
        body,
    })
}

fn keys(state: &State, event: &Event) -> Vec<(&'static str, String)> {
    match event {
        Event::Access(AccessEvent::Configured { .. }) => vec![("config", "site".to_owned())],
        Event::DonorCentre(DonorCentreEvent::DonorRegistered { donor }) => {
            vec![("donor", donor.id.clone())]
        }
        Event::DonorCentre(DonorCentreEvent::ScreeningRecorded { screening }) => {
            vec![("screening", screening.id.clone())]
        }
        Event::DonorCentre(DonorCentreEvent::DonorDeferred { deferral }) => {
            vec![("deferral", deferral.id.clone())]
        }
        Event::DonorCentre(DonorCentreEvent::DonorRequalified { deferral_id, .. }) => {
            vec![("deferral", deferral_id.clone())]
        }
        Event::DonorCentre(DonorCentreEvent::DonationCollected { donation }) => vec![
            ("donation", donation.din.clone()),
            ("donor", donation.donor_id.clone()),
        ],
        Event::Lab(LabEvent::TestsOrdered { din, .. })
        | Event::Lab(LabEvent::DonationUnsuitable { din, .. })
        | Event::Lab(LabEvent::BloodGroupDetermined { din, .. })
        | Event::Lab(LabEvent::BloodGroupResolved { din, .. })
        | Event::Lab(LabEvent::AntibodyScreenRecorded { din, .. }) => {
            vec![("donation", din.clone())]
        }
        Event::Lab(LabEvent::TestResultRecorded { din, .. }) => vec![("donation", din.clone())],
        Event::Lab(LabEvent::DonorBloodGroupConfirmed { donor_id, .. }) => {
            vec![("donor", donor_id.clone())]
        }
        Event::Manufacturing(ManufacturingEvent::ComponentProduced { component }) => {
            let mut k = vec![("component", component.id.clone())];
            k.extend(
                component
                    .sources
                    .iter()
                    .map(|din| ("donation", din.clone())),
            );
            k
        }
        Event::Manufacturing(ManufacturingEvent::ComponentProcessed { id, .. })
        | Event::Manufacturing(ManufacturingEvent::BacterialControlRecorded { id, .. })
        | Event::Manufacturing(ManufacturingEvent::LabelVerified { id, .. })
        | Event::Release(ReleaseEvent::ComponentReleased { id, .. })
        | Event::Release(ReleaseEvent::ComponentQuarantined { id, .. })
        | Event::Release(ReleaseEvent::ComponentMarkedUnsafe { id, .. })
        | Event::Manufacturing(ManufacturingEvent::ComponentDiscarded { id, .. })
        | Event::Release(ReleaseEvent::ComponentExpired { id, .. })
        | Event::Distribution(DistributionEvent::ComponentStored { id, .. }) => {
            vec![("component", id.clone())]
        }
        Event::Distribution(DistributionEvent::ComponentShipped { id, .. }) => {
            let mut k = vec![("component", id.clone())];
            k.extend(order_of(state, id));
            k
        }
        Event::Distribution(DistributionEvent::SiteRegistered { site }) => {
            vec![("site", site.id.clone())]
        }
        Event::Distribution(DistributionEvent::StorageRegistered { storage }) => {
            vec![("storage", storage.id.clone())]
        }
        Event::Distribution(DistributionEvent::HospitalRegistered { hospital }) => {
            vec![("hospital", hospital.id.clone())]
        }
        Event::Distribution(DistributionEvent::TransferDispatched { transfer }) => {
            let mut k = vec![("transfer", transfer.id.clone())];
            k.extend(transfer.components.iter().map(|c| ("component", c.clone())));
            k
        }
        Event::Distribution(DistributionEvent::TransferReceived {
            transfer_id, id, ..
        }) => vec![("transfer", transfer_id.clone()), ("component", id.clone())],
        Event::Distribution(DistributionEvent::OrderPlaced { order }) => {
            vec![("order", order.id.clone())]
        }
        Event::Distribution(DistributionEvent::StandingOrderPlaced { standing_order }) => {
            vec![("standing_order", standing_order.id.clone())]
        }
        Event::Distribution(DistributionEvent::StandingOrderCancelled {
            standing_order_id,
            ..
        }) => vec![("standing_order", standing_order_id.clone())],
        // Cancelling, allocating again or withdrawing a unit changes the order's open boxes.
        Event::Distribution(DistributionEvent::OrderCancelled { order_id, .. })
        | Event::Distribution(DistributionEvent::AllocationWithdrawn { order_id, .. })
        | Event::Distribution(DistributionEvent::OrderAllocated { order_id, .. }) => {
            let mut k = vec![("order", order_id.clone())];
            k.extend(
                state
                    .orders
                    .get(order_id)
                    .into_iter()
                    .flat_map(|o| o.shipments.iter())
                    .map(|s| ("shipment", s.clone())),
            );
            k
        }
        Event::Distribution(DistributionEvent::ShipmentOpened { shipment }) => vec![
            ("shipment", shipment.id.clone()),
            ("order", shipment.order_id.clone()),
        ],
        Event::Distribution(DistributionEvent::UnitPicked {
            shipment_id,
            order_id,
            ..
        }) => vec![
            ("shipment", shipment_id.clone()),
            ("order", order_id.clone()),
        ],
        Event::Distribution(DistributionEvent::ShipmentShipped { shipment_id, .. }) => {
            let mut k = vec![("shipment", shipment_id.clone())];
            k.extend(
                state
                    .shipments
                    .get(shipment_id)
                    .map(|s| ("order", s.order_id.clone())),
            );
            k
        }
        Event::Distribution(DistributionEvent::ReceiptConfirmed {
            shipment_id, id, ..
        }) => {
            let mut k = vec![("shipment", shipment_id.clone()), ("component", id.clone())];
            k.extend(
                state
                    .shipments
                    .get(shipment_id)
                    .map(|s| ("order", s.order_id.clone())),
            );
            k
        }
        Event::Distribution(DistributionEvent::UnitReturned { unit_return }) => {
            vec![("component", unit_return.component.clone())]
        }
        Event::Distribution(DistributionEvent::ReturnReviewed { id, .. }) => {
            vec![("component", id.clone())]
        }
        Event::Release(ReleaseEvent::HoldPlaced { hold }) => vec![("hold", hold.id.clone())],
        Event::Release(ReleaseEvent::HoldReleased { hold_id, .. }) => {
            vec![("hold", hold_id.clone())]
        }
        Event::Release(ReleaseEvent::TaskOpened { task }) => vec![("task", task.id.clone())],
        Event::Access(AccessEvent::UserCreated { user }) => vec![("user", user.id.clone())],
        Event::Access(AccessEvent::PasswordSet { user_id, .. })
        | Event::Access(AccessEvent::UserDisabled { user_id, .. }) => {
            vec![("user", user_id.clone())]
        }
        Event::Access(AccessEvent::ApiTokenIssued { token }) => {
            vec![("api_token", token.id.clone())]
        }
        Event::Access(AccessEvent::ApiTokenRevoked { token_id, .. }) => {
            vec![("api_token", token_id.clone())]
        }
        // A signature is in the ledger beside the events it signs, a sign-in attempt is the
        // entry itself: neither has a row of its own.
        Event::Access(AccessEvent::Signed { .. })
        | Event::Access(AccessEvent::SignInRecorded { .. }) => vec![],
    }
}

/// The order row a unit's shipment changes (none for `ShipComponent`).
fn order_of(state: &State, id: &str) -> Option<(&'static str, String)> {
    let crate::distribution::sites::Location::Hospital {
        shipment: Some(shipment),
        ..
    } = &state.components.get(id)?.location
    else {
        return None;
    };
    state
        .shipments
        .get(shipment)
        .map(|s| ("order", s.order_id.clone()))
}

/// The keys (kind, id) of the rows `event` changed, read from the state after `evolve`
/// applied it.
pub fn row_keys(state: &State, event: &Event) -> Vec<(&'static str, String)> {
    // Once-per-donor test results also change the donor (TEST-ONCE history). A hold changes
    // no other row: the units it quarantines come as their own events.
    let mut wanted = keys(state, event);
    if let Event::Lab(LabEvent::TestResultRecorded { din, .. }) = event
        && let Some(d) = state.donations.get(din)
    {
        wanted.push(("donor", d.donor_id.clone()));
    }
    wanted
}

/// The rows `event` changed, as they are after `evolve` applied it.
pub fn rows_touched(state: &State, event: &Event) -> Vec<Row> {
    row_keys(state, event)
        .iter()
        .filter_map(|(kind, id)| row(state, kind, id))
        .collect()
}

/// Every row of the state, in kind and id order.
pub fn all_rows(state: &State) -> Vec<Row> {
    all_row_keys(state)
        .iter()
        .filter_map(|(kind, id)| row(state, kind, id))
        .collect()
}

/// The key of every row of the state, in kind and id order (no row is serialised).
pub fn all_row_keys(state: &State) -> Vec<(&'static str, String)> {
    let mut keys = vec![];
    if state.counters.configurations > 0 {
        keys.push(("config", "site".to_owned()));
    }
    let mut add = |kind: &'static str, ids: Vec<&String>| {
        keys.extend(ids.into_iter().map(|id| (kind, id.clone())));
    };
    add("donor", state.donors.keys().collect());
    add("screening", state.screenings.keys().collect());
    add("deferral", state.deferrals.keys().collect());
    add("donation", state.donations.keys().collect());
    add("component", state.components.keys().collect());
    add("hold", state.holds.keys().collect());
    add("task", state.tasks.keys().collect());
    add("user", state.users.keys().collect());
    add("api_token", state.api_tokens.keys().collect());
    add("site", state.sites.keys().collect());
    add("storage", state.storages.keys().collect());
    add("hospital", state.hospitals.keys().collect());
    add("transfer", state.transfers.keys().collect());
    add("order", state.orders.keys().collect());
    add("standing_order", state.standing_orders.keys().collect());
    add("shipment", state.shipments.keys().collect());
    keys
}
