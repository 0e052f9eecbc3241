//! The hospital transfusion service's bench (transfusion technologists, their own hospital
//! only): a patient looked up by a wristband scan, today's work (valid samples, the service's
//! stock, recent issues, emergency releases and what they still miss), and one form per
//! command: register a patient, receive, type and screen a sample, identify antibodies, retype
//! a unit, crossmatch, issue by scan, record a unit not hung back in stock or wasted, release
//! uncrossmatched blood and record the physician's signature. A patient's page shows the record and adds a special requirement.
//!
//! Scan first: a wristband goes to the domain as scanned (TX-PATIENT reads it, so a DIN in the
//! patient field is refused there and the refusal is on the ledger); a unit is read from its
//! two barcodes or its ID ([`unit_scan`]). Every rule is the domain's; a refusal shows next to
//! the form with its rule ID.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{Html, IntoResponse, Redirect, Response};
use hemaflow_domain::distribution::shipping::received_at_hospital;
use hemaflow_domain::distribution::sites::Celsius;
use hemaflow_domain::lab::testing::{Abo, RhD};
use hemaflow_domain::manufacturing::components::Family;
use hemaflow_domain::release::gate::confirmed_group;
use hemaflow_domain::transfusion::command::HistoricalGroup;
use hemaflow_domain::transfusion::patients::{
    Antigen, Patient, PatientSex, RecentHistory, Requirement, Wristband, by_wristband, patient_id,
};
use hemaflow_domain::transfusion::samples::Sample;
use hemaflow_domain::transfusion::service::{local_offset, settings};
use hemaflow_domain::transfusion::units::{Fate, ServiceUnit, Vitals, XmMethod};
use hemaflow_domain::{ClientCommand, Command, Event, Rule, State as Records, TransfusionCommand};
use serde::Deserialize;
use time::{Date, OffsetDateTime, PrimitiveDateTime, UtcOffset};

use super::{execute_form, is_htmx};
use crate::App;
use crate::access;
use crate::auth::{Caller, token};
use crate::problem::Problem;
use crate::supply::{Scope, group_text, local_text, parse_named, unit_scan};
use crate::views::{Page, accepted};

// ------------------------------------------------------------------ shared with the bedside

/// P11-ACCESS: the hospital a technologist or nurse works for (their account's binding).
pub fn own_hospital(caller: &Caller) -> Result<String, Problem> {
    Scope::of(caller)?
        .hospital()
        .map(str::to_owned)
        .ok_or_else(|| {
            Problem::refused(
                Rule::P11Access.as_str(),
                "a transfusion service's pages are for the staff of one hospital",
            )
        })
}

/// The service's local time (its settings, or the establishment's label time).
pub fn service_offset(records: &Records, hospital: &str) -> UtcOffset {
    local_offset(records, &settings(records, hospital))
}

/// The link of a patient's page: `/transfusion/patients/{hospital}/{location}/{number}`.
pub fn patient_path(patient: &Patient) -> String {
    format!(
        "/transfusion/patients/{}/{}/{}",
        patient.hospital, patient.wristband.location, patient.wristband.number
    )
}

/// The patient's wristband as an ISBT 128 025 scan (for the forms of the patient's page).
pub fn band_scan(wristband: &Wristband) -> String {
    format!(
        "&#{}{:02}{}",
        wristband.location,
        wristband.number.len(),
        wristband.number
    )
}

/// A required field, trimmed; missing is named, never defaulted.
pub fn required(field: &str, value: &str, what_to_do: &str) -> Result<String, Problem> {
    let value = value.trim();
    if value.is_empty() {
        return Err(Problem::missing(field, what_to_do));
    }
    Ok(value.to_owned())
}

/// A whole number of a field.
pub fn whole<T: std::str::FromStr>(field: &str, value: &str) -> Result<T, Problem> {
    let value = required(field, value, "enter it as a whole number")?;
    value
        .parse()
        .map_err(|_| Problem::input(format!("{field} '{value}' is not a whole number")))
}

/// A temperature in °C (`36.8`).
pub fn celsius(field: &str, value: &str) -> Result<Celsius, Problem> {
    let value = required(field, value, "enter it in °C, such as 36.8")?;
    value
        .parse()
        .map_err(|_| Problem::input(format!("{field} '{value}' is not a temperature in °C")))
}

/// Vital signs from the four fields of a form.
pub fn vitals(
    temperature: &str,
    pulse: &str,
    systolic: &str,
    diastolic: &str,
) -> Result<Vitals, Problem> {
    Ok(Vitals {
        temperature_c: celsius("the temperature", temperature)?,
        pulse: whole("the pulse", pulse)?,
        systolic: whole("the systolic pressure", systolic)?,
        diastolic: whole("the diastolic pressure", diastolic)?,
    })
}

/// `YYYY-MM-DDTHH:MM` (a `datetime-local` field) in the service's local time.
pub fn local_instant(
    field: &str,
    text: &str,
    offset: UtcOffset,
) -> Result<OffsetDateTime, Problem> {
    let text = required(
        field,
        text,
        "enter the date and time, such as 2026-11-25T14:30",
    )?;
    let format = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]");
    PrimitiveDateTime::parse(&text, format)
        .map(|local| local.assume_offset(offset))
        .map_err(|_| {
            Problem::input(format!(
                "{field} '{text}' is not a date and time such as 2026-11-25T14:30"
            ))
        })
}

/// Gives a transfusion-service command of a form as the caller: the answer in words next to
/// the form (htmx), or the page `back` again. A refusal is the ledger's (recorded there) and
/// shows next to the form with its rule.
pub async fn give(
    app: &App,
    caller: &Caller,
    headers: &HeaderMap,
    form_id: Option<&str>,
    command: TransfusionCommand,
    back: &str,
    answer: impl FnOnce(&[Event]) -> String,
) -> Result<Response, Problem> {
    let command = Command::Client(ClientCommand::Transfusion(command));
    let events = execute_form(app, caller, form_id, &command).await?;
    if !is_htmx(headers) {
        return Ok(Redirect::to(back).into_response());
    }
    Ok(accepted(answer(&events)))
}

/// The name of a patient by record ID, or the ID.
pub fn patient_name(records: &Records, id: &str) -> String {
    records
        .transfusion
        .patients
        .get(id)
        .map_or_else(|| id.to_owned(), Patient::name)
}

/// Words of a snake_case choice: `non_severe` -> `non severe`.
pub fn words<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(|s| s.replace('_', " ")))
        .unwrap_or_default()
}

fn new_id(prefix: &str) -> String {
    format!("{prefix}-{}", &token::generate()[..8].to_uppercase())
}

// ------------------------------------------------------------------ the bench

pub struct SampleRow {
    pub id: String,
    pub patient: String,
    pub patient_path: String,
    pub state: String,
    pub drawn_at: String,
    pub valid_until: String,
}

pub struct StockRow {
    pub component: String,
    pub name: String,
    pub group: String,
    pub expires_at: String,
    pub retype: String,
    pub reserved: String,
}

pub struct IssueRow {
    pub component: String,
    pub patient: String,
    pub patient_path: String,
    pub at: String,
    pub to: String,
    pub state: String,
}

pub struct EmergencyRow {
    pub id: String,
    pub patient: String,
    pub patient_path: String,
    pub physician: String,
    pub reason: String,
    pub units: String,
    pub at: String,
    pub missing: Vec<String>,
    /// TX-MTP: the protocol's running tally ("2 round(s), 13 units, ACTIVE"); empty for a
    /// single release.
    pub tally: String,
    pub active_protocol: bool,
}

/// XM-SAMPLE's end in words: the last minute a sample is valid (its `valid_until` is
/// exclusive: midnight after the last day).
fn valid_through(valid_until: OffsetDateTime, offset: UtcOffset) -> String {
    local_text(valid_until - time::Duration::minutes(1), offset)
}

fn sample_state(sample: &Sample) -> String {
    let mut state = match sample.typing {
        Some((abo, rhd)) => format!("typed {}", group_text(abo, rhd)),
        None => "received".to_owned(),
    };
    if let Some(screen) = &sample.screen {
        state.push_str(if screen.positive {
            ", screened: POSITIVE"
        } else {
            ", screened: negative"
        });
    }
    if !sample.identified.is_empty() {
        let anti: Vec<String> = sample
            .identified
            .iter()
            .map(|a| format!("anti-{}", a.as_str()))
            .collect();
        state.push_str(&format!(", {}", anti.join(", ")));
    }
    state
}

fn sample_row(records: &Records, sample: &Sample, offset: UtcOffset) -> SampleRow {
    let patient = records.transfusion.patients.get(&sample.patient);
    SampleRow {
        id: sample.id.clone(),
        patient: patient_name(records, &sample.patient),
        patient_path: patient.map(patient_path).unwrap_or_default(),
        state: match &sample.voided {
            Some(why) => format!("set aside: {why}"),
            None => sample_state(sample),
        },
        drawn_at: local_text(sample.drawn_at, offset),
        valid_until: valid_through(sample.valid_until, offset),
    }
}

fn issue_state(unit: &ServiceUnit, index: usize) -> String {
    let record = &unit.issues[index];
    match (&record.start, &record.fate) {
        (_, Some(Fate::Transfused { volume_ml, .. })) => format!("transfused ({volume_ml} mL)"),
        (_, Some(fate)) => fate.describe().to_owned(),
        (Some(_), None) => "transfusing".to_owned(),
        (None, None) => "issued".to_owned(),
    }
}

/// The units received at `hospital`'s service and not used up, with their retype and
/// reservation.
fn stock(
    records: &Records,
    hospital: &str,
    now: OffsetDateTime,
    offset: UtcOffset,
) -> Vec<StockRow> {
    records
        .components
        .values()
        .filter(|c| received_at_hospital(records, c) == Some(hospital))
        .filter_map(|c| {
            let unit = records.transfusion.units.get(&c.id);
            if unit.is_some_and(|u| u.is_gone() || u.open_issue().is_some()) {
                return None;
            }
            let red_cells = matches!(c.family, Family::RedCells | Family::WholeBlood);
            let retype = match unit.and_then(|u| u.retype.as_ref()) {
                Some(r) if r.matches => format!("retyped {}", r.abo.as_str()),
                Some(_) => "RETYPE DISAGREES: quarantine".to_owned(),
                None if red_cells => "awaiting retype".to_owned(),
                None => "no retype needed".to_owned(),
            };
            let reserved = unit
                .and_then(|u| u.reserved_for(now))
                .map(|x| {
                    format!(
                        "{} until {}",
                        patient_name(records, &x.patient),
                        local_text(x.reserved_until, offset)
                    )
                })
                .unwrap_or_default();
            Some(StockRow {
                component: c.id.clone(),
                name: c.name.clone(),
                group: confirmed_group(records, c)
                    .map(|(abo, rhd)| group_text(abo, rhd))
                    .unwrap_or_default(),
                expires_at: local_text(c.expires_at, offset),
                retype,
                reserved,
            })
        })
        .collect()
}

fn recent_issues(records: &Records, hospital: &str, offset: UtcOffset) -> Vec<IssueRow> {
    let mut rows: Vec<(OffsetDateTime, IssueRow)> = records
        .transfusion
        .units
        .values()
        .filter(|u| u.hospital == hospital)
        .flat_map(|u| {
            u.issues.iter().enumerate().map(move |(i, r)| {
                let patient = records.transfusion.patients.get(&r.issue.patient);
                let to = match &r.issue.remote {
                    Some(fridge) => format!("{} (remote fridge {fridge})", r.issue.to),
                    None => r.issue.to.clone(),
                };
                (
                    r.issue.at,
                    IssueRow {
                        component: u.component.clone(),
                        patient: patient_name(records, &r.issue.patient),
                        patient_path: patient.map(patient_path).unwrap_or_default(),
                        at: local_text(r.issue.at, offset),
                        to,
                        state: issue_state(u, i),
                    },
                )
            })
        })
        .collect();
    rows.sort_by_key(|row| std::cmp::Reverse(row.0));
    rows.into_iter().take(20).map(|(_, row)| row).collect()
}

fn emergencies(records: &Records, hospital: &str, offset: UtcOffset) -> Vec<EmergencyRow> {
    records
        .transfusion
        .emergencies
        .values()
        .filter(|e| e.hospital == hospital)
        .map(|e| emergency_row(records, e, offset))
        .collect()
}

/// An emergency release and what it still misses: the physician's signature, and the
/// crossmatch of each red-cell unit completed afterwards.
fn emergency_row(
    records: &Records,
    e: &hemaflow_domain::transfusion::emergency::EmergencyRelease,
    offset: UtcOffset,
) -> EmergencyRow {
    let mut missing = Vec::new();
    if e.signature.is_none() {
        missing.push(format!("the physician's signature ({})", e.physician));
    }
    for id in &e.components {
        let red_cells = records
            .components
            .get(id)
            .is_some_and(|c| matches!(c.family, Family::RedCells | Family::WholeBlood));
        let crossmatched = records
            .transfusion
            .units
            .get(id)
            .is_some_and(|u| u.crossmatches.iter().any(|x| x.patient == e.patient));
        if red_cells && !crossmatched {
            missing.push(format!("the crossmatch of {id}"));
        }
    }
    let patient = records.transfusion.patients.get(&e.patient);
    EmergencyRow {
        id: e.id.clone(),
        patient: patient_name(records, &e.patient),
        patient_path: patient.map(patient_path).unwrap_or_default(),
        physician: e.physician.clone(),
        reason: e.reason.clone(),
        units: e.components.join(", "),
        at: local_text(e.at, offset),
        missing,
        tally: e.protocol.as_ref().map_or_else(String::new, |p| {
            format!(
                "massive transfusion protocol: {} round(s), {} units, {}",
                p.rounds.len(),
                e.components.len(),
                if p.stood_down.is_some() {
                    "stood down"
                } else {
                    "ACTIVE"
                }
            )
        }),
        active_protocol: e.is_active_protocol(),
    }
}

#[derive(Template)]
#[template(path = "emergency_review.html")]
struct ReviewPage {
    page: Page,
    /// (hospital name, the release) for each release QA has not reviewed yet.
    open: Vec<(String, EmergencyRow)>,
    form_id: String,
}

/// `GET /quality/emergency-releases`: EMERG-RELEASE: every hospital's emergency releases and
/// massive transfusion protocols QA has not reviewed yet, with what each still misses.
pub async fn review_page(caller: Caller, State(app): State<App>) -> Result<Response, Problem> {
    caller.require(access::QUALITY)?;
    let open = app
        .ledger
        .read(|records| {
            records
                .transfusion
                .emergencies
                .values()
                .filter(|e| e.review.is_none())
                .map(|e| {
                    let hospital = records
                        .hospitals
                        .get(&e.hospital)
                        .map_or_else(|| e.hospital.clone(), |h| h.name.clone());
                    let offset = service_offset(records, &e.hospital);
                    (hospital, emergency_row(records, e, offset))
                })
                .collect()
        })
        .await?;
    let html = ReviewPage {
        page: Page::of(&caller, "/quality"),
        open,
        form_id: token::generate(),
    }
    .render()?;
    Ok(Html(html).into_response())
}

/// A form naming an emergency release or protocol and a note: QA's review, a protocol's
/// stand-down.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ReleaseNoteForm {
    pub command_id: Option<String>,
    pub release_id: String,
    pub note: String,
}

/// `POST /quality/emergency-releases/review`: QA closes a signed emergency release.
pub async fn review_emergency(
    caller: Caller,
    State(app): State<App>,
    headers: HeaderMap,
    Form(form): Form<ReleaseNoteForm>,
) -> Result<Response, Problem> {
    caller.require(access::QUALITY)?;
    let release_id = required(
        "the release",
        &form.release_id,
        "choose the release reviewed",
    )?;
    required("the review", &form.note, "say what the review found")?;
    let command = TransfusionCommand::ReviewEmergencyRelease {
        release_id: release_id.clone(),
        note: form.note.clone(),
    };
    give(
        &app,
        &caller,
        &headers,
        form.command_id.as_deref(),
        command,
        "/quality/emergency-releases",
        |_| format!("emergency release {release_id} reviewed"),
    )
    .await
}

#[derive(Template)]
#[template(path = "transfusion.html")]
struct BenchPage {
    page: Page,
    hospital: String,
    samples: Vec<SampleRow>,
    stock: Vec<StockRow>,
    issues: Vec<IssueRow>,
    emergencies: Vec<EmergencyRow>,
    /// Whether a massive transfusion protocol is running (its round forms are shown).
    active_protocols: bool,
    antigens: Vec<&'static str>,
    form_id: String,
}

/// `GET /transfusion`.
pub async fn page(caller: Caller, State(app): State<App>) -> Result<Response, Problem> {
    caller.require(access::TRANSFUSION)?;
    let hospital = own_hospital(&caller)?;
    let now = app.now();
    let (name, samples, stock, issues, emergencies) = app
        .ledger
        .read(|records| {
            let offset = service_offset(records, &hospital);
            let name = records
                .hospitals
                .get(&hospital)
                .map_or_else(|| hospital.clone(), |h| h.name.clone());
            let samples = records
                .transfusion
                .samples
                .values()
                .filter(|s| s.hospital == hospital && s.is_valid(now))
                .map(|s| sample_row(records, s, offset))
                .collect();
            (
                name,
                samples,
                stock(records, &hospital, now, offset),
                recent_issues(records, &hospital, offset),
                emergencies(records, &hospital, offset),
            )
        })
        .await?;
    let html = BenchPage {
        page: Page::of(&caller, "/transfusion"),
        hospital: name,
        samples,
        stock,
        issues,
        active_protocols: emergencies.iter().any(|e| e.active_protocol),
        emergencies,
        antigens: Antigen::ALL.iter().map(|a| a.as_str()).collect(),
        form_id: token::generate(),
    }
    .render()?;
    Ok(Html(html).into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct LookupQuery {
    pub wristband: String,
}

#[derive(Template)]
#[template(path = "transfusion_found.html")]
struct Found {
    name: String,
    path: String,
    mrn: String,
    group: String,
}

fn group_words(patient: &Patient) -> String {
    match patient.group() {
        Some((abo, rhd)) if patient.group_confirmed() => {
            format!("{}, confirmed", group_text(abo, rhd))
        }
        Some((abo, rhd)) => format!(
            "{}, NOT confirmed (one determination: type a second sample)",
            group_text(abo, rhd)
        ),
        None if patient.open_discrepancy().is_some() => {
            "UNKNOWN: a typing discrepancy is open".to_owned()
        }
        None => "unknown (no determination)".to_owned(),
    }
}

/// `GET /transfusion/lookup?wristband=...`: TX-PATIENT, the patient of the scan at the
/// caller's hospital (htmx: a line with the link), or their page.
pub async fn lookup(
    caller: Caller,
    State(app): State<App>,
    headers: HeaderMap,
    Query(query): Query<LookupQuery>,
) -> Result<Response, Problem> {
    caller.require(access::TRANSFUSION)?;
    let hospital = own_hospital(&caller)?;
    let found = app
        .ledger
        .read(|records| {
            by_wristband(records, &hospital, &query.wristband)
                .map(|p| Found {
                    name: p.name(),
                    path: patient_path(p),
                    mrn: p.mrn.clone(),
                    group: group_words(p),
                })
                .map_err(|r| Problem::refused(r.rule.as_str(), r.message))
        })
        .await??;
    if !is_htmx(&headers) {
        return Ok(Redirect::to(&found.path).into_response());
    }
    Ok(Html(found.render()?).into_response())
}

// ------------------------------------------------------------------ the patient's page

pub struct UnitStory {
    pub component: String,
    pub lines: Vec<String>,
}

pub struct PatientView {
    pub name: String,
    pub mrn: String,
    pub wristband: String,
    pub band_scan: String,
    pub sex: String,
    pub born: String,
    pub recent_history: String,
    pub group: String,
    pub determinations: Vec<String>,
    pub discrepancies: Vec<String>,
    pub antibodies: Vec<String>,
    pub requirements: Vec<String>,
    pub samples: Vec<SampleRow>,
    pub units: Vec<UnitStory>,
    pub reactions: Vec<String>,
    pub emergencies: Vec<String>,
    /// The sample units are chosen on, and the units in stock that suit the patient on it.
    pub chosen_on: String,
    pub suitable: Vec<String>,
}

fn patient_view(records: &Records, patient: &Patient, offset: UtcOffset) -> PatientView {
    let when = |at: OffsetDateTime| local_text(at, offset);
    let units = records
        .transfusion
        .units
        .values()
        .filter_map(|u| {
            let mut lines = Vec::new();
            for x in u.crossmatches.iter().filter(|x| x.patient == patient.id) {
                lines.push(format!(
                    "crossmatched ({}) on sample {} at {} by {}: {}{}",
                    x.method.describe(),
                    x.sample,
                    when(x.at),
                    x.by,
                    if x.compatible {
                        format!("compatible, reserved until {}", when(x.reserved_until))
                    } else {
                        "INCOMPATIBLE".to_owned()
                    },
                    if x.retrospective {
                        " (after an emergency release)"
                    } else {
                        ""
                    }
                ));
            }
            for r in u.issues.iter().filter(|r| r.issue.patient == patient.id) {
                let mut line = format!(
                    "issued at {} by {} to {}",
                    when(r.issue.at),
                    r.issue.by,
                    r.issue.to
                );
                if let Some(fridge) = &r.issue.remote {
                    line.push_str(&format!(" from remote fridge {fridge}"));
                }
                if let Some(release) = &r.issue.emergency {
                    line.push_str(&format!(" under emergency release {release}"));
                }
                for note in &r.issue.notes {
                    line.push_str(&format!("; note: {note}"));
                }
                lines.push(line);
                if let Some(start) = &r.start {
                    lines.push(format!(
                        "transfusion started at {} by {}{}: {}",
                        when(start.at),
                        start.by,
                        start
                            .second_checker
                            .as_ref()
                            .map(|c| format!(" (checked with {c})"))
                            .unwrap_or_default(),
                        vitals_text(&start.vitals)
                    ));
                }
                match &r.fate {
                    Some(Fate::Transfused {
                        volume_ml,
                        vitals,
                        at,
                        by,
                    }) => lines.push(format!(
                        "transfusion ended at {} by {by}: {volume_ml} mL, {}",
                        when(*at),
                        vitals_text(vitals)
                    )),
                    Some(Fate::Wasted { reason, at, by }) => {
                        lines.push(format!("wasted at {} by {by}: {reason}", when(*at)))
                    }
                    Some(Fate::ReturnedToStock {
                        minutes_out,
                        kept_at_c,
                        at,
                        by,
                    }) => lines.push(format!(
                        "returned to stock at {} by {by} ({minutes_out} min out, kept at {kept_at_c} °C)",
                        when(*at)
                    )),
                    None => {}
                }
            }
            (!lines.is_empty()).then(|| UnitStory {
                component: u.component.clone(),
                lines,
            })
        })
        .collect();
    PatientView {
        name: patient.name(),
        mrn: patient.mrn.clone(),
        wristband: patient.wristband.key(),
        band_scan: band_scan(&patient.wristband),
        sex: words(&patient.sex),
        born: patient
            .born
            .map(|d| d.to_string())
            .unwrap_or_else(|| "not known".to_owned()),
        recent_history: match patient.recent_history {
            RecentHistory::TransfusedOrPregnant => "transfused or pregnant in the last 3 months",
            RecentHistory::Neither => "neither transfused nor pregnant in the last 3 months",
            RecentHistory::Unknown => "transfusion or pregnancy in the last 3 months not known",
        }
        .to_owned(),
        group: group_words(patient),
        determinations: patient
            .determinations
            .iter()
            .map(|d| {
                format!(
                    "{} on {} at {} by {}",
                    group_text(d.abo, d.rhd),
                    d.sample.as_ref().map_or_else(
                        || "the historical record".to_owned(),
                        |s| format!("sample {s}")
                    ),
                    when(d.at),
                    d.by
                )
            })
            .collect(),
        discrepancies: patient
            .discrepancies
            .iter()
            .map(|d| {
                format!(
                    "sample {} typed {}, the record says {}: {}",
                    d.sample,
                    group_text(d.found.0, d.found.1),
                    group_text(d.expected.0, d.expected.1),
                    d.resolution
                        .clone()
                        .unwrap_or_else(|| "OPEN: no crossmatch or issue until resolved".to_owned())
                )
            })
            .collect(),
        antibodies: patient
            .antibodies
            .iter()
            .map(|a| {
                format!(
                    "anti-{}{} ({})",
                    a.antigen.as_str(),
                    if a.antigen.clinically_significant() {
                        ", clinically significant"
                    } else {
                        ""
                    },
                    a.sample.as_ref().map_or_else(
                        || "from an earlier record".to_owned(),
                        |s| format!("sample {s}")
                    )
                )
            })
            .collect(),
        requirements: patient
            .all_requirements()
            .iter()
            .map(Requirement::describe)
            .collect(),
        samples: records
            .transfusion
            .samples
            .values()
            .filter(|s| s.patient == patient.id)
            .map(|s| sample_row(records, s, offset))
            .collect(),
        units,
        reactions: records
            .transfusion
            .reactions
            .values()
            .filter(|r| r.patient == patient.id)
            .map(|r| {
                format!(
                    "{} to {} at {}: {}, {}, imputability {}: {}",
                    r.id,
                    r.component,
                    when(r.at),
                    r.category.describe(),
                    words(&r.severity),
                    words(&r.imputability),
                    r.description
                )
            })
            .collect(),
        emergencies: records
            .transfusion
            .emergencies
            .values()
            .filter(|e| e.patient == patient.id)
            .map(|e| {
                format!(
                    "{} at {} on the request of {}: {} ({}){}",
                    e.id,
                    when(e.at),
                    e.physician,
                    e.components.join(", "),
                    e.reason,
                    if e.signature.is_some() {
                        ", signed"
                    } else {
                        ", NOT signed yet"
                    }
                )
            })
            .collect(),
        chosen_on: String::new(),
        suitable: Vec::new(),
    }
}

pub fn vitals_text(v: &Vitals) -> String {
    format!(
        "{} °C, pulse {}, BP {}/{}",
        v.temperature_c, v.pulse, v.systolic, v.diastolic
    )
}

#[derive(Template)]
#[template(path = "transfusion_patient.html")]
struct PatientPage {
    page: Page,
    patient: PatientView,
    antigens: Vec<&'static str>,
    form_id: String,
}

/// `GET /transfusion/patients/{hospital}/{location}/{number}`: another hospital's patient is
/// not on record for the caller.
pub async fn patient_page(
    caller: Caller,
    State(app): State<App>,
    Path((hospital, location, number)): Path<(String, String, String)>,
) -> Result<Response, Problem> {
    caller.require(access::TRANSFUSION)?;
    let own = own_hospital(&caller)?;
    let now = app.now();
    let wristband = Wristband {
        location,
        number,
        born: None,
    };
    let id = patient_id(&hospital, &wristband);
    let view = app
        .ledger
        .read(|records| {
            let patient = records
                .transfusion
                .patients
                .get(&id)
                .filter(|p| p.hospital == own)?;
            let mut view = patient_view(records, patient, service_offset(records, &own));
            if let Some((sample, units)) =
                hemaflow_domain::transfusion::bench::suitable_units(records, patient, now)
            {
                view.chosen_on = sample.id.clone();
                view.suitable = units
                    .into_iter()
                    .map(|(c, notes)| {
                        let group = hemaflow_domain::release::gate::confirmed_group(records, c)
                            .map_or_else(String::new, |(abo, rhd)| group_text(abo, rhd));
                        let mut line = format!("{} · {} · {group}", c.id, c.name);
                        if !notes.is_empty() {
                            line.push_str(&format!(" ({})", notes.join("; ")));
                        }
                        line
                    })
                    .collect();
            }
            Some(view)
        })
        .await?
        .ok_or_else(|| {
            Problem::not_found(format!("no patient {} is on record", wristband.key()))
        })?;
    let html = PatientPage {
        page: Page::of(&caller, "/transfusion"),
        patient: view,
        antigens: Antigen::ALL.iter().map(|a| a.as_str()).collect(),
        form_id: token::generate(),
    }
    .render()?;
    Ok(Html(html).into_response())
}

// ------------------------------------------------------------------ the forms

fn optional<T: serde::de::DeserializeOwned>(
    field: &str,
    value: &str,
) -> Result<Option<T>, Problem> {
    if value.trim().is_empty() {
        return Ok(None);
    }
    parse_named(field, value).map(Some)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct RegisterForm {
    pub command_id: Option<String>,
    pub wristband: String,
    pub mrn: String,
    pub family_name: String,
    pub given_name: String,
    pub sex: String,
    /// `YYYY-MM-DD`, or empty when the wristband carries it or it is not known.
    pub born: String,
    pub recent_history: String,
    pub historical_abo: String,
    pub historical_rhd: String,
}

/// `POST /transfusion/patients`: TX-PATIENT.
pub async fn register(
    caller: Caller,
    State(app): State<App>,
    headers: HeaderMap,
    Form(form): Form<RegisterForm>,
) -> Result<Response, Problem> {
    caller.require(access::TRANSFUSION)?;
    let sex: PatientSex = parse_named(
        "sex",
        &required("sex", &form.sex, "choose female, male or unknown")?,
    )?;
    let recent_history: RecentHistory = parse_named(
        "transfused or pregnant in the last 3 months",
        &required(
            "transfused or pregnant in the last 3 months",
            &form.recent_history,
            "choose yes, no or not known",
        )?,
    )?;
    let born = match form.born.trim() {
        "" => None,
        text => Some(
            Date::parse(
                text,
                time::macros::format_description!("[year]-[month]-[day]"),
            )
            .map_err(|_| {
                Problem::input(format!(
                    "date of birth '{text}' is not a date such as 1970-05-01"
                ))
            })?,
        ),
    };
    let abo: Option<Abo> = optional("historical ABO", &form.historical_abo)?;
    let rhd: Option<RhD> = optional("historical RhD", &form.historical_rhd)?;
    let historical_group = match (abo, rhd) {
        (Some(abo), Some(rhd)) => Some(HistoricalGroup { abo, rhd }),
        (None, None) => None,
        _ => {
            return Err(Problem::input(
                "a historical group needs both its ABO and its RhD (or neither)",
            ));
        }
    };
    let command = TransfusionCommand::RegisterPatient {
        wristband: form.wristband.clone(),
        mrn: form.mrn.clone(),
        family_name: form.family_name.clone(),
        given_name: form.given_name.clone(),
        sex,
        born,
        recent_history,
        historical_group,
        known_antibodies: Vec::new(),
        requirements: Vec::new(),
    };
    let events = execute_form(
        &app,
        &caller,
        form.command_id.as_deref(),
        &Command::Client(ClientCommand::Transfusion(command)),
    )
    .await?;
    let registered = events.iter().find_map(|e| match e {
        Event::Transfusion(hemaflow_domain::TransfusionEvent::PatientRegistered { patient }) => {
            Some((
                patient.name(),
                patient_path(patient),
                patient.wristband.key(),
            ))
        }
        _ => None,
    });
    let Some((name, path, key)) = registered else {
        return Err(Problem::internal(
            "a patient was registered without its record",
        ));
    };
    if !is_htmx(&headers) {
        return Ok(Redirect::to(&path).into_response());
    }
    Ok(Html(format!(
        "<p class=\"accepted\" role=\"status\">{} registered (wristband {}): <a href=\"{}\">the patient's page</a></p>",
        crate::views::escape(&name),
        crate::views::escape(&key),
        crate::views::escape(&path)
    ))
    .into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ReceiveForm {
    pub command_id: Option<String>,
    pub sample_id: String,
    pub wristband: String,
    pub drawn_at: String,
    pub drawn_by: String,
}

/// `POST /transfusion/samples`: XM-SAMPLE, the tube's label scanned.
pub async fn receive_sample(
    caller: Caller,
    State(app): State<App>,
    headers: HeaderMap,
    Form(form): Form<ReceiveForm>,
) -> Result<Response, Problem> {
    caller.require(access::TRANSFUSION)?;
    let hospital = own_hospital(&caller)?;
    let offset = app.ledger.read(|r| service_offset(r, &hospital)).await?;
    let drawn_at = local_instant("drawn at", &form.drawn_at, offset)?;
    let sample_id = form.sample_id.trim().to_owned();
    let command = TransfusionCommand::ReceiveSample {
        sample_id: sample_id.clone(),
        wristband: form.wristband.clone(),
        drawn_at,
        drawn_by: form.drawn_by.clone(),
    };
    give(
        &app,
        &caller,
        &headers,
        form.command_id.as_deref(),
        command,
        "/transfusion",
        |events| {
            let until = events.iter().find_map(|e| match e {
                Event::Transfusion(hemaflow_domain::TransfusionEvent::SampleReceived {
                    sample,
                }) => Some(valid_through(sample.valid_until, offset)),
                _ => None,
            });
            format!(
                "sample {sample_id} received; valid through {}",
                until.unwrap_or_default()
            )
        },
    )
    .await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct TypeForm {
    pub command_id: Option<String>,
    pub sample_id: String,
    pub abo: String,
    pub rhd: String,
}

/// `POST /transfusion/samples/type`: TX-TYPE.
pub async fn type_sample(
    caller: Caller,
    State(app): State<App>,
    headers: HeaderMap,
    Form(form): Form<TypeForm>,
) -> Result<Response, Problem> {
    caller.require(access::TRANSFUSION)?;
    let abo: Abo = parse_named(
        "ABO",
        &required("ABO", &form.abo, "choose the ABO group read")?,
    )?;
    let rhd: RhD = parse_named(
        "RhD",
        &required("RhD", &form.rhd, "choose the RhD type read")?,
    )?;
    let sample_id = form.sample_id.trim().to_owned();
    let command = TransfusionCommand::TypeSample {
        sample_id: sample_id.clone(),
        abo,
        rhd,
    };
    give(&app, &caller, &headers, form.command_id.as_deref(), command, "/transfusion", |events| {
        let discrepant = events.iter().find_map(|e| match e {
            Event::Transfusion(hemaflow_domain::TransfusionEvent::SampleTyped {
                discrepant_with: Some((a, r)),
                ..
            }) => Some(group_text(*a, *r)),
            _ => None,
        });
        match discrepant {
            Some(expected) => format!(
                "sample {sample_id} typed {}: DISCREPANT with the record ({expected}); no crossmatch or issue until resolved",
                group_text(abo, rhd)
            ),
            None => format!("sample {sample_id} typed {}", group_text(abo, rhd)),
        }
    })
    .await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ScreenForm {
    pub command_id: Option<String>,
    pub sample_id: String,
    /// `negative` or `positive`.
    pub screen: String,
}

/// `POST /transfusion/samples/screen`: the antibody screen.
pub async fn screen_sample(
    caller: Caller,
    State(app): State<App>,
    headers: HeaderMap,
    Form(form): Form<ScreenForm>,
) -> Result<Response, Problem> {
    caller.require(access::TRANSFUSION)?;
    let positive = match form.screen.trim() {
        "positive" => true,
        "negative" => false,
        "" => {
            return Err(Problem::missing(
                "the screen",
                "choose negative or positive",
            ));
        }
        other => {
            return Err(Problem::input(format!(
                "the screen {other:?} is neither negative nor positive"
            )));
        }
    };
    let sample_id = form.sample_id.trim().to_owned();
    let command = TransfusionCommand::ScreenSample {
        sample_id: sample_id.clone(),
        positive,
    };
    give(
        &app,
        &caller,
        &headers,
        form.command_id.as_deref(),
        command,
        "/transfusion",
        |_| {
            format!(
                "sample {sample_id} screened {}",
                if positive {
                    "POSITIVE: identify the antibodies"
                } else {
                    "negative"
                }
            )
        },
    )
    .await
}

/// `POST /transfusion/samples/antibodies`: the antibodies identified (one checkbox each).
pub async fn identify_antibodies(
    caller: Caller,
    State(app): State<App>,
    headers: HeaderMap,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, Problem> {
    caller.require(access::TRANSFUSION)?;
    let value = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let antigens = fields
        .iter()
        .filter(|(k, _)| k == "antigen")
        .map(|(_, v)| parse_named::<Antigen>("antigen", v))
        .collect::<Result<Vec<_>, _>>()?;
    let sample_id = required("the sample ID", &value("sample_id"), "scan the sample's ID")?;
    if antigens.is_empty() {
        return Err(Problem::missing(
            "the antibodies",
            "tick each antibody identified",
        ));
    }
    let named: Vec<String> = antigens
        .iter()
        .map(|a| format!("anti-{}", a.as_str()))
        .collect();
    let command = TransfusionCommand::IdentifyAntibodies {
        sample_id: sample_id.clone(),
        antigens,
    };
    let form_id = value("command_id");
    give(
        &app,
        &caller,
        &headers,
        Some(&form_id),
        command,
        "/transfusion",
        |_| format!("sample {sample_id}: {} recorded for life", named.join(", ")),
    )
    .await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct UnitReceiptForm {
    pub command_id: Option<String>,
    pub din: String,
    pub product_code: String,
}

/// `POST /transfusion/receive`: DIST-RECEIPT at the transfusion service: the unit scanned in
/// from the shipment it travels in (found from the unit, so one scan pair is enough).
pub async fn receive_unit(
    caller: Caller,
    State(app): State<App>,
    headers: HeaderMap,
    Form(form): Form<UnitReceiptForm>,
) -> Result<Response, Problem> {
    caller.require(access::TRANSFUSION)?;
    let hospital = own_hospital(&caller)?;
    let component = unit_scan(&form.din, &form.product_code)?;
    let shipment = app
        .ledger
        .read({
            let component = component.clone();
            move |records| match records.components.get(&component).map(|c| &c.location) {
                Some(hemaflow_domain::distribution::sites::Location::Hospital {
                    hospital: to,
                    shipment: Some(shipment),
                }) if *to == hospital => Some(shipment.clone()),
                _ => None,
            }
        })
        .await
        .map_err(Problem::internal)?;
    let Some(shipment_id) = shipment else {
        return Err(Problem::refused(
            Rule::DistReceipt.as_str(),
            format!("{component} is not in a shipment to this hospital"),
        ));
    };
    let command = Command::Client(ClientCommand::Distribution(
        hemaflow_domain::DistributionCommand::ConfirmReceipt {
            shipment_id: shipment_id.clone(),
            component: component.clone(),
        },
    ));
    execute_form(&app, &caller, form.command_id.as_deref(), &command).await?;
    if !is_htmx(&headers) {
        return Ok(Redirect::to("/transfusion").into_response());
    }
    Ok(accepted(format!(
        "{component} received from shipment {shipment_id}; red cells are retyped next"
    )))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct AntigenForm {
    pub command_id: Option<String>,
    pub din: String,
    pub product_code: String,
    pub antigen: String,
    /// `negative` or `positive`.
    pub result: String,
}

/// `POST /transfusion/antigen`: TX-REQUIRE: a red-cell unit typed for an antigen, so that a
/// patient with the antibody can get it.
pub async fn type_antigen(
    caller: Caller,
    State(app): State<App>,
    headers: HeaderMap,
    Form(form): Form<AntigenForm>,
) -> Result<Response, Problem> {
    caller.require(access::TRANSFUSION)?;
    let component = unit_scan(&form.din, &form.product_code)?;
    let antigen: Antigen = parse_named(
        "the antigen",
        &required("the antigen", &form.antigen, "choose the antigen typed")?,
    )?;
    let negative =
        match required("the result", &form.result, "choose negative or positive")?.as_str() {
            "negative" => true,
            "positive" => false,
            other => {
                return Err(Problem::input(format!(
                    "the result '{other}' is not negative or positive"
                )));
            }
        };
    let command = TransfusionCommand::TypeUnitAntigen {
        component: component.clone(),
        antigen,
        negative,
    };
    let word = if negative { "negative" } else { "positive" };
    give(
        &app,
        &caller,
        &headers,
        form.command_id.as_deref(),
        command,
        "/transfusion",
        |_| format!("{component} typed {}-{word}", antigen.as_str()),
    )
    .await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DiscrepancyForm {
    pub command_id: Option<String>,
    pub sample_id: String,
    /// `sample`: the sample was wrong (wrong blood in tube) and is set aside; `record`: the
    /// earlier record was, and the sample's group stands.
    pub wrong: String,
    pub reason: String,
}

/// `POST /transfusion/discrepancy`: TX-TYPE: a typing discrepancy resolved after its
/// investigation.
pub async fn resolve_discrepancy(
    caller: Caller,
    State(app): State<App>,
    headers: HeaderMap,
    Form(form): Form<DiscrepancyForm>,
) -> Result<Response, Problem> {
    caller.require(access::TRANSFUSION)?;
    let sample_id = required(
        "the sample ID",
        &form.sample_id,
        "scan the discrepant sample",
    )?;
    let sample_wrong = match required(
        "what was wrong",
        &form.wrong,
        "choose the sample or the record",
    )?
    .as_str()
    {
        "sample" => true,
        "record" => false,
        other => {
            return Err(Problem::input(format!(
                "'{other}' is not the sample or the record"
            )));
        }
    };
    let reason = required(
        "the reason",
        &form.reason,
        "say what the investigation found",
    )?;
    let command = TransfusionCommand::ResolveDiscrepancy {
        sample_id: sample_id.clone(),
        sample_wrong,
        reason,
    };
    give(
        &app,
        &caller,
        &headers,
        form.command_id.as_deref(),
        command,
        "/transfusion",
        |_| {
            if sample_wrong {
                format!("sample {sample_id} set aside; draw a new sample")
            } else {
                format!("sample {sample_id}'s group stands; the earlier record is set aside")
            }
        },
    )
    .await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct RetypeForm {
    pub command_id: Option<String>,
    pub din: String,
    pub product_code: String,
    pub abo: String,
    pub rhd: String,
}

/// `POST /transfusion/retype`: XM-RETYPE.
pub async fn retype(
    caller: Caller,
    State(app): State<App>,
    headers: HeaderMap,
    Form(form): Form<RetypeForm>,
) -> Result<Response, Problem> {
    caller.require(access::TRANSFUSION)?;
    let component = unit_scan(&form.din, &form.product_code)?;
    let abo: Abo = parse_named(
        "ABO",
        &required("ABO", &form.abo, "choose the ABO group read")?,
    )?;
    let rhd: Option<RhD> = optional("RhD", &form.rhd)?;
    let command = TransfusionCommand::RetypeUnit {
        component: component.clone(),
        abo,
        rhd,
    };
    give(&app, &caller, &headers, form.command_id.as_deref(), command, "/transfusion", |events| {
        let matches = events.iter().any(|e| {
            matches!(e, Event::Transfusion(hemaflow_domain::TransfusionEvent::UnitRetyped { retype, .. }) if retype.matches)
        });
        if matches {
            format!("{component} retyped {}: agrees with its label", abo.as_str())
        } else {
            format!("{component} retyped {}: DISAGREES with its label; quarantine it and tell the blood centre", abo.as_str())
        }
    })
    .await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct CrossmatchForm {
    pub command_id: Option<String>,
    pub sample_id: String,
    pub wristband: String,
    pub din: String,
    pub product_code: String,
    pub method: String,
    /// `compatible` or `incompatible`: the serologic reading; none for electronic.
    pub reading: String,
    pub rhd_approved_by: String,
}

/// `POST /transfusion/crossmatch`: XM-ELECTRONIC by default, or serologic with its reading.
pub async fn crossmatch(
    caller: Caller,
    State(app): State<App>,
    headers: HeaderMap,
    Form(form): Form<CrossmatchForm>,
) -> Result<Response, Problem> {
    caller.require(access::TRANSFUSION)?;
    let hospital = own_hospital(&caller)?;
    let component = unit_scan(&form.din, &form.product_code)?;
    let method: XmMethod = match form.method.trim() {
        "" => XmMethod::Electronic,
        other => parse_named("method", other)?,
    };
    let compatible = match form.reading.trim() {
        "" => None,
        "compatible" => Some(true),
        "incompatible" => Some(false),
        other => {
            return Err(Problem::input(format!(
                "the reading {other:?} is neither compatible nor incompatible"
            )));
        }
    };
    let approved = form.rhd_approved_by.trim();
    let command = TransfusionCommand::CrossmatchUnit {
        sample_id: form.sample_id.trim().to_owned(),
        wristband: form.wristband.clone(),
        component: component.clone(),
        method,
        compatible,
        rhd_approved_by: (!approved.is_empty()).then(|| approved.to_owned()),
    };
    let events = execute_form(
        &app,
        &caller,
        form.command_id.as_deref(),
        &Command::Client(ClientCommand::Transfusion(command)),
    )
    .await?;
    if !is_htmx(&headers) {
        return Ok(Redirect::to("/transfusion").into_response());
    }
    let recorded = events.iter().find_map(|e| match e {
        Event::Transfusion(hemaflow_domain::TransfusionEvent::CrossmatchRecorded {
            crossmatch,
            ..
        }) => Some(crossmatch.clone()),
        _ => None,
    });
    let message = match recorded {
        Some(x) => {
            let (name, offset) = app
                .ledger
                .read(|r| (patient_name(r, &x.patient), service_offset(r, &hospital)))
                .await?;
            if x.compatible {
                format!(
                    "{component} crossmatched ({}) for {name}: compatible, reserved until {}",
                    x.method.describe(),
                    local_text(x.reserved_until, offset)
                )
            } else {
                format!(
                    "{component} crossmatched ({}) for {name}: INCOMPATIBLE; do not issue it",
                    x.method.describe()
                )
            }
        }
        None => format!("{component} crossmatched"),
    };
    Ok(accepted(message))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct IssueForm {
    pub command_id: Option<String>,
    pub din: String,
    pub product_code: String,
    pub wristband: String,
    pub to: String,
}

/// The answer to an issue: the unit, the patient, who takes it.
pub fn issued_text(records: &Records, events: &[Event]) -> String {
    events
        .iter()
        .find_map(|e| match e {
            Event::Transfusion(hemaflow_domain::TransfusionEvent::UnitIssued {
                component,
                issue,
                ..
            }) => {
                let mut text = format!(
                    "{component} issued to {} ({}); taken by {}",
                    patient_name(records, &issue.patient),
                    issue.patient,
                    issue.to
                );
                if let Some(fridge) = &issue.remote {
                    text.push_str(&format!(", from remote fridge {fridge}"));
                }
                for note in &issue.notes {
                    text.push_str(&format!("; note: {note}"));
                }
                Some(text)
            }
            _ => None,
        })
        .unwrap_or_else(|| "issued".to_owned())
}

/// `POST /transfusion/issue`: TX-UNIT, TX-WRONG-PATIENT: the unit scanned, then the wristband.
pub async fn issue(
    caller: Caller,
    State(app): State<App>,
    headers: HeaderMap,
    Form(form): Form<IssueForm>,
) -> Result<Response, Problem> {
    caller.require(access::TRANSFUSION)?;
    let component = unit_scan(&form.din, &form.product_code)?;
    let command = TransfusionCommand::IssueUnit {
        component,
        wristband: form.wristband.clone(),
        to: form.to.clone(),
        remote: None,
    };
    let events = execute_form(
        &app,
        &caller,
        form.command_id.as_deref(),
        &Command::Client(ClientCommand::Transfusion(command)),
    )
    .await?;
    if !is_htmx(&headers) {
        return Ok(Redirect::to("/transfusion").into_response());
    }
    let text = app.ledger.read(|r| issued_text(r, &events)).await?;
    Ok(accepted(text))
}

/// Units of a list of scans, one a line: a unit's ID, or its DIN then its product code.
fn units_of_lines(text: &str) -> Result<Vec<String>, Problem> {
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let mut units = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        if !lines[i].starts_with('=') {
            units.push(unit_scan(lines[i], "")?);
            i += 1;
            continue;
        }
        let Some(code) = lines.get(i + 1) else {
            return Err(Problem::input(format!(
                "scan {} has no product code after it: scan each unit's DIN, then its product code",
                i + 1
            )));
        };
        units.push(unit_scan(lines[i], code)?);
        i += 2;
    }
    if units.is_empty() {
        return Err(Problem::missing(
            "the units",
            "scan each unit: its DIN, then its product code",
        ));
    }
    Ok(units)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct EmergencyForm {
    pub command_id: Option<String>,
    pub wristband: String,
    pub units: String,
    pub physician: String,
    pub reason: String,
}

/// `POST /transfusion/emergency`: EMERG-RELEASE, uncrossmatched units on a physician's
/// request.
pub async fn release_emergency(
    caller: Caller,
    State(app): State<App>,
    headers: HeaderMap,
    Form(form): Form<EmergencyForm>,
) -> Result<Response, Problem> {
    caller.require(access::TRANSFUSION)?;
    let components = units_of_lines(&form.units)?;
    let release_id = new_id("ER");
    let command = TransfusionCommand::ReleaseEmergency {
        release_id: release_id.clone(),
        wristband: form.wristband.clone(),
        components: components.clone(),
        physician: form.physician.clone(),
        reason: form.reason.clone(),
    };
    give(&app, &caller, &headers, form.command_id.as_deref(), command, "/transfusion", |_| {
        format!(
            "emergency release {release_id}: {} issued uncrossmatched; record the physician's signature and crossmatch afterwards",
            components.join(", ")
        )
    })
    .await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct MtpForm {
    pub command_id: Option<String>,
    pub wristband: String,
    pub physician: String,
    pub reason: String,
}

/// `POST /transfusion/mtp`: TX-MTP: a massive transfusion protocol activated for a patient.
pub async fn activate_mtp(
    caller: Caller,
    State(app): State<App>,
    headers: HeaderMap,
    Form(form): Form<MtpForm>,
) -> Result<Response, Problem> {
    caller.require(access::TRANSFUSION)?;
    let wristband = required(
        "the wristband",
        &form.wristband,
        "scan the patient's wristband",
    )?;
    let release_id = new_id("MTP");
    let command = TransfusionCommand::ActivateMtp {
        release_id: release_id.clone(),
        wristband,
        physician: form.physician.clone(),
        reason: form.reason.clone(),
    };
    give(
        &app,
        &caller,
        &headers,
        form.command_id.as_deref(),
        command,
        "/transfusion",
        |_| format!("protocol {release_id} active: issue its rounds of the hospital's pack"),
    )
    .await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct RoundForm {
    pub command_id: Option<String>,
    pub release_id: String,
    pub units: String,
}

/// `POST /transfusion/mtp/round`: TX-MTP: one round of the pack, every unit scanned.
pub async fn issue_round(
    caller: Caller,
    State(app): State<App>,
    headers: HeaderMap,
    Form(form): Form<RoundForm>,
) -> Result<Response, Problem> {
    caller.require(access::TRANSFUSION)?;
    let release_id = required(
        "the protocol",
        &form.release_id,
        "choose the active protocol",
    )?;
    let components = units_of_lines(&form.units)?;
    let command = TransfusionCommand::IssueMtpRound {
        release_id: release_id.clone(),
        components: components.clone(),
    };
    give(
        &app,
        &caller,
        &headers,
        form.command_id.as_deref(),
        command,
        "/transfusion",
        |_| {
            format!(
                "protocol {release_id}: round issued uncrossmatched ({})",
                components.join(", ")
            )
        },
    )
    .await
}

/// `POST /transfusion/mtp/stand-down`: TX-MTP: the protocol ends.
pub async fn stand_down_mtp(
    caller: Caller,
    State(app): State<App>,
    headers: HeaderMap,
    Form(form): Form<ReleaseNoteForm>,
) -> Result<Response, Problem> {
    caller.require(access::TRANSFUSION)?;
    let release_id = required(
        "the protocol",
        &form.release_id,
        "choose the active protocol",
    )?;
    let note = required("the note", &form.note, "say why it is stood down")?;
    let command = TransfusionCommand::StandDownMtp {
        release_id: release_id.clone(),
        note,
    };
    give(
        &app,
        &caller,
        &headers,
        form.command_id.as_deref(),
        command,
        "/transfusion",
        |_| format!("protocol {release_id} stood down; record the physician's signature for QA"),
    )
    .await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct SignForm {
    pub command_id: Option<String>,
    pub release_id: String,
    pub physician: String,
    pub signed_at: String,
}

/// `POST /transfusion/emergency/sign`: the physician's signature, from the signed form.
pub async fn sign_emergency(
    caller: Caller,
    State(app): State<App>,
    headers: HeaderMap,
    Form(form): Form<SignForm>,
) -> Result<Response, Problem> {
    caller.require(access::TRANSFUSION)?;
    let hospital = own_hospital(&caller)?;
    let offset = app.ledger.read(|r| service_offset(r, &hospital)).await?;
    let signed_at = local_instant("signed at", &form.signed_at, offset)?;
    let release_id = form.release_id.trim().to_owned();
    let command = TransfusionCommand::SignEmergencyRelease {
        release_id: release_id.clone(),
        physician: form.physician.clone(),
        signed_at,
    };
    give(
        &app,
        &caller,
        &headers,
        form.command_id.as_deref(),
        command,
        "/transfusion",
        |_| format!("the physician's signature on {release_id} is recorded"),
    )
    .await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct RequirementForm {
    pub command_id: Option<String>,
    pub wristband: String,
    /// `irradiated`, `cmv_safe`, `washed` or `antigen_negative`.
    pub requirement: String,
    pub antigen: String,
    pub reason: String,
    /// The patient's page, to go back to.
    pub back: String,
}

/// `POST /transfusion/requirements`: TX-REQUIRE, for life.
pub async fn add_requirement(
    caller: Caller,
    State(app): State<App>,
    headers: HeaderMap,
    Form(form): Form<RequirementForm>,
) -> Result<Response, Problem> {
    caller.require(access::TRANSFUSION)?;
    let requirement = match form.requirement.trim() {
        "irradiated" => Requirement::Irradiated,
        "cmv_safe" => Requirement::CmvSafe,
        "washed" => Requirement::Washed,
        "antigen_negative" => Requirement::AntigenNegative(parse_named(
            "antigen",
            &required(
                "the antigen",
                &form.antigen,
                "choose the antigen the units must lack",
            )?,
        )?),
        "" => return Err(Problem::missing("the requirement", "choose one")),
        other => return Err(Problem::input(format!("{other:?} is not a requirement"))),
    };
    let back = if form.back.starts_with("/transfusion/patients/") {
        form.back.clone()
    } else {
        "/transfusion".to_owned()
    };
    let command = TransfusionCommand::AddRequirement {
        wristband: form.wristband.clone(),
        requirement,
        reason: form.reason.clone(),
    };
    give(
        &app,
        &caller,
        &headers,
        form.command_id.as_deref(),
        command,
        &back,
        |_| format!("{} units required for life", requirement.describe()),
    )
    .await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ReturnForm {
    pub command_id: Option<String>,
    pub din: String,
    pub product_code: String,
    pub minutes_out: String,
    pub kept_at_c: String,
}

/// `POST /transfusion/return`: TX-FATE, an issued unit not hung back in the service's stock.
pub async fn return_to_stock(
    caller: Caller,
    State(app): State<App>,
    headers: HeaderMap,
    Form(form): Form<ReturnForm>,
) -> Result<Response, Problem> {
    caller.require(access::TRANSFUSION)?;
    let component = unit_scan(&form.din, &form.product_code)?;
    let command = TransfusionCommand::ReturnToStock {
        component: component.clone(),
        minutes_out: whole("minutes out of controlled storage", &form.minutes_out)?,
        kept_at_c: celsius("the temperature it was kept at", &form.kept_at_c)?,
    };
    give(
        &app,
        &caller,
        &headers,
        form.command_id.as_deref(),
        command,
        "/transfusion",
        |_| format!("{component} returned to the service's stock"),
    )
    .await
}

/// `POST /transfusion/waste`: TX-FATE, a unit of the service's stock (or back from the
/// ward) wasted.
pub async fn waste(
    caller: Caller,
    State(app): State<App>,
    headers: HeaderMap,
    Form(form): Form<super::bedside::WasteForm>,
) -> Result<Response, Problem> {
    caller.require(access::TRANSFUSION)?;
    super::bedside::waste_unit(&app, &caller, &headers, form, "/transfusion").await
}
