//! Label printing (PDF and ZPL from `hemaflow-labels`, for a unit on record) and label
//! verification: the applied label's barcodes are scanned, compared with what the unit's label
//! must carry (`verify_scans`), and the match recorded as the domain's `VerifyLabel`.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use hemaflow_domain::Rule;
use hemaflow_domain::manufacturing::label::final_label;
use hemaflow_domain::{ClientCommand, ManufacturingCommand};
use hemaflow_domain::{Command, State as Records, queries};
use hemaflow_isbt128::DataStructure;
use hemaflow_labels::{Label, LabelContent, LabelRequest, ZplDpi};
use serde::Deserialize;

use super::{command_id, execute};
use crate::App;
use crate::access;
use crate::auth::{Caller, token};
use crate::problem::Problem;
use crate::scan;
use crate::views::Page;

/// What the final label of `component` carries, from the domain's record (LABEL-FINAL): the
/// same structures that label verification later compares with, so that a printed label and
/// its verification can never disagree.
pub fn expected_label(
    records: &Records,
    component: &str,
    now: time::OffsetDateTime,
) -> Result<LabelContent, Problem> {
    let label = final_label(records, component, now)
        .map_err(|refusal| Problem::refused(refusal.rule.as_str(), refusal.message))?;
    let request = LabelRequest {
        din: &label.din,
        product: &label.product,
        blood_group: &label.blood_group,
        expiry: &label.expiry,
        description: Some(&label.description),
        ..LabelRequest::default()
    };
    LabelContent::from_request(&request).map_err(|error| {
        Problem::refused(
            Rule::LabelFinal.as_str(),
            format!("the label cannot be made: {error}"),
        )
    })
}

async fn label_for(app: &App, din: &str, product_code: &str) -> Result<Label, Problem> {
    let din = scan::din_in_path(din)?;
    let content = app
        .ledger
        .read(|records| {
            let component = queries::component(records, &din, product_code).ok_or_else(|| {
                Problem::not_found(format!("no unit {din} {product_code} is on record"))
            })?;
            expected_label(records, &component.id, app.now())
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
    let (din, product_code) = unit_named_by(&scans)?;
    let component_id = app
        .ledger
        .read(|records| {
            queries::component(records, &din, &product_code)
                .map(|component| component.id.clone())
                .ok_or_else(|| {
                    Problem::not_found(format!("no unit {din} {product_code} is on record"))
                })
        })
        .await??;
    // The domain compares every scan with the record (LABEL-VERIFY); a mismatch is refused and
    // the refusal recorded in the ledger like every refusal.
    let command = Command::Client(ClientCommand::Manufacturing(
        ManufacturingCommand::VerifyLabel {
            component: component_id.clone(),
            scans: scans.iter().map(|scan| (*scan).to_owned()).collect(),
        },
    ));
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

/// The DIN and product code the scans name: from their own barcodes or from the Data Matrix
/// (a compound message carries both), so that one scan of the Data Matrix is enough.
fn unit_named_by(scans: &[&str]) -> Result<(String, String), Problem> {
    let structures: Vec<DataStructure> = scans
        .iter()
        .filter_map(|scan| hemaflow_isbt128::parse(scan).ok())
        .flat_map(|scan| scan.into_structures())
        .collect();
    let din = structures.iter().find_map(|structure| match structure {
        DataStructure::Donation(number) => Some(number.din.as_str().to_owned()),
        _ => None,
    });
    let product = structures.iter().find_map(|structure| match structure {
        DataStructure::Product(code) => Some(code.as_str().to_owned()),
        _ => None,
    });
    match (din, product) {
        (Some(din), Some(product)) => Ok((din, product)),
        (None, _) => Err(Problem::input(
            "scan the label's DIN barcode (or its Data Matrix) first",
        )),
        (_, None) => Err(Problem::input(
            "scan the label's product code barcode (or its Data Matrix)",
        )),
    }
}
