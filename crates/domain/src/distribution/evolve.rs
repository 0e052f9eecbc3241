//! How this area's events change the state (sites, storage, orders, shipments and returns). Events carry every value
//! needed, so nothing here decides.

use crate::distribution::sites::Location;
use crate::distribution::supply;
use crate::manufacturing::Status;
use crate::state::State;

use super::Event;

pub(crate) fn evolve(state: &mut State, event: &Event) {
    match event {
        Event::ComponentShipped {
            id,
            consignee,
            at,
            shipment,
            ..
        } => {
            if let Some(c) = state.components.get_mut(id) {
                c.status = Status::Shipped;
                c.consignee = Some(consignee.clone());
                c.shipped_at = Some(*at);
                c.location = Location::Hospital {
                    hospital: consignee.clone(),
                    shipment: shipment.clone(),
                };
            }
            if let Some(order_id) = state.allocations.remove(id)
                && let Some(order) = state.orders.get_mut(&order_id)
                && let Some(unit) = order
                    .units
                    .iter_mut()
                    .find(|u| u.allocated.component == *id)
            {
                unit.shipped_at = Some(*at);
            }
        }
        Event::SiteRegistered { .. }
        | Event::StorageRegistered { .. }
        | Event::ComponentStored { .. }
        | Event::TransferDispatched { .. }
        | Event::TransferReceived { .. }
        | Event::HospitalRegistered { .. }
        | Event::OrderPlaced { .. }
        | Event::StandingOrderPlaced { .. }
        | Event::OrderCancelled { .. }
        | Event::StandingOrderCancelled { .. }
        | Event::OrderAllocated { .. }
        | Event::AllocationWithdrawn { .. }
        | Event::ShipmentOpened { .. }
        | Event::UnitPicked { .. }
        | Event::ShipmentShipped { .. }
        | Event::ReceiptConfirmed { .. }
        | Event::UnitReturned { .. }
        | Event::ReturnReviewed { .. } => supply::evolve(state, event),
    }
}
