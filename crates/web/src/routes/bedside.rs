//! The bedside (nurses, their own hospital only): the wristband and the unit scanned, then
//! the transfusion started with vital signs (TX-BEDSIDE: a second person's badge where the
//! hospital requires it), ended with the volume, a reaction reported with its NHSN category,
//! severity and imputability (TX-REACTION), a unit wasted (TX-FATE; a unit not hung goes back
//! to the blood bank, whose technologist records its return to stock); and
//! the remote blood fridge: wristband and unit scanned, issued by electronic crossmatch.
//!
//! A wrong patient's wristband is the domain's refusal (TX-WRONG-PATIENT, "STOP ..."), shown
//! next to the wristband field; nothing else changes.

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::{Html, IntoResponse, Redirect, Response};
use hemaflow_domain::transfusion::emergency::{Imputability, ReactionCategory, Severity};
use hemaflow_domain::transfusion::service::settings;
use hemaflow_domain::{ClientCommand, Command, TransfusionCommand};
use serde::Deserialize;

use super::execute_form;
use super::is_htmx;
use super::transfusion::{
    give, issued_text, own_hospital, patient_name, required, service_offset, vitals, whole, words,
};
use crate::App;
use crate::access;
use crate::auth::{Caller, token};
use crate::problem::Problem;
use crate::supply::{local_text, parse_named, unit_scan};
use crate::views::{Page, accepted};

const CATEGORIES: [ReactionCategory; 13] = [
    ReactionCategory::AllergicReaction,
    ReactionCategory::AcuteHemolytic,
    ReactionCategory::DelayedHemolytic,
    ReactionCategory::DelayedSerologic,
    ReactionCategory::FebrileNonHemolytic,
    ReactionCategory::Hypotensive,
    ReactionCategory::PostTransfusionPurpura,
    ReactionCategory::Taco,
    ReactionCategory::Tad,
    ReactionCategory::Trali,
    ReactionCategory::TaGvhd,
    ReactionCategory::TransfusionTransmittedInfection,
    ReactionCategory::Other,
];
const SEVERITIES: [Severity; 4] = [
    Severity::NonSevere,
    Severity::Severe,
    Severity::LifeThreatening,
    Severity::Death,
];
const IMPUTABILITIES: [Imputability; 6] = [
    Imputability::Definite,
    Imputability::Probable,
    Imputability::Possible,
    Imputability::Doubtful,
    Imputability::RuledOut,
    Imputability::NotDetermined,
];

fn key<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// A unit out for transfusion at the hospital.
pub struct OutRow {
    pub component: String,
    pub patient: String,
    pub issued_at: String,
    pub state: &'static str,
}

#[derive(Template)]
#[template(path = "bedside.html")]
struct BedsidePage {
    page: Page,
    hospital: String,
    second_person: bool,
    return_minutes: u32,
    out: Vec<OutRow>,
    categories: Vec<(String, &'static str)>,
    severities: Vec<(String, String)>,
    imputabilities: Vec<(String, String)>,
    form_id: String,
}

/// `GET /bedside`.
pub async fn page(caller: Caller, State(app): State<App>) -> Result<Response, Problem> {
    caller.require(access::BEDSIDE)?;
    let hospital = own_hospital(&caller)?;
    let (name, (second_person, return_minutes), out) = app
        .ledger
        .read(|records| {
            let offset = service_offset(records, &hospital);
            let name = records
                .hospitals
                .get(&hospital)
                .map_or_else(|| hospital.clone(), |h| h.name.clone());
            let out = records
                .transfusion
                .units
                .values()
                .filter(|u| u.hospital == hospital)
                .filter_map(|u| {
                    let open = u.open_issue()?;
                    Some(OutRow {
                        component: u.component.clone(),
                        patient: patient_name(records, &open.issue.patient),
                        issued_at: local_text(open.issue.at, offset),
                        state: if open.start.is_some() {
                            "transfusing"
                        } else {
                            "issued, not started"
                        },
                    })
                })
                .collect();
            let settings = settings(records, &hospital);
            (
                name,
                (settings.second_person_at_bedside, settings.return_minutes),
                out,
            )
        })
        .await?;
    let html = BedsidePage {
        page: Page::of(&caller, "/bedside"),
        hospital: name,
        second_person,
        return_minutes,
        out,
        categories: CATEGORIES.iter().map(|c| (key(c), c.describe())).collect(),
        severities: SEVERITIES.iter().map(|s| (key(s), words(s))).collect(),
        imputabilities: IMPUTABILITIES.iter().map(|i| (key(i), words(i))).collect(),
        form_id: token::generate(),
    }
    .render()?;
    Ok(Html(html).into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct StartForm {
    pub command_id: Option<String>,
    pub wristband: String,
    pub din: String,
    pub product_code: String,
    pub second_checker: String,
    pub temperature_c: String,
    pub pulse: String,
    pub systolic: String,
    pub diastolic: String,
}

/// `POST /bedside/start`: TX-BEDSIDE, TX-WRONG-PATIENT.
pub async fn start(
    caller: Caller,
    State(app): State<App>,
    headers: HeaderMap,
    Form(form): Form<StartForm>,
) -> Result<Response, Problem> {
    caller.require(access::BEDSIDE)?;
    let component = unit_scan(&form.din, &form.product_code)?;
    let vitals = vitals(
        &form.temperature_c,
        &form.pulse,
        &form.systolic,
        &form.diastolic,
    )?;
    let checker = form.second_checker.trim();
    let command = TransfusionCommand::StartTransfusion {
        component: component.clone(),
        wristband: form.wristband.clone(),
        second_checker: (!checker.is_empty()).then(|| checker.to_owned()),
        vitals,
    };
    give(
        &app,
        &caller,
        &headers,
        form.command_id.as_deref(),
        command,
        "/bedside",
        |_| format!("bedside check passed: the transfusion of {component} has started"),
    )
    .await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct EndForm {
    pub command_id: Option<String>,
    pub din: String,
    pub product_code: String,
    pub volume_ml: String,
    pub temperature_c: String,
    pub pulse: String,
    pub systolic: String,
    pub diastolic: String,
}

/// `POST /bedside/end`: TX-FATE, transfused.
pub async fn end(
    caller: Caller,
    State(app): State<App>,
    headers: HeaderMap,
    Form(form): Form<EndForm>,
) -> Result<Response, Problem> {
    caller.require(access::BEDSIDE)?;
    let component = unit_scan(&form.din, &form.product_code)?;
    let volume_ml: u32 = whole("the volume transfused (mL)", &form.volume_ml)?;
    let vitals = vitals(
        &form.temperature_c,
        &form.pulse,
        &form.systolic,
        &form.diastolic,
    )?;
    let command = TransfusionCommand::EndTransfusion {
        component: component.clone(),
        volume_ml,
        vitals,
    };
    give(
        &app,
        &caller,
        &headers,
        form.command_id.as_deref(),
        command,
        "/bedside",
        |_| format!("the transfusion of {component} ended: {volume_ml} mL transfused"),
    )
    .await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ReactionForm {
    pub command_id: Option<String>,
    pub din: String,
    pub product_code: String,
    pub category: String,
    pub severity: String,
    pub imputability: String,
    pub description: String,
}

/// `POST /bedside/reaction`: TX-REACTION.
pub async fn reaction(
    caller: Caller,
    State(app): State<App>,
    headers: HeaderMap,
    Form(form): Form<ReactionForm>,
) -> Result<Response, Problem> {
    caller.require(access::BEDSIDE)?;
    let component = unit_scan(&form.din, &form.product_code)?;
    let category: ReactionCategory = parse_named(
        "the category",
        &required("the category", &form.category, "choose the NHSN category")?,
    )?;
    let severity: Severity = parse_named(
        "the severity",
        &required("the severity", &form.severity, "choose the severity")?,
    )?;
    let imputability: Imputability = parse_named(
        "the imputability",
        &required(
            "the imputability",
            &form.imputability,
            "choose the imputability",
        )?,
    )?;
    let reaction_id = format!("RX-{}", &token::generate()[..8].to_uppercase());
    let command = TransfusionCommand::ReportReaction {
        reaction_id: reaction_id.clone(),
        component: component.clone(),
        category,
        severity,
        imputability,
        description: form.description.clone(),
    };
    give(
        &app,
        &caller,
        &headers,
        form.command_id.as_deref(),
        command,
        "/bedside",
        |_| {
            format!(
                "reaction {reaction_id} to {component} reported: {}, {}",
                category.describe(),
                words(&severity)
            )
        },
    )
    .await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct WasteForm {
    pub command_id: Option<String>,
    pub din: String,
    pub product_code: String,
    pub reason: String,
}

/// `POST /bedside/waste`: TX-FATE, a unit wasted at the bedside.
pub async fn waste(
    caller: Caller,
    State(app): State<App>,
    headers: HeaderMap,
    Form(form): Form<WasteForm>,
) -> Result<Response, Problem> {
    caller.require(access::BEDSIDE)?;
    waste_unit(&app, &caller, &headers, form, "/bedside").await
}

/// TX-FATE: a unit wasted (issued or in stock), then the page `back`.
pub async fn waste_unit(
    app: &App,
    caller: &Caller,
    headers: &HeaderMap,
    form: WasteForm,
    back: &str,
) -> Result<Response, Problem> {
    let component = unit_scan(&form.din, &form.product_code)?;
    let command = TransfusionCommand::WasteUnit {
        component: component.clone(),
        reason: form.reason.clone(),
    };
    give(
        app,
        caller,
        headers,
        form.command_id.as_deref(),
        command,
        back,
        |_| format!("{component} recorded as wasted"),
    )
    .await
}

#[derive(Template)]
#[template(path = "bedside_remote.html")]
struct RemotePage {
    page: Page,
    hospital: String,
    fridge: String,
    form_id: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct FridgeQuery {
    /// The fridge's name, for the tablet mounted at it (`/bedside/remote?fridge=OR%20fridge%202`).
    pub fridge: String,
}

/// `GET /bedside/remote`: the remote blood fridge.
pub async fn remote_page(
    caller: Caller,
    State(app): State<App>,
    Query(query): Query<FridgeQuery>,
) -> Result<Response, Problem> {
    caller.require(access::BEDSIDE)?;
    let hospital = own_hospital(&caller)?;
    let name = app
        .ledger
        .read(|records| {
            records
                .hospitals
                .get(&hospital)
                .map_or_else(|| hospital.clone(), |h| h.name.clone())
        })
        .await?;
    let html = RemotePage {
        page: Page::of(&caller, "/bedside/remote"),
        hospital: name,
        fridge: query.fridge.trim().to_owned(),
        form_id: token::generate(),
    }
    .render()?;
    Ok(Html(html).into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct RemoteForm {
    pub command_id: Option<String>,
    pub fridge: String,
    pub wristband: String,
    pub din: String,
    pub product_code: String,
}

/// `POST /bedside/remote`: XM-ELECTRONIC at the fridge, TX-WRONG-PATIENT: the unit issued by
/// the nurse who takes it.
pub async fn remote_issue(
    caller: Caller,
    State(app): State<App>,
    headers: HeaderMap,
    Form(form): Form<RemoteForm>,
) -> Result<Response, Problem> {
    caller.require(access::BEDSIDE)?;
    let fridge = required("the fridge", &form.fridge, "name the remote fridge")?;
    let component = unit_scan(&form.din, &form.product_code)?;
    let command = Command::Client(ClientCommand::Transfusion(TransfusionCommand::IssueUnit {
        component,
        wristband: form.wristband.clone(),
        to: caller.user.name.clone(),
        remote: Some(fridge),
    }));
    let events = execute_form(&app, &caller, form.command_id.as_deref(), &command).await?;
    if !is_htmx(&headers) {
        return Ok(Redirect::to("/bedside/remote").into_response());
    }
    let text = app.ledger.read(|r| issued_text(r, &events)).await?;
    Ok(accepted(text))
}
