//! Label printing (PDF and ZPL from `hemaflow-labels`, for a unit on record) and label
//! verification: the applied label's barcodes are scanned, compared with what the unit's label
//! must carry (`verify_scans`), and the match recorded as the domain's `VerifyLabel`.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use hemaflow_domain::components::Component;
use hemaflow_domain::release::confirmed_group;
use hemaflow_domain::{Command, State as Records, queries};
use hemaflow_labels::{Label, LabelContent, LabelRequest, ZplDpi};
use serde::Deserialize;

use super::{command_id, execute};
use crate::App;
use crate::access;
use crate::auth::{Caller, token};
use crate::problem::Problem;
use crate::scan;
use crate::views::Page;

/// The expiry scan (data structure 005, `&>cyyjjjhhmm`) of an instant, in UTC.
pub fn expiry_scan(at: time::OffsetDateTime) -> String {
    let utc = at.to_offset(time::UtcOffset::UTC);
    let year = utc.year();
    // The century digit: 0 for 2000-2099 (ST-001 date structures).
    let century = year / 100 - 20;
    format!(
        "&>{}{:02}{:03}{:02}{:02}",
        century.clamp(0, 9),
        year % 100,
        utc.ordinal(),
        utc.hour(),
        utc.minute()
    )
}

/// What the label of `component` must carry: its DIN, product code, confirmed ABO/RhD and
/// expiry. A unit without a confirmed group gets no label (TEST-ABO-TWICE).
pub fn expected_label(records: &Records, component: &Component) -> Result<LabelContent, Problem> {
    let Some((abo, rhd)) = confirmed_group(records, component) else {
        return Err(Problem::refused(
            "TEST-ABO-TWICE",
            format!(
                "{} has no confirmed ABO/RhD yet; its label cannot be printed or verified",
                component.id
            ),
        ));
    };
    let din = format!("={}00", component.din);
    let product = format!("=<{}", component.product_code);
    let expiry = expiry_scan(component.expires_at);
    let request = LabelRequest {
        din: &din,
        product: &product,
        blood_group: scan::blood_group_scan(abo, rhd),
        expiry: &expiry,
        description: Some(&component.name),
        ..LabelRequest::default()
    };
    LabelContent::from_request(&request)
        .map_err(|error| Problem::refused("LABEL", format!("the label cannot be made: {error}")))
}

async fn label_for(app: &App, din: &str, product_code: &str) -> Result<Label, Problem> {
    let din = scan::din_in_path(din)?;
    let content = app
        .ledger
        .read(|records| {
            let component = queries::component(records, &din, product_code).ok_or_else(|| {
                Problem::not_found(format!("no unit {din} {product_code} is on record"))
            })?;
            expected_label(records, component)
        })
        .await??;
    Label::base(&content)
        .map_err(|error| Problem::refused("LABEL", format!("the label cannot be made: {error}")))
}

pub async fn pdf(
    caller: Caller,
    State(app): State<App>,
    Path((din, product_code)): Path<(String, String)>,
) -> Result<Response, Problem> {
    caller.require(access::LABELS)?;
    let label = label_for(&app, &din, &product_code).await?;
    let bytes = hemaflow_labels::render_pdf(&label)
        .map_err(|error| Problem::refused("LABEL", error.to_string()))?;
    Ok(([(header::CONTENT_TYPE, "application/pdf")], bytes).into_response())
}

pub async fn zpl(
    caller: Caller,
    State(app): State<App>,
    Path((din, product_code)): Path<(String, String)>,
) -> Result<Response, Problem> {
    caller.require(access::LABELS)?;
    let label = label_for(&app, &din, &product_code).await?;
    let text = hemaflow_labels::to_zpl(&label, ZplDpi::Dpi203);
    Ok(([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], text).into_response())
}

#[derive(Template)]
#[template(path = "labels.html")]
struct LabelsPage {
    page: Page,
    command_id: String,
}

pub async fn page(caller: Caller) -> Result<Response, Problem> {
    caller.require(access::LABELS)?;
    let page = LabelsPage {
        page: Page::of(&caller, "/labels"),
        command_id: token::generate(),
    };
    Ok(Html(page.render()?).into_response())
}

#[derive(Deserialize)]
pub struct VerifyForm {
    #[serde(default)]
    scans: String,
    command_id: Option<String>,
}

/// The scans of one applied label: the unit is the one the DIN and product code scans name;
/// every barcode its label must carry has to be scanned and equal.
pub async fn verify(
    caller: Caller,
    State(app): State<App>,
    Form(form): Form<VerifyForm>,
) -> Result<Response, Problem> {
    caller.require(access::LABELS)?;
    let scans: Vec<&str> = form
        .scans
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect();
    let din = scans
        .iter()
        .find_map(|s| scan::din(s).ok())
        .ok_or_else(|| Problem::input("scan the label's DIN barcode first"))?;
    let product_code = scans
        .iter()
        .find_map(|s| scan::product_code(s).ok())
        .ok_or_else(|| Problem::input("scan the label's product code barcode"))?;
    let (component_id, expected, group) = app
        .ledger
        .read(|records| {
            let component = queries::component(records, &din, &product_code).ok_or_else(|| {
                Problem::not_found(format!("no unit {din} {product_code} is on record"))
            })?;
            let expected = expected_label(records, component)?;
            let group = confirmed_group(records, component);
            Ok::<_, Problem>((component.id.clone(), expected, group))
        })
        .await??;
    if let Err(mismatch) = hemaflow_labels::verify_scans(&expected, &scans) {
        // A label whose group differs from the record is given to the domain as scanned, so
        // that the refused scan is kept in the ledger (DESIGN: refusals are recorded).
        let scanned_group = scans.iter().find_map(|s| scan::blood_group(s).ok());
        if let (Some((abo, rhd)), Some(confirmed)) = (scanned_group, group)
            && (abo, rhd) != confirmed
        {
            let command = Command::VerifyLabel {
                component: component_id.clone(),
                din: din.clone(),
                product_code: product_code.clone(),
                abo,
                rhd,
            };
            let id = command_id(form.command_id.as_deref())?;
            execute(&app, &caller, &id, &command).await?;
        }
        return Err(Problem::refused(
            "REL-GATE",
            format!(
                "label of {component_id} does not match the record: {mismatch}; relabel and scan again"
            ),
        ));
    }
    let Some((abo, rhd)) = group else {
        return Err(Problem::internal(
            "a verified label without a confirmed group",
        ));
    };
    let command = Command::VerifyLabel {
        component: component_id.clone(),
        din,
        product_code,
        abo,
        rhd,
    };
    let id = command_id(form.command_id.as_deref())?;
    execute(&app, &caller, &id, &command).await?;
    Ok((
        StatusCode::OK,
        Html(format!(
            "<p class=\"accepted\" role=\"status\">Label of {component_id} verified: every barcode matches the record.</p>"
        )),
    )
        .into_response())
}
