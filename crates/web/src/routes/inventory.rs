//! Inventory: available and quarantined units counted by site, component, ABO/RhD and days to
//! expiry.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Response};
use hemaflow_domain::components::Status;
use hemaflow_domain::release::confirmed_group;
use hemaflow_domain::testing::RhD;
use hemaflow_domain::{State as Records, queries};
use serde::Serialize;
use time::OffsetDateTime;

use crate::App;
use crate::access;
use crate::auth::Caller;
use crate::problem::Problem;
use crate::views::Page;

#[derive(Debug, Clone, Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct Group {
    /// The collection facility (the DIN's FIN): one site per facility until sites are records.
    pub site: String,
    pub component: String,
    pub status: String,
    pub blood_group: String,
    /// "expired", "0-1 days", "2-7 days", "8+ days".
    pub expires_in: String,
    pub units: u32,
}

fn days_band(days: i64) -> &'static str {
    match days {
        i64::MIN..0 => "expired",
        0..=1 => "0-1 days",
        2..=7 => "2-7 days",
        _ => "8+ days",
    }
}

pub fn groups(records: &Records, now: OffsetDateTime) -> Vec<Group> {
    let mut counts: BTreeMap<(String, String, String, String, String), u32> = BTreeMap::new();
    for (component, status) in queries::inventory(records, None, now) {
        if !matches!(status, Status::Available | Status::Quarantined) {
            continue;
        }
        let group = confirmed_group(records, component)
            .map(|(abo, rhd)| {
                format!(
                    "{abo:?} {}",
                    if rhd == RhD::Positive { "pos" } else { "neg" }
                )
            })
            .unwrap_or_else(|| "not confirmed".to_owned());
        let days = (component.expires_at - now).whole_days();
        let key = (
            component.din.chars().take(5).collect(),
            component.name.clone(),
            status.as_str().to_owned(),
            group,
            days_band(days).to_owned(),
        );
        *counts.entry(key).or_default() += 1;
    }
    counts
        .into_iter()
        .map(
            |((site, component, status, blood_group, expires_in), units)| Group {
                site,
                component,
                status,
                blood_group,
                expires_in,
                units,
            },
        )
        .collect()
}

#[derive(Template)]
#[template(path = "inventory.html")]
struct InventoryPage {
    page: Page,
    groups: Vec<Group>,
}

pub async fn page(caller: Caller, State(app): State<App>) -> Result<Response, Problem> {
    caller.require(access::INVENTORY)?;
    let now = OffsetDateTime::now_utc();
    let groups = app.ledger.read(|records| groups(records, now)).await?;
    let page = InventoryPage {
        page: Page::of(&caller, "/inventory"),
        groups,
    };
    Ok(Html(page.render()?).into_response())
}
