//! The production bench's modification pages: scan-first, refusals next to the form, nothing
//! half-saved, no lost updates.

use hemaflow_domain::lab::testing::{Abo, RhD};
use hemaflow_web::demo::{self, Stop};

use crate::helpers::{Database, TestApp, seen_of, spawn};

/// A unit ID as its two barcodes: (DIN scan, product code scan).
fn scans_of(unit: &str) -> (String, String) {
    let (din, code) = unit.split_once('-').expect("DIN-product code");
    (format!("={din}00"), format!("=<{code}"))
}

struct Bench {
    client: reqwest::Client,
    csrf: String,
    seen: String,
}

async fn bench(app: &TestApp) -> Bench {
    let (client, csrf) = app.browser("maker").await;
    let page = client
        .get(app.url("/production"))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    for form in [
        "/production/modify",
        "/production/divide",
        "/production/pool",
        "/production/bacterial-control",
    ] {
        assert!(page.contains(&format!("hx-post=\"{form}\"")), "{form}");
    }
    Bench {
        client,
        csrf,
        seen: seen_of(&page),
    }
}

impl Bench {
    async fn post(&self, app: &TestApp, path: &str, fields: &[(&str, &str)]) -> (u16, String) {
        let mut form = vec![("csrf", self.csrf.as_str()), ("seen", self.seen.as_str())];
        form.extend_from_slice(fields);
        let response = self
            .client
            .post(app.url(path))
            .header("hx-request", "true")
            .form(&form)
            .send()
            .await
            .expect("post");
        let status = response.status().as_u16();
        (status, response.text().await.expect("html"))
    }

    /// Reads the page again: what a user does after "look again".
    async fn reload(&mut self, app: &TestApp) {
        *self = bench(app).await;
    }
}

async fn produced(app: &TestApp, name: &str) -> Vec<String> {
    demo::donation(
        &app.app.ledger,
        name,
        (Abo::A, RhD::Positive),
        Stop::Produced,
    )
    .await
    .expect("produced")
    .1
}

#[tokio::test]
async fn mod_allowed_irradiation_from_the_bench_makes_a_new_unit_and_an_old_page_gets_409() {
    let app = spawn(Database::Sqlite).await;
    let units = produced(&app, "Irradiate").await;
    let red_cells = units.iter().find(|u| u.contains("-D2")).expect("red cells");
    let (din, code) = scans_of(red_cells);
    let mut bench = bench(&app).await;
    let fields = [
        ("modification", "irradiated"),
        ("din", din.as_str()),
        ("product_code", code.as_str()),
    ];
    let (status, html) = bench.post(&app, "/production/modify", &fields).await;
    assert_eq!(status, 200, "{html}");
    assert!(
        html.contains("Irradiated") && html.contains("quarantined"),
        "{html}"
    );
    let irradiated = app
        .app
        .ledger
        .read(|s| {
            s.components
                .values()
                .filter(|c| c.parents.contains(red_cells))
                .count()
        })
        .await
        .expect("read");
    assert_eq!(irradiated, 1);

    // The same page, another form: the unit changed since the page was read.
    let before = app.entries().await.len();
    let leukoreduce = [
        ("modification", "leukoreduced"),
        ("din", din.as_str()),
        ("product_code", code.as_str()),
    ];
    let (status, html) = bench.post(&app, "/production/modify", &leukoreduce).await;
    assert_eq!(status, 409, "{html}");
    assert!(
        html.contains("changed by Manu Maker at") && html.contains("look again"),
        "{html}"
    );
    assert_eq!(app.entries().await.len(), before, "nothing written");

    // Looked again: the domain now refuses it (the unit was processed), recording the refusal.
    bench.reload(&app).await;
    let (status, html) = bench.post(&app, "/production/modify", &leukoreduce).await;
    assert_eq!(status, 422, "{html}");
    assert!(html.contains("class=\"refusal\""), "{html}");
    let entries = app.entries().await;
    assert_eq!(entries.len(), before + 1, "only the refusal");
    assert_eq!(
        entries.last().expect("entry").kind,
        hemaflow_service::ledger::EntryKind::Refusal
    );
    app.stop().await;
}

#[tokio::test]
async fn malformed_scans_and_choices_on_the_modification_forms_are_refused_and_change_nothing() {
    let app = spawn(Database::Sqlite).await;
    let units = produced(&app, "Malformed").await;
    let (din, code) = scans_of(&units[0]);
    let bench = bench(&app).await;
    let before = app.all_entries().await.len();
    for (path, fields, expected) in [
        (
            "/production/modify",
            vec![
                ("modification", "irradiated"),
                ("din", code.as_str()),
                ("product_code", code.as_str()),
            ],
            "not a DIN",
        ),
        (
            "/production/modify",
            vec![
                ("modification", "irradiated"),
                ("din", din.as_str()),
                ("product_code", din.as_str()),
            ],
            "not a product code",
        ),
        (
            "/production/modify",
            vec![
                ("modification", "gilded"),
                ("din", din.as_str()),
                ("product_code", code.as_str()),
            ],
            "not a modification",
        ),
        (
            "/production/divide",
            vec![
                ("parts", "two"),
                ("din", din.as_str()),
                ("product_code", code.as_str()),
            ],
            "not a number",
        ),
        (
            "/production/pool",
            vec![("pool_din", din.as_str()), ("scans", din.as_str())],
            "each unit takes two",
        ),
    ] {
        let (status, html) = bench.post(&app, path, &fields).await;
        assert_eq!(status, 400, "{path} {html}");
        assert!(html.contains(expected), "{path}: {html}");
    }
    let no_seen = bench
        .client
        .post(app.url("/production/divide"))
        .form(&[
            ("csrf", bench.csrf.as_str()),
            ("parts", "2"),
            ("din", din.as_str()),
            ("product_code", code.as_str()),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(
        no_seen.status(),
        400,
        "a change without the version it was made from"
    );
    assert_eq!(app.all_entries().await.len(), before, "nothing recorded");
    app.stop().await;
}

#[tokio::test]
async fn mod_split_a_unit_is_divided_into_parts_and_a_fifth_part_is_refused() {
    let app = spawn(Database::Sqlite).await;
    let units = produced(&app, "Divide").await;
    let plasma = units.iter().find(|u| u.contains("-D4")).expect("plasma");
    let (din, code) = scans_of(plasma);
    let bench = bench(&app).await;
    let too_many = [
        ("parts", "5"),
        ("din", din.as_str()),
        ("product_code", code.as_str()),
    ];
    let (status, html) = bench.post(&app, "/production/divide", &too_many).await;
    assert_eq!(status, 422, "{html}");
    assert!(html.contains("MOD-SPLIT"), "{html}");
    let mut bench = bench;
    bench.reload(&app).await;
    let two = [
        ("parts", "2"),
        ("din", din.as_str()),
        ("product_code", code.as_str()),
    ];
    let (status, html) = bench.post(&app, "/production/divide", &two).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("A0") && html.contains("B0"), "{html}");
    app.stop().await;
}

/// Platelets from two whole-blood donations: bacterial control on one, then a pool of both.
#[tokio::test]
async fn test_bact_and_mod_pool_platelets_get_a_control_step_and_are_pooled_from_scans() {
    let app = spawn(Database::Sqlite).await;
    let mut platelets = Vec::new();
    for name in ["Poolone", "Pooltwo"] {
        let (din, _) = demo::donation(
            &app.app.ledger,
            name,
            (Abo::O, RhD::Positive),
            Stop::Collected,
        )
        .await
        .expect("collected");
        let (maker, csrf) = app.browser("maker").await;
        let response = maker
            .post(app.url("/production"))
            .form(&[
                ("csrf", csrf.as_str()),
                ("recipe", "rbc_ffp_platelets"),
                ("din", &format!("={din}00")),
            ])
            .send()
            .await
            .expect("produce");
        assert_eq!(
            response.status(),
            200,
            "{}",
            response.text().await.unwrap_or_default()
        );
        let unit = app
            .app
            .ledger
            .read(|s| {
                s.components
                    .keys()
                    .find(|id| id.starts_with(&din) && id.contains("-D6"))
                    .cloned()
            })
            .await
            .expect("read")
            .expect("platelets");
        platelets.push(unit);
    }
    let mut bench = bench(&app).await;
    let (din, code) = scans_of(&platelets[0]);
    let unknown = [
        ("method", "prayer"),
        ("din", din.as_str()),
        ("product_code", code.as_str()),
    ];
    let (status, html) = bench
        .post(&app, "/production/bacterial-control", &unknown)
        .await;
    assert_eq!(status, 422, "{html}");
    assert!(html.contains("TEST-BACT"), "{html}");
    bench.reload(&app).await;
    let control = [
        ("method", "lvds_48h"),
        ("din", din.as_str()),
        ("product_code", code.as_str()),
    ];
    let (status, html) = bench
        .post(&app, "/production/bacterial-control", &control)
        .await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("lvds_48h recorded"), "{html}");

    bench.reload(&app).await;
    let scans: String = platelets
        .iter()
        .map(|unit| {
            let (din, code) = scans_of(unit);
            format!("{din}\n{code}\n")
        })
        .collect();
    let pool_din = "=W12342690000100";
    let pool = [
        ("pool_din", pool_din),
        ("scans", scans.as_str()),
        ("closed_system", "yes"),
    ];
    let (status, html) = bench.post(&app, "/production/pool", &pool).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("2 units pooled as W123426900001"), "{html}");
    let report =
        hemaflow_service::ledger::verify::<hemaflow_service::Blood, _>(app.app.ledger.store())
            .await
            .expect("verify");
    assert!(report.is_ok(), "{report}");
    app.stop().await;
}
