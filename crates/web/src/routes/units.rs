//! The unit look-up (the home bench): scan a DIN, see the donation, its units, where each
//! stands and what blocks its release; and a unit's full history from the ledger.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{Html, IntoResponse, Redirect, Response};
use hemaflow_domain::access::accounts::User;
use hemaflow_domain::manufacturing::components::Status;
use hemaflow_domain::{State as Records, queries, release_blockers};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::App;
use crate::access;
use crate::auth::Caller;
use crate::problem::Problem;
use crate::scan;
use crate::views::Page;

/// A donation and its units as the benches show them.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct UnitView {
    pub din: String,
    pub donor_id: Option<String>,
    pub collected_at: Option<String>,
    pub blood_group: Option<String>,
    pub unsuitable: Option<String>,
    pub tests: Vec<(String, String)>,
    /// Each marker by its name with where it stands, for people (the API keeps the codes).
    #[serde(skip)]
    pub test_lines: Vec<(String, String)>,
    pub components: Vec<ComponentLine>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ComponentLine {
    pub id: String,
    pub din: String,
    pub product_code: String,
    pub name: String,
    pub status: String,
    pub expires_at: String,
    pub label_verified: bool,
    /// What stops release, each as "RULE: what to do" (empty when releasable or final).
    pub blockers: Vec<Blocker>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Blocker {
    pub rule: String,
    pub message: String,
}

/// [`time_text`] of a borrowed time, as templates pass it.
pub fn at_text(at: &OffsetDateTime) -> String {
    time_text(*at)
}

pub fn time_text(at: OffsetDateTime) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute] UTC");
    at.to_offset(time::UtcOffset::UTC)
        .format(&format)
        .unwrap_or_default()
}

pub fn component_line(
    records: &Records,
    component: &hemaflow_domain::manufacturing::components::Component,
    status: Status,
    now: OffsetDateTime,
) -> ComponentLine {
    let blockers = if status == Status::Quarantined {
        release_blockers(records, component, now)
            .into_iter()
            .map(|r| Blocker {
                rule: r.rule.as_str().to_owned(),
                message: r.message,
            })
            .collect()
    } else {
        Vec::new()
    };
    ComponentLine {
        id: component.id.clone(),
        din: component.din.clone(),
        product_code: component.product_code.clone(),
        name: component.name.clone(),
        status: status.as_str().to_owned(),
        expires_at: time_text(component.expires_at),
        label_verified: component.label_verified,
        blockers,
    }
}

/// What `user` may see of a DIN: everything for staff; for a hospital-bound user (hospital
/// user, transfusion technologist, nurse) only the units shipped to their hospital (and
/// nothing of the donor). `None` when nothing is visible.
pub fn unit_view(
    records: &Records,
    din: &str,
    user: &User,
    now: OffsetDateTime,
) -> Option<UnitView> {
    let hospital_scope = user
        .role
        .is_hospital_bound()
        .then_some(user.hospital.as_deref());
    let components: Vec<ComponentLine> = queries::components_of(records, din)
        .into_iter()
        .filter(|c| match hospital_scope {
            None => true,
            Some(hospital) => hospital.is_some() && c.consignee.as_deref() == hospital,
        })
        .map(|c| {
            let status = if c.status.is_workable() && c.expires_at <= now {
                Status::Expired
            } else {
                c.status
            };
            component_line(records, c, status, now)
        })
        .collect();
    let donation = queries::donation(records, din).filter(|_| hospital_scope.is_none());
    if donation.is_none() && components.is_empty() {
        return None;
    }
    Some(UnitView {
        din: din.to_owned(),
        donor_id: donation.map(|d| d.donor_id.clone()),
        collected_at: donation.map(|d| time_text(d.ended_at)),
        blood_group: donation
            .and_then(|d| {
                d.resolved_group
                    .or_else(|| d.determinations.last().map(|x| (x.abo, x.rhd)))
            })
            .map(|(abo, rhd)| {
                format!(
                    "{} {}",
                    abo.as_str(),
                    if rhd == hemaflow_domain::lab::testing::RhD::Positive {
                        "RhD positive"
                    } else {
                        "RhD negative"
                    }
                )
            }),
        unsuitable: donation.and_then(|d| d.unsuitable.clone()),
        test_lines: donation
            .map(|d| {
                d.tests
                    .iter()
                    .map(|(test, status)| {
                        let name = hemaflow_domain::queries::test_name(records, test);
                        (name.to_owned(), status.describe().to_owned())
                    })
                    .collect()
            })
            .unwrap_or_default(),
        tests: donation
            .map(|d| {
                d.tests
                    .iter()
                    .map(|(test, status)| (test.clone(), status.describe().to_owned()))
                    .collect()
            })
            .unwrap_or_default(),
        components,
    })
}

#[derive(Template)]
#[template(path = "home.html")]
struct Home {
    page: Page,
    /// The bench of a hospital's transfusion service or bedside, first on the home page.
    bench: Option<(&'static str, &'static str)>,
}

/// The bench a role works at first, when it is not the unit look-up.
pub fn own_bench(role: hemaflow_domain::Role) -> Option<(&'static str, &'static str)> {
    use hemaflow_domain::Role::*;
    match role {
        TransfusionTechnologist => Some(("/transfusion", "Transfusion service bench")),
        Nurse => Some(("/bedside", "Bedside")),
        _ => None,
    }
}

pub async fn home(caller: Caller) -> Result<Response, Problem> {
    caller.require(access::ANY)?;
    Ok(Html(
        Home {
            page: Page::of(&caller, "/"),
            bench: own_bench(caller.user.role),
        }
        .render()?,
    )
    .into_response())
}

#[derive(Template)]
#[template(path = "unit_fragment.html")]
struct UnitFragment {
    unit: UnitView,
    can_release: bool,
}

#[derive(Deserialize)]
pub struct Lookup {
    scan: String,
}

/// The donation or unit of `din` as the caller may see it (a hospital user: only units shipped
/// to its hospital), or "not on record".
async fn visible_unit(app: &App, caller: &Caller, din: &str) -> Result<UnitView, Problem> {
    let now = app.now();
    app.ledger
        .read(|records| unit_view(records, din, &caller.user, now))
        .await?
        .ok_or_else(|| {
            Problem::not_found(format!("no donation or unit with DIN {din} is on record"))
        })
}

/// A DIN scanned into the look-up field: the unit at once (htmx), or its page.
pub async fn lookup(
    caller: Caller,
    State(app): State<App>,
    headers: HeaderMap,
    Query(query): Query<Lookup>,
) -> Result<Response, Problem> {
    caller.require(access::ANY)?;
    let din = scan::din(&query.scan)?;
    if !super::is_htmx(&headers) {
        return Ok(Redirect::to(&format!("/units/{din}")).into_response());
    }
    let unit = visible_unit(&app, &caller, &din).await?;
    let fragment = UnitFragment {
        unit,
        can_release: access::RELEASE.contains(&caller.user.role),
    };
    Ok(Html(fragment.render()?).into_response())
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct HistoryLine {
    pub sequence: i64,
    pub recorded_at: String,
    pub actor: String,
    pub role: String,
    pub kind: String,
    pub event_type: String,
    /// The entry in words (`hemaflow_service::history::summary`).
    pub summary: String,
    pub payload: String,
}

/// The unit's story as `hemaflow_service::history` tells it (the entries naming the DIN or
/// any identifier grown from it, refusals included, oldest first), read through the store's
/// index of entry terms rather than a pass over the whole ledger.
pub async fn history(app: &App, din: &str) -> Result<Vec<HistoryLine>, Problem> {
    let din = hemaflow_isbt128::Din::parse(din)
        .map_err(|error| Problem::input(format!("{din:?} is not a DIN: {error}")))?;
    let story = hemaflow_service::history::history(app.ledger.store(), &din)
        .await
        .map_err(Problem::internal)?;
    Ok(story
        .map(|story| story.lines)
        .unwrap_or_default()
        .into_iter()
        .map(|line| HistoryLine {
            sequence: line.sequence,
            recorded_at: line.recorded_at,
            actor: line.actor,
            role: line.role,
            kind: line.kind.to_owned(),
            event_type: line.event_type,
            summary: line.summary,
            payload: line.payload,
        })
        .collect())
}

/// The steps of a unit's own life a hospital's transfusion service may read: how it was
/// collected, tested, made, released and shipped, and what its own service did with it. Never
/// the donor's record (registration, screening, deferral, the donor's group), holds (their
/// reasons may be a donor's information), refusals or the raw entries.
const HOSPITAL_STEPS: &[&str] = &[
    "tests_ordered",
    "test_result_recorded",
    "blood_group_determined",
    "antibody_screen_recorded",
    "component_produced",
    "component_processed",
    "bacterial_control_recorded",
    "label_verified",
    "component_released",
    "component_expired",
    "unit_picked",
    "shipment_shipped",
    "component_shipped",
    "receipt_confirmed",
];

fn hospital_story(lines: Vec<HistoryLine>) -> Vec<HistoryLine> {
    lines
        .into_iter()
        .filter(|l| l.kind == "event")
        .filter_map(|mut line| {
            if line.event_type == "donation_collected" {
                // Collected: when, not from whom.
                line.summary = "donation collected".to_owned();
            } else if !HOSPITAL_STEPS.contains(&line.event_type.as_str())
                && !hemaflow_domain::TransfusionEvent::TYPES.contains(&line.event_type.as_str())
            {
                return None;
            }
            line.payload = String::new();
            Some(line)
        })
        .collect()
}

#[derive(Template)]
#[template(path = "unit.html")]
struct UnitPage {
    page: Page,
    unit: UnitView,
    can_release: bool,
    history: Vec<HistoryLine>,
}

pub async fn page(
    caller: Caller,
    State(app): State<App>,
    Path(din): Path<String>,
) -> Result<Response, Problem> {
    caller.require(access::ANY)?;
    let din = scan::din_in_path(&din)?;
    let unit = visible_unit(&app, &caller, &din).await?;
    // The ledger's history names donors: establishment staff see all of it, a hospital's
    // transfusion service the unit's own steps from collection to its patient.
    let history = if access::STAFF.contains(&caller.user.role) {
        history(&app, &din).await?
    } else if matches!(
        caller.user.role,
        hemaflow_domain::Role::TransfusionTechnologist | hemaflow_domain::Role::Nurse
    ) {
        hospital_story(history(&app, &din).await?)
    } else {
        Vec::new()
    };
    let page = UnitPage {
        page: Page::of(&caller, "/"),
        unit,
        can_release: access::RELEASE.contains(&caller.user.role),
        history,
    };
    Ok(Html(page.render()?).into_response())
}
