//! The production bench: components made from a whole-blood bag (`ProduceComponents`, in
//! `benches.rs`), then modified (`ModifyComponent`: irradiate, leukoreduce, wash, thaw,
//! relabel as Thawed Plasma, volume-reduce), divided (`DivideComponent`), pooled
//! (`PoolComponents`) or given a bacterial risk-control step (`RecordBacterialControl`).
//!
//! Scan first: each unit is named by its DIN and product code barcodes, checked by the
//! ISBT 128 codec at the field that expects them. Every change of an existing unit carries
//! the ledger entry the page showed (`seen`): a unit changed since is refused 409 and nothing
//! is written. The rules (MOD-*, TEST-BACT) are the domain's; a refusal shows next to the form.

use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Response};
use hemaflow_domain::manufacturing::components::Attr;
use hemaflow_domain::{ClientCommand, ManufacturingCommand, ManufacturingEvent};
use hemaflow_domain::{Command, Event};
use serde::Deserialize;

use super::execute_form_seen;
use crate::App;
use crate::access;
use crate::auth::{Caller, token};
use crate::problem::Problem;
use crate::scan;
use crate::supply::scanned_unit;
use crate::views::{Page, accepted};

/// The modifications a form offers (pooling has its own form).
const MODIFICATIONS: &[Attr] = &[
    Attr::Irradiated,
    Attr::Leukoreduced,
    Attr::Washed,
    Attr::Thawed,
    Attr::ThawedPlasma,
    Attr::VolumeReduced,
];

#[derive(Template)]
#[template(path = "production.html")]
struct ProductionPage {
    page: Page,
    recipes: Vec<String>,
    methods: Vec<String>,
    modifications: Vec<(String, &'static str)>,
    /// One command ID per form: a double submit gets the first answer.
    ids: [String; 5],
    /// The ledger entry the page reflects: the `seen` of every change of a unit.
    seen: i64,
}

fn attr_key(attr: Attr) -> String {
    serde_json::to_value(attr)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

pub async fn page(caller: Caller, State(app): State<App>) -> Result<Response, Problem> {
    caller.require(access::PRODUCTION)?;
    let ((recipes, methods), seen) = app
        .ledger
        .read_at(|state| {
            (
                state.config.recipes.keys().cloned().collect(),
                state
                    .config
                    .bacterial_control_days
                    .keys()
                    .cloned()
                    .collect(),
            )
        })
        .await?;
    let page = ProductionPage {
        page: Page::of(&caller, "/production"),
        recipes,
        methods,
        modifications: MODIFICATIONS
            .iter()
            .map(|a| (attr_key(*a), a.label()))
            .collect(),
        ids: std::array::from_fn(|_| token::generate()),
        seen,
    };
    Ok(Html(page.render()?).into_response())
}

/// The units an event list made, for the answer.
fn made(events: &[Event]) -> String {
    let made: Vec<String> = events
        .iter()
        .filter_map(|e| match e {
            Event::Manufacturing(ManufacturingEvent::ComponentProduced { component }) => {
                Some(format!(
                    "{} {} (expires {})",
                    component.id,
                    component.name,
                    super::units::time_text(component.expires_at)
                ))
            }
            _ => None,
        })
        .collect();
    made.join(", ")
}

async fn change_unit(
    app: &App,
    caller: &Caller,
    form_id: Option<&str>,
    form_seen: Option<i64>,
    units: &[String],
    command: Command,
) -> Result<Vec<Event>, Problem> {
    caller.require(access::PRODUCTION)?;
    let records: Vec<(&str, &str)> = units.iter().map(|id| ("component", id.as_str())).collect();
    execute_form_seen(app, caller, form_id, form_seen, &command, &records).await
}

#[derive(Deserialize)]
pub struct ModifyForm {
    din: String,
    product_code: String,
    modification: String,
    command_id: Option<String>,
    seen: Option<i64>,
}

/// MOD-ALLOWED, MOD-THAW, MOD-CODE: a unit modified into a new one (the old is processed).
pub async fn post_modify(
    caller: Caller,
    State(app): State<App>,
    Form(form): Form<ModifyForm>,
) -> Result<Response, Problem> {
    let unit = scanned_unit(&form.din, &form.product_code)?;
    let modification = MODIFICATIONS
        .iter()
        .copied()
        .find(|a| attr_key(*a) == form.modification)
        .ok_or_else(|| {
            Problem::input(format!(
                "{:?} is not a modification this bench offers",
                form.modification
            ))
        })?;
    let command = Command::Client(ClientCommand::Manufacturing(
        ManufacturingCommand::ModifyComponent {
            component: unit.clone(),
            modification,
        },
    ));
    let events = change_unit(
        &app,
        &caller,
        form.command_id.as_deref(),
        form.seen,
        std::slice::from_ref(&unit),
        command,
    )
    .await?;
    Ok(accepted(format!(
        "{unit} {}: made {}; quarantined until released.",
        modification.label(),
        made(&events)
    )))
}

#[derive(Deserialize)]
pub struct DivideForm {
    din: String,
    product_code: String,
    parts: String,
    command_id: Option<String>,
    seen: Option<i64>,
}

/// MOD-SPLIT: a unit divided into 2 to 4 parts (divisions A0, B0, ...).
pub async fn post_divide(
    caller: Caller,
    State(app): State<App>,
    Form(form): Form<DivideForm>,
) -> Result<Response, Problem> {
    let unit = scanned_unit(&form.din, &form.product_code)?;
    let parts: u8 = form
        .parts
        .trim()
        .parse()
        .map_err(|_| Problem::input(format!("parts: {:?} is not a number", form.parts)))?;
    let command = Command::Client(ClientCommand::Manufacturing(
        ManufacturingCommand::DivideComponent {
            component: unit.clone(),
            parts,
        },
    ));
    let events = change_unit(
        &app,
        &caller,
        form.command_id.as_deref(),
        form.seen,
        std::slice::from_ref(&unit),
        command,
    )
    .await?;
    Ok(accepted(format!("{unit} divided: {}.", made(&events))))
}

#[derive(Deserialize)]
pub struct PoolForm {
    pool_din: String,
    /// The units' barcodes as scanned: DIN then product code, one scan a line.
    scans: String,
    #[serde(default)]
    closed_system: Option<String>,
    command_id: Option<String>,
    seen: Option<i64>,
}

/// The units of a pool from their scans, DIN then product code, one scan a line.
pub fn pooled_units(scans: &str) -> Result<Vec<String>, Problem> {
    let lines: Vec<&str> = scans
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    if !lines.len().is_multiple_of(2) {
        return Err(Problem::input(format!(
            "units: {} scans; each unit takes two (its DIN, then its product code)",
            lines.len()
        )));
    }
    lines
        .chunks(2)
        .enumerate()
        .map(|(index, pair)| {
            scanned_unit(pair[0], pair[1]).map_err(|problem| {
                Problem::input(format!("units, unit {}: {}", index + 1, problem.detail))
            })
        })
        .collect()
}

/// MOD-POOL: units pooled under a new DIN (open system: 4 hours; closed: the earliest expiry).
pub async fn post_pool(
    caller: Caller,
    State(app): State<App>,
    Form(form): Form<PoolForm>,
) -> Result<Response, Problem> {
    let pool_din = scan::din(&form.pool_din)?;
    let units = pooled_units(&form.scans)?;
    let command = Command::Client(ClientCommand::Manufacturing(
        ManufacturingCommand::PoolComponents {
            components: units.clone(),
            pool_din: pool_din.clone(),
            closed_system: form.closed_system.is_some(),
        },
    ));
    let events = change_unit(
        &app,
        &caller,
        form.command_id.as_deref(),
        form.seen,
        &units,
        command,
    )
    .await?;
    Ok(accepted(format!(
        "{} units pooled as {pool_din}: {}.",
        units.len(),
        made(&events)
    )))
}

#[derive(Deserialize)]
pub struct BacterialForm {
    din: String,
    product_code: String,
    method: String,
    command_id: Option<String>,
    seen: Option<i64>,
}

/// TEST-BACT: a bacterial risk-control step; the platelets' dating follows the method.
pub async fn post_bacterial(
    caller: Caller,
    State(app): State<App>,
    Form(form): Form<BacterialForm>,
) -> Result<Response, Problem> {
    caller.require(access::PRODUCTION)?;
    let unit = scanned_unit(&form.din, &form.product_code)?;
    if form.method.trim().is_empty() {
        return Err(Problem::missing(
            "the bacterial risk-control method",
            "choose the method that was applied",
        ));
    }
    let command = Command::Client(ClientCommand::Manufacturing(
        ManufacturingCommand::RecordBacterialControl {
            component: unit.clone(),
            method: form.method.trim().to_owned(),
        },
    ));
    let events = change_unit(
        &app,
        &caller,
        form.command_id.as_deref(),
        form.seen,
        std::slice::from_ref(&unit),
        command,
    )
    .await?;
    let expiry = events.iter().find_map(|e| match e {
        Event::Manufacturing(ManufacturingEvent::BacterialControlRecorded {
            expires_at, ..
        }) => Some(super::units::time_text(*expires_at)),
        _ => None,
    });
    Ok(accepted(format!(
        "{unit}: bacterial control {} recorded; expires {}.",
        form.method.trim(),
        expiry.unwrap_or_default()
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pooled_units_read_pairs_of_scans_and_name_a_bad_one() {
        let units = pooled_units("=W12342600000100\n=<E0869V00\n\n=W12342600000200\n=<E0869V00\n")
            .expect("two units");
        assert_eq!(units, ["W123426000001-E0869V00", "W123426000002-E0869V00"]);
        let odd = pooled_units("=W12342600000100\n=<E0869V00\n=W12342600000200").expect_err("odd");
        assert!(odd.detail.contains("3 scans"), "{}", odd.detail);
        let swapped = pooled_units("=<E0869V00\n=W12342600000100").expect_err("swapped");
        assert!(
            swapped.detail.starts_with("units, unit 1:"),
            "{}",
            swapped.detail
        );
    }
}
