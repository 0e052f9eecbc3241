//! The hospital portal (hospital users, scoped to their own hospital): place an order or a
//! standing order, follow each order through every step with the clock of its priority (at
//! risk first), confirm a shipment's receipt by scanning each unit, return a unit with its
//! time out of controlled storage. Every form gives one command; the domain checks that the
//! hospital is the caller's own (P11-ACCESS) and refuses with the rule otherwise.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{Html, IntoResponse, Redirect, Response};
use hemaflow_domain::distribution::orders::{Need, OrderLine};
use hemaflow_domain::distribution::shipping::ShipmentStatus;
use hemaflow_domain::{ClientCommand, DistributionCommand};
use hemaflow_domain::{Command, queries};
use serde::Deserialize;
use time::{OffsetDateTime, PrimitiveDateTime};

use super::{execute_form, is_htmx};
use crate::App;
use crate::access;
use crate::auth::{Caller, token};
use crate::problem::Problem;
use crate::supply::{
    OrderRow, PRIORITIES, Scope, local_text, offset, parse_named, priority, scanned_unit,
    visible_shipment,
};
use crate::views::{Page, accepted};

/// A shipment the hospital has to confirm, or has confirmed.
pub struct ShipmentRow {
    pub id: String,
    pub order_id: String,
    pub status: &'static str,
    pub units: usize,
    pub received: usize,
    pub shipped_at: String,
}

/// A unit at the hospital that may be returned.
pub struct HeldUnit {
    pub din: String,
    pub product_code: String,
    pub name: String,
    pub expires_at: String,
}

#[derive(Template)]
#[template(path = "portal.html")]
struct PortalPage {
    page: Page,
    hospital: String,
    orders: Vec<OrderRow>,
    shipments: Vec<ShipmentRow>,
    units: Vec<HeldUnit>,
    priorities: &'static [(&'static str, &'static str)],
    form_id: String,
}

/// `GET /portal`.
pub async fn page(caller: Caller, State(app): State<App>) -> Result<Response, Problem> {
    caller.require(access::PORTAL)?;
    let scope = Scope::of(&caller)?;
    let hospital = scope.hospital().unwrap_or_default().to_owned();
    let now = app.now();
    let (name, orders, shipments, units) = app
        .ledger
        .read(|records| {
            let offset = offset(records);
            let name = records
                .hospitals
                .get(&hospital)
                .map_or_else(|| hospital.clone(), |h| h.name.clone());
            let orders = queries::visible_orders(records, caller.user.role, &caller.user.id)
                .into_iter()
                .map(|order| OrderRow::of(records, order, now, offset))
                .collect();
            let shipments = queries::shipments(records, Some(&hospital))
                .into_iter()
                .filter(|s| s.dispatch.is_some())
                .map(|s| ShipmentRow {
                    id: s.id.clone(),
                    order_id: s.order_id.clone(),
                    status: s.status().as_str(),
                    units: s.components.len(),
                    received: s.receipts.len(),
                    shipped_at: s
                        .dispatch
                        .as_ref()
                        .map(|d| local_text(d.at, offset))
                        .unwrap_or_default(),
                })
                .collect();
            let units = queries::hospital_inventory(records, &hospital)
                .into_iter()
                .map(|c| HeldUnit {
                    din: c.din.clone(),
                    product_code: c.product_code.clone(),
                    name: c.name.clone(),
                    expires_at: local_text(c.expires_at, offset),
                })
                .collect();
            (name, orders, shipments, units)
        })
        .await?;
    let html = PortalPage {
        page: Page::of(&caller, "/portal"),
        hospital: name,
        orders,
        shipments,
        units,
        priorities: &PRIORITIES,
        form_id: token::generate(),
    }
    .render()?;
    Ok(Html(html).into_response())
}

/// An order (or standing order) as the form sends it. Checkboxes are present only when ticked.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct OrderForm {
    pub command_id: Option<String>,
    pub component_type: String,
    pub abo: String,
    pub rhd: String,
    pub quantity: String,
    pub priority: String,
    /// `YYYY-MM-DDTHH:MM` in the site's local time (a `datetime-local` field), or empty.
    pub needed_by: String,
    /// `monday` ... `sunday`, for a standing order.
    pub weekday: String,
    pub irradiated: Option<String>,
    pub cmv_safe: Option<String>,
    pub leukoreduced: Option<String>,
    pub washed: Option<String>,
    pub hla_matched: Option<String>,
    pub antigen_negative: Option<String>,
}

impl OrderForm {
    /// The one line the portal form orders.
    fn line(&self) -> Result<OrderLine, Problem> {
        let quantity: u32 = self.quantity.trim().parse().map_err(|_| {
            Problem::input(format!(
                "quantity '{}' is not a whole number of units",
                self.quantity.trim()
            ))
        })?;
        let needs = [
            (&self.irradiated, Need::Irradiated),
            (&self.cmv_safe, Need::CmvSafe),
            (&self.leukoreduced, Need::Leukoreduced),
            (&self.washed, Need::Washed),
            (&self.hla_matched, Need::HlaMatched),
            (&self.antigen_negative, Need::AntigenNegative),
        ];
        Ok(OrderLine {
            component_type: parse_named("component type", &self.component_type)?,
            abo: parse_named("ABO group", &self.abo)?,
            rhd: parse_named("RhD", &self.rhd)?,
            attributes: needs
                .into_iter()
                .filter(|(ticked, _)| ticked.is_some())
                .map(|(_, need)| need)
                .collect(),
            quantity,
        })
    }

    fn needed_by(&self, offset: time::UtcOffset) -> Result<Option<OffsetDateTime>, Problem> {
        let text = self.needed_by.trim();
        if text.is_empty() {
            return Ok(None);
        }
        let format = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]");
        PrimitiveDateTime::parse(text, format)
            .map(|local| Some(local.assume_offset(offset)))
            .map_err(|_| {
                Problem::input(format!(
                    "needed by '{text}' is not a date and time such as 2026-11-25T14:30"
                ))
            })
    }
}

fn own_hospital(caller: &Caller) -> Result<String, Problem> {
    Scope::of(caller)?
        .hospital()
        .map(str::to_owned)
        .ok_or_else(|| Problem::input("the portal orders for a hospital user's own hospital"))
}

fn order_id() -> String {
    format!("ORD-{}", &token::generate()[..10].to_uppercase())
}

/// `POST /portal/orders`: ORDER-CLOCK starts when the order is recorded.
pub async fn place_order(
    caller: Caller,
    State(app): State<App>,
    Form(form): Form<OrderForm>,
) -> Result<Response, Problem> {
    caller.require(access::PORTAL)?;
    let hospital = own_hospital(&caller)?;
    let offset = app.ledger.read(offset).await?;
    let id = order_id();
    let command = Command::Client(ClientCommand::Distribution(
        DistributionCommand::PlaceOrder {
            order_id: id.clone(),
            hospital,
            lines: vec![form.line()?],
            priority: priority(&form.priority)?,
            needed_by: form.needed_by(offset)?,
        },
    ));
    execute_form(&app, &caller, form.command_id.as_deref(), &command).await?;
    Ok(Redirect::to(&format!("/orders/{id}")).into_response())
}

/// `POST /portal/standing-orders`: the same line every week on a weekday.
pub async fn place_standing_order(
    caller: Caller,
    State(app): State<App>,
    Form(form): Form<OrderForm>,
) -> Result<Response, Problem> {
    caller.require(access::PORTAL)?;
    let hospital = own_hospital(&caller)?;
    let weekday: time::Weekday = parse_named_weekday(&form.weekday)?;
    let command = Command::Client(ClientCommand::Distribution(
        DistributionCommand::PlaceStandingOrder {
            standing_order_id: format!("STO-{}", &token::generate()[..10].to_uppercase()),
            hospital,
            lines: vec![form.line()?],
            priority: priority(&form.priority)?,
            weekday,
        },
    ));
    execute_form(&app, &caller, form.command_id.as_deref(), &command).await?;
    Ok(Redirect::to("/portal").into_response())
}

fn parse_named_weekday(text: &str) -> Result<time::Weekday, Problem> {
    use time::Weekday::*;
    let days = [
        Monday, Tuesday, Wednesday, Thursday, Friday, Saturday, Sunday,
    ];
    days.into_iter()
        .find(|d| d.to_string().eq_ignore_ascii_case(text.trim()))
        .ok_or_else(|| {
            Problem::input(format!(
                "weekday '{}' is not a day of the week",
                text.trim()
            ))
        })
}

#[derive(Template)]
#[template(path = "receipt.html")]
struct ReceiptPage {
    page: Page,
    shipment: ReceiptView,
}

pub struct ReceiptUnit {
    pub id: String,
    pub din: String,
    pub product_code: String,
    pub received: bool,
}

pub struct ReceiptView {
    pub id: String,
    pub order_id: String,
    pub status: &'static str,
    pub units: Vec<ReceiptUnit>,
    pub received: usize,
}

#[derive(Template)]
#[template(path = "receipt_units.html")]
struct ReceiptUnits {
    shipment: ReceiptView,
    message: String,
}

async fn receipt_view(app: &App, scope: &Scope, shipment_id: &str) -> Result<ReceiptView, Problem> {
    app.ledger
        .read(|records| {
            let shipment = visible_shipment(records, scope, shipment_id)?;
            if shipment.status() == ShipmentStatus::Picking {
                return Err(Problem::not_found(format!(
                    "shipment {shipment_id} has not left yet"
                )));
            }
            Ok(ReceiptView {
                id: shipment.id.clone(),
                order_id: shipment.order_id.clone(),
                status: shipment.status().as_str(),
                units: shipment
                    .components
                    .iter()
                    .map(|id| {
                        let (din, code) = id.split_once('-').unwrap_or((id, ""));
                        ReceiptUnit {
                            id: id.clone(),
                            din: din.to_owned(),
                            product_code: code.to_owned(),
                            received: shipment.is_received(id),
                        }
                    })
                    .collect(),
                received: shipment.receipts.len(),
            })
        })
        .await?
}

/// `GET /portal/shipments/{id}`: the shipment's units, each to be scanned on receipt.
pub async fn receipt_page(
    caller: Caller,
    State(app): State<App>,
    Path(shipment_id): Path<String>,
) -> Result<Response, Problem> {
    caller.require(access::PORTAL)?;
    let scope = Scope::of(&caller)?;
    let shipment = receipt_view(&app, &scope, &shipment_id).await?;
    let html = ReceiptPage {
        page: Page::of(&caller, "/portal"),
        shipment,
    }
    .render()?;
    Ok(Html(html).into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ScanForm {
    pub command_id: Option<String>,
    pub din: String,
    pub product_code: String,
}

/// `POST /portal/shipments/{id}/receive`: DIST-RECEIPT, one scanned unit.
pub async fn receive(
    caller: Caller,
    State(app): State<App>,
    Path(shipment_id): Path<String>,
    headers: HeaderMap,
    Form(form): Form<ScanForm>,
) -> Result<Response, Problem> {
    caller.require(access::PORTAL)?;
    let scope = Scope::of(&caller)?;
    let component = scanned_unit(&form.din, &form.product_code)?;
    let command = Command::Client(ClientCommand::Distribution(
        DistributionCommand::ConfirmReceipt {
            shipment_id: shipment_id.clone(),
            component: component.clone(),
        },
    ));
    execute_form(&app, &caller, form.command_id.as_deref(), &command).await?;
    if !is_htmx(&headers) {
        return Ok(Redirect::to(&format!("/portal/shipments/{shipment_id}")).into_response());
    }
    let shipment = receipt_view(&app, &scope, &shipment_id).await?;
    let message = format!(
        "{component} received ({} of {})",
        shipment.received,
        shipment.units.len()
    );
    Ok(Html(ReceiptUnits { shipment, message }.render()?).into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ReturnForm {
    pub command_id: Option<String>,
    pub din: String,
    pub product_code: String,
    pub minutes_out_of_storage: String,
    pub reason: String,
    /// `intact` or `broken`, as the hospital saw it.
    pub seal: String,
    /// `validated` or `not_validated`.
    pub container: String,
}

/// One of two observations of a returned unit; none chosen is missing, never a default.
fn observed(field: &str, value: &str, yes: &str, no: &str) -> Result<bool, Problem> {
    match value.trim() {
        v if v == yes => Ok(true),
        v if v == no => Ok(false),
        "" => Err(Problem::missing(field, &format!("choose {yes} or {no}"))),
        other => Err(Problem::input(format!(
            "{field}: {other:?} is neither {yes} nor {no}"
        ))),
    }
}

/// `POST /portal/returns`: DIST-RETURN, a unit sent back with its time out of storage.
pub async fn return_unit(
    caller: Caller,
    State(app): State<App>,
    Form(form): Form<ReturnForm>,
) -> Result<Response, Problem> {
    caller.require(access::PORTAL)?;
    let component = scanned_unit(&form.din, &form.product_code)?;
    if form.minutes_out_of_storage.trim().is_empty() {
        return Err(Problem::missing(
            "minutes out of storage",
            "enter how long the unit was out of controlled storage",
        ));
    }
    let minutes: u32 = form.minutes_out_of_storage.trim().parse().map_err(|_| {
        Problem::input(format!(
            "minutes out of storage '{}' is not a whole number of minutes",
            form.minutes_out_of_storage.trim()
        ))
    })?;
    let command = Command::Client(ClientCommand::Distribution(
        DistributionCommand::ReturnUnit {
            component: component.clone(),
            minutes_out_of_storage: minutes,
            reason: form.reason.trim().to_owned(),
            seal_intact: observed("the seal", &form.seal, "intact", "broken")?,
            validated_container: observed(
                "the transport container",
                &form.container,
                "validated",
                "not_validated",
            )?,
        },
    ));
    execute_form(&app, &caller, form.command_id.as_deref(), &command).await?;
    Ok(accepted(format!(
        "{component} returned: it waits for review by quality assurance."
    )))
}
