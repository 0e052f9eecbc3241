//! The server's own protections (`hemaflow_web::security`): the security headers on every
//! answer of every route, the rate of sign-in attempts, the bound on password hashing, and the
//! limits on a request's size and on the time a client takes to send it.

use std::path::Path;
use std::time::Duration;

use hemaflow_web::security::{CONTENT_SECURITY_POLICY, Limits};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::{self, Database, TestApp, browser_client, spawn, spawn_with_limits};

/// Every page path the router declares, read from the route modules' source (so that a new
/// route is covered without being listed here), its parameters filled with a value of the
/// right shape for the route.
fn declared_paths() -> Vec<String> {
    let routes = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/routes");
    let mut paths = Vec::new();
    for entry in std::fs::read_dir(&routes).expect("the route modules") {
        let file = entry.expect("an entry").path();
        let name = file
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default();
        let prefix = if name == "api" || name.ends_with("_api") {
            "/api"
        } else {
            ""
        };
        let text = std::fs::read_to_string(&file).expect("a route module");
        for piece in text.split(".route(").skip(1) {
            let literal = piece.trim_start();
            let Some(rest) = literal.strip_prefix('"') else {
                continue; // a path constant (the static files), checked on its own below
            };
            let Some(path) = rest.split('"').next() else {
                continue;
            };
            paths.push(format!("{prefix}{}", concrete(path)));
        }
    }
    paths.sort();
    paths.dedup();
    paths
}

fn concrete(template: &str) -> String {
    template
        .split('/')
        .map(|segment| match segment {
            "{din}" | "{scan}" => "W123426000001",
            s if s.starts_with('{') => "X1",
            s => s,
        })
        .collect::<Vec<_>>()
        .join("/")
}

fn assert_security_headers(what: &str, response: &reqwest::Response) {
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    assert_eq!(
        header("content-security-policy"),
        CONTENT_SECURITY_POLICY,
        "{what}"
    );
    assert!(
        CONTENT_SECURITY_POLICY.contains("frame-ancestors 'none'")
            && !CONTENT_SECURITY_POLICY.contains("unsafe-inline"),
        "the policy allows no inline script or style and no framing"
    );
    assert_eq!(header("x-frame-options"), "DENY", "{what}");
    assert_eq!(header("x-content-type-options"), "nosniff", "{what}");
    assert_eq!(header("referrer-policy"), "no-referrer", "{what}");
    assert!(header("permissions-policy").contains("camera=()"), "{what}");
    let cache = header("cache-control");
    if what.contains("/static/") {
        assert!(cache.contains("immutable"), "{what}: {cache}");
    } else {
        assert_eq!(cache, "no-store", "{what}");
    }
    assert!(
        response
            .headers()
            .get("strict-transport-security")
            .is_none(),
        "{what}: no HSTS on plain loopback HTTP"
    );
}

/// A page that relies on inline script or style would break under the policy.
fn assert_no_inline_script_or_style(what: &str, html: &str) {
    assert!(!html.contains(" style=\""), "{what} has a style attribute");
    assert!(!html.contains("<style"), "{what} has a style element");
    for script in html.split("<script").skip(1) {
        let tag = script.split('>').next().unwrap_or_default();
        assert!(
            tag.contains("src="),
            "{what} has an inline script: <script{tag}>"
        );
    }
    assert!(!html.contains(" onclick="), "{what} has an inline handler");
}

#[tokio::test]
async fn web_headers_every_route_answers_with_the_security_headers_signed_in_or_not() {
    let app = spawn(Database::Sqlite).await;
    let mut paths = declared_paths();
    // The API's routes are those of its OpenAPI document (they are registered only through it).
    let document: serde_json::Value = reqwest::get(app.url("/api/openapi.json"))
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    let api = document["paths"].as_object().expect("paths");
    paths.extend(api.keys().map(|path| concrete(path)));
    paths.extend(["/fhir/metadata", "/fhir/BiologicallyDerivedProduct"].map(str::to_owned));
    paths.sort();
    paths.dedup();
    assert!(paths.len() > 80, "{} routes found", paths.len());
    let (admin, _) = app.browser("admin").await;
    let anonymous = browser_client();
    let mut pages = 0;
    for path in &paths {
        for (who, client) in [("anonymous", &anonymous), ("admin", &admin)] {
            let response = client.get(app.url(path)).send().await.expect("get");
            let what = format!("GET {path} as {who} ({})", response.status());
            assert_security_headers(&what, &response);
            let html = response
                .headers()
                .get("content-type")
                .is_some_and(|v| v.to_str().unwrap_or_default().starts_with("text/html"));
            if html {
                pages += 1;
                assert_no_inline_script_or_style(&what, &response.text().await.expect("page"));
            }
        }
    }
    assert!(pages > 20, "{pages} pages read");
    for path in [
        hemaflow_web::routes::assets::STYLE_PATH,
        hemaflow_web::routes::assets::SCAN_PATH,
        hemaflow_web::routes::assets::HTMX_PATH,
    ] {
        let response = anonymous.get(app.url(path)).send().await.expect("get");
        assert_eq!(response.status(), 200, "{path}");
        assert_security_headers(path, &response);
    }
    // A refusal and an unknown path carry them too.
    let missing = anonymous
        .get(app.url("/no/such/page"))
        .send()
        .await
        .expect("get");
    assert_security_headers("GET /no/such/page", &missing);
    app.stop().await;
}

#[tokio::test]
async fn web_rate_sign_ins_over_an_addresss_quota_are_refused_unrecorded_with_retry_after() {
    // A small quota, so that none of it comes back (one attempt per 12 s) while the test runs.
    let limits = Limits {
        sign_ins_per_address_per_minute: std::num::NonZeroU32::new(5).expect("5"),
        ..Limits::default()
    };
    let app = spawn_with_limits(Database::Sqlite, limits).await;
    let per_minute = app.app.guards.limits.sign_ins_per_address_per_minute.get();
    let before = app.all_entries().await.len();
    let client = browser_client();
    let mut statuses = Vec::new();
    // Anonymous attempts with user IDs that do not exist, each a new one (so the per-account
    // quota is never the one that refuses).
    for attempt in 0..per_minute + 20 {
        let response = app
            .sign_in(&client, &format!("nobody{attempt}"), "not the password")
            .await;
        statuses.push(response.status().as_u16());
        if response.status() == 429 {
            let retry: u64 = response.headers()["retry-after"]
                .to_str()
                .expect("text")
                .parse()
                .expect("seconds");
            assert!((1..=60).contains(&retry), "{retry}");
            assert!(
                response
                    .text()
                    .await
                    .expect("page")
                    .contains("too many sign-in attempts"),
                "the page says why"
            );
        }
    }
    let refused = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!(refused, 20, "{statuses:?}");
    assert!(statuses[..per_minute as usize].iter().all(|s| *s == 401));
    let recorded = app.all_entries().await.len() - before;
    assert_eq!(
        recorded, per_minute as usize,
        "only the attempts within the quota are checked and recorded"
    );
    // The API's sign-in shares the address's quota.
    let api = reqwest::Client::new()
        .post(app.url("/api/session"))
        .json(&serde_json::json!({"user_id": "labtech", "password": helpers::PASSWORD}))
        .send()
        .await
        .expect("post");
    assert_eq!(api.status(), 429);
    let problem: serde_json::Value = api.json().await.expect("problem");
    assert_eq!(problem["rule"], "WEB-RATE");
    app.stop().await;
}

#[tokio::test]
async fn web_rate_sign_ins_for_one_user_id_over_its_quota_are_refused_before_any_hashing() {
    let limits = Limits {
        sign_ins_per_account_per_minute: std::num::NonZeroU32::new(3).expect("3"),
        ..Limits::default()
    };
    let app = spawn_with_limits(Database::Sqlite, limits).await;
    let per_minute = app.app.guards.limits.sign_ins_per_account_per_minute.get();
    let client = browser_client();
    let mut statuses = Vec::new();
    for _ in 0..per_minute + 3 {
        let response = app.sign_in(&client, "ghost.user", "not the password").await;
        statuses.push(response.status().as_u16());
    }
    assert!(
        statuses[..per_minute as usize]
            .iter()
            .all(|s| *s == 401 || *s == 423),
        "{statuses:?}"
    );
    assert!(
        statuses[per_minute as usize..].iter().all(|s| *s == 429),
        "{statuses:?}"
    );
    // Another user ID from the same address is still tried.
    let other = app.sign_in(&client, "labtech", helpers::PASSWORD).await;
    assert_eq!(other.status(), 303);
    app.stop().await;
}

#[tokio::test]
async fn web_rate_password_hashing_is_bounded_and_a_sign_in_without_a_slot_is_told_busy() {
    let limits = Limits {
        concurrent_hashes: 1,
        hash_wait: Duration::from_millis(1),
        ..Limits::default()
    };
    let app = spawn_with_limits(Database::Sqlite, limits).await;
    let attempts = (0..12).map(|n| {
        let url = app.url("/api/session");
        async move {
            reqwest::Client::new()
                .post(url)
                .json(&serde_json::json!({"user_id": format!("someone{n}"), "password": "wrong password"}))
                .send()
                .await
                .expect("post")
                .status()
                .as_u16()
        }
    });
    let statuses = futures_join_all(attempts).await;
    assert!(statuses.contains(&503), "{statuses:?}");
    assert!(
        statuses.iter().all(|s| *s == 503 || *s == 401),
        "{statuses:?}"
    );
    app.stop().await;
}

async fn futures_join_all<F: std::future::Future<Output = u16> + Send + 'static>(
    futures: impl Iterator<Item = F>,
) -> Vec<u16> {
    let handles: Vec<_> = futures.map(tokio::spawn).collect();
    let mut statuses = Vec::new();
    for handle in handles {
        statuses.push(handle.await.expect("task"));
    }
    statuses
}

#[tokio::test]
async fn web_size_a_body_over_the_limit_is_refused_with_413_and_changes_nothing() {
    let app = spawn(Database::Sqlite).await;
    let token = app.token("hospital").await;
    let before = app.all_entries().await.len();
    let limit = app.app.guards.limits.body_bytes;
    let body = format!(
        "{{\"command\": {{\"type\": \"place_order\", \"order_id\": \"{}\"}}}}",
        "O".repeat(limit)
    );
    let response = reqwest::Client::new()
        .post(app.url("/api/commands"))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .expect("post");
    assert_eq!(response.status(), 413);
    let problem: serde_json::Value = response.json().await.expect("problem");
    assert_eq!(problem["rule"], "WEB-SIZE");
    assert!(
        problem["detail"]
            .as_str()
            .is_some_and(|d| d.contains("bytes"))
    );
    assert_eq!(app.all_entries().await.len(), before, "nothing recorded");
    app.stop().await;
}

/// Opens a raw connection and sends `bytes`, then reads until the server answers or closes.
async fn send_raw(app: &TestApp, bytes: &[u8]) -> (String, Duration) {
    let address = app.base.trim_start_matches("http://");
    let mut socket = tokio::net::TcpStream::connect(address)
        .await
        .expect("connect");
    socket.write_all(bytes).await.expect("write");
    let started = std::time::Instant::now();
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(20), socket.read_to_end(&mut answer));
    read.await
        .expect("the server ends the connection")
        .expect("read");
    (
        String::from_utf8_lossy(&answer).into_owned(),
        started.elapsed(),
    )
}

#[tokio::test]
async fn web_time_half_sent_headers_and_a_body_that_never_arrives_are_cut_off() {
    let limits = Limits {
        header_seconds: Duration::from_secs(1),
        body_seconds: Duration::from_secs(1),
        ..Limits::default()
    };
    let app = spawn_with_limits(Database::Sqlite, limits).await;
    // Headers that never finish: the connection is closed (hyper answers 408 or hangs up).
    let (answer, elapsed) = send_raw(&app, b"GET /health HTTP/1.1\r\nHost: x\r\n").await;
    assert!(elapsed < Duration::from_secs(10), "{elapsed:?}");
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 408"),
        "{answer}"
    );
    // A body announced and never sent: 408 with the problem, nothing recorded.
    let before = app.all_entries().await.len();
    let request = b"POST /api/session HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"user_id\":";
    let (answer, elapsed) = send_raw(&app, request).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("WEB-TIME"), "{answer}");
    assert!(elapsed < Duration::from_secs(10), "{elapsed:?}");
    assert_eq!(app.all_entries().await.len(), before);
    // An idle connection after a request is closed too.
    let (answer, elapsed) = send_raw(&app, b"GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n").await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(elapsed < Duration::from_secs(10), "{elapsed:?}");
    app.stop().await;
}

#[tokio::test]
async fn web_size_an_order_id_of_a_megabyte_is_refused_as_input_and_not_even_its_refusal_recorded()
{
    let app = spawn(Database::Sqlite).await;
    let token = app.token("hospital").await;
    let before = app.all_entries().await.len();
    let order = serde_json::json!({"command": {
        "type": "place_order",
        "order_id": "O".repeat(1_500_000),
        "hospital": "mercy",
        "priority": "routine",
        "lines": [],
    }});
    let (status, problem, _) = app.command(&token, order).await;
    assert_eq!(status, 400, "{problem}");
    assert_eq!(problem["rule"], "WEB-SIZE");
    assert!(
        problem["detail"]
            .as_str()
            .is_some_and(|d| d.contains("command.order_id is 1500000 bytes long")),
        "{problem}"
    );
    assert_eq!(app.all_entries().await.len(), before, "nothing recorded");
    app.stop().await;
}
