//! The quality bench: holds and ABO/RhD resolution, with no lost updates.

use hemaflow_domain::lab::testing::{Abo, RhD};
use hemaflow_web::demo::{self, Stop};
use serde_json::{Value, json};

use crate::helpers::{Database, TestApp, seen_of, spawn};

async fn post(
    client: &reqwest::Client,
    app: &TestApp,
    path: &str,
    form: &[(&str, &str)],
) -> (u16, String) {
    let response = client
        .post(app.url(path))
        .header("hx-request", "true")
        .form(form)
        .send()
        .await
        .expect("post");
    let status = response.status().as_u16();
    (status, response.text().await.expect("html"))
}

async fn quality_page(app: &TestApp, client: &reqwest::Client) -> String {
    client
        .get(app.url("/quality"))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("html")
}

#[tokio::test]
async fn a_hold_placed_on_the_bench_is_refused_409_when_released_from_an_old_page() {
    let app = spawn(Database::Sqlite).await;
    let (din, _) = demo::donation(
        &app.app.ledger,
        "Held",
        (Abo::B, RhD::Negative),
        Stop::ReadyForRelease,
    )
    .await
    .expect("ready");
    let (quality, csrf) = app.browser("quality").await;
    let seen = seen_of(&quality_page(&app, &quality).await);
    let scan = format!("={din}00");
    let (status, html) = post(
        &quality,
        &app,
        "/quality/holds",
        &[
            ("csrf", &csrf),
            ("seen", &seen),
            ("din", &scan),
            ("kind", "investigation"),
            ("reason", "donor called back"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{html}");
    let page = quality_page(&app, &quality).await;
    assert!(page.contains(&format!("donation {din}")), "{page}");
    let hold_id = app
        .app
        .ledger
        .read(|s| s.holds.keys().next().cloned())
        .await
        .expect("read")
        .expect("a hold");
    let old_seen = seen_of(&page);

    // Another QA client (an API token) releases the hold first.
    let admin = app.token("admin").await;
    let issued: Value = reqwest::Client::new()
        .post(app.url("/api/tokens"))
        .bearer_auth(&admin)
        .json(&json!({"name": "QA system", "role": "quality_assurance"}))
        .send()
        .await
        .expect("issue")
        .json()
        .await
        .expect("json");
    let machine = issued["token"].as_str().expect("secret");
    let release = json!({"command": {"type": "release_hold", "hold_id": hold_id, "reason": "call-back clear"}});
    let (status, body, _) = app.command(machine, release).await;
    assert_eq!(status, 200, "{body}");

    let before = app.all_entries().await.len();
    let (status, html) = post(
        &quality,
        &app,
        "/quality/holds/release",
        &[
            ("csrf", &csrf),
            ("seen", &old_seen),
            ("hold_id", &hold_id),
            ("reason", "investigated"),
        ],
    )
    .await;
    assert_eq!(status, 409, "{html}");
    assert!(
        html.contains("changed by API token QA system at") && html.contains("look again"),
        "{html}"
    );
    assert_eq!(app.all_entries().await.len(), before, "nothing written");
    app.stop().await;
}

#[tokio::test]
async fn test_abo_twice_a_resolution_needs_a_discrepancy_and_a_blood_group_scan() {
    let app = spawn(Database::Sqlite).await;
    let (din, _) = demo::donation(
        &app.app.ledger,
        "Typed",
        (Abo::A, RhD::Positive),
        Stop::Produced,
    )
    .await
    .expect("produced");
    let (quality, csrf) = app.browser("quality").await;
    let seen = seen_of(&quality_page(&app, &quality).await);
    let scan = format!("={din}00");
    let before = app.entries().await.len();
    let (status, html) = post(
        &quality,
        &app,
        "/quality/resolve",
        &[
            ("csrf", &csrf),
            ("seen", &seen),
            ("din", &scan),
            ("blood_group", &scan),
            ("reason", "retyped"),
        ],
    )
    .await;
    assert_eq!(status, 400, "{html}");
    assert!(html.contains("is not a blood group"), "{html}");
    assert_eq!(
        app.entries().await.len(),
        before,
        "a bad scan records nothing"
    );
    let (status, html) = post(
        &quality,
        &app,
        "/quality/resolve",
        &[
            ("csrf", &csrf),
            ("seen", &seen),
            ("din", &scan),
            (
                "blood_group",
                hemaflow_web::scan::blood_group_scan(Abo::A, RhD::Positive),
            ),
            ("reason", "retyped"),
        ],
    )
    .await;
    assert_eq!(status, 422, "{html}");
    assert!(html.contains("TEST-ABO-TWICE"), "{html}");
    let entries = app.entries().await;
    assert_eq!(entries.len(), before + 1, "only the refusal");
    assert_eq!(entries[before].event_type, "TEST-ABO-TWICE");
    app.stop().await;
}
