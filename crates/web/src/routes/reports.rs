//! Daily reports: a page with a date picker and the report as a table, the same report as a
//! CSV download and a PDF (A4 pages through `hemaflow-documents`), and as JSON under `/api`.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use hemaflow_domain::Event;
use hemaflow_service::ledger::{EntryKind, Store};
use serde::Deserialize;
use time::{Date, OffsetDateTime, UtcOffset};

use crate::App;
use crate::access;
use crate::auth::Caller;
use crate::problem::Problem;
use crate::reports::{Report, ReportKind, to_csv, to_table};
use crate::views::Page;

const PAGE: u32 = 1000;

#[derive(Deserialize, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DayQuery {
    /// The site's local day (YYYY-MM-DD); today when absent.
    #[param(format = Date)]
    day: Option<String>,
}

/// The site's local offset (the one its labels print) and its name.
async fn site(app: &App) -> Result<(UtcOffset, String), Problem> {
    app.ledger
        .read(|state| {
            let offset = state.config.labels.offset().unwrap_or(UtcOffset::UTC);
            (offset, format!("Facility {}", state.config.facility))
        })
        .await
        .map_err(Problem::from)
}

/// The day asked for (`YYYY-MM-DD`), or today at the site.
fn day_of(query: &DayQuery, offset: UtcOffset, now: OffsetDateTime) -> Result<Date, Problem> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    match query
        .day
        .as_deref()
        .map(str::trim)
        .filter(|d| !d.is_empty())
    {
        None => Ok(now.to_offset(offset).date()),
        Some(text) => Date::parse(text, format).map_err(|_| {
            Problem::input(format!(
                "day '{text}' is not a calendar date: give it as YYYY-MM-DD, e.g. 2026-11-25"
            ))
        }),
    }
}

fn kind_of(slug: &str) -> Result<ReportKind, Problem> {
    ReportKind::from_slug(slug).ok_or_else(|| {
        let known: Vec<&str> = ReportKind::ALL.iter().map(|k| k.slug()).collect();
        Problem::not_found(format!(
            "there is no report '{slug}'; the reports are {}",
            known.join(", ")
        ))
    })
}

/// The day's report: the fill rate from the orders on record, the others from the events
/// of the report's types that carry a time of that local day, read through
/// `hemaflow_service::reports` (an index by carried time, so that a report costs its day's
/// events, not the whole ledger; why an index kept there is in its docs). The same report as
/// [`build_by_scan`].
pub async fn build(
    app: &App,
    kind: ReportKind,
    day: Date,
    offset: UtcOffset,
) -> Result<Report, Problem> {
    if kind == ReportKind::FillRate {
        return Ok(app
            .ledger
            .read(|records| crate::reports::fill_rate(records, day, offset))
            .await?);
    }
    let (from, to) = crate::reports::bounds(day, offset);
    let events = app
        .reports
        .between(app.ledger.store(), kind.event_types(), from, to)
        .await?;
    let mut report = Report::new(kind, day);
    for event in &events {
        report.add(event, offset);
    }
    Ok(report)
}

/// The day's report read from every entry of the ledger, page by page: the definition
/// [`build`] answers through the index, kept as its oracle in the tests.
pub async fn build_by_scan(
    app: &App,
    kind: ReportKind,
    day: Date,
    offset: UtcOffset,
) -> Result<Report, Problem> {
    if kind == ReportKind::FillRate {
        return build(app, kind, day, offset).await;
    }
    let mut report = Report::new(kind, day);
    let store = app.ledger.store();
    let mut after = 0;
    loop {
        let entries = store
            .entries_after(after, PAGE)
            .await
            .map_err(Problem::internal)?;
        let Some(last) = entries.last() else {
            return Ok(report);
        };
        after = last.sequence;
        for entry in entries.iter().filter(|e| {
            e.kind == EntryKind::Event && kind.event_types().contains(&e.event_type.as_str())
        }) {
            let event: Event = serde_json::from_str(&entry.payload).map_err(Problem::internal)?;
            report.add(&event, offset);
        }
    }
}

struct ReportLink {
    slug: &'static str,
    title: &'static str,
    current: bool,
}

#[derive(Template)]
#[template(path = "reports.html")]
struct ReportsPage {
    page: Page,
    day: String,
    links: Vec<ReportLink>,
    report: Report,
    title: &'static str,
    slug: &'static str,
    empty: &'static str,
}

/// `GET /reports?day=` (collections) and `GET /reports/{report}?day=`.
pub async fn index(
    caller: Caller,
    State(app): State<App>,
    Query(query): Query<DayQuery>,
) -> Result<Response, Problem> {
    show(caller, app, ReportKind::Collections, query).await
}

pub async fn page(
    caller: Caller,
    State(app): State<App>,
    Path(slug): Path<String>,
    Query(query): Query<DayQuery>,
) -> Result<Response, Problem> {
    show(caller, app, kind_of(&slug)?, query).await
}

async fn show(
    caller: Caller,
    app: App,
    kind: ReportKind,
    query: DayQuery,
) -> Result<Response, Problem> {
    caller.require(access::REPORTS)?;
    let (offset, _) = site(&app).await?;
    let day = day_of(&query, offset, app.now())?;
    let report = build(&app, kind, day, offset).await?;
    let page = ReportsPage {
        page: Page::of(&caller, "/reports"),
        day: day.to_string(),
        links: ReportKind::ALL
            .iter()
            .map(|k| ReportLink {
                slug: k.slug(),
                title: k.title(),
                current: *k == kind,
            })
            .collect(),
        report,
        title: kind.title(),
        slug: kind.slug(),
        empty: kind.empty(),
    };
    Ok(Html(page.render()?).into_response())
}

/// `GET /reports/{report}/{format}?day=`: `csv` or `pdf`, as a download named after the day.
pub async fn download(
    caller: Caller,
    State(app): State<App>,
    Path((slug, format)): Path<(String, String)>,
    Query(query): Query<DayQuery>,
) -> Result<Response, Problem> {
    caller.require(access::REPORTS)?;
    let kind = kind_of(&slug)?;
    if format != "csv" && format != "pdf" {
        return Err(Problem::not_found(format!(
            "a report downloads as csv or pdf, not '{format}'"
        )));
    }
    let (offset, site) = site(&app).await?;
    let day = day_of(&query, offset, app.now())?;
    let report = build(&app, kind, day, offset).await?;
    let name = format!("hemaflow-{}-{day}.{format}", kind.slug());
    let disposition = format!("attachment; filename=\"{name}\"");
    if format == "csv" {
        return Ok((
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
                (header::CONTENT_DISPOSITION, disposition),
            ],
            to_csv(&report),
        )
            .into_response());
    }
    let printed = app.now().to_offset(offset);
    let printed = format!(
        "{} {:02}:{:02} by {}",
        printed.date(),
        printed.hour(),
        printed.minute(),
        caller.user.name
    );
    let pdf = hemaflow_documents::table_pdf(&to_table(&report, &site, &printed))
        .map_err(Problem::internal)?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/pdf".to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        pdf,
    )
        .into_response())
}

/// A daily report (collections, production, shipments, discards, fill rate per hospital):
/// its columns and a row per event (manufacturing, quality assurance, distribution, admin).
#[utoipa::path(
    get,
    path = "/reports/{report}",
    operation_id = "get_report",
    tag = "admin",
    security(("bearer" = []), ("session" = [])),
    params(
        ("report" = String, Path, description = "collections, production, shipments, discards or fill-rate", example = "collections"),
        DayQuery,
    ),
    responses((status = 200, description = "The report", body = crate::reports::Report), crate::problem::ReadProblems)
)]
pub async fn api(
    caller: Caller,
    State(app): State<App>,
    Path(slug): Path<String>,
    Query(query): Query<DayQuery>,
) -> Result<Response, Problem> {
    caller.require(access::REPORTS)?;
    let kind = kind_of(&slug)?;
    let (offset, _) = site(&app).await?;
    let day = day_of(&query, offset, app.now())?;
    Ok(axum::Json(build(&app, kind, day, offset).await?).into_response())
}
