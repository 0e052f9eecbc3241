//! Projection support for the ledger: each record as a row (kind, id, status, JSON body).
//! `rows_touched` gives the rows an event changed, as they are after `evolve` applied it;
//! `all_rows` gives every row, to check stored projections against a replay.

use crate::LabEvent;
use serde::Serialize;

use crate::command::Event;
use crate::state::State;

#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Row {
    /// "config" | "donor" | "screening" | "deferral" | "donation" | "component" | "hold" | "task"
    /// | "user" | "api_token" | "site" | "storage" | "hospital" | "transfer" | "order"
    /// | "standing_order" | "shipment" | the transfusion service's "transfusion_settings" |
    /// "patient" | "sample" | "transfusion_unit" | "emergency_release" | "reaction" | lookback's
    /// "lookback" | "recall" | "deviation" | "fatality"
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
        kind if crate::transfusion::rows::KINDS.contains(&kind) => {
            crate::transfusion::rows::row(state, kind, id)?
        }
        kind if crate::lookback::rows::KINDS.contains(&kind) => {
            crate::lookback::rows::row(state, kind, id)?
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
        Event::Access(event) => crate::access::rows::row_keys(event),
        Event::DonorCentre(event) => crate::donor_centre::rows::row_keys(event),
        Event::Lab(event) => crate::lab::rows::row_keys(event),
        Event::Manufacturing(event) => crate::manufacturing::rows::row_keys(event),
        Event::Release(event) => crate::release::rows::row_keys(event),
        Event::Distribution(event) => crate::distribution::rows::row_keys(state, event),
        Event::Transfusion(event) => crate::transfusion::rows::row_keys(event),
        Event::Lookback(event) => crate::lookback::rows::row_keys(event),
    }
}

/// The keys (kind, id) of the rows `event` changed, read from the state after `evolve`
/// applied it.
pub fn row_keys(state: &State, event: &Event) -> Vec<(&'static str, String)> {
    // Once-per-donor test results also change the donor (TEST-ONCE history). A hold changes
    // no other row: the units it quarantines come as their own events.
    let mut wanted = keys(state, event);
    if let Event::Lab(
        LabEvent::TestResultRecorded { din, .. } | LabEvent::TestResultCorrected { din, .. },
    ) = event
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
    keys.extend(crate::transfusion::rows::all_row_keys(state));
    keys.extend(crate::lookback::rows::all_row_keys(state));
    keys
}
