//! The invariants of DESIGN.md that hold in every state of the domain. Invariant 5 (the
//! ledger verifies) belongs to the ledger; invariant 6 (a refused command changes nothing) is
//! a property of `decide` over time and is checked by the simulation, which compares the state
//! before and after each refused command.

use std::fmt;

use crate::distribution::sites::Location;
use crate::lab::testing::MarkerStatus;
use crate::manufacturing::components::{Component, Status};
use crate::release::gate::confirmed_group;
use crate::state::State;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    pub invariant: u8,
    pub message: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invariant {} violated: {}", self.invariant, self.message)
    }
}

fn violated(invariant: u8, message: String) -> Result<(), Violation> {
    Err(Violation { invariant, message })
}

/// Invariants 1 to 4 over the whole state, the hospital-supply invariants 7 (a unit is at
/// exactly one place, the one its status says) and 8 (a shipment left with every unit of its
/// order picked; allocations name pending orders and released units), and the transfusion
/// service's 9 (no unit issued to a patient it is not compatible with) and 10 (every issue
/// ends in exactly one final fate).
pub fn check(state: &State) -> Result<(), Violation> {
    for c in state.components.values() {
        if c.status == Status::Available || c.status == Status::Shipped {
            released_properly(state, c)?;
        }
        if c.status == Status::Shipped {
            shipped_properly(c)?;
        }
        unsafe_stays_unsafe(state, c)?;
        traces(state, c)?;
    }
    one_place_each(state)?;
    shipments_complete(state)?;
    allocations_consistent(state)?;
    crate::transfusion::invariants::check(state)
        .or_else(|(invariant, message)| violated(invariant, message))?;
    crate::lookback::invariants::check(state)
        .or_else(|(invariant, message)| violated(invariant, message))
}

/// Invariant 1: a unit out of quarantine had every test resulted and acceptable, a confirmed
/// ABO/RhD, a verified label, was in date when released and has no open hold.
fn released_properly(state: &State, c: &Component) -> Result<(), Violation> {
    let Some(released_at) = c.released_at else {
        return violated(
            1,
            format!("{} is {} but was never released", c.id, c.status.as_str()),
        );
    };
    if c.expires_at <= released_at {
        return violated(1, format!("{} was released after its expiry", c.id));
    }
    if !c.label_verified {
        return violated(
            1,
            format!("{} left quarantine without a verified label", c.id),
        );
    }
    // A shipped unit whose donation's ABO/RhD is later put in doubt is a recall question (a
    // deviation review is opened), not a unit that left quarantine unconfirmed.
    if c.status == Status::Available && confirmed_group(state, c).is_none() {
        return violated(
            1,
            format!("{} left quarantine without a confirmed ABO/RhD", c.id),
        );
    }
    for din in &c.sources {
        let Some(d) = state.donations.get(din) else {
            return violated(1, format!("{} has no donation {din}", c.id));
        };
        // A unit shipped before a correction put its results in doubt is a recall question
        // (CORR-REDECIDE opens a deviation), not a unit that left quarantine untested.
        let corrected_since =
            c.status == Status::Shipped && d.corrections.iter().any(|k| k.at >= released_at);
        if !corrected_since
            && (d.unsuitable.is_some()
                || d.tests
                    .values()
                    .any(|t| !matches!(t, MarkerStatus::Negative)))
        {
            return violated(
                1,
                format!(
                    "{} left quarantine while {din} is not fully tested negative",
                    c.id
                ),
            );
        }
        if d.antibody_screen.is_none() || (d.antibody_screen == Some(true) && c.contains_plasma) {
            return violated(
                1,
                format!(
                    "{} left quarantine without an acceptable antibody screen",
                    c.id
                ),
            );
        }
    }
    if c.status == Status::Available
        && let Some(hold) = state.holds.values().find(|h| h.is_open() && h.covers(c))
    {
        return violated(
            1,
            format!("{} is available under open hold {}", c.id, hold.id),
        );
    }
    Ok(())
}

/// Invariant 2 (and the consignee half of invariant 4).
fn shipped_properly(c: &Component) -> Result<(), Violation> {
    match (c.released_at, c.shipped_at, &c.consignee) {
        (Some(released), Some(shipped), Some(consignee))
            if released <= shipped && shipped < c.expires_at && !consignee.is_empty() =>
        {
            Ok(())
        }
        _ => violated(
            2,
            format!("{} shipped without release, in date, to a consignee", c.id),
        ),
    }
}

/// Invariant 3: a unit of an unsuitable donation, or a plasma-containing unit of a donation
/// with a positive antibody screen, is never available or quarantined again.
fn unsafe_stays_unsafe(state: &State, c: &Component) -> Result<(), Violation> {
    let bad = c
        .sources
        .iter()
        .filter_map(|din| state.donations.get(din))
        .any(|d| d.unsuitable.is_some() || (c.contains_plasma && d.antibody_screen == Some(true)));
    if bad
        && matches!(
            c.status,
            Status::Available | Status::Quarantined | Status::Expired
        )
    {
        return violated(
            3,
            format!(
                "{} comes from an unsuitable donation but is {}",
                c.id,
                c.status.as_str()
            ),
        );
    }
    Ok(())
}

/// Invariant 4: every unit traces to its donations and their donors; a non-pool unit to
/// exactly one.
fn traces(state: &State, c: &Component) -> Result<(), Violation> {
    let pooled = c
        .attributes
        .contains(&crate::manufacturing::components::Attr::Pooled);
    if c.sources.is_empty() || (!pooled && c.sources.len() != 1) {
        return violated(
            4,
            format!("{} traces to {} donations", c.id, c.sources.len()),
        );
    }
    for din in &c.sources {
        let Some(d) = state.donations.get(din) else {
            return violated(4, format!("{} traces to unknown donation {din}", c.id));
        };
        if !state.donors.contains_key(&d.donor_id) {
            return violated(
                4,
                format!("donation {din} traces to unknown donor {}", d.donor_id),
            );
        }
    }
    Ok(())
}

/// Invariant 7: a unit is at exactly one place, and that place agrees with its status: a
/// shipped unit at a hospital, a unit in stock at one of our sites or in transit (in one
/// transfer that has not received it), a discarded or processed unit gone; a unit is in at
/// most one shipment still being packed.
fn one_place_each(state: &State) -> Result<(), Violation> {
    let mut packing: std::collections::BTreeMap<&str, &str> = std::collections::BTreeMap::new();
    for s in state.shipments.values().filter(|s| s.dispatch.is_none()) {
        for c in &s.components {
            if let Some(other) = packing.insert(c, &s.id) {
                return violated(7, format!("{c} is in shipments {other} and {}", s.id));
            }
        }
    }
    for c in state.components.values() {
        let agrees = match (&c.location, c.status) {
            (Location::Hospital { .. }, status) => status == Status::Shipped,
            (_, Status::Shipped) => false,
            (Location::Gone, status) => matches!(status, Status::Discarded | Status::Processed),
            (Location::InTransit { transfer, .. }, _) => state
                .transfers
                .get(transfer)
                .is_some_and(|t| t.components.contains(&c.id) && !t.received.contains(&c.id)),
            (Location::Site { site, storage }, _) => {
                state.sites.contains_key(site)
                    && storage
                        .as_ref()
                        .is_none_or(|s| state.storages.get(s).is_some_and(|s| s.site_id == *site))
            }
            (Location::Unplaced, _) => true,
        };
        if !agrees {
            return violated(
                7,
                format!(
                    "{} is {} but {}",
                    c.id,
                    c.status.as_str(),
                    c.location.describe()
                ),
            );
        }
    }
    Ok(())
}

/// Invariant 8: a shipment that left holds only units picked into it for its order and
/// shipped, and its order had no allocated unit left unpicked.
fn shipments_complete(state: &State) -> Result<(), Violation> {
    for s in state.shipments.values().filter(|s| s.dispatch.is_some()) {
        let Some(order) = state.orders.get(&s.order_id) else {
            return violated(8, format!("shipment {} has no order {}", s.id, s.order_id));
        };
        for id in &s.components {
            let picked = order.units.iter().any(|u| {
                u.allocated.component == *id
                    && u.shipment.as_deref() == Some(&s.id)
                    && u.shipped_at.is_some()
            });
            if !picked
                || state
                    .components
                    .get(id)
                    .is_none_or(|c| c.shipped_at.is_none())
            {
                return violated(
                    8,
                    format!("{id} left in shipment {} without being picked for it", s.id),
                );
            }
        }
        if let Some(u) = order.units.iter().find(|u| u.shipment.is_none()) {
            return violated(
                8,
                format!(
                    "shipment {} left with {} of its order unpicked",
                    s.id, u.allocated.component
                ),
            );
        }
    }
    Ok(())
}

/// Invariant 8: every allocation names a pending order that holds the unit, and the unit is
/// released.
fn allocations_consistent(state: &State) -> Result<(), Violation> {
    for (id, order_id) in &state.allocations {
        let held = state.orders.get(order_id).is_some_and(|o| {
            o.is_pending() && o.units.iter().any(|u| u.allocated.component == *id)
        });
        let released = state
            .components
            .get(id)
            .is_some_and(|c| c.status == Status::Available);
        if !held || !released {
            return violated(
                8,
                format!("{id} is allocated to order {order_id}, which cannot fill it"),
            );
        }
    }
    Ok(())
}
