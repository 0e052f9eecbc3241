//! Daily reports as a page, CSV, PDF and JSON: the day's collections and production are in
//! them, other days are not, and bad input is refused with what is wrong.

use hemaflow_domain::lab::testing::{Abo, RhD};
use hemaflow_web::demo::{self, Stop};

use hemaflow_service::demo::{DemoOptions, seed};
use hemaflow_service::ledger::Ledger;
use hemaflow_service::store::{AnyStore, PgStore};
use hemaflow_web::App;
use hemaflow_web::reports::ReportKind;
use hemaflow_web::routes::reports::{build, build_by_scan};
use time::UtcOffset;

use crate::helpers::{Database, spawn};

#[tokio::test]
async fn a_days_collections_and_production_download_as_csv_pdf_and_json() {
    let app = spawn(Database::Sqlite).await;
    let (din, units) = demo::donation(
        &app.app.ledger,
        "Report",
        (Abo::O, RhD::Negative),
        Stop::Produced,
    )
    .await
    .expect("produced");
    let day = app
        .app
        .ledger
        .read(|state| {
            let offset = state.config.labels.offset().expect("offset");
            state.donations[&din].ended_at.to_offset(offset).date()
        })
        .await
        .expect("read");
    let (browser, _) = app.browser("quality").await;

    let csv = browser
        .get(app.url(&format!("/reports/collections/csv?day={day}")))
        .send()
        .await
        .expect("csv");
    assert_eq!(csv.status(), 200);
    assert!(
        csv.headers()["content-disposition"]
            .to_str()
            .expect("header")
            .contains(&format!("hemaflow-collections-{day}.csv"))
    );
    let text = csv.text().await.expect("text");
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("Time,DIN,Donor,Procedure,Volume (mL),Collected by")
    );
    let row = lines.next().expect("one collection");
    assert!(row.contains(&din) && row.contains("collector"), "{row}");
    assert_eq!(lines.next(), None, "one collection only");

    let next_day = day.next_day().expect("a next day");
    let empty = browser
        .get(app.url(&format!("/reports/collections/csv?day={next_day}")))
        .send()
        .await
        .expect("csv")
        .text()
        .await
        .expect("text");
    assert_eq!(empty.lines().count(), 1, "another day has only the header");

    let pdf = browser
        .get(app.url(&format!("/reports/production/pdf?day={day}")))
        .send()
        .await
        .expect("pdf");
    assert_eq!(pdf.headers()["content-type"], "application/pdf");
    assert!(pdf.bytes().await.expect("bytes").starts_with(b"%PDF-"));

    // Produced a little after the collection: on the production's own day near midnight.
    let produced_day = app
        .app
        .ledger
        .read(|state| {
            let offset = state.config.labels.offset().expect("offset");
            state.components[&units[0]]
                .produced_at
                .to_offset(offset)
                .date()
        })
        .await
        .expect("read");
    let page = browser
        .get(app.url(&format!("/reports/production?day={produced_day}")))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    for unit in &units {
        let (_, code) = unit.split_once('-').expect("DIN-code");
        assert!(page.contains(code), "{code} on the production page");
    }

    let token = app.token("shipper").await;
    let json: serde_json::Value = reqwest::Client::new()
        .get(app.url(&format!("/api/reports/production?day={produced_day}")))
        .bearer_auth(&token)
        .send()
        .await
        .expect("api")
        .json()
        .await
        .expect("json");
    assert_eq!(json["rows"].as_array().map(Vec::len), Some(units.len()));
    assert_eq!(json["columns"][1], "DIN");
    app.stop().await;
}

#[tokio::test]
async fn a_report_refuses_a_bad_day_an_unknown_report_and_a_hospital_user() {
    let app = spawn(Database::Sqlite).await;
    let token = app.token("quality").await;
    let client = reqwest::Client::new();
    let bad_day = client
        .get(app.url("/api/reports/discards?day=2026-13-01"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("get");
    assert_eq!(bad_day.status(), 400);
    let problem: serde_json::Value = bad_day.json().await.expect("problem");
    assert!(
        problem["detail"]
            .as_str()
            .is_some_and(|d| d.contains("2026-13-01") && d.contains("YYYY-MM-DD")),
        "{problem}"
    );
    let unknown = client
        .get(app.url("/api/reports/sales"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("get");
    assert_eq!(unknown.status(), 404);
    let (browser, _) = app.browser("quality").await;
    let format = browser
        .get(app.url("/reports/discards/xlsx"))
        .send()
        .await
        .expect("get");
    assert_eq!(format.status(), 404);
    let hospital = app.token("hospital").await;
    let refused = client
        .get(app.url("/api/reports/shipments"))
        .bearer_auth(&hospital)
        .send()
        .await
        .expect("get");
    assert_eq!(refused.status(), 403);
    app.stop().await;
}

#[tokio::test]
async fn the_inventory_draws_charts_by_site_and_lists_units_expiring_soon_soonest_first() {
    let app = spawn(Database::Sqlite).await;
    let (_, units) = demo::donation(
        &app.app.ledger,
        "Chart",
        (Abo::A, RhD::Positive),
        Stop::Produced,
    )
    .await
    .expect("produced");
    let (browser, _) = app.browser("shipper").await;
    let html = browser
        .get(app.url("/inventory"))
        .send()
        .await
        .expect("inventory")
        .text()
        .await
        .expect("html");
    assert_eq!(html.matches("<svg class=\"chart\"").count(), 4, "{html}");
    assert!(html.contains("aria-label=\"Units by ABO/RhD\""));
    assert!(
        html.contains(&format!(">{}</text>", demo::SITE.0)),
        "units counted at the site production put them"
    );
    let name = app
        .app
        .ledger
        .read(|state| state.components[&units[0]].name.clone())
        .await
        .expect("read");
    assert!(
        html.contains(&format!(">{}</text>", name.replace('>', "&gt;"))),
        "the component chart names {name}"
    );

    // The query itself: the state as it is, with two units' expiries brought close.
    let now = time::OffsetDateTime::now_utc();
    let mut state = app.app.ledger.state().await.expect("state");
    assert!(hemaflow_web::routes::inventory::expiring_soon(&state, now).is_empty());
    state
        .components
        .get_mut(&units[0])
        .expect("unit")
        .expires_at = now + time::Duration::hours(30);
    state
        .components
        .get_mut(&units[1])
        .expect("unit")
        .expires_at = now + time::Duration::hours(3);
    let expiring = hemaflow_web::routes::inventory::expiring_soon(&state, now);
    let ids: Vec<&str> = expiring.iter().map(|u| u.id.as_str()).collect();
    assert_eq!(ids, [units[1].as_str(), units[0].as_str()], "soonest first");
    assert_eq!(expiring[0].hours_left, 3);
    state
        .components
        .get_mut(&units[1])
        .expect("unit")
        .expires_at = now - time::Duration::hours(1);
    let expiring = hemaflow_web::routes::inventory::expiring_soon(&state, now);
    assert_eq!(expiring.len(), 1, "an expired unit is not 'expiring soon'");
    app.stop().await;
}

/// The reports read through the index by carried time (`hemaflow_service::reports`) are the
/// full scan's, every kind on every day of the demo centre's story and the days around it,
/// on both stores; entries appended after a report are in the next one.
#[tokio::test]
async fn daily_reports_through_the_index_equal_the_full_scan_on_the_demo_centre() {
    let folder = tempfile::tempdir().expect("temporary folder");
    let url = format!("sqlite://{}", folder.path().join("reports.db").display());
    let ledger = hemaflow_service::open(&url).await.expect("sqlite");
    same_reports_as_the_scan(ledger).await;
    if let Some(url) = crate::helpers::postgres_url() {
        let schema = format!(
            "hemaflow_test_reports_{}_{}",
            std::process::id(),
            &hemaflow_web::auth::token::generate()[..8]
        );
        let store = PgStore::connect_in_schema(&url, &schema)
            .await
            .expect("schema");
        let ledger = Ledger::open(AnyStore::Postgres(store.clone()))
            .await
            .expect("postgres");
        same_reports_as_the_scan(ledger).await;
        store.drop_schema(&schema).await.expect("drop schema");
    }
}

const STORY_DAYS: u32 = 12;

const KINDS: [ReportKind; 4] = [
    ReportKind::Collections,
    ReportKind::Production,
    ReportKind::Shipments,
    ReportKind::Discards,
];

async fn same_reports_as_the_scan(ledger: hemaflow_service::BloodLedger) {
    let options = DemoOptions {
        days: STORY_DAYS,
        donors: 120,
        ..DemoOptions::new(time::macros::datetime!(2026-03-20 15:30 UTC))
    };
    seed(&ledger, &options).await.expect("the demo centre");
    let app = App::new(ledger, false);
    let offset = app
        .ledger
        .read(|state| state.config.labels.offset().unwrap_or(UtcOffset::UTC))
        .await
        .expect("offset");
    let last = options.now.to_offset(offset).date();
    let mut rows = [0usize; 4];
    for back in 0..i64::from(STORY_DAYS) + 3 {
        let day = last - time::Duration::days(back);
        for (index, kind) in KINDS.into_iter().enumerate() {
            let indexed = build(&app, kind, day, offset).await.expect("indexed");
            let scanned = build_by_scan(&app, kind, day, offset).await.expect("scan");
            assert_eq!(indexed, scanned, "{kind:?} on {day}");
            rows[index] += indexed.rows.len();
        }
    }
    assert!(rows.iter().all(|&n| n > 0), "rows per report {rows:?}");

    // A donation walked through the benches now: today's reports have it at once.
    let (din, _) = demo::donation(
        &app.ledger,
        "Afterwards",
        (Abo::B, RhD::Positive),
        Stop::Produced,
    )
    .await
    .expect("produced");
    // The collection's own day (just before midnight, it is not the day of the check).
    let today = app
        .ledger
        .read(|state| state.donations[&din].ended_at.to_offset(offset).date())
        .await
        .expect("read");
    for kind in KINDS {
        let indexed = build(&app, kind, today, offset).await.expect("indexed");
        let scanned = build_by_scan(&app, kind, today, offset)
            .await
            .expect("scan");
        assert_eq!(indexed, scanned, "{kind:?} today");
    }
    let collections = build(&app, ReportKind::Collections, today, offset)
        .await
        .expect("collections");
    assert!(collections.rows.iter().any(|row| row[1] == din));
}
