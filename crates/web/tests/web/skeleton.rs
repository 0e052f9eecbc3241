//! The walking skeleton through the pages' forms, as the benches give them: a donor from the
//! desk to a released unit in inventory; and a deferred donor refused at collection.

use hemaflow_domain::donor_centre::collection::next_din;

use crate::helpers::{Database, TestApp, post_htmx as post, spawn};

fn between<'a>(html: &'a str, start: &str, end: &str) -> &'a str {
    let from = html
        .find(start)
        .map(|i| i + start.len())
        .expect("start marker");
    let to = html[from..]
        .find(end)
        .map(|i| from + i)
        .expect("end marker");
    &html[from..to]
}

async fn new_din(app: &TestApp) -> String {
    let year = (time::OffsetDateTime::now_utc().year() % 100) as u8;
    app.app
        .ledger
        .read(|state| next_din(state, year).map(|d| d.as_str().to_owned()))
        .await
        .expect("read")
        .expect("a DIN")
}

/// Registers and screens a donor at the desk; the donor ID and the screening answer.
async fn register_and_screen(
    app: &TestApp,
    family: &str,
    hemoglobin: &str,
) -> (String, (u16, String)) {
    let (desk, csrf) = app.browser("collector").await;
    let (status, html) = post(
        app,
        &desk,
        "/donors",
        &[
            ("csrf", &csrf),
            ("family_name", family),
            ("given_name", "Sam"),
            ("date_of_birth", "1980-04-02"),
            ("sex", "female"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{html}");
    let donor = between(&html, "Donor registered: ", " ").to_owned();
    let screening = post(
        app,
        &desk,
        "/collection/screening",
        &[
            ("csrf", &csrf),
            ("donor_id", &donor),
            ("temperature_c", "36.6"),
            ("systolic", "118"),
            ("diastolic", "76"),
            ("pulse", "70"),
            ("pulse_rhythm", "regular"),
            ("weight_kg", "68.5"),
            ("hemoglobin_g_dl", hemoglobin),
            ("questionnaire_reviewed", "yes"),
        ],
    )
    .await;
    (donor, screening)
}

#[tokio::test]
async fn a_donor_walks_from_the_desk_to_a_released_unit_in_inventory_through_the_pages() {
    let app = spawn(Database::Sqlite).await;
    let (donor, (status, html)) = register_and_screen(&app, "Walker", "13.4").await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("accepted"), "{html}");
    let screening = between(&html, "name=\"screening_id\" value=\"", "\"").to_owned();
    let (desk, csrf) = app.browser("collector").await;
    let din = new_din(&app).await;
    let scanned = format!("={din}00");
    let (status, html) = post(
        &app,
        &desk,
        "/collection/donation",
        &[
            ("csrf", &csrf),
            ("donor_id", &donor),
            ("screening_id", &screening),
            ("din", &scanned),
            ("volume_ml", "480"),
            ("minutes", "9"),
            ("reaction", "none"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{html}");

    let (lab, csrf) = app.browser("labtech").await;
    let form = lab
        .get(app.url("/testing/lookup"))
        .query(&[("scan", scanned.as_str())])
        .header("hx-request", "true")
        .send()
        .await
        .expect("lookup")
        .text()
        .await
        .expect("html");
    let mut readings: Vec<(String, String)> = vec![
        ("csrf".into(), csrf.clone()),
        ("din".into(), din.clone()),
        ("what".into(), "markers".into()),
    ];
    for part in form.split("name=\"reading:").skip(1).step_by(2) {
        let test = part.split('"').next().expect("test name");
        readings.push(("marker".into(), test.to_owned()));
        readings.push((format!("reading:{test}"), "nonreactive".into()));
    }
    assert!(readings.len() > 5, "the ordered panel is listed");
    let borrowed: Vec<(&str, &str)> = readings
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let (status, html) = post(&app, &lab, "/testing", &borrowed).await;
    assert_eq!(status, 200, "{html}");
    for _ in 0..2 {
        let (status, html) = post(
            &app,
            &lab,
            "/testing",
            &[
                ("csrf", &csrf),
                ("din", &din),
                ("what", "group"),
                ("group_scan", "=%6200"),
            ],
        )
        .await;
        assert_eq!(status, 200, "{html}");
    }
    let (status, html) = post(
        &app,
        &lab,
        "/testing",
        &[
            ("csrf", &csrf),
            ("din", &din),
            ("what", "antibody"),
            ("antibody", "negative"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{html}");

    let (maker, csrf) = app.browser("maker").await;
    let (status, html) = post(
        &app,
        &maker,
        "/production",
        &[("csrf", &csrf), ("din", &scanned), ("recipe", "rbc_ffp")],
    )
    .await;
    assert_eq!(status, 200, "{html}");
    let unit = format!("{din}-D2000V00");
    // The label as applied: the DIN as it was scanned at collection, then the other barcodes
    // the domain expects of the unit's label.
    let rest: String = app
        .app
        .ledger
        .read(|state| {
            let component = &state.components[&unit];
            hemaflow_domain::manufacturing::label::expected_structures(state, component)
                .expect("a typed unit has a label")
                .iter()
                .skip(1)
                .map(|structure| format!("{}\n", structure.encode()))
                .collect()
        })
        .await
        .expect("read");
    let scans = format!("{scanned}\n{rest}");
    let (status, html) = post(
        &app,
        &maker,
        "/labels",
        &[("csrf", &csrf), ("scans", &scans)],
    )
    .await;
    assert_eq!(status, 200, "{html}");

    let (quality, csrf) = app.browser("quality").await;
    let queue = quality
        .get(app.url("/release"))
        .send()
        .await
        .expect("queue")
        .text()
        .await
        .expect("html");
    let seen = crate::helpers::seen_of(&queue);
    let (status, html) = post(
        &app,
        &quality,
        &format!("/release/{unit}"),
        &[
            ("csrf", &csrf),
            ("signature_user_id", "quality"),
            ("password", crate::helpers::PASSWORD),
            ("seen", &seen),
        ],
    )
    .await;
    assert_eq!(status, 200, "{html}");
    let inventory = quality
        .get(app.url("/inventory"))
        .send()
        .await
        .expect("get")
        .text()
        .await
        .expect("html");
    assert!(
        inventory.contains("available") && inventory.contains("A pos"),
        "{inventory}"
    );
    app.stop().await;
}

#[tokio::test]
async fn elig_deferred_a_donor_deferred_at_screening_is_refused_at_collection() {
    let app = spawn(Database::Sqlite).await;
    let (donor, (status, html)) = register_and_screen(&app, "Lowhb", "11.0").await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("deferred"), "{html}");
    assert!(
        !html.contains("name=\"screening_id\""),
        "no collection form for a deferred donor"
    );
    let screening = app
        .app
        .ledger
        .read(|s| {
            s.screenings
                .values()
                .find(|x| x.donor_id == donor)
                .map(|x| x.id.clone())
        })
        .await
        .expect("read")
        .expect("a screening");
    let (desk, csrf) = app.browser("collector").await;
    let din = new_din(&app).await;
    let before = app.entries().await.len();
    let (status, html) = post(
        &app,
        &desk,
        "/collection/donation",
        &[
            ("csrf", &csrf),
            ("donor_id", &donor),
            ("screening_id", &screening),
            ("din", &format!("={din}00")),
            ("volume_ml", "480"),
            ("minutes", "9"),
            ("reaction", "none"),
        ],
    )
    .await;
    assert_eq!(status, 422, "{html}");
    assert!(html.contains("class=\"refusal\""), "{html}");
    let entries = app.entries().await;
    assert_eq!(entries.len(), before + 1, "only the refusal is recorded");
    assert_eq!(
        entries[before].kind,
        hemaflow_service::ledger::EntryKind::Refusal
    );
    assert!(
        app.app
            .ledger
            .read(|s| s.donations.is_empty())
            .await
            .expect("read")
    );
    app.stop().await;
}

#[tokio::test]
async fn p11_sign_a_deferral_is_removed_only_with_the_signature_of_quality_assurance() {
    let app = spawn(Database::Sqlite).await;
    let (donor, _) = register_and_screen(&app, "Requal", "13.5").await;
    // An indefinite deferral (a temporary one ends by itself, DEF-KINDS).
    let token = app.token("quality").await;
    let defer = serde_json::json!({"command": {"type": "defer_donor", "donor_id": donor, "reason": "etretinate", "starts": null, "notes": "questionnaire"}});
    let (status, body, _) = app.command(&token, defer).await;
    assert_eq!(status, 200, "{body}");
    let deferral = app
        .app
        .ledger
        .read(|s| {
            s.deferrals
                .values()
                .find(|d| d.donor_id == donor)
                .map(|d| d.id.clone())
        })
        .await
        .expect("read")
        .expect("deferred");
    let (quality, csrf) = app.browser("quality").await;
    let page = quality
        .get(app.url("/donors"))
        .query(&[("name", "Requal")])
        .send()
        .await
        .expect("search")
        .text()
        .await
        .expect("html");
    assert!(
        page.contains(&format!("Remove deferral {deferral}")),
        "{page}"
    );
    let seen = crate::helpers::seen_of(&page);
    let before = app.entries().await.len();
    let (status, html) = post(
        &app,
        &quality,
        "/donors/requalify",
        &[
            ("csrf", &csrf),
            ("deferral_id", &deferral),
            ("reason", "retested"),
            ("signature_user_id", "quality"),
            ("password", "not my password"),
            ("seen", &seen),
        ],
    )
    .await;
    assert_eq!(status, 403, "{html}");
    assert_eq!(app.entries().await.len(), before, "nothing recorded");
    let (status, html) = post(
        &app,
        &quality,
        "/donors/requalify",
        &[
            ("csrf", &csrf),
            ("deferral_id", &deferral),
            ("reason", "retested"),
            ("signature_user_id", "quality"),
            ("password", crate::helpers::PASSWORD),
            ("seen", &seen),
        ],
    )
    .await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("deferral removed by Quinn Quality"), "{html}");
    let entries = app.entries().await;
    assert_eq!(entries[before].event_type, "signed");
    assert_eq!(entries[before + 1].event_type, "donor_requalified");
    app.stop().await;
}
