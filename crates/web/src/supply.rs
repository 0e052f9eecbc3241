//! What the hospital portal, the distribution pages and their API share: who sees which
//! hospital's orders and shipments (P11-ACCESS scope), the clock of an order in words, a unit
//! from its two scans, and the order and shipment lines as the pages print them. No rule of
//! the domain is decided here: the commands go to the ledger, which refuses with the rule.

use hemaflow_domain::Rule;
use hemaflow_domain::State as Records;
use hemaflow_domain::distribution::orders::{Order, OrderLine, Priority};
use hemaflow_domain::distribution::shipping::Shipment;
use hemaflow_domain::lab::testing::{Abo, RhD};
use serde::Serialize;
use time::{Duration, OffsetDateTime, UtcOffset};

use crate::auth::Caller;
use crate::problem::Problem;
use crate::scan;

/// Whose orders, shipments, units and patients a caller sees: a hospital-bound caller (a
/// hospital user, a transfusion technologist, a nurse) only its own hospital's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    Every,
    Hospital(String),
}

impl Scope {
    /// P11-ACCESS: the scope of a caller. A hospital-bound account that names no hospital
    /// sees nothing, and is told why.
    pub fn of(caller: &Caller) -> Result<Scope, Problem> {
        if !caller.user.role.is_hospital_bound() {
            return Ok(Scope::Every);
        }
        caller
            .user
            .hospital
            .clone()
            .map(Scope::Hospital)
            .ok_or_else(|| {
                Problem::refused(
                    Rule::P11Access.as_str(),
                    format!(
                        "{} is not bound to a hospital; ask an administrator",
                        caller.user.id
                    ),
                )
            })
    }

    pub fn sees(&self, hospital: &str) -> bool {
        match self {
            Scope::Every => true,
            Scope::Hospital(own) => own == hospital,
        }
    }

    pub fn hospital(&self) -> Option<&str> {
        match self {
            Scope::Every => None,
            Scope::Hospital(own) => Some(own),
        }
    }
}

/// An order the caller may see, or "not on record" (a hospital user is not told that another
/// hospital's order exists).
pub fn visible_order<'a>(
    records: &'a Records,
    scope: &Scope,
    order_id: &str,
) -> Result<&'a Order, Problem> {
    records
        .orders
        .get(order_id)
        .filter(|order| scope.sees(&order.hospital))
        .ok_or_else(|| Problem::not_found(format!("no order {order_id}")))
}

/// A shipment the caller may see, or "not on record".
pub fn visible_shipment<'a>(
    records: &'a Records,
    scope: &Scope,
    shipment_id: &str,
) -> Result<&'a Shipment, Problem> {
    records
        .shipments
        .get(shipment_id)
        .filter(|shipment| scope.sees(&shipment.hospital))
        .ok_or_else(|| Problem::not_found(format!("no shipment {shipment_id}")))
}

/// A unit from its DIN scan and product code scan: the component ID the records use.
pub fn scanned_unit(din: &str, product_code: &str) -> Result<String, Problem> {
    let din = scan::din(din)?;
    let code = scan::product_code(product_code)?;
    Ok(hemaflow_domain::manufacturing::components::component_id(
        &din, &code,
    ))
}

/// A unit from a scan field pair: its two barcodes (DIN `=...`, product code `=<...`), or
/// its ID (`DIN-productcode`, as the pages print it) in the first field with the second left
/// empty.
pub fn unit_scan(din: &str, product_code: &str) -> Result<String, Problem> {
    let (din, product_code) = (din.trim(), product_code.trim());
    if product_code.is_empty() {
        if let Some((number, code)) = din.split_once('-')
            && !din.starts_with('=')
        {
            let number = scan::din_in_path(number)?;
            let code = scan::product_code(&format!("=<{code}"))?;
            return Ok(hemaflow_domain::manufacturing::components::component_id(
                &number, &code,
            ));
        }
        return Err(Problem::missing(
            "the product code",
            "scan the unit's product code after its DIN (or give the unit's ID, DIN-productcode)",
        ));
    }
    scanned_unit(din, product_code)
}

/// ORDER-CLOCK in words: how long until an order is due, or how late it is.
pub fn clock_text(due_at: OffsetDateTime, now: OffsetDateTime) -> String {
    let left = due_at - now;
    if left >= Duration::ZERO {
        format!("due in {}", span(left))
    } else {
        format!("late by {}", span(-left))
    }
}

fn span(duration: Duration) -> String {
    let minutes = duration.whole_minutes();
    match minutes {
        0..60 => format!("{minutes} min"),
        60..1440 => format!("{} h {:02} min", minutes / 60, minutes % 60),
        _ => format!("{} d {} h", minutes / 1440, (minutes % 1440) / 60),
    }
}

/// A time as the pages print it, in the site's local time.
pub fn local_text(at: OffsetDateTime, offset: UtcOffset) -> String {
    let local = at.to_offset(offset);
    format!("{} {:02}:{:02}", local.date(), local.hour(), local.minute())
}

pub fn group_text(abo: Abo, rhd: RhD) -> String {
    let sign = if rhd == RhD::Positive { "pos" } else { "neg" };
    format!("{} {sign}", abo.as_str())
}

/// An order line in words: `2 x red cells O neg, irradiated`.
pub fn line_text(line: &OrderLine) -> String {
    let family = serde_json::to_value(line.component_type)
        .ok()
        .and_then(|v| v.as_str().map(|s| s.replace('_', " ")))
        .unwrap_or_default();
    let mut text = format!(
        "{} x {family} {}",
        line.quantity,
        group_text(line.abo, line.rhd)
    );
    if !line.attributes.is_empty() {
        let needs: Vec<&str> = line.attributes.iter().map(|n| n.as_str()).collect();
        text.push_str(&format!(", {}", needs.join(", ")));
    }
    text
}

/// One order as the lists print it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OrderRow {
    pub id: String,
    pub hospital: String,
    pub priority: &'static str,
    pub status: &'static str,
    pub lines: Vec<String>,
    pub placed_at: String,
    pub due_at: String,
    pub clock: String,
    pub at_risk: bool,
    pub late: bool,
    pub pending: bool,
}

impl OrderRow {
    pub fn of(
        records: &Records,
        order: &Order,
        now: OffsetDateTime,
        offset: UtcOffset,
    ) -> OrderRow {
        let pending = order.is_pending();
        OrderRow {
            id: order.id.clone(),
            hospital: records
                .hospitals
                .get(&order.hospital)
                .map_or_else(|| order.hospital.clone(), |h| h.name.clone()),
            priority: order.priority.as_str(),
            status: order.status().as_str(),
            lines: order.lines.iter().map(line_text).collect(),
            placed_at: local_text(order.placed_at, offset),
            due_at: local_text(order.due_at, offset),
            clock: if pending {
                clock_text(order.due_at, now)
            } else {
                String::new()
            },
            at_risk: hemaflow_domain::distribution::orders::at_risk(&records.config, order, now),
            late: pending && order.due_at < now,
            pending,
        }
    }
}

/// The site's local offset (the one its labels print).
pub fn offset(records: &Records) -> UtcOffset {
    records.config.labels.offset().unwrap_or(UtcOffset::UTC)
}

/// Order priorities as the forms offer them.
pub const PRIORITIES: [(&str, &str); 4] = [
    ("routine", "Routine (24 h)"),
    ("asap", "ASAP (4 h)"),
    ("stat", "STAT (1 h)"),
    ("emergency", "Emergency"),
];

/// A value of a domain enum from its snake_case name, or a refusal naming the field.
pub fn parse_named<T: serde::de::DeserializeOwned>(field: &str, value: &str) -> Result<T, Problem> {
    serde_json::from_value(serde_json::Value::String(value.trim().to_owned())).map_err(|_| {
        Problem::input(format!(
            "{field} '{}' is not one of the choices",
            value.trim()
        ))
    })
}

pub fn priority(value: &str) -> Result<Priority, Problem> {
    parse_named("priority", value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn the_clock_says_how_long_is_left_or_how_late_an_order_is() {
        let now = datetime!(2026-11-25 12:00 UTC);
        assert_eq!(
            clock_text(now + Duration::minutes(45), now),
            "due in 45 min"
        );
        assert_eq!(
            clock_text(now + Duration::minutes(125), now),
            "due in 2 h 05 min"
        );
        assert_eq!(
            clock_text(now - Duration::minutes(10), now),
            "late by 10 min"
        );
        assert_eq!(clock_text(now + Duration::hours(50), now), "due in 2 d 2 h");
    }

    #[test]
    fn a_hospital_scope_sees_only_its_hospital() {
        let scope = Scope::Hospital("GEN".to_owned());
        assert!(scope.sees("GEN"));
        assert!(!scope.sees("STL"));
        assert!(Scope::Every.sees("STL"));
    }

    #[test]
    fn a_unit_is_read_from_its_two_scans_and_a_swapped_pair_is_refused() {
        assert_eq!(
            scanned_unit("=W12342612345600", "=<E0382V00")
                .ok()
                .as_deref(),
            Some("W123426123456-E0382V00")
        );
        let swapped = scanned_unit("=<E0382V00", "=W12342612345600");
        assert!(swapped.is_err_and(|p| p.detail.contains("DIN")));
    }

    #[test]
    fn a_unit_scan_takes_the_two_barcodes_or_the_unit_id() {
        let id = Some("W123426123456-E0382V00");
        assert_eq!(
            unit_scan("=W12342612345600", "=<E0382V00").ok().as_deref(),
            id
        );
        assert_eq!(unit_scan("W123426123456-E0382V00", "").ok().as_deref(), id);
        assert!(unit_scan("=W12342612345600", "").is_err());
        assert!(unit_scan("W123426123456-XX", "").is_err());
    }
}
