//! Lookback and recall for QA: every open clock overdue first (LB-DEADLINES, BPD-45,
//! FATAL-7, RECALL-TRACK), the lookbacks, recalls, deviations and fatality reports, and one
//! page per record: a lookback's tree (donations, units, where each is, recipients) with its
//! notices, a recall's units to their end, a deviation as the report FDA's form 3486 asks for.
//!
//! Every form posts to `/quality/lookback/act`: its fields are the lookback command's own
//! (`type` and the command's field names; `a.b` nests, `name[]` is a list split on spaces,
//! commas or new lines), read by the command's own serde, so a field a form leaves out or
//! misspells is refused with the command's message, never guessed. The rules are the domain's.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::response::{Html, IntoResponse, Response};
use hemaflow_domain::lookback::deadlines::{Deadline, open_deadlines};
use hemaflow_domain::lookback::deviations::{Deviation, Fatality};
use hemaflow_domain::lookback::lookbacks::{Lookback, local_date};
use hemaflow_domain::lookback::recalls::Recall;
use hemaflow_domain::lookback::retention::{self, RetentionReport};
use hemaflow_domain::lookback::trace::{TracedDonation, trace_donation};
use hemaflow_domain::{ClientCommand, Command, LookbackCommand, State as Records};
use serde_json::{Map, Value};

use super::execute_form_seen;
use super::units::time_text;
use crate::App;
use crate::access;
use crate::auth::{Caller, token};
use crate::problem::Problem;
use crate::views::{Page, accepted};

/// The most fields a lookback form sends.
const MAX_FIELDS: usize = 40;

#[derive(Template)]
#[template(path = "lookbacks.html")]
struct BoardPage {
    page: Page,
    deadlines: Vec<Deadline>,
    lookbacks: Vec<Lookback>,
    recalls: Vec<Recall>,
    deviations: Vec<Deviation>,
    fatalities: Vec<Fatality>,
    agents: Vec<String>,
    today: String,
    form_id: String,
    seen: i64,
}

/// `GET /quality/lookbacks`: every clock and every record, newest first.
pub async fn board(caller: Caller, State(app): State<App>) -> Result<Response, Problem> {
    caller.require(access::QUALITY)?;
    let now = app.now();
    let (page, seen) = app
        .ledger
        .read_at(|records| {
            let book = &records.lookback;
            let today = local_date(records, now);
            BoardPage {
                page: Page::of(&caller, "/quality/lookbacks"),
                deadlines: open_deadlines(records, today),
                lookbacks: book.lookbacks.values().rev().cloned().collect(),
                recalls: book.recalls.values().rev().cloned().collect(),
                deviations: book.deviations.values().rev().cloned().collect(),
                fatalities: book.fatalities.values().rev().cloned().collect(),
                agents: records
                    .config
                    .lookback
                    .agents
                    .iter()
                    .map(|a| a.agent.clone())
                    .collect(),
                today: today.to_string(),
                form_id: String::new(),
                seen: 0,
            }
        })
        .await?;
    let page = BoardPage {
        form_id: token::generate(),
        seen,
        ..page
    };
    Ok(Html(page.render()?).into_response())
}

#[derive(Template)]
#[template(path = "retention.html")]
struct RetentionPage {
    page: Page,
    retention: RetentionReport,
}

/// `GET /quality/retention`: REC-RETAIN over every donation (a page of its own: it reads the
/// whole record, which the board of open clocks must not do at every look).
pub async fn retention_page(caller: Caller, State(app): State<App>) -> Result<Response, Problem> {
    caller.require(access::QUALITY)?;
    let now = app.now();
    let retention = app
        .ledger
        .read(|records| retention::report(records, local_date(records, now)))
        .await?;
    let page = RetentionPage {
        page: Page::of(&caller, "/quality/lookbacks"),
        retention,
    };
    Ok(Html(page.render()?).into_response())
}

#[derive(Template)]
#[template(path = "lookback.html")]
struct LookbackPage {
    page: Page,
    lookback: Lookback,
    donations: Vec<TracedDonation>,
    opened: String,
    form_id: String,
    seen: i64,
}

/// `GET /quality/lookbacks/{id}`: the tree of the window and the notices with their clocks.
pub async fn lookback_page(
    caller: Caller,
    State(app): State<App>,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    caller.require(access::QUALITY)?;
    let (found, seen) = app
        .ledger
        .read_at(|records| {
            let lookback = records.lookback.lookbacks.get(&id)?.clone();
            let donations = trace(records, &lookback);
            Some((lookback, donations))
        })
        .await?;
    let Some((lookback, donations)) = found else {
        return Err(Problem::not_found(format!("no lookback {id}")));
    };
    let page = LookbackPage {
        page: Page::of(&caller, "/quality/lookbacks"),
        opened: time_text(lookback.opened_at),
        lookback,
        donations,
        form_id: token::generate(),
        seen,
    };
    Ok(Html(page.render()?).into_response())
}

/// The window's donations, each with its units and where they are now.
pub fn trace(records: &Records, lookback: &Lookback) -> Vec<TracedDonation> {
    lookback
        .window
        .donations
        .iter()
        .filter_map(|din| trace_donation(records, din))
        .collect()
}

#[derive(Template)]
#[template(path = "recall.html")]
struct RecallPage {
    page: Page,
    recall: Recall,
    outstanding: Vec<String>,
    opened: String,
    form_id: String,
    seen: i64,
}

/// `GET /quality/recalls/{id}`.
pub async fn recall_page(
    caller: Caller,
    State(app): State<App>,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    caller.require(access::QUALITY)?;
    let (found, seen) = app
        .ledger
        .read_at(|records| records.lookback.recalls.get(&id).cloned())
        .await?;
    let recall = found.ok_or_else(|| Problem::not_found(format!("no recall {id}")))?;
    let page = RecallPage {
        page: Page::of(&caller, "/quality/lookbacks"),
        outstanding: recall.outstanding(),
        opened: time_text(recall.opened_at),
        recall,
        form_id: token::generate(),
        seen,
    };
    Ok(Html(page.render()?).into_response())
}

#[derive(Template)]
#[template(path = "deviation.html")]
struct DeviationPage {
    page: Page,
    deviation: Deviation,
    facility: String,
    subject: String,
    products: Vec<(String, String, String)>,
    opened: String,
    form_id: String,
    seen: i64,
}

/// `GET /quality/deviations/{id}`: the deviation as FDA's form 3486 asks for it (facility,
/// dates occurred and discovered, description, root cause, follow-up, the products and where
/// each went), printable.
pub async fn deviation_page(
    caller: Caller,
    State(app): State<App>,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    caller.require(access::QUALITY)?;
    let (found, seen) = app
        .ledger
        .read_at(|records| {
            let deviation = records.lookback.deviations.get(&id)?.clone();
            let products = deviation
                .units
                .iter()
                .filter_map(|unit| records.components.get(unit))
                .map(|c| {
                    let place = hemaflow_domain::lookback::trace::whereabouts(records, c);
                    (c.id.clone(), c.name.clone(), place.describe())
                })
                .collect();
            Some((deviation, products, records.config.facility.clone()))
        })
        .await?;
    let Some((deviation, products, facility)) = found else {
        return Err(Problem::not_found(format!("no deviation {id}")));
    };
    let page = DeviationPage {
        page: Page::of(&caller, "/quality/lookbacks"),
        subject: deviation.subject.describe(),
        opened: time_text(deviation.opened_at),
        deviation,
        facility,
        products,
        form_id: token::generate(),
        seen,
    };
    Ok(Html(page.render()?).into_response())
}

/// The form's fields as the JSON of a lookback command.
fn command_json(fields: &[(String, String)]) -> Result<Value, Problem> {
    if fields.len() > MAX_FIELDS {
        return Err(Problem::input(format!(
            "the form sends {} fields; at most {MAX_FIELDS}",
            fields.len()
        )));
    }
    let mut object = Map::new();
    for (name, value) in fields {
        if matches!(name.as_str(), "csrf" | "command_id" | "seen") || value.trim().is_empty() {
            continue;
        }
        let (path, value) = match name.strip_suffix("[]") {
            Some(path) => (
                path,
                Value::Array(
                    value
                        .split(|c: char| c == ',' || c.is_whitespace())
                        .filter(|s| !s.is_empty())
                        .map(|s| Value::String(s.to_owned()))
                        .collect(),
                ),
            ),
            None => (name.as_str(), Value::String(value.trim().to_owned())),
        };
        insert(&mut object, path, value)?;
    }
    Ok(Value::Object(object))
}

fn insert(object: &mut Map<String, Value>, path: &str, value: Value) -> Result<(), Problem> {
    match path.split_once('.') {
        None => {
            object.insert(path.to_owned(), value);
            Ok(())
        }
        Some((head, rest)) => {
            let inner = object
                .entry(head.to_owned())
                .or_insert_with(|| Value::Object(Map::new()));
            match inner {
                Value::Object(map) => insert(map, rest, value),
                _ => Err(Problem::input(format!("{head}: given twice"))),
            }
        }
    }
}

/// The records a command names, for the check that none changed since the page was read.
fn named_records(json: &Value) -> Vec<(&'static str, String)> {
    [
        ("lookback_id", "lookback"),
        ("recall_id", "recall"),
        ("deviation_id", "deviation"),
        ("fatality_id", "fatality"),
    ]
    .into_iter()
    .filter_map(|(field, kind)| {
        json.get(field)
            .and_then(Value::as_str)
            .map(|id| (kind, id.to_owned()))
    })
    .collect()
}

/// `POST /quality/lookback/act`: one lookback, recall, deviation or fatality command from a
/// form.
pub async fn act(
    caller: Caller,
    State(app): State<App>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, Problem> {
    caller.require(access::QUALITY)?;
    let field = |name: &str| {
        fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    };
    let json = command_json(&fields)?;
    let command: LookbackCommand = serde_json::from_value(json.clone())
        .map_err(|e| Problem::input(format!("the form does not make a command: {e}")))?;
    let what = command.describe();
    let named = named_records(&json);
    let records: Vec<(&str, &str)> = named.iter().map(|(k, id)| (*k, id.as_str())).collect();
    let seen = field("seen").and_then(|s| s.parse().ok());
    let events = execute_form_seen(
        &app,
        &caller,
        field("command_id").as_deref(),
        seen,
        &Command::Client(ClientCommand::Lookback(command)),
        &records,
    )
    .await?;
    let opened: Vec<String> = events
        .iter()
        .filter_map(|e| match e {
            hemaflow_domain::Event::Lookback(event) => opened_id(event),
            _ => None,
        })
        .collect();
    Ok(accepted(if opened.is_empty() {
        format!("Recorded: {what}.")
    } else {
        format!("Recorded: {what}: {}.", opened.join(", "))
    }))
}

fn opened_id(event: &hemaflow_domain::LookbackEvent) -> Option<String> {
    use hemaflow_domain::LookbackEvent as E;
    match event {
        E::LookbackStarted { lookback } => Some(lookback.id.clone()),
        E::RecallOpened { recall } => Some(recall.id.clone()),
        E::DeviationOpened { deviation } => Some(deviation.id.clone()),
        E::FatalityOpened { fatality } => Some(fatality.id.clone()),
        E::LookbackClosed { lookback_id, .. } => Some(format!("{lookback_id} closed")),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair(name: &str, value: &str) -> (String, String) {
        (name.to_owned(), value.to_owned())
    }

    #[test]
    fn a_form_becomes_the_commands_json_with_nested_fields_and_lists() {
        let json = command_json(&[
            pair("csrf", "x"),
            pair("type", "open_recall"),
            pair("kind.kind", "recall"),
            pair("kind.class", "II"),
            pair("selection.by", "donations"),
            pair("selection.dins[]", "W1 W2,\nW3"),
            pair("reason", "  bad lot  "),
            pair("empty", " "),
        ])
        .expect("a command's JSON");
        assert_eq!(
            json,
            serde_json::json!({
                "type": "open_recall",
                "kind": {"kind": "recall", "class": "II"},
                "selection": {"by": "donations", "dins": ["W1", "W2", "W3"]},
                "reason": "bad lot",
            })
        );
        let command: LookbackCommand = serde_json::from_value(json).expect("an open_recall");
        assert_eq!(command.describe(), "open a recall");
    }

    #[test]
    fn a_field_given_as_a_value_and_a_group_is_refused() {
        let refused = command_json(&[pair("kind", "recall"), pair("kind.class", "II")]);
        assert!(refused.is_err());
    }
}
