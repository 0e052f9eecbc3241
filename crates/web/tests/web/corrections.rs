//! Corrections through the pages: a haemoglobin typed wrongly at the desk corrected under the
//! screener's signature, the deferral it caused withdrawn and both values listed; a result
//! keyed into the wrong donation withdrawn by the technologist, its units held; an unsigned
//! or malformed correction refused with nothing written (CORR-ENTRY, CORR-REDECIDE).

use hemaflow_domain::lab::testing::{Abo, RhD};
use hemaflow_web::demo::{self, Stop};

use crate::helpers::{Database, PASSWORD, page, post_htmx as post, spawn};

#[tokio::test]
async fn corr_entry_the_screener_corrects_a_haemoglobin_and_the_deferral_is_withdrawn() {
    let app = spawn(Database::Sqlite).await;
    let (desk, csrf) = app.browser("collector").await;
    let (status, html) = post(
        &app,
        &desk,
        "/donors",
        &[
            ("csrf", csrf.as_str()),
            ("family_name", "Corrected"),
            ("given_name", "Robin"),
            ("date_of_birth", "1979-09-12"),
            ("sex", "female"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{html}");
    let donor = between(&html, "Donor registered: ", " ");
    let (status, html) = post(
        &app,
        &desk,
        "/collection/screening",
        &[
            ("csrf", csrf.as_str()),
            ("donor_id", donor.as_str()),
            ("temperature_c", "36.6"),
            ("systolic", "118"),
            ("diastolic", "76"),
            ("pulse", "70"),
            ("pulse_rhythm", "regular"),
            ("weight_kg", "68.5"),
            ("hemoglobin_g_dl", "11.0"),
            ("questionnaire_reviewed", "yes"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("deferred"), "{html}");
    let screening = between(&html, "/corrections?screening=", "\"");
    let opened = format!("/corrections?screening={screening}");

    let html = page(&app, &desk, &opened).await;
    assert!(
        html.contains("haemoglobin (g/dL)</th><td>11</td>"),
        "{html}"
    );
    assert!(html.contains("not accepted"), "{html}");

    // Unsigned, or with a value that is not a number: refused, nothing written.
    let before = app.entries().await.len();
    let mut form = vec![
        ("csrf", csrf.as_str()),
        ("screening_id", screening.as_str()),
        ("measurement", "hemoglobin_g_dl"),
        ("value", "13.6"),
        (
            "reason",
            "typed 11.0 for 13.6; the analyser printout reads 13.6",
        ),
    ];
    let (status, html) = post(&app, &desk, "/corrections/screening", &form).await;
    assert_eq!(status, 403, "{html}");
    assert!(html.contains("P11-SIGN"), "{html}");
    let mut malformed = form.clone();
    malformed[3] = ("value", "thirteen");
    malformed.push(("signature_user_id", "collector"));
    malformed.push(("password", PASSWORD));
    let (status, html) = post(&app, &desk, "/corrections/screening", &malformed).await;
    assert_eq!(status, 400, "{html}");
    assert!(html.contains("not a number"), "{html}");
    assert_eq!(app.entries().await.len(), before, "nothing recorded");

    form.push(("signature_user_id", "collector"));
    form.push(("password", PASSWORD));
    let (status, html) = post(&app, &desk, "/corrections/screening", &form).await;
    assert_eq!(status, 200, "{html}");
    assert!(
        html.contains("deferral DF-") && html.contains("withdrawn"),
        "{html}"
    );
    let types: Vec<String> = app.entries().await[before..]
        .iter()
        .map(|e| e.event_type.clone())
        .collect();
    assert_eq!(
        types,
        ["signed", "screening_corrected", "deferral_withdrawn"]
    );

    // Both values on the list of corrections, and the screening now passes.
    let html = page(&app, &desk, &opened).await;
    assert!(html.contains("<del>11</del></td><td>13.6</td>"), "{html}");
    assert!(
        html.contains(&format!("{screening} of donor {donor}")),
        "{html}"
    );
    assert!(!html.contains("not accepted"), "{html}");
    app.stop().await;
}

#[tokio::test]
async fn corr_redecide_a_result_keyed_into_the_wrong_donation_is_withdrawn_and_its_units_held() {
    let app = spawn(Database::Sqlite).await;
    let (din, units) = demo::donation(
        &app.app.ledger,
        "Wrongtube",
        (Abo::O, RhD::Positive),
        Stop::ReadyForRelease,
    )
    .await
    .expect("tested");
    let (lab, csrf) = app.browser("labtech").await;
    let html = page(&app, &lab, "/corrections").await;
    assert!(html.contains("Correct a test result"), "{html}");
    assert!(!html.contains("Correct a screening"), "{html}");

    // A row with a stage and no reading is refused before anything is decided.
    let before = app.entries().await.len();
    let mut form = vec![
        ("csrf", csrf.as_str()),
        ("din", din.as_str()),
        ("test", "anti_hiv_1_2"),
        (
            "reason",
            "the run sheet shows tube 14 was another donation's",
        ),
        ("signature_user_id", "labtech"),
        ("password", PASSWORD),
        ("stage_1", "initial"),
    ];
    let (status, html) = post(&app, &lab, "/corrections/result", &form).await;
    assert_eq!(status, 400, "{html}");
    assert!(html.contains("result 1 needs both"), "{html}");
    assert_eq!(app.entries().await.len(), before);

    form.pop();
    let (status, html) = post(&app, &lab, "/corrections/result", &form).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("hold H-"), "{html}");
    let held = app
        .app
        .ledger
        .read(|state| {
            let donation = &state.donations[&din];
            let corrected = donation.corrections.len();
            let statuses: Vec<_> = units.iter().map(|u| state.components[u].status).collect();
            (corrected, statuses)
        })
        .await
        .expect("read");
    assert_eq!(held.0, 1);
    assert!(
        held.1
            .iter()
            .all(|s| *s == hemaflow_domain::manufacturing::components::Status::Quarantined)
    );
    // The technologist does not correct screenings: refused at the door, nothing written.
    let before = app.entries().await.len();
    let (status, _) = post(
        &app,
        &lab,
        "/corrections/screening",
        &[("csrf", csrf.as_str()), ("screening_id", "S-000001")],
    )
    .await;
    assert_eq!(status, 403);
    assert_eq!(app.entries().await.len(), before);
    app.stop().await;
}

/// The text of `html` after `start` up to `end`.
fn between(html: &str, start: &str, end: &str) -> String {
    let from = html.find(start).expect(start) + start.len();
    html[from..].split(end).next().expect(end).to_owned()
}
