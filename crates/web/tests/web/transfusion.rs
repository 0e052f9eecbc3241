//! The transfusion service's bench and the bedside through their forms, as a technologist
//! and a nurse of Mercy give them: a patient from registration to a transfusion ended, the
//! unit's story on its page; a wrong patient's wristband refused next to the field with the
//! rule and nothing changed; a DIN scanned into the patient field refused by TX-PATIENT.

use hemaflow_domain::Rule;
use hemaflow_domain::lab::testing::{Abo, RhD};
use hemaflow_service::ledger::EntryKind;
use hemaflow_web::demo;
use time::macros::date;

use crate::helpers::{Database, TestApp, post_htmx as post, spawn};

pub const TECH: &str = "bloodbank";
pub const NURSE: &str = "nurse";

async fn get(app: &TestApp, client: &reqwest::Client, path: &str) -> (u16, String) {
    let response = client.get(app.url(path)).send().await.expect("get");
    let status = response.status().as_u16();
    (status, response.text().await.expect("html"))
}

/// A red cell unit of a new donation of `group`, released and delivered to Mercy's
/// transfusion service (received by its technologist): its ID.
pub async fn delivered_red_cells(app: &TestApp, family: &str, group: (Abo, RhD)) -> String {
    let units = crate::supply::released_units(app, family, group).await;
    let rbc = crate::supply::red_cells(app, &units).await;
    demo::deliver_to_transfusion_service(
        &app.app.ledger,
        &format!("ORD-{family}"),
        std::slice::from_ref(&rbc),
    )
    .await
    .expect("delivered");
    rbc
}

/// The unit's two barcodes as a scanner reads them.
fn barcodes(unit: &str) -> (String, String) {
    let (din, code) = unit.split_once('-').expect("DIN-productcode");
    (format!("={din}00"), format!("=<{code}"))
}

/// An hour ago in the service's local time, as a `datetime-local` field takes it.
async fn an_hour_ago(app: &TestApp) -> String {
    let minutes = app
        .app
        .ledger
        .read(|s| s.config.labels.utc_offset_minutes)
        .await
        .expect("read");
    let offset = time::UtcOffset::from_whole_seconds(minutes * 60).expect("offset");
    let at = (time::OffsetDateTime::now_utc() - time::Duration::hours(1)).to_offset(offset);
    format!("{}T{:02}:{:02}", at.date(), at.hour(), at.minute())
}

const VITALS: [(&str, &str); 4] = [
    ("temperature_c", "36.8"),
    ("pulse", "78"),
    ("systolic", "124"),
    ("diastolic", "78"),
];

#[tokio::test]
async fn dist_receipt_the_technologist_scans_a_shipped_unit_in_at_the_bench() {
    let app = spawn(Database::Sqlite).await;
    let units = crate::supply::released_units(&app, "Receipt", (Abo::O, RhD::Negative)).await;
    let rbc = crate::supply::red_cells(&app, &units).await;
    let shipment =
        demo::ship_to_transfusion_service(&app.app.ledger, "ORD-R", std::slice::from_ref(&rbc))
            .await
            .expect("shipped");
    let (din, code) = barcodes(&rbc);
    let (tech, csrf) = app.browser(TECH).await;
    // Not yet received: not in the service's hands, so it cannot be retyped.
    let retype = [
        ("csrf", csrf.as_str()),
        ("din", din.as_str()),
        ("product_code", code.as_str()),
        ("abo", "O"),
        ("rhd", "negative"),
    ];
    let (status, html) = post(&app, &tech, "/transfusion/retype", &retype).await;
    assert_eq!(status, 422, "{html}");
    assert!(html.contains("scan it in on receipt"), "{html}");
    let receipt = [
        ("csrf", csrf.as_str()),
        ("din", din.as_str()),
        ("product_code", code.as_str()),
    ];
    let (status, html) = post(&app, &tech, "/transfusion/receive", &receipt).await;
    assert_eq!(status, 200, "{html}");
    assert!(
        html.contains(&format!("received from shipment {shipment}")),
        "{html}"
    );
    let (status, html) = post(&app, &tech, "/transfusion/retype", &retype).await;
    assert_eq!(status, 200, "{html}");
    // A second scan-in is refused by the domain (the unit is received already).
    let (status, html) = post(&app, &tech, "/transfusion/receive", &receipt).await;
    assert_eq!(status, 422, "{html}");
    // St Luke's technologist finds no shipment of this unit to St Luke's.
    let (other, other_csrf) = app.browser("bloodbank2").await;
    let (status, html) = post(
        &app,
        &other,
        "/transfusion/receive",
        &[
            ("csrf", other_csrf.as_str()),
            ("din", din.as_str()),
            ("product_code", code.as_str()),
        ],
    )
    .await;
    assert_eq!(status, 422, "{html}");
    assert!(html.contains(Rule::DistReceipt.as_str()), "{html}");
    app.stop().await;
}

#[tokio::test]
async fn a_patient_is_registered_typed_and_screened_and_a_retyped_unit_crossmatched_issued_and_transfused_through_the_forms()
 {
    let app = spawn(Database::Sqlite).await;
    let rbc = delivered_red_cells(&app, "Bench", (Abo::O, RhD::Positive)).await;
    let (din, code) = barcodes(&rbc);
    let band = demo::wristband("1001", date!(1970 - 05 - 01));
    let (tech, csrf) = app.browser(TECH).await;

    // The home page leads to the bench.
    let (_, home) = get(&app, &tech, "/").await;
    assert!(home.contains("href=\"/transfusion\""), "{home}");

    let (status, html) = post(
        &app,
        &tech,
        "/transfusion/patients",
        &[
            ("csrf", &csrf),
            ("wristband", &band),
            ("mrn", "MRN-1001"),
            ("family_name", "Okonjo"),
            ("given_name", "Ada"),
            ("sex", "female"),
            ("recent_history", "neither"),
            ("historical_abo", "A"),
            ("historical_rhd", "positive"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("Okonjo, Ada registered"), "{html}");
    assert!(
        html.contains("/transfusion/patients/mercy/01/1001"),
        "{html}"
    );
    // The look-up field finds the patient by the wristband scan.
    let found = tech
        .get(app.url("/transfusion/lookup"))
        .query(&[("wristband", band.as_str())])
        .header("hx-request", "true")
        .send()
        .await
        .expect("look-up");
    assert_eq!(found.status(), 200);
    let found = found.text().await.expect("html");
    assert!(
        found.contains("href=\"/transfusion/patients/mercy/01/1001\"")
            && found.contains("Okonjo, Ada"),
        "{found}"
    );
    let page = tech
        .get(app.url("/transfusion/lookup"))
        .query(&[("wristband", band.as_str())])
        .send()
        .await
        .expect("look-up");
    assert_eq!(
        page.status(),
        303,
        "a plain form goes to the patient's page"
    );

    let drawn_at = an_hour_ago(&app).await;
    for (path, form, answer) in [
        (
            "/transfusion/samples",
            vec![
                ("sample_id", "S-1"),
                ("wristband", band.as_str()),
                ("drawn_at", drawn_at.as_str()),
                ("drawn_by", "RN Lee"),
            ],
            "sample S-1 received; valid through",
        ),
        (
            "/transfusion/samples/type",
            vec![("sample_id", "S-1"), ("abo", "A"), ("rhd", "positive")],
            "sample S-1 typed A pos",
        ),
        (
            "/transfusion/samples/screen",
            vec![("sample_id", "S-1"), ("screen", "negative")],
            "sample S-1 screened negative",
        ),
        (
            "/transfusion/retype",
            vec![
                ("din", din.as_str()),
                ("product_code", code.as_str()),
                ("abo", "O"),
                ("rhd", "positive"),
            ],
            "retyped O: agrees with its label",
        ),
    ] {
        let mut form = form;
        form.push(("csrf", &csrf));
        let (status, html) = post(&app, &tech, path, &form).await;
        assert_eq!(status, 200, "{path}: {html}");
        assert!(html.contains(answer), "{path}: {html}");
    }

    // The bench: the sample and the unit in stock, retyped.
    let (status, bench) = get(&app, &tech, "/transfusion").await;
    assert_eq!(status, 200);
    assert!(bench.contains("typed A pos, screened: negative"), "{bench}");
    assert!(
        bench.contains(&rbc) && bench.contains("retyped O"),
        "{bench}"
    );
    // The patient's page offers the unit as suiting the patient on sample S-1.
    let (_, page) = get(&app, &tech, "/transfusion/patients/mercy/01/1001").await;
    let offered = page
        .split_once("Units in stock that suit this patient")
        .map(|(_, rest)| rest)
        .unwrap_or_default();
    assert!(
        offered.contains("On sample S-1") && offered.contains(&rbc),
        "{page}"
    );

    // Electronic crossmatch by default; the unit named by its ID in the DIN field.
    let (status, html) = post(
        &app,
        &tech,
        "/transfusion/crossmatch",
        &[
            ("csrf", &csrf),
            ("wristband", &band),
            ("sample_id", "S-1"),
            ("din", &rbc),
            ("product_code", ""),
        ],
    )
    .await;
    assert_eq!(status, 200, "{html}");
    assert!(
        html.contains("crossmatched (electronic) for Okonjo, Ada: compatible, reserved until"),
        "{html}"
    );
    let (_, bench) = get(&app, &tech, "/transfusion").await;
    assert!(bench.contains("Okonjo, Ada until"), "reserved: {bench}");

    let (status, html) = post(
        &app,
        &tech,
        "/transfusion/issue",
        &[
            ("csrf", &csrf),
            ("to", "RN Lee"),
            ("din", &din),
            ("product_code", &code),
            ("wristband", &band),
        ],
    )
    .await;
    assert_eq!(status, 200, "{html}");
    assert!(
        html.contains(&format!("{rbc} issued to Okonjo, Ada")),
        "{html}"
    );

    // The bedside: the nurse's check and start, then the end.
    let (nurse, nurse_csrf) = app.browser(NURSE).await;
    let (_, home) = get(&app, &nurse, "/").await;
    assert!(home.contains("href=\"/bedside\""), "{home}");
    let mut start = vec![
        ("csrf", nurse_csrf.as_str()),
        ("wristband", band.as_str()),
        ("din", din.as_str()),
        ("product_code", code.as_str()),
    ];
    start.extend(VITALS);
    let (status, html) = post(&app, &nurse, "/bedside/start", &start).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("bedside check passed"), "{html}");
    let (_, bedside) = get(&app, &nurse, "/bedside").await;
    assert!(bedside.contains("transfusing"), "{bedside}");
    let mut end = vec![
        ("csrf", nurse_csrf.as_str()),
        ("din", rbc.as_str()),
        ("volume_ml", "300"),
    ];
    end.extend(VITALS);
    let (status, html) = post(&app, &nurse, "/bedside/end", &end).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("300 mL transfused"), "{html}");

    // The patient's page.
    let (status, page) = get(&app, &tech, "/transfusion/patients/mercy/01/1001").await;
    assert_eq!(status, 200, "{page}");
    for expected in [
        "Okonjo, Ada",
        "A pos, confirmed",
        "the historical record",
        "sample S-1",
        "crossmatched (electronic) on sample S-1",
        "issued at",
        "transfusion started",
        "300 mL",
    ] {
        assert!(page.contains(expected), "{expected}: {page}");
    }
    let state = app
        .app
        .ledger
        .read(|s| s.transfusion.units[&rbc].clone())
        .await
        .expect("read");
    assert!(state.is_gone(), "transfused");

    // The unit's story reads from the donor to the patient.
    let (quality, _) = app.browser("quality").await;
    let unit_din = rbc.split_once('-').expect("id").0;
    let (status, story) = get(&app, &quality, &format!("/units/{unit_din}")).await;
    assert_eq!(status, 200);
    for expected in [
        "donor_registered",
        "received from shipment",
        &format!("{rbc} retyped at mercy"),
        &format!("{rbc} crossmatched (electronic) for patient mercy:01/1001"),
        &format!("{rbc} issued to patient mercy:01/1001"),
        &format!("transfusion of {rbc} to patient mercy:01/1001 started"),
        "ended by nurse: 300 mL",
    ] {
        assert!(story.contains(expected), "{expected}: {story}");
    }
    // A technologist of Mercy sees the unit and its own steps from collection to the patient,
    // never the donor's record; one of St Luke's is told it is not on record.
    let (status, own) = get(&app, &tech, &format!("/units/{unit_din}")).await;
    assert_eq!(status, 200);
    for expected in [
        "donation collected",
        "component_released",
        &format!("{rbc} issued to patient mercy:01/1001"),
        "ended by nurse: 300 mL",
    ] {
        assert!(own.contains(expected), "{expected}: {own}");
    }
    for hidden in ["donor_registered", "screening_recorded", "<details>"] {
        assert!(!own.contains(hidden), "{hidden} shown to a hospital: {own}");
    }
    let (other, _) = app.browser("bloodbank2").await;
    let (status, _) = get(&app, &other, &format!("/units/{unit_din}")).await;
    assert_eq!(status, 404);
    let (status, _) = get(&app, &other, "/transfusion/patients/mercy/01/1001").await;
    assert_eq!(status, 404);
    app.stop().await;
}

#[tokio::test]
async fn tx_wrong_patient_a_unit_for_one_patient_is_refused_for_another_next_to_the_field_and_nothing_changes()
 {
    let app = spawn(Database::Sqlite).await;
    let ledger = &app.app.ledger;
    let rbc = delivered_red_cells(&app, "Wrong", (Abo::O, RhD::Positive)).await;
    let (din, code) = barcodes(&rbc);
    let first = demo::eligible_patient(ledger, "1001", "First", "S-1", (Abo::A, RhD::Positive))
        .await
        .expect("first patient");
    let second = demo::eligible_patient(ledger, "2002", "Second", "S-2", (Abo::O, RhD::Positive))
        .await
        .expect("second patient");
    demo::retype(ledger, &rbc).await.expect("retyped");
    demo::transfusion(
        ledger,
        hemaflow_domain::Role::TransfusionTechnologist,
        hemaflow_domain::TransfusionCommand::CrossmatchUnit {
            sample_id: "S-1".into(),
            wristband: first.clone(),
            component: rbc.clone(),
            method: hemaflow_domain::transfusion::units::XmMethod::Electronic,
            compatible: None,
            rhd_approved_by: None,
        },
    )
    .await
    .expect("crossmatched for the first");

    let (tech, csrf) = app.browser(TECH).await;
    let before = ledger.read(|s| s.transfusion.clone()).await.expect("read");
    let (status, html) = post(
        &app,
        &tech,
        "/transfusion/issue",
        &[
            ("csrf", &csrf),
            ("to", "RN Lee"),
            ("din", &din),
            ("product_code", &code),
            ("wristband", &second),
        ],
    )
    .await;
    assert_eq!(status, 422, "{html}");
    assert!(
        html.contains("class=\"refusal stop\""),
        "shown loud: {html}"
    );
    assert!(html.contains(Rule::TxWrongPatient.as_str()), "{html}");
    assert!(
        html.contains("First"),
        "names the patient it is for: {html}"
    );
    let after = ledger.read(|s| s.transfusion.clone()).await.expect("read");
    assert_eq!(after, before, "the refusal changed nothing");
    let last = app.entries().await.pop().expect("an entry");
    assert_eq!(last.kind, EntryKind::Refusal);
    assert_eq!(last.event_type, Rule::TxWrongPatient.as_str());
    // The issue page puts the answer right under the wristband field.
    let (_, bench) = get(&app, &tech, "/transfusion").await;
    let field = bench.find("id=\"issue-band\"").expect("the field");
    let answer = bench.find("id=\"issue-answer\"").expect("the answer");
    assert!(answer > field && answer - field < 200, "next to the field");

    // Issued to the first; at the bedside the second's wristband is refused with STOP.
    let (status, html) = post(
        &app,
        &tech,
        "/transfusion/issue",
        &[
            ("csrf", &csrf),
            ("to", "RN Lee"),
            ("din", &rbc),
            ("wristband", &first),
        ],
    )
    .await;
    assert_eq!(status, 200, "{html}");
    let (nurse, nurse_csrf) = app.browser(NURSE).await;
    let before = ledger.read(|s| s.transfusion.clone()).await.expect("read");
    let mut start = vec![
        ("csrf", nurse_csrf.as_str()),
        ("wristband", second.as_str()),
        ("din", din.as_str()),
        ("product_code", code.as_str()),
    ];
    start.extend(VITALS);
    let (status, html) = post(&app, &nurse, "/bedside/start", &start).await;
    assert_eq!(status, 422, "{html}");
    assert!(
        html.contains("class=\"refusal stop\""),
        "shown loud: {html}"
    );
    assert!(html.contains("STOP"), "{html}");
    assert!(html.contains(Rule::TxWrongPatient.as_str()), "{html}");
    let after = ledger.read(|s| s.transfusion.clone()).await.expect("read");
    assert_eq!(after, before, "the refusal changed nothing");
    app.stop().await;
}

#[tokio::test]
async fn tx_patient_a_din_scanned_into_the_patient_field_is_refused_and_recorded() {
    let app = spawn(Database::Sqlite).await;
    let (tech, csrf) = app.browser(TECH).await;
    let din_scan = "=W12342612345600";
    let (status, html) = post(
        &app,
        &tech,
        "/transfusion/patients",
        &[
            ("csrf", &csrf),
            ("wristband", din_scan),
            ("mrn", "MRN-9"),
            ("family_name", "Doe"),
            ("given_name", "Jo"),
            ("sex", "unknown"),
            ("recent_history", "unknown"),
        ],
    )
    .await;
    assert_eq!(status, 422, "{html}");
    assert!(html.contains(Rule::TxPatient.as_str()), "{html}");
    assert!(html.contains("donation number (DIN)"), "{html}");
    let last = app.entries().await.pop().expect("an entry");
    assert_eq!(last.kind, EntryKind::Refusal);
    assert_eq!(last.event_type, Rule::TxPatient.as_str());
    let patients = app
        .app
        .ledger
        .read(|s| s.transfusion.patients.len())
        .await
        .expect("read");
    assert_eq!(patients, 0);
    // The look-up field says the same.
    let response = tech
        .get(app.url(&format!(
            "/transfusion/lookup?wristband={}",
            "%3DW12342612345600"
        )))
        .header("hx-request", "true")
        .send()
        .await
        .expect("get");
    assert_eq!(response.status(), 422);
    let html = response.text().await.expect("html");
    assert!(html.contains(Rule::TxPatient.as_str()), "{html}");
    app.stop().await;
}

/// The local time now, as a `datetime-local` field takes it.
async fn now_local(app: &TestApp) -> String {
    let minutes = app
        .app
        .ledger
        .read(|s| s.config.labels.utc_offset_minutes)
        .await
        .expect("read");
    let offset = time::UtcOffset::from_whole_seconds(minutes * 60).expect("offset");
    let at = time::OffsetDateTime::now_utc().to_offset(offset);
    format!("{}T{:02}:{:02}", at.date(), at.hour(), at.minute())
}

#[tokio::test]
async fn emerg_release_the_list_says_what_is_missing_until_signed_and_a_reaction_is_reported_at_the_bedside()
 {
    let app = spawn(Database::Sqlite).await;
    let ledger = &app.app.ledger;
    let rbc = delivered_red_cells(&app, "Emergency", (Abo::O, RhD::Negative)).await;
    demo::retype(ledger, &rbc).await.expect("retyped");
    let (tech, csrf) = app.browser(TECH).await;
    // A patient of unknown group: registered only.
    let band = demo::wristband("3003", date!(1990 - 02 - 11));
    let (status, html) = post(
        &app,
        &tech,
        "/transfusion/patients",
        &[
            ("csrf", &csrf),
            ("wristband", &band),
            ("mrn", "MRN-3003"),
            ("family_name", "Trauma"),
            ("given_name", "Unknown"),
            ("sex", "unknown"),
            ("recent_history", "unknown"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{html}");
    let (din, code) = barcodes(&rbc);
    let units = format!("{din}\n{code}\n");
    let (status, html) = post(
        &app,
        &tech,
        "/transfusion/emergency",
        &[
            ("csrf", &csrf),
            ("wristband", &band),
            ("units", &units),
            ("physician", "Dr Grey"),
            ("reason", "haemorrhage in the emergency department"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("issued uncrossmatched"), "{html}");
    let release_id = ledger
        .read(|s| s.transfusion.emergencies.keys().next().cloned())
        .await
        .expect("read")
        .expect("a release");
    let (_, bench) = get(&app, &tech, "/transfusion").await;
    assert!(
        bench.contains("the physician&#39;s signature (Dr Grey)"),
        "{bench}"
    );
    assert!(
        bench.contains(&format!("the crossmatch of {rbc}")),
        "{bench}"
    );

    // QA sees it waiting, and cannot close it before the physician has signed.
    let (quality, quality_csrf) = app.browser("quality").await;
    let (status, list) = get(&app, &quality, "/quality/emergency-releases").await;
    assert_eq!(status, 200);
    assert!(
        list.contains(&release_id) && list.contains("Mercy"),
        "{list}"
    );
    let review = [
        ("csrf", quality_csrf.as_str()),
        ("release_id", release_id.as_str()),
        (
            "note",
            "justified: exsanguinating haemorrhage, O negative given",
        ),
    ];
    let (status, html) = post(
        &app,
        &quality,
        "/quality/emergency-releases/review",
        &review,
    )
    .await;
    assert_eq!(status, 422, "{html}");
    assert!(html.contains(Rule::EmergRelease.as_str()), "{html}");

    let signed_at = now_local(&app).await;
    let (status, html) = post(
        &app,
        &tech,
        "/transfusion/emergency/sign",
        &[
            ("csrf", &csrf),
            ("release_id", &release_id),
            ("physician", "Dr Grey"),
            ("signed_at", &signed_at),
        ],
    )
    .await;
    assert_eq!(status, 200, "{html}");
    let (_, bench) = get(&app, &tech, "/transfusion").await;
    assert!(!bench.contains("signature (Dr Grey)"), "signed: {bench}");
    let (status, html) = post(
        &app,
        &quality,
        "/quality/emergency-releases/review",
        &review,
    )
    .await;
    assert_eq!(status, 200, "{html}");
    let (_, list) = get(&app, &quality, "/quality/emergency-releases").await;
    assert!(!list.contains(&release_id), "reviewed: {list}");
    assert!(
        bench.contains(&format!("the crossmatch of {rbc}")),
        "{bench}"
    );

    // At the bedside: started, then a reaction with its NHSN words.
    let (nurse, nurse_csrf) = app.browser(NURSE).await;
    let (_, bedside) = get(&app, &nurse, "/bedside").await;
    assert!(
        bedside.contains("febrile non-hemolytic transfusion reaction"),
        "the categories in words"
    );
    assert!(bedside.contains("life threatening") && bedside.contains("not determined"));
    let mut start = vec![
        ("csrf", nurse_csrf.as_str()),
        ("wristband", band.as_str()),
        ("din", rbc.as_str()),
    ];
    start.extend(VITALS);
    let (status, html) = post(&app, &nurse, "/bedside/start", &start).await;
    assert_eq!(status, 200, "{html}");
    let (status, html) = post(
        &app,
        &nurse,
        "/bedside/reaction",
        &[
            ("csrf", &nurse_csrf),
            ("din", &rbc),
            ("category", "febrile_non_hemolytic"),
            ("severity", "non_severe"),
            ("imputability", "probable"),
            ("description", "temperature up 1.2 °C, chills"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{html}");
    assert!(
        html.contains("febrile non-hemolytic transfusion reaction, non severe"),
        "{html}"
    );
    let (_, page) = get(&app, &tech, "/transfusion/patients/mercy/01/3003").await;
    assert!(page.contains("imputability probable"), "{page}");
    assert!(page.contains("under emergency release"), "{page}");
    app.stop().await;
}

#[tokio::test]
async fn a_nurse_issues_from_the_remote_fridge_the_bench_returns_the_unit_the_nurse_wastes_it_and_the_second_person_is_asked_where_required()
 {
    let app = spawn(Database::Sqlite).await;
    let ledger = &app.app.ledger;
    let rbc = delivered_red_cells(&app, "Returned", (Abo::O, RhD::Positive)).await;
    demo::retype(ledger, &rbc).await.expect("retyped");
    let band = demo::eligible_patient(ledger, "1001", "Fridge", "S-1", (Abo::A, RhD::Positive))
        .await
        .expect("a patient");
    let (din, code) = barcodes(&rbc);
    let (nurse, csrf) = app.browser(NURSE).await;
    let (status, page) = get(&app, &nurse, "/bedside/remote?fridge=ICU%20fridge").await;
    assert_eq!(status, 200);
    assert!(page.contains("value=\"ICU fridge\""), "{page}");
    let (status, html) = post(
        &app,
        &nurse,
        "/bedside/remote",
        &[
            ("csrf", &csrf),
            ("fridge", "ICU fridge"),
            ("wristband", &band),
            ("din", &din),
            ("product_code", &code),
        ],
    )
    .await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("issued to Fridge, Sam"), "{html}");
    assert!(
        html.contains("taken by Nell Nurse, from remote fridge ICU fridge"),
        "{html}"
    );
    // Not hung: the unit goes back to the blood bank, whose technologist returns it to stock.
    let (tech, tech_csrf) = app.browser(TECH).await;
    let (status, html) = post(
        &app,
        &tech,
        "/transfusion/return",
        &[
            ("csrf", &tech_csrf),
            ("din", &rbc),
            ("minutes_out", "12"),
            ("kept_at_c", "4"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("returned to the service's stock"), "{html}");
    let (status, html) = post(
        &app,
        &nurse,
        "/bedside/waste",
        &[("csrf", &csrf), ("din", &rbc), ("reason", "bag punctured")],
    )
    .await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("recorded as wasted"), "{html}");
    let gone = ledger
        .read(|s| s.transfusion.units[&rbc].is_gone())
        .await
        .expect("read");
    assert!(gone);

    // Where the hospital requires a second person at the bedside, the start asks for the badge.
    let (_, bedside) = get(&app, &nurse, "/bedside").await;
    assert!(
        !bedside.contains("name=\"second_checker\""),
        "not required by default"
    );
    let admin = app.token("admin").await;
    let (status, body, _) = app
        .command(
            &admin,
            serde_json::json!({"command": {"type": "configure_transfusion_service", "hospital": "mercy",
                "settings": {"sample_days_otherwise": 3, "electronic_crossmatch": true,
                    "second_person_at_bedside": true, "return_minutes": 30,
                    "return_min_c": "1", "return_max_c": "10",
                    "mtp_pack": [{"family": "red_cells", "quantity": 6}]}}}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (_, bedside) = get(&app, &nurse, "/bedside").await;
    assert!(bedside.contains("name=\"second_checker\""), "{bedside}");
    app.stop().await;
}

#[tokio::test]
async fn tx_type_a_discrepancy_is_resolved_and_a_unit_antigen_typed_through_the_bench() {
    use hemaflow_domain::TransfusionCommand as Tx;
    use hemaflow_domain::access::roles::Role;
    let app = spawn(Database::Sqlite).await;
    let ledger = &app.app.ledger;
    let rbc = delivered_red_cells(&app, "Antigen", (Abo::O, RhD::Positive)).await;
    // On record as A+; a new sample types B+.
    let band = demo::eligible_patient(ledger, "3003", "Quist", "S-30", (Abo::A, RhD::Positive))
        .await
        .expect("patient");
    for command in [
        Tx::ReceiveSample {
            sample_id: "S-31".into(),
            wristband: band.clone(),
            drawn_at: app.app.now() - time::Duration::minutes(20),
            drawn_by: "RN Lee".into(),
        },
        Tx::TypeSample {
            sample_id: "S-31".into(),
            abo: Abo::B,
            rhd: RhD::Positive,
        },
    ] {
        demo::transfusion(ledger, Role::TransfusionTechnologist, command)
            .await
            .expect("recorded");
    }
    let (tech, csrf) = app.browser(TECH).await;
    let (din, code) = barcodes(&rbc);
    let form = [
        ("csrf", csrf.as_str()),
        ("din", din.as_str()),
        ("product_code", code.as_str()),
        ("antigen", "K"),
        ("result", "negative"),
    ];
    let (status, html) = post(&app, &tech, "/transfusion/antigen", &form).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("typed K-negative"), "{html}");
    let resolve = [
        ("csrf", csrf.as_str()),
        ("sample_id", "S-31"),
        ("wrong", "sample"),
        (
            "reason",
            "wrong blood in tube: labelled at the wrong bedside",
        ),
    ];
    let (status, html) = post(&app, &tech, "/transfusion/discrepancy", &resolve).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("S-31 set aside"), "{html}");
    // Resolved once only: a second resolution is refused by the domain and recorded.
    let (status, html) = post(&app, &tech, "/transfusion/discrepancy", &resolve).await;
    assert_eq!(status, 422, "{html}");
    assert!(html.contains(Rule::TxType.as_str()), "{html}");
    let (negative, group) = ledger
        .read(move |s| {
            let negative = s.transfusion.units[&rbc]
                .antigens
                .get(&hemaflow_domain::transfusion::patients::Antigen::K)
                .copied();
            let group = s
                .transfusion
                .patients
                .values()
                .find(|p| p.mrn.contains("3003"))
                .and_then(|p| p.group());
            (negative, group)
        })
        .await
        .expect("read");
    assert_eq!(negative, Some(true));
    assert_eq!(group, Some((Abo::A, RhD::Positive)));
    app.stop().await;
}

#[tokio::test]
async fn tx_mtp_a_protocol_is_activated_issues_a_round_of_the_pack_and_is_stood_down() {
    use hemaflow_domain::TransfusionCommand as Tx;
    use hemaflow_domain::access::roles::Role;
    use hemaflow_domain::transfusion::patients::{PatientSex, RecentHistory};
    use hemaflow_domain::transfusion::settings::{PackLine, ServiceSettings};
    let app = spawn(Database::Sqlite).await;
    let ledger = &app.app.ledger;
    demo::transfusion(
        ledger,
        Role::Admin,
        Tx::ConfigureTransfusionService {
            hospital: "mercy".into(),
            settings: ServiceSettings {
                mtp_pack: vec![PackLine {
                    family: hemaflow_domain::manufacturing::components::Family::RedCells,
                    quantity: 1,
                }],
                ..ServiceSettings::default()
            },
        },
    )
    .await
    .expect("configured");
    let rbc = delivered_red_cells(&app, "Mtp", (Abo::O, RhD::Negative)).await;
    demo::retype(ledger, &rbc).await.expect("retyped");
    let band = demo::wristband("9009", date!(1990 - 02 - 02));
    demo::transfusion(
        ledger,
        Role::TransfusionTechnologist,
        Tx::RegisterPatient {
            wristband: band.clone(),
            mrn: "MRN-9009".into(),
            family_name: "Trauma".into(),
            given_name: "Bravo".into(),
            sex: PatientSex::Unknown,
            born: None,
            recent_history: RecentHistory::Unknown,
            historical_group: None,
            known_antibodies: vec![],
            requirements: vec![],
        },
    )
    .await
    .expect("registered");
    let (tech, csrf) = app.browser(TECH).await;
    let (status, html) = post(
        &app,
        &tech,
        "/transfusion/mtp",
        &[
            ("csrf", &csrf),
            ("wristband", &band),
            ("physician", "Dr Chen"),
            ("reason", "massive haemorrhage in theatre"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{html}");
    let id = ledger
        .read(|s| s.transfusion.emergencies.keys().next().cloned())
        .await
        .expect("read")
        .expect("a protocol");
    let (_, bench) = get(&app, &tech, "/transfusion").await;
    assert!(bench.contains("0 round(s), 0 units, ACTIVE"), "{bench}");
    let (din, code) = barcodes(&rbc);
    let units = format!("{din}\n{code}\n");
    let (status, html) = post(
        &app,
        &tech,
        "/transfusion/mtp/round",
        &[("csrf", &csrf), ("release_id", &id), ("units", &units)],
    )
    .await;
    assert_eq!(status, 200, "{html}");
    let (_, bench) = get(&app, &tech, "/transfusion").await;
    assert!(bench.contains("1 round(s), 1 units, ACTIVE"), "{bench}");
    let (status, html) = post(
        &app,
        &tech,
        "/transfusion/mtp/stand-down",
        &[
            ("csrf", &csrf),
            ("release_id", &id),
            ("note", "bleeding controlled"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{html}");
    // No more rounds once stood down.
    let (status, html) = post(
        &app,
        &tech,
        "/transfusion/mtp/round",
        &[("csrf", &csrf), ("release_id", &id), ("units", &units)],
    )
    .await;
    assert_eq!(status, 422, "{html}");
    assert!(html.contains(Rule::TxMtp.as_str()), "{html}");
    app.stop().await;
}

#[tokio::test]
async fn tx_patient_the_api_finds_a_patient_by_wristband_scan_with_the_units_that_suit() {
    let app = spawn(Database::Sqlite).await;
    let rbc = delivered_red_cells(&app, "Api", (Abo::O, RhD::Positive)).await;
    demo::retype(&app.app.ledger, &rbc).await.expect("retyped");
    let band = demo::eligible_patient(
        &app.app.ledger,
        "4004",
        "Api",
        "S-40",
        (Abo::A, RhD::Positive),
    )
    .await
    .expect("patient");
    let token = app.token(TECH).await;
    let get = |scan: String| {
        let url = app.url("/api/patients");
        let token = token.clone();
        async move {
            let response = reqwest::Client::new()
                .get(url)
                .query(&[("wristband", scan)])
                .bearer_auth(token)
                .send()
                .await
                .expect("get");
            let status = response.status().as_u16();
            (
                status,
                response.json::<serde_json::Value>().await.expect("json"),
            )
        }
    };
    let (status, body) = get(band).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["group_confirmed"], true, "{body}");
    assert_eq!(body["suitable"]["sample"], "S-40", "{body}");
    let offered = body["suitable"]["units"].as_array().expect("units");
    assert!(
        offered.iter().any(|u| u["component"] == rbc.as_str()),
        "{body}"
    );
    // A unit's DIN in the patient field is refused by name.
    let din = rbc.split_once('-').expect("id").0;
    let (status, body) = get(format!("={din}00")).await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body.to_string().contains(Rule::TxPatient.as_str()),
        "{body}"
    );
    app.stop().await;
}
