//! API tokens, lost updates, sessions in the database and sign-in records.

use hemaflow_domain::Role;
use hemaflow_domain::lab::testing::{Abo, RhD};
use hemaflow_web::demo::{self, Stop};
use serde_json::{Value, json};

use crate::helpers::{
    self, Database, TestApp, browser_client, postgres_url, seen_of, spawn, user_of,
};

/// Issues a token as the admin through the API: (token ID, secret).
async fn issue_token(app: &TestApp, role: &str, hospital: Option<&str>) -> (String, String) {
    let admin = app.token("admin").await;
    let response = reqwest::Client::new()
        .post(app.url("/api/tokens"))
        .bearer_auth(&admin)
        .json(&json!({"name": format!("{role} machine {}", hospital.unwrap_or("")).trim(), "role": role, "hospital": hospital}))
        .send()
        .await
        .expect("issue");
    assert_eq!(response.status(), 201);
    let body: Value = response.json().await.expect("json");
    (
        body["token_id"].as_str().expect("id").to_owned(),
        body["token"].as_str().expect("secret").to_owned(),
    )
}

async fn get_status(app: &TestApp, path: &str, bearer: &str) -> u16 {
    reqwest::Client::new()
        .get(app.url(path))
        .bearer_auth(bearer)
        .send()
        .await
        .expect("get")
        .status()
        .as_u16()
}

#[tokio::test]
async fn p11_access_an_api_token_acts_in_its_role_and_is_refused_once_revoked() {
    let app = spawn(Database::Sqlite).await;
    let (token_id, secret) = issue_token(&app, "lab_technologist", None).await;
    assert!(secret.starts_with("hfat_"));
    let ledger_text: String = app
        .all_entries()
        .await
        .iter()
        .map(|e| e.payload.clone())
        .collect();
    assert!(
        !ledger_text.contains(&secret) && !ledger_text.contains(&secret[5..]),
        "the secret is never on the ledger"
    );
    assert!(ledger_text.contains(&hemaflow_web::auth::token::digest(&secret)));

    let me: Value = reqwest::Client::new()
        .get(app.url("/api/me"))
        .bearer_auth(&secret)
        .send()
        .await
        .expect("me")
        .json()
        .await
        .expect("json");
    assert_eq!(me["user"]["role"], "lab_technologist");
    assert_eq!(me["user"]["id"], format!("token:{token_id}"));
    assert_eq!(get_status(&app, "/api/release-queue", &secret).await, 403);

    // A token cannot sign: a release needs a person's password.
    let (status, problem, _) = app
        .command(
            &secret,
            json!({"command": {"type": "release_component", "component": "W123426000001-D2000V00"}, "signature_password": "anything at all"}),
        )
        .await;
    assert_eq!(
        (status, problem["rule"].as_str()),
        (403, Some("P11-SIGN")),
        "{problem}"
    );
    assert!(
        problem["detail"]
            .as_str()
            .is_some_and(|d| d.contains("cannot sign")),
        "{problem}"
    );

    let admin = app.token("admin").await;
    let revoked = reqwest::Client::new()
        .post(app.url(&format!("/api/tokens/{token_id}/revoke")))
        .bearer_auth(&admin)
        .json(&json!({"reason": "analyser replaced"}))
        .send()
        .await
        .expect("revoke");
    assert_eq!(revoked.status(), 200);
    let refused = reqwest::Client::new()
        .get(app.url("/api/me"))
        .bearer_auth(&secret)
        .send()
        .await
        .expect("me");
    assert_eq!(refused.status(), 401);
    assert_eq!(
        refused.headers()["content-type"],
        "application/problem+json"
    );
    let problem: Value = refused.json().await.expect("json");
    assert!(
        problem["detail"]
            .as_str()
            .is_some_and(|d| d.contains("revoked") && d.contains("analyser replaced")),
        "{problem}"
    );
    let forged = format!("hfat_{}", "0".repeat(64));
    assert_eq!(get_status(&app, "/api/me", &forged).await, 401);
    app.stop().await;
}

#[tokio::test]
async fn p11_access_only_an_admin_issues_tokens_and_never_an_admin_token() {
    let app = spawn(Database::Sqlite).await;
    let quality = app.token("quality").await;
    let before = app.entries().await.len();
    let refused = reqwest::Client::new()
        .post(app.url("/api/tokens"))
        .bearer_auth(&quality)
        .json(&json!({"name": "mine", "role": "quality_assurance"}))
        .send()
        .await
        .expect("post");
    assert_eq!(refused.status(), 403);
    let admin = app.token("admin").await;
    for (body, status) in [
        (json!({"name": "root", "role": "admin"}), 403),
        (json!({"name": "ward", "role": "hospital_user"}), 403),
        (json!({"name": "x", "role": "pilot"}), 400),
        (json!({"role": "distribution"}), 400),
    ] {
        let response = reqwest::Client::new()
            .post(app.url("/api/tokens"))
            .bearer_auth(&admin)
            .json(&body)
            .send()
            .await
            .expect("post");
        assert_eq!(response.status(), status, "{body}");
    }
    // A hospital that is not on record is refused by name, not as a matter of role.
    let mistyped: serde_json::Value = reqwest::Client::new()
        .post(app.url("/api/tokens"))
        .bearer_auth(&admin)
        .json(&json!({"name": "ward", "role": "hospital_user", "hospital": "NO-SUCH-WARD"}))
        .send()
        .await
        .expect("post")
        .json()
        .await
        .expect("a problem");
    assert_eq!(mistyped["status"], 403);
    assert_eq!(mistyped["title"], "Not allowed");
    assert!(
        mistyped["detail"]
            .as_str()
            .is_some_and(|d| d.contains("NO-SUCH-WARD")),
        "{mistyped}"
    );
    let (status, _, _) = app
        .command(
            &admin,
            json!({"command": {"type": "issue_api_token", "token_id": "0123456789abcdef", "name": "n", "role": "distribution", "hospital": null, "digest": "0".repeat(64)}}),
        )
        .await;
    assert_eq!(status, 400, "the server draws every secret");
    let recorded: Vec<_> = app.entries().await[before..]
        .iter()
        .map(|e| e.event_type.clone())
        .collect();
    assert_eq!(
        recorded,
        ["P11-ACCESS", "P11-ACCESS", "P11-ACCESS"],
        "only the refusals by the domain"
    );
    app.stop().await;
}

#[tokio::test]
async fn p11_access_the_users_page_issues_a_token_and_shows_its_secret_once() {
    let app = spawn(Database::Sqlite).await;
    let mercy = crate::supply::hospital_of(&app, "hospital").await;
    let (admin, csrf) = app.browser("admin").await;
    let response = admin
        .post(app.url("/admin/tokens"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("name", "Mercy order system"),
            ("role", "hospital_user"),
            ("hospital", mercy.as_str()),
        ])
        .send()
        .await
        .expect("issue");
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let html = response.text().await.expect("html");
    let marker = "<code id=\"token-secret\">";
    let start = html.find(marker).expect("the secret is shown") + marker.len();
    let secret = &html[start..start + 69];
    assert!(secret.starts_with("hfat_"), "{secret}");
    let again = admin
        .get(app.url("/admin/users"))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    assert!(again.contains("Mercy order system") && !again.contains(secret));
    let me: Value = reqwest::Client::new()
        .get(app.url("/api/me"))
        .bearer_auth(secret)
        .send()
        .await
        .expect("me")
        .json()
        .await
        .expect("json");
    assert_eq!(me["user"]["hospital"], mercy);
    app.stop().await;
}

/// The Users page offers the hospitals on record (ID and name) to bind a hospital user or
/// token to, and shows a refusal of any other value under the form, naming the value and the
/// hospitals to choose from; nothing is recorded.
#[tokio::test]
async fn p11_access_the_users_page_binds_only_to_a_hospital_on_record() {
    let app = spawn(Database::Sqlite).await;
    let (ids, names): (Vec<String>, Vec<String>) = app
        .app
        .ledger
        .read(|state| {
            state
                .hospitals
                .values()
                .map(|h| (h.id.clone(), h.name.clone()))
                .unzip()
        })
        .await
        .expect("read");
    assert!(ids.len() >= 2, "the demo has hospitals on record");
    let (admin, csrf) = app.browser("admin").await;
    let page = admin
        .get(app.url("/admin/users"))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    for field in [
        "<select id=\"hospital\" name=\"hospital\">",
        "<select id=\"token_hospital\" name=\"hospital\">",
    ] {
        assert!(page.contains(field), "{field} in the page");
    }
    for (id, name) in ids.iter().zip(&names) {
        // As askama escapes text: St. Luke&#39;s.
        let name = name
            .replace('&', "&amp;")
            .replace('\'', "&#39;")
            .replace('"', "&quot;");
        let option = format!("<option value=\"{id}\">{id} · {name}</option>");
        assert_eq!(page.matches(&option).count(), 2, "{option} in both forms");
    }
    let entries = app.entries().await.len();
    let by_name = names[0].as_str();
    for (path, form) in [
        (
            "/admin/users",
            vec![
                ("user_id", "by.name"),
                ("name", "Bea Name"),
                ("role", "hospital_user"),
                ("hospital", by_name),
                ("password", "a long enough password"),
            ],
        ),
        (
            "/admin/tokens",
            vec![
                ("name", "Name-bound system"),
                ("role", "hospital_user"),
                ("hospital", by_name),
            ],
        ),
    ] {
        let mut form = form;
        form.push(("csrf", csrf.as_str()));
        let response = admin
            .post(app.url(path))
            .header("hx-request", "true")
            .form(&form)
            .send()
            .await
            .expect("post");
        assert_eq!(response.status(), 403, "{path}");
        let fragment = response.text().await.expect("html");
        assert!(
            fragment.starts_with("<p class=\"refusal\"")
                && fragment.contains("P11-ACCESS")
                && fragment.contains(&format!("is the name of hospital {}", ids[0])),
            "{path}: {fragment}"
        );
    }
    // Refusals are recorded, nothing else: no account, no token.
    let after = app.entries().await;
    assert!(
        after[entries..]
            .iter()
            .all(|e| e.kind == hemaflow_service::ledger::EntryKind::Refusal),
        "only refusals recorded"
    );
    let (user_made, token_made) = app
        .app
        .ledger
        .read(|state| {
            (
                state.users.contains_key("by.name"),
                state
                    .api_tokens
                    .values()
                    .any(|t| t.name == "Name-bound system"),
            )
        })
        .await
        .expect("read");
    assert!(!user_made && !token_made);
    // The hospital's ID, as the select gives it, is accepted; from htmx the answer is a fragment.
    let response = admin
        .post(app.url("/admin/users"))
        .header("hx-request", "true")
        .form(&[
            ("user_id", "by.id"),
            ("name", "Bea Id"),
            ("role", "hospital_user"),
            ("hospital", ids[0].as_str()),
            ("password", "a long enough password"),
            ("csrf", csrf.as_str()),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(response.status(), 200);
    assert!(
        response
            .text()
            .await
            .expect("html")
            .contains("Account by.id created")
    );
    let bound = app
        .app
        .ledger
        .read(|state| state.users["by.id"].hospital.clone())
        .await
        .expect("read");
    assert_eq!(bound.as_deref(), Some(ids[0].as_str()));
    app.stop().await;
}

/// The route x role matrix for token callers: each API route, and each page or document of
/// an existing record, admits a token of a role exactly when it admits a person of that role;
/// a hospital token sees its own hospital's records only, as its hospital's users do.
#[tokio::test]
async fn p11_access_every_api_route_refuses_a_token_of_every_role_it_does_not_name() {
    let app = spawn(Database::Sqlite).await;
    let din = crate::matrix::seed_order_and_shipment(&app).await;
    let routes: Vec<String> = crate::matrix::ROUTES
        .iter()
        .map(|(p, _)| *p)
        .filter(|p| p.starts_with("/api/"))
        .chain(crate::matrix::RECORD_ROUTES.iter().map(|(p, _)| *p))
        .map(|p| crate::matrix::record_path(p, &din))
        .collect();
    let mut callers: Vec<(Role, &str)> = Role::ALL
        .into_iter()
        .filter(|r| *r != Role::Admin)
        .map(|r| (r, user_of(r)))
        .collect();
    callers.push((Role::HospitalUser, "hospital2"));
    for (role, user) in callers {
        let key = serde_json::to_value(role).expect("role");
        // Bound to the person's hospital, so that both see the same records.
        let hospital = if role.is_hospital_bound() {
            Some(crate::supply::hospital_of(&app, user).await)
        } else {
            None
        };
        let (_, secret) = issue_token(&app, key.as_str().expect("key"), hospital.as_deref()).await;
        let person = app.token(user).await;
        for path in &routes {
            assert_eq!(
                get_status(&app, path, &secret).await,
                get_status(&app, path, &person).await,
                "{role:?} token of {user}'s hospital GET {path}"
            );
        }
        assert_eq!(get_status(&app, "/api/tokens", &secret).await, 403);
    }
    app.stop().await;
}

async fn ready_unit(app: &TestApp, name: &str) -> String {
    let (_, units) = demo::donation(
        &app.app.ledger,
        name,
        (Abo::O, RhD::Positive),
        Stop::ReadyForRelease,
    )
    .await
    .expect("ready");
    units[0].clone()
}

async fn post_form(client: &reqwest::Client, url: String, form: &[(&str, &str)]) -> (u16, String) {
    let response = client
        .post(url)
        .header("hx-request", "true")
        .form(form)
        .send()
        .await
        .expect("post");
    let status = response.status().as_u16();
    (status, response.text().await.expect("html"))
}

/// Two users open the release queue; one discards a unit; the other, releasing it from the
/// page as it was, is refused 409 with who changed it, and nothing is recorded.
#[tokio::test]
async fn no_lost_update_a_release_from_an_old_page_is_refused_with_who_changed_the_unit() {
    let app = spawn(Database::Sqlite).await;
    let unit = ready_unit(&app, "Stale").await;
    let (maker, maker_csrf) = app.browser("maker").await;
    let (quality, quality_csrf) = app.browser("quality").await;
    let page = |client: &reqwest::Client| {
        let request = client.get(app.url("/release"));
        async move {
            request
                .send()
                .await
                .expect("queue")
                .text()
                .await
                .expect("html")
        }
    };
    let maker_seen = seen_of(&page(&maker).await);
    let quality_seen = seen_of(&page(&quality).await);
    let (status, html) = post_form(
        &maker,
        app.url(&format!("/discard/{unit}")),
        &[
            ("csrf", &maker_csrf),
            ("reason", "bag leaking"),
            ("signature_user_id", "maker"),
            ("password", helpers::PASSWORD),
            ("seen", &maker_seen),
        ],
    )
    .await;
    assert_eq!(status, 200, "{html}");
    let before = app.all_entries().await.len();
    let (status, html) = post_form(
        &quality,
        app.url(&format!("/release/{unit}")),
        &[
            ("csrf", &quality_csrf),
            ("signature_user_id", "quality"),
            ("password", helpers::PASSWORD),
            ("seen", &quality_seen),
        ],
    )
    .await;
    assert_eq!(status, 409, "{html}");
    assert!(
        html.contains("changed by Manu Maker at") && html.contains("look again"),
        "{html}"
    );
    assert_eq!(app.all_entries().await.len(), before, "nothing is written");
    app.stop().await;
}

/// Two users discard the same unit at the same moment from the same page: one is recorded,
/// the other is told who was first; the ledger holds one discard.
#[tokio::test]
async fn no_lost_update_two_users_racing_on_one_unit_one_wins_and_the_other_gets_409() {
    let app = spawn(Database::Sqlite).await;
    let unit = ready_unit(&app, "Race").await;
    let (maker, maker_csrf) = app.browser("maker").await;
    let (quality, quality_csrf) = app.browser("quality").await;
    let seen = seen_of(
        &maker
            .get(app.url("/release"))
            .send()
            .await
            .expect("queue")
            .text()
            .await
            .expect("html"),
    );
    let url = app.url(&format!("/discard/{unit}"));
    let maker_form = [
        ("csrf", maker_csrf.as_str()),
        ("reason", "clots"),
        ("signature_user_id", "maker"),
        ("password", helpers::PASSWORD),
        ("seen", seen.as_str()),
    ];
    let quality_form = [
        ("csrf", quality_csrf.as_str()),
        ("reason", "hemolysed"),
        ("signature_user_id", "quality"),
        ("password", helpers::PASSWORD),
        ("seen", seen.as_str()),
    ];
    let (a, b) = tokio::join!(
        post_form(&maker, url.clone(), &maker_form),
        post_form(&quality, url.clone(), &quality_form),
    );
    let mut statuses = [a.0, b.0];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 409], "{a:?} {b:?}");
    let loser = if a.0 == 409 { &a.1 } else { &b.1 };
    assert!(
        loser.contains("changed by") && loser.contains("look again"),
        "{loser}"
    );
    let discards = app
        .entries()
        .await
        .iter()
        .filter(|e| e.event_type == "component_discarded")
        .count();
    assert_eq!(discards, 1);
    app.stop().await;
}

#[tokio::test]
async fn no_lost_update_the_api_refuses_a_change_made_from_an_old_read() {
    let app = spawn(Database::Sqlite).await;
    let unit = ready_unit(&app, "Api").await;
    let quality = app.token("quality").await;
    let queue: Value = reqwest::Client::new()
        .get(app.url("/api/release-queue"))
        .bearer_auth(&quality)
        .send()
        .await
        .expect("queue")
        .json()
        .await
        .expect("json");
    let seen = queue["ledger_sequence"].as_i64().expect("sequence");
    let maker = app.token("maker").await;
    let hold = json!({"command": {"type": "discard_component", "component": unit, "reason": "label torn"}, "signature_user_id": "maker", "signature_password": helpers::PASSWORD});
    let (status, body, _) = app.command(&maker, hold).await;
    assert_eq!(status, 200, "{body}");
    let before = app.all_entries().await.len();
    let release = json!({
        "command": {"type": "release_component", "component": unit},
        "signature_user_id": "quality", "signature_password": helpers::PASSWORD,
        "records_seen": [{"kind": "component", "id": unit, "seen": seen}],
    });
    let (status, problem, content_type) = app.command(&quality, release).await;
    assert_eq!(
        (status, content_type.as_str()),
        (409, "application/problem+json")
    );
    assert_eq!(problem["rule"], "STALE");
    assert!(
        problem["detail"]
            .as_str()
            .is_some_and(|d| d.contains("changed by Manu Maker at")),
        "{problem}"
    );
    assert_eq!(app.all_entries().await.len(), before);
    app.stop().await;
}

async fn sessions_survive_a_restart_and_are_shared(app: TestApp) {
    let (browser, csrf) = app.browser("quality").await;
    let token = app.token("collector").await;
    let second = app.another_server().await;
    let home = browser.get(second.url("/")).send().await.expect("home");
    assert_eq!(home.status(), 200, "the cookie opens the other server too");
    assert!(home.text().await.expect("html").contains(&csrf));
    assert_eq!(get_status(&second, "/api/me", &token).await, 200);
    let signed_out = browser
        .post(second.url("/logout"))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .expect("logout");
    assert_eq!(signed_out.status(), 303);
    let closed = browser.get(app.url("/release")).send().await.expect("get");
    assert_eq!(closed.status(), 303, "signed out on every server");
    second.stop().await;
    app.stop().await;
}

#[tokio::test]
async fn p11_access_sessions_live_in_the_database_and_outlive_a_restart_on_sqlite() {
    sessions_survive_a_restart_and_are_shared(spawn(Database::Sqlite).await).await;
}

#[tokio::test]
async fn p11_access_sessions_live_in_the_database_and_outlive_a_restart_on_postgres() {
    let Some(url) = postgres_url() else { return };
    sessions_survive_a_restart_and_are_shared(spawn(Database::Postgres(url)).await).await;
}

#[tokio::test]
async fn p11_audit_sign_ins_are_on_the_ledger_and_the_users_page() {
    let app = spawn(Database::Sqlite).await;
    let client = browser_client();
    assert_eq!(
        app.sign_in(&client, "nobody", "guess-guess").await.status(),
        401
    );
    assert_eq!(
        app.sign_in(&client, "shipper", helpers::PASSWORD)
            .await
            .status(),
        303
    );
    let attempts: Vec<(String, String)> = app
        .all_entries()
        .await
        .into_iter()
        .filter(|e| e.event_type == "sign_in_recorded")
        .map(|e| (e.actor, e.payload))
        .collect();
    assert_eq!(attempts.len(), 2);
    assert!(attempts.iter().all(|(actor, _)| actor == "system"));
    assert!(attempts[0].1.contains("\"nobody\"") && attempts[0].1.contains("\"failed\""));
    assert!(attempts[1].1.contains("\"shipper\"") && attempts[1].1.contains("\"succeeded\""));
    assert!(!attempts[0].1.contains("guess-guess"), "never the password");
    let (admin, _) = app.browser("admin").await;
    let page = admin
        .get(app.url("/admin/users"))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    let table = &page[page.find("id=\"sign-ins\"").expect("the attempts")..];
    assert!(table.contains("nobody") && table.contains("wrong user ID or password"));
    assert!(table.contains("shipper") && table.contains("signed in"));
    let report =
        hemaflow_service::ledger::verify::<hemaflow_service::Blood, _>(app.app.ledger.store())
            .await
            .expect("verify");
    assert!(report.is_ok(), "{report}");
    app.stop().await;
}

/// The lockout is counted on the ledger: five failures on one server lock the account on
/// another server process of the same database (and after a restart).
#[tokio::test]
async fn p11_access_a_lockout_holds_on_every_server_process_of_the_database() {
    let app = spawn(Database::Sqlite).await;
    let client = browser_client();
    for _ in 0..5 {
        app.sign_in(&client, "collector", "wrong password!").await;
    }
    let second = app.another_server().await;
    let refused = second
        .sign_in(&browser_client(), "collector", helpers::PASSWORD)
        .await;
    assert_eq!(refused.status(), 423, "locked on the other server too");
    let unknown = second
        .sign_in(&browser_client(), "collector2", helpers::PASSWORD)
        .await;
    assert_eq!(unknown.status(), 401, "another user ID is not locked");
    second.stop().await;
    app.stop().await;
}
