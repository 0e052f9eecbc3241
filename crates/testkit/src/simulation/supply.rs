//! Random hospital-supply commands for the simulation: orders, standing orders, allocation
//! (the proposal, or a changed one), picks (right and wrong scans), shipments at every
//! temperature, receipts, returns and their review, storage and transfers.

use hemaflow_domain::{ClientCommand, DistributionCommand};
use time::Weekday;

use super::{Rng, pick_key, pick_where};
use crate::scenario::{Centre, DISTRIBUTION_SITE, HOSPITAL_USERS, PROCESSING_SITE};
use hemaflow_domain::command::{Command, LineUnit};
use hemaflow_domain::distribution::allocation::propose_allocation;
use hemaflow_domain::distribution::orders::{Need, OrderLine, Priority};
use hemaflow_domain::distribution::sites::{Celsius, Location, TemperatureRange};
use hemaflow_domain::lab::testing::{Abo, RhD};
use hemaflow_domain::manufacturing::components::{Family, Status};
use hemaflow_domain::state::State;

const FAMILIES: [Family; 5] = [
    Family::RedCells,
    Family::RedCells,
    Family::Plasma,
    Family::Platelets,
    Family::Cryo,
];
const ABO: [Abo; 4] = [Abo::O, Abo::A, Abo::B, Abo::AB];
const PRIORITIES: [Priority; 4] = [
    Priority::Routine,
    Priority::Asap,
    Priority::Stat,
    Priority::Emergency,
];
const SITES: [&str; 2] = [PROCESSING_SITE, DISTRIBUTION_SITE];
const RANGES: [TemperatureRange; 3] = [
    TemperatureRange::degrees(1, 10),
    TemperatureRange::degrees(20, 24),
    TemperatureRange {
        min_c: Celsius::LOWEST,
        max_c: Celsius::degrees(-20),
    },
];

pub(super) fn generate(centre: &Centre, rng: &mut Rng) -> Option<Command> {
    let state = &centre.state;
    match rng.below(20) {
        0..=1 => Some(place_order(state, rng)),
        2 if rng.chance(50) => Some(standing(centre, rng)),
        2..=6 => allocate(centre, rng),
        7..=9 => pick(state, rng),
        10..=11 => ship(state, rng),
        12 => receipt(state, rng),
        13 => return_unit(state, rng),
        14 => review(state, rng),
        15 => cancel(state, rng),
        16 => store(state, rng),
        17 => dispatch(state, rng),
        _ => receive(state, rng),
    }
}

fn line(rng: &mut Rng) -> OrderLine {
    OrderLine {
        component_type: rng.pick(&FAMILIES).copied().unwrap_or(Family::RedCells),
        abo: rng.pick(&ABO).copied().unwrap_or(Abo::O),
        rhd: if rng.chance(15) {
            RhD::Negative
        } else {
            RhD::Positive
        },
        attributes: if rng.chance(10) {
            vec![Need::Irradiated]
        } else {
            vec![]
        },
        quantity: 1 + rng.below(3) as u32,
    }
}

fn hospital(rng: &mut Rng) -> String {
    rng.pick(&HOSPITAL_USERS)
        .map_or("mercy", |(h, _)| h)
        .to_owned()
}

/// A line for the group and family of a unit in stock, so that many orders can be filled.
fn line_for_stock(state: &State, rng: &mut Rng) -> Option<OrderLine> {
    let c = pick_where(&state.components, rng, |c| c.status == Status::Available)?;
    let (abo, rhd) = hemaflow_domain::release::gate::confirmed_group(state, c)?;
    Some(OrderLine {
        component_type: c.family,
        abo,
        rhd,
        attributes: vec![],
        quantity: 1 + rng.below(2) as u32,
    })
}

fn place_order(state: &State, rng: &mut Rng) -> Command {
    let lines = (0..1 + rng.below(2))
        .map(|_| {
            if rng.chance(70) {
                line_for_stock(state, rng).unwrap_or_else(|| line(rng))
            } else {
                line(rng)
            }
        })
        .collect();
    Command::Client(ClientCommand::Distribution(
        DistributionCommand::PlaceOrder {
            order_id: format!("ORD-{}", state.orders.len() + 1),
            hospital: hospital(rng),
            lines,
            priority: rng.pick(&PRIORITIES).copied().unwrap_or(Priority::Routine),
            needed_by: None,
        },
    ))
}

fn standing(centre: &Centre, rng: &mut Rng) -> Command {
    if rng.chance(50) && !centre.state.standing_orders.is_empty() {
        return Command::Client(ClientCommand::Distribution(
            DistributionCommand::RenewStandingOrders { as_of: centre.now },
        ));
    }
    let days = [Weekday::Monday, Weekday::Wednesday, Weekday::Friday];
    Command::Client(ClientCommand::Distribution(
        DistributionCommand::PlaceStandingOrder {
            standing_order_id: format!("STD-{}", centre.state.standing_orders.len() + 1),
            hospital: hospital(rng),
            lines: vec![line(rng)],
            priority: Priority::Routine,
            weekday: rng.pick(&days).copied().unwrap_or(Weekday::Monday),
        },
    ))
}

/// The proposal at a random site, sometimes with one unit swapped for any available unit.
fn allocate(centre: &Centre, rng: &mut Rng) -> Option<Command> {
    let state = &centre.state;
    let order = pick_where(&state.orders, rng, |o| o.is_pending() && o.units.is_empty())
        .or_else(|| pick_where(&state.orders, rng, |o| o.is_pending()))?;
    let site = rng.pick(&SITES).copied().unwrap_or(PROCESSING_SITE);
    let proposal = propose_allocation(state, &order.id, site, centre.now).ok()?;
    let mut units = proposal.choices();
    if units.is_empty() && rng.chance(70) {
        return None;
    }
    if units.is_empty() || rng.chance(15) {
        let any = pick_where(&state.components, rng, |c| c.status == Status::Available)?;
        let unit = LineUnit {
            line: rng.below(order.lines.len() as u64) as u32,
            component: any.id.clone(),
        };
        match units.first_mut() {
            Some(first) if rng.chance(50) => *first = unit,
            _ => units.push(unit),
        }
    }
    Some(Command::Client(ClientCommand::Distribution(
        DistributionCommand::AllocateOrder {
            order_id: order.id.clone(),
            units,
        },
    )))
}

fn shipment_id(order: &str, site: &str) -> String {
    format!("SHP-{order}-{site}")
}

fn pick(state: &State, rng: &mut Rng) -> Option<Command> {
    let order = pick_where(&state.orders, rng, |o| {
        o.units.iter().any(|u| u.shipment.is_none())
    })?;
    let unit = order.units.iter().find(|u| u.shipment.is_none())?;
    let mut component = unit.allocated.component.clone();
    if rng.chance(10) {
        component = pick_key(&state.components, rng)?;
    }
    let site = state
        .components
        .get(&component)
        .and_then(|c| c.location.site())
        .unwrap_or(PROCESSING_SITE);
    Some(Command::Client(ClientCommand::Distribution(
        DistributionCommand::PickUnit {
            shipment_id: shipment_id(&order.id, site),
            order_id: order.id.clone(),
            component,
        },
    )))
}

fn ship(state: &State, rng: &mut Rng) -> Option<Command> {
    let shipment = pick_where(&state.shipments, rng, |s| {
        s.dispatch.is_none() && !s.cancelled
    })?;
    // Mostly the range the first unit needs, sometimes any.
    let first = shipment
        .components
        .first()
        .and_then(|c| state.components.get(c));
    let range = match first.map(hemaflow_domain::distribution::sites::KeptAs::of) {
        Some(kept) if rng.chance(85) => {
            hemaflow_domain::distribution::sites::shipping_range(&state.config, kept)
        }
        _ => rng.pick(&RANGES).copied().unwrap_or(RANGES[0]),
    };
    Some(Command::Client(ClientCommand::Distribution(
        DistributionCommand::ShipShipment {
            shipment_id: shipment.id.clone(),
            box_id: format!("BOX-{}", rng.below(1000)),
            temperature_range: range,
            courier: "City Courier".into(),
        },
    )))
}

fn receipt(state: &State, rng: &mut Rng) -> Option<Command> {
    let shipment = pick_where(&state.shipments, rng, |s| {
        s.dispatch.is_some() && s.receipts.len() < s.components.len()
    })?;
    let component = shipment
        .components
        .iter()
        .find(|c| !shipment.is_received(c))?
        .clone();
    Some(Command::Client(ClientCommand::Distribution(
        DistributionCommand::ConfirmReceipt {
            shipment_id: shipment.id.clone(),
            component,
        },
    )))
}

fn return_unit(state: &State, rng: &mut Rng) -> Option<Command> {
    let c = pick_where(&state.components, rng, |c| {
        matches!(c.location, Location::Hospital { .. })
    })?;
    Some(Command::Client(ClientCommand::Distribution(
        DistributionCommand::ReturnUnit {
            component: c.id.clone(),
            minutes_out_of_storage: rng.below(90) as u32,
            reason: "not transfused".into(),
            seal_intact: rng.chance(90),
            validated_container: rng.chance(30),
        },
    )))
}

fn review(state: &State, rng: &mut Rng) -> Option<Command> {
    let c = pick_where(&state.components, rng, |c| c.status == Status::Returned)?;
    Some(Command::Client(ClientCommand::Distribution(
        DistributionCommand::ReviewReturn {
            component: c.id.clone(),
            accept: rng.chance(70),
            reason: "QA review of the return".into(),
        },
    )))
}

fn cancel(state: &State, rng: &mut Rng) -> Option<Command> {
    let order_id = if rng.chance(20) {
        pick_key(&state.standing_orders, rng)?
    } else {
        pick_key(&state.orders, rng)?
    };
    Some(Command::Client(ClientCommand::Distribution(
        DistributionCommand::CancelOrder {
            order_id,
            reason: "no longer needed".into(),
        },
    )))
}

fn store(state: &State, rng: &mut Rng) -> Option<Command> {
    let c = pick_where(&state.components, rng, |c| c.status.is_workable())?;
    let storage = pick_key(&state.storages, rng)?;
    Some(Command::Client(ClientCommand::Distribution(
        DistributionCommand::StoreComponent {
            component: c.id.clone(),
            storage,
        },
    )))
}

fn dispatch(state: &State, rng: &mut Rng) -> Option<Command> {
    let from = rng.pick(&SITES).copied().unwrap_or(PROCESSING_SITE);
    let to = if from == PROCESSING_SITE {
        DISTRIBUTION_SITE
    } else {
        PROCESSING_SITE
    };
    let units: Vec<String> = state
        .components
        .values()
        .filter(|c| c.status.is_workable() && c.location.site() == Some(from))
        .filter(|_| rng.chance(30))
        .take(6)
        .map(|c| c.id.clone())
        .collect();
    if units.is_empty() {
        return None;
    }
    Some(Command::Client(ClientCommand::Distribution(
        DistributionCommand::DispatchTransfer {
            transfer_id: format!("TRF-{}", state.transfers.len() + 1),
            from: from.to_owned(),
            to: to.to_owned(),
            components: units,
        },
    )))
}

fn receive(state: &State, rng: &mut Rng) -> Option<Command> {
    let transfer = pick_where(&state.transfers, rng, |t| !t.is_complete())?;
    let component = if rng.chance(10) {
        pick_key(&state.components, rng)?
    } else {
        transfer
            .components
            .iter()
            .find(|c| !transfer.received.contains(c))?
            .clone()
    };
    Some(Command::Client(ClientCommand::Distribution(
        DistributionCommand::ReceiveTransfer {
            transfer_id: transfer.id.clone(),
            component,
        },
    )))
}
