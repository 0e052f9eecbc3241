//! Distribution: open orders by urgency (ORDER-CLOCK, at risk first), shipments with their
//! packing list and shipping label (PDF), transfers between our sites scanned out and in.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use hemaflow_documents::{ShippedUnit, ShippingDocument};
use hemaflow_domain::distribution::shipping::{Shipment, ShipmentStatus};
use hemaflow_domain::release::gate::confirmed_group;
use hemaflow_domain::{ClientCommand, DistributionCommand};
use hemaflow_domain::{Command, State as Records, queries};
use serde::Deserialize;

use super::{execute_form, is_htmx};
use crate::App;
use crate::access;
use crate::auth::{Caller, token};
use crate::problem::Problem;
use crate::supply::{
    OrderRow, Scope, group_text, local_text, offset, scanned_unit, visible_shipment,
};
use crate::views::{Page, accepted};

pub struct ShipmentLine {
    pub id: String,
    pub order_id: String,
    pub hospital: String,
    pub status: &'static str,
    pub units: usize,
    pub opened_at: String,
}

fn shipment_line(records: &Records, shipment: &Shipment) -> ShipmentLine {
    ShipmentLine {
        id: shipment.id.clone(),
        order_id: shipment.order_id.clone(),
        hospital: hospital_name(records, &shipment.hospital),
        status: shipment.status().as_str(),
        units: shipment.components.len(),
        opened_at: local_text(shipment.opened_at, offset(records)),
    }
}

fn hospital_name(records: &Records, id: &str) -> String {
    records
        .hospitals
        .get(id)
        .map_or_else(|| id.to_owned(), |h| h.name.clone())
}

#[derive(Template)]
#[template(path = "distribution.html")]
struct DistributionPage {
    page: Page,
    orders: Vec<OrderRow>,
    shipments: Vec<ShipmentLine>,
}

/// `GET /distribution`: pending orders, due soonest first (so those at risk lead), and the
/// shipments of the last days.
pub async fn page(caller: Caller, State(app): State<App>) -> Result<Response, Problem> {
    caller.require(access::DISTRIBUTION)?;
    let now = app.now();
    let (orders, shipments) = app
        .ledger
        .read(|records| {
            let offset = offset(records);
            let orders = queries::visible_orders(records, caller.user.role, &caller.user.id)
                .into_iter()
                .filter(|o| o.is_pending())
                .map(|o| OrderRow::of(records, o, now, offset))
                .collect();
            let shipments = queries::shipments(records, None)
                .into_iter()
                .take(50)
                .map(|s| shipment_line(records, s))
                .collect();
            (orders, shipments)
        })
        .await?;
    let html = DistributionPage {
        page: Page::of(&caller, "/distribution"),
        orders,
        shipments,
    }
    .render()?;
    Ok(Html(html).into_response())
}

pub struct ShipmentView {
    pub line: ShipmentLine,
    pub document: ShippingDocument,
    pub received: Vec<bool>,
    pub shipped: bool,
}

/// The plain data of a shipment's documents (packing list and shipping label).
pub fn shipping_document(records: &Records, shipment: &Shipment) -> ShippingDocument {
    let offset = offset(records);
    let site = records.sites.get(&shipment.site);
    let hospital = records.hospitals.get(&shipment.hospital);
    let lines = |text: &str| -> Vec<String> {
        text.split(['\n', ';'])
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect()
    };
    let mut shipper = vec![site.map_or_else(|| shipment.site.clone(), |s| s.name.clone())];
    shipper.extend(site.map(|s| lines(&s.address)).unwrap_or_default());
    let dispatch = shipment.dispatch.as_ref();
    ShippingDocument {
        shipment_id: shipment.id.clone(),
        shipper,
        consignee: hospital.map_or_else(|| shipment.hospital.clone(), |h| h.name.clone()),
        address: hospital.map(|h| lines(&h.address)).unwrap_or_default(),
        box_id: dispatch.map(|d| d.box_id.clone()).unwrap_or_default(),
        temperature_range: dispatch
            .map(|d| d.temperature_range.to_string())
            .unwrap_or_default(),
        courier: dispatch.map(|d| d.courier.clone()).unwrap_or_default(),
        shipped_at: dispatch
            .map(|d| local_text(d.at, offset))
            .unwrap_or_else(|| "not yet shipped".to_owned()),
        units: shipment
            .components
            .iter()
            .filter_map(|id| records.components.get(id))
            .map(|c| ShippedUnit {
                din: eye_readable(&c.din),
                product_code: c.product_code.clone(),
                description: c.name.clone(),
                abo_rhd: confirmed_group(records, c).map_or_else(
                    || "not confirmed".to_owned(),
                    |(abo, rhd)| group_text(abo, rhd),
                ),
                expiry: local_text(c.expires_at, offset),
            })
            .collect(),
    }
}

/// A DIN as read by eye: facility, year, sequence (`W1234 26 000001`).
fn eye_readable(din: &str) -> String {
    if din.len() == 13 && din.is_ascii() {
        format!("{} {} {}", &din[..5], &din[5..7], &din[7..])
    } else {
        din.to_owned()
    }
}

#[derive(Template)]
#[template(path = "shipment.html")]
struct ShipmentPage {
    page: Page,
    shipment: ShipmentView,
    hospital_user: bool,
}

/// `GET /shipments/{id}`: the shipment, its units and its documents.
pub async fn shipment_page(
    caller: Caller,
    State(app): State<App>,
    Path(shipment_id): Path<String>,
) -> Result<Response, Problem> {
    caller.require(access::ORDERS)?;
    let scope = Scope::of(&caller)?;
    let shipment = app
        .ledger
        .read(|records| {
            let shipment = visible_shipment(records, &scope, &shipment_id)?;
            Ok::<_, Problem>(ShipmentView {
                line: shipment_line(records, shipment),
                document: shipping_document(records, shipment),
                received: shipment
                    .components
                    .iter()
                    .map(|c| shipment.is_received(c))
                    .collect(),
                shipped: shipment.status() != ShipmentStatus::Picking,
            })
        })
        .await??;
    let html = ShipmentPage {
        page: Page::of(&caller, "/distribution"),
        shipment,
        hospital_user: scope.hospital().is_some(),
    }
    .render()?;
    Ok(Html(html).into_response())
}

/// A shipment's document as PDF, for a caller who may see the shipment: `render` lays it out,
/// `name` starts the file name (`{name}-{id}.pdf`), shown in the browser.
async fn shipment_pdf(
    app: &App,
    caller: &Caller,
    shipment_id: &str,
    render: fn(&ShippingDocument) -> Result<Vec<u8>, hemaflow_documents::DocumentError>,
    name: &str,
) -> Result<Response, Problem> {
    caller.require(access::ORDERS)?;
    let scope = Scope::of(caller)?;
    let document = app
        .ledger
        .read(|records| {
            visible_shipment(records, &scope, shipment_id)
                .map(|shipment| shipping_document(records, shipment))
        })
        .await??;
    let bytes = render(&document).map_err(|e| Problem::input(e.to_string()))?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/pdf".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("inline; filename=\"{name}-{shipment_id}.pdf\""),
            ),
        ],
        bytes,
    )
        .into_response())
}

/// `GET /shipments/{id}/packing-list.pdf`.
pub async fn packing_list(
    caller: Caller,
    State(app): State<App>,
    Path(shipment_id): Path<String>,
) -> Result<Response, Problem> {
    let render = hemaflow_documents::packing_list_pdf;
    shipment_pdf(&app, &caller, &shipment_id, render, "packing-list").await
}

/// `GET /shipments/{id}/label.pdf`.
pub async fn shipping_label(
    caller: Caller,
    State(app): State<App>,
    Path(shipment_id): Path<String>,
) -> Result<Response, Problem> {
    let render = hemaflow_documents::shipping_label_pdf;
    shipment_pdf(&app, &caller, &shipment_id, render, "shipping-label").await
}

pub struct TransferLine {
    pub id: String,
    pub from: String,
    pub to: String,
    pub units: usize,
    pub received: usize,
    pub dispatched_at: String,
}

#[derive(Template)]
#[template(path = "transfers.html")]
struct TransfersPage {
    page: Page,
    sites: Vec<(String, String)>,
    transfers: Vec<TransferLine>,
    form_id: String,
    transfer_id: String,
}

/// `GET /distribution/transfers`.
pub async fn transfers(caller: Caller, State(app): State<App>) -> Result<Response, Problem> {
    caller.require(access::DISTRIBUTION)?;
    let (sites, transfers) = app
        .ledger
        .read(|records| {
            let offset = offset(records);
            let sites = records
                .sites
                .values()
                .map(|s| (s.id.clone(), s.name.clone()))
                .collect();
            let mut transfers: Vec<TransferLine> = records
                .transfers
                .values()
                .map(|t| TransferLine {
                    id: t.id.clone(),
                    from: t.from.clone(),
                    to: t.to.clone(),
                    units: t.components.len(),
                    received: t.received.len(),
                    dispatched_at: local_text(t.dispatched_at, offset),
                })
                .collect();
            transfers.sort_by(|a, b| {
                (a.units == a.received, &b.dispatched_at)
                    .cmp(&(b.units == b.received, &a.dispatched_at))
            });
            (sites, transfers)
        })
        .await?;
    let html = TransfersPage {
        page: Page::of(&caller, "/distribution"),
        sites,
        transfers,
        form_id: token::generate(),
        transfer_id: format!("TRF-{}", &token::generate()[..8].to_uppercase()),
    }
    .render()?;
    Ok(Html(html).into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DispatchForm {
    pub command_id: Option<String>,
    pub transfer_id: String,
    pub from: String,
    pub to: String,
    /// Scans, one a line: a DIN, then its product code, for each unit.
    pub scans: String,
}

/// The units of a list of scans: DIN and product code in turn, one scan a line.
pub fn units_of_scans(scans: &str) -> Result<Vec<String>, Problem> {
    let lines: Vec<&str> = scans
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    if lines.is_empty() {
        return Err(Problem::input(
            "scan at least one unit: its DIN, then its product code",
        ));
    }
    if lines.len() % 2 == 1 {
        return Err(Problem::input(format!(
            "scan {} has no product code after it: scan each unit's DIN, then its product code",
            lines.len()
        )));
    }
    lines
        .chunks(2)
        .map(|pair| scanned_unit(pair[0], pair[1]))
        .collect()
}

/// `POST /distribution/transfers`: DIST-TRANSFER, units scanned out of a site.
pub async fn dispatch(
    caller: Caller,
    State(app): State<App>,
    axum::Form(form): axum::Form<DispatchForm>,
) -> Result<Response, Problem> {
    caller.require(access::DISTRIBUTION)?;
    let command = Command::Client(ClientCommand::Distribution(
        DistributionCommand::DispatchTransfer {
            transfer_id: form.transfer_id.trim().to_owned(),
            from: form.from.trim().to_owned(),
            to: form.to.trim().to_owned(),
            components: units_of_scans(&form.scans)?,
        },
    ));
    execute_form(&app, &caller, form.command_id.as_deref(), &command).await?;
    Ok(Redirect::to("/distribution/transfers").into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ReceiveForm {
    pub command_id: Option<String>,
    pub transfer_id: String,
    pub din: String,
    pub product_code: String,
}

/// `POST /distribution/transfers/receive`: DIST-TRANSFER, one unit scanned in.
pub async fn receive(
    caller: Caller,
    State(app): State<App>,
    headers: HeaderMap,
    axum::Form(form): axum::Form<ReceiveForm>,
) -> Result<Response, Problem> {
    caller.require(access::DISTRIBUTION)?;
    let component = scanned_unit(&form.din, &form.product_code)?;
    let command = Command::Client(ClientCommand::Distribution(
        DistributionCommand::ReceiveTransfer {
            transfer_id: form.transfer_id.trim().to_owned(),
            component: component.clone(),
        },
    ));
    execute_form(&app, &caller, form.command_id.as_deref(), &command).await?;
    if !is_htmx(&headers) {
        return Ok(Redirect::to("/distribution/transfers").into_response());
    }
    Ok(accepted(format!(
        "{component} received from transfer {}.",
        form.transfer_id.trim()
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transfer_scans_are_read_in_pairs_and_a_lone_din_is_refused() {
        let units =
            units_of_scans("=W12342612345600\n=<E0382V00\n\n=W12342612345700\n=<E0382V00\n");
        assert_eq!(
            units.ok(),
            Some(vec![
                "W123426123456-E0382V00".to_owned(),
                "W123426123457-E0382V00".to_owned()
            ])
        );
        let lone = units_of_scans("=W12342612345600\n=<E0382V00\n=W12342612345700");
        assert!(lone.is_err_and(|p| p.detail.contains("scan 3")));
        assert!(units_of_scans(" \n").is_err());
    }

    #[test]
    fn a_din_reads_by_eye_in_three_groups() {
        assert_eq!(eye_readable("W123426000001"), "W1234 26 000001");
    }
}
