//! The benches between the donor desk and the release queue: screening and collection, test
//! results, component production. Each form gives one command, so a refusal leaves nothing
//! half-saved; the answer (or the refusal, with its rule) shows next to the form.

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::response::{Html, IntoResponse, Response};
use hemaflow_domain::donor_centre::collection::Container;
use hemaflow_domain::donor_centre::eligibility::{Procedure, QuestionnaireFinding, ScreeningInput};
use hemaflow_domain::lab::testing::{Abo, Reading, RhD, Stage};
use hemaflow_domain::{
    ClientCommand, DonorCentreCommand, DonorCentreEvent, LabCommand, ManufacturingCommand,
    ManufacturingEvent,
};
use hemaflow_domain::{Command, Event, TestResultInput};
use serde::Deserialize;
use std::collections::BTreeMap;
use time::Duration;

use super::{command_id, execute};
use crate::App;
use crate::access;
use crate::auth::{Caller, token};
use crate::problem::Problem;
use crate::scan;
use crate::views::{Page, accepted};

/// A measurement as entered; an empty field is missing (never a default).
fn number<T: std::str::FromStr>(field: &str, text: &str) -> Result<T, Problem> {
    if text.trim().is_empty() {
        return Err(Problem::missing(field, "measure it and enter the value"));
    }
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
    /// The configured deferral reasons a questionnaire answer may point at (code, words).
    deferral_reasons: Vec<(String, String)>,
}

#[derive(Deserialize)]
pub struct DonorQuery {
    #[serde(default)]
    donor: String,
}

pub async fn collection(
    caller: Caller,
    State(app): State<App>,
    Query(query): Query<DonorQuery>,
) -> Result<Response, Problem> {
    caller.require(access::COLLECTION)?;
    let deferral_reasons = app
        .ledger
        .read(|state| {
            state
                .config
                .deferral_reasons
                .iter()
                .map(|(code, reason)| (code.clone(), reason.description.clone()))
                .collect()
        })
        .await?;
    let page = CollectionPage {
        page: Page::of(&caller, "/collection"),
        donor: query.donor,
        command_id: token::generate(),
        deferral_reasons,
    };
    Ok(Html(page.render()?).into_response())
}

/// The whole-blood screening form: each field is one the collector measured or answered.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ScreeningForm {
    donor_id: String,
    temperature_c: String,
    systolic: String,
    diastolic: String,
    pulse: String,
    /// `regular` or `irregular`, as felt.
    pulse_rhythm: String,
    weight_kg: String,
    hemoglobin_g_dl: String,
    hematocrit_pct: String,
    /// `yes`: the collector reviewed the donor history questionnaire and recorded every
    /// deferring answer among the findings. Until Hemaflow holds the whole questionnaire,
    /// no screening is recorded without this confirmation.
    questionnaire_reviewed: String,
    finding_reason_1: String,
    finding_since_1: String,
    finding_reason_2: String,
    finding_since_2: String,
    finding_reason_3: String,
    finding_since_3: String,
    command_id: Option<String>,
}

impl ScreeningForm {
    /// The screening as the form recorded it, field by field: what the form does not ask is
    /// left out (`None`, empty), never filled in.
    fn input(&self) -> Result<ScreeningInput, Problem> {
        let pulse_regular = match self.pulse_rhythm.trim() {
            "regular" => true,
            "irregular" => false,
            "" => {
                return Err(Problem::missing(
                    "the pulse rhythm",
                    "choose regular or irregular as felt",
                ));
            }
            other => {
                return Err(Problem::input(format!(
                    "the pulse rhythm {other:?} is neither regular nor irregular"
                )));
            }
        };
        let input = ScreeningInput {
            answers: BTreeMap::new(),
            questionnaire: self.questionnaire()?,
            temperature_c: number("temperature", &self.temperature_c)?,
            systolic: number("systolic pressure", &self.systolic)?,
            diastolic: number("diastolic pressure", &self.diastolic)?,
            pulse: number("pulse", &self.pulse)?,
            pulse_regular,
            weight_kg: number("weight", &self.weight_kg)?,
            height_cm: None,
            hemoglobin_g_dl: optional("hemoglobin", &self.hemoglobin_g_dl)?,
            hematocrit_pct: optional("hematocrit", &self.hematocrit_pct)?,
            platelet_count: None,
            days_since_aspirin: None,
            days_since_clopidogrel: None,
            physician_approvals: Vec::new(),
            healthy_athlete: false,
        };
        Ok(input)
    }

    /// The deferring answers of the questionnaire, after the collector's confirmation that it
    /// was reviewed; a date without its finding is refused rather than dropped.
    fn questionnaire(&self) -> Result<Vec<QuestionnaireFinding>, Problem> {
        if self.questionnaire_reviewed.trim() != "yes" {
            return Err(Problem::missing(
                "the questionnaire review",
                "review the donor history questionnaire with the donor, record each deferring answer and confirm",
            ));
        }
        let rows = [
            (&self.finding_reason_1, &self.finding_since_1),
            (&self.finding_reason_2, &self.finding_since_2),
            (&self.finding_reason_3, &self.finding_since_3),
        ];
        let mut findings = Vec::new();
        for (row, (reason, since)) in rows.into_iter().enumerate() {
            let row = row + 1;
            let since = since.trim();
            if reason.trim().is_empty() {
                if !since.is_empty() {
                    return Err(Problem::missing(
                        &format!("deferring finding {row}"),
                        "choose the finding its date belongs to, or clear the date",
                    ));
                }
                continue;
            }
            let since = if since.is_empty() {
                None
            } else {
                let format = time::macros::format_description!("[year]-[month]-[day]");
                Some(time::Date::parse(since, &format).map_err(|_| {
                    Problem::input(format!(
                        "deferring finding {row}: the date {since:?} must be YYYY-MM-DD"
                    ))
                })?)
            };
            findings.push(QuestionnaireFinding {
                reason: reason.trim().to_owned(),
                since,
            });
        }
        Ok(findings)
    }
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
    let input = form.input()?;
    let command = Command::Client(ClientCommand::DonorCentre(
        DonorCentreCommand::RecordScreening {
            donor_id: form.donor_id.trim().to_owned(),
            procedure: Procedure::WholeBlood,
            input,
        },
    ));
    let id = command_id(form.command_id.as_deref())?;
    let events = execute(&app, &caller, &id, &command).await?;
    let Some(screening) = events.iter().find_map(|e| match e {
        Event::DonorCentre(DonorCentreEvent::ScreeningRecorded { screening }) => Some(screening),
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
    /// `none` (none observed) or `observed`, with `reaction_description`.
    #[serde(default)]
    reaction: String,
    #[serde(default)]
    reaction_description: String,
    command_id: Option<String>,
}

impl CollectForm {
    /// The adverse reactions the collector observed: none only when the collector said so.
    fn adverse_reactions(&self) -> Result<Vec<String>, Problem> {
        let description = self.reaction_description.trim();
        match self.reaction.trim() {
            "none" if description.is_empty() => Ok(Vec::new()),
            "none" => Err(Problem::input(
                "the adverse reaction is described but marked none observed; choose one",
            )),
            "observed" if description.is_empty() => Err(Problem::missing(
                "the adverse reaction's description",
                "describe the reaction observed",
            )),
            "observed" => Ok(vec![description.to_owned()]),
            "" => Err(Problem::missing(
                "the adverse reaction",
                "choose none observed, or observed and describe it",
            )),
            other => Err(Problem::input(format!(
                "the adverse reaction {other:?} is neither none nor observed"
            ))),
        }
    }
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
    let minutes: u16 = number("duration", &form.minutes)?;
    let adverse_reactions = form.adverse_reactions()?;
    let now = app.now();
    let command = Command::Client(ClientCommand::DonorCentre(
        DonorCentreCommand::CollectDonation {
            din: din.clone(),
            donor_id: form.donor_id.trim().to_owned(),
            screening_id: form.screening_id.trim().to_owned(),
            container: Container {
                catalogue_number: "BAG-450-AS1".to_owned(),
                lot: Some(form.lot.trim().to_owned())
                    .filter(|l| !l.is_empty())
                    .unwrap_or_else(|| "unrecorded".to_owned()),
            },
            started_at: now - Duration::minutes(i64::from(minutes)),
            ended_at: now,
            volume_ml,
            red_cell_loss_ml: 0,
            phlebotomist: caller.user.id.clone(),
            adverse_reactions,
            collection_state: "TX".to_owned(),
        },
    ));
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
    /// (code, name, where it stands) of each ordered marker.
    tests: Vec<(String, String, String)>,
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
                    .map(|(test, status)| {
                        let name = hemaflow_domain::queries::test_name(state, test).to_owned();
                        (test.clone(), name, status.describe().to_owned())
                    })
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
    let field = |name: &str| super::form_field(&fields, name);
    let din = scan::din_in_path(field("din"))?;
    let id = command_id(Some(field("command_id")))?;
    let command = match field("what") {
        "markers" => Command::Client(ClientCommand::Lab(LabCommand::RecordTestResults {
            results: marker_readings(&fields, &din)?,
        })),
        "group" => {
            let (abo, rhd) = if field("group_scan").trim().is_empty() {
                (
                    choice::<Abo>("the ABO group", field("abo"))?,
                    choice::<RhD>("the RhD type", field("rhd"))?,
                )
            } else {
                scan::blood_group(field("group_scan"))?
            };
            Command::Client(ClientCommand::Lab(LabCommand::RecordBloodGroup {
                din: din.clone(),
                abo,
                rhd,
            }))
        }
        "antibody" => Command::Client(ClientCommand::Lab(LabCommand::RecordAntibodyScreen {
            din: din.clone(),
            positive: match field("antibody").trim() {
                "positive" => true,
                "negative" => false,
                "" => {
                    return Err(Problem::missing(
                        "the antibody screen",
                        "choose negative or positive as read",
                    ));
                }
                other => {
                    return Err(Problem::input(format!(
                        "the antibody screen {other:?} is neither negative nor positive"
                    )));
                }
            },
        })),
        other => return Err(Problem::input(format!("unknown result form {other:?}"))),
    };
    let what = command.describe();
    execute(&app, &caller, &id, &command).await?;
    Ok(accepted(format!("{din}: recorded ({what}).")))
}

/// A reading chosen from a list (the ABO group, the RhD type); none chosen is missing.
fn choice<T: serde::de::DeserializeOwned>(field: &str, value: &str) -> Result<T, Problem> {
    if value.trim().is_empty() {
        return Err(Problem::missing(field, "choose it as read"));
    }
    serde_json::from_value(serde_json::json!(value.trim()))
        .map_err(|_| Problem::input(format!("{field}: {value:?} is not one of the choices")))
}

/// The initial reading of every marker the form listed (`marker`), each a choice the
/// technologist made (`reading:<marker>`): a marker without its reading is missing, never
/// taken as nonreactive.
fn marker_readings(
    fields: &[(String, String)],
    din: &str,
) -> Result<Vec<TestResultInput>, Problem> {
    let markers: Vec<&str> = fields
        .iter()
        .filter(|(key, _)| key == "marker")
        .map(|(_, value)| value.as_str())
        .collect();
    if markers.is_empty() {
        return Err(Problem::missing("the markers", "look the DIN up again"));
    }
    if let Some((key, _)) = fields.iter().find(|(key, _)| {
        key.strip_prefix("reading:")
            .is_some_and(|test| !markers.contains(&test))
    }) {
        return Err(Problem::input(format!("{key}: not a marker of the form")));
    }
    markers
        .iter()
        .map(|test| {
            let key = format!("reading:{test}");
            let value = fields
                .iter()
                .find(|(k, _)| *k == key)
                .map_or("", |(_, v)| v.as_str());
            let reading = match value.trim() {
                "reactive" => Reading::Reactive,
                "nonreactive" => Reading::Nonreactive,
                "" => {
                    return Err(Problem::missing(
                        &format!("the initial reading of {test}"),
                        "choose nonreactive or reactive as read",
                    ));
                }
                other => {
                    return Err(Problem::input(format!(
                        "the initial reading of {test}: {other:?} is neither reactive nor nonreactive"
                    )));
                }
            };
            Ok(TestResultInput {
                din: din.to_owned(),
                test: (*test).to_owned(),
                stage: Stage::Initial,
                reading,
            })
        })
        .collect()
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
    let command = Command::Client(ClientCommand::Manufacturing(
        ManufacturingCommand::ProduceComponents {
            din: din.clone(),
            recipe: form.recipe.trim().to_owned(),
        },
    ));
    let id = command_id(form.command_id.as_deref())?;
    let events = execute(&app, &caller, &id, &command).await?;
    let made: Vec<String> = events
        .iter()
        .filter_map(|e| match e {
            Event::Manufacturing(ManufacturingEvent::ComponentProduced { component }) => {
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

/// An instrument's results as CSV (`crate::results_csv`): by default a header naming
/// `din,test,stage,reading`, then one result per line (the DIN as on record or scanned).
/// Every line is checked first; the batch is then given as one command, accepted whole or
/// refused whole.
pub fn parse_results_csv(text: &str) -> Result<Vec<TestResultInput>, Problem> {
    crate::results_csv::parse(text, crate::results_csv::Layout::Hemaflow).map_err(Problem::input)
}

#[derive(Deserialize)]
pub struct CsvForm {
    #[serde(default)]
    csv: String,
    /// The export's layout (`hemaflow`, `procleix`); empty is `hemaflow`.
    #[serde(default)]
    layout: String,
    command_id: Option<String>,
}

pub async fn post_results_csv(
    caller: Caller,
    State(app): State<App>,
    Form(form): Form<CsvForm>,
) -> Result<Response, Problem> {
    caller.require(access::TESTING)?;
    let layout = crate::results_csv::Layout::parse(&form.layout).ok_or_else(|| {
        Problem::input(format!(
            "layout {:?} is not hemaflow or procleix",
            form.layout
        ))
    })?;
    let results = crate::results_csv::parse(&form.csv, layout).map_err(Problem::input)?;
    let count = results.len();
    let id = command_id(form.command_id.as_deref())?;
    execute(
        &app,
        &caller,
        &id,
        &Command::Client(ClientCommand::Lab(LabCommand::RecordTestResults {
            results,
        })),
    )
    .await?;
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
