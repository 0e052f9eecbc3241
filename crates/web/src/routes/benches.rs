//! The benches between the donor desk and the release queue: screening and collection, test
//! results, component production. Each form gives one command, so a refusal leaves nothing
//! half-saved; the answer (or the refusal, with its rule) shows next to the form.

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::response::{Html, IntoResponse, Response};
use hemaflow_domain::collection::Container;
use hemaflow_domain::eligibility::Procedure;
use hemaflow_domain::scenario::healthy_screening;
use hemaflow_domain::testing::{Abo, Reading, RhD, Stage};
use hemaflow_domain::{Command, Event, TestResultInput};
use serde::Deserialize;
use time::Duration;

use super::{command_id, execute};
use crate::App;
use crate::access;
use crate::auth::{Caller, token};
use crate::problem::Problem;
use crate::scan;
use crate::views::{Page, accepted};

fn number<T: std::str::FromStr>(field: &str, text: &str) -> Result<T, Problem> {
    text.trim()
        .parse()
        .map_err(|_| Problem::input(format!("{field}: {text:?} is not a number")))
}

fn optional<T: std::str::FromStr>(field: &str, text: &str) -> Result<Option<T>, Problem> {
    if text.trim().is_empty() {
        return Ok(None);
    }
    number(field, text).map(Some)
}

#[derive(Template)]
#[template(path = "collection.html")]
struct CollectionPage {
    page: Page,
    donor: String,
    command_id: String,
}

#[derive(Deserialize)]
pub struct DonorQuery {
    #[serde(default)]
    donor: String,
}

pub async fn collection(
    caller: Caller,
    Query(query): Query<DonorQuery>,
) -> Result<Response, Problem> {
    caller.require(access::COLLECTION)?;
    let page = CollectionPage {
        page: Page::of(&caller, "/collection"),
        donor: query.donor,
        command_id: token::generate(),
    };
    Ok(Html(page.render()?).into_response())
}

#[derive(Deserialize)]
pub struct ScreeningForm {
    donor_id: String,
    temperature_c: String,
    systolic: String,
    diastolic: String,
    pulse: String,
    weight_kg: String,
    #[serde(default)]
    hemoglobin_g_dl: String,
    command_id: Option<String>,
}

#[derive(Template)]
#[template(path = "screened.html")]
struct Screened {
    csrf: String,
    donor_id: String,
    screening_id: String,
    accepted: bool,
    findings: Vec<String>,
    command_id: String,
}

/// ELIG-*: a whole-blood screening; the findings that defer, or the collection form.
pub async fn post_screening(
    caller: Caller,
    State(app): State<App>,
    Form(form): Form<ScreeningForm>,
) -> Result<Response, Problem> {
    caller.require(access::COLLECTION)?;
    let mut input = healthy_screening();
    input.temperature_c = number("temperature", &form.temperature_c)?;
    input.systolic = number("systolic pressure", &form.systolic)?;
    input.diastolic = number("diastolic pressure", &form.diastolic)?;
    input.pulse = number("pulse", &form.pulse)?;
    input.weight_kg = number("weight", &form.weight_kg)?;
    input.height_cm = None;
    input.hemoglobin_g_dl = optional("hemoglobin", &form.hemoglobin_g_dl)?;
    input.platelet_count = None;
    let command = Command::RecordScreening {
        donor_id: form.donor_id.trim().to_owned(),
        procedure: Procedure::WholeBlood,
        input,
    };
    let id = command_id(form.command_id.as_deref())?;
    let events = execute(&app, &caller, &id, &command).await?;
    let Some(screening) = events.iter().find_map(|e| match e {
        Event::ScreeningRecorded { screening } => Some(screening),
        _ => None,
    }) else {
        return Err(Problem::internal("a screening without its record"));
    };
    let findings = screening
        .findings
        .iter()
        .map(|f| format!("{} ({})", f.message, f.rule))
        .collect();
    let html = Screened {
        csrf: caller.csrf.clone(),
        donor_id: form.donor_id.trim().to_owned(),
        screening_id: screening.id.clone(),
        accepted: screening.accepted,
        findings,
        command_id: token::generate(),
    }
    .render()?;
    Ok(Html(html).into_response())
}

#[derive(Deserialize)]
pub struct CollectForm {
    donor_id: String,
    screening_id: String,
    din: String,
    volume_ml: String,
    #[serde(default)]
    minutes: String,
    #[serde(default)]
    lot: String,
    command_id: Option<String>,
}

/// COLL-*: the DIN scanned from the pre-printed label set, the volume, the bag lot.
pub async fn post_collect(
    caller: Caller,
    State(app): State<App>,
    Form(form): Form<CollectForm>,
) -> Result<Response, Problem> {
    caller.require(access::COLLECTION)?;
    let din = scan::din(&form.din)?;
    let volume_ml = number("volume", &form.volume_ml)?;
    let minutes: i64 = optional("minutes", &form.minutes)?.unwrap_or(10);
    let now = app.now();
    let command = Command::CollectDonation {
        din: din.clone(),
        donor_id: form.donor_id.trim().to_owned(),
        screening_id: form.screening_id.trim().to_owned(),
        container: Container {
            catalogue_number: "BAG-450-AS1".to_owned(),
            lot: Some(form.lot.trim().to_owned())
                .filter(|l| !l.is_empty())
                .unwrap_or_else(|| "unrecorded".to_owned()),
        },
        started_at: now - Duration::minutes(minutes.clamp(1, 180)),
        ended_at: now,
        volume_ml,
        red_cell_loss_ml: 0,
        phlebotomist: caller.user.id.clone(),
        adverse_reactions: Vec::new(),
        collection_state: "TX".to_owned(),
    };
    let id = command_id(form.command_id.as_deref())?;
    execute(&app, &caller, &id, &command).await?;
    Ok(accepted(format!(
        "Donation {din} collected ({volume_ml} mL); the tests are ordered."
    )))
}

#[derive(Template)]
#[template(path = "testing.html")]
struct TestingPage {
    page: Page,
}

pub async fn testing(caller: Caller) -> Result<Response, Problem> {
    caller.require(access::TESTING)?;
    Ok(Html(
        TestingPage {
            page: Page::of(&caller, "/testing"),
        }
        .render()?,
    )
    .into_response())
}

#[derive(Template)]
#[template(path = "testing_form.html")]
struct TestingForm {
    csrf: String,
    din: String,
    tests: Vec<(String, String)>,
    command_id: String,
}

#[derive(Deserialize)]
pub struct ScanQuery {
    scan: String,
}

/// The ordered markers of a scanned DIN, each with where it stands.
pub async fn testing_lookup(
    caller: Caller,
    State(app): State<App>,
    Query(query): Query<ScanQuery>,
) -> Result<Response, Problem> {
    caller.require(access::TESTING)?;
    let din = scan::din(&query.scan)?;
    let tests = app
        .ledger
        .read(|state| {
            state.donations.get(&din).map(|d| {
                d.tests
                    .iter()
                    .map(|(test, status)| (test.clone(), status.describe().to_owned()))
                    .collect::<Vec<_>>()
            })
        })
        .await?
        .ok_or_else(|| Problem::not_found(format!("no donation {din} is on record")))?;
    let html = TestingForm {
        csrf: caller.csrf.clone(),
        din,
        tests,
        command_id: token::generate(),
    }
    .render()?;
    Ok(Html(html).into_response())
}

/// TEST-*: the initial readings of the markers (one instrument-like batch, accepted whole or
/// refused whole), or one ABO/RhD determination, or the antibody screen.
pub async fn post_results(
    caller: Caller,
    State(app): State<App>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, Problem> {
    caller.require(access::TESTING)?;
    let field = |name: &str| {
        fields
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
            .unwrap_or_default()
    };
    let din = scan::din_in_path(field("din"))?;
    let id = command_id(Some(field("command_id")))?;
    let command = match field("what") {
        "markers" => {
            let results: Vec<TestResultInput> = fields
                .iter()
                .filter_map(|(key, value)| Some((key.strip_prefix("reading:")?, value)))
                .map(|(test, value)| TestResultInput {
                    din: din.clone(),
                    test: test.to_owned(),
                    stage: Stage::Initial,
                    reading: if value == "reactive" {
                        Reading::Reactive
                    } else {
                        Reading::Nonreactive
                    },
                })
                .collect();
            if results.is_empty() {
                return Err(Problem::input("no reading was given"));
            }
            Command::RecordTestResults { results }
        }
        "group" => {
            let (abo, rhd) = if field("group_scan").trim().is_empty() {
                let abo: Abo = serde_json::from_value(serde_json::json!(field("abo")))
                    .map_err(|_| Problem::input("choose the ABO group"))?;
                let rhd: RhD = serde_json::from_value(serde_json::json!(field("rhd")))
                    .map_err(|_| Problem::input("choose the RhD type"))?;
                (abo, rhd)
            } else {
                scan::blood_group(field("group_scan"))?
            };
            Command::RecordBloodGroup {
                din: din.clone(),
                abo,
                rhd,
            }
        }
        "antibody" => Command::RecordAntibodyScreen {
            din: din.clone(),
            positive: field("antibody") == "positive",
        },
        other => return Err(Problem::input(format!("unknown result form {other:?}"))),
    };
    let what = command.describe();
    execute(&app, &caller, &id, &command).await?;
    Ok(accepted(format!("{din}: recorded ({what}).")))
}

#[derive(Deserialize)]
pub struct ProduceForm {
    din: String,
    recipe: String,
    command_id: Option<String>,
}

/// COMP-PROC: the DIN scanned from the bag and the recipe; the units made.
pub async fn post_produce(
    caller: Caller,
    State(app): State<App>,
    Form(form): Form<ProduceForm>,
) -> Result<Response, Problem> {
    caller.require(access::PRODUCTION)?;
    let din = scan::din(&form.din)?;
    let command = Command::ProduceComponents {
        din: din.clone(),
        recipe: form.recipe.trim().to_owned(),
    };
    let id = command_id(form.command_id.as_deref())?;
    let events = execute(&app, &caller, &id, &command).await?;
    let made: Vec<String> = events
        .iter()
        .filter_map(|e| match e {
            Event::ComponentProduced { component } => {
                Some(format!("{} {}", component.product_code, component.name))
            }
            _ => None,
        })
        .collect();
    Ok(accepted(format!(
        "{din}: produced {}; each is quarantined until released.",
        made.join(", ")
    )))
}

/// An instrument's results as CSV: a header `din,test,stage,reading`, then one result per line
/// (`W123426000001,hbsag,initial,nonreactive`; the DIN as on record or scanned). Every line is
/// checked first; the batch is then given as one command, accepted whole or refused whole.
pub fn parse_results_csv(text: &str) -> Result<Vec<TestResultInput>, Problem> {
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty());
    let header = lines
        .next()
        .map(|(_, l)| l.trim().to_lowercase().replace(' ', ""));
    if header.as_deref() != Some("din,test,stage,reading") {
        return Err(Problem::input(
            "line 1: the header must be din,test,stage,reading",
        ));
    }
    let mut results = Vec::new();
    for (index, line) in lines {
        let number = index + 1;
        let cells: Vec<&str> = line.split(',').map(str::trim).collect();
        let [din, test, stage, reading] = cells[..] else {
            return Err(Problem::input(format!(
                "line {number}: 4 values expected, found {}",
                cells.len()
            )));
        };
        let din = scan::din_in_path(din)
            .map_err(|p| Problem::input(format!("line {number}: {}", p.detail)))?;
        let stage: Stage = serde_json::from_value(serde_json::json!(stage.to_lowercase()))
            .map_err(|_| {
                Problem::input(format!(
                    "line {number}: stage {stage:?} is not initial, repeat, minipool or individual"
                ))
            })?;
        let reading: Reading = serde_json::from_value(serde_json::json!(reading.to_lowercase()))
            .map_err(|_| {
                Problem::input(format!(
                    "line {number}: reading {reading:?} is not reactive or nonreactive"
                ))
            })?;
        if test.is_empty() {
            return Err(Problem::input(format!(
                "line {number}: the test is missing"
            )));
        }
        results.push(TestResultInput {
            din,
            test: test.to_owned(),
            stage,
            reading,
        });
    }
    if results.is_empty() {
        return Err(Problem::input("the file has no result lines"));
    }
    Ok(results)
}

#[derive(Deserialize)]
pub struct CsvForm {
    #[serde(default)]
    csv: String,
    command_id: Option<String>,
}

pub async fn post_results_csv(
    caller: Caller,
    State(app): State<App>,
    Form(form): Form<CsvForm>,
) -> Result<Response, Problem> {
    caller.require(access::TESTING)?;
    let results = parse_results_csv(&form.csv)?;
    let count = results.len();
    let id = command_id(form.command_id.as_deref())?;
    execute(&app, &caller, &id, &Command::RecordTestResults { results }).await?;
    Ok(accepted(format!("{count} results recorded as one batch.")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_instrument_csv_is_read_line_by_line_and_a_bad_line_is_named() {
        let csv = "din,test,stage,reading\nW123426000001,hbsag,initial,nonreactive\n\n=W12342600000100,hiv_nat,Initial,Reactive\n";
        let results = parse_results_csv(csv).map_err(|p| p.detail).expect("valid");
        assert_eq!(results.len(), 2);
        assert_eq!(results[1].din, "W123426000001");
        assert_eq!(results[1].reading, Reading::Reactive);
        let bad =
            parse_results_csv("din,test,stage,reading\nW123426000001,hbsag,first,nonreactive")
                .expect_err("a bad stage");
        assert!(bad.detail.starts_with("line 2:"), "{}", bad.detail);
        assert!(parse_results_csv("w,t\n").is_err());
        assert!(parse_results_csv("din,test,stage,reading\n").is_err());
    }
}
