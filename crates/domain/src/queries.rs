//! Reads the server needs, as plain functions over the state.

use std::collections::BTreeMap;

use serde::Serialize;
use time::{Date, Duration, OffsetDateTime, UtcOffset};

use crate::distribution::orders::{self, Order, OrderStatus, hospital_of};
use crate::distribution::shipping::{Shipment, UnitReturn};
use crate::distribution::sites::Location;
use crate::kernel::Role;
use crate::kernel::{Abo, RhD};
use crate::manufacturing::components::Family;
use crate::release;

use crate::donor_centre::collection::Donation;
use crate::donor_centre::donor::{self, Donor, Identity, Match};
use crate::donor_centre::eligibility::{self, Deferral};
use crate::manufacturing::components::{Component, Status, component_id};
use crate::state::State;

pub fn donor<'a>(state: &'a State, id: &str) -> Option<&'a Donor> {
    state.donors.get(id)
}

/// Donors whose family or given name contains `name` (case-insensitive), born on
/// `date_of_birth` when given.
pub fn search_donors<'a>(
    state: &'a State,
    name: &str,
    date_of_birth: Option<Date>,
) -> Vec<&'a Donor> {
    let needle = name.to_lowercase();
    // With a birth date, only the donors born that day are read (an index, not a scan); a
    // search by name alone still reads every donor (a substring of a name has no index yet).
    let candidates: Box<dyn Iterator<Item = &Donor>> = match date_of_birth {
        Some(day) => Box::new(
            state
                .index
                .donors_born_on(day)
                .filter_map(|id| state.donors.get(id)),
        ),
        None => Box::new(state.donors.values()),
    };
    candidates
        .filter(|d| {
            d.identity.family_name.to_lowercase().contains(&needle)
                || d.identity.given_name.to_lowercase().contains(&needle)
        })
        .filter(|d| date_of_birth.is_none_or(|dob| d.identity.date_of_birth == dob))
        .collect()
}

/// ELIG-DEFERRED: the deferrals in force on `day`.
pub fn current_deferrals<'a>(state: &'a State, donor_id: &str, day: Date) -> Vec<&'a Deferral> {
    eligibility::current_deferrals(state, donor_id, day)
}

pub fn donation<'a>(state: &'a State, din: &str) -> Option<&'a Donation> {
    state.donations.get(din)
}

/// Every unit made from a donation (including pools it went into).
pub fn components_of<'a>(state: &'a State, din: &str) -> Vec<&'a Component> {
    state
        .index
        .components_from(din)
        .filter_map(|id| state.components.get(id))
        .filter(|c| c.sources.iter().any(|s| s == din))
        .collect()
}

/// A marker's name as the panel calls it (`anti-HIV-1/2` for `anti_hiv_1_2`), or its code
/// when the panel no longer lists it.
pub fn test_name<'a>(state: &'a State, code: &'a str) -> &'a str {
    state
        .config
        .tests
        .iter()
        .find(|t| t.code == code)
        .map_or(code, |t| t.name.as_str())
}

/// A unit by the DIN and the 8-character product code on its label.
pub fn component<'a>(state: &'a State, din: &str, product_code: &str) -> Option<&'a Component> {
    state.components.get(&component_id(din, product_code))
}

/// Units in a status (all units when `status` is `None`), in DIN order; a unit whose expiry
/// has passed at `now` is listed as expired even before `ExpireUnits` records it.
pub fn inventory(
    state: &State,
    status: Option<Status>,
    now: OffsetDateTime,
) -> Vec<(&Component, Status)> {
    state
        .components
        .values()
        .map(|c| {
            let effective = if c.status.is_workable() && c.expires_at <= now {
                Status::Expired
            } else {
                c.status
            };
            (c, effective)
        })
        .filter(|(_, s)| status.is_none_or(|wanted| wanted == *s))
        .collect()
}

/// ELIG-DEFERRED at registration: the registered donors the identity matches (same or near)
/// and the deferrals each has in force on `day`, so the desk sees a deferred donor before a
/// new record is made.
pub fn deferral_lookup<'a>(
    state: &'a State,
    identity: &Identity,
    day: Date,
) -> Vec<(&'a Donor, Vec<&'a Deferral>)> {
    state
        .index
        .donor_candidates(identity)
        .into_iter()
        .filter_map(|id| state.donors.get(id))
        .filter(|d| donor::compare(&d.identity, identity) != Match::None)
        .map(|d| (d, eligibility::current_deferrals(state, &d.id, day)))
        .collect()
}

// ---- Hospital supply: orders, shipments, inventory, reports -------------------------------

/// The orders a viewer may see: a hospital user its own hospital's, every other role all; the
/// pending ones first by due time (ORDER-CLOCK), then the others, latest placed first.
pub fn visible_orders<'a>(state: &'a State, role: Role, actor: &str) -> Vec<&'a Order> {
    let hospital = role.is_hospital_bound().then(|| hospital_of(state, actor));
    let mut out: Vec<&Order> = state
        .orders
        .values()
        .filter(|o| match hospital {
            None => true,
            Some(own) => own == Some(o.hospital.as_str()),
        })
        .collect();
    // Pending first, the most urgent priority first (emergency, STAT, ASAP, routine), each by
    // its due time: a STAT order due in minutes comes before a routine order days late.
    out.sort_by(|a, b| {
        b.is_pending()
            .cmp(&a.is_pending())
            .then_with(|| {
                if a.is_pending() {
                    b.priority
                        .cmp(&a.priority)
                        .then_with(|| a.due_at.cmp(&b.due_at))
                } else {
                    b.placed_at.cmp(&a.placed_at)
                }
            })
            .then_with(|| a.id.cmp(&b.id))
    });
    out
}

/// The orders of one hospital, as [`visible_orders`] sorts them.
pub fn orders_of_hospital<'a>(state: &'a State, hospital: &str) -> Vec<&'a Order> {
    visible_orders(state, Role::Distribution, "")
        .into_iter()
        .filter(|o| o.hospital == hospital)
        .collect()
}

/// ORDER-CLOCK: pending orders at risk of missing their due time at `now`, due soonest first.
pub fn orders_at_risk(state: &State, now: OffsetDateTime) -> Vec<&Order> {
    let mut out: Vec<&Order> = state
        .orders
        .values()
        .filter(|o| orders::at_risk(&state.config, o, now))
        .collect();
    out.sort_by(|a, b| (a.due_at, &a.id).cmp(&(b.due_at, &b.id)));
    out
}

/// One step of an order's story.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OrderStep {
    pub status: OrderStatus,
    /// When the step was reached (the first unit, for picking, shipping and receipt).
    #[serde(with = "time::serde::rfc3339::option")]
    pub at: Option<OffsetDateTime>,
    pub by: Option<String>,
}

/// The progress of one line.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LineProgress {
    pub line: u32,
    pub wanted: u32,
    pub allocated: u32,
    pub substitutes: u32,
    pub picked: u32,
    pub shipped: u32,
    pub received: u32,
}

/// An order with its status at every step, its lines' progress and its shipments.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OrderDetail<'a> {
    pub order: &'a Order,
    pub status: OrderStatus,
    pub at_risk: bool,
    pub steps: Vec<OrderStep>,
    pub lines: Vec<LineProgress>,
    pub shipments: Vec<&'a Shipment>,
}

pub fn order_detail<'a>(
    state: &'a State,
    order_id: &str,
    now: OffsetDateTime,
) -> Option<OrderDetail<'a>> {
    let order = state.orders.get(order_id)?;
    let shipments: Vec<&Shipment> = state
        .shipments
        .values()
        .filter(|s| s.order_id == order.id)
        .collect();
    let first_pick = shipments
        .iter()
        .map(|s| (s.opened_at, s.opened_by.clone()))
        .min();
    let first_ship = shipments
        .iter()
        .filter_map(|s| s.dispatch.as_ref().map(|d| (d.at, d.by.clone())))
        .min();
    let last_receipt = (order.status() == OrderStatus::Received)
        .then(|| {
            shipments
                .iter()
                .flat_map(|s| s.receipts.iter().map(|r| (r.at, r.by.clone())))
                .max()
        })
        .flatten();
    let step = |status, at_by: Option<(OffsetDateTime, String)>| OrderStep {
        status,
        at: at_by.as_ref().map(|(at, _)| *at),
        by: at_by.map(|(_, by)| by),
    };
    let mut steps = vec![
        step(
            OrderStatus::Open,
            Some((order.placed_at, order.placed_by.clone())),
        ),
        step(
            OrderStatus::Allocated,
            order.allocated_at.zip(order.allocated_by.clone()),
        ),
        step(OrderStatus::Picking, first_pick),
        step(OrderStatus::Shipped, first_ship),
        step(OrderStatus::Received, last_receipt),
    ];
    if let Some(c) = &order.cancelled {
        steps.push(step(OrderStatus::Cancelled, Some((c.at, c.by.clone()))));
    }
    let lines = order
        .lines
        .iter()
        .enumerate()
        .map(|(i, line)| {
            let units: Vec<_> = order.units_of_line(i as u32).collect();
            let count = |f: &dyn Fn(&&crate::distribution::orders::OrderUnit) -> bool| {
                units.iter().filter(|u| f(u)).count() as u32
            };
            LineProgress {
                line: i as u32,
                wanted: line.quantity,
                allocated: units.len() as u32,
                substitutes: count(&|u| u.allocated.substitution.is_some()),
                picked: count(&|u| u.shipment.is_some()),
                shipped: count(&|u| u.shipped_at.is_some()),
                received: count(&|u| u.received_at.is_some()),
            }
        })
        .collect();
    Some(OrderDetail {
        order,
        status: order.status(),
        at_risk: orders::at_risk(&state.config, order, now),
        steps,
        lines,
        shipments,
    })
}

/// Shipments, of one hospital or all, latest opened first.
pub fn shipments<'a>(state: &'a State, hospital: Option<&str>) -> Vec<&'a Shipment> {
    let mut out: Vec<&Shipment> = state
        .shipments
        .values()
        .filter(|s| hospital.is_none_or(|h| s.hospital == h))
        .collect();
    out.sort_by(|a, b| (b.opened_at, &b.id).cmp(&(a.opened_at, &a.id)));
    out
}

/// A unit in our stock (at one of our sites or in transit between them).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StockUnit<'a> {
    pub component: &'a Component,
    /// The effective status at `now` (an expired unit shows as expired).
    pub status: Status,
    pub site: Option<&'a str>,
    pub storage: Option<&'a str>,
    pub abo: Option<Abo>,
    pub rhd: Option<RhD>,
    /// Whole days left before expiry (0 on the last day, negative once expired).
    pub days_to_expiry: i64,
    pub allocated_to: Option<&'a str>,
}

/// Every unit in our hands (quarantined, available, returned, expired but not yet discarded),
/// by site then DIN.
pub fn stock(state: &State, now: OffsetDateTime) -> Vec<StockUnit<'_>> {
    let mut out: Vec<StockUnit> = state
        .components
        .values()
        .filter(|c| {
            matches!(
                c.status,
                Status::Quarantined | Status::Available | Status::Returned | Status::Expired
            ) && !matches!(c.location, Location::Hospital { .. } | Location::Gone)
        })
        .map(|c| stock_unit(state, c, now))
        .collect();
    out.sort_by(|a, b| (a.site, &a.component.id).cmp(&(b.site, &b.component.id)));
    out
}

fn stock_unit<'a>(state: &'a State, c: &'a Component, now: OffsetDateTime) -> StockUnit<'a> {
    let group = release::gate::confirmed_group(state, c);
    let (site, storage) = match &c.location {
        Location::Site { site, storage } => (Some(site.as_str()), storage.as_deref()),
        Location::InTransit { to, .. } => (Some(to.as_str()), None),
        _ => (None, None),
    };
    let status = if c.status.is_workable() && c.expires_at <= now {
        Status::Expired
    } else {
        c.status
    };
    StockUnit {
        component: c,
        status,
        site,
        storage,
        abo: group.map(|g| g.0),
        rhd: group.map(|g| g.1),
        days_to_expiry: (c.expires_at - now).whole_days(),
        allocated_to: state.allocations.get(&c.id).map(String::as_str),
    }
}

/// One cell of the inventory table: units of a family and group at a site, by days to expiry.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InventoryCount {
    pub site: String,
    pub family: Family,
    pub abo: Option<Abo>,
    pub rhd: Option<RhD>,
    pub status: Status,
    /// 0-1, 2-3, 4-7, 8-14, 15+ days (expired units are in `expired`).
    pub expiry_band: &'static str,
    pub units: u32,
}

/// Site, family, ABO, RhD, status and expiry band of an inventory cell.
type InventoryKey = (
    String,
    Family,
    Option<Abo>,
    Option<RhD>,
    Status,
    &'static str,
);

/// Live inventory by site, family, ABO/RhD, status and days to expiry.
pub fn inventory_summary(state: &State, now: OffsetDateTime) -> Vec<InventoryCount> {
    let mut counts: BTreeMap<InventoryKey, u32> = BTreeMap::new();
    for unit in stock(state, now) {
        let key = (
            unit.site.unwrap_or("unplaced").to_owned(),
            unit.component.family,
            unit.abo,
            unit.rhd,
            unit.status,
            expiry_band(unit.status, unit.days_to_expiry),
        );
        *counts.entry(key).or_default() += 1;
    }
    counts
        .into_iter()
        .map(
            |((site, family, abo, rhd, status, expiry_band), units)| InventoryCount {
                site,
                family,
                abo,
                rhd,
                status,
                expiry_band,
                units,
            },
        )
        .collect()
}

fn expiry_band(status: Status, days: i64) -> &'static str {
    match days {
        _ if status == Status::Expired => "expired",
        ..=1 => "0-1",
        2..=3 => "2-3",
        4..=7 => "4-7",
        8..=14 => "8-14",
        _ => "15+",
    }
}

/// Available units expiring within `Config::distribution.expiring_soon_hours`, soonest first.
pub fn expiring_soon(state: &State, now: OffsetDateTime) -> Vec<StockUnit<'_>> {
    let horizon = now + Duration::hours(i64::from(state.config.distribution.expiring_soon_hours));
    let mut out: Vec<StockUnit> = stock(state, now)
        .into_iter()
        .filter(|u| u.status == Status::Available && u.component.expires_at <= horizon)
        .collect();
    out.sort_by(|a, b| {
        (a.component.expires_at, &a.component.id).cmp(&(b.component.expires_at, &b.component.id))
    });
    out
}

/// Units at a hospital (shipped to it and not returned).
pub fn hospital_inventory<'a>(state: &'a State, hospital: &str) -> Vec<&'a Component> {
    state
        .components
        .values()
        .filter(|c| {
            c.status == Status::Shipped
                && matches!(&c.location, Location::Hospital { hospital: h, .. } if h == hospital)
        })
        .collect()
}

/// Returned units waiting for QA's review (DIST-RETURN), with their return.
pub fn pending_returns(state: &State) -> Vec<(&Component, &UnitReturn)> {
    state
        .returns
        .iter()
        .filter_map(|(id, returns)| {
            let c = state.components.get(id)?;
            let r = returns.last()?;
            (c.status == Status::Returned && r.review.is_none()).then_some((c, r))
        })
        .collect()
}

/// Fill rate of one hospital on one day: units shipped against units ordered, for the orders
/// due that day that were not cancelled.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FillRate {
    pub hospital: String,
    pub orders: u32,
    pub ordered_units: u32,
    pub shipped_units: u32,
}

/// The daily report rows: what happened on `day` (in `offset`'s local time).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DailyReport {
    pub day: Date,
    pub collections: u32,
    pub components_produced: u32,
    pub units_shipped: u32,
    pub shipments: u32,
    /// (component, reason) of each unit discarded that day.
    pub discards: Vec<(String, String)>,
    pub fill_rates: Vec<FillRate>,
}

pub fn daily_report(state: &State, day: Date, offset: UtcOffset) -> DailyReport {
    let on_day = |at: OffsetDateTime| at.to_offset(offset).date() == day;
    let collections = state
        .donations
        .values()
        .filter(|d| on_day(d.ended_at))
        .count() as u32;
    let components_produced = state
        .components
        .values()
        .filter(|c| c.parents.is_empty() && on_day(c.produced_at))
        .count() as u32;
    let units_shipped = state
        .components
        .values()
        .filter(|c| c.shipped_at.is_some_and(on_day))
        .count() as u32;
    let shipments = state
        .shipments
        .values()
        .filter(|s| s.dispatch.as_ref().is_some_and(|d| on_day(d.at)))
        .count() as u32;
    let discards = state
        .components
        .values()
        .filter(|c| c.discarded_at.is_some_and(on_day))
        .map(|c| (c.id.clone(), c.status_reason.clone().unwrap_or_default()))
        .collect();
    let mut fill: BTreeMap<&str, FillRate> = BTreeMap::new();
    for order in state
        .orders
        .values()
        .filter(|o| o.cancelled.is_none() && on_day(o.due_at))
    {
        let row = fill.entry(&order.hospital).or_insert_with(|| FillRate {
            hospital: order.hospital.clone(),
            orders: 0,
            ordered_units: 0,
            shipped_units: 0,
        });
        row.orders += 1;
        row.ordered_units += order.ordered_units();
        row.shipped_units += order.shipped_units();
    }
    DailyReport {
        day,
        collections,
        components_produced,
        units_shipped,
        shipments,
        discards,
        fill_rates: fill.into_values().collect(),
    }
}
