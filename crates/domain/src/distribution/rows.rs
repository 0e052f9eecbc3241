//! The projection rows this area's events change (their kind and ID), for the ledger.

use crate::state::State;

use super::Event;

/// The kind and ID of every projection row `event` changes.
pub(crate) fn row_keys(state: &State, event: &Event) -> Vec<(&'static str, String)> {
    match event {
        Event::ComponentStored { id, .. } => vec![("component", id.clone())],
        Event::ComponentShipped { id, .. } => {
            let mut k = vec![("component", id.clone())];
            k.extend(order_of(state, id));
            k
        }
        Event::SiteRegistered { site } => {
            vec![("site", site.id.clone())]
        }
        Event::StorageRegistered { storage } => {
            vec![("storage", storage.id.clone())]
        }
        Event::HospitalRegistered { hospital } => {
            vec![("hospital", hospital.id.clone())]
        }
        Event::TransferDispatched { transfer } => {
            let mut k = vec![("transfer", transfer.id.clone())];
            k.extend(transfer.components.iter().map(|c| ("component", c.clone())));
            k
        }
        Event::TransferReceived {
            transfer_id, id, ..
        } => vec![("transfer", transfer_id.clone()), ("component", id.clone())],
        Event::OrderPlaced { order } => {
            vec![("order", order.id.clone())]
        }
        Event::StandingOrderPlaced { standing_order } => {
            vec![("standing_order", standing_order.id.clone())]
        }
        Event::StandingOrderCancelled {
            standing_order_id, ..
        } => vec![("standing_order", standing_order_id.clone())],
        // Cancelling, allocating again or withdrawing a unit changes the order's open boxes.
        Event::OrderCancelled { order_id, .. }
        | Event::AllocationWithdrawn { order_id, .. }
        | Event::OrderAllocated { order_id, .. } => {
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
        Event::ShipmentOpened { shipment } => vec![
            ("shipment", shipment.id.clone()),
            ("order", shipment.order_id.clone()),
        ],
        Event::UnitPicked {
            shipment_id,
            order_id,
            ..
        } => vec![
            ("shipment", shipment_id.clone()),
            ("order", order_id.clone()),
        ],
        Event::ShipmentShipped { shipment_id, .. } => {
            let mut k = vec![("shipment", shipment_id.clone())];
            k.extend(
                state
                    .shipments
                    .get(shipment_id)
                    .map(|s| ("order", s.order_id.clone())),
            );
            k
        }
        Event::ReceiptConfirmed {
            shipment_id, id, ..
        } => {
            let mut k = vec![("shipment", shipment_id.clone()), ("component", id.clone())];
            k.extend(
                state
                    .shipments
                    .get(shipment_id)
                    .map(|s| ("order", s.order_id.clone())),
            );
            k
        }
        Event::UnitReturned { unit_return } => {
            vec![("component", unit_return.component.clone())]
        }
        Event::ReturnReviewed { id, .. } => {
            vec![("component", id.clone())]
        }
    }
}

/// The order row a unit's shipment changes (none for `ShipComponent`).
fn order_of(state: &State, id: &str) -> Option<(&'static str, String)> {
    let super::sites::Location::Hospital {
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
