//! Hospital orders: placing, standing orders renewed every week, cancelling, and the clock of
//! each priority.
//!
//! Rules:
//! - ORDER-CLOCK: an order is due `Config::distribution` minutes after it is placed by its
//!   priority (US suppliers' promise: STAT shipped within 1 h, ASAP 4 h, routine 24 h;
//!   emergency as STAT), or at the hospital's needed-by time when that is later. An order not
//!   shipped within `at_risk_minutes` of its due time (or past it) is at risk.
//! - P11-ACCESS for hospitals: a hospital user orders, cancels, confirms receipt and returns
//!   only for the hospital its account is bound to (`User::hospital` holds the hospital ID).
//!   An account or API token is bound only to a hospital on record, by its ID
//!   (`crate::access::hospital_binding`).
//!
//! Choices where the rule book is silent: an order line asks for a product family, an ABO/RhD
//! and attributes; CMV-safe is met by leukoreduced units (the FDA's 2012 leukoreduction
//! guidance accepts them as reducing CMV transmission; we keep no CMV serology). HLA-matched
//! and antigen-negative lines are accepted but no unit meets them here (we keep no HLA or red
//! cell antigen typing), so allocation states the shortfall with that reason.

use crate::DistributionEvent;
use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime, Time, Weekday};

use crate::Context;
use crate::access::TOKEN_ACTOR_PREFIX;
use crate::command::Event;
use crate::config::Config;
use crate::distribution::sites::{find_hospital, non_empty};
use crate::kernel::refusal::{Refusal, Rule, refuse};
use crate::kernel::{Abo, RhD};
use crate::manufacturing::Family;
use crate::state::State;

/// The most units one order line may ask for.
pub const MAX_LINE_QUANTITY: u32 = 200;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    Routine,
    Asap,
    Stat,
    Emergency,
}

impl Priority {
    pub fn as_str(self) -> &'static str {
        match self {
            Priority::Routine => "routine",
            Priority::Asap => "ASAP",
            Priority::Stat => "STAT",
            Priority::Emergency => "emergency",
        }
    }
}

/// What a line asks of its units beyond the product family and group.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Need {
    Irradiated,
    /// CMV-seronegative or leukoreduced.
    CmvSafe,
    Leukoreduced,
    Washed,
    HlaMatched,
    AntigenNegative,
}

impl Need {
    pub fn as_str(self) -> &'static str {
        match self {
            Need::Irradiated => "irradiated",
            Need::CmvSafe => "CMV-safe",
            Need::Leukoreduced => "leukoreduced",
            Need::Washed => "washed",
            Need::HlaMatched => "HLA-matched",
            Need::AntigenNegative => "antigen-negative",
        }
    }
}

/// One line of an order: `quantity` units of a product family for a recipient of `abo`/`rhd`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OrderLine {
    pub component_type: Family,
    pub abo: Abo,
    pub rhd: RhD,
    #[serde(default)]
    pub attributes: Vec<Need>,
    pub quantity: u32,
}

/// A substitution recorded at allocation: the compatibility rule that allows it and what to
/// tell the hospital.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Substitution {
    pub rule: String,
    pub note: String,
}

/// A unit allocated to a line of an order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AllocatedUnit {
    /// Index of the line in the order (from 0).
    pub line: u32,
    pub component: String,
    /// None for an exact match.
    pub substitution: Option<Substitution>,
}

/// An allocated unit and what became of it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OrderUnit {
    #[serde(flatten)]
    pub allocated: AllocatedUnit,
    /// The shipment it was picked into.
    pub shipment: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub shipped_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub received_at: Option<OffsetDateTime>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Cancellation {
    pub reason: String,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub by: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Order {
    pub id: String,
    pub hospital: String,
    pub lines: Vec<OrderLine>,
    pub priority: Priority,
    #[serde(with = "time::serde::rfc3339::option")]
    pub needed_by: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339")]
    pub placed_at: OffsetDateTime,
    pub placed_by: String,
    /// ORDER-CLOCK: when it must ship.
    #[serde(with = "time::serde::rfc3339")]
    pub due_at: OffsetDateTime,
    /// The standing order that renewed it.
    pub standing_order: Option<String>,
    pub units: Vec<OrderUnit>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub allocated_at: Option<OffsetDateTime>,
    pub allocated_by: Option<String>,
    pub cancelled: Option<Cancellation>,
    /// The shipments opened for it, in order.
    #[serde(default)]
    pub shipments: Vec<String>,
}

/// The steps of an order, in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    /// Placed, nothing allocated.
    Open,
    /// Units allocated, none picked.
    Allocated,
    /// Some units picked, not yet shipped.
    Picking,
    /// Shipped, not every unit received.
    Shipped,
    /// Every shipped unit received by the hospital.
    Received,
    Cancelled,
}

impl OrderStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::Open => "open",
            OrderStatus::Allocated => "allocated",
            OrderStatus::Picking => "picking",
            OrderStatus::Shipped => "shipped",
            OrderStatus::Received => "received",
            OrderStatus::Cancelled => "cancelled",
        }
    }
}

impl Order {
    pub fn status(&self) -> OrderStatus {
        if self.cancelled.is_some() {
            return OrderStatus::Cancelled;
        }
        let shipped: Vec<&OrderUnit> = self
            .units
            .iter()
            .filter(|u| u.shipped_at.is_some())
            .collect();
        if !shipped.is_empty() {
            return if shipped.iter().all(|u| u.received_at.is_some()) {
                OrderStatus::Received
            } else {
                OrderStatus::Shipped
            };
        }
        if self.units.iter().any(|u| u.shipment.is_some()) {
            OrderStatus::Picking
        } else if self.units.is_empty() {
            OrderStatus::Open
        } else {
            OrderStatus::Allocated
        }
    }
    /// Whether the order still waits to ship (not shipped, not cancelled).
    pub fn is_pending(&self) -> bool {
        matches!(
            self.status(),
            OrderStatus::Open | OrderStatus::Allocated | OrderStatus::Picking
        )
    }
    pub fn ordered_units(&self) -> u32 {
        self.lines.iter().map(|l| l.quantity).sum()
    }
    pub fn shipped_units(&self) -> u32 {
        self.units.iter().filter(|u| u.shipped_at.is_some()).count() as u32
    }
    /// The units allocated to line `line`.
    pub fn units_of_line(&self, line: u32) -> impl Iterator<Item = &OrderUnit> {
        self.units.iter().filter(move |u| u.allocated.line == line)
    }
}

/// An order placed again every week on `weekday`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StandingOrder {
    pub id: String,
    pub hospital: String,
    pub lines: Vec<OrderLine>,
    pub priority: Priority,
    #[cfg_attr(feature = "openapi", schema(value_type = crate::openapi::Weekday))]
    pub weekday: Weekday,
    #[serde(with = "time::serde::rfc3339")]
    pub placed_at: OffsetDateTime,
    pub placed_by: String,
    pub cancelled: Option<Cancellation>,
}

/// ORDER-CLOCK: the minutes a priority allows from placing to shipping.
pub fn clock_minutes(config: &Config, priority: Priority) -> u32 {
    let rules = &config.distribution;
    match priority {
        Priority::Routine => rules.routine_minutes,
        Priority::Asap => rules.asap_minutes,
        Priority::Stat => rules.stat_minutes,
        Priority::Emergency => rules.emergency_minutes,
    }
}

/// ORDER-CLOCK: when an order placed at `placed_at` must ship.
pub fn due_at(
    config: &Config,
    priority: Priority,
    placed_at: OffsetDateTime,
    needed_by: Option<OffsetDateTime>,
) -> OffsetDateTime {
    let clock = placed_at + Duration::minutes(i64::from(clock_minutes(config, priority)));
    needed_by.map_or(clock, |needed| needed.max(clock))
}

/// ORDER-CLOCK: whether a pending order is at risk of missing its due time at `now`.
pub fn at_risk(config: &Config, order: &Order, now: OffsetDateTime) -> bool {
    order.is_pending()
        && order.due_at - now <= Duration::minutes(i64::from(config.distribution.at_risk_minutes))
}

/// The hospital an actor acts for: the binding of a hospital user's account, or of the API
/// token a hospital system acts with (actor `token:ID`; a revoked token acts for none).
pub fn hospital_of<'a>(state: &'a State, actor: &str) -> Option<&'a str> {
    if let Some(token_id) = actor.strip_prefix(TOKEN_ACTOR_PREFIX) {
        return state
            .api_tokens
            .get(token_id)
            .filter(|t| t.is_active())
            .and_then(|t| t.hospital.as_deref());
    }
    state.users.get(actor).and_then(|u| u.hospital.as_deref())
}

/// P11-ACCESS: a hospital-bound role (a hospital user, a transfusion technologist, a nurse)
/// acts only for its own hospital; other roles for any.
pub(crate) fn check_hospital(state: &State, hospital: &str, ctx: &Context) -> Result<(), Refusal> {
    if !ctx.role.is_hospital_bound() {
        return Ok(());
    }
    match hospital_of(state, &ctx.actor) {
        Some(own) if own == hospital => Ok(()),
        Some(own) => refuse(
            Rule::P11Access,
            format!("{} acts for hospital {own}, not for {hospital}", ctx.actor),
        ),
        None => refuse(
            Rule::P11Access,
            format!("{} is not bound to a hospital", ctx.actor),
        ),
    }
}

fn check_lines(lines: &[OrderLine]) -> Result<(), Refusal> {
    if lines.is_empty() {
        return refuse(Rule::DistInput, "an order needs at least one line");
    }
    for (i, line) in lines.iter().enumerate() {
        if line.quantity == 0 || line.quantity > MAX_LINE_QUANTITY {
            return refuse(
                Rule::DistInput,
                format!(
                    "line {}: quantity {} is not between 1 and {MAX_LINE_QUANTITY}",
                    i + 1,
                    line.quantity
                ),
            );
        }
    }
    Ok(())
}

fn check_new_order(
    state: &State,
    order_id: &str,
    hospital: &str,
    lines: &[OrderLine],
    ctx: &Context,
) -> Result<(), Refusal> {
    non_empty("the order ID", order_id)?;
    check_hospital(state, hospital, ctx)?;
    find_hospital(state, hospital)?;
    if state.orders.contains_key(order_id) || state.standing_orders.contains_key(order_id) {
        return refuse(Rule::DistExists, format!("order {order_id} already exists"));
    }
    check_lines(lines)
}

/// ORDER-CLOCK: place an order; its due time is computed here and recorded.
pub(crate) fn place_order(
    state: &State,
    order_id: &str,
    hospital: &str,
    lines: &[OrderLine],
    priority: Priority,
    needed_by: Option<OffsetDateTime>,
    ctx: &Context,
) -> Result<Vec<Event>, Refusal> {
    check_new_order(state, order_id, hospital, lines, ctx)?;
    if let Some(needed) = needed_by
        && needed < ctx.now
    {
        return refuse(
            Rule::DistInput,
            format!("the needed-by time {needed} has passed"),
        );
    }
    Ok(vec![Event::Distribution(DistributionEvent::OrderPlaced {
        order: Box::new(new_order(
            &state.config,
            order_id,
            hospital,
            lines,
            priority,
            needed_by,
            None,
            ctx,
        )),
    })])
}

#[allow(clippy::too_many_arguments)]
fn new_order(
    config: &Config,
    order_id: &str,
    hospital: &str,
    lines: &[OrderLine],
    priority: Priority,
    needed_by: Option<OffsetDateTime>,
    standing_order: Option<String>,
    ctx: &Context,
) -> Order {
    Order {
        id: order_id.to_owned(),
        hospital: hospital.to_owned(),
        lines: lines.to_vec(),
        priority,
        needed_by,
        placed_at: ctx.now,
        placed_by: ctx.actor.clone(),
        due_at: due_at(config, priority, ctx.now, needed_by),
        standing_order,
        units: Vec::new(),
        allocated_at: None,
        allocated_by: None,
        cancelled: None,
        shipments: Vec::new(),
    }
}

pub(crate) fn place_standing_order(
    state: &State,
    standing_order_id: &str,
    hospital: &str,
    lines: &[OrderLine],
    priority: Priority,
    weekday: Weekday,
    ctx: &Context,
) -> Result<Vec<Event>, Refusal> {
    check_new_order(state, standing_order_id, hospital, lines, ctx)?;
    Ok(vec![Event::Distribution(
        DistributionEvent::StandingOrderPlaced {
            standing_order: StandingOrder {
                id: standing_order_id.to_owned(),
                hospital: hospital.to_owned(),
                lines: lines.to_vec(),
                priority,
                weekday,
                placed_at: ctx.now,
                placed_by: ctx.actor.clone(),
                cancelled: None,
            },
        },
    )])
}

/// The order a standing order places for the week of `as_of`: needed on the next `weekday` at
/// the configured hour (in `as_of`'s offset) that is not yet past; its ID is the standing
/// order's ID and that date, so renewing twice places it once.
pub fn renewal_of(
    config: &Config,
    standing: &StandingOrder,
    as_of: OffsetDateTime,
) -> (String, OffsetDateTime) {
    let hour = config.distribution.standing_order_hour.min(23);
    let time_of_day = Time::from_hms(hour, 0, 0).unwrap_or(Time::MIDNIGHT);
    let mut date = as_of.date();
    while date.weekday() != standing.weekday
        || date.with_time(time_of_day).assume_offset(as_of.offset()) < as_of
    {
        date = date.next_day().unwrap_or(date);
        if date == time::Date::MAX {
            break;
        }
    }
    let needed_by = date.with_time(time_of_day).assume_offset(as_of.offset());
    (format!("{}-{date}", standing.id), needed_by)
}

/// Place this week's order of every standing order not yet placed.
pub(crate) fn renew_standing_orders(
    state: &State,
    as_of: OffsetDateTime,
    ctx: &Context,
) -> Result<Vec<Event>, Refusal> {
    let mut events = Vec::new();
    for standing in state
        .standing_orders
        .values()
        .filter(|s| s.cancelled.is_none())
    {
        let (order_id, needed_by) = renewal_of(&state.config, standing, as_of);
        if state.orders.contains_key(&order_id) {
            continue;
        }
        events.push(Event::Distribution(DistributionEvent::OrderPlaced {
            order: Box::new(new_order(
                &state.config,
                &order_id,
                &standing.hospital,
                &standing.lines,
                standing.priority,
                Some(needed_by),
                Some(standing.id.clone()),
                ctx,
            )),
        }));
    }
    Ok(events)
}

/// Cancel an order (its allocated and picked units go back to stock) or a standing order.
/// Refused once an order has shipped (ORDER-STATE).
pub(crate) fn cancel_order(
    state: &State,
    order_id: &str,
    reason: &str,
    ctx: &Context,
) -> Result<Vec<Event>, Refusal> {
    non_empty("the reason for cancelling", reason)?;
    let cancellation = Cancellation {
        reason: reason.trim().to_owned(),
        at: ctx.now,
        by: ctx.actor.clone(),
    };
    if let Some(standing) = state.standing_orders.get(order_id) {
        check_hospital(state, &standing.hospital, ctx)?;
        if standing.cancelled.is_some() {
            return refuse(
                Rule::OrderState,
                format!("standing order {order_id} is already cancelled"),
            );
        }
        return Ok(vec![Event::Distribution(
            DistributionEvent::StandingOrderCancelled {
                standing_order_id: order_id.to_owned(),
                cancellation,
            },
        )]);
    }
    let order = find_order(state, order_id)?;
    check_hospital(state, &order.hospital, ctx)?;
    let status = order.status();
    if !order.is_pending() {
        return refuse(
            Rule::OrderState,
            format!(
                "order {order_id} is {}; it can no longer be cancelled",
                status.as_str()
            ),
        );
    }
    Ok(vec![Event::Distribution(
        DistributionEvent::OrderCancelled {
            order_id: order_id.to_owned(),
            cancellation,
        },
    )])
}

pub(crate) fn find_order<'a>(state: &'a State, id: &str) -> Result<&'a Order, Refusal> {
    state
        .orders
        .get(id)
        .ok_or_else(|| Refusal::new(Rule::NotFound, format!("no order {id}")))
}
