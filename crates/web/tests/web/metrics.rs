//! `GET /metrics` read by the Prometheus project's own parser (Python `prometheus-client`):
//! requests by route and status, commands by type and outcome, refusals by rule, the ledger's
//! position; and liveness apart from readiness.

use std::io::Write;
use std::process::{Command, Stdio};

use serde_json::{Value, json};

use crate::helpers::{Database, spawn};

const INSTALL: &str = "sh scripts/test-python.sh";

/// The Python that runs the checkers: `HEMAFLOW_PYTHON` if set, else the tests' own virtual
/// environment (`target/python`, made by `scripts/test-python.sh`) if it exists, else
/// `python3`.
fn python() -> std::path::PathBuf {
    if let Some(named) = std::env::var_os("HEMAFLOW_PYTHON") {
        return named.into();
    }
    let venv =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/python/bin/python");
    if venv.exists() {
        venv
    } else {
        "python3".into()
    }
}

/// Every sample of the exposition: (name, labels, value).
fn parse(text: &str) -> Vec<(String, Value, f64)> {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/parse_metrics.py");
    let mut child = Command::new(python())
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("python3 is needed to read /metrics ({e}); run `{INSTALL}`"));
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(text.as_bytes())
        .expect("write");
    let output = child.wait_with_output().expect("parser");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_ne!(output.status.code(), Some(3), "{stderr}: run `{INSTALL}`");
    assert!(output.status.success(), "{stderr}\n{text}");
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| {
            let sample: (String, Value, f64) = serde_json::from_str(line).expect("a sample");
            sample
        })
        .collect()
}

fn value(samples: &[(String, Value, f64)], name: &str, labels: &Value) -> Option<f64> {
    samples
        .iter()
        .find(|(n, l, _)| {
            n == name
                && labels
                    .as_object()
                    .expect("labels")
                    .iter()
                    .all(|(k, v)| l.get(k) == Some(v))
        })
        .map(|(_, _, v)| *v)
}

#[tokio::test]
async fn metrics_count_requests_commands_and_refusals_and_a_prometheus_parser_reads_them() {
    let app = spawn(Database::Sqlite).await;
    let client = reqwest::Client::new();
    for path in ["/health", "/health", "/health/live"] {
        let answer = client.get(app.url(path)).send().await.expect("get");
        assert_eq!(answer.status(), 200, "{path}");
    }
    let live: Value = client
        .get(app.url("/health/live"))
        .send()
        .await
        .expect("live")
        .json()
        .await
        .expect("json");
    assert_eq!(live["status"], "live");

    let token = app.token("collector").await;
    let (status, _, _) = app
        .command(
            &token,
            json!({"command": {"type": "register_donor", "identity": {
                "family_name": "Metric", "given_name": "Ann", "date_of_birth": "1980-02-02",
                "sex": "female", "national_id": null, "contact": null, "parental_consent": false}}}),
        )
        .await;
    assert_eq!(status, 200);
    let (status, problem, _) = app
        .command(
            &token,
            json!({"command": {"type": "defer_donor", "donor_id": "D-NONE", "reason": "pregnancy", "starts": null, "notes": ""}}),
        )
        .await;
    assert_eq!(status, 404, "{problem}");

    let answer = client
        .get(app.url("/metrics"))
        .send()
        .await
        .expect("metrics");
    assert_eq!(answer.status(), 200);
    let content_type = answer.headers()["content-type"]
        .to_str()
        .expect("header")
        .to_owned();
    assert!(content_type.starts_with("text/plain"), "{content_type}");
    let text = answer.text().await.expect("text");
    let samples = parse(&text);

    let health = json!({"method": "GET", "route": "/health", "status": "200"});
    assert_eq!(
        value(&samples, "hemaflow_http_requests_total", &health),
        Some(2.0),
        "{text}"
    );
    let latency = json!({"method": "GET", "route": "/health"});
    assert_eq!(
        value(
            &samples,
            "hemaflow_http_request_duration_seconds_count",
            &latency
        ),
        Some(2.0),
        "{text}"
    );
    let accepted = json!({"type": "register_donor", "outcome": "accepted"});
    assert_eq!(
        value(&samples, "hemaflow_commands_total", &accepted),
        Some(1.0),
        "{text}"
    );
    let refused = json!({"type": "defer_donor", "outcome": "refused"});
    assert_eq!(
        value(&samples, "hemaflow_commands_total", &refused),
        Some(1.0),
        "{text}"
    );
    let rule = json!({"rule": "NOT-FOUND"});
    assert_eq!(
        value(&samples, "hemaflow_refusals_total", &rule),
        Some(1.0),
        "{text}"
    );
    let entries = app.all_entries().await.len() as f64;
    assert_eq!(
        value(&samples, "hemaflow_ledger_sequence", &json!({})),
        Some(entries),
        "{text}"
    );
    // The routes are the router's templates: no DIN, donor or user is a label value.
    assert!(!text.contains("D-NONE"), "{text}");
    app.stop().await;
}
