//! One order, for everyone who may see it (its hospital's users, distribution, quality,
//! admin): its status at every step and the clock of its priority. Distribution sees, on the
//! same page, the allocation Hemaflow proposes (substitutions shown, to confirm or change),
//! picking by scan into the order's shipment, and pack and ship. Every action is one command;
//! the domain refuses with the rule (ALLOC-*, DIST-PICK, DIST-SHIP), shown next to the field.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{Html, IntoResponse, Redirect, Response};
use hemaflow_domain::command::LineUnit;
use hemaflow_domain::distribution::allocation::{Match, Proposal, propose_allocation};
use hemaflow_domain::distribution::orders::{Order, OrderStatus};
use hemaflow_domain::distribution::shipping::ShipmentStatus;
use hemaflow_domain::distribution::sites::TemperatureRange;
use hemaflow_domain::{ClientCommand, DistributionCommand};
use hemaflow_domain::{Command, Role, State as Records, queries};
use serde::Deserialize;
use time::OffsetDateTime;

use super::{
    command_id, execute_form, execute_form_seen, execute_seen, is_htmx, required_seen, seen,
};
use crate::App;
use crate::access;
use crate::auth::{Caller, token};
use crate::problem::Problem;
use crate::supply::{
    OrderRow, Scope, group_text, line_text, local_text, offset, scanned_unit, visible_order,
};
use crate::views::{Page, escape};

pub struct StepView {
    pub status: &'static str,
    pub at: String,
    pub by: String,
    pub reached: bool,
}

pub struct LineView {
    pub text: String,
    pub wanted: u32,
    pub allocated: u32,
    pub substitutes: u32,
    pub picked: u32,
    pub shipped: u32,
    pub received: u32,
}

pub struct UnitView {
    pub line: u32,
    pub id: String,
    pub substitution: String,
    pub shipment: String,
    pub state: &'static str,
}

pub struct ProposedView {
    /// `line:component`, the checkbox value.
    pub value: String,
    pub component: String,
    pub group: String,
    pub expires_at: String,
    pub substitution: String,
}

pub struct ProposedLineView {
    pub line: u32,
    pub text: String,
    pub units: Vec<ProposedView>,
    pub shortfall: u32,
    pub shortfall_reason: String,
}

/// What distribution does next with the order.
pub struct Work {
    pub sites: Vec<(String, String)>,
    pub site: String,
    pub proposal: Vec<ProposedLineView>,
    pub proposal_error: String,
    pub may_allocate: bool,
    pub may_pick: bool,
    /// The shipment being picked, or the one the next scan opens.
    pub shipment_id: String,
    pub may_ship: bool,
    pub ranges: Vec<(&'static str, String)>,
}

pub struct OrderView {
    pub row: OrderRow,
    pub steps: Vec<StepView>,
    pub lines: Vec<LineView>,
    pub units: Vec<UnitView>,
    pub shipments: Vec<(String, &'static str)>,
    pub cancellable: bool,
    pub work: Option<Work>,
}

#[derive(Template)]
#[template(path = "order.html")]
struct OrderPage {
    page: Page,
    order: OrderView,
    form_id: String,
    /// The ledger entry the page reflects: the `seen` of its allocate, ship and cancel forms.
    seen: i64,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct SiteQuery {
    pub site: Option<String>,
}

/// The site distribution works from: the one asked for, else the first distribution site,
/// else the first site.
fn work_site(records: &Records, asked: Option<&str>) -> String {
    use hemaflow_domain::distribution::sites::SiteKind;
    asked
        .filter(|s| records.sites.contains_key(*s))
        .map(str::to_owned)
        .or_else(|| {
            records
                .sites
                .values()
                .find(|s| s.kind == SiteKind::Distribution)
                .or_else(|| records.sites.values().next())
                .map(|s| s.id.clone())
        })
        .unwrap_or_default()
}

/// The shipping temperature ranges of the configuration (DIST-SHIP checks the units fit).
pub fn shipping_ranges(records: &Records) -> Vec<(&'static str, TemperatureRange)> {
    let rules = &records.config.distribution;
    vec![
        ("refrigerated", rules.refrigerated_shipping),
        ("room_temperature", rules.room_temperature),
        ("frozen", rules.frozen),
    ]
}

fn proposal_view(records: &Records, proposal: &Proposal, order: &Order) -> Vec<ProposedLineView> {
    let offset = offset(records);
    proposal
        .lines
        .iter()
        .map(|line| ProposedLineView {
            line: line.line,
            text: order
                .lines
                .get(line.line as usize)
                .map(line_text)
                .unwrap_or_default(),
            units: line
                .units
                .iter()
                .map(|unit| ProposedView {
                    value: format!("{}:{}", line.line, unit.component),
                    component: unit.component.clone(),
                    group: group_text(unit.abo, unit.rhd),
                    expires_at: local_text(unit.expires_at, offset),
                    substitution: match &unit.matched {
                        Match::Exact => String::new(),
                        Match::Substitute { rule, note } => format!("{note} ({rule})"),
                    },
                })
                .collect(),
            shortfall: line.shortfall,
            shortfall_reason: line.shortfall_reason.clone().unwrap_or_default(),
        })
        .collect()
}

fn work(records: &Records, order: &Order, site: Option<&str>, now: OffsetDateTime) -> Work {
    let site = work_site(records, site);
    let status = order.status();
    let (proposal, proposal_error) = if status == OrderStatus::Open {
        match propose_allocation(records, &order.id, &site, now) {
            Ok(proposal) => (proposal_view(records, &proposal, order), String::new()),
            Err(refusal) => (
                Vec::new(),
                format!("{} ({})", refusal.message, refusal.rule),
            ),
        }
    } else {
        (Vec::new(), String::new())
    };
    let picking = records
        .shipments
        .values()
        .find(|s| s.order_id == order.id && s.status() == ShipmentStatus::Picking);
    let shipment_id = picking.map_or_else(
        || {
            let made = records
                .shipments
                .values()
                .filter(|s| s.order_id == order.id)
                .count();
            format!("SHP-{}-{}", order.id.trim_start_matches("ORD-"), made + 1)
        },
        |s| s.id.clone(),
    );
    Work {
        sites: records
            .sites
            .values()
            .map(|s| (s.id.clone(), s.name.clone()))
            .collect(),
        site,
        proposal,
        proposal_error,
        may_allocate: status == OrderStatus::Open,
        may_pick: matches!(status, OrderStatus::Allocated | OrderStatus::Picking),
        shipment_id,
        may_ship: picking.is_some_and(|s| !s.components.is_empty()),
        ranges: shipping_ranges(records)
            .into_iter()
            .map(|(key, range)| (key, range.to_string()))
            .collect(),
    }
}

fn order_view(
    records: &Records,
    caller: &Caller,
    order: &Order,
    site: Option<&str>,
    now: OffsetDateTime,
) -> Result<OrderView, Problem> {
    let offset = offset(records);
    let detail = queries::order_detail(records, &order.id, now)
        .ok_or_else(|| Problem::not_found(format!("no order {}", order.id)))?;
    let steps = detail
        .steps
        .iter()
        .map(|step| StepView {
            status: step.status.as_str(),
            at: step.at.map(|at| local_text(at, offset)).unwrap_or_default(),
            by: step.by.clone().unwrap_or_default(),
            reached: step.at.is_some(),
        })
        .collect();
    let lines = detail
        .lines
        .iter()
        .map(|line| LineView {
            text: order
                .lines
                .get(line.line as usize)
                .map(line_text)
                .unwrap_or_default(),
            wanted: line.wanted,
            allocated: line.allocated,
            substitutes: line.substitutes,
            picked: line.picked,
            shipped: line.shipped,
            received: line.received,
        })
        .collect();
    let units = order
        .units
        .iter()
        .map(|unit| UnitView {
            line: unit.allocated.line + 1,
            id: unit.allocated.component.clone(),
            substitution: unit
                .allocated
                .substitution
                .as_ref()
                .map(|s| format!("{} ({})", s.note, s.rule))
                .unwrap_or_default(),
            shipment: unit.shipment.clone().unwrap_or_default(),
            state: if unit.received_at.is_some() {
                "received"
            } else if unit.shipped_at.is_some() {
                "shipped"
            } else if unit.shipment.is_some() {
                "picked"
            } else {
                "allocated"
            },
        })
        .collect();
    let distribution = caller.user.role == Role::Distribution;
    Ok(OrderView {
        row: OrderRow::of(records, order, now, offset),
        steps,
        lines,
        units,
        shipments: detail
            .shipments
            .iter()
            .map(|s| (s.id.clone(), s.status().as_str()))
            .collect(),
        cancellable: order.is_pending()
            && matches!(caller.user.role, Role::HospitalUser | Role::Distribution),
        work: distribution.then(|| work(records, order, site, now)),
    })
}

/// `GET /orders/{id}?site=`.
pub async fn page(
    caller: Caller,
    State(app): State<App>,
    Path(order_id): Path<String>,
    Query(query): Query<SiteQuery>,
) -> Result<Response, Problem> {
    caller.require(access::ORDERS)?;
    let scope = Scope::of(&caller)?;
    let now = app.now();
    let (order, seen) = app
        .ledger
        .read_at(|records| {
            let order = visible_order(records, &scope, &order_id)?;
            order_view(records, &caller, order, query.site.as_deref(), now)
        })
        .await?;
    let html = OrderPage {
        page: Page::of(&caller, "/orders"),
        order: order?,
        form_id: token::generate(),
        seen,
    }
    .render()?;
    Ok(Html(html).into_response())
}

/// The pairs of a urlencoded body, repeated keys kept (checkboxes of the proposal).
fn form_pairs(body: &Bytes) -> Vec<(String, String)> {
    form_urlencoded::parse(body)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn first<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

/// `line:component` as the checkboxes and the change field send it (lines counted from 1 in
/// the change field, as the page shows them).
fn line_unit(text: &str, from_one: bool) -> Result<LineUnit, Problem> {
    let bad = || {
        Problem::input(format!(
            "'{text}' is not a line number and a unit, such as 1:W123426000001-E0382V00"
        ))
    };
    let (line, component) = text.trim().split_once(':').ok_or_else(bad)?;
    let line: u32 = line.trim().parse().map_err(|_| bad())?;
    let line = if from_one {
        line.checked_sub(1).ok_or_else(bad)?
    } else {
        line
    };
    let component = component.trim();
    if component.is_empty() {
        return Err(bad());
    }
    Ok(LineUnit {
        line,
        component: component.to_owned(),
    })
}

/// `POST /orders/{id}/allocate`: the proposal's ticked units, plus any added in the change
/// field (`line:unit`, one a line). ALLOC-* are checked again by the domain for each; the
/// order must be as the page showed it (`seen`: no allocation over a change or cancellation).
pub async fn allocate(
    caller: Caller,
    State(app): State<App>,
    Path(order_id): Path<String>,
    body: Bytes,
) -> Result<Response, Problem> {
    caller.require(access::DISTRIBUTION)?;
    let pairs = form_pairs(&body);
    let mut units = Vec::new();
    for (key, value) in &pairs {
        match key.as_str() {
            "unit" => units.push(line_unit(value, false)?),
            "extra" => {
                for text in value.lines().filter(|l| !l.trim().is_empty()) {
                    units.push(line_unit(text, true)?);
                }
            }
            _ => {}
        }
    }
    if units.is_empty() {
        return Err(Problem::input(
            "no unit chosen: tick the proposed units or add units to allocate",
        ));
    }
    let seen_at = first(&pairs, "seen").map(|s| {
        s.trim()
            .parse::<i64>()
            .map_err(|_| Problem::input(format!("seen '{s}' is not a ledger position")))
    });
    let seen_at = required_seen(seen_at.transpose()?)?;
    let command = Command::Client(ClientCommand::Distribution(
        DistributionCommand::AllocateOrder {
            order_id: order_id.clone(),
            units,
        },
    ));
    execute_seen(
        &app,
        &caller,
        &command_id(first(&pairs, "command_id"))?,
        &command,
        &[seen("order", &order_id, seen_at)],
    )
    .await?;
    Ok(Redirect::to(&format!("/orders/{order_id}")).into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct PickForm {
    pub command_id: Option<String>,
    pub shipment_id: String,
    pub din: String,
    pub product_code: String,
}

/// `POST /orders/{id}/pick`: DIST-PICK, one unit scanned (DIN, then product code). No `seen`:
/// the scan names the unit, and the domain checks it and the order as they are now; a page
/// picks many units without reloading. The answer moves the ship form's `seen` on to the
/// shipment with this pick, so that the picker's own scans do not make their ship stale.
pub async fn pick(
    caller: Caller,
    State(app): State<App>,
    Path(order_id): Path<String>,
    headers: HeaderMap,
    axum::Form(form): axum::Form<PickForm>,
) -> Result<Response, Problem> {
    caller.require(access::DISTRIBUTION)?;
    let component = scanned_unit(&form.din, &form.product_code)?;
    let shipment_id = form.shipment_id.trim().to_owned();
    let command = Command::Client(ClientCommand::Distribution(DistributionCommand::PickUnit {
        shipment_id: shipment_id.clone(),
        order_id: order_id.clone(),
        component: component.clone(),
    }));
    execute_form(&app, &caller, form.command_id.as_deref(), &command).await?;
    if !is_htmx(&headers) {
        return Ok(Redirect::to(&format!("/orders/{order_id}")).into_response());
    }
    let ((picked, allocated), seen_now) = app
        .ledger
        .read_at(|records| {
            let picked = records
                .shipments
                .get(&shipment_id)
                .map_or(0, |s| s.components.len());
            let allocated = records.orders.get(&order_id).map_or(0, |o| o.units.len());
            (picked, allocated)
        })
        .await?;
    Ok(Html(format!(
        "<p class=\"accepted\" role=\"status\">{} picked into {} ({picked} of {allocated} allocated). <a href=\"/orders/{}\">Refresh the order</a></p><input type=\"hidden\" id=\"ship-seen\" name=\"seen\" value=\"{seen_now}\" hx-swap-oob=\"true\">",
        escape(&component),
        escape(&shipment_id),
        escape(&order_id)
    ))
    .into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ShipForm {
    pub command_id: Option<String>,
    pub seen: Option<i64>,
    pub box_id: String,
    /// A key of [`shipping_ranges`].
    pub temperature: String,
    pub courier: String,
}

/// `POST /shipments/{id}/ship`: DIST-SHIP, with box, temperature range and courier; the
/// shipment must hold what the page showed (`seen`).
pub async fn ship(
    caller: Caller,
    State(app): State<App>,
    Path(shipment_id): Path<String>,
    axum::Form(form): axum::Form<ShipForm>,
) -> Result<Response, Problem> {
    caller.require(access::DISTRIBUTION)?;
    if form.temperature.trim().is_empty() {
        return Err(Problem::missing(
            "the temperature range",
            "choose the range the box was packed for",
        ));
    }
    let range = app
        .ledger
        .read(|records| {
            shipping_ranges(records)
                .into_iter()
                .find(|(key, _)| *key == form.temperature.trim())
                .map(|(_, range)| range)
        })
        .await?
        .ok_or_else(|| {
            Problem::input(format!(
                "temperature '{}' is not one of the shipping ranges",
                form.temperature.trim()
            ))
        })?;
    let command = Command::Client(ClientCommand::Distribution(
        DistributionCommand::ShipShipment {
            shipment_id: shipment_id.clone(),
            box_id: form.box_id.trim().to_owned(),
            temperature_range: range,
            courier: form.courier.trim().to_owned(),
        },
    ));
    execute_form_seen(
        &app,
        &caller,
        form.command_id.as_deref(),
        form.seen,
        &command,
        &[("shipment", &shipment_id)],
    )
    .await?;
    Ok(Redirect::to(&format!("/shipments/{shipment_id}")).into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct CancelForm {
    pub command_id: Option<String>,
    pub seen: Option<i64>,
    pub reason: String,
}

/// `POST /orders/{id}/cancel`: an order not yet shipped, by its hospital or distribution, as
/// the page showed it (`seen`).
pub async fn cancel(
    caller: Caller,
    State(app): State<App>,
    Path(order_id): Path<String>,
    axum::Form(form): axum::Form<CancelForm>,
) -> Result<Response, Problem> {
    caller.require(access::ORDER_WRITERS)?;
    let scope = Scope::of(&caller)?;
    app.ledger
        .read(|records| visible_order(records, &scope, &order_id).map(|_| ()))
        .await??;
    let command = Command::Client(ClientCommand::Distribution(
        DistributionCommand::CancelOrder {
            order_id: order_id.clone(),
            reason: form.reason.trim().to_owned(),
        },
    ));
    execute_form_seen(
        &app,
        &caller,
        form.command_id.as_deref(),
        form.seen,
        &command,
        &[("order", &order_id)],
    )
    .await?;
    Ok(Redirect::to(&format!("/orders/{order_id}")).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_line_counts_from_one_and_a_checkbox_from_zero() {
        let changed = line_unit("2: W123426000001-E0382V00 ", true).ok();
        assert_eq!(
            changed.map(|u| (u.line, u.component)),
            Some((1, "W123426000001-E0382V00".to_owned()))
        );
        let ticked = line_unit("0:W123426000001-E0382V00", false).ok();
        assert_eq!(ticked.map(|u| u.line), Some(0));
        for bad in ["0:W123426000001-E0382V00", "x:W1", "3:", "W123426000001"] {
            assert!(line_unit(bad, true).is_err(), "{bad}");
        }
    }
}
