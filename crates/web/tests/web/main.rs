//! Black-box tests of the server: each starts the real server on a random port with a fresh
//! database and talks HTTP to it, as a browser (cookies, CSRF tokens, forms) or as a machine
//! client (bearer token, JSON, problem details).

mod corrections;
mod fhir;
mod forms;
mod helpers;
mod lookback;
mod matrix;
mod metrics;
mod openapi;
mod production;
mod quality;
mod reasons;
mod reports;
mod security;
mod server;
mod skeleton;
mod supply;
mod tidy;
mod transfusion;
mod units;

use hemaflow_domain::lab::testing::{Abo, RhD};
use hemaflow_service::ledger::EntryKind;
use hemaflow_web::demo::{self, Stop};
use hemaflow_web::scan::blood_group_scan;
use serde_json::json;

use helpers::{Database, TestApp, browser_client, postgres_url, spawn};

#[tokio::test]
async fn p11_access_sign_in_opens_a_session_with_a_strict_http_only_cookie() {
    let app = spawn(Database::Sqlite).await;
    let client = browser_client();
    let response = app.sign_in(&client, "quality", helpers::PASSWORD).await;
    assert_eq!(response.status(), 303);
    let cookie = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("hemaflow_session="))
        .expect("a session cookie")
        .to_owned();
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Strict"), "{cookie}");
    let home = client.get(app.url("/")).send().await.expect("home");
    assert_eq!(home.status(), 200);
    assert!(home.text().await.expect("html").contains("Quinn Quality"));
    let anonymous = browser_client()
        .get(app.url("/release"))
        .send()
        .await
        .expect("get");
    assert_eq!(
        anonymous.status(),
        303,
        "an anonymous browser goes to the sign-in page"
    );
    app.stop().await;
}

#[tokio::test]
async fn p11_access_a_form_without_its_csrf_token_is_refused_and_changes_nothing() {
    let app = spawn(Database::Sqlite).await;
    let (client, csrf) = app.browser("admin").await;
    let before = app.entries().await.len();
    let form = [
        ("user_id", "forged.user"),
        ("name", "Forged"),
        ("role", "admin"),
        ("password", "long enough password"),
    ];
    let forged = client
        .post(app.url("/admin/users"))
        .form(&form)
        .send()
        .await
        .expect("post");
    assert_eq!(forged.status(), 403);
    assert!(
        forged
            .text()
            .await
            .expect("html")
            .contains("security token")
    );
    let mut wrong = form.to_vec();
    wrong.push((
        "csrf",
        "0000000000000000000000000000000000000000000000000000000000000000",
    ));
    let forged = client
        .post(app.url("/admin/users"))
        .form(&wrong)
        .send()
        .await
        .expect("post");
    assert_eq!(forged.status(), 403);
    assert_eq!(app.entries().await.len(), before, "nothing recorded");
    let mut right = form.to_vec();
    right.push(("csrf", csrf.as_str()));
    let accepted = client
        .post(app.url("/admin/users"))
        .form(&right)
        .send()
        .await
        .expect("post");
    assert_eq!(accepted.status(), 303);
    assert_eq!(
        app.entries().await.len(),
        before + 2,
        "account and password recorded"
    );
    app.stop().await;
}

#[tokio::test]
async fn p11_access_a_wrong_role_is_refused_with_problem_details() {
    let app = spawn(Database::Sqlite).await;
    let collector = app.token("collector").await;
    let response = reqwest::Client::new()
        .get(app.url("/api/release-queue"))
        .bearer_auth(&collector)
        .send()
        .await
        .expect("get");
    assert_eq!(response.status(), 403);
    assert_eq!(
        response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/problem+json")
    );
    let problem: serde_json::Value = response.json().await.expect("json");
    assert_eq!(problem["rule"], "P11-ACCESS");
    assert_eq!(problem["status"], 403);
    assert!(
        problem["type"]
            .as_str()
            .is_some_and(|t| t.ends_with("P11-ACCESS"))
    );
    assert!(problem["title"].is_string() && problem["detail"].is_string());

    // A command given in the wrong role is refused by the domain and the attempt recorded.
    let before = app.entries().await.len();
    let (status, problem, content_type) = app
        .command(&collector, json!({"command": {"type": "create_user", "user_id": "sneaky", "name": "S", "role": "admin", "hospital": null}}))
        .await;
    assert_eq!(
        (status, content_type.as_str()),
        (403, "application/problem+json")
    );
    assert_eq!(problem["rule"], "P11-ACCESS");
    let entries = app.entries().await;
    assert_eq!(entries.len(), before + 1);
    assert_eq!(entries[before].kind, EntryKind::Refusal);
    app.stop().await;
}

#[tokio::test]
async fn p11_access_the_fifth_wrong_password_locks_the_account_and_the_admin_sees_it() {
    let app = spawn(Database::Sqlite).await;
    let client = browser_client();
    for attempt in 1..=5 {
        let response = app.sign_in(&client, "labtech", "not the password").await;
        let expected = if attempt < 5 { 401 } else { 423 };
        assert_eq!(response.status(), expected, "attempt {attempt}");
    }
    let locked = app.sign_in(&client, "labtech", helpers::PASSWORD).await;
    assert_eq!(
        locked.status(),
        423,
        "the right password is refused while locked"
    );
    assert!(locked.text().await.expect("html").contains("locked"));
    let api = reqwest::Client::new()
        .post(app.url("/api/session"))
        .json(&json!({"user_id": "labtech", "password": helpers::PASSWORD}))
        .send()
        .await
        .expect("post");
    assert_eq!(api.status(), 423);
    let (admin, _) = app.browser("admin").await;
    let page = admin
        .get(app.url("/admin/users"))
        .send()
        .await
        .expect("get");
    let html = page.text().await.expect("html");
    assert!(
        html.contains("labtech") && html.contains("locked out"),
        "failures listed"
    );
    // P11-AUDIT: every attempt is on the ledger with its outcome, never the password.
    let attempts: Vec<_> = app
        .all_entries()
        .await
        .into_iter()
        .filter(|e| e.event_type == "sign_in_recorded" && e.payload.contains("\"labtech\""))
        .collect();
    let outcomes: Vec<&str> = attempts
        .iter()
        .map(|e| {
            ["\"succeeded\"", "\"failed\"", "\"locked\""]
                .into_iter()
                .find(|o| e.payload.contains(o))
                .expect("an outcome")
        })
        .collect();
    // Four failures, the fifth that locks, then the right password twice while locked.
    let mut expected = vec!["\"failed\""; 4];
    expected.extend(["\"locked\""; 3]);
    assert_eq!(outcomes, expected);
    assert!(
        attempts
            .iter()
            .all(|e| !e.payload.contains(helpers::PASSWORD)
                && !e.payload.contains("not the password"))
    );
    app.stop().await;
}

/// The scans of a unit's correct label: the structures the domain expects of it.
async fn label_scans(app: &TestApp, unit: &str) -> String {
    app.app
        .ledger
        .read(|state| {
            let component = &state.components[unit];
            hemaflow_domain::manufacturing::label::expected_structures(state, component)
                .expect("a typed unit has a label")
                .iter()
                .map(|structure| format!("{}\n", structure.encode()))
                .collect::<String>()
        })
        .await
        .expect("read")
}

async fn release_story(app: &TestApp) {
    let (_, units) = demo::donation(
        &app.app.ledger,
        "Story",
        (Abo::O, RhD::Negative),
        Stop::Produced,
    )
    .await
    .expect("a produced donation");
    let unit = units[0].clone();
    let quality = app.token("quality").await;
    let release = json!({"type": "release_component", "component": unit});

    // P11-SIGN: no signature, or a wrong password: refused, nothing appended.
    let before = app.entries().await.len();
    let (status, problem, _) = app.command(&quality, json!({"command": release})).await;
    assert_eq!((status, problem["rule"].as_str()), (403, Some("P11-SIGN")));
    let (status, problem, _) = app
        .command(
            &quality,
            json!({"command": release, "signature_user_id": "quality", "signature_password": "wrong password!"}),
        )
        .await;
    assert_eq!((status, problem["rule"].as_str()), (403, Some("P11-SIGN")));
    assert_eq!(
        app.entries().await.len(),
        before,
        "a refused signature records nothing but the failed attempt"
    );
    let attempt = app.all_entries().await.pop().expect("an entry");
    assert_eq!(attempt.event_type, "sign_in_recorded");
    assert!(
        attempt.payload.contains("\"signature\"") && attempt.payload.contains("\"failed\""),
        "{}",
        attempt.payload
    );

    // REL-GATE: the label is not verified; the blocking reason comes back, only the refusal
    // is recorded.
    let (status, problem, content_type) = app
        .command(
            &quality,
            json!({"command": release, "signature_user_id": "quality", "signature_password": helpers::PASSWORD}),
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(content_type, "application/problem+json");
    assert_eq!(problem["rule"], "REL-GATE");
    assert!(
        problem["detail"]
            .as_str()
            .is_some_and(|d| d.contains("label")),
        "{problem}"
    );
    let entries = app.entries().await;
    assert_eq!(entries.len(), before + 1, "only the refusal");
    assert_eq!(entries[before].kind, EntryKind::Refusal);
    assert_eq!(entries[before].event_type, "REL-GATE");
    let queue: serde_json::Value = reqwest::Client::new()
        .get(app.url("/api/release-queue"))
        .bearer_auth(&quality)
        .send()
        .await
        .expect("queue")
        .json()
        .await
        .expect("json");
    let line = queue["units"]
        .as_array()
        .and_then(|units| units.iter().find(|u| u["id"] == unit.as_str()))
        .expect("the unit is in the queue");
    assert!(
        line["blockers"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("label"))
    );

    // The label is scanned at the labels bench (manufacturing) and matches.
    let (maker, csrf) = app.browser("maker").await;
    let mut wrong_scans = label_scans(app, &unit).await;
    wrong_scans = wrong_scans.replace(
        blood_group_scan(Abo::O, RhD::Negative),
        blood_group_scan(Abo::A, RhD::Positive),
    );
    let mismatch = maker
        .post(app.url("/labels"))
        .header("hx-request", "true")
        .form(&[("csrf", csrf.as_str()), ("scans", wrong_scans.as_str())])
        .send()
        .await
        .expect("verify");
    assert_eq!(
        mismatch.status(),
        422,
        "a label with the wrong group is refused"
    );
    let entries = app.entries().await;
    let kept = entries.last().expect("entries");
    assert_eq!(kept.kind, EntryKind::Refusal, "the refused scan is kept");
    assert_eq!(kept.event_type, "LABEL-VERIFY");
    let wrong_group = blood_group_scan(Abo::A, RhD::Positive);
    assert!(kept.payload.contains(wrong_group), "{}", kept.payload);
    let scans = label_scans(app, &unit).await;
    let verified = maker
        .post(app.url("/labels"))
        .header("hx-request", "true")
        .form(&[("csrf", csrf.as_str()), ("scans", scans.as_str())])
        .send()
        .await
        .expect("verify");
    assert_eq!(
        verified.status(),
        200,
        "{}",
        verified.text().await.unwrap_or_default()
    );

    // Now the signed release is accepted; the signature is in the ledger before the release.
    let (status, body, _) = app
        .command(
            &quality,
            json!({"command": release, "signature_user_id": "quality", "signature_password": helpers::PASSWORD}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let entries = app.entries().await;
    let signed = entries
        .iter()
        .rev()
        .find(|e| e.event_type == "signed")
        .expect("a signature entry");
    assert!(
        signed
            .payload
            .contains("\"printed_name\":\"Quinn Quality\""),
        "{}",
        signed.payload
    );
    assert!(signed.payload.contains("\"meaning\":\"released by\""));
    assert!(signed.payload.contains("\"signed_at\":"));
    let last = entries.last().expect("entries");
    assert_eq!(last.event_type, "component_released");
    assert_eq!(
        last.sequence,
        signed.sequence + 1,
        "signature and release in one batch"
    );

    // Invariant 5: the ledger the server wrote (accounts, screenings with decimals, refusals,
    // signatures) verifies: every hash, the replay, the command records, the projection rows.
    let store = app.app.ledger.store();
    let report = hemaflow_service::ledger::verify::<hemaflow_service::Blood, _>(store)
        .await
        .expect("verify");
    assert!(report.is_ok(), "{report}");
}

#[tokio::test]
async fn rel_gate_release_is_refused_with_its_reasons_then_accepted_signed_on_sqlite() {
    let app = spawn(Database::Sqlite).await;
    release_story(&app).await;
    app.stop().await;
}

#[tokio::test]
async fn rel_gate_release_is_refused_with_its_reasons_then_accepted_signed_on_postgres() {
    let Some(url) = postgres_url() else { return };
    let app = spawn(Database::Postgres(url)).await;
    release_story(&app).await;
    app.stop().await;
}

#[tokio::test]
async fn p11_sign_the_release_page_signs_with_the_password_and_shows_the_signature() {
    let app = spawn(Database::Sqlite).await;
    let (_, units) = demo::donation(
        &app.app.ledger,
        "Page",
        (Abo::A, RhD::Positive),
        Stop::ReadyForRelease,
    )
    .await
    .expect("ready");
    let (browser, csrf) = app.browser("quality").await;
    let queue = browser
        .get(app.url("/release"))
        .send()
        .await
        .expect("queue")
        .text()
        .await
        .expect("html");
    assert!(queue.contains(&units[0]));
    // What can be done now first: the ready units counted; a blocked unit's reasons once
    // each, without the DIN its heading names.
    assert!(
        queue.contains(&format!("{} ready to release", units.len())),
        "{queue}"
    );
    let (blocked_din, _) = demo::donation(
        &app.app.ledger,
        "Waiting",
        (Abo::B, RhD::Positive),
        Stop::Produced,
    )
    .await
    .expect("produced");
    let queue = browser
        .get(app.url("/release"))
        .send()
        .await
        .expect("queue")
        .text()
        .await
        .expect("html");
    assert!(queue.contains("blocked: "), "{queue}");
    assert!(queue.contains("2 blocked: 2 by REL-GATE"), "{queue}");
    assert!(queue.contains(&blocked_din), "{queue}");
    let seen = helpers::seen_of(&queue);
    let path = format!("/release/{}", units[0]);
    let refused = browser
        .post(app.url(&path))
        .header("hx-request", "true")
        .form(&[("csrf", csrf.as_str()), ("password", ""), ("seen", &seen)])
        .send()
        .await
        .expect("post");
    assert_eq!(refused.status(), 403);
    assert!(refused.text().await.expect("html").contains("P11-SIGN"));
    let released = browser
        .post(app.url(&path))
        .header("hx-request", "true")
        .form(&[
            ("csrf", csrf.as_str()),
            ("signature_user_id", "quality"),
            ("password", helpers::PASSWORD),
            ("seen", &seen),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(released.status(), 200);
    let html = released.text().await.expect("html");
    assert!(html.contains("released by Quinn Quality"), "{html}");
    app.stop().await;
}

#[tokio::test]
async fn a_scanned_din_answers_with_the_unit_and_a_product_code_in_the_din_field_is_refused() {
    let app = spawn(Database::Sqlite).await;
    let (din, _) = demo::donation(
        &app.app.ledger,
        "Scan",
        (Abo::B, RhD::Positive),
        Stop::Produced,
    )
    .await
    .expect("produced");
    let (browser, _) = app.browser("maker").await;
    let scanned = format!("={din}00");
    let started = std::time::Instant::now();
    let answer = browser
        .get(app.url("/units/lookup"))
        .query(&[("scan", scanned.as_str())])
        .header("hx-request", "true")
        .send()
        .await
        .expect("lookup");
    let elapsed = started.elapsed();
    assert_eq!(answer.status(), 200);
    let html = answer.text().await.expect("html");
    assert!(
        html.contains(&din) && html.contains("quarantined"),
        "{html}"
    );
    // Markers by the panel's names, not their codes.
    assert!(html.contains("anti-HIV-1/2 negative"), "{html}");
    assert!(!html.contains("anti_hiv_1_2"), "{html}");
    eprintln!("scan look-up answered in {elapsed:?}");
    let wrong = browser
        .get(app.url("/units/lookup"))
        .query(&[("scan", "=<D2000V00")])
        .header("hx-request", "true")
        .send()
        .await
        .expect("lookup");
    assert_eq!(wrong.status(), 400);
    assert!(
        wrong
            .text()
            .await
            .expect("html")
            .contains("class=\"refusal\"")
    );
    // A hospital user sees nothing of a unit not shipped to their hospital.
    let hospital = app.token("hospital").await;
    let hidden = reqwest::Client::new()
        .get(app.url(&format!("/api/units/{din}")))
        .bearer_auth(&hospital)
        .send()
        .await
        .expect("get");
    assert_eq!(hidden.status(), 404);
    app.stop().await;
}

#[tokio::test]
async fn malformed_json_and_unknown_commands_are_refused_with_problem_details_and_change_nothing() {
    let app = spawn(Database::Sqlite).await;
    let token = app.token("labtech").await;
    let before = app.entries().await.len();
    for body in ["{", "{\"command\": {\"type\": \"brew_coffee\"}}", "[]"] {
        let response = reqwest::Client::new()
            .post(app.url("/api/commands"))
            .bearer_auth(&token)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .expect("post");
        assert!(response.status().is_client_error(), "{body}");
        let problem: serde_json::Value = response.json().await.expect("problem");
        assert_eq!(problem["rule"], "INPUT", "{body}");
    }
    assert_eq!(app.entries().await.len(), before);
    app.stop().await;
}

#[tokio::test]
async fn each_role_lands_on_its_own_work_when_it_signs_in() {
    let app = spawn(Database::Sqlite).await;
    for (user, home) in [
        ("hospital", "/portal"),
        ("nurse", "/bedside"),
        ("bloodbank", "/transfusion"),
        ("shipper", "/distribution"),
        ("quality", "/release"),
        ("collector", "/donors"),
        ("labtech", "/testing"),
        ("maker", "/"),
        ("admin", "/admin/users"),
    ] {
        let client = browser_client();
        let response = app.sign_in(&client, user, helpers::PASSWORD).await;
        assert_eq!(response.status(), 303, "{user}");
        assert_eq!(response.headers()["location"], home, "{user}");
        let landing = client.get(app.url(home)).send().await.expect("get");
        assert_eq!(landing.status(), 200, "{user} may open {home}");
    }
    app.stop().await;
}

#[tokio::test]
async fn p11_sign_the_first_signature_of_a_session_takes_the_user_id_and_later_ones_the_password() {
    let app = spawn(Database::Sqlite).await;
    let (_, units) = demo::donation(
        &app.app.ledger,
        "Session",
        (Abo::A, RhD::Positive),
        Stop::ReadyForRelease,
    )
    .await
    .expect("ready");
    assert!(units.len() >= 2, "two units to release");
    let (browser, csrf) = app.browser("quality").await;
    let queue = helpers::page(&app, &browser, "/release").await;
    assert!(
        queue.contains("name=\"signature_user_id\""),
        "the first signature asks for the user ID"
    );
    let seen = helpers::seen_of(&queue);
    let release = |unit: &str, fields: Vec<(&'static str, String)>| {
        let mut form = vec![("csrf", csrf.clone()), ("seen", seen.clone())];
        form.extend(fields);
        browser
            .post(app.url(&format!("/release/{unit}")))
            .header("hx-request", "true")
            .form(&form)
            .send()
    };
    let before = app.entries().await.len();
    // The password alone is refused at the session's first signing, before it is checked.
    let refused = release(&units[0], vec![("password", helpers::PASSWORD.to_owned())])
        .await
        .expect("post");
    assert_eq!(refused.status(), 403);
    assert!(
        refused
            .text()
            .await
            .expect("html")
            .contains("user ID and your password"),
        "the refusal says what is missing"
    );
    // Someone else's user ID is refused too.
    let other = release(
        &units[0],
        vec![
            ("signature_user_id", "labtech".to_owned()),
            ("password", helpers::PASSWORD.to_owned()),
        ],
    )
    .await
    .expect("post");
    assert_eq!(other.status(), 403);
    assert!(
        other
            .text()
            .await
            .expect("html")
            .contains("not that of the person signed in")
    );
    assert_eq!(app.entries().await.len(), before, "nothing recorded");
    // Both components: signed.
    let first = release(
        &units[0],
        vec![
            ("signature_user_id", "Quality".to_owned()),
            ("password", helpers::PASSWORD.to_owned()),
        ],
    )
    .await
    .expect("post");
    assert_eq!(first.status(), 200);
    assert!(
        first
            .text()
            .await
            .expect("html")
            .contains("released by Quinn Quality")
    );
    // Later in the same session the password is enough, and the page no longer asks the ID.
    let queue = helpers::page(&app, &browser, "/release").await;
    assert!(!queue.contains("name=\"signature_user_id\""), "{queue}");
    let seen = helpers::seen_of(&queue);
    let second = browser
        .post(app.url(&format!("/release/{}", units[1])))
        .header("hx-request", "true")
        .form(&[
            ("csrf", csrf.as_str()),
            ("seen", seen.as_str()),
            ("password", helpers::PASSWORD),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(second.status(), 200);
    // A new session starts again with both components.
    let (_, more) = demo::donation(
        &app.app.ledger,
        "Again",
        (Abo::O, RhD::Positive),
        Stop::ReadyForRelease,
    )
    .await
    .expect("ready");
    let api_session = app.token("quality").await;
    let release = json!({"type": "release_component", "component": more[0]});
    let (status, problem, _) = app
        .command(
            &api_session,
            json!({"command": release, "signature_password": helpers::PASSWORD}),
        )
        .await;
    assert_eq!((status, problem["rule"].as_str()), (403, Some("P11-SIGN")));
    let (status, body, _) = app
        .command(
            &api_session,
            json!({"command": release, "signature_user_id": "quality", "signature_password": helpers::PASSWORD}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    app.stop().await;
}
