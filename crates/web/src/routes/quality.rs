//! The quality bench: holds (place on a donation or a unit, release with the finding) and
//! ABO/RhD discrepancies (resolved with the group the investigation found, scanned from its
//! blood-group barcode). Each change carries the ledger entry the page showed (`seen`): a
//! record changed since is refused 409 and nothing is written. The rules (holds, TEST-ABO-TWICE)
//! are the domain's.

use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Response};
use hemaflow_domain::lab::testing::{Typing, donation_typing};
use hemaflow_domain::manufacturing::components::component_id;
use hemaflow_domain::release::gate::{HoldKind, HoldTarget};
use hemaflow_domain::{ClientCommand, LabCommand, ReleaseCommand};
use hemaflow_domain::{Command, State as Records};
use serde::Deserialize;

use super::execute_form_seen;
use super::units::time_text;
use crate::App;
use crate::access;
use crate::auth::{Caller, token};
use crate::problem::Problem;
use crate::scan;
use crate::views::{Page, accepted};

const KINDS: &[(HoldKind, &str)] = &[
    (HoldKind::Qa, "quality"),
    (HoldKind::Investigation, "investigation"),
    (HoldKind::Lookback, "lookback"),
    (
        HoldKind::PostDonationInformation,
        "post-donation information",
    ),
];

pub struct HoldLine {
    pub id: String,
    pub target: String,
    pub kind: String,
    pub reason: String,
    pub placed: String,
}

pub struct DiscrepancyLine {
    pub din: String,
    pub determinations: String,
}

#[derive(Template)]
#[template(path = "quality.html")]
struct QualityPage {
    page: Page,
    holds: Vec<HoldLine>,
    discrepancies: Vec<DiscrepancyLine>,
    kinds: Vec<(String, &'static str)>,
    form_id: String,
    seen: i64,
}

fn kind_key(kind: HoldKind) -> String {
    serde_json::to_value(kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn read(records: &Records) -> (Vec<HoldLine>, Vec<DiscrepancyLine>) {
    let holds = records
        .holds
        .values()
        .filter(|h| h.is_open())
        .map(|h| HoldLine {
            id: h.id.clone(),
            target: match &h.target {
                HoldTarget::Donation { din } => format!("donation {din}"),
                HoldTarget::Component { id } => format!("unit {id}"),
            },
            kind: kind_key(h.kind),
            reason: h.reason.clone(),
            placed: format!("{} by {}", time_text(h.placed_at), h.placed_by),
        })
        .collect();
    let discrepancies = records
        .donations
        .values()
        .filter(|d| donation_typing(records, d) == Typing::Discrepant)
        .map(|d| DiscrepancyLine {
            din: d.din.clone(),
            determinations: d
                .determinations
                .iter()
                .map(|x| format!("{} {} by {}", x.abo.as_str(), x.rhd.as_str(), x.by))
                .collect::<Vec<_>>()
                .join("; "),
        })
        .collect();
    (holds, discrepancies)
}

pub async fn page(caller: Caller, State(app): State<App>) -> Result<Response, Problem> {
    caller.require(access::QUALITY)?;
    let ((holds, discrepancies), seen) = app.ledger.read_at(read).await?;
    let page = QualityPage {
        page: Page::of(&caller, "/quality"),
        holds,
        discrepancies,
        kinds: KINDS
            .iter()
            .map(|(k, label)| (kind_key(*k), *label))
            .collect(),
        form_id: token::generate(),
        seen,
    };
    Ok(Html(page.render()?).into_response())
}

#[derive(Deserialize)]
pub struct PlaceForm {
    din: String,
    #[serde(default)]
    product_code: String,
    kind: String,
    #[serde(default)]
    reason: String,
    command_id: Option<String>,
    seen: Option<i64>,
}

/// A hold on a donation (every unit made from it), or on one unit when its product code is
/// scanned too.
pub async fn post_place(
    caller: Caller,
    State(app): State<App>,
    Form(form): Form<PlaceForm>,
) -> Result<Response, Problem> {
    caller.require(access::QUALITY)?;
    let din = scan::din(&form.din)?;
    let (target, record) = if form.product_code.trim().is_empty() {
        (HoldTarget::Donation { din: din.clone() }, ("donation", din))
    } else {
        let id = component_id(&din, &scan::product_code(&form.product_code)?);
        (HoldTarget::Component { id: id.clone() }, ("component", id))
    };
    let kind = KINDS
        .iter()
        .find(|(k, _)| kind_key(*k) == form.kind)
        .map(|(k, _)| *k)
        .ok_or_else(|| Problem::input(format!("kind: {:?} is not a kind of hold", form.kind)))?;
    let command = Command::Client(ClientCommand::Release(ReleaseCommand::PlaceHold {
        target,
        kind,
        reason: form.reason.trim().to_owned(),
    }));
    execute_form_seen(
        &app,
        &caller,
        form.command_id.as_deref(),
        form.seen,
        &command,
        &[(record.0, &record.1)],
    )
    .await?;
    Ok(accepted(format!(
        "Hold placed on {} {}; its units are quarantined.",
        record.0, record.1
    )))
}

#[derive(Deserialize)]
pub struct ReleaseHoldForm {
    hold_id: String,
    #[serde(default)]
    reason: String,
    command_id: Option<String>,
    seen: Option<i64>,
}

pub async fn post_release_hold(
    caller: Caller,
    State(app): State<App>,
    Form(form): Form<ReleaseHoldForm>,
) -> Result<Response, Problem> {
    caller.require(access::QUALITY)?;
    let hold_id = form.hold_id.trim().to_owned();
    let command = Command::Client(ClientCommand::Release(ReleaseCommand::ReleaseHold {
        hold_id: hold_id.clone(),
        reason: form.reason.trim().to_owned(),
    }));
    execute_form_seen(
        &app,
        &caller,
        form.command_id.as_deref(),
        form.seen,
        &command,
        &[("hold", &hold_id)],
    )
    .await?;
    Ok(accepted(format!(
        "Hold {hold_id} released; its units go through the release gate again."
    )))
}

#[derive(Deserialize)]
pub struct ResolveForm {
    din: String,
    blood_group: String,
    #[serde(default)]
    reason: String,
    command_id: Option<String>,
    seen: Option<i64>,
}

/// TEST-ABO-TWICE: a discrepancy resolved by QA with the group its investigation found.
pub async fn post_resolve(
    caller: Caller,
    State(app): State<App>,
    Form(form): Form<ResolveForm>,
) -> Result<Response, Problem> {
    caller.require(access::QUALITY)?;
    let din = scan::din_in_path(&form.din)?;
    let (abo, rhd) = scan::blood_group(&form.blood_group)?;
    let command = Command::Client(ClientCommand::Lab(LabCommand::ResolveBloodGroup {
        din: din.clone(),
        abo,
        rhd,
        reason: form.reason.trim().to_owned(),
    }));
    execute_form_seen(
        &app,
        &caller,
        form.command_id.as_deref(),
        form.seen,
        &command,
        &[("donation", &din)],
    )
    .await?;
    Ok(accepted(format!(
        "{din}: ABO/RhD resolved as {} {}.",
        abo.as_str(),
        rhd.as_str()
    )))
}
