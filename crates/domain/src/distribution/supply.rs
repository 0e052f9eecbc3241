//! `evolve` for the hospital-supply events: sites, storage, transfers, hospitals, orders,
//! allocation, shipments, receipts and returns. Facts only: every value comes in the event.

use crate::command::Event;
use crate::distribution::orders::OrderUnit;
use crate::distribution::sites::Location;
use crate::manufacturing::Status;
use crate::state::State;
use crate::{DistributionEvent, ManufacturingEvent, ReleaseEvent};

pub(crate) fn evolve(state: &mut State, event: &DistributionEvent) {
    match event {
        DistributionEvent::SiteRegistered { .. }
        | DistributionEvent::StorageRegistered { .. }
        | DistributionEvent::ComponentStored { .. }
        | DistributionEvent::TransferDispatched { .. }
        | DistributionEvent::TransferReceived { .. }
        | DistributionEvent::HospitalRegistered { .. } => evolve_sites(state, event),
        DistributionEvent::OrderPlaced { .. }
        | DistributionEvent::StandingOrderPlaced { .. }
        | DistributionEvent::StandingOrderCancelled { .. }
        | DistributionEvent::OrderCancelled { .. }
        | DistributionEvent::OrderAllocated { .. }
        | DistributionEvent::AllocationWithdrawn { .. } => evolve_orders(state, event),
        DistributionEvent::ShipmentOpened { .. }
        | DistributionEvent::UnitPicked { .. }
        | DistributionEvent::ShipmentShipped { .. }
        | DistributionEvent::ReceiptConfirmed { .. }
        | DistributionEvent::UnitReturned { .. }
        | DistributionEvent::ReturnReviewed { .. } => evolve_shipments(state, event),
        // Applied with the unit's status in `distribution/evolve.rs`.
        DistributionEvent::ComponentShipped { .. } => {}
    }
}

/// Our sites, their storage, units put away and transfers, and the hospitals.
fn evolve_sites(state: &mut State, event: &DistributionEvent) {
    match event {
        DistributionEvent::SiteRegistered { site } => {
            state.sites.insert(site.id.clone(), site.clone());
        }
        DistributionEvent::StorageRegistered { storage } => {
            state.storages.insert(storage.id.clone(), storage.clone());
        }
        DistributionEvent::ComponentStored {
            id, site, storage, ..
        } => set_location(
            state,
            id,
            Location::Site {
                site: site.clone(),
                storage: Some(storage.clone()),
            },
        ),
        DistributionEvent::TransferDispatched { transfer } => {
            for id in &transfer.components {
                set_location(
                    state,
                    id,
                    Location::InTransit {
                        transfer: transfer.id.clone(),
                        to: transfer.to.clone(),
                    },
                );
            }
            state
                .transfers
                .insert(transfer.id.clone(), transfer.clone());
        }
        DistributionEvent::TransferReceived {
            transfer_id,
            id,
            site,
            ..
        } => {
            if let Some(t) = state.transfers.get_mut(transfer_id) {
                t.received.push(id.clone());
            }
            set_location(
                state,
                id,
                Location::Site {
                    site: site.clone(),
                    storage: None,
                },
            );
        }
        DistributionEvent::HospitalRegistered { hospital } => {
            state
                .hospitals
                .insert(hospital.id.clone(), hospital.clone());
        }
        // The other events are routed elsewhere by `evolve`.
        _ => {}
    }
}

/// Orders and standing orders: placed, cancelled, allocated, an allocation withdrawn.
fn evolve_orders(state: &mut State, event: &DistributionEvent) {
    match event {
        DistributionEvent::OrderPlaced { order } => {
            state.orders.insert(order.id.clone(), (**order).clone());
        }
        DistributionEvent::StandingOrderPlaced { standing_order } => {
            state
                .standing_orders
                .insert(standing_order.id.clone(), standing_order.clone());
        }
        DistributionEvent::StandingOrderCancelled {
            standing_order_id,
            cancellation,
        } => {
            if let Some(s) = state.standing_orders.get_mut(standing_order_id) {
                s.cancelled = Some(cancellation.clone());
            }
        }
        DistributionEvent::OrderCancelled {
            order_id,
            cancellation,
        } => {
            state.allocations.retain(|_, o| o != order_id);
            for id in open_shipments(state, order_id) {
                if let Some(s) = state.shipments.get_mut(&id) {
                    s.components.clear();
                    s.cancelled = true;
                }
            }
            if let Some(order) = state.orders.get_mut(order_id) {
                order.cancelled = Some(cancellation.clone());
                order.units.retain(|u| u.shipped_at.is_some());
            }
        }
        DistributionEvent::OrderAllocated {
            order_id,
            units,
            at,
            by,
        } => {
            state.allocations.retain(|_, o| o != order_id);
            for unit in units {
                state
                    .allocations
                    .insert(unit.component.clone(), order_id.clone());
            }
            let kept = |c: &str| units.iter().any(|u| u.component == c);
            for id in open_shipments(state, order_id) {
                if let Some(s) = state.shipments.get_mut(&id) {
                    s.components.retain(|c| kept(c));
                }
            }
            if let Some(order) = state.orders.get_mut(order_id) {
                let picked = |c: &str| {
                    order
                        .units
                        .iter()
                        .find(|u| u.allocated.component == c)
                        .and_then(|u| u.shipment.clone())
                };
                order.units = units
                    .iter()
                    .map(|u| OrderUnit {
                        allocated: u.clone(),
                        shipment: picked(&u.component),
                        shipped_at: None,
                        received_at: None,
                    })
                    .collect();
                order.allocated_at = Some(*at);
                order.allocated_by = Some(by.clone());
            }
        }
        DistributionEvent::AllocationWithdrawn { order_id, id, .. } => {
            state.allocations.remove(id);
            if let Some(order) = state.orders.get_mut(order_id) {
                order.units.retain(|u| u.allocated.component != *id);
            }
            for shipment in open_shipments(state, order_id) {
                if let Some(s) = state.shipments.get_mut(&shipment) {
                    s.components.retain(|c| c != id);
                }
            }
        }
        // The other events are routed elsewhere by `evolve`.
        _ => {}
    }
}

/// Shipments opened, picked, shipped and received; returns and their review.
fn evolve_shipments(state: &mut State, event: &DistributionEvent) {
    match event {
        DistributionEvent::ShipmentOpened { shipment } => {
            if let Some(order) = state.orders.get_mut(&shipment.order_id) {
                order.shipments.push(shipment.id.clone());
            }
            state
                .shipments
                .insert(shipment.id.clone(), shipment.clone());
        }
        DistributionEvent::UnitPicked {
            shipment_id,
            order_id,
            id,
            ..
        } => {
            if let Some(s) = state.shipments.get_mut(shipment_id) {
                s.components.push(id.clone());
            }
            if let Some(order) = state.orders.get_mut(order_id)
                && let Some(unit) = order
                    .units
                    .iter_mut()
                    .find(|u| u.allocated.component == *id)
            {
                unit.shipment = Some(shipment_id.clone());
            }
        }
        DistributionEvent::ShipmentShipped {
            shipment_id,
            dispatch,
        } => {
            if let Some(s) = state.shipments.get_mut(shipment_id) {
                s.dispatch = Some(dispatch.clone());
            }
        }
        DistributionEvent::ReceiptConfirmed {
            shipment_id,
            id,
            at,
            by,
        } => receive(state, shipment_id, id, *at, by),
        DistributionEvent::UnitReturned { unit_return } => {
            let id = &unit_return.component;
            if let Some(c) = state.components.get_mut(id) {
                c.status = Status::Returned;
                c.status_reason = Some(format!(
                    "returned by {}: {}",
                    unit_return.hospital, unit_return.reason
                ));
                c.location = if unit_return.site.is_empty() {
                    Location::Unplaced
                } else {
                    Location::Site {
                        site: unit_return.site.clone(),
                        storage: None,
                    }
                };
            }
            state
                .returns
                .entry(id.clone())
                .or_default()
                .push(unit_return.clone());
        }
        DistributionEvent::ReturnReviewed { id, review } => {
            if let Some(r) = state.returns.get_mut(id).and_then(|r| r.last_mut()) {
                r.review = Some(review.clone());
            }
            if review.accepted
                && let Some(c) = state.components.get_mut(id)
            {
                c.status = Status::Available;
                c.status_reason = Some(format!("return accepted: {}", review.reason));
            }
        }
        // The other events are routed elsewhere by `evolve`.
        _ => {}
    }
}

/// The shipments of an order still being packed.
pub(crate) fn open_shipments(state: &State, order_id: &str) -> Vec<String> {
    state
        .orders
        .get(order_id)
        .map(|o| {
            o.shipments
                .iter()
                .filter(|id| {
                    state
                        .shipments
                        .get(*id)
                        .is_some_and(|s| s.dispatch.is_none())
                })
                .cloned()
                .collect()
        })
        .unwrap_or_default()
}

fn set_location(state: &mut State, id: &str, location: Location) {
    if let Some(c) = state.components.get_mut(id) {
        c.location = location;
    }
}

fn receive(state: &mut State, shipment_id: &str, id: &str, at: time::OffsetDateTime, by: &str) {
    let Some(shipment) = state.shipments.get_mut(shipment_id) else {
        return;
    };
    shipment
        .receipts
        .push(crate::distribution::shipping::Receipt {
            component: id.to_owned(),
            at,
            by: by.to_owned(),
        });
    let order_id = shipment.order_id.clone();
    if let Some(order) = state.orders.get_mut(&order_id)
        && let Some(unit) = order.units.iter_mut().find(|u| u.allocated.component == id)
    {
        unit.received_at = Some(at);
    }
}

/// Events that take an allocated unit out of use withdraw it from its order first, so that
/// the order and its open shipment never hold a unit that cannot ship.
pub(crate) fn withdraw_allocations(state: &State, events: Vec<Event>) -> Vec<Event> {
    if state.allocations.is_empty() {
        return events;
    }
    let mut out = Vec::with_capacity(events.len());
    for event in events {
        let taken_out = match &event {
            Event::Manufacturing(ManufacturingEvent::ComponentDiscarded { id, reason, .. }) => {
                Some((id, format!("discarded: {reason}")))
            }
            Event::Release(ReleaseEvent::ComponentExpired { id, .. }) => {
                Some((id, "expired".to_owned()))
            }
            Event::Release(ReleaseEvent::ComponentMarkedUnsafe { id, reason, .. }) => {
                Some((id, format!("unsafe: {reason}")))
            }
            Event::Release(ReleaseEvent::ComponentQuarantined { id, hold_id, .. }) => {
                Some((id, format!("quarantined by hold {hold_id}")))
            }
            Event::Manufacturing(ManufacturingEvent::ComponentProcessed { id, .. }) => {
                Some((id, "processed into other units".to_owned()))
            }
            _ => None,
        };
        if let Some((id, reason)) = taken_out
            && let Some(order_id) = state.allocations.get(id)
            && !out
                .iter()
                .any(|e| matches!(e, Event::Distribution(DistributionEvent::AllocationWithdrawn { id: w, .. }) if w == id))
        {
            out.push(Event::Distribution(DistributionEvent::AllocationWithdrawn {
                order_id: order_id.clone(),
                id: id.clone(),
                reason,
            }));
        }
        out.push(event);
    }
    out
}
