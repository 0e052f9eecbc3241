//! The decisions of this area: one function per command, chosen here.

use crate::kernel::Refusal;
use crate::state::State;
use crate::{Context, Event};

use super::Command;
use super::{allocation, orders, shipping, sites};
use crate::release;

pub(crate) fn decide(
    state: &State,
    command: &Command,
    ctx: &Context,
) -> Result<Vec<Event>, Refusal> {
    match command {
        Command::ShipComponent {
            component,
            consignee,
        } => release::gate::ship(state, component, consignee, ctx),
        Command::RegisterSite {
            site_id,
            name,
            kind,
            address,
        } => sites::register_site(state, site_id, name, *kind, address, ctx),
        Command::RegisterStorage {
            storage_id,
            site_id,
            kind,
            min_c,
            max_c,
        } => sites::register_storage(
            state,
            sites::Storage {
                id: storage_id.clone(),
                site_id: site_id.clone(),
                kind: *kind,
                min_c: *min_c,
                max_c: *max_c,
            },
        ),
        Command::StoreComponent { component, storage } => {
            sites::store_component(state, component, storage, ctx)
        }
        Command::DispatchTransfer {
            transfer_id,
            from,
            to,
            components,
        } => sites::dispatch_transfer(state, transfer_id, from, to, components, ctx),
        Command::ReceiveTransfer {
            transfer_id,
            component,
        } => sites::receive_transfer(state, transfer_id, component, ctx),
        Command::RegisterHospital {
            hospital_id,
            name,
            address,
            contacts,
        } => sites::register_hospital(state, hospital_id, name, address, contacts, ctx),
        Command::PlaceOrder {
            order_id,
            hospital,
            lines,
            priority,
            needed_by,
        } => orders::place_order(state, order_id, hospital, lines, *priority, *needed_by, ctx),
        Command::PlaceStandingOrder {
            standing_order_id,
            hospital,
            lines,
            priority,
            weekday,
        } => orders::place_standing_order(
            state,
            standing_order_id,
            hospital,
            lines,
            *priority,
            *weekday,
            ctx,
        ),
        Command::RenewStandingOrders { as_of } => orders::renew_standing_orders(state, *as_of, ctx),
        Command::CancelOrder { order_id, reason } => {
            orders::cancel_order(state, order_id, reason, ctx)
        }
        Command::AllocateOrder { order_id, units } => {
            allocation::allocate_order(state, order_id, units, ctx)
        }
        Command::PickUnit {
            shipment_id,
            order_id,
            component,
        } => shipping::pick(state, shipment_id, order_id, component, ctx),
        Command::ShipShipment {
            shipment_id,
            box_id,
            temperature_range,
            courier,
        } => shipping::ship(state, shipment_id, box_id, *temperature_range, courier, ctx),
        Command::ConfirmReceipt {
            shipment_id,
            component,
        } => shipping::confirm_receipt(state, shipment_id, component, ctx),
        Command::ReturnUnit {
            component,
            minutes_out_of_storage,
            reason,
            seal_intact,
            validated_container,
        } => shipping::return_unit(
            state,
            component,
            *minutes_out_of_storage,
            *seal_intact,
            *validated_container,
            reason,
            ctx,
        ),
        Command::ReviewReturn {
            component,
            accept,
            reason,
        } => shipping::review_return(state, component, *accept, reason, ctx),
    }
}
