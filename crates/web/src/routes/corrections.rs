//! Corrections (CORR-ENTRY, CORR-REDECIDE, CORR-SAFE): the screener corrects a screening's
//! measurement, the technologist a marker's results, each under their signature, with the
//! record as it stands beside the form and every correction already made (the value replaced
//! and the new one) below it. The domain decides again what the old value decided; the answer
//! says what that did (a deferral withdrawn or placed, units held, a deviation opened).

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::response::{Html, IntoResponse, Response};
use hemaflow_domain::donor_centre::correction::Measurement;
use hemaflow_domain::lab::correction::StageReading;
use hemaflow_domain::lab::testing::{MarkerStatus, Reading, Stage};
use hemaflow_domain::{ClientCommand, DonorCentreCommand, Event, LabCommand, State as Records};
use serde::Deserialize;

use super::units::time_text;
use super::{Signature, command_id, execute_signed};
use crate::App;
use crate::access;
use crate::auth::{Caller, token};
use crate::problem::Problem;
use crate::views::{Page, accepted};

/// How many result rows the result form offers (a serology marker's initial, two repeats and
/// a supplemental).
const RESULT_ROWS: usize = 4;

/// One correction on record, in words.
pub struct CorrectionLine {
    pub at: String,
    pub record: String,
    pub what: String,
    pub was: String,
    pub now: String,
    pub reason: String,
    pub by: String,
}

/// The screening the page was opened on, as it stands.
pub struct ScreeningView {
    pub id: String,
    pub donor_id: String,
    pub at: String,
    pub values: Vec<(String, String)>,
    pub findings: Vec<String>,
    pub accepted: bool,
}

#[derive(Template)]
#[template(path = "corrections.html")]
struct CorrectionsPage {
    page: Page,
    screening: Option<ScreeningView>,
    screening_id: String,
    din: String,
    measurements: Vec<(String, &'static str)>,
    tests: Vec<(String, String)>,
    rows: Vec<usize>,
    can_screen: bool,
    can_test: bool,
    lines: Vec<CorrectionLine>,
    form_id: String,
}

#[derive(Deserialize)]
pub struct Opened {
    #[serde(default)]
    screening: String,
    #[serde(default)]
    din: String,
}

fn key_of<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn value_text(value: Option<f64>) -> String {
    value.map_or_else(|| "not measured".to_owned(), |v| v.to_string())
}

fn screening_view(records: &Records, id: &str) -> Option<ScreeningView> {
    let s = records.screenings.get(id)?;
    Some(ScreeningView {
        id: s.id.clone(),
        donor_id: s.donor_id.clone(),
        at: time_text(s.at),
        values: Measurement::ALL
            .iter()
            .map(|m| (m.label().to_owned(), value_text(m.read(&s.input))))
            .collect(),
        findings: s
            .findings
            .iter()
            .map(|f| format!("{} ({})", f.message, f.rule))
            .collect(),
        accepted: s.accepted,
    })
}

fn marker_text(status: &MarkerStatus) -> String {
    status.describe().to_owned()
}

/// Every correction on record, newest first.
fn correction_lines(records: &Records) -> Vec<CorrectionLine> {
    let mut lines: Vec<(time::OffsetDateTime, CorrectionLine)> = Vec::new();
    for s in records.screenings.values() {
        for c in &s.corrections {
            lines.push((
                c.at,
                CorrectionLine {
                    at: time_text(c.at),
                    record: format!("screening {} (donor {})", s.id, s.donor_id),
                    what: c.measurement.label().to_owned(),
                    was: value_text(c.was),
                    now: c.now.to_string(),
                    reason: c.reason.clone(),
                    by: c.by.clone(),
                },
            ));
        }
    }
    for d in records.donations.values() {
        for c in &d.corrections {
            lines.push((
                c.at,
                CorrectionLine {
                    at: time_text(c.at),
                    record: format!("donation {}", d.din),
                    what: c.test.clone(),
                    was: marker_text(&c.was),
                    now: marker_text(&c.now),
                    reason: c.reason.clone(),
                    by: c.by.clone(),
                },
            ));
        }
    }
    lines.sort_by_key(|line| std::cmp::Reverse(line.0));
    lines.into_iter().map(|(_, line)| line).collect()
}

/// `GET /corrections`: the forms, the screening named by `?screening=`, every correction.
pub async fn page(
    caller: Caller,
    State(app): State<App>,
    Query(opened): Query<Opened>,
) -> Result<Response, Problem> {
    caller.require(access::CORRECTIONS)?;
    let screening_id = opened.screening.trim().to_owned();
    let page = app
        .ledger
        .read(|records| CorrectionsPage {
            page: Page::of(&caller, "/corrections"),
            screening: screening_view(records, &screening_id),
            screening_id: screening_id.clone(),
            din: opened.din.trim().to_owned(),
            measurements: Measurement::ALL
                .iter()
                .map(|m| (key_of(m), m.label()))
                .collect(),
            tests: records
                .config
                .tests
                .iter()
                .map(|t| (t.code.clone(), t.name.clone()))
                .collect(),
            rows: (1..=RESULT_ROWS).collect(),
            can_screen: access::COLLECTION.contains(&caller.user.role),
            can_test: access::TESTING.contains(&caller.user.role),
            lines: correction_lines(records),
            form_id: token::generate(),
        })
        .await?;
    Ok(Html(page.render()?).into_response())
}

#[derive(Deserialize)]
pub struct ScreeningForm {
    screening_id: String,
    measurement: String,
    value: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    password: String,
    /// The signer's user ID: asked at the first signature of a session (P11-SIGN).
    #[serde(default)]
    signature_user_id: Option<String>,
    command_id: Option<String>,
}

fn parse_key<T: serde::de::DeserializeOwned>(what: &str, key: &str) -> Result<T, Problem> {
    serde_json::from_value(serde_json::Value::String(key.trim().to_owned()))
        .map_err(|_| Problem::input(format!("{key:?} is not a {what}")))
}

/// What a correction's decision did besides the correction, in words.
fn consequences(events: &[Event]) -> Vec<String> {
    use hemaflow_domain::{DonorCentreEvent as D, LookbackEvent as L, ReleaseEvent as R};
    events
        .iter()
        .filter_map(|e| match e {
            Event::DonorCentre(D::DeferralWithdrawn { deferral_id, .. }) => {
                Some(format!("deferral {deferral_id} withdrawn"))
            }
            Event::DonorCentre(D::DonorDeferred { deferral }) => Some(format!(
                "donor deferred: {} ({})",
                deferral.description, deferral.id
            )),
            Event::Release(R::HoldPlaced { hold }) => Some(format!("hold {} placed", hold.id)),
            Event::Release(R::ComponentQuarantined { id, .. }) => Some(format!("{id} quarantined")),
            Event::Release(R::ComponentMarkedUnsafe { id, .. }) => {
                Some(format!("{id} marked unsafe"))
            }
            Event::Lookback(L::DeviationOpened { deviation }) => {
                Some(format!("deviation {} opened", deviation.id))
            }
            Event::Lookback(L::LookbackStarted { lookback }) => {
                Some(format!("lookback {} started", lookback.id))
            }
            _ => None,
        })
        .collect()
}

fn answer(what: &str, events: &[Event]) -> Response {
    let more = consequences(events);
    if more.is_empty() {
        accepted(format!("{what} corrected; nothing else depended on it."))
    } else {
        accepted(format!("{what} corrected; {}.", more.join("; ")))
    }
}

/// `POST /corrections/screening`: CORR-ENTRY on a screening, signed.
pub async fn post_screening(
    caller: Caller,
    State(app): State<App>,
    Form(form): Form<ScreeningForm>,
) -> Result<Response, Problem> {
    caller.require(access::COLLECTION)?;
    let measurement: Measurement = parse_key("measurement", &form.measurement)?;
    let value: f64 = form.value.trim().parse().map_err(|_| {
        Problem::input(format!(
            "the new {} {:?} is not a number",
            measurement.label(),
            form.value
        ))
    })?;
    let id = command_id(form.command_id.as_deref())?;
    let screening_id = form.screening_id.trim().to_owned();
    let command = ClientCommand::DonorCentre(DonorCentreCommand::CorrectScreening {
        screening_id: screening_id.clone(),
        measurement,
        value,
        reason: form.reason.trim().to_owned(),
    });
    let events = execute_signed(
        &app,
        &caller,
        &id,
        Signature::new(form.signature_user_id.as_deref(), &form.password),
        command,
        &[],
    )
    .await?;
    Ok(answer(
        &format!("The {} of screening {screening_id}", measurement.label()),
        &events,
    ))
}

/// `POST /corrections/result`: CORR-ENTRY on a marker's results, signed. The rows are
/// `stage_N` / `reading_N`; a row with neither is skipped, and no row at all withdraws the
/// marker's results (keyed into the wrong donation).
pub async fn post_result(
    caller: Caller,
    State(app): State<App>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, Problem> {
    caller.require(access::TESTING)?;
    let field = |name: &str| super::form_field(&fields, name).to_owned();
    let mut results = Vec::new();
    for row in 1..=RESULT_ROWS {
        let (stage, reading) = (
            field(&format!("stage_{row}")),
            field(&format!("reading_{row}")),
        );
        match (stage.is_empty(), reading.is_empty()) {
            (true, true) => continue,
            (false, false) => results.push(StageReading {
                stage: parse_key::<Stage>("stage", &stage)?,
                reading: parse_key::<Reading>("reading", &reading)?,
            }),
            _ => {
                return Err(Problem::input(format!(
                    "result {row} needs both its stage and its reading"
                )));
            }
        }
    }
    let id = command_id(Some(field("command_id").as_str()).filter(|s| !s.is_empty()))?;
    let (din, test) = (field("din"), field("test"));
    let command = ClientCommand::Lab(LabCommand::CorrectTestResult {
        din: din.clone(),
        test: test.clone(),
        results,
        reason: field("reason"),
    });
    let (user_id, password) = (field("signature_user_id"), field("password"));
    let signature = Signature::new(Some(user_id.as_str()), &password);
    let events = execute_signed(&app, &caller, &id, signature, command, &[]).await?;
    Ok(answer(&format!("{test} of {din}"), &events))
}
