//! Inventory: available and quarantined units counted by site, component, ABO/RhD and days to
//! expiry, drawn as server-rendered SVG bar charts, and the units expiring soon (first to
//! expire first, so that they are shipped before they are wasted).

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Response};
use hemaflow_documents::{Bar, bar_chart_svg};
use hemaflow_domain::manufacturing::components::Status;
use hemaflow_domain::release::gate::confirmed_group;
use hemaflow_domain::{State as Records, queries};
use serde::Serialize;
use time::OffsetDateTime;

use crate::App;
use crate::access;
use crate::auth::Caller;
use crate::problem::Problem;
use crate::views::Page;

#[derive(Debug, Clone, Serialize, PartialEq, Eq, PartialOrd, Ord, utoipa::ToSchema)]
pub struct Group {
    /// The site the units are at (or in transit to), `unplaced` before any site is recorded.
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
    for unit in queries::stock(records, now) {
        let (component, status) = (unit.component, unit.status);
        if !matches!(status, Status::Available | Status::Quarantined) {
            continue;
        }
        let group = group_name(records, component);
        let days = (component.expires_at - now).whole_days();
        let key = (
            unit.site.unwrap_or("unplaced").to_owned(),
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

/// Units expire "soon" within the configuration's `distribution.expiring_soon_hours`.
pub fn expiring_soon_hours(records: &Records) -> i64 {
    i64::from(records.config.distribution.expiring_soon_hours)
}

/// A unit in stock that expires within [`expiring_soon_hours`].
#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct Expiring {
    pub id: String,
    pub din: String,
    pub product_code: String,
    pub component: String,
    pub status: String,
    pub blood_group: String,
    /// RFC 3339, UTC.
    pub expires_at: String,
    pub hours_left: i64,
    pub site: String,
}

fn group_name(
    records: &Records,
    component: &hemaflow_domain::manufacturing::components::Component,
) -> String {
    confirmed_group(records, component)
        .map(|(abo, rhd)| crate::supply::group_text(abo, rhd))
        .unwrap_or_else(|| "not confirmed".to_owned())
}

/// Units in stock (available or quarantined, at our sites) that expire after `now` and within
/// [`expiring_soon_hours`], soonest first.
pub fn expiring_soon(records: &Records, now: OffsetDateTime) -> Vec<Expiring> {
    let horizon = now + time::Duration::hours(expiring_soon_hours(records));
    let mut units: Vec<Expiring> = queries::stock(records, now)
        .into_iter()
        .filter(|unit| {
            matches!(unit.status, Status::Available | Status::Quarantined)
                && unit.component.expires_at <= horizon
        })
        .map(|unit| (unit.component, unit.status, unit.site))
        .map(|(c, status, site)| Expiring {
            id: c.id.clone(),
            din: c.din.clone(),
            product_code: c.product_code.clone(),
            component: c.name.clone(),
            status: status.as_str().to_owned(),
            blood_group: group_name(records, c),
            expires_at: c
                .expires_at
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default(),
            hours_left: (c.expires_at - now).whole_hours(),
            site: site.unwrap_or("unplaced").to_owned(),
        })
        .collect();
    units.sort_by(|a, b| a.expires_at.cmp(&b.expires_at).then(a.id.cmp(&b.id)));
    units
}

/// One chart per dimension of the inventory: units summed over the other dimensions.
pub fn charts(groups: &[Group]) -> Vec<String> {
    type Key = fn(&Group) -> &str;
    let dimensions: [(&str, Key); 4] = [
        ("Units by ABO/RhD", |g| &g.blood_group),
        ("Units by component", |g| &g.component),
        ("Units by days to expiry", |g| &g.expires_in),
        ("Units by site", |g| &g.site),
    ];
    dimensions
        .iter()
        .map(|(title, key)| {
            let mut totals: BTreeMap<&str, u64> = BTreeMap::new();
            for group in groups {
                *totals.entry(key(group)).or_default() += u64::from(group.units);
            }
            let mut bars: Vec<Bar> = totals
                .into_iter()
                .map(|(label, value)| Bar {
                    label: label.to_owned(),
                    value,
                    tone: match label {
                        "0-1 days" => "expired".to_owned(),
                        "2-7 days" => "soon".to_owned(),
                        _ => String::new(),
                    },
                })
                .collect();
            if *title == "Units by days to expiry" {
                let order = ["0-1 days", "2-7 days", "8+ days"];
                bars.sort_by_key(|bar| order.iter().position(|o| *o == bar.label));
            }
            bar_chart_svg(title, &bars)
        })
        .collect()
}

#[derive(Template)]
#[template(path = "inventory.html")]
struct InventoryPage {
    page: Page,
    groups: Vec<Group>,
    charts: Vec<String>,
    expiring: Vec<Expiring>,
    soon_hours: i64,
}

pub async fn page(caller: Caller, State(app): State<App>) -> Result<Response, Problem> {
    caller.require(access::INVENTORY)?;
    let now = app.now();
    let (groups, expiring, soon_hours) = app
        .ledger
        .read(|records| {
            (
                groups(records, now),
                expiring_soon(records, now),
                expiring_soon_hours(records),
            )
        })
        .await?;
    let page = InventoryPage {
        page: Page::of(&caller, "/inventory"),
        charts: charts(&groups),
        groups,
        expiring,
        soon_hours,
    };
    Ok(Html(page.render()?).into_response())
}
