//! A command without its reason goes to the domain, which refuses it; the refusal is on the
//! record and nothing else changes, whether it came through a form or `POST /api/commands`.

use hemaflow_service::ledger::EntryKind;
use serde_json::json;

use crate::helpers::{Database, TestApp, spawn};

/// After a refused attempt: exactly one new entry, a refusal by `rule`.
async fn one_refusal(app: &TestApp, before: usize, rule: &str) {
    let entries = app.entries().await;
    assert_eq!(entries.len(), before + 1, "only the refusal is recorded");
    assert_eq!(entries[before].kind, EntryKind::Refusal);
    assert_eq!(entries[before].event_type, rule);
}

#[tokio::test]
async fn account_input_an_account_is_not_disabled_without_a_reason_by_form_or_api() {
    let app = spawn(Database::Sqlite).await;
    let (admin, csrf) = app.browser("admin").await;
    let before = app.entries().await.len();
    let response = admin
        .post(app.url("/admin/users/collector/disable"))
        .header("hx-request", "true")
        .form(&[("csrf", csrf.as_str()), ("reason", "  ")])
        .send()
        .await
        .expect("post");
    assert_eq!(response.status(), 422);
    let html = response.text().await.expect("html");
    assert!(
        html.contains("ACCOUNT-INPUT") && html.contains("reason"),
        "{html}"
    );
    one_refusal(&app, before, "ACCOUNT-INPUT").await;

    let token = app.token("admin").await;
    let before = app.entries().await.len();
    let (status, problem, _) = app
        .command(
            &token,
            json!({"command": {"type": "disable_user", "user_id": "collector", "reason": ""}}),
        )
        .await;
    assert_eq!(status, 422, "{problem}");
    assert_eq!(problem["rule"], "ACCOUNT-INPUT");
    one_refusal(&app, before, "ACCOUNT-INPUT").await;
    let enabled = app
        .app
        .ledger
        .read(|state| state.users["collector"].enabled)
        .await
        .expect("read");
    assert!(enabled, "the account is as it was");
    let (desk, _) = app.browser("collector").await;
    let page = desk.get(app.url("/collection")).send().await.expect("get");
    assert_eq!(page.status(), 200, "the collector still signs in and works");
    app.stop().await;
}

#[tokio::test]
async fn account_input_a_token_is_not_revoked_without_a_reason_by_form_or_api() {
    let app = spawn(Database::Sqlite).await;
    let (admin, csrf) = app.browser("admin").await;
    let issued = admin
        .post(app.url("/admin/tokens"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("name", "Analyser 1"),
            ("role", "lab_technologist"),
            ("hospital", ""),
        ])
        .send()
        .await
        .expect("issue");
    assert_eq!(issued.status(), 200);
    let token_id = app
        .app
        .ledger
        .read(|state| state.api_tokens.keys().next().cloned())
        .await
        .expect("read")
        .expect("a token");
    let before = app.entries().await.len();
    let response = admin
        .post(app.url(&format!("/admin/tokens/{token_id}/revoke")))
        .header("hx-request", "true")
        .form(&[("csrf", csrf.as_str()), ("reason", "")])
        .send()
        .await
        .expect("post");
    assert_eq!(response.status(), 422);
    one_refusal(&app, before, "ACCOUNT-INPUT").await;

    let token = app.token("admin").await;
    let before = app.entries().await.len();
    let (status, problem, _) = app
        .command(
            &token,
            json!({"command": {"type": "revoke_api_token", "token_id": token_id, "reason": " "}}),
        )
        .await;
    assert_eq!(status, 422, "{problem}");
    assert_eq!(problem["rule"], "ACCOUNT-INPUT");
    one_refusal(&app, before, "ACCOUNT-INPUT").await;
    let active = app
        .app
        .ledger
        .read(|state| state.api_tokens[&token_id].is_active())
        .await
        .expect("read");
    assert!(active, "the token is as it was");
    app.stop().await;
}
